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
//! The N problems of a batch are independent: each product is one batched GEMM on the layer's
//! backend, and the heads are split and merged by strided copies (no host round trip).

use ndarray::{Array1, Array2, Array3, Axis, Ix1, Ix2, Ix3};
use rand::Rng;

use super::{Layer, LayerError, Linear, Param, ShapeError, uniform};
use crate::backend::{
    AttentionMask, Backend, BackendResult, Binary, Cpu, Mat, Shaped, block, reshape_on, reuse_on,
};
use crate::scalar::Scalar;

/// Scaled dot-product attention over N independent problems: `softmax(scale · q kᵀ) v`, on
/// backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct ScaledDotProductAttention<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the products run.
    backend: B,
    /// Masks key j for query i when j > i (a query sees only itself and the past).
    pub causal: bool,
    /// The factor on q kᵀ; `None` means 1/√D, PyTorch's default.
    pub scale: Option<f64>,
    /// q, k, v of the latest forward: [N, Lq, D], [N, Lk, D], [N, Lk, Dv]
    qkv: [B::Tensor<T, Ix3>; 3],
    /// Scores S = scale · q kᵀ, masked: [N, Lq, Lk] (reused for dP = dy vᵀ in backward)
    scores: B::Tensor<T, Ix3>,
    /// dL/dS: [N, Lq, Lk]
    grad_scores: B::Tensor<T, Ix3>,
    /// Attention weights P = softmax(S): [N, Lq, Lk]
    attn: B::Tensor<T, Ix3>,
    /// y = P v: [N, Lq, Dv]
    output: B::Tensor<T, Ix3>,
    /// dL/dq, dL/dk, dL/dv: [N, Lq, D], [N, Lk, D], [N, Lk, Dv]
    grads: [B::Tensor<T, Ix3>; 3],
}

/// Three empty `[0, 0, 0]` tensors.
fn empty3<T: Scalar, B: Backend>(be: &B) -> BackendResult<[B::Tensor<T, Ix3>; 3]> {
    Ok([
        be.zeros(Ix3(0, 0, 0))?,
        be.zeros(Ix3(0, 0, 0))?,
        be.zeros(Ix3(0, 0, 0))?,
    ])
}

