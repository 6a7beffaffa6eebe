//! Terminal report: comfy-table summaries, then each finding with its evidence.

use super::{evidence_location, node_list, time_window, Report};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use std::fmt::Write;

/// Width is fixed so that output does not depend on the terminal.
const WIDTH: u16 = 120;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} node bundle(s), {} services, {} tasks, {} networks",
        report.tool,
        report.coverage.node_bundles(),
        report.cluster.services,
        report.cluster.tasks,
        report.cluster.networks
    );
    if report.evidence.scope != "full" {
        let _ = writeln!(out, "evidence: {}", report.evidence.summary);
    }
    if let Some(src) = &report.cluster.cluster_objects_from {
        let _ = writeln!(out, "cluster objects from: {src}");
    }
    if !report.cluster.nodes.is_empty() {
        let mut t = new_table();
        t.set_header(["node", "role", "engine", "state", "availability", "bundle"]);
        for n in &report.cluster.nodes {
            let role = if n.leader {
                format!("{} (leader)", n.role)
            } else {
                n.role.clone()
            };
            t.add_row([
                n.hostname.as_str(),
                role.as_str(),
                n.engine_version.as_str(),
                n.state.as_str(),
                n.availability.as_str(),
                if n.bundle.is_empty() {
                    "-"
                } else {
                    n.bundle.as_str()
                },
            ]);
        }
        let _ = writeln!(out, "\n{t}");
    }

    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
    } else {
        let mut t = new_table();
        t.set_header(["severity", "id", "finding", "nodes", "count"]);
        for f in &report.findings {
            let title = match &f.subject {
                Some(s) => format!("{} [{s}]", f.title),
                None => f.title.clone(),
            };
            t.add_row([
                f.severity.as_str().to_string(),
                f.id.clone(),
                title,
                node_list(f),
                f.count.to_string(),
            ]);
        }
        let _ = writeln!(out, "\n{t}");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "\n[{}] {} {}",
                f.severity.as_str().to_uppercase(),
                f.id,
                f.title
            );
            if let Some(s) = &f.subject {
                let _ = writeln!(out, "  subject: {s}");
            }
            let _ = writeln!(
                out,
                "  nodes: {}   count: {}   seen: {}",
                node_list(f),
                f.count,
                time_window(f)
            );
            for line in f.detail.lines() {
                let _ = writeln!(out, "  | {line}");
            }
            for e in &f.evidence {
                let _ = writeln!(out, "  > {}: {}", evidence_location(e), e.text);
            }
            let _ = writeln!(out, "  why: {}", one_line(&f.explanation));
            let _ = writeln!(out, "  fix: {}", one_line(&f.remediation));
        }
    }

    let cov = &report.coverage;
    let mut t = new_table();
    t.set_header(["bundle", "sources present", "missing", "notes"]);
    for n in &cov.nodes {
        t.add_row([
            n.bundle.clone(),
            n.present.len().to_string(),
            if n.missing.is_empty() {
                "-".to_string()
            } else {
                n.missing.join(", ")
            },
            n.notes.len().to_string(),
        ]);
    }
    let _ = writeln!(out, "\nCoverage\n{t}");
    for n in &cov.nodes {
        for note in &n.notes {
            let _ = writeln!(out, "  note {}/{}: {}", n.bundle, note.path, note.message);
        }
    }
    for nr in &cov.not_run {
        let _ = writeln!(out, "  not run {}: {}", nr.id, nr.reason);
    }
    out
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    t
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
