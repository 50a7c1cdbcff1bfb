// Attention masking, in place on the scores S [N, Lq, Lk] before the softmax; a masked score
// becomes −∞, so that its probability is 0 and softmax's adjoint gives it no gradient.

@group(0) @binding(1) var<storage, read_write> scores: array<T>;
@group(0) @binding(2) var<storage, read> keep: array<u32>;

// S[n, i, j] = value where j > i (a query sees only itself and earlier keys). u = [N, Lq, Lk];
// f = [value] (−∞ included).
@compute @workgroup_size(256, 1, 1)
fn mask_causal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let Lq = pu(1u);
    let Lk = pu(2u);
    if (e < pu(0u) * Lq * Lk && e % Lk > (e / Lk) % Lq) {
        scores[e] = pf(0u);
    }
}

// S[n, i, j] = −∞ where keep[n / heads, j] = 0 (padding keys of sequence n / heads).
// u = [N, Lq, Lk, heads].
@compute @workgroup_size(256, 1, 1)
fn mask_keys(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let Lq = pu(1u);
    let Lk = pu(2u);
    if (e >= pu(0u) * Lq * Lk) {
        return;
    }
    let n = e / (Lq * Lk);
    if (keep[(n / pu(3u)) * Lk + e % Lk] == 0u) {
        scores[e] = neg_inf();
    }
}
