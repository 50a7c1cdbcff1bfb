//! Sequence operations on the GPU: embedding lookup and its scatter-add
//! (`kernels/embedding.wgsl`), LSTM and GRU cell steps (`kernels/recurrent.wgsl`), attention
//! masks (`kernels/attention.wgsl`).

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};

/// Token ids on the GPU, with the index the scatter-add of the embedding backward needs: for each
/// vocabulary row, the positions that look it up (built once on the host, where ids come from).
#[derive(Debug)]
pub struct TokenIds {
    ids: GpuTensor<u32>,
    /// `starts[v] .. starts[v + 1]` indexes `positions` for row v: `[V + 1]`.
    starts: GpuTensor<u32>,
    /// The positions l, grouped by id: `[L]`.
    positions: GpuTensor<u32>,
    vocabulary: usize,
}

impl TokenIds {
    /// How many ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there is no id.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The state tensors of one recurrent step.
#[derive(Debug)]
pub struct StepTensors<'a, T: GpuScalar> {
    /// x_t W_ihᵀ + b_ih: `[B, G·H]`.
    pub gx: &'a GpuTensor<T>,
    /// h_{t−1} W_hhᵀ + b_hh: `[B, G·H]`.
    pub gh: &'a GpuTensor<T>,
    /// c_{t−1} for the LSTM, h_{t−1} for the GRU: `[B, H]`.
    pub prev: &'a GpuTensor<T>,
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
    let (batch, hidden) = match narrow[0].shape() {
        &[b, h] => (b, h),
        other => (usize::MAX, other.len()),
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
    /// Uploads token ids `< vocabulary`, with the scatter index of the embedding backward.
    pub fn token_ids(&self, ids: &[u32], vocabulary: usize) -> Result<TokenIds, GpuError> {
        if let Some(&bad) = ids.iter().find(|&&id| id as usize >= vocabulary) {
            return Err(GpuError::Shape {
                op: "token_ids",
                detail: format!("id {bad} is outside the vocabulary of {vocabulary}"),
            });
        }
        // Counting sort of the positions by id.
        let mut starts = vec![0u32; vocabulary + 1];
        for &id in ids {
            starts[id as usize + 1] += 1;
        }
        for v in 0..vocabulary {
            starts[v + 1] += starts[v];
        }
        let mut next = starts.clone();
        let mut positions = vec![0u32; ids.len()];
        for (l, &id) in ids.iter().enumerate() {
            positions[next[id as usize] as usize] = l as u32;
            next[id as usize] += 1;
        }
        Ok(TokenIds {
            ids: self.upload(ids, &[ids.len()])?,
            starts: self.upload(&starts, &[vocabulary + 1])?,
            positions: self.upload(&positions, &[ids.len()])?,
            vocabulary,
        })
    }

    /// `out[l, :] = table[ids[l], :]`; table `[V, D]`, out `[L, D]`.
    pub fn embedding<T: GpuScalar>(
        &self,
        table: &GpuTensor<T>,
        ids: &TokenIds,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let width = table.shape().get(1).copied().unwrap_or(0);
        let fits = table.shape() == [ids.vocabulary, width] && out.shape() == [ids.len(), width];
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
            Params::default().ints(&[ids.len(), width, ids.vocabulary]),
            &[
                (1, table.buffer()),
                (2, ids.ids.buffer()),
                (3, out.buffer()),
            ],
            grid_1d(out.len()),
        )
    }

    /// `dtable[ids[l], :] += dy[l, :]` for every l (ids seen twice get both gradients).
    pub fn embedding_backward<T: GpuScalar>(
        &self,
        dy: &GpuTensor<T>,
        ids: &TokenIds,
        dtable: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let width = dtable.shape().get(1).copied().unwrap_or(0);
        let fits = dtable.shape() == [ids.vocabulary, width] && dy.shape() == [ids.len(), width];
        ensure(fits, "embedding_backward", || {
            format!(
                "dtable {:?}, {} ids, dy {:?} do not fit",
                dtable.shape(),
                ids.len(),
                dy.shape()
            )
        })?;
        self.ctx.launch(
            kernel(Family::Embedding, "scatter_add"),
            T::PRECISION,
            Params::default().ints(&[ids.len(), width, ids.vocabulary]),
            &[
                (3, dtable.buffer()),
                (4, dy.buffer()),
                (5, ids.starts.buffer()),
                (6, ids.positions.buffer()),
            ],
            grid_1d(dtable.len()),
        )
    }

