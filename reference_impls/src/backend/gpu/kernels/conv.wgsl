// Convolution as im2col + GEMM, and the adjoint col2im. u = [N, C, H, W, kH, kW, stride, pad,
// OH, OW]. cols is [C·kH·kW, N·OH·OW]: row (c, ki, kj), column (n, oh, ow).

@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;

// dst = cols: the window each output position sees (zeros in the padding).
@compute @workgroup_size(256, 1, 1)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let g = window();
    let positions = g.n * g.oh * g.ow;
    if (e >= g.c * g.kh * g.kw * positions) {
        return;
    }
    let row = e / positions;
    let col = e % positions;
    let c = row / (g.kh * g.kw);
    let n = col / (g.oh * g.ow);
    let h = input_at((col / g.ow) % g.oh, (row / g.kw) % g.kh, g, g.h);
    let w = input_at(col % g.ow, row % g.kw, g, g.w);
    var v = T(0.0);
    if (h >= 0 && w >= 0) {
        v = src[((n * g.c + c) * g.h + u32(h)) * g.w + u32(w)];
    }
    dst[e] = v;
}

// dst = dx [N, C, H, W] += every entry of cols (src) that im2col took from that position.
@compute @workgroup_size(256, 1, 1)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let g = window();
    if (e >= g.n * g.c * g.h * g.w) {
        return;
    }
    let w = e % g.w;
    let h = (e / g.w) % g.h;
    let c = (e / (g.w * g.h)) % g.c;
    let n = e / (g.w * g.h * g.c);
    let positions = g.n * g.oh * g.ow;
    var acc = T(0.0);
    for (var ki = 0u; ki < g.kh; ki++) {
        let oh = output_at(h, ki, g, g.oh);
        for (var kj = 0u; kj < g.kw; kj++) {
            let ow = output_at(w, kj, g, g.ow);
            if (oh >= 0 && ow >= 0) {
                let row = (c * g.kh + ki) * g.kw + kj;
                acc += src[row * positions + (n * g.oh + u32(oh)) * g.ow + u32(ow)];
            }
        }
    }
    dst[e] += acc;
}
