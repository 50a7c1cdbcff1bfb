//! Losses, each returning the mean loss and its gradient (PyTorch's `reduction="mean"`).
//!
//! Legend: N samples, C classes, z logits, y targets, p = softmax(z); `[..]` any shape.

use ndarray::{Array, Array2, ArrayView, ArrayView2, ArrayViewMut2, Axis, Dimension, Ix2, Zip};

use crate::backend::{Backend, BackendError, Shaped, host};
use crate::layers::activation::{sigmoid, softplus};
use crate::scalar::Scalar;

/// A target that does not fit the logits it is paired with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LossError {
    /// A class index outside `0..classes`.
    #[error("target {target} of sample {sample} is not a class index in 0..{classes}")]
    ClassOutOfRange {
        /// The offending sample.
        sample: usize,
        /// Its target.
        target: usize,
        /// The number of classes C.
        classes: usize,
    },
    /// One target per sample is needed.
    #[error("{targets} targets for {samples} samples")]
    CountMismatch {
        /// N, rows of the logits.
        samples: usize,
        /// The number of targets.
        targets: usize,
    },
    /// Input and target arrays differ in shape.
    #[error("input shape {input:?} differs from target shape {target:?}")]
    ShapeMismatch {
        /// The input's shape.
        input: Vec<usize>,
        /// The target's shape.
        target: Vec<usize>,
    },
    /// The device failed while computing the loss.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// A loss value with its gradient with respect to the input.
#[derive(Clone, Debug, PartialEq)]
pub struct LossGrad<T, D: Dimension> {
    /// The mean loss.
    pub loss: T,
    /// d loss / d input, shaped like the input.
    pub grad: Array<T, D>,
}

fn check_same_shape<T, D: Dimension>(
    input: &ArrayView<'_, T, D>,
    target: &ArrayView<'_, T, D>,
) -> Result<(), LossError> {
    if input.shape() == target.shape() {
        Ok(())
    } else {
        Err(LossError::ShapeMismatch {
            input: input.shape().to_vec(),
            target: target.shape().to_vec(),
        })
    }
}

fn check_targets(samples: usize, classes: usize, targets: &[usize]) -> Result<(), LossError> {
    if targets.len() != samples {
        return Err(LossError::CountMismatch {
            samples,
            targets: targets.len(),
        });
    }
    match targets.iter().position(|&t| t >= classes) {
        Some(sample) => Err(LossError::ClassOutOfRange {
            sample,
            target: targets[sample],
            classes,
        }),
        None => Ok(()),
    }
}

/// Mean squared error `mean((x − y)²)` over all elements; the gradient is `2(x − y)/n` for the
/// input (and its negative for the target).
pub fn mse<T: Scalar, D: Dimension>(
    input: ArrayView<'_, T, D>,
    target: ArrayView<'_, T, D>,
) -> Result<LossGrad<T, D>, LossError> {
    check_same_shape(&input, &target)?;
    let n = T::from_usize(input.len().max(1));
    let diff = &input - &target; // [..]
    let loss = diff.iter().map(|&d| d * d).sum::<T>() / n;
    let two_over_n = T::from_f64(2.0) / n;
    Ok(LossGrad {
        loss,
        grad: diff.mapv(|d| d * two_over_n),
    })
}

/// The BCE loss with its logits gradient, and d loss / d target.
pub type BceGrad<T, D> = (LossGrad<T, D>, Array<T, D>);

/// Binary cross-entropy on logits, `mean(softplus(z) − y·z)`, stable for any z.
/// Returns the loss, `d/dz = (σ(z) − y)/n` and `d/dy = −z/n`.
pub fn bce_with_logits<T: Scalar, D: Dimension>(
    logits: ArrayView<'_, T, D>,
    target: ArrayView<'_, T, D>,
) -> Result<BceGrad<T, D>, LossError> {
    check_same_shape(&logits, &target)?;
    let n = T::from_usize(logits.len().max(1));
    let loss = Zip::from(&logits)
        .and(&target)
        .fold(T::zero(), |acc, &z, &y| acc + softplus(z) - y * z)
        / n;
    let grad = Zip::from(&logits)
        .and(&target)
        .map_collect(|&z, &y| (sigmoid(z) - y) / n);
    let grad_target = logits.mapv(|z| -z / n);
    Ok((LossGrad { loss, grad }, grad_target))
}

/// Softmax cross-entropy with integer targets: `mean_n(−log softmax(z_n)[y_n])`.
///
/// Writes `d loss / d z = (softmax(z) − onehot(y))/N` into `grad` `[N, C]` (a buffer the caller
/// reuses across steps) and returns the loss.
pub fn softmax_cross_entropy<T: Scalar>(
    logits: ArrayView2<'_, T>,
    targets: &[usize],
    grad: ArrayViewMut2<'_, T>,
) -> Result<T, LossError> {
    let (n, classes) = logits.dim();
    check_targets(n, classes, targets)?;
    assert_eq!(grad.dim(), logits.dim(), "cross-entropy: grad buffer shape");
    Ok(host::cross_entropy(logits, targets, grad))
}