impl<T: Scalar> ScaledDotProductAttention<T> {
    /// CPU attention with the given masking and scale (`None`: 1/√D).
    pub fn new(causal: bool, scale: Option<f64>) -> Self {
        Self::new_on(&Cpu, causal, scale).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, B: Backend> ScaledDotProductAttention<T, B> {
    /// Attention on `backend` with the given masking and scale (`None`: 1/√D).
    pub fn new_on(backend: &B, causal: bool, scale: Option<f64>) -> BackendResult<Self> {
        let empty = || backend.zeros(Ix3(0, 0, 0));
        Ok(Self {
            backend: backend.clone(),
            causal,
            scale,
            qkv: empty3(backend)?,
            scores: empty()?,
            grad_scores: empty()?,
            attn: empty()?,
            output: empty()?,
            grads: empty3(backend)?,
        })
    }

    /// The scale used for queries of width `d`.
    fn scale_for(&self, d: usize) -> T {
        T::from_f64(self.scale.unwrap_or(1.0 / (d as f64).sqrt()))
    }

    /// y `[N, Lq, Dv]` for q `[N, Lq, D]`, k `[N, Lk, D]`, v `[N, Lk, Dv]`; caches q, k, v and the
    /// attention weights.
    pub fn forward(
        &mut self,
        q: &B::Tensor<T, Ix3>,
        k: &B::Tensor<T, Ix3>,
        v: &B::Tensor<T, Ix3>,
    ) -> BackendResult<&B::Tensor<T, Ix3>> {
        let [n, lq, d] = dims3(q);
        let [_, lk, dv] = dims3(v);
        assert_eq!(k.shape(), [n, lk, d], "attention: key shape");
        assert_eq!(v.shape(), [n, lk, dv], "attention: value shape");
        let be = &self.backend;
        for (cache, x) in self.qkv.iter_mut().zip([q, k, v]) {
            let cache = reuse_on(be, cache, Ix3(x.shape()[0], x.shape()[1], x.shape()[2]))?;
            be.geam(T::one(), Mat::of(x), T::zero(), Mat::of(cache))?;
        }
        let scale = self.scale_for(d);

        // S = scale · q kᵀ: [N, Lq, Lk], one product per problem; then −∞ above the diagonal
        // when causal.
        let scores = reuse_on(be, &mut self.scores, Ix3(n, lq, lk))?;
        be.gemm(
            scale,
            Mat::of(q),
            Mat::of(k).t(),
            T::zero(),
            Mat::of(&mut *scores),
        )?;
        if self.causal {
            be.mask_fill(AttentionMask::Causal, T::neg_infinity(), scores)?;
        }
        // P = softmax(S) along the keys: [N, Lq, Lk]
        let attn = reuse_on(be, &mut self.attn, Ix3(n, lq, lk))?;
        be.softmax(&self.scores, attn)?;
        // y = P v: [N, Lq, Dv]
        let y = reuse_on(be, &mut self.output, Ix3(n, lq, dv))?;
        be.gemm(
            T::one(),
            Mat::of(&self.attn),
            Mat::of(v),
            T::zero(),
            Mat::of(y),
        )?;
        Ok(&self.output)
    }

    /// The attention weights P `[N, Lq, Lk]` of the latest forward (each row sums to 1).
    pub fn attn(&self) -> &B::Tensor<T, Ix3> {
        &self.attn
    }

    /// dq `[N, Lq, D]`, dk `[N, Lk, D]`, dv `[N, Lk, Dv]` for dy `[N, Lq, Dv]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix3>) -> BackendResult<[&B::Tensor<T, Ix3>; 3]> {
        assert_eq!(
            dy.shape(),
            self.output.shape(),
            "attention: grad_output shape"
        );
        let be = &self.backend;
        let [q, k, v] = &self.qkv;
        let scale = self.scale_for(q.shape()[2]);
        let [dq, dk, dv] = &mut self.grads;
        let dq = reuse_on(be, dq, Ix3(q.shape()[0], q.shape()[1], q.shape()[2]))?;
        let dk = reuse_on(be, dk, Ix3(k.shape()[0], k.shape()[1], k.shape()[2]))?;
        let dv = reuse_on(be, dv, Ix3(v.shape()[0], v.shape()[1], v.shape()[2]))?;
        // dv = Pᵀ dy: [Lk, Dv] and dP = dy vᵀ: [Lq, Lk] (into the scores' buffer), per problem
        let attn = Mat::of(&self.attn);
        be.gemm(T::one(), attn.t(), Mat::of(dy), T::zero(), Mat::of(dv))?;
        let d_p = &mut self.scores;
        be.gemm(
            T::one(),
            Mat::of(dy),
            Mat::of(v).t(),
            T::zero(),
            Mat::of(&mut *d_p),
        )?;
        // dS = P ⊙ (dP − Σ_j dP ⊙ P): [N, Lq, Lk]
        let dim = Ix3(d_p.shape()[0], d_p.shape()[1], d_p.shape()[2]);
        let d_s = reuse_on(be, &mut self.grad_scores, dim)?;
        be.softmax_backward(&self.attn, d_p, d_s)?;
        // dq = scale · dS k: [Lq, D] and dk = scale · dSᵀ q: [Lk, D], per problem
        let d_s = Mat::of(&self.grad_scores);
        be.gemm(
            scale,
            Mat::of(&self.grad_scores),
            Mat::of(k),
            T::zero(),
            Mat::of(dq),
        )?;
        be.gemm(scale, d_s.t(), Mat::of(q), T::zero(), Mat::of(dk))?;
        let [dq, dk, dv] = &self.grads;
        Ok([dq, dk, dv])
    }
}

/// `[a, b, c]` of a three-axis tensor.
fn dims3<X: Shaped>(x: &X) -> [usize; 3] {
    let s = x.shape();
    [s[0], s[1], s[2]]
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
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
}

impl From<LayerError> for AttentionError {
    fn from(e: LayerError) -> Self {
        match e {
            LayerError::Shape(e) => e.into(),
            LayerError::Backend(e) => e.into(),
        }
    }
}

/// Which input of attention: the three row blocks of `in_proj_weight`, in order.
const QKV: [&str; 3] = ["query", "key", "value"];

/// Multi-head attention like PyTorch's `nn.MultiheadAttention(E, heads, batch_first=True)`,
/// dropout 0, with biases, on backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct MultiHeadAttention<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the products run.
    backend: B,
    /// The stacked query, key and value projections: [3E, E] (rows q, k, v).
    pub in_proj_weight: B::Tensor<T, Ix2>,
    /// Their biases: [3E]
    pub in_proj_bias: B::Tensor<T, Ix1>,
    /// dL/d in_proj_weight: [3E, E], accumulated by `backward`.
    pub grad_in_proj_weight: B::Tensor<T, Ix2>,
    /// dL/d in_proj_bias: [3E], accumulated by `backward`.
    pub grad_in_proj_bias: B::Tensor<T, Ix1>,
    /// The output projection: weight [E, E], bias [E].
    pub out_proj: Linear<T, B>,
    /// The number of heads (E/heads columns each).
    num_heads: usize,
    /// The attention every head runs, all heads batched: N = B·heads.
    attention: ScaledDotProductAttention<T, B>,
    /// query, key, value of the latest forward: [B, Lq, E], [B, Lk, E], [B, Lk, E]
    inputs: [B::Tensor<T, Ix3>; 3],
    /// Their projections X W_pᵀ + b_p, then (in backward) dL/d of them: [B, L, E] each
    projected: [B::Tensor<T, Ix3>; 3],
    /// The projections split into heads, then (in backward) dL/d of them: [B·heads, L, Dh] each
    heads: [B::Tensor<T, Ix3>; 3],
    /// The heads' outputs merged back: [B·Lq, E]
    concat: B::Tensor<T, Ix2>,
    /// A column of ones [B·L, 1]: the bias of a block as a product (ones · b_pᵀ) and back.
    ones: B::Tensor<T, Ix2>,
    /// y: [B, Lq, E]
    output: B::Tensor<T, Ix3>,
    /// dy as rows: [B·Lq, E]
    grad_rows: B::Tensor<T, Ix2>,
    /// dL/d query, key, value: [B, Lq, E], [B, Lk, E], [B, Lk, E]
    grad_inputs: [B::Tensor<T, Ix3>; 3],
    /// dL/dx for self-attention (the sum of the three): [B, L, E]
    grad_self: B::Tensor<T, Ix3>,
}

