// Optimiser updates, step for step as torch.optim, in place on the parameter p from its
// gradient g. One invocation per element.

@group(0) @binding(1) var<storage, read_write> p: array<T>;
@group(0) @binding(2) var<storage, read> g: array<T>;
@group(0) @binding(3) var<storage, read_write> buf: array<T>;
@group(0) @binding(4) var<storage, read_write> m: array<T>;
@group(0) @binding(5) var<storage, read_write> v: array<T>;

// p ← p − lr·(g + wd·p). u = [n]; f = [lr, wd].
@compute @workgroup_size(256, 1, 1)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < pu(0u)) {
        p[i] -= pf(0u) * (g[i] + pf(1u) * p[i]);
    }
}

// d = g + wd·p; buf ← d on the first step, else μ·buf + (1 − dampening)·d;
// p ← p − lr·(nesterov ? d + μ·buf : buf). u = [n, first, nesterov]; f = [lr, wd, μ, dampening].
@compute @workgroup_size(256, 1, 1)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= pu(0u)) {
        return;
    }
    let mu = pf(2u);
    let d = g[i] + pf(1u) * p[i];
    var b = d;
    if (pu(1u) == 0u) {
        b = mu * buf[i] + (1.0 - pf(3u)) * d;
    }
    buf[i] = b;
    p[i] -= pf(0u) * select(b, d + mu * b, pu(2u) != 0u);
}

// Adam (wd added to g) or AdamW (p shrunk by 1 − lr·wd): m ← β₁m + (1 − β₁)g,
// v ← β₂v + (1 − β₂)g², p ← p − step·m / (√v·c₂ + ε), step = lr/(1 − β₁ᵗ), c₂ = 1/√(1 − β₂ᵗ).
// u = [n, decoupled]; f = [step, c₂, β₁, β₂, ε, wd, 1 − lr·wd].
@compute @workgroup_size(256, 1, 1)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= pu(0u)) {
        return;
    }
    var grad = g[i];
    if (pu(1u) != 0u) {
        p[i] *= pf(6u);
    } else {
        grad += pf(5u) * p[i];
    }
    let b1 = pf(2u);
    let b2 = pf(3u);
    let mi = b1 * m[i] + (1.0 - b1) * grad;
    let vi = b2 * v[i] + (1.0 - b2) * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] -= pf(0u) * mi / (sqrt(vi) * pf(1u) + pf(4u));
}
