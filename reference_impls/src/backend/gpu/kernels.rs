//! The WGSL kernels, one file per op family, compiled into the binary and assembled per precision.

use bytemuck::{Pod, Zeroable};

/// The float width a kernel computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// 32-bit: training.
    F32,
    /// 64-bit: verify and gradient checks (needs the adapter's `SHADER_F64`).
    F64,
}

impl Precision {
    fn prelude(self) -> &'static str {
        match self {
            Precision::F32 => include_str!("kernels/prelude_f32.wgsl"),
            Precision::F64 => include_str!("kernels/prelude_f64.wgsl"),
        }
    }
}

/// A family of kernels: one `.wgsl` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Gemm,
    Elementwise,
    Reduce,
    Softmax,
    LayerNorm,
    Conv,
    Pool,
    Embedding,
    Recurrent,
    Attention,
    Optim,
}

impl Family {
    fn source(self) -> &'static str {
        match self {
            Family::Gemm => include_str!("kernels/gemm.wgsl"),
            Family::Elementwise => include_str!("kernels/elementwise.wgsl"),
            Family::Reduce => include_str!("kernels/reduce.wgsl"),
            Family::Softmax => include_str!("kernels/softmax.wgsl"),
            Family::LayerNorm => include_str!("kernels/layer_norm.wgsl"),
            Family::Conv => include_str!("kernels/conv.wgsl"),
            Family::Pool => include_str!("kernels/pool.wgsl"),
            Family::Embedding => include_str!("kernels/embedding.wgsl"),
            Family::Recurrent => include_str!("kernels/recurrent.wgsl"),
            Family::Attention => include_str!("kernels/attention.wgsl"),
            Family::Optim => include_str!("kernels/optim.wgsl"),
        }
    }

    /// Helpers the family shares with others (`rows_common.wgsl`, `window.wgsl`).
    fn shared(self) -> &'static str {
        match self {
            Family::Reduce | Family::Softmax | Family::LayerNorm => {
                include_str!("kernels/rows_common.wgsl")
            }
            Family::Conv | Family::Pool => include_str!("kernels/window.wgsl"),
            _ => "",
        }
    }

    /// The full module: the precision prelude, the shared parameters, the helpers the family
    /// shares, then the family's kernels.
    pub(crate) fn module(self, precision: Precision) -> String {
        [
            precision.prelude(),
            include_str!("kernels/common.wgsl"),
            self.shared(),
            self.source(),
        ]
        .join("\n")
    }
}

/// One kernel: an entry point of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Kernel {
    pub(crate) family: Family,
    pub(crate) entry: &'static str,
}

impl Kernel {
    pub(crate) const fn new(family: Family, entry: &'static str) -> Self {
        Self { family, entry }
    }
}

/// The parameters of one launch, as `common.wgsl`'s `Params`: 16 integers and 8 reals, each real
/// split into an f32 pair (hi, lo) whose sum carries about 48 bits to f64 kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct Params {
    u: [u32; 16],
    f: [f32; 16],
}

impl Params {
    /// Integer parameters `u[0..]` (at most 16).
    pub(crate) fn ints(mut self, values: &[usize]) -> Self {
        for (slot, &v) in self.u.iter_mut().zip(values) {
            *slot = u32::try_from(v).expect("GPU shapes are checked to fit in u32");
        }
        self
    }

    /// Sets integer parameter `u[index]`.
    pub(crate) fn set_int(&mut self, index: usize, value: usize) {
        self.u[index] = u32::try_from(value).expect("GPU shapes are checked to fit in u32");
    }

    /// Real parameters `f[0..]` (at most 8).
    pub(crate) fn reals(mut self, values: &[f64]) -> Self {
        for (pair, &v) in self.f.chunks_exact_mut(2).zip(values) {
            let hi = v as f32;
            pair[0] = hi;
            // ±∞ travels as (±∞, 0): ∞ − ∞ would make the pair NaN.
            pair[1] = if hi.is_finite() {
                (v - f64::from(hi)) as f32
            } else {
                0.0
            };
        }
        self
    }
}

/// Workgroups for a 1-D launch of `n` invocations in groups of 256, spread over x and y so that
/// neither exceeds the 65,535 limit (`common.wgsl`'s `flat_index`).
pub(crate) fn grid_1d(n: usize) -> [u32; 3] {
    grid_rows(n.div_ceil(256))
}

/// Workgroups for one workgroup per row, `rows` of them (`common.wgsl`'s `group_index`).
pub(crate) fn grid_rows(rows: usize) -> [u32; 3] {
    const MAX: usize = 65_535;
    let x = rows.min(MAX);
    let y = if x == 0 { 0 } else { rows.div_ceil(x) };
    [x as u32, y as u32, 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_travel_as_pairs_with_about_48_bits() {
        let p = Params::default().reals(&[0.1, -3.0]);
        let back = f64::from(p.f[0]) + f64::from(p.f[1]);
        assert!((back - 0.1).abs() < 1e-15, "{back}");
        assert_eq!((p.f[2], p.f[3]), (-3.0, 0.0));
    }

    #[test]
    fn grids_stay_under_the_dispatch_limit() {
        assert_eq!(grid_1d(0), [0, 0, 1]);
        assert_eq!(grid_1d(1), [1, 1, 1]);
        assert_eq!(grid_1d(257), [2, 1, 1]);
        let [x, y, _] = grid_rows(200_000);
        assert!(x <= 65_535 && (x as usize) * (y as usize) >= 200_000);
    }
}
