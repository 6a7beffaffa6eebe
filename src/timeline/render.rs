//! Timeline renderers: aligned text, JSON (`docs/timeline-json.md`), Markdown.
//! They only format; the order and content come from `build`.

use super::{Entry, Timeline};
use crate::report::Format;
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn render(t: &Timeline, format: Format) -> String {
    match format {
        Format::Table => table(t),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(t).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Markdown => markdown(t),
    }
}

/// `2019-01-15 21:00:02.118` (UTC, milliseconds).
fn stamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn span(t: &Timeline) -> String {
    match (t.entries.first(), t.entries.last()) {
        (Some(a), Some(b)) => format!(
            "{} … {}",
            a.time.format(&Rfc3339).unwrap_or_default(),
            b.time.format(&Rfc3339).unwrap_or_default()
        ),
        _ => "no events".to_string(),
    }
}

/// The event text with what the columns do not show.
fn text(e: &Entry) -> String {
    let mut s = e.text.clone();
    // Rules not already named at the start of the text.
    let extra: Vec<&str> = e
        .rules
        .iter()
        .map(String::as_str)
        .filter(|r| !e.text.starts_with(r))
        .collect();
    if !extra.is_empty() {
        let _ = write!(s, " [{}]", extra.join(", "));
    }
    if e.corrected_by_s.is_some() {
        let _ = write!(s, " (logged {})", stamp(e.logged_time));
    }
    s
}

fn table(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} timeline: {} node(s), {} of {} events shown, {} (UTC)",
        t.tool,
        t.clocks.len(),
        t.entries.len(),
        t.total_events,
        span(t)
    );
    if !t.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &t.notes {
            let _ = writeln!(out, "  - {}: {}", n.kind, n.message);
        }
    }
    let width = t
        .entries
        .iter()
        .map(|e| e.node.chars().count() + usize::from(e.corrected_by_s.is_some()))
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "\n{:<23}  {:<width$}  {:<20}  event",
        "time (UTC)", "node", "kind"
    );
    for e in &t.entries {
        let node = if e.corrected_by_s.is_some() {
            format!("{}*", e.node)
        } else {
            e.node.clone()
        };
        let _ = writeln!(
            out,
            "{:<23}  {:<width$}  {:<20}  {}",
            stamp(e.time),
            node,
            e.kind.as_str(),
            text(e)
        );
    }
    if t.entries.iter().any(|e| e.corrected_by_s.is_some()) {
        let _ = writeln!(
            out,
            "\n* time corrected for the node's estimated clock offset"
        );
    }
    out
}

fn markdown(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# swarmdiag timeline\n");
    let _ = writeln!(
        out,
        "{} · {} node(s) · {} of {} events · {} (UTC)\n",
        t.tool,
        t.clocks.len(),
        t.entries.len(),
        t.total_events,
        span(t)
    );
    if !t.notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for n in &t.notes {
            let _ = writeln!(out, "- **{}**: {}", n.kind, cell(&n.message));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Events\n");
    let _ = writeln!(out, "| time (UTC) | node | kind | event |");
    let _ = writeln!(out, "|---|---|---|---|");
    for e in &t.entries {
        let node = if e.corrected_by_s.is_some() {
            format!("{}\\*", e.node)
        } else {
            e.node.clone()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            stamp(e.time),
            cell(&node),
            e.kind.as_str(),
            cell(&text(e))
        );
    }
    out
}

/// A table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
