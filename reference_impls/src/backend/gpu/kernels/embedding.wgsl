// Embedding lookup and its adjoint. u = [L ids, D width, V vocabulary].

@group(0) @binding(1) var<storage, read> table: array<T>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read> dy: array<T>;
@group(0) @binding(5) var<storage, read> starts: array<u32>;
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

// out = dtable[v, d] += Σ dy[l, d] over the ids l equal to v, which the host lists as
// positions[starts[v] .. starts[v + 1]] (a deterministic scatter-add, no atomics).
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
    for (var p = starts[v]; p < starts[v + 1u]; p++) {
        acc += dy[positions[p] * D + d];
    }
    out[e] += acc;
}