impl<T: Scalar> MultiHeadAttention<T> {
    /// A CPU layer with PyTorch's weights: `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`,
    /// `out_proj` weight `[E, E]` and bias `[E]`; `causal` masks the future keys.
    pub fn from_weights(
        in_proj_weight: Array2<T>,
        in_proj_bias: Array1<T>,
        out_proj: Linear<T>,
        num_heads: usize,
        causal: bool,
    ) -> Result<Self, AttentionError> {
        let out = (out_proj.weight, out_proj.bias);
        Self::from_weights_on(&Cpu, (in_proj_weight, in_proj_bias), out, num_heads, causal)
    }

    /// A CPU layer initialised like PyTorch's: `in_proj_weight` Xavier-uniform,
    /// `out_proj.weight` uniform in ±1/√E, biases zero.
    pub fn new(
        embed_dim: usize,
        num_heads: usize,
        causal: bool,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        Self::new_on(&Cpu, embed_dim, num_heads, causal, rng)
    }
}

impl<T: Scalar, B: Backend> MultiHeadAttention<T, B> {
    /// A layer on `backend` with PyTorch's host weights: `in_proj` (weight `[3E, E]`, bias
    /// `[3E]`), `out_proj` (weight `[E, E]`, bias `[E]`); `causal` masks the future keys.
    pub fn from_weights_on(
        backend: &B,
        (in_proj_weight, in_proj_bias): (Array2<T>, Array1<T>),
        (out_weight, out_bias): (Array2<T>, Array1<T>),
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
            out_weight.shape(),
        )?;
        if num_heads == 0 || !e.is_multiple_of(num_heads) {
            return Err(AttentionError::Heads {
                embed_dim: e,
                num_heads,
            });
        }
        let mat = || backend.zeros(Ix2(0, 0));
        Ok(Self {
            backend: backend.clone(),
            grad_in_proj_weight: backend.zeros(in_proj_weight.raw_dim())?,
            grad_in_proj_bias: backend.zeros(in_proj_bias.raw_dim())?,
            in_proj_weight: backend.upload(in_proj_weight.view())?,
            in_proj_bias: backend.upload(in_proj_bias.view())?,
            out_proj: Linear::from_weights_on(backend, out_weight, out_bias)?,
            num_heads,
            attention: ScaledDotProductAttention::new_on(backend, causal, None)?,
            inputs: empty3(backend)?,
            projected: empty3(backend)?,
            heads: empty3(backend)?,
            concat: mat()?,
            ones: mat()?,
            output: backend.zeros(Ix3(0, 0, 0))?,
            grad_rows: mat()?,
            grad_inputs: empty3(backend)?,
            grad_self: backend.zeros(Ix3(0, 0, 0))?,
        })
    }

    /// A layer on `backend` initialised like PyTorch's: `in_proj_weight` Xavier-uniform,
    /// `out_proj.weight` uniform in ±1/√E, biases zero.
    pub fn new_on(
        backend: &B,
        embed_dim: usize,
        num_heads: usize,
        causal: bool,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        let xavier = (6.0 / (4 * embed_dim.max(1)) as f64).sqrt();
        // nn.Linear's draws for out_proj (its bias is then zeroed), before in_proj's.
        let bound = 1.0 / (embed_dim.max(1) as f64).sqrt();
        let out_weight = uniform((embed_dim, embed_dim), bound, rng);
        let _out_bias: Array1<T> = uniform(embed_dim, bound, rng);
        let in_weight = uniform((3 * embed_dim, embed_dim), xavier, rng);
        Self::from_weights_on(
            backend,
            (in_weight, Array1::zeros(3 * embed_dim)),
            (out_weight, Array1::zeros(embed_dim)),
            num_heads,
            causal,
        )
    }

    /// E: the embedding width.
    pub fn embed_dim(&self) -> usize {
        self.in_proj_weight.shape()[1]
    }

    /// The number of heads.
    pub fn num_heads(&self) -> usize {
        self.num_heads
    }

    /// Whether future keys are masked.
    pub fn causal(&self) -> bool {
        self.attention.causal
    }

    /// y `[B, Lq, E]` for query `[B, Lq, E]`, key and value `[B, Lk, E]` (self-attention: pass
    /// the same x three times). Caches what backward needs.
    pub fn forward(
        &mut self,
        query: &B::Tensor<T, Ix3>,
        key: &B::Tensor<T, Ix3>,
        value: &B::Tensor<T, Ix3>,
    ) -> BackendResult<&B::Tensor<T, Ix3>> {
        let [batch, lq, e] = dims3(query);
        assert_eq!(e, self.embed_dim(), "multi-head attention: query width");
        assert_eq!(key.shape()[0], batch, "multi-head attention: key batch");
        assert_eq!(
            key.shape(),
            value.shape(),
            "multi-head attention: key and value shapes"
        );
        let (heads, dh) = (self.num_heads, e / self.num_heads);
        let be = &self.backend;
        // Q, K, V = input_p W_pᵀ + b_p, each split into heads: [B·heads, L, Dh]
        for (which, input) in [query, key, value].into_iter().enumerate() {
            let [b, len, width] = dims3(input);
            assert_eq!(width, e, "multi-head attention: {} width", QKV[which]);
            let x = reuse_on(be, &mut self.inputs[which], Ix3(b, len, e))?; // X: [B, L, E]
            be.geam(T::one(), Mat::of(input), T::zero(), Mat::of(x))?;
            let ones = reuse_on(be, &mut self.ones, Ix2(b * len, 1))?;
            be.fill(ones, T::one())?;
            // P = 1 · b_pᵀ + X W_pᵀ: [B·L, E]
            let p = reuse_on(be, &mut self.projected[which], Ix3(b, len, e))?;
            let rows = block(which, e);
            let bias = Mat::of(&self.in_proj_bias).cols(rows.clone()); // b_p as [1, E]
            be.gemm(
                T::one(),
                Mat::of(&self.ones),
                bias,
                T::zero(),
                Mat::flat(&mut *p, e),
            )?;
            let w = Mat::of(&self.in_proj_weight).rows(rows); // W_p: [E, E]
            let x = Mat::flat(&self.inputs[which], e);
            be.gemm(T::one(), x, w.t(), T::one(), Mat::flat(&mut *p, e))?;
            let split = reuse_on(be, &mut self.heads[which], Ix3(b * heads, len, dh))?;
            split_heads(be, p, split, heads)?;
        }
        // Every head attends on its own: [B·heads, Lq, Dh]
        let [q, k, v] = &self.heads;
        let attended = self.attention.forward(q, k, v)?;
        let concat = reuse_on(be, &mut self.concat, Ix2(batch * lq, e))?; // [B·Lq, E]
        merge_heads(be, attended, concat, heads)?;
        let y = self.out_proj.forward(&self.concat)?; // [B·Lq, E]
        reshape_on(be, y, &mut self.output, Ix3(batch, lq, e))?;
        Ok(&self.output)
    }

    /// The attention weights of the latest forward averaged over the heads: `[B, Lq, Lk]`
    /// (PyTorch's `average_attn_weights=True`), on the host.
    pub fn attn_weights_avg(&self) -> BackendResult<Array3<T>> {
        let p = self.backend.download(self.attention.attn())?; // [B·heads, Lq, Lk]
        let (bh, lq, lk) = p.dim();
        Ok(
            p.into_shape_with_order((bh / self.num_heads, self.num_heads, lq, lk))
                .expect("attention weights are contiguous")
                .sum_axis(Axis(1))
                / T::from_usize(self.num_heads),
        )
    }

    /// Adds the parameter gradients for dy `[B, Lq, E]` and returns dL/d query `[B, Lq, E]`,
    /// dL/d key and dL/d value `[B, Lk, E]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix3>) -> BackendResult<[&B::Tensor<T, Ix3>; 3]> {
        let [batch, lq, e] = dims3(dy);
        assert_eq!(
            dy.shape(),
            self.output.shape(),
            "multi-head attention: grad_output shape"
        );
        let heads = self.num_heads;
        let be = &self.backend;
        let dy_rows = reshape_on(be, dy, &mut self.grad_rows, Ix2(batch * lq, e))?;
        let d_concat = self.out_proj.backward(dy_rows)?; // [B·Lq, E]
        // The heads of dL/d concat, into the attention output's split buffer: [B·heads, Lq, Dh]
        let d_attended = &mut self.heads[0];
        split_heads(be, d_concat, d_attended, heads)?;
        let d_heads = self.attention.backward(&self.heads[0])?;
        for (which, d_head) in d_heads.into_iter().enumerate() {
            let [b, len, _] = dims3(&self.inputs[which]);
            // dL/dP_p merged back to rows: [B·L, E]
            let d_proj = &mut self.projected[which];
            merge_heads(be, d_head, d_proj, heads)?;
            let d_proj = Mat::flat(&self.projected[which], e);
            let rows = block(which, e);
            // dW_p: [E, E] += dPᵀ [E, B·L] · X [B·L, E];  db_p += 1ᵀ dP
            let dw = Mat::of(&mut self.grad_in_proj_weight).rows(rows.clone());
            be.gemm(
                T::one(),
                d_proj.t(),
                Mat::flat(&self.inputs[which], e),
                T::one(),
                dw,
            )?;
            let ones = reuse_on(be, &mut self.ones, Ix2(b * len, 1))?;
            be.fill(ones, T::one())?;
            let db = Mat::of(&mut self.grad_in_proj_bias).cols(rows.clone());
            let d_proj = Mat::flat(&self.projected[which], e);
            be.gemm(T::one(), Mat::of(&self.ones).t(), d_proj, T::one(), db)?;
            // dX = dP [B·L, E] · W_p [E, E]
            let dx = reuse_on(be, &mut self.grad_inputs[which], Ix3(b, len, e))?;
            let w = Mat::of(&self.in_proj_weight).rows(rows);
            let d_proj = Mat::flat(&self.projected[which], e);
            be.gemm(T::one(), d_proj, w, T::zero(), Mat::flat(dx, e))?;
        }
        let [dq, dk, dv] = &self.grad_inputs;
        Ok([dq, dk, dv])
    }

    /// Backward for self-attention (query = key = value = x): dL/dx `[B, L, E]`, the sum of the
    /// three paths.
    pub fn backward_self(&mut self, dy: &B::Tensor<T, Ix3>) -> BackendResult<&B::Tensor<T, Ix3>> {
        self.backward(dy)?;
        let be = &self.backend;
        let [dq, dk, dv] = &self.grad_inputs;
        let dx = reuse_on(
            be,
            &mut self.grad_self,
            Ix3(dq.shape()[0], dq.shape()[1], dq.shape()[2]),
        )?;
        be.binary(Binary::Add, dq, dk, dx)?;
        be.axpby(T::one(), dv, T::one(), dx)?;
        Ok(&self.grad_self)
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for MultiHeadAttention<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit(Param::of(
            "in_proj_weight",
            &mut self.in_proj_weight,
            &mut self.grad_in_proj_weight,
        ));
        visit(Param::of(
            "in_proj_bias",
            &mut self.in_proj_bias,
            &mut self.grad_in_proj_bias,
        ));
        self.out_proj
            .params_mut(&mut |p| visit(p.prefixed("out_proj")));
    }

    fn num_params(&self) -> usize {
        self.in_proj_weight.len() + self.in_proj_bias.len() + self.out_proj.num_params()
    }
}

