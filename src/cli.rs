//! Command-line arguments. Nothing outside this file and `main.rs` knows about
//! clap: `Cli::into_command` turns the parsed flags into the library's types.

use crate::finding::Severity;
use crate::report::terminal::ColorWhen;
use crate::report::Format;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  swarmdiag analyze manager1.zip worker1.zip            read two node bundles, print the report
  swarmdiag analyze cluster/ --format html -o report.html   one file to attach to a ticket
  swarmdiag analyze cluster.tar.gz --quiet              only the verdict
  swarmdiag diff before/ after/ --format markdown       what changed, to paste into a ticket
  swarmdiag timeline cluster/ --since 2019-01-15T21:00:00Z --node node1
  swarmdiag rules explain SW102                         what a finding means and how to fix it
  swarmdiag completions bash > /etc/bash_completion.d/swarmdiag
  swarmdiag man > swarmdiag.1

More: `swarmdiag rules list`, `swarmdiag rules explain ID`, and in the source tree README.md, \
docs/report-json.md, docs/schema/*.schema.json, docs/bundle-layout.md and docs/limits.md.";

#[derive(Parser, Debug)]
#[command(
    name = "swarmdiag",
    version,
    about = "Find out, offline, why a Docker Swarm cluster stopped routing traffic",
    long_about = "swarmdiag reads per-node support bundles (directories or archives), \
                  sosreports and daemon logs, \
                  matches known failure signatures and cross-checks the swarm control plane \
                  against each node's data plane.\n\nExit codes: 0 no finding at or above \
                  --fail-on, 1 findings, 2 unusable input or arguments.",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Colour by severity: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    /// Applies to standard output and standard error alike
    #[arg(long, value_enum, global = true, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorArg {
    /// Colour a terminal unless NO_COLOR is set
    Auto,
    /// Always colour, even into a pipe or file
    Always,
    /// Never colour
    Never,
}

impl From<ColorArg> for ColorWhen {
    fn from(c: ColorArg) -> ColorWhen {
        match c {
            ColorArg::Auto => ColorWhen::Auto,
            ColorArg::Always => ColorWhen::Always,
            ColorArg::Never => ColorWhen::Never,
        }
    }
}

/// Writes the completion script for `shell`, generated from these
/// definitions.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    clap_complete::generate(shell, &mut Cli::command(), "swarmdiag", out);
}

/// The man page (roff), generated from these definitions.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyze node bundles (one per node, or one archive holding several)
    #[command(after_help = "Examples:
  swarmdiag analyze manager1.zip worker1.zip
  swarmdiag analyze cluster/ --format html -o report.html
  swarmdiag analyze cluster.tar.gz --format json | jq '.findings[].id'
  swarmdiag analyze cluster/ --quiet --fail-on critical")]
    Analyze {
        /// Bundle directories or archives (.zip, .tar.gz, .tar.xz, .tar.zst, .tar.bz2),
        /// sosreports, daemon logs or journal exports, or - for standard input
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
        /// Print only the verdict: one line per finding at error or above
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare a bundle set from before a change with one from after it
    #[command(after_help = "Examples:
  swarmdiag diff before.zip after.zip
  swarmdiag diff before/ after/ --format html -o diff.html")]
    Diff {
        /// Bundle (or cluster archive) from before the change
        before: PathBuf,
        /// Bundle (or cluster archive) from after the change
        after: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// One time-ordered view of daemon, swarm and task events across all nodes
    #[command(after_help = "Examples:
  swarmdiag timeline cluster/
  swarmdiag timeline cluster/ --since 2019-01-15T21:00:00Z --until 2019-01-15T22:00:00Z
  swarmdiag timeline cluster/ --node node1 --service web --format html -o timeline.html")]
    Timeline {
        /// Bundle directories, .zip or .tar.gz files
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Only events at or after this time (RFC 3339, e.g. 2018-08-24T15:00:00Z)
        #[arg(long)]
        since: Option<String>,
        /// Only events at or before this time (RFC 3339)
        #[arg(long)]
        until: Option<String>,
        /// Only events of this node (hostname or bundle label); repeatable
        #[arg(long)]
        node: Vec<String>,
        /// Only events about this service; repeatable
        #[arg(long)]
        service: Vec<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the timeline to this file instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Directory of extra rules (*.toml) whose matches mark events
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Write a copy of bundles with host and domain names, addresses and MACs
    /// replaced by consistent, subnet-preserving pseudonyms, for sharing
    Redact {
        /// Bundle directories, .zip or .tar.gz files (one mapping for all)
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Redacted bundle to write: .zip, .tar.gz or .tgz
        #[arg(long, required = true)]
        out: PathBuf,
        /// Write the map from original values to pseudonyms here (JSON); keep it on site
        #[arg(long)]
        map: Option<PathBuf>,
        /// Also rename services, networks (except docker's own) and images
        #[arg(long)]
        names: bool,
    },
    /// List or explain the rules and checks
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Run the collector on this node and write a bundle
    Collect {
        /// Bundle file to write (default ./swarmdiag-<host>-<time>.zip or .tar.gz)
        #[arg(long)]
        out: Option<PathBuf>,
        /// How far back to collect logs, e.g. 48h
        #[arg(long)]
        since: Option<String>,
        /// The daemon's exec-root (default: from dockerd's command line, else /var/run/docker)
        #[arg(long)]
        exec_root: Option<PathBuf>,
        /// Daemon log file to read instead of journald
        #[arg(long)]
        daemon_log: Option<PathBuf>,
        /// Docker CLI command to use, e.g. "docker -H unix:///run/node1.sock"
        #[arg(long)]
        docker: Option<String>,
    },
    /// Print the collector script (POSIX sh) for customers to read and run
    CollectorScript,
    /// Print a shell completion script
    #[command(after_help = "Examples:
  swarmdiag completions bash > /etc/bash_completion.d/swarmdiag
  swarmdiag completions zsh > \"${fpath[1]}/_swarmdiag\"
  swarmdiag completions fish > ~/.config/fish/completions/swarmdiag.fish")]
    Completions {
        /// Shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[command(after_help = "Example:\n  swarmdiag man | man -l -")]
    Man,
}

#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// List every rule and check
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Also load user rules from this directory
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Explain one rule or check: what it detects, why, and how to fix it
    #[command(after_help = "Example:\n  swarmdiag rules explain SW102")]
    Explain {
        /// Rule or check id, e.g. SW102 or GOS-08 (see `swarmdiag rules list`)
        id: String,
        /// Also load user rules from this directory
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
pub struct OutputArgs {
    /// Report format
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Write the report to this file instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = SeverityArg::Error)]
    pub fail_on: SeverityArg,
    /// Directory of extra rules (*.toml); they add to or override the built-in ones
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// Aligned text for a terminal
    Table,
    /// Machine-readable; schema in docs/schema/
    Json,
    /// For pasting into a ticket (CommonMark/GFM, as GitHub and GitLab render it)
    Markdown,
    /// One self-contained file to attach to a ticket (inline CSS and SVG, works offline)
    Html,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// `--help` describes every argument of every subcommand.
    #[test]
    fn every_argument_is_described() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "swarmdiag", &mut missing);
        assert!(missing.is_empty(), "undescribed: {missing:?}");
        Cli::command().debug_assert();
    }
}
