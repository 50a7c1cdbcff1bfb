//! From-scratch, gradient-checked reference implementations of the architectures the savoir vault
//! describes.
//!
//! - [`scalar`]: the float type everything is generic over (`f32` to train, `f64` to verify).
//! - [`backend`]: the seam between the math and where it runs: the [`Backend`] trait (its own
//!   tensor storage and the ops layers need), [`backend::Cpu`], and the [`backend::Device`] a run
//!   asks for. Layers hold a backend and its tensors (`Linear<T, B = Cpu>`).
//! - [`layers`]: layers with forward and backward side by side (read the API at the top of that
//!   module), [`loss`] and [`optim`] the losses and optimisers, all as PyTorch defines them.
//! - [`gradcheck`]: central finite differences, to test any backward.
//! - [`verify`]: runs PyTorch's reference vectors against these implementations.
//!
//! ```
//! use ndarray::array;
//! use reference_impls::layers::{Layer, Linear};
//! use reference_impls::optim::{Optimizer, Sgd, SgdConfig};
//!
//! # fn main() -> Result<(), reference_impls::backend::BackendError> {
//! let mut layer = Linear::from_weights(array![[1.0, 2.0]], array![0.0]).unwrap();
//! let y = layer.forward(&array![[3.0, 4.0]])?; // y = x Wᵀ + b = [[11]]
//! assert_eq!(y, array![[11.0]]);
//! layer.zero_grad()?;
//! layer.backward_params(&array![[1.0]])?; // dL/dy = 1
//! Sgd::new(SgdConfig::new(0.5)).step(&mut layer)?; // W ← W − 0.5·x
//! assert_eq!(layer.weight, array![[-0.5, 0.0]]);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod backend;
pub mod data;
pub mod diffusion;
pub mod gan;
pub mod gradcheck;
pub mod implementation;
pub mod layers;
pub mod loss;
pub mod models;
pub mod optim;
pub mod params;
pub mod plot;
pub mod registry;
pub mod report;
pub mod scalar;
pub mod verify;

pub use backend::{Backend, Cpu, Device, DeviceError};
pub use scalar::Scalar;
