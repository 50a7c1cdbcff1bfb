// Precision prelude for f32: the scalar type T and the transcendental functions, from WGSL's builtins.
alias T = f32;

fn t_exp(x: T) -> T { return exp(x); }
fn t_log(x: T) -> T { return log(x); }
fn t_tanh(x: T) -> T { return tanh(x); }
fn t_expm1(x: T) -> T {
    // exp(x) − 1 without cancellation near 0 (Taylor to x⁵ where |x| < 1e-2).
    if (abs(x) < 1e-2) {
        return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0))));
    }
    return exp(x) - 1.0;
}
fn t_log1p(x: T) -> T {
    // log(1 + x) without cancellation near 0 (Taylor to x⁵ where |x| < 1e-2).
    if (abs(x) < 1e-2) {
        return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x / 5.0))));
    }
    return log(1.0 + x);
}
fn t_erf(x: T) -> T {
    // Abramowitz & Stegun 7.1.26 refined by Numerical Recipes' erfc (|error| < 1.2e-7, f32's ulp).
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * exp(poly);
    return select(erfc - 1.0, 1.0 - erfc, x >= 0.0);
}
