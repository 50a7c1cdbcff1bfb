// Precision prelude for f64: the scalar type T and the transcendental functions. Vulkan's extended
// instruction set offers exp, log and tanh for 32-bit floats only, so they are written here from
// what it offers for 64-bit ones (ldexp, sqrt, floor, round), accurate to a few ulp.
alias T = f64;

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;

// e^x − 1 for |x| ≤ 0.35 by its Taylor series (the 14th term is below 1e-17).
fn expm1_small(r: T) -> T {
    var term = r;
    var sum = r;
    for (var n = 2; n <= 15; n++) {
        term = term * r / T(n);
        sum += term;
    }
    return sum;
}

fn t_exp(x: T) -> T {
    // e^x = 2^k · e^r with k = round(x / ln 2), |r| ≤ ln 2 / 2.
    let xc = clamp(x, -746.0, 710.0);
    let k = round(xc / 0.69314718055994530942);
    let r = (xc - k * LN2_HI) - k * LN2_LO;
    let e = 1.0 + expm1_small(r);
    // Two steps of ldexp keep 2^k representable at both ends of the range.
    let half = i32(k) / 2;
    return ldexp(ldexp(e, half), i32(k) - half);
}

fn t_expm1(x: T) -> T {
    if (abs(x) < 0.35) {
        return expm1_small(x);
    }
    return t_exp(x) - 1.0;
}

fn t_log(x: T) -> T {
    if (x <= 0.0) {
        // −∞ at 0 and NaN below it, made at run time (WGSL has no literal for either).
        let big = T(1e300) + runtime_zero();
        return select((x - x) / (x - x), -big * big, x == 0.0);
    }
    if (x > 1.7976931348623157e308) {
        return x;
    }
    // x = m · 2^e with m in [√½, √2), found without frexp (whose f64 form naga types with an
    // i64 exponent, which Vulkan devices need not offer): bring x into f32's range, take f32's
    // log2 as a first guess of e, and correct m by factors of 2.
    var m = x;
    var e = T(0.0);
    for (var i = 0; i < 12 && m > 1e30; i++) {
        m = ldexp(m, -100);
        e += 100.0;
    }
    for (var i = 0; i < 12 && m < 1e-30; i++) {
        m = ldexp(m, 100);
        e -= 100.0;
    }
    let guess = floor(log2(f32(m)));
    m = ldexp(m, -i32(guess));
    e += T(guess);
    for (var i = 0; i < 3 && m < 0.70710678118654752440; i++) {
        m = m * 2.0;
        e -= 1.0;
    }
    for (var i = 0; i < 3 && m >= 1.41421356237309504880; i++) {
        m = m * 0.5;
        e += 1.0;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    var power = s;
    var sum = s;
    for (var n = 3; n <= 23; n += 2) {
        power = power * s2;
        sum += power / T(n);
    }
    return e * LN2_HI + (2.0 * sum + e * LN2_LO);
}

fn t_log1p(x: T) -> T {
    if (abs(x) < 1e-4) {
        return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * (0.2 - x / 6.0)))));
    }
    return t_log(1.0 + x);
}

fn t_tanh(x: T) -> T {
    // tanh x = expm1(2x) / (expm1(2x) + 2), exact in sign and accurate near 0.
    let z = min(abs(x), 40.0);
    let e = t_expm1(2.0 * z);
    return sign(x) * e / (e + 2.0);
}

fn t_erf(x: T) -> T {
    let z = abs(x);
    if (z < 2.0) {
        // erf z = 2/√π Σ (−1)ⁿ z^(2n+1) / (n! (2n+1)); below 2 the cancellation costs < 6 ulp.
        var term = z;
        var sum = z;
        let z2 = z * z;
        for (var n = 1; n <= 45; n++) {
            term = -term * z2 / T(n);
            sum += term / T(2 * n + 1);
        }
        return sign(x) * sum * 1.12837916709551257390;
    }
    // erfc z = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3⁄2/(z + …)))), summed from the tail.
    var f = z;
    for (var n = 160; n >= 1; n--) {
        f = z + (T(n) * 0.5) / f;
    }
    let erfc = t_exp(-z * z) * 0.56418958354775628695 / f;
    return sign(x) * (1.0 - erfc);
}
