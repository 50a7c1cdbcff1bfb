//! Attention: scaled dot-product attention (optionally causal) and multi-head attention, each with
//! its backward.
//!
//! Legend: B batch, N = B or B·heads (independent attention problems), Lq query length, Lk key
//! length, D query/key width, Dv value width, E embedding width, Dh = E/heads head width.
//!
//! Naive reference, for one problem n (what the matrix products compute):
//! ```text
//! forward:  S = scale · q kᵀ                 [Lq, Lk]   (S[i, j] = −∞ where causal and j > i)
//!           P = softmax(S) along j           [Lq, Lk]
//!           y = P v                          [Lq, Dv]
//! backward: dv = Pᵀ dy                       [Lk, Dv]
//!           dP = dy vᵀ                       [Lq, Lk]
//!           dS = P ⊙ (dP − Σ_j dP ⊙ P)       [Lq, Lk]   (softmax's adjoint; 0 where masked)
//!           dq = scale · dS k                [Lq, D]
//!           dk = scale · dSᵀ q               [Lk, D]
//! ```
//! Multi-head attention (PyTorch's `nn.MultiheadAttention`, `batch_first=True`) projects the
//! query, key and value with the three row blocks of `in_proj_weight` `[3E, E]`, splits the E
//! columns into `heads` groups of Dh, attends in every head, concatenates the heads and applies
//! `out_proj`.
//!
//! The N problems of a batch are independent: their matrix products run in parallel (rayon).

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, Axis, Ix3, Zip, s};
use rand::Rng;

use super::{Layer, Linear, Param, ShapeError, reuse, uniform};
use crate::backend::{Cpu, host};
use crate::scalar::Scalar;

/// A `[B, T, X]` sequence seen as `[B·T, X]` rows in (b, t) order.
fn sequence_rows<T>(a: &Array3<T>) -> ArrayView2<'_, T> {
    let (batch, steps, cols) = a.dim();
    a.view()
        .into_shape_with_order((batch * steps, cols))
        .expect("the layer's buffers are contiguous")
}

/// Scaled dot-product attention over N independent problems: `softmax(scale · q kᵀ) v`.
#[derive(Clone, Debug)]
pub struct ScaledDotProductAttention<T> {
    /// Masks key j for query i when j > i (a query sees only itself and the past).
    pub causal: bool,
    /// The factor on q kᵀ; `None` means 1/√D, PyTorch's default.
    pub scale: Option<f64>,
    /// q of the latest forward: [N, Lq, D]
    q: Array3<T>,
    /// k of the latest forward: [N, Lk, D]
    k: Array3<T>,
    /// v of the latest forward: [N, Lk, Dv]
    v: Array3<T>,
    /// Scores S = scale · q kᵀ, masked: [N, Lq, Lk] (reused for dP = dy vᵀ in backward)
    scores: Array3<T>,
    /// dL/dS: [N, Lq, Lk]
    grad_scores: Array3<T>,
    /// Attention weights P = softmax(S): [N, Lq, Lk]
    attn: Array3<T>,
    /// y = P v: [N, Lq, Dv]
    output: Array3<T>,
    /// dL/dq: [N, Lq, D]
    grad_q: Array3<T>,
    /// dL/dk: [N, Lk, D]
    grad_k: Array3<T>,
    /// dL/dv: [N, Lk, Dv]
    grad_v: Array3<T>,
}

impl<T: Scalar> ScaledDotProductAttention<T> {
    /// Attention with the given masking and scale (`None`: 1/√D).
    pub fn new(causal: bool, scale: Option<f64>) -> Self {
        let empty = || Array3::zeros((0, 0, 0));
        Self {
            causal,
            scale,
            q: empty(),
            k: empty(),
            v: empty(),
            scores: empty(),
            grad_scores: empty(),
            attn: empty(),
            output: empty(),
            grad_q: empty(),
            grad_k: empty(),
            grad_v: empty(),
        }
    }

    /// The scale used for queries of width `d`.
    fn scale_for(&self, d: usize) -> T {
        T::from_f64(self.scale.unwrap_or(1.0 / (d as f64).sqrt()))
    }

