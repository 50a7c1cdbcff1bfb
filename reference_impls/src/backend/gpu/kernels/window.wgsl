// What convolution and pooling share: the window geometry (u = [N, C, H, W, kH, kW, stride, pad,
// OH, OW]) and, for the adjoints, which output a kernel offset maps an input position to.

struct Window {
    n: u32, c: u32, h: u32, w: u32,
    kh: u32, kw: u32, stride: u32, pad: u32,
    oh: u32, ow: u32,
}

fn window() -> Window {
    return Window(pu(0u), pu(1u), pu(2u), pu(3u), pu(4u), pu(5u), pu(6u), pu(7u), pu(8u), pu(9u));
}

// The input row (or column) that output `o` sees at kernel offset `k`, or −1 in the padding.
fn input_at(o: u32, k: u32, g: Window, size: u32) -> i32 {
    let at = i32(o * g.stride + k) - i32(g.pad);
    return select(-1, at, at >= 0 && at < i32(size));
}

// The output index o with o·stride + k − pad = `pos`, or −1 when there is none below `outputs`.
fn output_at(pos: u32, k: u32, g: Window, outputs: u32) -> i32 {
    let d = i32(pos + g.pad) - i32(k);
    if (d < 0 || d % i32(g.stride) != 0 || u32(d) / g.stride >= outputs) {
        return -1;
    }
    return d / i32(g.stride);
}
