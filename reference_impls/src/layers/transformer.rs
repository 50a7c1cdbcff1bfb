//! A pre-norm transformer encoder layer, as PyTorch's
//! `nn.TransformerEncoderLayer(norm_first=True, activation="relu", dropout=0, batch_first=True)`.
//!
//! Legend: B batch, L sequence length, E embedding width (`d_model`), F feed-forward width
//! (`dim_feedforward`); rows `[B·L, …]` are the positions of every sequence, one after the other.
//!
//! ```text
//! forward:  h = x + SelfAttention(LN1(x))               [B, L, E]
//!           y = h + W2 · relu(W1 · LN2(h) + b1) + b2     [B, L, E]
//! backward: dh = dy + LN2ᵀ(W1ᵀ(relu'(W2ᵀ dy)))          (both paths into h)
//!           dx = dh + LN1ᵀ(SelfAttentionᵀ(dh))           (both paths into x)
//! ```
//! The residual connections make each backward the sum of a skip path and a sub-layer path.
//!
//! [`TransformerDecoderLayer`] adds cross-attention over an encoder's output in front of a causal
//! encoder layer: the decoder of a sequence-to-sequence transformer.

use ndarray::{Ix2, Ix3};
use rand::Rng;

use super::activation::{Activation, ActivationLayer};
use super::attention::{AttentionError, MultiHeadAttention};
use super::norm::LayerNorm;
use super::{Layer, Linear, Param, ShapeError};
use crate::backend::{Backend, BackendResult, Binary, Cpu, Shaped, reshape_on, reuse_on};
use crate::scalar::Scalar;

/// One pre-norm encoder layer: self-attention then a ReLU feed-forward block, each behind a
/// LayerNorm and inside a residual connection, on backend `B` (the CPU unless said otherwise).
/// Field names are PyTorch's parameter prefixes.
#[derive(Clone, Debug)]
pub struct TransformerEncoderLayer<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the sums run.
    backend: B,
    /// Multi-head self-attention, E → E.
    pub self_attn: MultiHeadAttention<T, B>,
    /// W1: [F, E], b1: [F]
    pub linear1: Linear<T, B>,
    /// W2: [E, F], b2: [E]
    pub linear2: Linear<T, B>,
    /// LN1, before the attention.
    pub norm1: LayerNorm<T, Ix3, B>,
    /// LN2, before the feed-forward block.
    pub norm2: LayerNorm<T, Ix3, B>,
    /// The ReLU between W1 and W2.
    relu: ActivationLayer<T, Ix2, B>,
    /// h = x + SA(LN1(x)): [B, L, E]
    residual: B::Tensor<T, Ix3>,
    /// A [B, L, E] tensor seen as rows [B·L, E] (LN2(h) forward, dy backward)
    rows: B::Tensor<T, Ix2>,
    /// A [B·L, E] result seen as [B, L, E] (the feed-forward output, then dL/d LN2(h))
    unrows: B::Tensor<T, Ix3>,
    /// y of the latest forward: [B, L, E]
    output: B::Tensor<T, Ix3>,
    /// dL/dh: [B, L, E]
    grad_residual: B::Tensor<T, Ix3>,
    /// dx of the latest backward: [B, L, E]
    grad_input: B::Tensor<T, Ix3>,
}

impl<T: Scalar, B: Backend> TransformerEncoderLayer<T, B> {
    /// A layer from its parts, checking that their widths agree (E from the attention).
    pub fn from_parts(
        self_attn: MultiHeadAttention<T, B>,
        linear1: Linear<T, B>,
        linear2: Linear<T, B>,
        norm1: LayerNorm<T, Ix3, B>,
        norm2: LayerNorm<T, Ix3, B>,
    ) -> Result<Self, AttentionError> {
        let (e, f) = (self_attn.embed_dim(), linear1.out_features());
        ShapeError::check("encoder linear1.weight", &[f, e], linear1.weight.shape())?;
        ShapeError::check("encoder linear2.weight", &[e, f], linear2.weight.shape())?;
        ShapeError::check("encoder norm1.weight", &[e], norm1.weight.shape())?;
        ShapeError::check("encoder norm2.weight", &[e], norm2.weight.shape())?;
        let backend = self_attn.backend().clone();
        let seq = || backend.zeros(Ix3(0, 0, 0));
        Ok(Self {
            relu: ActivationLayer::new_on(&backend, Activation::Relu)?,
            residual: seq()?,
            rows: backend.zeros(Ix2(0, 0))?,
            unrows: seq()?,
            output: seq()?,
            grad_residual: seq()?,
            grad_input: seq()?,
            self_attn,
            linear1,
            linear2,
            norm1,
            norm2,
            backend,
        })
    }