    /// y `[N, Lq, Dv]` for q `[N, Lq, D]`, k `[N, Lk, D]`, v `[N, Lk, Dv]`; caches q, k, v and the
    /// attention weights.
    pub fn forward(
        &mut self,
        q: ArrayView3<'_, T>,
        k: ArrayView3<'_, T>,
        v: ArrayView3<'_, T>,
    ) -> ArrayView3<'_, T> {
        let (n, lq, d) = q.dim();
        let (lk, dv) = (k.dim().1, v.dim().2);
        assert_eq!(k.dim(), (n, lk, d), "attention: key shape");
        assert_eq!(v.dim(), (n, lk, dv), "attention: value shape");
        reuse(&mut self.q, q.raw_dim()).assign(&q);
        reuse(&mut self.k, k.raw_dim()).assign(&k);
        reuse(&mut self.v, v.raw_dim()).assign(&v);
        let scale = self.scale_for(d);

        // S = scale · q kᵀ: [N, Lq, Lk], the N problems in parallel; then −∞ above the
        // diagonal when causal.
        let scores = reuse(&mut self.scores, Ix3(n, lq, lk));
        Zip::from(scores.outer_iter_mut())
            .and(self.q.outer_iter())
            .and(self.k.outer_iter())
            .par_for_each(|s, q, k| host::gemm(scale, q, false, k, true, T::zero(), s));
        if self.causal {
            for query in 0..lq.min(lk) {
                scores
                    .slice_mut(s![.., query, query + 1..])
                    .fill(T::neg_infinity());
            }
        }
        // P = softmax(S) along the keys: [N, Lq, Lk]
        let attn = reuse(&mut self.attn, Ix3(n, lq, lk));
        host::softmax_last_axis(self.scores.view(), attn.view_mut());
        // y = P v: [N, Lq, Dv]
        let y = reuse(&mut self.output, Ix3(n, lq, dv));
        Zip::from(y.outer_iter_mut())
            .and(self.attn.outer_iter())
            .and(self.v.outer_iter())
            .par_for_each(|y, p, v| host::gemm(T::one(), p, false, v, false, T::zero(), y));
        self.output.view()
    }

    /// The attention weights P `[N, Lq, Lk]` of the latest forward (each row sums to 1).
    pub fn attn(&self) -> ArrayView3<'_, T> {
        self.attn.view()
    }

    /// dq `[N, Lq, D]`, dk `[N, Lk, D]`, dv `[N, Lk, Dv]` for dy `[N, Lq, Dv]`.
    pub fn backward(
        &mut self,
        dy: ArrayView3<'_, T>,
    ) -> (ArrayView3<'_, T>, ArrayView3<'_, T>, ArrayView3<'_, T>) {
        assert_eq!(dy.dim(), self.output.dim(), "attention: grad_output shape");
        let scale = self.scale_for(self.q.dim().2);
        let dq = reuse(&mut self.grad_q, self.q.raw_dim());
        let dk = reuse(&mut self.grad_k, self.k.raw_dim());
        let dv = reuse(&mut self.grad_v, self.v.raw_dim());
        // dv = Pᵀ dy: [Lk, Dv] and dP = dy vᵀ: [Lq, Lk] (into the scores' buffer), per problem
        let d_p = &mut self.scores;
        Zip::from(dv.outer_iter_mut())
            .and(d_p.outer_iter_mut())
            .and(self.attn.outer_iter())
            .and(dy.outer_iter())
            .and(self.v.outer_iter())
            .par_for_each(|dv, d_p, p, dy, v| {
                host::gemm(T::one(), p, true, dy, false, T::zero(), dv);
                host::gemm(T::one(), dy, false, v, true, T::zero(), d_p);
            });
        // dS = P ⊙ (dP − Σ_j dP ⊙ P): [N, Lq, Lk]
        let d_s = reuse(&mut self.grad_scores, self.attn.raw_dim());
        host::softmax_backward_last_axis(self.attn.view(), self.scores.view(), d_s.view_mut());
        // dq = scale · dS k: [Lq, D] and dk = scale · dSᵀ q: [Lk, D], per problem
        Zip::from(dq.outer_iter_mut())
            .and(dk.outer_iter_mut())
            .and(self.grad_scores.outer_iter())
            .and(self.q.outer_iter())
            .and(self.k.outer_iter())
            .par_for_each(|dq, dk, d_s, q, k| {
                host::gemm(scale, d_s, false, k, false, T::zero(), dq);
                host::gemm(scale, d_s, true, q, false, T::zero(), dk);
            });
        (self.grad_q.view(), self.grad_k.view(), self.grad_v.view())
    }
}

