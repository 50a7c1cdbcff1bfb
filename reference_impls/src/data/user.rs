//! A user's own data set on disk, given as one path: an MNIST folder of IDX files (with its own
//! train/test split) or a single CSV file (label first, split like the digits).

use std::path::{Path, PathBuf};

use super::{
    DEFAULT_SPLIT_SEED, DEFAULT_TEST_FRACTION, DataError, Dataset, LabelColumn, load_csv, load_idx,
    stratified_split,
};

/// The four IDX files of an MNIST-style folder, by their standard names (each may end in `.gz`).
const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Loads `(train, test)` from `path`:
/// - a folder holding MNIST's four IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
///   `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally `.gz`): its own split;
/// - a `.csv` / `.csv.gz` file, one sample per line with the label first (the layout of the common
///   MNIST CSV exports): split stratified 75/25 with [`DEFAULT_SPLIT_SEED`].
pub fn load_user_dataset(path: &Path) -> Result<(Dataset, Dataset), DataError> {
    if path.is_dir() {
        let [train_x, train_y, test_x, test_y] = IDX_FILES.map(|name| idx_file(path, name));
        return Ok((
            load_idx(&train_x?, &train_y?)?,
            load_idx(&test_x?, &test_y?)?,
        ));
    }
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        let all = load_csv(path, LabelColumn::First)?;
        return Ok(stratified_split(
            &all,
            DEFAULT_TEST_FRACTION,
            DEFAULT_SPLIT_SEED,
        ));
    }
    Err(DataError::format(
        path,
        "expected a folder of MNIST IDX files or a .csv / .csv.gz file (label first)",
    ))
}

/// `dir/name` or `dir/name.gz`, whichever exists.
fn idx_file(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    [plain, gz]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            DataError::format(
                dir,
                format!(
                    "missing {name} (or {name}.gz): an MNIST folder needs {}",
                    IDX_FILES.join(", ")
                ),
            )
        })
}
