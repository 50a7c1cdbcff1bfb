// Convolution as im2col + GEMM, and the adjoint col2im. u = [N, C, H, W, kH, kW, stride, pad,
// OH, OW]. cols is [C·kH·kW, N·OH·OW]: row (c, ki, kj), column (n, oh, ow).

@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;

// dst = cols: the window each output position sees (zeros in the padding).
@compute @workgroup_size(256, 1, 1)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    let positions = N * OH * OW;
    if (e >= C * KH * KW * positions) {
        return;
    }
    let row = e / positions;
    let col = e % positions;
    let c = row / (KH * KW);
    let ki = (row / KW) % KH;
    let kj = row % KW;
    let n = col / (OH * OW);
    let oh = (col / OW) % OH;
    let ow = col % OW;
    // Signed arithmetic: the window may start in the padding.
    let h = i32(oh * S + ki) - i32(P);
    let w = i32(ow * S + kj) - i32(P);
    var v = T(0.0);
    if (h >= 0 && h < i32(H) && w >= 0 && w < i32(W)) {
        v = src[((n * C + c) * H + u32(h)) * W + u32(w)];
    }
    dst[e] = v;
}

// dst = dx [N, C, H, W] += every entry of cols (src) that im2col took from that position.
@compute @workgroup_size(256, 1, 1)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let N = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u);
    let KH = pu(4u); let KW = pu(5u); let S = pu(6u); let P = pu(7u);
    let OH = pu(8u); let OW = pu(9u);
    if (e >= N * C * H * W) {
        return;
    }
    let w = e % W;
    let h = (e / W) % H;
    let c = (e / (W * H)) % C;
    let n = e / (W * H * C);
    let positions = N * OH * OW;
    var acc = T(0.0);
    for (var ki = 0u; ki < KH; ki++) {
        // oh·S + ki − P = h  ⇔  oh = (h + P − ki)/S, when that is a whole number in range.
        let dh = i32(h + P) - i32(ki);
        if (dh < 0 || dh % i32(S) != 0 || u32(dh) / S >= OH) {
            continue;
        }
        let oh = u32(dh) / S;
        for (var kj = 0u; kj < KW; kj++) {
            let dw = i32(w + P) - i32(kj);
            if (dw < 0 || dw % i32(S) != 0 || u32(dw) / S >= OW) {
                continue;
            }
            let ow = u32(dw) / S;
            let row = (c * KH + ki) * KW + kj;
            acc += src[row * positions + (n * OH + oh) * OW + ow];
        }
    }
    dst[e] += acc;
}
