//! Sequence operations on the GPU: embedding lookup and its scatter-add
//! (`kernels/embedding.wgsl`), LSTM and GRU cell steps (`kernels/recurrent.wgsl`), attention
//! masks (`kernels/attention.wgsl`).

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};

/// Indices on the GPU (token ids, class targets, max-pool positions), with, when uploaded from
/// the host, the ids sorted (and where each came from) for the scatter-add of the embedding
/// backward.
#[derive(Clone, Debug)]
pub struct GpuIndices {
    pub(crate) ids: GpuTensor<u32>,
    /// The ids in increasing order and the position each came from.
    by_value: Option<(GpuTensor<u32>, GpuTensor<u32>)>,
}

impl GpuIndices {
    /// How many indices.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

fn kernel(family: Family, entry: &'static str) -> Kernel {
    Kernel::new(family, entry)
}

/// (B, H) of a step whose gate tensors hold `gates`·H columns, checked against every tensor.
fn step_dims<T: GpuScalar>(
    op: &'static str,
    gates: usize,
    wide: &[&GpuTensor<T>],
    narrow: &[&GpuTensor<T>],
) -> Result<(usize, usize), GpuError> {
    let (batch, hidden) = match *narrow[0].shape() {
        [b, h] => (b, h),
        _ => (usize::MAX, 0),
    };
    let fits = batch != usize::MAX
        && wide.iter().all(|t| t.shape() == [batch, gates * hidden])
        && narrow.iter().all(|t| t.shape() == [batch, hidden]);
    ensure(fits, op, || {
        let w: Vec<_> = wide.iter().map(|t| t.shape().to_vec()).collect();
        let n: Vec<_> = narrow.iter().map(|t| t.shape().to_vec()).collect();
        format!("gate tensors {w:?} and state tensors {n:?} do not fit [B, {gates}·H] and [B, H]")
    })?;
    Ok((batch, hidden))
}

impl Gpu {
    /// Uploads indices (each below 2³²), with the sorted copy the embedding backward needs.
    pub fn upload_indices(&self, host: &[usize]) -> Result<GpuIndices, GpuError> {
        let narrow = |v: usize| {
            u32::try_from(v).map_err(|_| GpuError::Shape {
                op: "upload_indices",
                detail: format!("index {v} does not fit in 32 bits"),
            })
        };
        let ids: Vec<u32> = host.iter().map(|&v| narrow(v)).collect::<Result<_, _>>()?;
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.sort_by_key(|&l| ids[l as usize]);
        let sorted: Vec<u32> = order.iter().map(|&l| ids[l as usize]).collect();
        let len = [ids.len()];
        Ok(GpuIndices {
            ids: self.upload(&ids, &len)?,
            by_value: Some((self.upload(&sorted, &len)?, self.upload(&order, &len)?)),
        })
    }

    /// Room for `len` indices a kernel writes (max-pool positions).
    pub fn indices_for_output(&self, len: usize) -> Result<GpuIndices, GpuError> {
        Ok(GpuIndices {
            ids: self.uninit(&[len])?,
            by_value: None,
        })
    }

    /// `out[l, :] = table[ids[l], :]`; table `[V, D]`, out `[L, D]`; ids below V.
    pub fn embedding<T: GpuScalar>(
        &self,
        table: &GpuTensor<T>,
        ids: &GpuIndices,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (vocabulary, width) = match *table.shape() {
            [v, d] => (v, d),
            _ => (0, usize::MAX),
        };
        let fits = out.shape() == [ids.len(), width];
        ensure(fits, "embedding", || {
            format!(
                "table {:?}, {} ids, out {:?} do not fit",
                table.shape(),
                ids.len(),
                out.shape()
            )
        })?;
        self.ctx.launch(
            kernel(Family::Embedding, "gather"),
            T::PRECISION,
            Params::default().ints(&[ids.len(), width, vocabulary]),
            &[
                (1, table.buffer()),
                (2, ids.ids.buffer()),
                (3, out.buffer()),
            ],
            grid_1d(out.len()),
        )
    }

    /// `dtable[ids[l], :] += dy[l, :]` for every l (ids seen twice get both gradients); the ids
    /// must come from [`Gpu::upload_indices`].
    pub fn embedding_backward<T: GpuScalar>(
        &self,
        dy: &GpuTensor<T>,
        ids: &GpuIndices,
        dtable: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (vocabulary, width) = match *dtable.shape() {
            [v, d] => (v, d),
            _ => (0, usize::MAX),
        };
        let fits = dy.shape() == [ids.len(), width];
        ensure(fits, "embedding_backward", || {
            format!(
                "dtable {:?}, {} ids, dy {:?} do not fit",
                dtable.shape(),
                ids.len(),
                dy.shape()
            )
        })?;
        let Some((sorted, positions)) = &ids.by_value else {
            return Err(GpuError::Shape {
                op: "embedding_backward",
                detail: "the ids were written by a kernel, not uploaded: no sorted copy".into(),
            });
        };
        self.ctx.launch(
            kernel(Family::Embedding, "scatter_add"),
            T::PRECISION,
            Params::default().ints(&[ids.len(), width, vocabulary]),
            &[
                (3, dtable.buffer()),
                (4, dy.buffer()),
                (5, sorted.buffer()),
                (6, positions.buffer()),
            ],
            grid_1d(dtable.len()),
        )
    }

