//! The fixed, stratified, shuffled splits every classifier of the crate uses: train/test, and the
//! validation split carved from the training data to choose hyper-parameters.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::Dataset;

/// Seed of the split the models use by default: the split is part of the data set, not of the run,
/// so changing `--seed` changes the initialisation and the batches, never which samples are tested.
pub const DEFAULT_SPLIT_SEED: u64 = 0;

/// Fraction of each class held out for testing by default (a 75/25 split).
pub const DEFAULT_TEST_FRACTION: f64 = 0.25;

/// Fraction of each class of the training split held out for validation by default.
pub const DEFAULT_VALIDATION_FRACTION: f64 = 0.2;

/// The three splits of a supervised run: fit on `train`, choose hyper-parameters (the epoch to
/// keep) on `validation`, and measure the chosen model once on `test`.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    /// What the model is fitted on.
    pub train: Dataset,
    /// Carved from the training data: what hyper-parameters are chosen on.
    pub validation: Dataset,
    /// Held out from the start, used once for the reported figures.
    pub test: Dataset,
}

impl Splits {
    /// Carves a stratified validation split ([`DEFAULT_VALIDATION_FRACTION`] of each class, split
    /// seed [`DEFAULT_SPLIT_SEED`]) out of `train_all`; `test` is kept as it is.
    pub fn carve_validation(train_all: &Dataset, test: Dataset) -> Self {
        let (train, validation) =
            stratified_split(train_all, DEFAULT_VALIDATION_FRACTION, DEFAULT_SPLIT_SEED);
        Self {
            train,
            validation,
            test,
        }
    }

    /// The same splits with the labels of `train` and `validation` shuffled (a seeded permutation
    /// within each), the test labels left true: the control of a permutation test, where a model
    /// can only learn noise and must fall to chance on the test split.
    pub fn with_shuffled_labels(&self, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut shuffled = |data: &Dataset| {
            let mut copy = data.clone();
            copy.y.shuffle(&mut rng);
            copy
        };
        Self {
            train: shuffled(&self.train),
            validation: shuffled(&self.validation),
            test: self.test.clone(),
        }
    }
}

/// Splits `data` into `(train, test)`, stratified: each class contributes
/// `round(count * test_fraction)` of its samples, chosen at random, to the test set, so both sets
/// keep the class proportions of `data`. Both sets are then shuffled. The same `seed` always gives
/// the same split.
pub fn stratified_split(data: &Dataset, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); data.classes];
    for (index, &label) in data.y.iter().enumerate() {
        by_class[label].push(index);
    }
    let fraction = test_fraction.clamp(0.0, 1.0);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut members in by_class {
        members.shuffle(&mut rng);
        let held_out = (members.len() as f64 * fraction).round() as usize;
        test.extend_from_slice(&members[..held_out]);
        train.extend_from_slice(&members[held_out..]);
    }
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    (data.select(&train), data.select(&test))
}
