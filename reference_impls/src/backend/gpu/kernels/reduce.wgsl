// Reductions, one workgroup per output, the 256 invocations striding over the inputs and then
// summing their partial results as a tree in workgroup memory.

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

// out[c] += Σ x[(o·C + c)·inner + i] over o < outer, i < inner: the gradient of a channel bias.
// u = [outer, C, inner].
@compute @workgroup_size(256, 1, 1)
fn channel_sums(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = group_index(wid, nwg);
    let channels = pu(1u);
    let inner = pu(2u);
    let count = pu(0u) * inner;
    var acc = T(0.0);
    if (c < channels) {
        for (var e = lid.x; e < count; e += WG) {
            let o = e / inner;
            acc += x[(o * channels + c) * inner + e % inner];
        }
    }
    partial[lid.x] = acc;
    let total = reduce_partial(lid.x, false);
    if (c < channels && lid.x == 0u) {
        out[c] += total;
    }
}

// out[r] = reduction of row r of x [rows, cols]: op 0 sum, 1 max, 2 sum of squares.
// u = [rows, cols, op].
@compute @workgroup_size(256, 1, 1)
fn row_reduce(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = group_index(wid, nwg);
    let cols = pu(1u);
    let op = pu(2u);
    var acc = select(T(0.0), neg_inf(), op == 1u);
    if (r < pu(0u)) {
        for (var j = lid.x; j < cols; j += WG) {
            let v = x[r * cols + j];
            switch op {
                case 1u: { acc = max(acc, v); }
                case 2u: { acc += v * v; }
                default: { acc += v; }
            }
        }
    }
    partial[lid.x] = acc;
    let total = reduce_partial(lid.x, op == 1u);
    if (r < pu(0u) && lid.x == 0u) {
        out[r] = total;
    }
}
