// 2-D max and average pooling over NCHW in floor mode, as PyTorch's max_pool2d / avg_pool2d
// (average counts padded zeros: count_include_pad). Geometry: window.wgsl.

@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;
@group(0) @binding(3) var<storage, read_write> argmax_out: array<u32>;
@group(0) @binding(4) var<storage, read> argmax_in: array<u32>;

// The output position (plane, oh, ow) of invocation e, or plane = −1 past the end.
fn output_position(e: u32, g: Window) -> vec3<i32> {
    if (e >= g.n * g.c * g.oh * g.ow) {
        return vec3<i32>(-1, 0, 0);
    }
    return vec3<i32>(i32(e / (g.ow * g.oh)), i32((e / g.ow) % g.oh), i32(e % g.ow));
}

// y[n, c, oh, ow] = max of the window; argmax = h·W + w of the first maximum.
@compute @workgroup_size(256, 1, 1)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let g = window();
    let o = output_position(e, g);
    if (o.x < 0) {
        return;
    }
    var best = neg_inf();
    var at = 0u;
    var found = false;
    for (var ki = 0u; ki < g.kh; ki++) {
        let h = input_at(u32(o.y), ki, g, g.h);
        for (var kj = 0u; kj < g.kw; kj++) {
            let w = input_at(u32(o.z), kj, g, g.w);
            if (h >= 0 && w >= 0) {
                let v = src[u32(o.x) * g.h * g.w + u32(h) * g.w + u32(w)];
                if (!found || v > best) {
                    best = v;
                    at = u32(h) * g.w + u32(w);
                    found = true;
                }
            }
        }
    }
    dst[e] = best;
    argmax_out[e] = at;
}

// y[n, c, oh, ow] = (Σ of the window, padding as zeros) / (kH·kW).
@compute @workgroup_size(256, 1, 1)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let g = window();
    let o = output_position(e, g);
    if (o.x < 0) {
        return;
    }
    var acc = T(0.0);
    for (var ki = 0u; ki < g.kh; ki++) {
        let h = input_at(u32(o.y), ki, g, g.h);
        for (var kj = 0u; kj < g.kw; kj++) {
            let w = input_at(u32(o.z), kj, g, g.w);
            if (h >= 0 && w >= 0) {
                acc += src[u32(o.x) * g.h * g.w + u32(h) * g.w + u32(w)];
            }
        }
    }
    dst[e] = acc / T(g.kh * g.kw);
}

// dx[n, c, h, w] = Σ dy over the outputs whose window holds (h, w): all of them for average
// pooling (divided by kH·kW), those whose maximum was there for max pooling (u[10] = 1).
@compute @workgroup_size(256, 1, 1)
fn pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat_index(gid, nwg);
    let g = window();
    if (e >= g.n * g.c * g.h * g.w) {
        return;
    }
    let is_max = pu(10u) != 0u;
    let at = e % (g.h * g.w);
    let plane = e / (g.h * g.w);
    var acc = T(0.0);
    for (var ki = 0u; ki < g.kh; ki++) {
        let oh = output_at(at / g.w, ki, g, g.oh);
        for (var kj = 0u; kj < g.kw; kj++) {
            let ow = output_at(at % g.w, kj, g, g.ow);
            if (oh >= 0 && ow >= 0) {
                let o = (plane * g.oh + u32(oh)) * g.ow + u32(ow);
                if (!is_max || argmax_in[o] == at) {
                    acc += src[o];
                }
            }
        }
    }
    dst[e] = select(acc / T(g.kh * g.kw), acc, is_max);
}
