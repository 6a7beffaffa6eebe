//! Terminal conventions: whether to colour (`--color`, `NO_COLOR`, a
//! terminal or not), the terminal's width, severity colours and wrapping.

use super::Style;
use crate::finding::Severity;
use std::io::IsTerminal;
use std::path::Path;

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether to colour a stream: `always` and `never` decide; `auto` colours
/// only a terminal, and not when `NO_COLOR` is set to anything non-empty
/// (<https://no-color.org>).
pub fn use_color(when: ColorWhen, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// [`use_color`] for standard output.
pub fn stdout_color(when: ColorWhen) -> bool {
    use_color(
        when,
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// [`use_color`] for standard error.
pub fn stderr_color(when: ColorWhen) -> bool {
    use_color(
        when,
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// Columns of the terminal on standard output, when it is one (at least 40).
pub fn stdout_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| w.0.max(40))
}

/// The ANSI style of a severity.
fn style(sev: Severity) -> anstyle::Style {
    use anstyle::{AnsiColor, Style};
    match sev {
        Severity::Critical => Style::new()
            .bold()
            .fg_color(Some(AnsiColor::BrightRed.into())),
        Severity::Error => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Severity::Warning => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Info => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
    }
}

/// `text` in the colour of `sev` when `color`, else as is.
pub fn paint(sev: Severity, text: &str, color: bool) -> String {
    if color {
        let s = style(sev);
        format!("{s}{text}{s:#}")
    } else {
        text.to_string()
    }
}

/// `[ERROR]`, coloured when `color`.
pub fn severity_label(sev: Severity, color: bool) -> String {
    paint(sev, &format!("[{}]", sev.as_str().to_uppercase()), color)
}

/// A paragraph as lines of at most `width` columns (a word longer than a
/// line stays whole), the first starting with `first`, the others indented
/// as deep.
pub fn wrap(first: &str, text: &str, width: u16) -> String {
    wrap_indent(first, first.chars().count(), text, width)
}

/// [`wrap`] with the continuation lines indented by `indent` columns (for a
/// `first` holding colour codes, which take no column).
pub fn wrap_indent(first: &str, indent: usize, text: &str, width: u16) -> String {
    let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let indent = " ".repeat(indent);
    let opts = textwrap::Options::new(usize::from(width).max(40))
        .initial_indent(first)
        .subsequent_indent(&indent)
        .break_words(false)
        // Host names and ids hold hyphens: never split there.
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(&one, opts)
}

/// Layout for standard output: the terminal's width and colour there; a
/// file gets the default (120 columns, no colour) unless `--color always`.
pub fn style_for(output: Option<&Path>, color: ColorWhen) -> Style {
    let to_terminal = output.is_none();
    Style {
        width: if to_terminal {
            stdout_width().unwrap_or(Style::default().width)
        } else {
            Style::default().width
        },
        color: match (to_terminal, color) {
            (_, ColorWhen::Always) => true,
            (true, c) => stdout_color(c),
            (false, _) => false,
        },
    }
}

/// Runs `read` with a spinner on standard error while large inputs
/// (more than 16 MiB in all) are read, only when standard error is a
/// terminal.
pub fn reading<T>(inputs: &[&Path], color: ColorWhen, read: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    const LARGE: u64 = 16 << 20;
    if !std::io::stderr().is_terminal() {
        return read();
    }
    let bytes: u64 = inputs.iter().map(|p| input_size(p, 0)).sum();
    if bytes < LARGE {
        return read();
    }
    let template = if stderr_color(color) {
        "{spinner:.cyan} reading {msg} {elapsed:.dim}"
    } else {
        "{spinner} reading {msg} {elapsed}"
    };
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(s) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(s);
    }
    bar.set_message(format!("{} input(s), {} MiB", inputs.len(), bytes >> 20));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = read();
    bar.finish_and_clear();
    out
}

/// Bytes of a file, or of the files under a directory (links not followed).
fn input_size(p: &Path, depth: u32) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if m.is_file() {
        return m.len();
    }
    if !m.is_dir() || depth > 8 {
        return 0;
    }
    std::fs::read_dir(p)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| input_size(&e.path(), depth + 1))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(use_color(ColorWhen::Auto, true, None));
        assert!(!use_color(ColorWhen::Auto, false, None));
        assert!(!use_color(ColorWhen::Auto, true, Some(OsStr::new("1"))));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(use_color(ColorWhen::Auto, true, Some(OsStr::new(""))));
        assert!(use_color(ColorWhen::Always, false, Some(OsStr::new("1"))));
        assert!(!use_color(ColorWhen::Never, true, None));
    }

    #[test]
    fn wrap_keeps_lines_within_width_and_indents() {
        let text = "word ".repeat(60);
        let w = wrap("  why: ", &text, 50);
        assert!(w.lines().count() > 5);
        assert!(w.lines().all(|l| l.chars().count() <= 50), "{w}");
        assert!(w.lines().skip(1).all(|l| l.starts_with("       word")));
        let hosts = wrap("  nodes: ", &"tk1706-ubuntu-0, ".repeat(8), 50);
        assert!(
            hosts.lines().all(|l| l.trim_end().ends_with(',')),
            "{hosts}"
        );
    }

    #[test]
    fn paint_adds_codes_only_with_color() {
        assert_eq!(severity_label(Severity::Error, false), "[ERROR]");
        assert!(severity_label(Severity::Error, true).contains("\u{1b}["));
    }
}
