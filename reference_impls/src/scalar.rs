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

    /// e^x for the training kernels: for `f32` a branch-free polynomial the compiler can
    /// vectorise (within 2 ulp on [−87, 88]; above, the value at 88, so it never overflows; below,
    /// exactly 0, so e^−∞ = 0 as it must); for `f64` (verify, gradient checks) libm's `exp`.
    fn fast_exp(self) -> Self;
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

    #[inline(always)]
    fn fast_exp(self) -> Self {
        exp_f32(self)
    }
}

/// e^x in `f32` as Cephes' `expf`: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-6
/// polynomial, 2^n put into the exponent bits. Branch-free: every step is a vector instruction.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so that n·LN2_HI is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ];
    let clamped = x.clamp(-87.0, 88.0);
    let n = clamped.mul_add(LOG2_E, 0.5).floor(); // round(x / ln 2): |n| ≤ 127
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, clamped));
    let p = P[1..].iter().fold(P[0], |p, &c| p.mul_add(r, c));
    let e_r = (p * r).mul_add(r, r) + 1.0; // 1 + r + r²·p(r)
    // n is integral and in [−126, 127]: 2²³ + 127 + n holds n + 127 in its low mantissa
    // bits, which the shift moves into the exponent field; a bit cast, not a (saturating,
    // hard to vectorise) float-to-int conversion. NaN gives 0, and e_r stays NaN.
    let biased = (n + (127.0 + 8_388_608.0)).to_bits();
    let two_n = f32::from_bits(biased << 23);
    // Below −87, e^x < 2^−125: flushed to exactly 0 (a masked attention score must weigh 0).
    if x < -87.0 { 0.0 } else { e_r * two_n }
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

    #[inline(always)]
    fn fast_exp(self) -> Self {
        self.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::Scalar;

    /// Distance in units in the last place between two finite positive f32.
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn fast_exp_f32_is_within_two_ulp_of_exp_over_its_range() {
        let mut worst = 0;
        for i in 0..175_000 {
            let x = -87.0 + i as f32 * 1e-3; // up to 87.999: 88 is the clamp
            worst = worst.max(ulps(x.fast_exp(), (x as f64).exp() as f32));
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(0.0f32.fast_exp(), 1.0);
        assert!(f32::NAN.fast_exp().is_nan());
        assert!(1e9f32.fast_exp().is_finite());
        assert_eq!(f32::NEG_INFINITY.fast_exp(), 0.0);
        assert_eq!((-88.0f32).fast_exp(), 0.0);
    }

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
