//! Reports: the analysis result and its renderers. One file per format; a
//! renderer only formats, it never analyzes.

pub mod escape;
pub mod html;
mod json;
mod markdown;
mod table;
pub mod terminal;
mod verdict;

use crate::finding::{Finding, Severity};
use crate::verdict::{Guess, RootCause};
use serde::Serialize;

/// Version of the JSON report schema (`docs/report-json.md`).
/// 2: `root_causes` and `guesses`.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
    /// One self-contained HTML file (inline CSS and SVG, nothing fetched).
    Html,
}

/// How text formats are laid out: the terminal's width and whether to
/// colour by severity. The default (120 columns, no colour) is what a file
/// or pipe gets, so output stays the same bytes whatever the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: u16,
    pub color: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: 120,
            color: false,
        }
    }
}

/// Everything `analyze` found, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool: String,
    pub cluster: ClusterSummary,
    /// The verdict, ranked: what to tell the customer first.
    pub root_causes: Vec<RootCause>,
    /// Guesses from engine versions the data does not confirm.
    pub guesses: Vec<Guess>,
    /// What kinds of evidence the verdict rests on (`docs/report-json.md`).
    pub evidence: EvidenceScope,
    pub findings: Vec<Finding>,
    pub coverage: Coverage,
    /// The load-balancer chains per node and service, hop by hop (drawn by
    /// the HTML report).
    pub lb_chains: Vec<crate::checks::chains::LbChain>,
}

/// How complete the evidence is: `full` when swarm objects, engine state,
/// the data plane and logs were all read; otherwise `partial` (or `logs
/// only`), with what is missing. `summary` is the line renderers print
/// first, e.g. `logs only: no swarm objects, no data plane`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvidenceScope {
    pub scope: String,
    pub missing: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterSummary {
    pub nodes: Vec<NodeSummary>,
    pub services: usize,
    pub tasks: usize,
    pub networks: usize,
    /// Bundle whose swarm/ files gave the cluster-wide objects (the freshest manager).
    pub cluster_objects_from: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NodeSummary {
    /// The bundle this node came from (empty when the node is only known from a manager's view).
    pub bundle: String,
    pub hostname: String,
    pub node_id: String,
    pub role: String,
    pub availability: String,
    pub state: String,
    pub engine_version: String,
    pub leader: bool,
    pub collected_at: Option<String>,
}

impl NodeSummary {
    /// The role as the reports show it: `manager (leader)` for the leader.
    pub fn role_label(&self) -> String {
        if self.leader {
            format!("{} (leader)", self.role)
        } else {
            self.role.clone()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub nodes: Vec<NodeCoverage>,
    /// Rules and checks that could not run for lack of input.
    pub not_run: Vec<NotRun>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NodeCoverage {
    pub bundle: String,
    pub origin: String,
    /// Layout sources present and parsed.
    pub present: Vec<String>,
    /// Layout sources absent from the bundle (manager-only sources are not listed for workers).
    pub missing: Vec<String>,
    /// Files that were present but unusable or only partly usable.
    pub notes: Vec<CoverageNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CoverageNote {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotRun {
    pub id: String,
    pub reason: String,
}

/// The label of the coverage row that holds notes about the inputs
/// themselves (stray files, unreadable entries), not a node bundle.
pub const INPUT_ROW: &str = "(input)";

impl Coverage {
    /// How many node bundles were read (the input notes row is not one).
    pub fn node_bundles(&self) -> usize {
        self.nodes.iter().filter(|n| n.bundle != INPUT_ROW).count()
    }
}

/// Text safe to print on a terminal: control characters from bundles (an
/// ESC sequence in a log line, a CR) are shown escaped (`\u{1b}`), never
/// sent raw; newlines and tabs are kept.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    crate::bundle::escape_controls(text, &['\n', '\t'])
}

impl Report {
    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Renders `report` in `format`. Output depends only on the report, so the
/// same input always gives the same bytes.
pub fn render(report: &Report, format: Format) -> String {
    render_with(report, format, Style::default())
}

/// [`render`] laid out for `style` (only the table format uses it).
pub fn render_with(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Table => table::render(report, style),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}

/// The verdict alone (`--quiet`): the headline and one line per root cause,
/// in rank order.
pub fn quiet(report: &Report, style: Style) -> String {
    let mut out = String::new();
    out.push_str(&verdict::headline(&report.root_causes));
    out.push('\n');
    for (i, c) in report.root_causes.iter().enumerate() {
        let sev = terminal::severity_label(c.severity, style.color);
        let line = verdict::root_cause_line(c);
        // root_cause_line opens with "[severity] "; the label replaces it.
        let rest = line.split_once("] ").map_or(line.as_str(), |(_, r)| r);
        out.push_str(&format!("{}. {sev} {}\n", i + 1, escape::terminal(rest)));
    }
    out
}

/// Prose wrapped in a rule file, as one line: every renderer quotes a
/// fix or confirm text on one line (or wraps it itself).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Formats a finding's time window for humans: `first … last` or `-`.
pub(crate) fn time_window(f: &Finding) -> String {
    use time::format_description::well_known::Rfc3339;
    let fmt = |t: Option<time::OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok());
    match (fmt(f.first_seen), fmt(f.last_seen)) {
        (Some(a), Some(b)) if a == b => a,
        (Some(a), Some(b)) => format!("{a} … {b}"),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => "-".to_string(),
    }
}

/// Node list of a finding, comma-joined, or `cluster` when no node is named.
pub(crate) fn node_list(f: &Finding) -> String {
    if f.nodes.is_empty() {
        "cluster".to_string()
    } else {
        f.nodes.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Evidence location `file:line` (or `file` for whole-file evidence).
pub(crate) fn evidence_location(e: &crate::finding::Evidence) -> String {
    if e.line == 0 {
        e.file.clone()
    } else {
        format!("{}:{}", e.file, e.line)
    }
}
