//! The fixed, stratified, shuffled train/test split every classifier of the crate uses.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::Dataset;

/// Seed of the split the models use by default: the split is part of the data set, not of the run,
/// so changing `--seed` changes the initialisation and the batches, never which samples are tested.
pub const DEFAULT_SPLIT_SEED: u64 = 0;

/// Fraction of each class held out for testing by default (a 75/25 split).
pub const DEFAULT_TEST_FRACTION: f64 = 0.25;

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
