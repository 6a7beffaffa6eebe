//! Markdown report, to paste into a support ticket. Names and values from
//! bundles are escaped ([`escape::markdown`]) or in code spans and fences;
//! our prose keeps its code spans and has `<placeholders>` escaped. The
//! output is bounded for ticket systems: what is left out is counted.

use super::escape::{
    cut, markdown as md, markdown_code as code, markdown_fence, markdown_prose, terminal,
};
use super::{evidence_location, node_list, time_window, verdict as phrase, Report};
use crate::finding::Finding;
use std::fmt::Write;

/// Size the report aims to stay under: GitHub refuses comments and issue
/// bodies over 65,536 characters; the rest is room for the engineer's text.
pub const MAX_CHARS: usize = 60_000;
/// Evidence lines quoted per finding (the JSON report has them all).
pub const MAX_EVIDENCE: usize = 5;
/// Detail lines quoted per finding.
pub const MAX_DETAIL: usize = 20;
/// Characters kept of one quoted line.
pub const MAX_LINE: usize = 300;
/// Coverage notes listed.
pub const MAX_NOTES: usize = 40;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# swarmdiag report\n");
    // A verdict on partial evidence says so first.
    if report.evidence.scope != "full" {
        let _ = writeln!(out, "**Evidence: {}**\n", md(&report.evidence.summary));
    }
    verdict(&mut out, report);
    let _ = writeln!(
        out,
        "{} · {} node bundle(s) · {} services · {} tasks · {} networks\n",
        md(&report.tool),
        report.coverage.node_bundles(),
        report.cluster.services,
        report.cluster.tasks,
        report.cluster.networks
    );
    if !report.cluster.nodes.is_empty() {
        let _ = writeln!(out, "## Nodes\n");
        let _ = writeln!(out, "| node | role | engine | state | availability |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for n in &report.cluster.nodes {
            let role = n.role_label();
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
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.severity,
                cell(&f.id),
                title(f),
                cell(&node_list(f)),
                f.count
            );
        }
        out.push('\n');
        // Coverage comes after the details; keep room for it.
        let coverage = coverage(report);
        let mut left_out = 0;
        for f in &report.findings {
            let section = finding(f);
            if left_out > 0 || out.len() + section.len() + coverage.len() + 200 > MAX_CHARS {
                left_out += 1;
                continue;
            }
            out.push_str(&section);
        }
        if left_out > 0 {
            let _ = writeln!(
                out,
                "_{left_out} more finding(s) left out of the details to keep this report under \
                 {MAX_CHARS} characters; they are in the table above, and in full in \
                 `--format json` or `--format html`._\n"
            );
        }
        out.push_str(&coverage);
        return out;
    }
    out.push_str(&coverage(report));
    out
}

/// The verdict first: one line per root cause, the guesses, then each
/// cause's fix, confidence and what would confirm it.
fn verdict(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## {}\n", phrase::headline(&report.root_causes));
    // One numbered item per root cause, its fix, confidence and chain as
    // sub-items (headings stay one per finding).
    for (i, c) in report.root_causes.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, md(&phrase::root_cause_line(c)));
        let _ = writeln!(
            out,
            "   - **Fix:** {}",
            markdown_prose(&super::one_line(&c.fix))
        );
        let _ = writeln!(
            out,
            "   - **Confidence:** {}; **to confirm or rule out:** {}",
            c.confidence.as_str(),
            md(&super::one_line(&c.confirm))
        );
        if !c.chain.is_empty() {
            let explained: Vec<String> = c
                .chain
                .iter()
                .map(|e| match &e.subject {
                    Some(s) => format!("{} \\[{}\\]", md(&e.id), md(s)),
                    None => md(&e.id),
                })
                .collect();
            let _ = writeln!(out, "   - **Explains:** {}", explained.join(", "));
        }
    }
    if !report.root_causes.is_empty() {
        out.push('\n');
    }
    if !report.guesses.is_empty() {
        let _ = writeln!(out, "Guesses from engine versions (not errors):\n");
        for g in &report.guesses {
            let _ = writeln!(out, "- {}", md(&phrase::guess_line(g)));
        }
        out.push('\n');
    }
}

/// A finding's title with its subject, escaped for a table cell.
fn title(f: &Finding) -> String {
    match &f.subject {
        Some(s) => format!("{} \\[{}\\]", markdown_prose(&f.title), md(s)),
        None => markdown_prose(&f.title),
    }
}

