//! The rules loader: a user rules file (`--rules DIR`), schema-checked,
//! examples run.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use swarmdiag::rules::RuleSet;

static BASE: OnceLock<RuleSet> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let base = BASE.get_or_init(|| RuleSet::embedded().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fuzz.toml"), data).unwrap();
    let _ = base.clone().load_dir(dir.path());
});
