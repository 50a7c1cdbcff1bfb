//! Synthetic 2-D sets that no straight line separates, generated like scikit-learn's
//! `make_moons` and `make_circles` (same shapes, same parameters), deterministic for a seed.

use std::f64::consts::PI;

use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::Dataset;

/// Two interleaving half circles: `n / 2` points of class 0 on the upper arc `(cos t, sin t)`,
/// the rest of class 1 on the lower arc `(1 - cos t, 1/2 - sin t)`, `t` evenly spaced in `[0, π]`,
/// plus Gaussian noise of standard deviation `noise` on each coordinate; samples shuffled.
pub fn moons(n: usize, noise: f64, seed: u64) -> Dataset {
    let outer = n / 2;
    let inner = n - outer;
    let mut points = Vec::with_capacity(n);
    for t in linspace(0.0, PI, outer, true) {
        points.push(([t.cos(), t.sin()], 0));
    }
    for t in linspace(0.0, PI, inner, true) {
        points.push(([1.0 - t.cos(), 0.5 - t.sin()], 1));
    }
    finish(points, noise, seed)
}

/// Two concentric circles: `n / 2` points of class 0 on the unit circle, the rest of class 1 on the
/// circle of radius `factor` (in `(0, 1)`), angles evenly spaced in `[0, 2π)`, plus Gaussian noise
/// of standard deviation `noise` on each coordinate; samples shuffled.
pub fn circles(n: usize, noise: f64, factor: f64, seed: u64) -> Dataset {
    let outer = n / 2;
    let inner = n - outer;
    let mut points = Vec::with_capacity(n);
    for t in linspace(0.0, 2.0 * PI, outer, false) {
        points.push(([t.cos(), t.sin()], 0));
    }
    for t in linspace(0.0, 2.0 * PI, inner, false) {
        points.push(([factor * t.cos(), factor * t.sin()], 1));
    }
    finish(points, noise, seed)
}

/// `count` evenly spaced values from `start` to `end` (included when `endpoint`).
fn linspace(start: f64, end: f64, count: usize, endpoint: bool) -> Vec<f64> {
    let intervals = if endpoint {
        count.saturating_sub(1)
    } else {
        count
    };
    let step = if intervals == 0 {
        0.0
    } else {
        (end - start) / intervals as f64
    };
    (0..count).map(|i| start + step * i as f64).collect()
}

/// Shuffles the points, adds the noise and packs them into a two-class [`Dataset`].
fn finish(mut points: Vec<([f64; 2], usize)>, noise: f64, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    points.shuffle(&mut rng);
    let gaussian = Normal::new(0.0, noise.max(0.0)).expect("a non-negative standard deviation");
    let x = Array2::from_shape_fn((points.len(), 2), |(i, j)| {
        (points[i].0[j] + gaussian.sample(&mut rng)) as f32
    });
    Dataset {
        x,
        y: points.iter().map(|p| p.1).collect(),
        classes: 2,
        image_shape: None,
    }
}