    /// A layer on `backend` initialised like PyTorch's: attention as
    /// [`MultiHeadAttention::new_on`], linears uniform in ±1/√fan_in, LayerNorms γ = 1, β = 0,
    /// ε = 1e-5.
    pub fn new_on(
        backend: &B,
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        Self::masked_on(backend, d_model, nhead, dim_feedforward, false, rng)
    }

    /// A layer as [`TransformerEncoderLayer::new_on`] whose self-attention is causal when
    /// `causal` (position i sees only positions ≤ i: the self-attention of a decoder).
    pub fn masked_on(
        backend: &B,
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        causal: bool,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        let self_attn = MultiHeadAttention::new_on(backend, d_model, nhead, causal, rng)?;
        let linear1 = Linear::new_on(backend, d_model, dim_feedforward, rng)?;
        let linear2 = Linear::new_on(backend, dim_feedforward, d_model, rng)?;
        let norm1 = LayerNorm::new_on(backend, d_model)?;
        let norm2 = LayerNorm::new_on(backend, d_model)?;
        Self::from_parts(self_attn, linear1, linear2, norm1, norm2)
    }

    /// y `[B, L, E]` for x `[B, L, E]`; every part caches what its backward needs.
    pub fn forward(&mut self, x: &B::Tensor<T, Ix3>) -> BackendResult<&B::Tensor<T, Ix3>> {
        let s = x.shape();
        let (batch, len, e) = (s[0], s[1], s[2]);
        let be = &self.backend;
        // h = x + SA(LN1(x)): [B, L, E]
        let normed = self.norm1.forward(x)?; // [B, L, E]
        let attended = self.self_attn.forward(normed, normed, normed)?; // [B, L, E]
        let h = reuse_on(be, &mut self.residual, Ix3(batch, len, e))?;
        be.binary(Binary::Add, x, attended, h)?;
        // y = h + W2 · relu(W1 · LN2(h) + b1) + b2: [B, L, E]
        let normed = self.norm2.forward(&self.residual)?; // [B, L, E]
        let normed = reshape_on(be, normed, &mut self.rows, Ix2(batch * len, e))?; // [B·L, E]
        let hidden = self.linear1.forward(normed)?; // [B·L, F]
        let hidden = self.relu.forward(hidden)?; // [B·L, F]
        let ff = self.linear2.forward(hidden)?; // [B·L, E]
        let ff = reshape_on(be, ff, &mut self.unrows, Ix3(batch, len, e))?;
        let y = reuse_on(be, &mut self.output, Ix3(batch, len, e))?;
        be.binary(Binary::Add, &self.residual, ff, y)?;
        Ok(&self.output)
    }

    /// Adds the gradients of all twelve parameters for dy `[B, L, E]` and returns dx `[B, L, E]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix3>) -> BackendResult<&B::Tensor<T, Ix3>> {
        assert_eq!(
            dy.shape(),
            self.output.shape(),
            "encoder: grad_output shape"
        );
        let s = dy.shape();
        let (batch, len, e) = (s[0], s[1], s[2]);
        let be = &self.backend;
        // dh = dy + LN2ᵀ(W1ᵀ(relu'(W2ᵀ dy)))
        let dy_rows = reshape_on(be, dy, &mut self.rows, Ix2(batch * len, e))?; // [B·L, E]
        let d_hidden = self.linear2.backward(dy_rows)?; // [B·L, F]
        let d_hidden = self.relu.backward(d_hidden)?; // [B·L, F]
        let d_normed = self.linear1.backward(d_hidden)?; // [B·L, E]
        let d_normed = reshape_on(be, d_normed, &mut self.unrows, Ix3(batch, len, e))?;
        let d_ln2 = self.norm2.backward(d_normed)?; // [B, L, E]
        let dh = reuse_on(be, &mut self.grad_residual, Ix3(batch, len, e))?;
        be.binary(Binary::Add, dy, d_ln2, dh)?;
        // dx = dh + LN1ᵀ(SAᵀ(dh))
        let d_attn_in = self.self_attn.backward_self(&self.grad_residual)?; // [B, L, E]
        let d_ln1 = self.norm1.backward(d_attn_in)?;
        let dx = reuse_on(be, &mut self.grad_input, Ix3(batch, len, e))?;
        be.binary(Binary::Add, &self.grad_residual, d_ln1, dx)?;
        Ok(&self.grad_input)
    }
}

