// Layer normalisation over the last axis of [rows, cols], with a scale γ and shift β per column,
// as PyTorch's LayerNorm: x̂ = (x − μ)·r, r = 1/√(σ² + ε) (σ² the biased variance),
// y = γ ⊙ x̂ + β. The forward keeps x̂ and r for the backward. u = [rows, cols]; f = [ε].

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> gamma: array<T>;
@group(0) @binding(3) var<storage, read> beta: array<T>;
@group(0) @binding(4) var<storage, read_write> y: array<T>;
@group(0) @binding(5) var<storage, read_write> xhat_out: array<T>;
@group(0) @binding(6) var<storage, read> dy: array<T>;
@group(0) @binding(7) var<storage, read> xhat: array<T>;
@group(0) @binding(8) var<storage, read_write> dgamma: array<T>;
@group(0) @binding(9) var<storage, read_write> dbeta: array<T>;
@group(0) @binding(10) var<storage, read_write> inv_std_out: array<T>;
@group(0) @binding(11) var<storage, read> inv_std: array<T>;

// One workgroup per row: y, x̂ (xhat_out) and r (inv_std_out).
@compute @workgroup_size(256, 1, 1)
fn layer_norm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let cols = pu(1u);
    let n = T(cols);
    var s = T(0.0);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            s += x[row * cols + j];
        }
    }
    partial[lid.x] = s;
    let mean = reduce_partial(lid.x, false) / n;
    var q = T(0.0);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            let d = x[row * cols + j] - mean;
            q += d * d;
        }
    }
    partial[lid.x] = q;
    let r = 1.0 / sqrt(reduce_partial(lid.x, false) / n + pf(0u));
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            let i = row * cols + j;
            let h = (x[i] - mean) * r;
            xhat_out[i] = h;
            y[i] = gamma[j] * h + beta[j];
        }
        if (lid.x == 0u) {
            inv_std_out[row] = r;
        }
    }
}

// dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂)), g = dy ⊙ γ; written to y's binding.
@compute @workgroup_size(256, 1, 1)
fn layer_norm_backward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let cols = pu(1u);
    let n = T(cols);
    var sg = T(0.0);
    var sgx = T(0.0);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            let i = row * cols + j;
            let g = dy[i] * gamma[j];
            sg += g;
            sgx += g * xhat[i];
        }
    }
    partial[lid.x] = sg;
    let mean_g = reduce_partial(lid.x, false) / n;
    partial[lid.x] = sgx;
    let mean_gx = reduce_partial(lid.x, false) / n;
    if (valid) {
        let r = inv_std[row];
        for (var j = lid.x; j < cols; j += WG) {
            let i = row * cols + j;
            y[i] = r * (dy[i] * gamma[j] - mean_g - xhat[i] * mean_gx);
        }
    }
}

// dγ[j] += Σ_rows dy ⊙ x̂, dβ[j] += Σ_rows dy; one invocation per column.
@compute @workgroup_size(256, 1, 1)
fn layer_norm_params_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = flat_index(gid, nwg);
    let cols = pu(1u);
    if (j < cols) {
        var sg = T(0.0);
        var sb = T(0.0);
        for (var r = 0u; r < pu(0u); r++) {
            let i = r * cols + j;
            sg += dy[i] * xhat[i];
            sb += dy[i];
        }
        dgamma[j] += sg;
        dbeta[j] += sb;
    }
}
