//! Diff renderers: text (the `table` format), JSON (`docs/diff-json.md`) and
//! Markdown. They only format.

use super::{Change, Diff, FieldChange, FindingChange, ItemChange, NodeDataplane, Side};
use crate::report::Format;
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;

pub fn render(d: &Diff, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(d).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Table => text(d, false),
        Format::Markdown => text(d, true),
    }
}

/// The text and Markdown reports share one layout; Markdown adds headings
/// and fences.
fn text(d: &Diff, md: bool) -> String {
    let mut out = String::new();
    let h = |out: &mut String, title: &str| {
        if md {
            let _ = writeln!(out, "\n## {title}\n");
        } else {
            let _ = writeln!(out, "\n{title}");
        }
    };
    if md {
        let _ = writeln!(out, "# swarmdiag diff\n\n{}\n", d.tool);
    } else {
        let _ = writeln!(out, "{} diff", d.tool);
    }
    let _ = writeln!(out, "{}", side("before", &d.before, md));
    let _ = writeln!(out, "{}", side("after", &d.after, md));
    if !d.notes.is_empty() {
        h(&mut out, "Notes");
        for n in &d.notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    if d.is_empty() {
        let _ = writeln!(out, "\nNo changes.");
    }
    for (title, items) in [
        ("Nodes", &d.nodes),
        ("Services", &d.services),
        ("Networks", &d.networks),
    ] {
        if items.is_empty() {
            continue;
        }
        h(&mut out, title);
        for i in items {
            item(&mut out, i, md);
        }
    }
    if !d.dataplane.is_empty() {
        h(&mut out, "Data plane");
        for p in &d.dataplane {
            plane(&mut out, p, md);
        }
    }
    if !d.iptables.is_empty() {
        h(&mut out, "iptables");
        for t in &d.iptables {
            let _ = writeln!(
                out,
                "{}{} {} {}: +{} -{}{}",
                if md { "### " } else { "" },
                t.node,
                t.namespace,
                t.table,
                t.added,
                t.removed,
                if t.truncated { " (diff cut)" } else { "" }
            );
            if md {
                let _ = writeln!(out, "\n```diff");
            }
            for l in t.diff.lines() {
                let _ = writeln!(out, "{}{l}", if md { "" } else { "    " });
            }
            if md {
                let _ = writeln!(out, "```\n");
            }
        }
    }
    if !d.root_causes.is_empty() {
        h(&mut out, "Root causes");
        for (label, list) in [
            ("appeared", &d.root_causes.appeared),
            ("spread", &d.root_causes.spread),
            ("cleared", &d.root_causes.cleared),
        ] {
            for c in list {
                let mut line = format!("{label}: [{}] {} {}", c.severity, c.id, c.title);
                if !c.subjects.is_empty() {
                    line.push_str(&format!(" [{}]", c.subjects.join("; ")));
                }
                let nodes = match label {
                    "cleared" => &c.affected_before,
                    "spread" => &c.nodes_added,
                    _ => &c.affected_after,
                };
                if !nodes.is_empty() {
                    let to = if label == "spread" { "to" } else { "on" };
                    line.push_str(&format!(" {to} {}", nodes.join(", ")));
                }
                if !c.explains.is_empty() {
                    line.push_str(&format!(" — explains {}", c.explains.join(", ")));
                }
                let _ = writeln!(out, "{}{line}", if md { "- " } else { "  " });
            }
        }
    }
    h(&mut out, "Findings");
    for (label, list) in [
        ("new", &d.findings.new),
        ("spread", &d.findings.spread),
        ("resolved", &d.findings.resolved),
        ("quiet", &d.findings.quiet),
        ("persisting", &d.findings.persisting),
        ("unobserved", &d.findings.unobserved),
    ] {
        // The other lists always show, empty or not.
        if matches!(label, "spread" | "quiet" | "unobserved") && list.is_empty() {
            continue;
        }
        if md {
            let _ = writeln!(out, "- **{label}** ({})", list.len());
        } else {
            let _ = writeln!(out, "{label} ({})", list.len());
        }
        for f in list.iter() {
            let _ = writeln!(
                out,
                "{}{}",
                if md { "  - " } else { "  " },
                finding(f, label)
            );
        }
    }
    out
}

fn side(name: &str, s: &Side, md: bool) -> String {
    let fmt = |t: Option<time::OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok());
    let when = match (fmt(s.collected_from), fmt(s.collected_to)) {
        (Some(a), Some(b)) if a == b => format!(", collected {a}"),
        (Some(a), Some(b)) => format!(", collected {a} … {b}"),
        _ => String::new(),
    };
    format!(
        "{}{name}: {} — {} bundle(s){when}, {} finding(s){}",
        if md { "- " } else { "  " },
        s.input,
        s.bundles.len(),
        s.findings,
        match &s.cluster_objects_from {
            Some(src) => format!(", cluster objects from {src}"),
            None => ", no manager bundle".to_string(),
        }
    )
}

