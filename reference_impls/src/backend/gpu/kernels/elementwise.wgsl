// Element-wise maps: the activations (forward and backward), a few unary functions, binary
// operations, axpy and fill. Parameters: u = [n, op]; f = [a, b] (an activation's parameters,
// or the scalars of an affine map / axpy / fill).
//
// Unary op codes: 0 sigmoid, 1 tanh, 2 relu, 3 leaky relu (a = slope), 4 elu (a = α), 5 gelu,
// 6 gelu (tanh approximation), 7 silu, 8 softplus (a = β, b = threshold), 20 exp, 21 log,
// 22 a·x + b, 23 sqrt, 24 x², 25 1/x.
// Binary op codes: 0 a·x + b·y, 1 x·y, 2 x/y, 3 max(x, y), 4 min(x, y).

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

const FRAC_1_SQRT_2 = 0.70710678118654752440;
const SQRT_2_OVER_PI = 0.79788456080286535588;
const INV_SQRT_2PI = 0.39894228040143267794;
const GELU_CUBIC = 0.044715;

fn sigmoid(v: T) -> T {
    if (v >= 0.0) {
        return 1.0 / (1.0 + t_exp(-v));
    }
    let e = t_exp(v);
    return e / (1.0 + e);
}

fn softplus(v: T) -> T {
    return max(v, 0.0) + t_log1p(t_exp(-abs(v)));
}

fn gelu_tanh_inner(v: T) -> T {
    return T(SQRT_2_OVER_PI) * (v + T(GELU_CUBIC) * v * v * v);
}

fn activation(op: u32, v: T, a: T, b: T) -> T {
    switch op {
        case 0u: { return sigmoid(v); }
        case 1u: { return t_tanh(v); }
        case 2u: { return max(v, 0.0); }
        case 3u: { return select(a * v, v, v > 0.0); }
        case 4u: { return select(a * t_expm1(v), v, v > 0.0); }
        case 5u: { return 0.5 * v * (1.0 + t_erf(v * T(FRAC_1_SQRT_2))); }
        case 6u: { return 0.5 * v * (1.0 + t_tanh(gelu_tanh_inner(v))); }
        case 7u: { return v * sigmoid(v); }
        case 8u: {
            let bx = a * v;
            return select(softplus(bx) / a, v, bx > b);
        }
        case 20u: { return t_exp(v); }
        case 21u: { return t_log(v); }
        case 22u: { return a * v + b; }
        case 23u: { return sqrt(v); }
        case 24u: { return v * v; }
        case 25u: { return 1.0 / v; }
        default: { return v; }
    }
}

fn derivative(op: u32, v: T, a: T, b: T) -> T {
    switch op {
        case 0u: {
            let s = sigmoid(v);
            return s * (1.0 - s);
        }
        case 1u: {
            let t = t_tanh(v);
            return 1.0 - t * t;
        }
        case 2u: { return select(T(0.0), T(1.0), v > 0.0); }
        case 3u: { return select(a, T(1.0), v > 0.0); }
        case 4u: { return select(a * t_exp(v), T(1.0), v > 0.0); }
        case 5u: {
            let cdf = 0.5 * (1.0 + t_erf(v * T(FRAC_1_SQRT_2)));
            let pdf = t_exp(-0.5 * v * v) * T(INV_SQRT_2PI);
            return cdf + v * pdf;
        }
        case 6u: {
            let t = t_tanh(gelu_tanh_inner(v));
            let du = T(SQRT_2_OVER_PI) * (1.0 + T(3.0 * GELU_CUBIC) * v * v);
            return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du;
        }
        case 7u: {
            let s = sigmoid(v);
            return s * (1.0 + v * (1.0 - s));
        }
        case 8u: {
            let bx = a * v;
            return select(sigmoid(bx), T(1.0), bx > b);
        }
        case 20u: { return t_exp(v); }
        case 21u: { return 1.0 / v; }
        case 22u: { return a; }
        case 23u: { return 0.5 / sqrt(v); }
        case 24u: { return 2.0 * v; }
        case 25u: { return -1.0 / (v * v); }
        default: { return T(1.0); }
    }
}

// out[i] = f(x[i]).
@compute @workgroup_size(256, 1, 1)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        out[i] = activation(pu(1u), x[i], pf(0u), pf(1u));
    }
}

@group(0) @binding(3) var<storage, read> y: array<T>;

// out[i] = y[i] · f'(x[i]): the backward of `unary` with y = dL/df.
@compute @workgroup_size(256, 1, 1)
fn unary_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        out[i] = y[i] * derivative(pu(1u), x[i], pf(0u), pf(1u));
    }
}

// out[i] = x[i] ⊕ y[i].
@compute @workgroup_size(256, 1, 1)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        let u = x[i];
        let v = y[i];
        var r: T;
        switch pu(1u) {
            case 0u: { r = pf(0u) * u + pf(1u) * v; }
            case 1u: { r = u * v; }
            case 2u: { r = u / v; }
            case 3u: { r = max(u, v); }
            default: { r = min(u, v); }
        }
        out[i] = r;
    }
}

// out[i] = a·x[i] + b·out[i] (axpy, in place on out).
@compute @workgroup_size(256, 1, 1)
fn axpby(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        out[i] = pf(0u) * x[i] + pf(1u) * out[i];
    }
}

// out[i] = a.
@compute @workgroup_size(256, 1, 1)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        out[i] = pf(0u);
    }
}

// out[(o·C + c)·inner + i] ← β·out[…] + x[c]: a bias per channel c of an [outer, C, inner]
// tensor (inner = 1 for the rows of a linear layer, H·W for NCHW); β = 0 ignores out's previous
// contents. u = [n, C, inner]; f = [β].
@compute @workgroup_size(256, 1, 1)
fn bias_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        let beta = pf(0u);
        var kept = T(0.0);
        if (beta != 0.0) {
            kept = beta * out[i];
        }
        out[i] = kept + x[(i / pu(2u)) % pu(1u)];
    }
}
