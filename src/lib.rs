//! swarmdiag: offline diagnosis of Docker Swarm routing failures.
//!
//! The pipeline is bundle → parse → model → rules and checks → report.
//! `main.rs` is glue over this library; only `cli.rs` knows about clap.

pub mod analyze;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod diff;
pub mod error;
pub mod finding;
pub mod model;
pub mod parse;
pub mod report;
pub mod rules;
pub mod source;
pub mod timeline;

use report::Format;
use std::path::Path;

/// The built-in rules, plus the user's from `dir` when given.
pub fn load_rules(dir: Option<&Path>) -> error::Result<rules::RuleSet> {
    let set = rules::RuleSet::embedded()?;
    match dir {
        Some(d) => set.load_dir(d),
        None => Ok(set),
    }
}

/// `swarmdiag rules list`: a table of every rule and check, or JSON with patterns.
pub fn rules_list(rules: &rules::RuleSet, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rules.list_json()).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Table | Format::Markdown => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(120)
                .set_header(["id", "kind", "severity", "name", "title"]);
            for r in rules.rules() {
                t.add_row([
                    r.id.as_str(),
                    r.kind(),
                    r.severity.as_str(),
                    r.name.as_str(),
                    r.title.as_str(),
                ]);
            }
            format!("{t}\n{} rules and checks\n", rules.rules().len())
        }
    }
}