/// Sample `b` of rows `[B·L, E]` as its `heads` matrices `[L, Dh]`, Dh columns apart.
fn heads_in_rows<R: Shaped>(m: R, b: usize, len: usize, heads: usize) -> Mat<R> {
    let e = m.shape().last().copied().unwrap_or(0);
    let dh = e / heads;
    Mat::of(m)
        .strided(b * len * e, len, dh, e)
        .batched(heads, dh)
}

/// Sample `b` of heads `[B·heads, L, Dh]` as its `heads` matrices `[L, Dh]`.
fn heads_in_split<R: Shaped>(m: R, b: usize, len: usize, heads: usize) -> Mat<R> {
    let dh = m.shape().last().copied().unwrap_or(0);
    Mat::of(m)
        .strided(b * heads * len * dh, len, dh, dh)
        .batched(heads, len * dh)
}

/// Rows `[B·L, E]` (any tensor of that shape and E last) split into heads `[B·heads, L, Dh]`:
/// head h takes columns h·Dh … (h+1)·Dh.
fn split_heads<T: Scalar, B: Backend, D: ndarray::Dimension>(
    be: &B,
    rows: &B::Tensor<T, D>,
    split: &mut B::Tensor<T, Ix3>,
    heads: usize,
) -> BackendResult<()> {
    let [bh, len, _] = dims3(split);
    for b in 0..bh / heads {
        let from = heads_in_rows(rows, b, len, heads);
        be.geam(
            T::one(),
            from,
            T::zero(),
            heads_in_split(&mut *split, b, len, heads),
        )?;
    }
    Ok(())
}

