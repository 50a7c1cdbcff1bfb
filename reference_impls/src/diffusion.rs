//! The forward (noising) process of DDPM (Ho et al., 2020) with its linear β schedule.
//!
//! Legend: T diffusion steps, t a 0-based step index (t = 0 is the first, least noisy step),
//! B batch, `[B, …]` a batch of samples of any shape, β_t the noise variance added at step t,
//! ᾱ_t = Π_{s ≤ t} (1 − β_s) the signal kept after t + 1 steps.
//!
//! ```text
//! β_t   = β_start + t · (β_end − β_start)/(T − 1)      (PyTorch's linspace)
//! ᾱ_t   = Π_{s=0..t} (1 − β_s)
//! x_t   = √ᾱ_t · x0 + √(1 − ᾱ_t) · ε,   ε ~ N(0, I)    (q_sample: x_t drawn from q(x_t | x0))
//! ```

use ndarray::{Array, Array1, ArrayView, Axis, RemoveAxis, Zip};

use crate::scalar::Scalar;

/// Why a noising request cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffusionError {
    /// The schedule needs at least two steps and 0 ≤ β_start ≤ β_end < 1.
    #[error(
        "invalid linear schedule: {steps} steps from {beta_start} to {beta_end}; need at least 2 steps and 0 <= beta_start <= beta_end < 1"
    )]
    Schedule {
        /// T.
        steps: usize,
        /// β at t = 0.
        beta_start: String,
        /// β at t = T − 1.
        beta_end: String,
    },
    /// A timestep outside `0..T`.
    #[error("timestep {t} is outside 0..{steps} (t is a 0-based index)")]
    Timestep {
        /// The timestep asked for.
        t: usize,
        /// T.
        steps: usize,
    },
    /// x0 and ε differ in shape, or the number of timesteps is not the batch size.
    #[error(
        "x0 has shape {x0:?}, eps {eps:?} and there are {timesteps} timesteps: need equal shapes and one timestep per batch row"
    )]
    Shape {
        /// x0's shape.
        x0: Vec<usize>,
        /// ε's shape.
        eps: Vec<usize>,
        /// The number of timesteps given.
        timesteps: usize,
    },
}

/// The noise schedule of a DDPM: β_t and ᾱ_t for t = 0 … T − 1.
#[derive(Clone, Debug, PartialEq)]
pub struct DdpmSchedule<T> {
    /// β_t: [T]
    pub betas: Array1<T>,
    /// ᾱ_t = Π_{s ≤ t} (1 − β_s): [T]
    pub alphas_cumprod: Array1<T>,
}

impl<T: Scalar> DdpmSchedule<T> {
    /// The linear schedule of the DDPM paper: `steps` values of β evenly spaced from `beta_start`
    /// to `beta_end` (1e-4 to 0.02 over 1000 steps there).
    pub fn linear(steps: usize, beta_start: f64, beta_end: f64) -> Result<Self, DiffusionError> {
        if steps < 2 || !(0.0 <= beta_start && beta_start <= beta_end && beta_end < 1.0) {
            return Err(DiffusionError::Schedule {
                steps,
                beta_start: beta_start.to_string(),
                beta_end: beta_end.to_string(),
            });
        }
        let betas = linspace(beta_start, beta_end, steps); // β: [T], in f64
        let mut kept = 1.0;
        let alphas_cumprod = betas.mapv(|beta| {
            kept *= 1.0 - beta;
            T::from_f64(kept)
        });
        Ok(Self {
            betas: betas.mapv(T::from_f64),
            alphas_cumprod,
        })
    }

    /// T, the number of diffusion steps.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    /// `Ok(t)` when t is a step of this schedule.
    fn check(&self, t: usize) -> Result<usize, DiffusionError> {
        if t < self.steps() {
            Ok(t)
        } else {
            Err(DiffusionError::Timestep {
                t,
                steps: self.steps(),
            })
        }
    }

    /// β_t.
    pub fn beta(&self, t: usize) -> Result<T, DiffusionError> {
        Ok(self.betas[self.check(t)?])
    }

    /// ᾱ_t.
    pub fn alpha_cumprod(&self, t: usize) -> Result<T, DiffusionError> {
        Ok(self.alphas_cumprod[self.check(t)?])
    }

    /// Noises a batch: row b of x0 `[B, …]` becomes `√ᾱ_t x0 + √(1 − ᾱ_t) ε` with t = `t[b]`
    /// and ε the same row of `eps` (same shape as x0).
    pub fn q_sample<D: RemoveAxis>(
        &self,
        x0: ArrayView<'_, T, D>,
        eps: ArrayView<'_, T, D>,
        t: &[usize],
    ) -> Result<Array<T, D>, DiffusionError> {
        if x0.shape() != eps.shape() || x0.ndim() == 0 || x0.len_of(Axis(0)) != t.len() {
            return Err(DiffusionError::Shape {
                x0: x0.shape().to_vec(),
                eps: eps.shape().to_vec(),
                timesteps: t.len(),
            });
        }
        let mut x_t = Array::zeros(x0.raw_dim()); // [B, …]
        for (b, &step) in t.iter().enumerate() {
            let alpha_bar = self.alpha_cumprod(step)?;
            let (signal, noise) = (alpha_bar.sqrt(), (T::one() - alpha_bar).sqrt());
            Zip::from(x_t.index_axis_mut(Axis(0), b))
                .and(x0.index_axis(Axis(0), b))
                .and(eps.index_axis(Axis(0), b))
                .for_each(|x, &x0, &e| *x = signal * x0 + noise * e);
        }
        Ok(x_t)
    }
}

/// `steps` evenly spaced values from `start` to `end`, computed as `torch.linspace` does: from
/// the start for the first half and from the end for the second, so both ends are exact.
fn linspace(start: f64, end: f64, steps: usize) -> Array1<f64> {
    let step = (end - start) / (steps - 1) as f64;
    Array1::from_shape_fn(steps, |i| {
        if i < steps / 2 {
            start + step * i as f64
        } else {
            end - step * (steps - 1 - i) as f64
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn schedule_ends_match_the_paper() {
        let s = DdpmSchedule::<f64>::linear(1000, 1e-4, 0.02).unwrap();
        assert_eq!(s.beta(0).unwrap(), 1e-4);
        assert_eq!(s.beta(999).unwrap(), 0.02);
        assert_eq!(s.alpha_cumprod(0).unwrap(), 1.0 - 1e-4);
        assert!(s.alpha_cumprod(999).unwrap() < 1e-4); // almost pure noise at the end
        assert!(s.alphas_cumprod.windows(2).into_iter().all(|w| w[1] < w[0]));
        let err = s.beta(1000).unwrap_err().to_string();
        assert!(err.contains("outside 0..1000"), "{err}");
    }

    #[test]
    fn q_sample_mixes_each_row_with_its_own_timestep() {
        let s = DdpmSchedule::<f64>::linear(10, 0.1, 0.5).unwrap();
        let x0 = array![[1.0, 2.0], [1.0, 2.0]];
        let eps = array![[0.5, -0.5], [0.5, -0.5]];
        let x_t = s.q_sample(x0.view(), eps.view(), &[0, 9]).unwrap();
        let a0 = 0.9_f64;
        assert!((x_t[[0, 0]] - (a0.sqrt() + 0.5 * (1.0 - a0).sqrt())).abs() < 1e-15);
        assert_ne!(x_t.row(0), x_t.row(1));
        assert!(s.q_sample(x0.view(), eps.view(), &[0]).is_err());
        assert!(DdpmSchedule::<f32>::linear(1, 0.1, 0.2).is_err());
    }
}
