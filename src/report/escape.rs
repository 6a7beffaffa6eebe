//! One escaping function per text format for everything quoted from a
//! bundle (names, values, evidence), so that no bundle can forge a report
//! line, a Markdown table row, a raw HTML tag or a terminal escape.

use std::borrow::Cow;

/// One line of terminal or table text: every control character, newlines
/// and tabs included, is shown escaped (`\n`, `\u{1b}`), so a name holding
/// a newline cannot start a line of its own (`[CRITICAL] …`).
pub fn terminal(text: &str) -> Cow<'_, str> {
    crate::bundle::escape_controls(text, &[])
}

/// Markdown inline text: control characters escaped as in [`terminal`], and
/// every character CommonMark or GFM gives a meaning inside a line
/// backslash-escaped, so `<net>` stays text (never raw HTML), `|` never
/// splits a table cell and `*`, `_`, `[` never format.
pub fn markdown(text: &str) -> String {
    let text = terminal(text);
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (`docker_gwbridge`) never emphasises.
        let inside_word = c == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if !inside_word
            && matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' | '!' | '$'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Our own prose (a rule's explanation or fix) as Markdown: its `code
/// spans` are kept as code spans, everything else escaped as [`markdown`]
/// (rule text writes placeholders as `<svc>`, which CommonMark would read
/// as an HTML tag). Line breaks become spaces.
pub fn markdown_prose(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(one_line.len() + 16);
    let mut parts = one_line.split('`');
    if let Some(first) = parts.next() {
        out.push_str(&markdown(first));
    }
    // Between two backticks a code span, then text again, and so on.
    let rest: Vec<&str> = parts.collect();
    let mut i = 0;
    while i < rest.len() {
        if i + 1 < rest.len() {
            out.push_str(&markdown_code(rest[i]));
            out.push_str(&markdown(rest[i + 1]));
            i += 2;
        } else {
            // An unpaired backtick: plain text.
            out.push_str(&markdown(&format!("`{}", rest[i])));
            i += 1;
        }
    }
    out
}

/// An inline code span holding `text` literally: control characters
/// escaped, fenced with more backticks than `text` has in a row, pipes
/// escaped so the span may sit in a GFM table cell.
pub fn markdown_code(text: &str) -> String {
    let text = terminal(text);
    if text.is_empty() {
        return String::new();
    }
    let longest = longest_run(&text, '`');
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('|', "\\|"))
}

/// A fenced code block holding `body` (several lines) literally: control
/// characters other than newlines and tabs escaped, and a fence longer
/// than any backtick run inside, so the block always closes where meant.
pub fn markdown_fence(body: &str, info: &str) -> String {
    let body = crate::bundle::escape_controls(body.trim_end_matches('\n'), &['\n', '\t']);
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    format!("{fence}{info}\n{body}\n{fence}\n")
}

/// One line of HTML element content or a quoted attribute value: markup
/// characters as entities, control characters (newlines too) escaped as in
/// [`terminal`], so a value cannot start a line of its own in a `<pre>`.
pub fn html(text: &str) -> Cow<'_, str> {
    match terminal(text) {
        Cow::Borrowed(t) => entities(t),
        Cow::Owned(t) => entities(&t).into_owned().into(),
    }
}

/// Several lines for a `<pre>` block: as [`html`], keeping newlines and tabs.
pub fn html_block(text: &str) -> String {
    entities(&crate::bundle::escape_controls(text, &['\n', '\t'])).into_owned()
}

fn entities(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out.into()
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// `text` cut to at most `max` characters (on a character boundary), with
/// `…` when something was cut; the flag says whether it was.
pub fn cut(text: &str, max: usize) -> (Cow<'_, str>, bool) {
    match text.char_indices().nth(max) {
        None => (text.into(), false),
        Some((i, _)) => (format!("{}…", &text[..i]).into(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_keeps_a_forged_line_on_its_own_line() {
        assert_eq!(
            terminal("vote\n[CRITICAL] x\r\t\u{1b}[31m"),
            "vote\\n[CRITICAL] x\\r\\t\\u{1b}[31m"
        );
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_escapes_html_tables_and_emphasis() {
        assert_eq!(markdown("lb-<net> a|b *x*"), "lb-\\<net\\> a\\|b \\*x\\*");
        assert_eq!(markdown("a\nb"), "a\\\\nb");
        assert_eq!(
            markdown("docker_gwbridge _x_ a_"),
            "docker_gwbridge \\_x\\_ a\\_"
        );
    }

    #[test]
    fn prose_keeps_code_spans_and_escapes_placeholders_outside() {
        assert_eq!(
            markdown_prose("run `docker service update --force <svc>` on <node>\n now"),
            "run `docker service update --force <svc>` on \\<node\\> now"
        );
        assert_eq!(markdown_prose("odd ` tick"), "odd \\` tick");
    }

    #[test]
    fn code_spans_and_fences_outgrow_backticks_inside() {
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("a|b"), "`a\\|b`");
        assert_eq!(
            markdown_fence("x\n````\ny", ""),
            "`````\nx\n````\ny\n`````\n"
        );
        assert_eq!(markdown_fence("x", "diff"), "```diff\nx\n```\n");
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<img src=x onerror='a'>&"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
        assert_eq!(html("a\n<b>"), "a\\n&lt;b&gt;");
        assert_eq!(html_block("a\n<b>\u{1b}"), "a\n&lt;b&gt;\\u{1b}");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("héllo", 2), ("hé…".into(), true));
        assert_eq!(cut("hé", 2), ("hé".into(), false));
    }
}