/// The inverse of [`split_heads`]: `[B·heads, L, Dh]` → rows `[B·L, E]`.
fn merge_heads<T: Scalar, B: Backend, D: ndarray::Dimension>(
    be: &B,
    split: &B::Tensor<T, Ix3>,
    rows: &mut B::Tensor<T, D>,
    heads: usize,
) -> BackendResult<()> {
    let [bh, len, _] = dims3(split);
    for b in 0..bh / heads {
        let from = heads_in_split(split, b, len, heads);
        be.geam(
            T::one(),
            from,
            T::zero(),
            heads_in_rows(&mut *rows, b, len, heads),
        )?;
    }
    Ok(())
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
        let y = sdpa.forward(&q, &q, &v).unwrap().to_owned();
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
        let mut heads = Array3::zeros((8, 3, 2)); // B=2, L=3, E=8 → [8, 3, 2]
        split_heads(&Cpu, &rows, &mut heads, 4).unwrap();
        assert_eq!(heads[[1, 0, 0]], 2.0); // batch 0, head 1, position 0 → column 2
        assert_eq!(heads[[5, 2, 1]], 8.0 * 5.0 + 3.0); // batch 1, head 1, position 2 → column 3
        let mut merged = Array2::zeros((6, 8));
        merge_heads(&Cpu, &heads, &mut merged, 4).unwrap();
        assert_eq!(merged, rows);
    }

    #[test]
    fn heads_must_divide_the_embedding() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let err = MultiHeadAttention::<f64>::new(6, 4, false, &mut rng).unwrap_err();
        assert!(
            err.to_string().contains("not a multiple of num_heads 4"),
            "{err}"
        );
        let ok = MultiHeadAttention::<f32>::new(8, 4, false, &mut rng).unwrap();
        assert_eq!(ok.num_params(), 3 * 64 + 24 + 64 + 8);
    }

    /// The ops of a multi-head self-attention forward and backward go through the layer's
    /// backend, and a second pass allocates nothing.
    #[test]
    fn an_attention_step_runs_through_the_backend() {
        use crate::backend::counting::Counting;
        let backend = Counting::new(Cpu);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut mha = MultiHeadAttention::<f32, _>::new_on(&backend, 8, 2, true, &mut rng).unwrap();
        let x = backend
            .upload(Array3::from_shape_fn((2, 5, 8), |(b, l, e)| (b + l * e) as f32 / 40.0).view())
            .unwrap();
        for pass in 0..2 {
            backend.reset();
            mha.forward(&x, &x, &x).unwrap();
            mha.backward_self(&x).unwrap();
            if pass == 0 {
                continue; // buffers sized
            }
            let counts = backend.counts();
            // Forward: bias and product for each of q, k, v, S and P·V, out_proj; backward:
            // out_proj's dW and dx, dv, dP, dq, dk, then dW, db and dX for each of q, k, v.
            assert_eq!(counts.get("gemm"), Some(&24), "{counts:?}");
            for op in ["mask_fill", "softmax", "softmax_backward"] {
                assert_eq!(counts.get(op), Some(&1), "{op}: {counts:?}");
            }
            assert_eq!(counts.get("zeros"), None, "{counts:?}");
        }
    }
}