    /// One LSTM step: `gates` `[B, 4H]` holds the pre-activations (i, f, g, o) and is
    /// overwritten with σ(i), σ(f), tanh(g), σ(o); `c = f·c_prev + i·g`, `tanh_c = tanh(c)`,
    /// `h = o·tanh(c)`.
    pub fn lstm_cell<T: GpuScalar>(
        &self,
        gates: &mut GpuTensor<T>,
        c_prev: &GpuTensor<T>,
        c: &mut GpuTensor<T>,
        tanh_c: &mut GpuTensor<T>,
        h: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims("lstm_cell", 4, &[gates], &[c_prev, c, tanh_c, h])?;
        self.ctx.launch(
            kernel(Family::Recurrent, "lstm_cell"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (3, c_prev.buffer()),
                (4, gates.buffer()),
                (5, c.buffer()),
                (6, h.buffer()),
                (12, tanh_c.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// The adjoint of [`Gpu::lstm_cell`]: from the activated gates, c_prev, tanh(c), dL/dh and
    /// dL/dc (in `dc`), writes dL/d(pre-activations) into `d_pre` `[B, 4H]` and overwrites `dc`
    /// with dL/dc_prev.
    #[allow(clippy::too_many_arguments)]
    pub fn lstm_cell_backward<T: GpuScalar>(
        &self,
        gates: &GpuTensor<T>,
        c_prev: &GpuTensor<T>,
        tanh_c: &GpuTensor<T>,
        dh: &GpuTensor<T>,
        dc: &mut GpuTensor<T>,
        d_pre: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims(
            "lstm_cell_backward",
            4,
            &[gates, d_pre],
            &[c_prev, tanh_c, dh, dc],
        )?;
        self.ctx.launch(
            kernel(Family::Recurrent, "lstm_cell_backward"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (3, c_prev.buffer()),
                (7, gates.buffer()),
                (8, tanh_c.buffer()),
                (9, dh.buffer()),
                (10, dc.buffer()),
                (11, d_pre.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// One GRU step: `gates` ← (r, z, n) with r = σ(gx_r + gh_r), z = σ(gx_z + gh_z),
    /// n = tanh(gx_n + r·gh_n); `h = (1 − z)·n + z·h_prev`.
    pub fn gru_cell<T: GpuScalar>(
        &self,
        gx: &GpuTensor<T>,
        gh: &GpuTensor<T>,
        h_prev: &GpuTensor<T>,
        gates: &mut GpuTensor<T>,
        h: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims("gru_cell", 3, &[gx, gh, gates], &[h_prev, h])?;
        self.ctx.launch(
            kernel(Family::Recurrent, "gru_cell"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (1, gx.buffer()),
                (2, gh.buffer()),
                (3, h_prev.buffer()),
                (4, gates.buffer()),
                (6, h.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// The adjoint of [`Gpu::gru_cell`]: from its gates, gh, h_prev and dL/dh (in `dh`), writes
    /// `d_gx` and `d_gh` `[B, 3H]` and overwrites `dh` with z·dh, the part of dL/dh_prev that
    /// does not go through W_hh.
    #[allow(clippy::too_many_arguments)]
    pub fn gru_cell_backward<T: GpuScalar>(
        &self,
        gates: &GpuTensor<T>,
        gh: &GpuTensor<T>,
        h_prev: &GpuTensor<T>,
        dh: &mut GpuTensor<T>,
        d_gx: &mut GpuTensor<T>,
        d_gh: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims(
            "gru_cell_backward",
            3,
            &[gates, gh, d_gx, d_gh],
            &[h_prev, dh],
        )?;
        self.ctx.launch(
            kernel(Family::Recurrent, "gru_cell_backward"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (2, gh.buffer()),
                (3, h_prev.buffer()),
                (7, gates.buffer()),
                (10, dh.buffer()),
                (11, d_gx.buffer()),
                (13, d_gh.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// Causal mask, in place on scores `[…, Lq, Lk]`: `value` (−∞ before a softmax) where
    /// key j > query i.
    pub fn mask_causal<T: GpuScalar>(
        &self,
        scores: &mut GpuTensor<T>,
        value: f64,
    ) -> Result<(), GpuError> {
        let [n, lq, lk] = scores_dims("mask_causal", scores)?;
        self.ctx.launch(
            kernel(Family::Attention, "mask_causal"),
            T::PRECISION,
            Params::default().ints(&[n, lq, lk]).reals(&[value]),
            &[(1, scores.buffer())],
            grid_1d(scores.len()),
        )
    }

    /// Key-padding mask, in place on scores `[N, Lq, Lk]` with N = batch·heads: −∞ where
    /// `keep[n / heads, j]` is 0; keep is `[batch, Lk]`.
    pub fn mask_keys<T: GpuScalar>(
        &self,
        scores: &mut GpuTensor<T>,
        keep: &GpuTensor<u32>,
        heads: usize,
    ) -> Result<(), GpuError> {
        let [n, lq, lk] = scores_dims("mask_keys", scores)?;
        let fits = heads > 0 && n % heads == 0 && keep.shape() == [n / heads, lk];
        ensure(fits, "mask_keys", || {
            format!(
                "keep {:?} with {heads} heads does not fit scores {:?}",
                keep.shape(),
                scores.shape()
            )
        })?;
        self.ctx.launch(
            kernel(Family::Attention, "mask_keys"),
            T::PRECISION,
            Params::default().ints(&[n, lq, lk, heads]),
            &[(1, scores.buffer()), (2, keep.buffer())],
            grid_1d(scores.len()),
        )
    }
}

fn scores_dims<T: GpuScalar>(
    op: &'static str,
    scores: &GpuTensor<T>,
) -> Result<[usize; 3], GpuError> {
    match *scores.shape() {
        [n, lq, lk] => Ok([n, lq, lk]),
        ref other => Err(GpuError::Shape {
            op,
            detail: format!("scores are {other:?}, expected [N, Lq, Lk]"),
        }),
    }
}