fn item(out: &mut String, i: &ItemChange, md: bool) {
    let id = if i.id.is_empty() || i.id == i.name {
        String::new()
    } else {
        format!(" ({})", i.id)
    };
    let lead = if md { "- " } else { "  " };
    let sub = if md { "  - " } else { "      " };
    match i.change {
        Change::Changed => {
            let _ = writeln!(out, "{lead}~ {}{id}", i.name);
            for f in &i.fields {
                let _ = writeln!(out, "{sub}{}", field(f));
            }
        }
        Change::Added | Change::Removed => {
            let facts: Vec<String> = i
                .facts
                .iter()
                .map(|f| format!("{}={}", f.field, f.value))
                .collect();
            let _ = writeln!(
                out,
                "{lead}{} {}{id} {}{}",
                i.change.sign(),
                i.name,
                if i.change == Change::Added {
                    "added"
                } else {
                    "removed"
                },
                if facts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", facts.join(", "))
                }
            );
        }
    }
}

fn field(f: &FieldChange) -> String {
    if f.added.is_empty() && f.removed.is_empty() {
        return format!("{}: {} → {}", f.field, f.before, f.after);
    }
    let mut parts = Vec::new();
    parts.extend(f.added.iter().map(|a| format!("+{a}")));
    parts.extend(f.removed.iter().map(|r| format!("-{r}")));
    format!("{}: {}", f.field, parts.join(", "))
}

/// Container sandboxes are named by 12 hex digits; they come and go with
/// containers, so they are counted rather than listed.
fn is_sandbox(name: &str) -> bool {
    name.len() == 12 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn plane(out: &mut String, p: &NodeDataplane, md: bool) {
    let lead = if md { "- " } else { "  " };
    let sub = if md { "  - " } else { "      " };
    let _ = writeln!(out, "{lead}{}", p.node);
    for (verb, list) in [
        ("vanished", &p.namespaces_vanished),
        ("appeared", &p.namespaces_appeared),
    ] {
        let named: Vec<&str> = list
            .iter()
            .filter(|n| !is_sandbox(n))
            .map(String::as_str)
            .collect();
        let boxes = list.len() - named.len();
        if named.is_empty() && boxes == 0 {
            continue;
        }
        let mut parts: Vec<String> = named.iter().map(|n| n.to_string()).collect();
        if boxes > 0 {
            parts.push(format!("{boxes} container sandbox(es)"));
        }
        let _ = writeln!(out, "{sub}namespaces {verb}: {}", parts.join(", "));
    }
    for c in &p.ipvs {
        let mut what = Vec::new();
        if c.change != Change::Changed {
            what.push(
                if c.change == Change::Added {
                    "added"
                } else {
                    "removed"
                }
                .to_string(),
            );
        }
        if !c.backends_added.is_empty() {
            what.push(format!("backends +{}", c.backends_added.join(" +")));
        }
        if !c.backends_removed.is_empty() {
            what.push(format!("backends -{}", c.backends_removed.join(" -")));
        }
        if !c.detail.is_empty() {
            what.push(c.detail.clone());
        }
        let _ = writeln!(
            out,
            "{sub}ipvs {} {}: {}",
            c.namespace,
            c.service,
            what.join("; ")
        );
    }
    for m in &p.marks {
        let mark = |v: Option<u32>| v.map_or("(none)".to_string(), |v| format!("{v} (0x{v:x})"));
        let _ = writeln!(
            out,
            "{sub}mark {} `{}`: {} → {}",
            m.namespace,
            m.rule,
            mark(m.before),
            mark(m.after)
        );
    }
}

fn finding(f: &FindingChange, label: &str) -> String {
    let subject = f
        .subject
        .as_ref()
        .map(|s| format!(" [{s}]"))
        .unwrap_or_default();
    let nodes = match label {
        "resolved" | "unobserved" => f.nodes_before.join(", "),
        _ => f.nodes_after.join(", "),
    };
    let counts = match label {
        "persisting" => format!("count {} → {}", f.count_before, f.count_after),
        "spread" => format!(
            "now also on {}; count {} → {}",
            f.nodes_added.join(", "),
            f.count_before,
            f.count_after
        ),
        "quiet" => format!(
            "count {} → {}; no new occurrence since {}",
            f.count_before,
            f.count_after,
            f.quiet_since
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_default()
        ),
        "resolved" | "unobserved" => format!("count {}", f.count_before),
        _ => format!("count {}", f.count_after),
    };
    format!(
        "{:<8} {} {}{subject} — {} ({counts})",
        f.severity.as_str(),
        f.id,
        f.title,
        if nodes.is_empty() { "cluster" } else { &nodes }
    )
}
