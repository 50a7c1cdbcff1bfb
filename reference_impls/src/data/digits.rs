//! The UCI "Optical Recognition of Handwritten Digits" set (1,797 samples of 8×8 pixels, CC BY 4.0),
//! embedded in the binary; source, licence and citation in `reference_impls/data/README.md`.

use std::path::Path;

use super::csv::{LabelColumn, parse_csv, with_classes};
use super::{Dataset, gunzip_if_needed};

/// The compressed CSV: 64 pixel counts in `0..=16` (row-major), then the label.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Largest pixel count in the digits images (16 "on" pixels in a 4×4 block).
const PIXEL_MAX: f32 = 16.0;

/// The handwritten digits: `x` `[1797, 64]` scaled to `[0, 1]`, labels `0..10`, images 8×8.
pub fn digits() -> Dataset {
    let bytes =
        gunzip_if_needed(DIGITS_CSV_GZ.to_vec()).expect("the embedded digits are valid gzip");
    let text = std::str::from_utf8(&bytes).expect("the embedded digits are ASCII");
    let (x, y) = parse_csv(text, Path::new("digits.csv.gz"), LabelColumn::Last)
        .expect("the embedded digits are a valid CSV");
    with_classes(x.mapv(|v| v / PIXEL_MAX), y)
}
