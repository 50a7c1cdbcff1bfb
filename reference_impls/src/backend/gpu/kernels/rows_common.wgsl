// What the one-workgroup-per-row kernels share: the partial results of the 256 invocations and
// their tree reduction.

var<workgroup> partial: array<T, 256>;

// Reduces `partial` to its sum (or its max when `take_max`); every invocation of the workgroup
// calls it, and all get the result.
fn reduce_partial(lid: u32, take_max: bool) -> T {
    for (var width = 128u; width > 0u; width = width / 2u) {
        workgroupBarrier();
        if (lid < width) {
            let other = partial[lid + width];
            partial[lid] = select(partial[lid] + other, max(partial[lid], other), take_max);
        }
    }
    workgroupBarrier();
    let result = partial[0];
    workgroupBarrier();
    return result;
}