/// Why a multi-head attention layer cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttentionError {
    /// A weight has the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The heads cannot split the embedding evenly.
    #[error(
        "embed_dim {embed_dim} is not a multiple of num_heads {num_heads}: choose a number of heads that divides it"
    )]
    Heads {
        /// E.
        embed_dim: usize,
        /// The number of heads asked for.
        num_heads: usize,
    },
}

/// Which input of attention: the three row blocks of `in_proj_weight`, in order.
const QKV: [&str; 3] = ["query", "key", "value"];

/// Multi-head attention like PyTorch's `nn.MultiheadAttention(E, heads, batch_first=True)`,
/// dropout 0, with biases.
#[derive(Clone, Debug)]
pub struct MultiHeadAttention<T: Scalar> {
    /// The stacked query, key and value projections: [3E, E] (rows q, k, v).
    pub in_proj_weight: Array2<T>,
    /// Their biases: [3E]
    pub in_proj_bias: Array1<T>,
    /// dL/d in_proj_weight: [3E, E], accumulated by `backward`.
    pub grad_in_proj_weight: Array2<T>,
    /// dL/d in_proj_bias: [3E], accumulated by `backward`.
    pub grad_in_proj_bias: Array1<T>,
    /// The output projection: weight [E, E], bias [E].
    pub out_proj: Linear<T>,
    /// The number of heads (E/heads columns each).
    num_heads: usize,
    /// The attention every head runs, all heads batched: N = B·heads.
    attention: ScaledDotProductAttention<T>,
    /// query, key, value of the latest forward: [B, Lq, E], [B, Lk, E], [B, Lk, E]
    inputs: [Array3<T>; 3],
    /// B of the latest forward.
    batch: usize,
}

impl<T: Scalar> MultiHeadAttention<T> {
    /// A layer with PyTorch's weights: `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`,
    /// `out_proj` weight `[E, E]` and bias `[E]`; `causal` masks the future keys.
    pub fn from_weights(
        in_proj_weight: Array2<T>,
        in_proj_bias: Array1<T>,
        out_proj: Linear<T>,
        num_heads: usize,
        causal: bool,
    ) -> Result<Self, AttentionError> {
        let e = in_proj_weight.ncols();
        ShapeError::check(
            "multi-head attention in_proj_weight",
            &[3 * e, e],
            in_proj_weight.shape(),
        )?;
        ShapeError::check(
            "multi-head attention in_proj_bias",
            &[3 * e],
            in_proj_bias.shape(),
        )?;
        ShapeError::check(
            "multi-head attention out_proj.weight",
            &[e, e],
            out_proj.weight.shape(),
        )?;
        if num_heads == 0 || !e.is_multiple_of(num_heads) {
            return Err(AttentionError::Heads {
                embed_dim: e,
                num_heads,
            });
        }
        Ok(Self {
            grad_in_proj_weight: Array2::zeros(in_proj_weight.raw_dim()),
            grad_in_proj_bias: Array1::zeros(in_proj_bias.raw_dim()),
            in_proj_weight,
            in_proj_bias,
            out_proj,
            num_heads,
            attention: ScaledDotProductAttention::new(causal, None),
            inputs: [
                Array3::zeros((0, 0, 0)),
                Array3::zeros((0, 0, 0)),
                Array3::zeros((0, 0, 0)),
            ],
            batch: 0,
        })
    }

    /// A layer initialised like PyTorch's: `in_proj_weight` Xavier-uniform, `out_proj.weight`
    /// uniform in ±1/√E, biases zero.
    pub fn new(
        embed_dim: usize,
        num_heads: usize,
        causal: bool,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        let xavier = (6.0 / (4 * embed_dim.max(1)) as f64).sqrt();
        let mut out_proj = Linear::new(embed_dim, embed_dim, rng);
        out_proj.bias.fill(T::zero());
        Self::from_weights(
            uniform((3 * embed_dim, embed_dim), xavier, rng),
            Array1::zeros(3 * embed_dim),
            out_proj,
            num_heads,
            causal,
        )
    }

    /// E: the embedding width.
    pub fn embed_dim(&self) -> usize {
        self.in_proj_weight.ncols()
    }

    /// The number of heads.
    pub fn num_heads(&self) -> usize {
        self.num_heads
    }

    /// Whether future keys are masked.
    pub fn causal(&self) -> bool {
        self.attention.causal
    }