/// [`softmax_cross_entropy`] on a backend: the targets are checked on the host, copied into
/// `ids` (a buffer reused across steps), and the loss and `grad` computed where the logits are.
pub fn softmax_cross_entropy_on<T: Scalar, B: Backend>(
    backend: &B,
    logits: &B::Tensor<T, Ix2>,
    targets: &[usize],
    ids: &mut B::Indices,
    grad: &mut B::Tensor<T, Ix2>,
) -> Result<T, LossError> {
    let &[n, classes] = logits.shape() else {
        unreachable!("a 2-D tensor has two axes")
    };
    check_targets(n, classes, targets)?;
    assert_eq!(
        grad.shape(),
        logits.shape(),
        "cross-entropy: grad buffer shape"
    );
    backend.write_indices(targets, ids)?;
    Ok(backend.cross_entropy(logits, ids, grad)?)
}

/// Multi-class hinge loss (PyTorch's `multi_margin_loss`, p = 1):
/// `mean_n Σ_{i≠y} max(0, margin − z_y + z_i) / C`, with its sub-gradient.
pub fn multi_margin<T: Scalar>(
    input: ArrayView2<'_, T>,
    targets: &[usize],
    margin: T,
) -> Result<LossGrad<T, ndarray::Ix2>, LossError> {
    let (n, classes) = input.dim();
    check_targets(n, classes, targets)?;
    let scale = T::one() / (T::from_usize(n.max(1)) * T::from_usize(classes.max(1)));
    let mut grad = Array2::zeros(input.raw_dim()); // [N, C]
    let mut total = T::zero();
    for ((z, mut g), &y) in input
        .axis_iter(Axis(0))
        .zip(grad.outer_iter_mut())
        .zip(targets)
    {
        for i in (0..classes).filter(|&i| i != y) {
            let violation = margin - z[y] + z[i];
            // The sub-gradient at the hinge (violation = 0) is 0, as in PyTorch.
            if violation > T::zero() {
                total += violation;
                g[i] += scale;
                g[y] -= scale;
            }
        }
    }
    Ok(LossGrad {
        loss: total * scale,
        grad,
    })
}

/// InfoNCE in SimCLR's form (NT-Xent): for 2N embeddings `z` `[2N, D]` where rows i and i + N
/// are two views of the same sample, with `u_i = z_i/‖z_i‖` and `s_ik = u_i·u_k/τ`,
/// `mean_i(−s_{i,p(i)} + log Σ_{k≠i} exp(s_ik))`, p(i) the other view of i: each view must pick
/// its partner out of the 2N − 1 others. The gradient runs back through the normalisation:
/// ```text
/// G_ik = (softmax_{k≠i}(s_i)_k − [k = p(i)]) / 2N   (G_ii = 0)
/// dL/dU = (G + Gᵀ) U / τ,   dL/dz_i = (dU_i − u_i (u_i·dU_i)) / ‖z_i‖
/// ```
/// Computed in f64 whatever `T`.
///
/// # Panics
/// When the number of rows is odd or zero (a caller that did not stack two views).
pub fn info_nce<T: Scalar>(z: ArrayView2<'_, T>, temperature: f64) -> LossGrad<T, Ix2> {
    let (rows, _) = z.dim();
    assert!(
        rows > 0 && rows.is_multiple_of(2),
        "InfoNCE needs two views of each sample: {rows} rows"
    );
    let half = rows / 2;
    let z = z.mapv(T::as_f64);
    let norms = z.map_axis(Axis(1), |r| r.dot(&r).sqrt().max(1e-12)); // ‖z_i‖: [2N]
    let u = &z / &norms.view().insert_axis(Axis(1)); // [2N, D]
    let s = u.dot(&u.t()) / temperature; // [2N, 2N]
    let mut g = Array2::<f64>::zeros((rows, rows));
    let mut loss = 0.0;
    for i in 0..rows {
        let partner = (i + half) % rows;
        let top = (0..rows)
            .filter(|&k| k != i)
            .map(|k| s[[i, k]])
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = (0..rows)
            .filter(|&k| k != i)
            .map(|k| (s[[i, k]] - top).exp())
            .sum();
        loss += top + total.ln() - s[[i, partner]];
        for k in (0..rows).filter(|&k| k != i) {
            g[[i, k]] = (s[[i, k]] - top).exp() / total / rows as f64;
        }
        g[[i, partner]] -= 1.0 / rows as f64;
    }
    let du = (&g + &g.t()).dot(&u) / temperature; // [2N, D]
    let radial = (&u * &du).sum_axis(Axis(1)).insert_axis(Axis(1)); // u_i·dU_i: [2N, 1]
    let dz = (&du - &(&u * &radial)) / &norms.insert_axis(Axis(1));
    LossGrad {
        loss: T::from_f64(loss / rows as f64),
        grad: dz.mapv(T::from_f64),
    }
}

/// m⁺: the length a present class's capsule is pushed above.
pub const MARGIN_PRESENT: f64 = 0.9;
/// m⁻: the length an absent class's capsule is pushed below.
pub const MARGIN_ABSENT: f64 = 0.1;
/// λ: the weight of the absent classes' term.
pub const MARGIN_ABSENT_WEIGHT: f64 = 0.5;

