//! Data sets: the handwritten digits shipped with the crate, loaders for MNIST-style files on disk
//! (IDX and CSV), fixed stratified train/validation/test splits, synthetic 2-D sets (moons, circles), and
//! the text of the vault's notes for character-level models.
//!
//! Every set is a [`Dataset`]: features `x` `[N, D]` in `f32`, integer labels `y` in `0..classes`.
//! Nothing is downloaded: the digits are embedded in the binary, everything else is read from a path
//! the user gives or generated from a seed.

mod csv;
mod digits;
mod idx;
mod split;
mod synthetic;
mod text;
mod user;

use std::path::PathBuf;

use ndarray::{Array2, Axis};

pub use csv::{LabelColumn, load_csv};
pub use digits::digits;
pub use idx::load_idx;
pub use split::{
    DEFAULT_SPLIT_SEED, DEFAULT_TEST_FRACTION, DEFAULT_VALIDATION_FRACTION, Splits,
    stratified_split,
};
pub use synthetic::{circles, moons};
pub use text::{Vocabulary, notes_text};
pub use user::load_user_dataset;

/// A labelled data set held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, one sample per row: `[N, D]`.
    pub x: Array2<f32>,
    /// Class of each sample, in `0..classes`: `[N]`.
    pub y: Vec<usize>,
    /// Number of classes (largest label + 1).
    pub classes: usize,
    /// `(height, width)` when each row is an image stored row-major (`height * width == D`).
    pub image_shape: Option<(usize, usize)>,
}

impl Dataset {
    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when the set holds no sample.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of features `D` per sample.
    pub fn features(&self) -> usize {
        self.x.ncols()
    }

    /// Number of samples of each class: `[classes]`.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.y {
            counts[label] += 1;
        }
        counts
    }

    /// The samples at `indices`, in that order (same classes and image shape).
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), indices),
            y: indices.iter().map(|&i| self.y[i]).collect(),
            classes: self.classes,
            image_shape: self.image_shape,
        }
    }
}

/// Why a data file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file was read but its content is not what the format requires.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file (or the name of the embedded data).
        path: PathBuf,
        /// What is wrong and, where it helps, where and how to fix it.
        message: String,
    },
}

impl DataError {
    fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Reads a whole file, transparently gunzipping it when it starts with the gzip magic bytes.
fn read_maybe_gz(path: &std::path::Path) -> Result<Vec<u8>, DataError> {
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io_error)?;
    gunzip_if_needed(raw).map_err(io_error)
}

/// Returns `bytes` decompressed when they are gzip data (magic `1f 8b`), unchanged otherwise.
fn gunzip_if_needed(bytes: Vec<u8>) -> std::io::Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(bytes.as_slice()),
        &mut out,
    )?;
    Ok(out)
}

/// The side of a square image with `features` pixels, if `features` is a perfect square.
fn square_side(features: usize) -> Option<usize> {
    let side = (features as f64).sqrt().round() as usize;
    (side > 0 && side * side == features).then_some(side)
}
