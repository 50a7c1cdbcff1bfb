// One time step of the LSTM and GRU cells, PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n).
// The matrix products around them are GEMMs (x_t W_ihᵀ + b_ih, h_{t−1} W_hhᵀ + b_hh). One
// invocation per (b, j), j < H. u = [B, H].

@group(0) @binding(1) var<storage, read> gx: array<T>;
@group(0) @binding(2) var<storage, read> gh: array<T>;
@group(0) @binding(3) var<storage, read> prev: array<T>;
@group(0) @binding(4) var<storage, read_write> gates: array<T>;
@group(0) @binding(5) var<storage, read_write> state: array<T>;
@group(0) @binding(6) var<storage, read_write> hidden: array<T>;
@group(0) @binding(7) var<storage, read> saved_gates: array<T>;
@group(0) @binding(8) var<storage, read> saved_tanh_c: array<T>;
@group(0) @binding(9) var<storage, read> dh: array<T>;
@group(0) @binding(10) var<storage, read_write> dstate: array<T>;
@group(0) @binding(11) var<storage, read_write> dgates: array<T>;
@group(0) @binding(12) var<storage, read_write> tanh_c: array<T>;
@group(0) @binding(13) var<storage, read_write> dgh: array<T>;

fn sigmoid(v: T) -> T {
    if (v >= 0.0) {
        return 1.0 / (1.0 + t_exp(-v));
    }
    let e = t_exp(v);
    return e / (1.0 + e);
}

// gates [B, 4H] holds the pre-activations (i, f, g, o) and is overwritten with σ(i), σ(f),
// tanh(g), σ(o); c = f·c_prev + i·g (prev = c_prev, state = c), tanh_c = tanh(c),
// h = o·tanh(c) (hidden).
@compute @workgroup_size(256, 1, 1)
fn lstm_cell(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let H = pu(1u);
    if (e >= pu(0u) * H) {
        return;
    }
    let base = (e / H) * 4u * H + e % H;
    let i = sigmoid(gates[base]);
    let f = sigmoid(gates[base + H]);
    let g = t_tanh(gates[base + 2u * H]);
    let o = sigmoid(gates[base + 3u * H]);
    gates[base] = i;
    gates[base + H] = f;
    gates[base + 2u * H] = g;
    gates[base + 3u * H] = o;
    let c = f * prev[e] + i * g;
    let t = t_tanh(c);
    state[e] = c;
    tanh_c[e] = t;
    hidden[e] = o * t;
}

// From the activated gates, c_prev (prev), tanh(c) and dL/dh, with dL/dc in dstate: writes
// dL/d(pre-activations) into dgates [B, 4H] and overwrites dstate with dL/dc_prev.
@compute @workgroup_size(256, 1, 1)
fn lstm_cell_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let H = pu(1u);
    if (e >= pu(0u) * H) {
        return;
    }
    let base = (e / H) * 4u * H + e % H;
    let i = saved_gates[base];
    let f = saved_gates[base + H];
    let g = saved_gates[base + 2u * H];
    let o = saved_gates[base + 3u * H];
    let tc = saved_tanh_c[e];
    let dc = dstate[e] + dh[e] * o * (1.0 - tc * tc);
    dgates[base] = dc * g * i * (1.0 - i);
    dgates[base + H] = dc * prev[e] * f * (1.0 - f);
    dgates[base + 2u * H] = dc * i * (1.0 - g * g);
    dgates[base + 3u * H] = dh[e] * tc * o * (1.0 - o);
    dstate[e] = dc * f;
}

// gates = (r, z, n): r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n);
// h = (1 − z)·n + z·h_prev (prev = h_prev, hidden = h).
@compute @workgroup_size(256, 1, 1)
fn gru_cell(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let H = pu(1u);
    if (e >= pu(0u) * H) {
        return;
    }
    let base = (e / H) * 3u * H + e % H;
    let r = sigmoid(gx[base] + gh[base]);
    let z = sigmoid(gx[base + H] + gh[base + H]);
    let n = t_tanh(gx[base + 2u * H] + r * gh[base + 2u * H]);
    gates[base] = r;
    gates[base + H] = z;
    gates[base + 2u * H] = n;
    hidden[e] = (1.0 - z) * n + z * prev[e];
}

// From the saved gates, gh, h_prev (prev) and dL/dh (in dstate): dgates = dL/dgx and
// dgh = dL/dgh (both [B, 3H]); dstate is overwritten with z·dh, the part of dL/dh_prev that
// does not go through W_hh.
@compute @workgroup_size(256, 1, 1)
fn gru_cell_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let H = pu(1u);
    if (e >= pu(0u) * H) {
        return;
    }
    let base = (e / H) * 3u * H + e % H;
    let r = saved_gates[base];
    let z = saved_gates[base + H];
    let n = saved_gates[base + 2u * H];
    let d = dstate[e];
    let dn = d * (1.0 - z) * (1.0 - n * n);
    let dz = d * (prev[e] - n) * z * (1.0 - z);
    let dr = dn * gh[base + 2u * H] * r * (1.0 - r);
    dgates[base] = dr;
    dgates[base + H] = dz;
    dgates[base + 2u * H] = dn;
    dgh[base] = dr;
    dgh[base + H] = dz;
    dgh[base + 2u * H] = dn * r;
    dstate[e] = d * z;
}
