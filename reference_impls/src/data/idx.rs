//! IDX loader: MNIST's binary format (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, …).
//!
//! An IDX file is a magic number `00 00 TT DD` (TT the element type, 0x08 for unsigned bytes; DD
//! the number of dimensions), DD big-endian `u32` sizes, then the elements in row-major order.

use std::path::Path;

use ndarray::Array2;

use super::{DataError, Dataset, read_maybe_gz};

/// Element type code of unsigned bytes, the only one MNIST uses.
const UBYTE: u8 = 0x08;

/// Loads images `[N, rows, cols]` (idx3) and labels `[N]` (idx1), each plain or gzip-compressed.
///
/// Pixels are scaled to `[0, 1]` (divided by 255); each image becomes one row of `x`,
/// `[N, rows * cols]`, with `image_shape = (rows, cols)`.
pub fn load_idx(images: &Path, labels: &Path) -> Result<Dataset, DataError> {
    let image_bytes = read_maybe_gz(images)?;
    let (dims, pixels) = parse_idx(&image_bytes, images)?;
    let [n, rows, cols] = dims[..] else {
        return Err(DataError::format(
            images,
            format!(
                "{} dimensions, expected 3 (an idx3 images file)",
                dims.len()
            ),
        ));
    };
    let label_bytes = read_maybe_gz(labels)?;
    let (label_dims, label_values) = parse_idx(&label_bytes, labels)?;
    if label_dims.len() != 1 {
        return Err(DataError::format(
            labels,
            format!(
                "{} dimensions, expected 1 (an idx1 labels file)",
                label_dims.len()
            ),
        ));
    }
    if label_dims[0] != n {
        return Err(DataError::format(
            labels,
            format!(
                "{} labels for {n} images in {}; are they from the same set (train/test)?",
                label_dims[0],
                images.display()
            ),
        ));
    }
    let x = Array2::from_shape_vec(
        (n, rows * cols),
        pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
    )
    .expect("parse_idx checked the element count");
    let y: Vec<usize> = label_values.iter().map(|&l| usize::from(l)).collect();
    let classes = y.iter().max().map_or(0, |&m| m + 1);
    Ok(Dataset {
        x,
        y,
        classes,
        image_shape: Some((rows, cols)),
    })
}

/// Splits an IDX file of unsigned bytes into its dimensions and its elements.
fn parse_idx<'a>(bytes: &'a [u8], path: &Path) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let [0, 0, kind, ndims, ..] = *bytes else {
        return Err(DataError::format(
            path,
            "not an IDX file: it must start with two zero bytes, a type code and a dimension count",
        ));
    };
    if kind != UBYTE {
        return Err(DataError::format(
            path,
            format!(
                "IDX element type 0x{kind:02x} is not supported; only unsigned bytes (0x08) are"
            ),
        ));
    }
    let header = 4 + 4 * usize::from(ndims);
    let size_bytes = bytes.get(4..header).ok_or_else(|| {
        DataError::format(
            path,
            format!("truncated header: {ndims} dimension sizes announced"),
        )
    })?;
    let dims: Vec<usize> = size_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count: usize = dims.iter().product();
    let data = &bytes[header..];
    if data.len() != count {
        return Err(DataError::format(
            path,
            format!(
                "{} data bytes, expected {count} for dimensions {dims:?} (truncated download?)",
                data.len()
            ),
        ));
    }
    Ok((dims, data))
}
