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

use ndarray::{Array3, ArrayView3, Ix2, Ix3};
use rand::Rng;

use super::activation::{Activation, ActivationLayer};
use super::attention::{AttentionError, MultiHeadAttention};
use super::norm::LayerNorm;
use super::{Layer, Linear, Param, ShapeError};
use crate::backend::Cpu;
use crate::scalar::Scalar;

/// One pre-norm encoder layer: self-attention then a ReLU feed-forward block, each behind a
/// LayerNorm and inside a residual connection. Field names are PyTorch's parameter prefixes.
#[derive(Clone, Debug)]
pub struct TransformerEncoderLayer<T: Scalar> {
    /// Multi-head self-attention, E → E.
    pub self_attn: MultiHeadAttention<T>,
    /// W1: [F, E], b1: [F]
    pub linear1: Linear<T>,
    /// W2: [E, F], b2: [E]
    pub linear2: Linear<T>,
    /// LN1, before the attention.
    pub norm1: LayerNorm<T, Ix3>,
    /// LN2, before the feed-forward block.
    pub norm2: LayerNorm<T, Ix3>,
    /// The ReLU between W1 and W2.
    relu: ActivationLayer<T>,
    /// y of the latest forward: [B, L, E]
    output: Array3<T>,
    /// dx of the latest backward: [B, L, E]
    grad_input: Array3<T>,
}

impl<T: Scalar> TransformerEncoderLayer<T> {
    /// A layer from its parts, checking that their widths agree (E from the attention).
    pub fn from_parts(
        self_attn: MultiHeadAttention<T>,
        linear1: Linear<T>,
        linear2: Linear<T>,
        norm1: LayerNorm<T, Ix3>,
        norm2: LayerNorm<T, Ix3>,
    ) -> Result<Self, ShapeError> {
        let (e, f) = (self_attn.embed_dim(), linear1.out_features());
        ShapeError::check("encoder linear1.weight", &[f, e], linear1.weight.shape())?;
        ShapeError::check("encoder linear2.weight", &[e, f], linear2.weight.shape())?;
        ShapeError::check("encoder norm1.weight", &[e], norm1.weight.shape())?;
        ShapeError::check("encoder norm2.weight", &[e], norm2.weight.shape())?;
        Ok(Self {
            self_attn,
            linear1,
            linear2,
            norm1,
            norm2,
            relu: ActivationLayer::new(Activation::Relu),
            output: Array3::zeros((0, 0, 0)),
            grad_input: Array3::zeros((0, 0, 0)),
        })
    }

    /// A layer initialised like PyTorch's: attention as [`MultiHeadAttention::new`], linears
    /// uniform in ±1/√fan_in, LayerNorms γ = 1, β = 0, ε = 1e-5.
    pub fn new(
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, AttentionError> {
        let self_attn = MultiHeadAttention::new(d_model, nhead, false, rng)?;
        let linear1 = Linear::new(d_model, dim_feedforward, rng);
        let linear2 = Linear::new(dim_feedforward, d_model, rng);
        let (norm1, norm2) = (LayerNorm::new(d_model), LayerNorm::new(d_model));
        Ok(Self::from_parts(self_attn, linear1, linear2, norm1, norm2)?)
    }

    /// y `[B, L, E]` for x `[B, L, E]`; every part caches what its backward needs.
    pub fn forward(&mut self, x: ArrayView3<'_, T>) -> ArrayView3<'_, T> {
        let (batch, len, e) = x.dim();
        let cpu = "the CPU backend does not fail";
        // h = x + SA(LN1(x)): [B, L, E]
        let normed = self.norm1.forward(&x.to_owned()).expect(cpu).view(); // [B, L, E]
        let attended = self.self_attn.forward(normed, normed, normed); // [B, L, E]
        let h = &x + &attended;
        // y = h + W2 · relu(W1 · LN2(h) + b1) + b2: [B, L, E]
        let normed = self.norm2.forward(&h).expect(cpu).view(); // [B, L, E]
        let normed = normed
            .into_shape_with_order(Ix2(batch * len, e))
            .expect("contiguous"); // [B·L, E]
        let hidden = self.linear1.forward(&normed.to_owned()).expect(cpu); // [B·L, F]
        let hidden = self.relu.forward(hidden).expect(cpu); // [B·L, F]
        let ff = self.linear2.forward(hidden).expect(cpu); // [B·L, E]
        self.output = h + ff
            .view()
            .into_shape_with_order((batch, len, e))
            .expect("linear output is contiguous");
        self.output.view()
    }

    /// Adds the gradients of all twelve parameters for dy `[B, L, E]` and returns dx `[B, L, E]`.
    pub fn backward(&mut self, dy: ArrayView3<'_, T>) -> ArrayView3<'_, T> {
        let (batch, len, e) = dy.dim();
        assert_eq!(dy.dim(), self.output.dim(), "encoder: grad_output shape");
        let dy = dy.as_standard_layout();
        let dy_rows = dy
            .view()
            .into_shape_with_order((batch * len, e))
            .expect("standard layout");
        // dh = dy + LN2ᵀ(W1ᵀ(relu'(W2ᵀ dy)))
        let cpu = "the CPU backend does not fail";
        let d_hidden = self.linear2.backward(&dy_rows.to_owned()).expect(cpu); // [B·L, F]
        let d_hidden = self.relu.backward(d_hidden).expect(cpu); // [B·L, F]
        let d_normed = self.linear1.backward(d_hidden).expect(cpu); // [B·L, E]
        let d_normed = d_normed
            .view()
            .into_shape_with_order((batch, len, e))
            .expect("contiguous")
            .to_owned();
        let dh = &dy + self.norm2.backward(&d_normed).expect(cpu); // [B, L, E]
        // dx = dh + LN1ᵀ(SAᵀ(dh))
        let d_attn_in = self.self_attn.backward_self(dh.view()); // [B, L, E]
        self.grad_input = dh + self.norm1.backward(&d_attn_in.to_owned()).expect(cpu);
        self.grad_input.view()
    }
}

impl<T: Scalar> Layer<T> for TransformerEncoderLayer<T> {
    fn backend(&self) -> &Cpu {
        &Cpu
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        self.self_attn
            .params_mut(&mut |p| visit(p.prefixed("self_attn")));
        self.linear1
            .params_mut(&mut |p| visit(p.prefixed("linear1")));
        self.linear2
            .params_mut(&mut |p| visit(p.prefixed("linear2")));
        self.norm1.params_mut(&mut |p| visit(p.prefixed("norm1")));
        self.norm2.params_mut(&mut |p| visit(p.prefixed("norm2")));
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
        assert_eq!(err.what, "encoder linear2.weight");
    }
}