impl<T: Scalar> TransformerEncoderLayer<T> {
    /// A CPU layer initialised like PyTorch's (see [`TransformerEncoderLayer::new_on`]).
    pub fn new(
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        Self::new_on(&Cpu, d_model, nhead, dim_feedforward, rng)
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for TransformerEncoderLayer<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        self.self_attn
            .params_mut(&mut |p| visit(p.prefixed("self_attn")));
        self.linear1
            .params_mut(&mut |p| visit(p.prefixed("linear1")));
        self.linear2
            .params_mut(&mut |p| visit(p.prefixed("linear2")));
        self.norm1.params_mut(&mut |p| visit(p.prefixed("norm1")));
        self.norm2.params_mut(&mut |p| visit(p.prefixed("norm2")));
    }

    fn num_params(&self) -> usize {
        self.self_attn.num_params()
            + self.linear1.num_params()
            + self.linear2.num_params()
            + self.norm1.num_params()
            + self.norm2.num_params()
    }
}

/// One pre-norm decoder layer: cross-attention over the encoder's output (the memory), then a
/// causal [`TransformerEncoderLayer`] (masked self-attention and the feed-forward block), each
/// behind a LayerNorm and inside a residual connection, on backend `B`.
///
/// ```text
/// forward:  c = x + CrossAttention(LN(x), m, m)          [B, Lt, E]  (m: memory [B, Ls, E])
///           y = CausalEncoderLayer(c)                    [B, Lt, E]
/// backward: dc = CausalEncoderLayerᵀ(dy)
///           dx = dc + LNᵀ(dq),  dm = dk + dv             ([dq, dk, dv] = CrossAttentionᵀ(dc))
/// ```
/// The cross-attention comes first here (the original Transformer puts it between the masked
/// self-attention and the feed-forward block): every target position reads the source, then the
/// positions exchange what they read, causally.
#[derive(Clone, Debug)]
pub struct TransformerDecoderLayer<T: Scalar, B: Backend = Cpu> {
    /// Queries from the target positions, keys and values from the memory.
    pub cross_attn: MultiHeadAttention<T, B>,
    /// The LayerNorm before the cross-attention.
    pub norm_cross: LayerNorm<T, Ix3, B>,
    /// Causal self-attention and feed-forward block.
    pub block: TransformerEncoderLayer<T, B>,
    /// c = x + CA(LN(x), m, m): [B, Lt, E]
    residual: B::Tensor<T, Ix3>,
    /// dx of the latest backward: [B, Lt, E]
    grad_input: B::Tensor<T, Ix3>,
    /// dm of the latest backward: [B, Ls, E]
    grad_memory: B::Tensor<T, Ix3>,
}

impl<T: Scalar, B: Backend> TransformerDecoderLayer<T, B> {
    /// A layer on `backend` initialised like PyTorch's (see [`TransformerEncoderLayer::new_on`]).
    pub fn new_on(
        backend: &B,
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        let empty = || backend.zeros(Ix3(0, 0, 0));
        Ok(Self {
            cross_attn: MultiHeadAttention::new_on(backend, d_model, nhead, false, rng)?,
            norm_cross: LayerNorm::new_on(backend, d_model)?,
            block: TransformerEncoderLayer::masked_on(
                backend,
                d_model,
                nhead,
                dim_feedforward,
                true,
                rng,
            )?,
            residual: empty()?,
            grad_input: empty()?,
            grad_memory: empty()?,
        })
    }

    /// y `[B, Lt, E]` for the target positions x `[B, Lt, E]` reading `memory` `[B, Ls, E]`.
    pub fn forward(
        &mut self,
        x: &B::Tensor<T, Ix3>,
        memory: &B::Tensor<T, Ix3>,
    ) -> BackendResult<&B::Tensor<T, Ix3>> {
        let be = self.block.backend().clone();
        let normed = self.norm_cross.forward(x)?; // LN(x): [B, Lt, E]
        let read = self.cross_attn.forward(normed, memory, memory)?; // [B, Lt, E]
        let c = reuse_on(&be, &mut self.residual, dim3(x))?;
        be.binary(Binary::Add, x, read, c)?;
        self.block.forward(&self.residual)
    }