    /// Row block `which` (0 q, 1 k, 2 v) of the in-projection: W_p [E, E], b_p [E].
    fn in_block(&self, which: usize) -> (ArrayView2<'_, T>, ArrayView1<'_, T>) {
        let rows = which * self.embed_dim()..(which + 1) * self.embed_dim();
        (
            self.in_proj_weight.slice(s![rows.clone(), ..]),
            self.in_proj_bias.slice(s![rows]),
        )
    }

    /// y `[B, Lq, E]` for query `[B, Lq, E]`, key and value `[B, Lk, E]` (self-attention: pass
    /// the same x three times). Caches what backward needs.
    pub fn forward(
        &mut self,
        query: ArrayView3<'_, T>,
        key: ArrayView3<'_, T>,
        value: ArrayView3<'_, T>,
    ) -> ArrayView3<'_, T> {
        let (batch, lq, e) = query.dim();
        assert_eq!(e, self.embed_dim(), "multi-head attention: query width");
        assert_eq!(key.dim().0, batch, "multi-head attention: key batch");
        assert_eq!(
            key.dim(),
            value.dim(),
            "multi-head attention: key and value shapes"
        );
        self.batch = batch;
        // Q, K, V = input_p W_pᵀ + b_p, each split into heads: [B·heads, L, Dh]
        let mut heads = Vec::with_capacity(3);
        for (which, input) in [query, key, value].into_iter().enumerate() {
            let (b, len, width) = input.dim();
            assert_eq!(width, e, "multi-head attention: {} width", QKV[which]);
            reuse(&mut self.inputs[which], input.raw_dim()).assign(&input); // X: [B, L, E]
            let (w, bias) = self.in_block(which);
            let mut projected = Array2::zeros((b * len, e)); // P = X W_pᵀ + b_p: [B·L, E]
            projected.assign(&bias);
            host::gemm(
                T::one(),
                sequence_rows(&self.inputs[which]),
                false,
                w,
                true,
                T::one(),
                projected.view_mut(),
            );
            heads.push(split_heads(projected.view(), batch, self.num_heads));
        }
        // Every head attends on its own: [B·heads, Lq, Dh]
        let attended = self
            .attention
            .forward(heads[0].view(), heads[1].view(), heads[2].view());
        let concat = merge_heads(attended, batch); // [B·Lq, E]
        let y = self
            .out_proj
            .forward(&concat)
            .expect("the CPU backend does not fail"); // [B·Lq, E]
        y.view()
            .into_shape_with_order((batch, lq, e))
            .expect("linear output is contiguous")
    }

    /// The attention weights of the latest forward averaged over the heads: `[B, Lq, Lk]`
    /// (PyTorch's `average_attn_weights=True`).
    pub fn attn_weights_avg(&self) -> Array3<T> {
        let p = self.attention.attn(); // [B·heads, Lq, Lk]
        let (_, lq, lk) = p.dim();
        p.into_shape_with_order((self.batch, self.num_heads, lq, lk))
            .expect("attention weights are contiguous")
            .sum_axis(Axis(1))
            / T::from_usize(self.num_heads)
    }

    /// Adds the parameter gradients for dy `[B, Lq, E]` and returns dL/d query `[B, Lq, E]`,
    /// dL/d key and dL/d value `[B, Lk, E]`.
    pub fn backward(&mut self, dy: ArrayView3<'_, T>) -> [Array3<T>; 3] {
        let (batch, lq, e) = dy.dim();
        let dy = dy.as_standard_layout();
        let dy_rows = dy
            .view()
            .into_shape_with_order((batch * lq, e))
            .expect("standard layout");
        let d_concat = self.out_proj.backward(&dy_rows.to_owned()); // [B·Lq, E]
        let d_concat = d_concat.expect("the CPU backend does not fail").view();
        let d_attended = split_heads(d_concat, batch, self.num_heads); // [B·heads, Lq, Dh]
        let (dq, dk, dv) = self.attention.backward(d_attended.view());
        let d_heads = [dq, dk, dv].map(|d| merge_heads(d, batch)); // [B·L, E] each
        let mut grads = Vec::with_capacity(3);
        for (which, d_proj) in d_heads.iter().enumerate() {
            let rows = which * e..(which + 1) * e;
            // dW_p: [E, E] += dPᵀ [E, B·L] · X [B·L, E];  db_p += Σ rows of dP
            let input = sequence_rows(&self.inputs[which]); // X: [B·L, E]
            host::gemm(
                T::one(),
                d_proj.view(),
                true,
                input,
                false,
                T::one(),
                self.grad_in_proj_weight.slice_mut(s![rows.clone(), ..]),
            );
            host::add_column_sums(d_proj.view(), self.grad_in_proj_bias.slice_mut(s![rows]));
            // dX = dP [B·L, E] · W_p [E, E]
            let mut d_input = Array2::zeros(input.raw_dim());
            host::gemm(
                T::one(),
                d_proj.view(),
                false,
                self.in_block(which).0,
                false,
                T::zero(),
                d_input.view_mut(),
            );
            let len = input.nrows() / batch;
            grads.push(
                d_input
                    .into_shape_with_order((batch, len, e))
                    .expect("contiguous"),
            );
        }
        grads.try_into().expect("three inputs")
    }

    /// Backward for self-attention (query = key = value = x): dL/dx `[B, L, E]`, the sum of the
    /// three paths.
    pub fn backward_self(&mut self, dy: ArrayView3<'_, T>) -> Array3<T> {
        let [dq, dk, dv] = self.backward(dy);
        dq + dk + dv
    }
}

