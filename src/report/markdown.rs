//! Markdown report, to paste into a support ticket.

use super::{evidence_location, node_list, time_window, Report};
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# swarmdiag report\n");
    let _ = writeln!(
        out,
        "{} · {} node bundle(s) · {} services · {} tasks · {} networks\n",
        report.tool,
        report.coverage.node_bundles(),
        report.cluster.services,
        report.cluster.tasks,
        report.cluster.networks
    );
    if report.evidence.scope != "full" {
        let _ = writeln!(out, "**Evidence: {}**\n", report.evidence.summary);
    }
    if !report.cluster.nodes.is_empty() {
        let _ = writeln!(out, "## Nodes\n");
        let _ = writeln!(out, "| node | role | engine | state | availability |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for n in &report.cluster.nodes {
            let role = if n.leader {
                format!("{} (leader)", n.role)
            } else {
                n.role.clone()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&n.hostname),
                cell(&role),
                cell(&n.engine_version),
                cell(&n.state),
                cell(&n.availability)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Findings\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.\n");
    } else {
        let _ = writeln!(out, "| severity | id | finding | nodes | count |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for f in &report.findings {
            let title = match &f.subject {
                Some(s) => format!("{} [{s}]", f.title),
                None => f.title.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.severity,
                f.id,
                cell(&title),
                cell(&node_list(f)),
                f.count
            );
        }
        out.push('\n');
        for f in &report.findings {
            let _ = writeln!(out, "### {} {} ({})\n", f.id, f.title, f.severity);
            if let Some(s) = &f.subject {
                let _ = writeln!(out, "- **Subject:** {s}");
            }
            let _ = writeln!(out, "- **Nodes:** {}", node_list(f));
            let _ = writeln!(out, "- **Count:** {}", f.count);
            let _ = writeln!(out, "- **Seen:** {}\n", time_window(f));
            if !f.detail.is_empty() {
                let _ = writeln!(out, "```\n{}\n```\n", f.detail.trim_end());
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "Evidence:\n\n```");
                for e in &f.evidence {
                    let _ = writeln!(out, "{}: {}", evidence_location(e), e.text);
                }
                let _ = writeln!(out, "```\n");
            }
            let _ = writeln!(out, "**Why:** {}\n", f.explanation.trim());
            let _ = writeln!(out, "**Fix:** {}\n", f.remediation.trim());
            if !f.references.is_empty() {
                let _ = writeln!(out, "**References:** {}\n", f.references.join(", "));
            }
        }
    }
    let _ = writeln!(out, "## Coverage\n");
    let _ = writeln!(out, "| bundle | sources present | missing |");
    let _ = writeln!(out, "|---|---|---|");
    for n in &report.coverage.nodes {
        let missing = if n.missing.is_empty() {
            "-".to_string()
        } else {
            n.missing.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&n.bundle),
            n.present.len(),
            cell(&missing)
        );
    }
    out.push('\n');
    for n in &report.coverage.nodes {
        for note in &n.notes {
            let _ = writeln!(out, "- `{}/{}`: {}", n.bundle, note.path, note.message);
        }
    }
    for nr in &report.coverage.not_run {
        let _ = writeln!(out, "- not run **{}**: {}", nr.id, nr.reason);
    }
    out
}

/// Escapes a table cell: pipes and newlines would break the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
