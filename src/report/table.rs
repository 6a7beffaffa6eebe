//! Terminal report: comfy-table summaries, then each finding with its
//! evidence. Every name and value from a bundle goes through
//! [`escape::terminal`], so none can start a line of its own.

use super::escape::terminal as esc;
use super::terminal::{severity_label, wrap, wrap_indent};
use super::{evidence_location, node_list, time_window, verdict, Report, Style};
use crate::finding::Severity;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::fmt::Write;

pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    // A verdict on partial evidence says so first.
    if report.evidence.scope != "full" {
        let _ = writeln!(out, "evidence: {}", esc(&report.evidence.summary));
    }
    render_verdict(report, style, &mut out);
    let head = format!(
        "{}: {} node bundle(s), {} services, {} tasks, {} networks",
        report.tool,
        report.coverage.node_bundles(),
        report.cluster.services,
        report.cluster.tasks,
        report.cluster.networks
    );
    let _ = writeln!(out, "{}", wrap("", &head, style.width));
    if let Some(src) = &report.cluster.cluster_objects_from {
        let _ = writeln!(out, "cluster objects from: {}", esc(src));
    }
    if !report.cluster.nodes.is_empty() {
        let mut t = new_table(style);
        t.set_header(["node", "role", "engine", "state", "availability", "bundle"]);
        for n in &report.cluster.nodes {
            let role = n.role_label();
            t.add_row([
                esc(&n.hostname),
                esc(&role),
                esc(&n.engine_version),
                esc(&n.state),
                esc(&n.availability),
                if n.bundle.is_empty() {
                    "-".into()
                } else {
                    esc(&n.bundle)
                },
            ]);
        }
        let _ = writeln!(out, "\n{t}");
    }

    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
    } else {
        let mut t = new_table(style);
        t.set_header(["severity", "id", "finding", "nodes", "count"]);
        for f in &report.findings {
            let title = match &f.subject {
                Some(s) => format!("{} [{}]", f.title, esc(s)),
                None => f.title.clone(),
            };
            let mut sev = Cell::new(f.severity.as_str());
            if style.color {
                sev = sev.fg(cell_color(f.severity));
            }
            t.add_row(vec![
                sev,
                Cell::new(&f.id),
                Cell::new(title),
                Cell::new(esc(&node_list(f))),
                Cell::new(f.count),
            ]);
        }
        let _ = writeln!(out, "\n{t}");
        for f in &report.findings {
            let label = severity_label(f.severity, style.color);
            let indent = f.severity.as_str().len() + 3;
            let head = format!("{} {}", f.id, f.title);
            let _ = writeln!(
                out,
                "\n{}",
                wrap_indent(&format!("{label} "), indent, &head, style.width)
            );
            if let Some(s) = &f.subject {
                let _ = writeln!(out, "{}", wrap("  subject: ", &esc(s), style.width));
            }
            let facts = format!(
                "{} · count: {} · seen: {}",
                esc(&node_list(f)),
                f.count,
                time_window(f)
            );
            let _ = writeln!(out, "{}", wrap("  nodes: ", &facts, style.width));
            for line in f.detail.lines() {
                let _ = writeln!(out, "{}", wrap("  | ", &esc(line), style.width));
            }
            for e in &f.evidence {
                let _ = writeln!(out, "  > {}: {}", esc(&evidence_location(e)), esc(&e.text));
            }
            let _ = writeln!(out, "{}", wrap("  why: ", &f.explanation, style.width));
            let _ = writeln!(out, "{}", wrap("  fix: ", &f.remediation, style.width));
        }
    }

    let cov = &report.coverage;
    let mut t = new_table(style);
    t.set_header(["bundle", "sources present", "missing", "notes"]);
    for n in &cov.nodes {
        t.add_row([
            esc(&n.bundle).into_owned(),
            n.present.len().to_string(),
            if n.missing.is_empty() {
                "-".to_string()
            } else {
                esc(&n.missing.join(", ")).into_owned()
            },
            n.notes.len().to_string(),
        ]);
    }
    let _ = writeln!(out, "\nCoverage\n{t}");
    for n in &cov.nodes {
        for note in &n.notes {
            let line = format!(
                "{}/{}: {}",
                esc(&n.bundle),
                esc(&note.path),
                esc(&note.message)
            );
            let _ = writeln!(out, "{}", wrap("  note ", &line, style.width));
        }
    }
    for nr in &cov.not_run {
        let line = format!("{}: {}", esc(&nr.id), esc(&nr.reason));
        let _ = writeln!(out, "{}", wrap("  not run ", &line, style.width));
    }
    out
}

/// The verdict: one line per root cause, the guesses, then each cause's
/// fix, confidence and what would confirm it.
fn render_verdict(report: &Report, style: Style, out: &mut String) {
    let _ = writeln!(out, "{}", verdict::headline(&report.root_causes));
    for (i, c) in report.root_causes.iter().enumerate() {
        let line = format!("{}. {}", i + 1, esc(&verdict::root_cause_line(c)));
        let _ = writeln!(out, "{}", wrap_indent("  ", 5, &line, style.width));
    }
    if !report.guesses.is_empty() {
        let _ = writeln!(out, "Guesses from engine versions (not errors):");
        for g in &report.guesses {
            let line = format!("- {}", esc(&verdict::guess_line(g)));
            let _ = writeln!(out, "{}", wrap_indent("  ", 4, &line, style.width));
        }
    }
    for (i, c) in report.root_causes.iter().enumerate() {
        let label = severity_label(c.severity, style.color);
        let _ = writeln!(out, "\n{}. {label} {} {}", i + 1, c.id, c.title);
        let fix = format!("fix: {}", super::one_line(&c.fix));
        let _ = writeln!(out, "{}", wrap_indent("  ", 7, &fix, style.width));
        let confirm = format!(
            "confidence: {}; to confirm or rule out: {}",
            c.confidence.as_str(),
            esc(&super::one_line(&c.confirm))
        );
        let _ = writeln!(out, "{}", wrap_indent("  ", 4, &confirm, style.width));
        for e in &c.chain {
            let line = format!(
                "explains {}{} ({} {}, {})",
                e.id,
                e.subject
                    .as_ref()
                    .map(|s| format!(" [{}]", esc(s)))
                    .unwrap_or_default(),
                if e.restates { "restates" } else { "via" },
                e.by,
                e.when.join(" and ")
            );
            let _ = writeln!(out, "{}", wrap_indent("  ", 4, &line, style.width));
        }
    }
    out.push('\n');
}

fn new_table(style: Style) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width);
    // The width is ours (the terminal's or 120), never comfy-table's guess;
    // colour codes in cells are kept only when colour was asked for.
    t.force_no_tty();
    if style.color {
        t.enforce_styling();
    }
    t
}

fn cell_color(sev: Severity) -> comfy_table::Color {
    use comfy_table::Color;
    match sev {
        Severity::Critical => Color::Magenta,
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Cyan,
    }
}