fn finding(f: &Finding) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} {} ({})\n",
        md(&f.id),
        markdown_prose(&f.title),
        f.severity
    );
    if let Some(s) = &f.subject {
        let _ = writeln!(out, "- **Subject:** {}", md(s));
    }
    let _ = writeln!(out, "- **Nodes:** {}", md(&node_list(f)));
    let _ = writeln!(out, "- **Count:** {}", f.count);
    let _ = writeln!(out, "- **Seen:** {}\n", md(&time_window(f)));
    if !f.detail.is_empty() {
        let lines: Vec<&str> = f.detail.trim_end().lines().collect();
        let mut body: Vec<String> = lines
            .iter()
            .take(MAX_DETAIL)
            .map(|l| cut(l, MAX_LINE).0.into_owned())
            .collect();
        if lines.len() > MAX_DETAIL {
            body.push(format!(
                "… {} more detail line(s)",
                lines.len() - MAX_DETAIL
            ));
        }
        let _ = writeln!(out, "{}", markdown_fence(&body.join("\n"), ""));
    }
    if !f.evidence.is_empty() {
        let mut body: Vec<String> = f
            .evidence
            .iter()
            .take(MAX_EVIDENCE)
            .map(|e| {
                // One line each: a newline inside quoted text is shown escaped.
                let line = format!("{}: {}", evidence_location(e), e.text);
                terminal(&cut(&line, MAX_LINE).0).into_owned()
            })
            .collect();
        // Evidence kept in the finding, then what the finding counted.
        let more = f.evidence.len().saturating_sub(MAX_EVIDENCE);
        if more > 0 {
            body.push(format!("… {more} more evidence line(s) in the JSON report"));
        }
        let _ = writeln!(out, "Evidence:\n\n{}", markdown_fence(&body.join("\n"), ""));
    }
    let _ = writeln!(out, "**Why:** {}\n", markdown_prose(&f.explanation));
    let _ = writeln!(out, "**Fix:** {}\n", markdown_prose(&f.remediation));
    if !f.references.is_empty() {
        let refs: Vec<String> = f.references.iter().map(|r| md(r)).collect();
        let _ = writeln!(out, "**References:** {}\n", refs.join(", "));
    }
    out
}

fn coverage(report: &Report) -> String {
    let mut out = String::new();
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
    let notes: Vec<String> = report
        .coverage
        .nodes
        .iter()
        .flat_map(|n| {
            n.notes.iter().map(move |note| {
                let path = format!("{}/{}", n.bundle, note.path);
                format!("- {}: {}", code(&path), md(&cut(&note.message, MAX_LINE).0))
            })
        })
        .collect();
    for n in notes.iter().take(MAX_NOTES) {
        let _ = writeln!(out, "{n}");
    }
    if notes.len() > MAX_NOTES {
        let _ = writeln!(
            out,
            "- … {} more note(s) in the JSON report",
            notes.len() - MAX_NOTES
        );
    }
    for nr in &report.coverage.not_run {
        let _ = writeln!(out, "- not run **{}**: {}", md(&nr.id), md(&nr.reason));
    }
    out
}

/// A table cell: escaped so nothing in it can end the cell or the row.
fn cell(s: &str) -> String {
    md(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Evidence, Severity};
    use crate::report::{Coverage, CoverageNote, NodeCoverage};

    fn big_report(findings: usize) -> Report {
        let f = |i: usize| Finding {
            id: format!("SW{i:03}"),
            title: "Something <net> | broke".into(),
            severity: Severity::Error,
            subject: Some(format!("service s{i}")),
            nodes: ["node1".to_string()].into(),
            count: 30,
            first_seen: None,
            last_seen: None,
            detail: (0..50)
                .map(|l| format!("detail {l} {}", "x".repeat(500)))
                .collect::<Vec<_>>()
                .join("\n"),
            evidence: (0..10)
                .map(|l| Evidence {
                    file: "node1/logs/dockerd.log".into(),
                    line: l + 1,
                    text: "y".repeat(2000),
                })
                .collect(),
            explanation: "Why <it> broke, `docker x <svc>`.".into(),
            remediation: "Fix it.".into(),
            references: vec![],
        };
        Report {
            schema: "swarmdiag-report",
            schema_version: 1,
            tool: "swarmdiag test".into(),
            cluster: Default::default(),
            findings: (0..findings).map(f).collect(),
            coverage: Coverage {
                nodes: vec![NodeCoverage {
                    bundle: "node1".into(),
                    notes: (0..100)
                        .map(|i| CoverageNote {
                            path: format!("f{i:03}"),
                            message: "cut".into(),
                        })
                        .collect(),
                    ..Default::default()
                }],
                not_run: vec![],
            },
            lb_chains: vec![],
            root_causes: vec![],
            evidence: Default::default(),
            guesses: vec![],
        }
    }

    #[test]
    fn output_stays_under_the_budget_and_counts_what_it_leaves_out() {
        let text = render(&big_report(40));
        assert!(
            text.chars().count() <= MAX_CHARS,
            "{} characters",
            text.chars().count()
        );
        // Every finding is in the summary table; the details of some are left out, counted.
        assert_eq!(text.matches("| error | SW0").count(), 40);
        let shown = text.matches("\n### SW").count();
        assert!(shown > 0 && shown < 40, "{shown}");
        assert!(
            text.contains(&format!("_{} more finding(s) left out", 40 - shown)),
            "{text}"
        );
        assert!(text.contains("… 30 more detail line(s)"));
        assert!(text.contains("… 5 more evidence line(s) in the JSON report"));
        assert!(text.contains(&format!("- … {} more note(s)", 100 - MAX_NOTES)));
        // Quoted lines are cut.
        assert!(
            text.lines().all(|l| l.chars().count() <= MAX_LINE + 40),
            "a long line is left"
        );
    }

    #[test]
    fn a_small_report_is_whole() {
        let text = render(&big_report(2));
        assert_eq!(text.matches("\n### SW").count(), 2);
        assert!(!text.contains("left out"));
    }
}
