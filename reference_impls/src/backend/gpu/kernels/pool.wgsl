// 2-D max and average pooling over NCHW in floor mode, as PyTorch's max_pool2d / avg_pool2d
// (average counts padded zeros: count_include_pad). u = [N, C, H, W, kH, kW, stride, pad, OH, OW].

@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;
@group(0) @binding(3) var<storage, read_write> argmax_out: array<u32>;
@group(0) @binding(4) var<storage, read> argmax_in: array<u32>;

// y[n, c, oh, ow] = max of the window; argmax = h·W + w of the first maximum.
@compute @workgroup_size(256, 1, 1)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    if (e >= N * C * OH * OW) {
        return;
    }
    let ow = e % OW;
    let oh = (e / OW) % OH;
    let plane = e / (OW * OH);
    var best = neg_inf();
    var at = 0u;
    var found = false;
    for (var ki = 0u; ki < KH; ki++) {
        let h = i32(oh * S + ki) - i32(P);
        for (var kj = 0u; kj < KW; kj++) {
            let w = i32(ow * S + kj) - i32(P);
            if (h >= 0 && h < i32(H) && w >= 0 && w < i32(W)) {
                let v = src[plane * H * W + u32(h) * W + u32(w)];
                if (!found || v > best) {
                    best = v;
                    at = u32(h) * W + u32(w);
                    found = true;
                }
            }
        }
    }
    dst[e] = best;
    argmax_out[e] = at;
}

// dx[n, c, h, w] = Σ dy over the outputs whose maximum was at (h, w).
@compute @workgroup_size(256, 1, 1)
fn max_pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    if (e >= N * C * H * W) {
        return;
    }
    let at = e % (H * W);
    let h = at / W;
    let w = at % W;
    let plane = e / (H * W);
    var acc = T(0.0);
    for (var ki = 0u; ki < KH; ki++) {
        let dh = i32(h + P) - i32(ki);
        if (dh < 0 || dh % i32(S) != 0 || u32(dh) / S >= OH) {
            continue;
        }
        for (var kj = 0u; kj < KW; kj++) {
            let dw = i32(w + P) - i32(kj);
            if (dw < 0 || dw % i32(S) != 0 || u32(dw) / S >= OW) {
                continue;
            }
            let o = (plane * OH + u32(dh) / S) * OW + u32(dw) / S;
            if (argmax_in[o] == at) {
                acc += src[o];
            }
        }
    }
    dst[e] = acc;
}

// y[n, c, oh, ow] = (Σ of the window, padding as zeros) / (kH·kW).
@compute @workgroup_size(256, 1, 1)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    if (e >= N * C * OH * OW) {
        return;
    }
    let ow = e % OW;
    let oh = (e / OW) % OH;
    let plane = e / (OW * OH);
    var acc = T(0.0);
    for (var ki = 0u; ki < KH; ki++) {
        let h = i32(oh * S + ki) - i32(P);
        for (var kj = 0u; kj < KW; kj++) {
            let w = i32(ow * S + kj) - i32(P);
            if (h >= 0 && h < i32(H) && w >= 0 && w < i32(W)) {
                acc += src[plane * H * W + u32(h) * W + u32(w)];
            }
        }
    }
    dst[e] = acc / T(KH * KW);
}

// dx[n, c, h, w] = Σ dy / (kH·kW) over the windows that contain (h, w).
@compute @workgroup_size(256, 1, 1)
fn avg_pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    if (e >= N * C * H * W) {
        return;
    }
    let h = (e / W) % H;
    let w = e % W;
    let plane = e / (H * W);
    var acc = T(0.0);
    for (var ki = 0u; ki < KH; ki++) {
        let dh = i32(h + P) - i32(ki);
        if (dh < 0 || dh % i32(S) != 0 || u32(dh) / S >= OH) {
            continue;
        }
        for (var kj = 0u; kj < KW; kj++) {
            let dw = i32(w + P) - i32(kj);
            if (dw < 0 || dw % i32(S) != 0 || u32(dw) / S >= OW) {
                continue;
            }
            acc += src[(plane * OH + u32(dh) / S) * OW + u32(dw) / S];
        }
    }
    dst[e] = acc / T(KH * KW);
}
