//! The float type every layer is generic over: `f32` for training, `f64` for `verify` and
//! gradient checks.

use std::fmt::{Debug, Display};
use std::iter::Sum;

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, NumAssign};

/// A real number the layers compute with (`f32` or `f64`).
///
/// It bundles what the code needs: IEEE arithmetic (`Float`), in-place operators (`NumAssign`),
/// matrix products through ndarray (`LinalgScalar`), `array * scalar` (`ScalarOperand`), and the
/// two conversions and the one special function that `Float` lacks.
pub trait Scalar:
    Float
    + NumAssign
    + LinalgScalar
    + ScalarOperand
    + Sum
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
{
    /// Converts an `f64` constant or parameter (rounding to nearest for `f32`).
    fn from_f64(value: f64) -> Self;

    /// Converts to `f64` (exact for both implementations).
    fn as_f64(self) -> f64;

    /// Converts a count or an index (`N` in a mean, say).
    fn from_usize(value: usize) -> Self {
        Self::from_f64(value as f64)
    }

    /// The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to libm accuracy (< 1 ulp).
    fn erf(self) -> Self;
}

impl Scalar for f32 {
    fn from_f64(value: f64) -> Self {
        value as f32
    }

    fn as_f64(self) -> f64 {
        f64::from(self)
    }

    fn erf(self) -> Self {
        libm::erff(self)
    }
}

impl Scalar for f64 {
    fn from_f64(value: f64) -> Self {
        value
    }

    fn as_f64(self) -> f64 {
        self
    }

    fn erf(self) -> Self {
        libm::erf(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Scalar;

    #[test]
    fn erf_matches_known_values() {
        // Values from Abramowitz & Stegun table 7.1 (and erf(-x) = -erf(x)).
        let table: [(f64, f64); 5] = [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (-1.0, -0.842_700_792_949_714_9),
        ];
        for (x, want) in table {
            assert!((Scalar::erf(x) - want).abs() < 1e-15, "erf({x})");
            assert!(
                (Scalar::erf(x as f32) - want as f32).abs() < 1e-6,
                "erff({x})"
            );
        }
    }
}
