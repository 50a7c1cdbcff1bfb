//! Gradient checking by central finite differences, in `f64`.
//!
//! For a scalar function L(x) and an analytic gradient g (what a backward computed), each
//! component is compared with the central difference
//! `(L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h`, whose error is O(h²), and must satisfy
//! `|g − numeric| ≤ atol + rtol·|numeric|`.
//!
//! ```
//! use ndarray::array;
//! use reference_impls::gradcheck::{GradCheck, weighted_sum};
//!
//! // L(x) = Σ x²·G has gradient 2x ⊙ G.
//! let x = array![1.0, -2.0, 0.5];
//! let g = array![0.3, 1.0, -1.0];
//! let analytic = 2.0 * &x * &g;
//! GradCheck::default()
//!     .check("x", &x, &analytic, |x| weighted_sum(&x.mapv(|v| v * v), &g))
//!     .unwrap();
//! ```

use ndarray::{Array, ArrayBase, Data, Dimension, IntoDimension, Zip};

/// A component where the analytic and numeric gradients disagree.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "gradient of {name} at {index:?}: analytic {analytic:e} vs numeric {numeric:e} \
     (|diff| {diff:e} > {allowed:e}); {mismatches} of {total} components differ"
)]
pub struct GradCheckError {
    /// The name of the checked input.
    pub name: String,
    /// The index of the worst component.
    pub index: Vec<usize>,
    /// The backward's value there.
    pub analytic: f64,
    /// The finite difference there.
    pub numeric: f64,
    /// |analytic − numeric|.
    pub diff: f64,
    /// atol + rtol·|numeric|.
    pub allowed: f64,
    /// How many components are out of tolerance.
    pub mismatches: usize,
    /// How many components were checked.
    pub total: usize,
}

/// Step and tolerances of a gradient check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// h, the finite-difference step.
    pub step: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Default for GradCheck {
    /// h = 1e-6, rtol = 1e-5, atol = 1e-7: tight for smooth functions of moderate size.
    fn default() -> Self {
        Self {
            step: 1e-6,
            rtol: 1e-5,
            atol: 1e-7,
        }
    }
}

impl GradCheck {
    /// The numeric gradient of `loss` at `x` by central differences (x is perturbed one
    /// component at a time and restored).
    pub fn numeric_gradient<D: Dimension>(
        &self,
        x: &Array<f64, D>,
        mut loss: impl FnMut(&Array<f64, D>) -> f64,
    ) -> Array<f64, D> {
        let mut probe = x.as_standard_layout().into_owned();
        let grad = (0..x.len())
            .map(|i| {
                let original = *component(&mut probe, i);
                *component(&mut probe, i) = original + self.step;
                let plus = loss(&probe);
                *component(&mut probe, i) = original - self.step;
                let minus = loss(&probe);
                *component(&mut probe, i) = original;
                (plus - minus) / (2.0 * self.step)
            })
            .collect();
        Array::from_shape_vec(x.raw_dim(), grad).expect("one value per component")
    }

    /// Checks `analytic` against the numeric gradient of `loss` at `x`; on success returns the
    /// largest absolute difference.
    pub fn check<D: Dimension>(
        &self,
        name: &str,
        x: &Array<f64, D>,
        analytic: &Array<f64, D>,
        loss: impl FnMut(&Array<f64, D>) -> f64,
    ) -> Result<f64, GradCheckError> {
        assert_eq!(
            x.shape(),
            analytic.shape(),
            "gradcheck {name}: gradient shape"
        );
        let numeric = self.numeric_gradient(x, loss);
        let mut worst: Option<(Vec<usize>, f64, f64, f64, f64)> = None;
        let mut mismatches = 0;
        let mut max_diff = 0.0_f64;
        for ((index, &a), &n) in analytic.indexed_iter().zip(numeric.iter()) {
            let diff = (a - n).abs();
            let allowed = self.atol + self.rtol * n.abs();
            max_diff = max_diff.max(diff);
            if diff.is_nan() || diff > allowed {
                mismatches += 1;
                let excess = diff / allowed;
                if worst
                    .as_ref()
                    .is_none_or(|w| excess > w.3 / w.4 || excess.is_nan())
                {
                    let index = index.into_dimension().slice().to_vec();
                    worst = Some((index, a, n, diff, allowed));
                }
            }
        }
        match worst {
            None => Ok(max_diff),
            Some((index, analytic, numeric, diff, allowed)) => Err(GradCheckError {
                name: name.to_string(),
                index,
                analytic,
                numeric,
                diff,
                allowed,
                mismatches,
                total: x.len(),
            }),
        }
    }
}

/// The `i`-th component, in row-major order, of a row-major array.
fn component<D: Dimension>(a: &mut Array<f64, D>, i: usize) -> &mut f64 {
    &mut a.as_slice_mut().expect("row-major")[i]
}

/// L = Σ y ⊙ G, the scalar whose gradient with respect to y is G: the way a backward with
/// upstream gradient G is turned into a scalar to check.
pub fn weighted_sum<S1, S2, D>(y: &ArrayBase<S1, D>, g: &ArrayBase<S2, D>) -> f64
where
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
    D: Dimension,
{
    Zip::from(y).and(g).fold(0.0, |acc, &a, &b| acc + a * b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_wrong_gradient_is_reported_with_its_index() {
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let mut wrong: ndarray::Array2<f64> = 2.0 * &x;
        wrong[[1, 0]] += 0.1;
        let err = GradCheck::default()
            .check("x", &x, &wrong, |x| x.mapv(|v| v * v).sum())
            .unwrap_err();
        assert_eq!(err.index, vec![1, 0]);
        assert_eq!(err.mismatches, 1);
        assert!(err.to_string().contains("gradient of x at [1, 0]"), "{err}");
    }
}
