//! CSV loader: one sample per line, comma-separated numbers, the label in the first or last column.

use std::path::Path;

use ndarray::Array2;

use super::{DataError, Dataset, read_maybe_gz, square_side};

/// Which column of a CSV line holds the class label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelColumn {
    /// `label,f1,f2,…` (the layout of the common MNIST CSV exports).
    First,
    /// `f1,f2,…,label` (the layout of the UCI digits file shipped in `data/`).
    Last,
}

/// Loads a CSV data set from `path` (plain or gzip-compressed, detected from the content).
///
/// Format: one sample per line, numbers separated by commas, every line with the same number of
/// columns; the label, a non-negative integer, is in the column `label` says. Blank lines are
/// skipped, and so is a first line that is not numeric (a header). Features are scaled to `[0, 1]`
/// by dividing by the file's largest feature value when that exceeds 1 (255 for MNIST, 16 for the
/// UCI digits). When the number of features is a perfect square, rows are taken as square images.
pub fn load_csv(path: &Path, label: LabelColumn) -> Result<Dataset, DataError> {
    let bytes = read_maybe_gz(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        DataError::format(path, format!("not UTF-8 text ({e}); expected a CSV file"))
    })?;
    let (mut x, y) = parse_csv(text, path, label)?;
    let largest = x.iter().copied().fold(0.0f32, f32::max);
    if largest > 1.0 {
        x.mapv_inplace(|v| v / largest);
    }
    Ok(with_classes(x, y))
}

/// Builds a [`Dataset`] from raw features and labels, deriving the class count and image shape.
pub(super) fn with_classes(x: Array2<f32>, y: Vec<usize>) -> Dataset {
    let classes = y.iter().max().map_or(0, |&m| m + 1);
    let image_shape = square_side(x.ncols()).map(|s| (s, s));
    Dataset {
        x,
        y,
        classes,
        image_shape,
    }
}

/// Parses CSV text into unscaled features `[N, D]` and labels `[N]`; `source` names it in errors.
pub(super) fn parse_csv(
    text: &str,
    source: &Path,
    label: LabelColumn,
) -> Result<(Array2<f32>, Vec<usize>), DataError> {
    let mut values: Vec<f32> = Vec::new();
    let mut labels = Vec::new();
    let mut columns = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let numbers: Result<Vec<f32>, _> = fields.iter().map(|f| f.parse::<f32>()).collect();
        let numbers = match numbers {
            Ok(numbers) => numbers,
            Err(_) if index == 0 => continue, // a header line
            Err(e) => {
                return Err(DataError::format(
                    source,
                    format!(
                        "line {line_no}: a field is not a number ({e}); every field must be numeric"
                    ),
                ));
            }
        };
        let expected = *columns.get_or_insert(numbers.len());
        if numbers.len() != expected || expected < 2 {
            return Err(DataError::format(
                source,
                format!(
                    "line {line_no}: {} columns, expected {expected} (at least 2: features and a label)",
                    numbers.len()
                ),
            ));
        }
        let (label_value, features) = match label {
            LabelColumn::First => (numbers[0], &numbers[1..]),
            LabelColumn::Last => (numbers[expected - 1], &numbers[..expected - 1]),
        };
        if label_value < 0.0 || label_value.fract() != 0.0 {
            return Err(DataError::format(
                source,
                format!(
                    "line {line_no}: label {label_value} is not a non-negative integer \
                     (is the label in the {} column?)",
                    match label {
                        LabelColumn::First => "first",
                        LabelColumn::Last => "last",
                    }
                ),
            ));
        }
        labels.push(label_value as usize);
        values.extend_from_slice(features);
    }
    let Some(columns) = columns else {
        return Err(DataError::format(source, "no data line found"));
    };
    let x = Array2::from_shape_vec((labels.len(), columns - 1), values)
        .expect("every row has columns - 1 features");
    Ok((x, labels))
}
