//! Timeline renderers: aligned text, JSON (`docs/timeline-json.md`), Markdown.
//! They only format; the order and content come from `build`.

use super::{Entry, Timeline};
use crate::report::escape::{cut, html as h, markdown as md, terminal as esc};
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
        Format::Html => html(t),
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
            let _ = writeln!(out, "  - {}: {}", n.kind, esc(&n.message));
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
            esc(&node),
            e.kind.as_str(),
            esc(&text(e))
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
            let _ = writeln!(out, "- **{}**: {}", n.kind, md(&n.message));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Events\n");
    let _ = writeln!(out, "| time (UTC) | node | kind | event |");
    let _ = writeln!(out, "|---|---|---|---|");
    let mut left_out = 0;
    for e in &t.entries {
        let node = if e.corrected_by_s.is_some() {
            format!("{}\\*", md(&e.node))
        } else {
            md(&e.node)
        };
        let line = format!(
            "| {} | {} | {} | {} |\n",
            stamp(e.time),
            node,
            e.kind.as_str(),
            md(&cut(&text(e), MAX_MD_TEXT).0)
        );
        if left_out > 0 || out.len() + line.len() > MAX_MD_CHARS {
            left_out += 1;
            continue;
        }
        out.push_str(&line);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n_{left_out} later event(s) left out to keep this under {MAX_MD_CHARS} characters; \
             narrow with `--since`, `--until`, `--node`, `--service`, or use `--format html`._"
        );
    }
    out
}

/// Markdown timeline size bound (ticket systems refuse 64 KiB and more).
const MAX_MD_CHARS: usize = 60_000;
/// Characters kept of one event text in Markdown and HTML.
const MAX_MD_TEXT: usize = 400;
/// Events listed in the HTML timeline.
const MAX_HTML_ENTRIES: usize = 5_000;

fn html(t: &Timeline) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<header><h1>swarmdiag timeline</h1>");
    let _ = writeln!(
        b,
        "<p class=\"meta\">{} · {} node(s) · {} of {} events · {} (UTC)</p></header>",
        h(&t.tool),
        t.clocks.len(),
        t.entries.len(),
        t.total_events,
        h(&span(t))
    );
    if !t.notes.is_empty() {
        let _ = writeln!(b, "<section id=\"notes\"><h2>Notes</h2><ul>");
        for n in &t.notes {
            let _ = writeln!(b, "<li><strong>{}</strong>: {}</li>", n.kind, h(&n.message));
        }
        let _ = writeln!(b, "</ul></section>");
    }
    b.push_str(&html_events(t, "Events", MAX_HTML_ENTRIES));
    crate::report::html::page("swarmdiag timeline", &b)
}

/// Events shown in the analyze HTML report's timeline section.
const MAX_REPORT_ENTRIES: usize = 1_000;

/// The timeline as a section of the analyze HTML report
/// ([`crate::report::html::render_with`]): its events, bounded, with the
/// timeline's notes.
pub fn html_section(t: &Timeline) -> String {
    let mut b = html_events(t, "Timeline", MAX_REPORT_ENTRIES);
    if !t.notes.is_empty() {
        let notes: String = t
            .notes
            .iter()
            .map(|n| format!("<li><strong>{}</strong>: {}</li>\n", n.kind, h(&n.message)))
            .collect();
        // Inside the section, before it closes.
        let end = b.rfind("</section>").unwrap_or(b.len());
        b.insert_str(end, &format!("<ul class=\"meta\">{notes}</ul>\n"));
    }
    b
}

/// A `<section>` listing at most `max` events, counting what is cut.
fn html_events(t: &Timeline, title: &str, max: usize) -> String {
    let mut b = String::new();
    let id = title.to_ascii_lowercase();
    let _ = writeln!(
        b,
        "<section id=\"{id}\"><h2>{title}</h2><p class=\"meta\">{} of {} events · {} (UTC)</p>\
         <table><thead><tr><th>time (UTC)</th><th>node</th><th>kind</th><th>event</th></tr></thead><tbody>",
        t.entries.len().min(max),
        t.total_events,
        h(&span(t))
    );
    let mut shortened = 0;
    for e in t.entries.iter().take(max) {
        let full = text(e);
        let (text, was_cut) = cut(&full, MAX_MD_TEXT);
        shortened += usize::from(was_cut);
        let _ = writeln!(
            b,
            "<tr class=\"kind-{}\"><td class=\"mono\">{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            e.kind.as_str(),
            stamp(e.time),
            h(&e.node),
            if e.corrected_by_s.is_some() { "*" } else { "" },
            e.kind.as_str(),
            h(&text)
        );
    }
    let _ = writeln!(b, "</tbody></table>");
    let left_out = t.entries.len().saturating_sub(max);
    if left_out > 0 || shortened > 0 {
        let _ = writeln!(
            b,
            "<p class=\"cut\">Cut to bound this file: {left_out} later event(s) left out, {shortened} event text(s) \
             shortened to {MAX_MD_TEXT} characters. <code>--format json</code> has everything.</p>"
        );
    }
    if t.entries.iter().any(|e| e.corrected_by_s.is_some()) {
        let _ = writeln!(
            b,
            "<p class=\"meta\">* time corrected for the node's estimated clock offset</p>"
        );
    }
    let _ = writeln!(b, "</section>");
    b
}
