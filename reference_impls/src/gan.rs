//! The losses of a GAN (Goodfellow et al., 2014) on the discriminator's logits, with gradients.
//!
//! Legend: N samples, z a logit D(·) before the sigmoid, σ the logistic sigmoid,
//! softplus(u) = ln(1 + eᵘ), so that −ln σ(z) = softplus(−z) and −ln(1 − σ(z)) = softplus(z).
//!
//! ```text
//! discriminator:              L_D = mean softplus(−z_real) + mean softplus(z_fake)
//!                                 = BCE(z_real, 1) + BCE(z_fake, 0)
//! generator (non-saturating): L_G = mean softplus(−z_fake) = BCE(z_fake, 1)
//! ```
//! The non-saturating generator loss maximises ln D(G(z)) instead of minimising ln(1 − D(G(z))):
//! its gradient stays large while the discriminator confidently rejects the fakes.

use ndarray::{Array, ArrayView, Dimension};

use crate::loss::{LossGrad, bce_with_logits};
use crate::scalar::Scalar;

/// The discriminator's loss, its two halves and its gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscriminatorLoss<T, D: Dimension> {
    /// L_D = loss_real + loss_fake.
    pub loss: T,
    /// mean softplus(−z_real): real samples labelled 1.
    pub loss_real: T,
    /// mean softplus(z_fake): generated samples labelled 0.
    pub loss_fake: T,
    /// dL_D/dz_real = −σ(−z_real)/N, shaped like the real logits.
    pub grad_real_logits: Array<T, D>,
    /// dL_D/dz_fake = σ(z_fake)/N, shaped like the fake logits.
    pub grad_fake_logits: Array<T, D>,
}

/// Binary cross-entropy of `logits` against the constant label `label` (0 or 1).
fn bce_against<T: Scalar, D: Dimension>(logits: ArrayView<'_, T, D>, label: T) -> LossGrad<T, D> {
    let target = Array::from_elem(logits.raw_dim(), label);
    let (loss, _grad_target) =
        bce_with_logits(logits, target.view()).expect("the target is shaped like the logits");
    loss
}

/// L_D for the discriminator's logits on real samples and on generated ones (any shapes).
pub fn discriminator_loss<T: Scalar, D: Dimension>(
    real_logits: ArrayView<'_, T, D>,
    fake_logits: ArrayView<'_, T, D>,
) -> DiscriminatorLoss<T, D> {
    let real = bce_against(real_logits, T::one());
    let fake = bce_against(fake_logits, T::zero());
    DiscriminatorLoss {
        loss: real.loss + fake.loss,
        loss_real: real.loss,
        loss_fake: fake.loss,
        grad_real_logits: real.grad,
        grad_fake_logits: fake.grad,
    }
}

/// The non-saturating generator loss L_G = mean softplus(−z_fake), with dL_G/dz_fake.
pub fn generator_loss_nonsaturating<T: Scalar, D: Dimension>(
    fake_logits: ArrayView<'_, T, D>,
) -> LossGrad<T, D> {
    bce_against(fake_logits, T::one())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_perfect_discriminator_has_near_zero_loss_and_the_generator_a_large_gradient() {
        let real = array![[30.0_f64], [25.0]];
        let fake = array![[-30.0], [-25.0]];
        let d = discriminator_loss(real.view(), fake.view());
        assert!(d.loss < 1e-10 && d.loss == d.loss_real + d.loss_fake);
        let g = generator_loss_nonsaturating(fake.view());
        assert!(g.loss > 20.0);
        assert!((g.grad[[0, 0]] + 0.5).abs() < 1e-12); // −σ(30)/N with N = 2
    }
}
