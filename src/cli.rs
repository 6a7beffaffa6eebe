//! Command-line arguments. Nothing outside this file and `main.rs` knows about
//! clap: `Cli::into_command` turns the parsed flags into the library's types.

use crate::finding::Severity;
use crate::report::Format;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "swarmdiag",
    version,
    about = "Find out, offline, why a Docker Swarm cluster stopped routing traffic",
    long_about = "swarmdiag reads per-node support bundles (directories, .zip or .tar.gz), \
                  matches known failure signatures and cross-checks the swarm control plane \
                  against each node's data plane.\n\nExit codes: 0 no finding at or above \
                  --fail-on, 1 findings, 2 unusable input or arguments."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyze node bundles (one per node, or one archive holding several)
    Analyze {
        /// Bundle directories, .zip or .tar.gz files
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Compare a bundle set from before a change with one from after it
    Diff {
        /// Bundle (or cluster archive) from before the change
        before: PathBuf,
        /// Bundle (or cluster archive) from after the change
        after: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// One time-ordered view of daemon, swarm and task events across all nodes
    Timeline {
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
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        #[arg(long, short)]
        output: Option<PathBuf>,
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
}

#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// List every rule and check
    List {
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Also load user rules from this directory
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Explain one rule or check: what it detects, why, and how to fix it
    Explain {
        id: String,
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
    Table,
    Json,
    Markdown,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
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