    /// Adds every parameter gradient for dy `[B, Lt, E]`; returns `[dx, dm]`: dx `[B, Lt, E]`
    /// and the gradient of the memory `[B, Ls, E]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix3>) -> BackendResult<[&B::Tensor<T, Ix3>; 2]> {
        let be = self.block.backend().clone();
        let dc = self.block.backward(dy)?; // dL/dc: [B, Lt, E]
        let [dq, dk, dv] = self.cross_attn.backward(dc)?;
        let dm = reuse_on(&be, &mut self.grad_memory, dim3(dk))?;
        be.binary(Binary::Add, dk, dv, dm)?;
        let d_normed = self.norm_cross.backward(dq)?;
        let dx = reuse_on(&be, &mut self.grad_input, dim3(dc))?;
        be.binary(Binary::Add, dc, d_normed, dx)?;
        Ok([&self.grad_input, &self.grad_memory])
    }
}

/// The shape of a 3-D tensor as a dimension.
fn dim3<R: Shaped>(x: &R) -> Ix3 {
    let s = x.shape();
    Ix3(s[0], s[1], s[2])
}

impl<T: Scalar, B: Backend> Layer<T, B> for TransformerDecoderLayer<T, B> {
    fn backend(&self) -> &B {
        self.block.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        self.cross_attn
            .params_mut(&mut |p| visit(p.prefixed("cross_attn")));
        self.norm_cross
            .params_mut(&mut |p| visit(p.prefixed("norm_cross")));
        self.block.params_mut(&mut |p| visit(p.prefixed("block")));
    }

    fn num_params(&self) -> usize {
        self.cross_attn.num_params() + self.norm_cross.num_params() + self.block.num_params()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parameters_carry_pytorch_names() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut layer = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut rng).unwrap();
        let mut names = Vec::new();
        layer.params_mut(&mut |p| names.push(p.name.to_string()));
        assert_eq!(names.len(), 12);
        assert_eq!(names[0], "self_attn.in_proj_weight");
        assert_eq!(names[3], "self_attn.out_proj.bias");
        assert_eq!(names[11], "norm2.bias");
    }

    /// The decoder layer's dx and d memory match central differences of L = Σ y ⊙ G.
    #[test]
    fn decoder_gradients_match_finite_differences() {
        use crate::gradcheck::{GradCheck, weighted_sum};
        use ndarray::Array3;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut layer = TransformerDecoderLayer::<f64>::new_on(&Cpu, 4, 2, 6, &mut rng).unwrap();
        let random = |shape: (usize, usize, usize), rng: &mut rand_chacha::ChaCha8Rng| {
            Array3::from_shape_simple_fn(shape, || rng.random::<f64>() * 2.0 - 1.0)
        };
        let (x, memory, g) = (
            random((2, 3, 4), &mut rng),
            random((2, 5, 4), &mut rng),
            random((2, 3, 4), &mut rng),
        );
        layer.forward(&x, &memory).unwrap();
        let [dx, dm] = layer.backward(&g).unwrap();
        let (dx, dm) = (dx.clone(), dm.clone());
        let check = GradCheck {
            step: 1e-5,
            rtol: 1e-5,
            atol: 1e-8,
        };
        let mut probe = layer.clone();
        check
            .check("x", &x, &dx, |x| {
                weighted_sum(probe.forward(x, &memory).unwrap(), &g)
            })
            .unwrap();
        check
            .check("memory", &memory, &dm, |m| {
                weighted_sum(probe.forward(&x, m).unwrap(), &g)
            })
            .unwrap();
        // A target position never reads a later one: y at t = 0 ignores x at t = 2.
        let mut later = x.clone();
        later[[0, 2, 1]] += 1.0;
        let before = probe.forward(&x, &memory).unwrap()[[0, 0, 0]];
        assert_eq!(probe.forward(&later, &memory).unwrap()[[0, 0, 0]], before);
    }

    #[test]
    fn mismatched_feed_forward_is_an_error() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let attn = MultiHeadAttention::<f64>::new(8, 2, false, &mut rng).unwrap();
        let err = TransformerEncoderLayer::from_parts(
            attn,
            Linear::new(8, 16, &mut rng),
            Linear::new(12, 8, &mut rng),
            LayerNorm::new(8),
            LayerNorm::new(8),
        )
        .unwrap_err();
        match err {
            AttentionError::Shape(e) => assert_eq!(e.what, "encoder linear2.weight"),
            e => panic!("not a shape error: {e}"),
        }
    }
}
