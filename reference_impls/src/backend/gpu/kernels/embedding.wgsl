// Embedding lookup and its adjoint. u = [L ids, D width, V vocabulary].

@group(0) @binding(1) var<storage, read> table: array<T>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read> dy: array<T>;
@group(0) @binding(5) var<storage, read> sorted_ids: array<u32>;
@group(0) @binding(6) var<storage, read> positions: array<u32>;

// out[l, d] = table[ids[l], d].
@compute @workgroup_size(256, 1, 1)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let D = pu(1u);
    if (e < pu(0u) * D) {
        out[e] = table[ids[e / D] * D + e % D];
    }
}

// The first index of sorted_ids[0 .. L] that is ≥ v.
fn lower_bound(v: u32) -> u32 {
    var lo = 0u;
    var hi = pu(0u);
    while (lo < hi) {
        let mid = (lo + hi) / 2u;
        if (sorted_ids[mid] < v) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// out = dtable[v, d] += Σ dy[l, d] over the ids l equal to v: the ids sorted on the host
// (sorted_ids, with their positions l), each row finds its run by binary search; a
// deterministic scatter-add, no atomics.
@compute @workgroup_size(256, 1, 1)
fn scatter_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let D = pu(1u);
    if (e >= pu(2u) * D) {
        return;
    }
    let v = e / D;
    let d = e % D;
    var acc = T(0.0);
    for (var p = lower_bound(v); p < lower_bound(v + 1u); p++) {
        acc += dy[positions[p] * D + d];
    }
    out[e] += acc;
}