impl<T: Scalar> Layer<T> for MultiHeadAttention<T> {
    fn backend(&self) -> &Cpu {
        &Cpu
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit(Param::new(
            "in_proj_weight",
            self.in_proj_weight.view_mut(),
            self.grad_in_proj_weight.view_mut(),
        ));
        visit(Param::new(
            "in_proj_bias",
            self.in_proj_bias.view_mut(),
            self.grad_in_proj_bias.view_mut(),
        ));
        self.out_proj
            .params_mut(&mut |p| visit(p.prefixed("out_proj")));
    }
}

/// Rows `[B·L, E]` split into heads `[B·heads, L, Dh]`: head h takes columns h·Dh … (h+1)·Dh.
fn split_heads<T: Scalar>(rows: ArrayView2<'_, T>, batch: usize, heads: usize) -> Array3<T> {
    let (bl, e) = rows.dim();
    let (len, dh) = (bl / batch, e / heads);
    let rows = rows.as_standard_layout();
    let by_head = rows
        .view()
        .into_shape_with_order((batch, len, heads, dh))
        .expect("standard layout")
        .permuted_axes([0, 2, 1, 3]); // [B, heads, L, Dh]
    by_head
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((batch * heads, len, dh))
        .expect("standard layout")
}

/// The inverse of [`split_heads`]: `[B·heads, L, Dh]` → rows `[B·L, E]`.
fn merge_heads<T: Scalar>(x: ArrayView3<'_, T>, batch: usize) -> Array2<T> {
    let (bh, len, dh) = x.dim();
    let heads = bh / batch;
    let x = x.as_standard_layout();
    let by_position = x
        .view()
        .into_shape_with_order((batch, heads, len, dh))
        .expect("standard layout")
        .permuted_axes([0, 2, 1, 3]); // [B, L, heads, Dh]
    by_position
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((batch * len, heads * dh))
        .expect("standard layout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn causal_attention_hides_the_future() {
        let q = array![[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]];
        let v = array![[[1.0], [10.0], [100.0]]];
        let mut sdpa = ScaledDotProductAttention::<f64>::new(true, None);
        let y = sdpa.forward(q.view(), q.view(), v.view()).to_owned();
        assert_eq!(y[[0, 0, 0]], 1.0); // the first query sees only the first key
        let p = sdpa.attn();
        assert_eq!(p[[0, 1, 2]], 0.0);
        assert!(
            p.outer_iter()
                .all(|m| m.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-15))
        );
    }

    #[test]
    fn heads_split_and_merge_round_trip() {
        let rows = Array2::from_shape_fn((6, 8), |(i, j)| (i * 8 + j) as f64);
        let heads = split_heads(rows.view(), 2, 4); // B=2, L=3, E=8 → [8, 3, 2]
        assert_eq!(heads.dim(), (8, 3, 2));
        assert_eq!(heads[[1, 0, 0]], 2.0); // batch 0, head 1, position 0 → column 2
        assert_eq!(merge_heads(heads.view(), 2), rows);
    }

    #[test]
    fn heads_must_divide_the_embedding() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let err = MultiHeadAttention::<f64>::new(6, 4, false, &mut rng).unwrap_err();
        assert!(
            err.to_string().contains("not a multiple of num_heads 4"),
            "{err}"
        );
        let mut ok = MultiHeadAttention::<f32>::new(8, 4, false, &mut rng).unwrap();
        assert_eq!(ok.num_params(), 3 * 64 + 24 + 64 + 8);
    }
}
