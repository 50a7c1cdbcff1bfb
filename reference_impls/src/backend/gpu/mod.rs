//! The GPU backend: WGSL compute kernels run through wgpu on Vulkan, Metal or DX12 (NVIDIA, AMD,
//! Intel and Apple GPUs alike, and Mesa's lavapipe, a Vulkan device on the CPU, in CI).
//!
//! - [`adapters`]: the adapters of this machine and which one `gpu`, `gpu:N` or `cuda` selects.
//! - [`Gpu`]: an open device (opened once per process and adapter choice), its pipelines
//!   (compiled once), launches batched into few submissions, buffers pooled for reuse.
//! - [`GpuTensor`]: a row-major tensor in device memory; [`Gpu::upload`] and [`Gpu::download`]
//!   are the only host transfers.
//! - The ops, one file per kernel family: [`Gpu::gemm`] (tiled, transposes, strided batches),
//!   element-wise maps ([`Gpu::unary`], [`Gpu::binary`], …), rows ([`Gpu::softmax`],
//!   [`Gpu::layer_norm`], reductions, bias), convolution and pooling ([`Gpu::im2col`],
//!   [`Gpu::pool`]), sequences ([`Gpu::embedding`], [`Gpu::lstm_step`], [`Gpu::gru_step`],
//!   attention masks) and optimisers ([`Gpu::sgd_step`], [`Gpu::adam_step`]).
//!
//! Kernels compute in f32, or in f64 where the adapter has `SHADER_F64` (the f64 prelude writes
//! exp, log, tanh and erf from what Vulkan offers for doubles). Every failure is a [`GpuError`].

pub mod adapters;
mod context;
mod conv;
mod elementwise;
mod error;
mod gemm;
mod kernels;
mod optim;
mod rows;
mod sequence;
mod tensor;
mod trait_impl;

pub use adapters::{AdapterSummary, list_adapters, pick};
pub use context::Gpu;
pub use elementwise::{Binary, Unary};
pub use error::GpuError;
pub use gemm::GemmLayout;
pub use kernels::Precision;
pub use rows::RowReduction;
pub use sequence::GpuIndices;
pub use tensor::{Element, GpuScalar, GpuTensor};
pub use trait_impl::GpuArray;
