// What every kernel shares: its parameters (16 unsigned integers and 8 reals, each real sent as
// an f32 pair hi + lo so that f64 kernels receive it to about 48 bits) and the flat index of an
// invocation in a 1-D launch spread over two dispatch dimensions.
struct Params {
    u: array<vec4<u32>, 4>,
    f: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> params: Params;

fn pu(i: u32) -> u32 {
    return params.u[i / 4u][i % 4u];
}

fn pf(i: u32) -> T {
    let hi = params.f[(2u * i) / 4u][(2u * i) % 4u];
    let lo = params.f[(2u * i + 1u) / 4u][(2u * i + 1u) % 4u];
    return T(hi) + T(lo);
}

const WG: u32 = 256u;

// The invocation's index in a 1-D launch of `WG`-wide workgroups laid out as x + y·nx.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// The workgroup's index when one workgroup handles one row (x + y·nx).
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// 0, from a parameter the compiler cannot see: keeps overflow to ±∞ out of constant folding.
fn runtime_zero() -> T {
    return T(params.u[3][3] & 0u);
}

// −∞, made at run time (WGSL has no literal for it).
fn neg_inf() -> T {
    let big = T(1e30) + runtime_zero();
    return -big * big * big * big * big * big * big * big * big * big * big;
}
