//! Manual measurement of `vault::load` on a large generated vault (no timed assertion).
//!
//! ```text
//! python3 ../shared/bench/gen_vault.py --notes 10000 --seed 1 /tmp/v10k
//! SAVOIR_BENCH_VAULT=/tmp/v10k cargo test --release --test vault_load_timing -- --ignored --nocapture
//! ```

use std::path::PathBuf;
use std::time::Instant;

#[test]
#[ignore = "needs a generated vault; run by hand (see the file header)"]
fn load_a_generated_vault() {
    let root = PathBuf::from(std::env::var("SAVOIR_BENCH_VAULT").unwrap_or("/tmp/v10k".into()));
    for round in 1..=3 {
        let start = Instant::now();
        let vault = savoir::vault::load(&root).expect("the vault folder should be readable");
        let elapsed = start.elapsed();
        let links: usize = vault.notes.iter().map(|note| note.body_links.len()).sum();
        let relations: usize = vault.notes.iter().map(|note| note.relations.len()).sum();
        let diagnostics = vault.diagnostics().count();
        println!(
            "round {round}: {} notes, {relations} relations, {links} body links, {diagnostics} diagnostics in {elapsed:.3?}",
            vault.notes.len()
        );
        assert!(
            !vault.notes.is_empty(),
            "no note found under {}",
            root.display()
        );
    }
}