    /// One LSTM step: `gates` ← (σ(i), σ(f), tanh(g), σ(o)) of gx + gh `[B, 4H]`,
    /// `c = f·c_prev + i·g`, `h = o·tanh(c)`; `step.prev` is c_prev.
    pub fn lstm_step<T: GpuScalar>(
        &self,
        step: StepTensors<'_, T>,
        gates: &mut GpuTensor<T>,
        c: &mut GpuTensor<T>,
        h: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims(
            "lstm_step",
            4,
            &[step.gx, step.gh, gates],
            &[step.prev, c, h],
        )?;
        self.ctx.launch(
            kernel(Family::Recurrent, "lstm_step"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (1, step.gx.buffer()),
                (2, step.gh.buffer()),
                (3, step.prev.buffer()),
                (4, gates.buffer()),
                (5, c.buffer()),
                (6, h.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// The adjoint of [`Gpu::lstm_step`]: from its gates, c_prev, c and dL/dh, dL/dc arriving
    /// from above, `dgates` = dL/d(pre-activation) `[B, 4H]` (for gx and gh alike) and
    /// `dc_prev` = dL/dc_prev.
    #[allow(clippy::too_many_arguments)]
    pub fn lstm_step_backward<T: GpuScalar>(
        &self,
        gates: &GpuTensor<T>,
        c_prev: &GpuTensor<T>,
        c: &GpuTensor<T>,
        dh: &GpuTensor<T>,
        dc: &GpuTensor<T>,
        dgates: &mut GpuTensor<T>,
        dc_prev: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims(
            "lstm_step_backward",
            4,
            &[gates, dgates],
            &[c_prev, c, dh, dc, dc_prev],
        )?;
        self.ctx.launch(
            kernel(Family::Recurrent, "lstm_step_backward"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (3, c_prev.buffer()),
                (7, gates.buffer()),
                (8, c.buffer()),
                (9, dh.buffer()),
                (10, dc.buffer()),
                (11, dgates.buffer()),
                (12, dc_prev.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// One GRU step: `gates` ← (r, z, n) with r = σ(gx_r + gh_r), z = σ(gx_z + gh_z),
    /// n = tanh(gx_n + r·gh_n); `h = (1 − z)·n + z·h_prev`; `step.prev` is h_prev.
    pub fn gru_step<T: GpuScalar>(
        &self,
        step: StepTensors<'_, T>,
        gates: &mut GpuTensor<T>,
        h: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims("gru_step", 3, &[step.gx, step.gh, gates], &[step.prev, h])?;
        self.ctx.launch(
            kernel(Family::Recurrent, "gru_step"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (1, step.gx.buffer()),
                (2, step.gh.buffer()),
                (3, step.prev.buffer()),
                (4, gates.buffer()),
                (6, h.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// The adjoint of [`Gpu::gru_step`]: from its gates, gh, h_prev and dL/dh, `dgx` and `dgh`
    /// `[B, 3H]` and `dh_prev` = z·dh, the part of dL/dh_prev that does not go through W_hh.
    #[allow(clippy::too_many_arguments)]
    pub fn gru_step_backward<T: GpuScalar>(
        &self,
        gates: &GpuTensor<T>,
        gh: &GpuTensor<T>,
        h_prev: &GpuTensor<T>,
        dh: &GpuTensor<T>,
        dgx: &mut GpuTensor<T>,
        dgh: &mut GpuTensor<T>,
        dh_prev: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (b, hidden) = step_dims(
            "gru_step_backward",
            3,
            &[gates, gh, dgx, dgh],
            &[h_prev, dh, dh_prev],
        )?;
        self.ctx.launch(
            kernel(Family::Recurrent, "gru_step_backward"),
            T::PRECISION,
            Params::default().ints(&[b, hidden]),
            &[
                (2, gh.buffer()),
                (3, h_prev.buffer()),
                (7, gates.buffer()),
                (9, dh.buffer()),
                (11, dgx.buffer()),
                (12, dh_prev.buffer()),
                (13, dgh.buffer()),
            ],
            grid_1d(b * hidden),
        )
    }

    /// Causal mask, in place on scores `[N, Lq, Lk]`: −∞ where key j > query i.
    pub fn mask_causal<T: GpuScalar>(&self, scores: &mut GpuTensor<T>) -> Result<(), GpuError> {
        let [n, lq, lk] = scores_dims("mask_causal", scores)?;
        self.ctx.launch(
            kernel(Family::Attention, "mask_causal"),
            T::PRECISION,
            Params::default().ints(&[n, lq, lk]),
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
