//! Diff renderers: text (the `table` format), JSON (`docs/diff-json.md`) and
//! Markdown. They only format.

use super::{Change, Diff, FieldChange, FindingChange, ItemChange, NodeDataplane, Side};
use crate::report::escape::{html as h, markdown as md, markdown_fence, terminal as esc};
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
        Format::Html => html(d),
    }
}

/// A name or value from a bundle, escaped for the text (`md` false) or
/// Markdown output.
fn q(s: &str, md_out: bool) -> String {
    if md_out {
        md(s)
    } else {
        esc(s).into_owned()
    }
}

/// The HTML diff: the text layout's sections, each as a list, with the
/// iptables diffs coloured by line.
fn html(d: &Diff) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header><h1>swarmdiag diff</h1><p class=\"meta\">{}</p><ul>",
        h(&d.tool)
    );
    for (name, s) in [("before", &d.before), ("after", &d.after)] {
        let _ = writeln!(b, "<li>{}</li>", h(side(name, s, false).trim()));
    }
    let _ = writeln!(b, "</ul></header>");
    if !d.notes.is_empty() {
        let _ = writeln!(b, "<section id=\"notes\"><h2>Notes</h2><ul>");
        for n in &d.notes {
            let _ = writeln!(b, "<li>{}</li>", h(n));
        }
        let _ = writeln!(b, "</ul></section>");
    }
    if d.is_empty() {
        let _ = writeln!(b, "<p>No changes.</p>");
    }
    let _ = writeln!(b, "<section id=\"findings\"><h2>Findings</h2>");
    for (label, list) in [
        ("new", &d.findings.new),
        ("spread", &d.findings.spread),
        ("resolved", &d.findings.resolved),
        ("quiet", &d.findings.quiet),
        ("persisting", &d.findings.persisting),
        ("unobserved", &d.findings.unobserved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(b, "<h3>{label} ({})</h3><ul>", list.len());
        for f in list.iter() {
            let _ = writeln!(
                b,
                "<li><span class=\"sev sev-{}\">{}</span> {}</li>",
                f.severity.as_str(),
                f.severity.as_str(),
                h(finding(f, label, false)
                    .split_once(' ')
                    .map_or("", |x| x.1)
                    .trim_start())
            );
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");
    for (title, items) in [
        ("Nodes", &d.nodes),
        ("Services", &d.services),
        ("Networks", &d.networks),
    ] {
        if items.is_empty() {
            continue;
        }
        let mut t = String::new();
        for i in items {
            item(&mut t, i, false);
        }
        section_pre(&mut b, title, &t);
    }
    if !d.dataplane.is_empty() {
        let mut t = String::new();
        for p in &d.dataplane {
            plane(&mut t, p, false);
        }
        section_pre(&mut b, "Data plane", &t);
    }
    if !d.iptables.is_empty() {
        let _ = writeln!(b, "<section id=\"iptables\"><h2>iptables</h2>");
        for t in &d.iptables {
            let _ = writeln!(
                b,
                "<h3>{} {} {}: +{} -{}{}</h3><pre>",
                h(&t.node),
                h(&t.namespace),
                h(&t.table),
                t.added,
                t.removed,
                if t.truncated { " (diff cut)" } else { "" }
            );
            for l in t.diff.lines() {
                let class = match l.chars().next() {
                    Some('+') => " class=\"change-add\"",
                    Some('-') => " class=\"change-del\"",
                    _ => "",
                };
                let _ = writeln!(b, "<span{class}>{}</span>", h(l));
            }
            let _ = writeln!(b, "</pre>");
        }
        let _ = writeln!(b, "</section>");
    }
    crate::report::html::page("swarmdiag diff", &b)
}

/// A section holding text-layout lines, `+` added and `-` removed coloured.
fn section_pre(b: &mut String, title: &str, text: &str) {
    let _ = writeln!(b, "<section><h2>{title}</h2><pre>");
    for l in text.lines() {
        let class = match l.trim_start().chars().next() {
            Some('+') => " class=\"change-add\"",
            Some('-') => " class=\"change-del\"",
            _ => "",
        };
        let _ = writeln!(b, "<span{class}>{}</span>", h(l));
    }
    let _ = writeln!(b, "</pre></section>");
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
            let _ = writeln!(out, "- {}", q(n, md));
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
                q(&t.node, md),
                q(&t.namespace, md),
                q(&t.table, md),
                t.added,
                t.removed,
                if t.truncated { " (diff cut)" } else { "" }
            );
            if md {
                let _ = writeln!(out, "\n{}", markdown_fence(&t.diff, "diff"));
            } else {
                for l in t.diff.lines() {
                    let _ = writeln!(out, "    {}", esc(l));
                }
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
                finding(f, label, md)
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
        q(&s.input, md),
        s.bundles.len(),
        s.findings,
        match &s.cluster_objects_from {
            Some(src) => format!(", cluster objects from {}", q(src, md)),
            None => ", no manager bundle".to_string(),
        }
    )
}

fn item(out: &mut String, i: &ItemChange, md: bool) {
    let id = if i.id.is_empty() || i.id == i.name {
        String::new()
    } else {
        format!(" ({})", q(&i.id, md))
    };
    let name = q(&i.name, md);
    let lead = if md { "- " } else { "  " };
    let sub = if md { "  - " } else { "      " };
    match i.change {
        Change::Changed => {
            let _ = writeln!(out, "{lead}~ {name}{id}");
            for f in &i.fields {
                let _ = writeln!(out, "{sub}{}", q(&field(f), md));
            }
        }
        Change::Added | Change::Removed => {
            let facts: Vec<String> = i
                .facts
                .iter()
                .map(|f| q(&format!("{}={}", f.field, f.value), md))
                .collect();
            let _ = writeln!(
                out,
                "{lead}{} {name}{id} {}{}",
                i.change.sign(),
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
    let _ = writeln!(out, "{lead}{}", q(&p.node, md));
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
        let mut parts: Vec<String> = named.iter().map(|n| q(n, md)).collect();
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
            what.push(q(&format!("backends +{}", c.backends_added.join(" +")), md));
        }
        if !c.backends_removed.is_empty() {
            what.push(q(
                &format!("backends -{}", c.backends_removed.join(" -")),
                md,
            ));
        }
        if !c.detail.is_empty() {
            what.push(q(&c.detail, md));
        }
        let _ = writeln!(
            out,
            "{sub}ipvs {} {}: {}",
            q(&c.namespace, md),
            q(&c.service, md),
            what.join("; ")
        );
    }
    for m in &p.marks {
        let mark = |v: Option<u32>| v.map_or("(none)".to_string(), |v| format!("{v} (0x{v:x})"));
        let _ = writeln!(
            out,
            "{sub}mark {} {}: {} → {}",
            q(&m.namespace, md),
            if md {
                crate::report::escape::markdown_code(&m.rule)
            } else {
                format!("`{}`", esc(&m.rule))
            },
            mark(m.before),
            mark(m.after)
        );
    }
}

fn finding(f: &FindingChange, label: &str, md: bool) -> String {
    let subject = f
        .subject
        .as_ref()
        .map(|s| {
            if md {
                format!(" \\[{}\\]", q(s, md))
            } else {
                format!(" [{}]", q(s, md))
            }
        })
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
        "{:<8} {} {}{subject} — {} ({})",
        f.severity.as_str(),
        q(&f.id, md),
        q(&f.title, md),
        if nodes.is_empty() {
            "cluster".to_string()
        } else {
            q(&nodes, md)
        },
        q(&counts, md)
    )
}
