// Softmax and log-softmax along the rows of [rows, cols], and their adjoints; one workgroup
// per row. u = [rows, cols].

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@group(0) @binding(3) var<storage, read> dy: array<T>;

// The row's max and log Σ exp(x − max).
fn row_stats(row: u32, lid: u32, valid: bool) -> vec2<T> {
    let cols = pu(1u);
    var m = neg_inf();
    if (valid) {
        for (var j = lid; j < cols; j += WG) {
            m = max(m, x[row * cols + j]);
        }
    }
    partial[lid] = m;
    let row_max = reduce_partial(lid, true);
    var s = T(0.0);
    if (valid) {
        for (var j = lid; j < cols; j += WG) {
            s += t_exp(x[row * cols + j] - row_max);
        }
    }
    partial[lid] = s;
    return vec2<T>(row_max, t_log(reduce_partial(lid, false)));
}

// out = exp(x − max) / Σ exp(x − max).
@compute @workgroup_size(256, 1, 1)
fn softmax(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let stats = row_stats(row, lid.x, valid);
    if (valid) {
        let cols = pu(1u);
        for (var j = lid.x; j < cols; j += WG) {
            out[row * cols + j] = t_exp(x[row * cols + j] - stats.x - stats.y);
        }
    }
}

// out = x − max − log Σ exp(x − max).
@compute @workgroup_size(256, 1, 1)
fn log_softmax(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let stats = row_stats(row, lid.x, valid);
    if (valid) {
        let cols = pu(1u);
        for (var j = lid.x; j < cols; j += WG) {
            out[row * cols + j] = x[row * cols + j] - stats.x - stats.y;
        }
    }
}

// From the softmax output y (bound as x): out = y ⊙ (dy − Σ_j dy_j·y_j).
@compute @workgroup_size(256, 1, 1)
fn softmax_backward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let cols = pu(1u);
    var s = T(0.0);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            s += x[row * cols + j] * dy[row * cols + j];
        }
    }
    partial[lid.x] = s;
    let dot = reduce_partial(lid.x, false);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            let i = row * cols + j;
            out[i] = x[i] * (dy[i] - dot);
        }
    }
}

// From the log-softmax output y (bound as x): out = dy − exp(y)·Σ_j dy_j.
@compute @workgroup_size(256, 1, 1)
fn log_softmax_backward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let cols = pu(1u);
    var s = T(0.0);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            s += dy[row * cols + j];
        }
    }
    partial[lid.x] = s;
    let total = reduce_partial(lid.x, false);
    if (valid) {
        for (var j = lid.x; j < cols; j += WG) {
            let i = row * cols + j;
            out[i] = dy[i] - t_exp(x[i]) * total;
        }
    }
}

@group(0) @binding(4) var<storage, read> targets: array<u32>;
@group(0) @binding(5) var<storage, read_write> losses: array<T>;

// Softmax cross-entropy with class targets, one workgroup per row n of the logits (bound as x):
// out = (softmax(x_n) − onehot(t_n))/N, losses[n] = log Σ exp(x_n) − x_n[t_n].
@compute @workgroup_size(256, 1, 1)
fn cross_entropy(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg);
    let valid = row < pu(0u);
    let stats = row_stats(row, lid.x, valid);
    if (valid) {
        let cols = pu(1u);
        let wanted = targets[row];
        let inv_n = 1.0 / T(pu(0u));
        for (var j = lid.x; j < cols; j += WG) {
            let p = t_exp(x[row * cols + j] - stats.x - stats.y);
            out[row * cols + j] = (p - select(T(0.0), T(1.0), j == wanted)) * inv_n;
        }
        if (lid.x == 0u) {
            losses[row] = stats.x + stats.y - x[row * cols + wanted];
        }
    }
}
