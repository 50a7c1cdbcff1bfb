//! `verify` of the sequence ops (recurrent layers, attention, the encoder layer, DDPM, GAN
//! losses) against the PyTorch reference vectors copied into `tests/refvectors/`: every case of
//! these ops must exist and pass, each output compared within the case's tolerance.

use std::path::Path;

use reference_impls::verify::{Case, verify_case};

/// The ops whose handlers live in `verify::ops_sequence`.
const SEQUENCE_OPS: [&str; 10] = [
    "rnn_tanh",
    "lstm",
    "gru",
    "scaled_dot_product_attention",
    "multi_head_attention",
    "transformer_encoder_layer",
    "ddpm_linear_schedule",
    "ddpm_q_sample",
    "gan_d_loss_bce",
    "gan_g_loss_nonsaturating",
];

#[test]
fn every_sequence_case_of_the_reference_vectors_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refvectors");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .expect("tests/refvectors is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| Case::load(&path).expect("a well-formed case"))
        .filter(|case| SEQUENCE_OPS.contains(&case.op.as_str()))
        .collect();
    cases.sort_by(|a, b| a.case.cmp(&b.case));
    for op in SEQUENCE_OPS {
        assert!(cases.iter().any(|c| c.op == op), "no case for op {op}");
    }
    let failures: Vec<String> = cases
        .iter()
        .map(verify_case)
        .filter(|result| !result.passed)
        .map(|result| format!("{} ({}): {}", result.case, result.op, result.detail))
        .collect();
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
    assert_eq!(cases.len(), 13, "the public variant has 13 sequence cases");
}
