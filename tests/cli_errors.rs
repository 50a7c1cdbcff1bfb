//! Usage and I/O errors: exit 2, one readable message on stderr, nothing on stdout.

mod common;

use common::{fixture, repo, savoir_in, savoir_on};

fn assert_usage_error(run: &common::Run, needle: &str) {
    run.expect_code(2);
    assert!(
        run.stdout.is_empty(),
        "stdout should be empty: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains(needle),
        "{needle:?} not in stderr:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Error {") && !run.stderr.contains("Os {"),
        "Debug output shown to the user:\n{}",
        run.stderr
    );
}

#[test]
fn a_missing_vault_folder_is_an_error() {
    let run = savoir_in(&repo(), &["--vault", "no/such/folder", "check"]);
    assert_usage_error(&run, "no/such/folder");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}

#[test]
fn an_unknown_concept_suggests_close_titles() {
    let run = savoir_on(&fixture("graph/schema_vault"), &["show", "Optimiseurr"]);
    assert_usage_error(&run, "Optimiseurr");
    assert!(
        run.stderr.contains("did you mean \"Optimiseur\""),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_concept_in_a_path_is_an_error() {
    let run = savoir_on(
        &fixture("graph/schema_vault"),
        &["graph", "--from", "Adam", "--to", "Nulle part"],
    );
    assert_usage_error(&run, "Nulle part");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let run = savoir_on(
        &fixture("graph/schema_vault"),
        &["--config", "absent.toml", "list"],
    );
    assert_usage_error(&run, "absent.toml");
}

#[test]
fn an_invalid_config_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("savoir.toml");
    std::fs::write(&config, "[relations.uses]\ninverse = 3\n").unwrap();
    let run = savoir_on(
        &fixture("graph/schema_vault"),
        &["--config", config.to_str().unwrap(), "list"],
    );
    assert_usage_error(&run, "savoir.toml");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let vault = fixture("graph/schema_vault");
    assert_usage_error(
        &savoir_on(&vault, &["check", "--no-such-flag"]),
        "--no-such-flag",
    );
    assert_usage_error(&savoir_on(&vault, &["graph", "--format", "svg"]), "svg");
    assert_usage_error(&savoir_on(&vault, &["graph", "--from", "Adam"]), "--to");
    assert_usage_error(
        &savoir_on(
            &vault,
            &["graph", "--from", "Adam", "--to", "SGD", "--format", "dot"],
        ),
        "text or json",
    );
}
