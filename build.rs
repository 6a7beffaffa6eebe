//! Embeds `rules/*.toml` into the library and validates them first, so a
//! rule file with a typo, a bad regex or a duplicate id fails the build
//! instead of the first run. Example behaviour is checked by the test suite
//! (and again when the rules load).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code)]
#[path = "src/rules/schema.rs"]
mod schema;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rules/schema.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();

    let mut problems = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut explains: Vec<(String, Vec<String>)> = Vec::new();
    let mut table = String::from("pub(crate) const EMBEDDED: &[(&str, &str)] = &[\n");
    for path in &files {
        let short = format!(
            "rules/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{short}: {e}"));
        match schema::parse_file(&text) {
            Ok(file) => {
                for p in schema::validate_file(&file) {
                    problems.push(format!("{short}: {p}"));
                }
                for rule in &file.rule {
                    explains.push((
                        rule.id.clone(),
                        rule.explains.iter().flat_map(|e| e.ids.clone()).collect(),
                    ));
                    if let Some(other) = ids.insert(rule.id.clone(), short.clone()) {
                        problems.push(format!(
                            "{short}: rule {}: id also defined in {other}",
                            rule.id
                        ));
                    }
                    if let Some(other) = names.insert(rule.name.clone(), short.clone()) {
                        problems.push(format!(
                            "{short}: rule {}: name {:?} also used in {other}",
                            rule.id, rule.name
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{short}: {e}")),
        }
        let _ = writeln!(
            table,
            "    ({short:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    table.push_str("];\n");
    let graph: Vec<(&str, Vec<&str>)> = explains
        .iter()
        .map(|(id, to)| (id.as_str(), to.iter().map(String::as_str).collect()))
        .collect();
    for p in schema::validate_explains(&graph) {
        problems.push(format!("rules: {p}"));
    }

    if !problems.is_empty() {
        for p in &problems {
            println!("cargo:warning={p}");
        }
        panic!("invalid rule files:\n{}", problems.join("\n"));
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("embedded_rules.rs"), table)
        .expect("write embedded_rules.rs");
}