/// The margin loss of capsule networks on the parent capsules v `[N, J, D]`, with lengths
/// `ℓ_j = ‖v_j‖` and targets y: `mean_n Σ_j T_j max(0, m⁺ − ℓ_j)² + λ (1 − T_j) max(0, ℓ_j − m⁻)²`
/// (T_j = 1 for the target class), with m⁺ = 0.9, m⁻ = 0.1, λ = 0.5 (Sabour et al.).
pub fn margin_loss<T: Scalar>(
    v: ndarray::ArrayView3<'_, T>,
    targets: &[usize],
) -> Result<LossGrad<T, ndarray::Ix3>, LossError> {
    let (n, classes, _) = v.dim();
    check_targets(n, classes, targets)?;
    let mut grad = ndarray::Array3::zeros(v.raw_dim());
    let mut total = 0.0;
    for ((v_n, mut g_n), &y) in v.outer_iter().zip(grad.outer_iter_mut()).zip(targets) {
        for (j, (v_j, mut g_j)) in v_n.outer_iter().zip(g_n.outer_iter_mut()).enumerate() {
            let length = v_j.iter().map(|&x| x.as_f64().powi(2)).sum::<f64>().sqrt();
            let (loss, d_length) = if j == y {
                let gap = (MARGIN_PRESENT - length).max(0.0);
                (gap * gap, -2.0 * gap)
            } else {
                let gap = (length - MARGIN_ABSENT).max(0.0);
                (
                    MARGIN_ABSENT_WEIGHT * gap * gap,
                    2.0 * MARGIN_ABSENT_WEIGHT * gap,
                )
            };
            total += loss;
            if length > 0.0 {
                let scale = d_length / length / n as f64;
                g_j.zip_mut_with(&v_j, |g, &x| *g = T::from_f64(scale * x.as_f64()));
            }
        }
    }
    Ok(LossGrad {
        loss: T::from_f64(total / n.max(1) as f64),
        grad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cross_entropy_of_uniform_logits_is_log_classes() {
        let logits = Array2::<f64>::zeros((2, 4));
        let mut grad = Array2::zeros((2, 4));
        let loss = softmax_cross_entropy(logits.view(), &[1, 3], grad.view_mut()).unwrap();
        assert!((loss - 4f64.ln()).abs() < 1e-15);
        assert!((grad[[0, 1]] - (0.25 - 1.0) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn bad_targets_are_errors() {
        let logits = Array2::<f64>::zeros((2, 3));
        let mut grad = Array2::zeros((2, 3));
        let err = softmax_cross_entropy(logits.view(), &[0, 3], grad.view_mut()).unwrap_err();
        assert!(err.to_string().contains("target 3 of sample 1"), "{err}");
        assert!(multi_margin(logits.view(), &[0], 1.0).is_err());
    }

    #[test]
    fn bce_is_stable_for_large_logits() {
        let z = array![35.0_f64, -40.0];
        let y = array![0.0, 1.0];
        let (out, _) = bce_with_logits(z.view(), y.view()).unwrap();
        assert!((out.loss - (35.0 + 40.0) / 2.0).abs() < 1e-9);
    }

    /// InfoNCE's gradient (through the normalisation) matches central differences, and the
    /// loss is lower when the views of a sample agree than when they are shuffled.
    #[test]
    fn info_nce_gradient_matches_finite_differences() {
        use crate::gradcheck::GradCheck;
        let z = Array2::from_shape_fn((6, 3), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 1.7);
        let out = info_nce(z.view(), 0.5);
        GradCheck::default()
            .check("z", &z, &out.grad, |z| info_nce(z.view(), 0.5).loss)
            .unwrap();
        let views = array![[1.0, 0.1], [0.0, 1.0], [0.9, 0.0], [0.1, 1.2]];
        let swapped = array![[1.0, 0.1], [0.0, 1.0], [0.1, 1.2], [0.9, 0.0]];
        assert!(info_nce(views.view(), 0.5).loss < info_nce(swapped.view(), 0.5).loss);
    }

    /// The margin loss's gradient matches central differences, and is zero for a capsule
    /// already past its margin.
    #[test]
    fn margin_loss_gradient_matches_finite_differences() {
        use crate::gradcheck::GradCheck;
        let v = ndarray::Array3::from_shape_fn((2, 3, 2), |(n, j, k)| {
            0.1 + 0.3 * ((n * 5 + j * 3 + k) % 4) as f64 / 3.0
        });
        let out = margin_loss(v.view(), &[1, 2]).unwrap();
        GradCheck::default()
            .check("v", &v, &out.grad, |v| {
                margin_loss(v.view(), &[1, 2]).unwrap().loss
            })
            .unwrap();
        let sure = ndarray::array![[[0.95, 0.0], [0.05, 0.0]]];
        let out = margin_loss(sure.view(), &[0]).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(out.grad.iter().all(|&g| g == 0.0));
    }
}
