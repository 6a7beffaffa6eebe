//! HTML report: one self-contained file (inline CSS and SVG; no script, no
//! external stylesheet, font or image) to attach to a ticket and open
//! offline. The verdict comes first, then the load-balancer and ingress
//! chains drawn hop by hop, the subnet arithmetic, the findings with their
//! evidence, the nodes and the coverage. Every value is escaped with
//! [`escape::html`]; the size is bounded and what is cut is counted.

use super::escape::{cut, html as h, html_block};
use super::{evidence_location, node_list, time_window, Report};
use crate::checks::chains::{Hop, LbChain, Stage};
use crate::finding::{Finding, Severity};
use std::fmt::Write;

/// Chains drawn (broken ones first); the rest are counted.
pub const MAX_CHAINS: usize = 60;
/// Characters kept of one quoted evidence or detail line.
pub const MAX_LINE: usize = 400;
/// Characters of finding details and evidence before later findings are
/// listed in the table only.
pub const MAX_FINDING_CHARS: usize = 2_000_000;

/// Page frame shared by the analyze, diff and timeline reports.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + 400);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No script, no fetch: the policy makes a reader's browser enforce it.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = writeln!(out, "<title>{}</title>", h(title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    out.push_str(body);
    out.push_str("</body>\n</html>\n");
    out
}

const CSS: &str = r#"
:root{--crit:#8b0000;--err:#c62828;--warn:#b26a00;--info:#1565c0;--ok:#2e7d32;--fg:#1b1b1b;--mute:#5f6368;--line:#d0d7de;--bg2:#f6f8fa}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:1.2em 1.6em}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.meta{color:var(--mute)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--bg2);border:1px solid var(--line);padding:.5em .7em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{border:1px solid var(--line);padding:.25em .5em;text-align:left;vertical-align:top}
th{background:var(--bg2)}
.sev{font-weight:600;text-transform:uppercase;font-size:.85em}
.sev-critical{color:var(--crit)}.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
.verdict{border:2px solid var(--err);border-radius:6px;padding:.4em 1em;background:#fff5f5}
.verdict.clear{border-color:var(--ok);background:#f3fbf3}
.verdict li{margin:.3em 0}
.finding{border-left:4px solid var(--line);padding:.1em 0 .1em 1em;margin:1em 0;break-inside:avoid-page}
.finding.f-critical,.finding.f-error{border-left-color:var(--err)}.finding.f-warning{border-left-color:var(--warn)}
.finding p{margin:.3em 0}
figure.chain{margin:.8em 0;padding:.4em .6em;border:1px solid var(--line);border-radius:6px;break-inside:avoid}
figure.chain.broken{border-color:var(--err)}
figcaption{font-weight:600;margin-bottom:.3em}
figcaption .state{font-weight:400;color:var(--mute)}
svg.chain-svg{max-width:100%;height:auto}
.hop rect{fill:#eef6ee;stroke:var(--ok);stroke-width:1.5}
.hop.broken rect{fill:#fdecea;stroke:var(--err);stroke-width:2.5;stroke-dasharray:6 3}
.hop text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1b1b1b}
.hop .stage{font:10px system-ui,sans-serif;fill:#5f6368}
.hop.broken .mark{fill:var(--err);font-weight:700}
.edge{stroke:#6e7781;stroke-width:1.5;fill:none}
ul.hopnotes{margin:.2em 0 0 1.2em;padding:0;color:var(--err)}
.cut{color:var(--mute);font-style:italic}
.change-add{color:var(--ok)}.change-del{color:var(--err)}
@media print{body{max-width:none;padding:0;font-size:11px}code,pre,.mono{font-size:9.5px}h2{break-after:avoid}pre{white-space:pre-wrap}
 .verdict{background:none}a{color:inherit;text-decoration:none}figure.chain,.finding{break-inside:avoid}}
"#;

/// The analyze report.
pub fn render(report: &Report) -> String {
    render_with(report, None)
}

/// The analyze report with a timeline section (rendered by the timeline's
/// own renderer, `timeline::render::html_section`) after the findings.
pub fn render_with(report: &Report, timeline: Option<&str>) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<header><h1>swarmdiag report</h1>");
    let _ = writeln!(
        b,
        "<p class=\"meta\">{} · {} node bundle(s) · {} services · {} tasks · {} networks{}</p></header>",
        h(&report.tool),
        report.coverage.node_bundles(),
        report.cluster.services,
        report.cluster.tasks,
        report.cluster.networks,
        report
            .cluster
            .cluster_objects_from
            .as_deref()
            .map(|s| format!(" · cluster objects from {}", h(s)))
            .unwrap_or_default()
    );
    if report.evidence.scope != "full" {
        let _ = writeln!(
            b,
            "<p class=\"evidence\"><strong>Evidence: {}</strong></p>",
            h(&report.evidence.summary)
        );
    }
    verdict(&mut b, report);
    chains(&mut b, report, false);
    chains(&mut b, report, true);
    subnets(&mut b, report);
    findings(&mut b, report);
    if let Some(t) = timeline {
        b.push_str(t);
    }
    nodes(&mut b, report);
    coverage(&mut b, report);
    page("swarmdiag report", &b)
}

/// The verdict: the ranked root causes, each linked to its leading finding,
/// with what it explains, its fix and what would confirm it; then the
/// guesses from versions that the data does not bear out.
fn verdict(b: &mut String, report: &Report) {
    use super::verdict as phrase;
    let causes = &report.root_causes;
    let class = if causes.is_empty() {
        "verdict clear"
    } else {
        "verdict"
    };
    let _ = writeln!(
        b,
        "<section id=\"verdict\" class=\"{class}\"><h2>{}</h2>",
        h(&phrase::headline(causes))
    );
    if causes.is_empty() {
        let _ = writeln!(b, "<p>No finding at error or above.</p>");
    } else {
        let _ = writeln!(b, "<ol>");
        for c in causes {
            let link = report
                .findings
                .iter()
                .find(|f| f.id == c.id)
                .map(anchor)
                .unwrap_or_default();
            let subjects = if c.subjects.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"mono\">[{}]</span>",
                    h(&c.subjects.join("; "))
                )
            };
            let nodes: Vec<&str> = c.nodes.iter().map(String::as_str).collect();
            let _ = writeln!(
                b,
                "<li class=\"cause\">{} <a href=\"#{link}\"><code>{}</code></a> {}{subjects} <span class=\"meta\">— {}</span>",
                sev(c.severity),
                h(&c.id),
                h(&c.title),
                h(&if nodes.is_empty() { "the cluster".to_string() } else { nodes.join(", ") })
            );
            if !c.explains.is_empty() {
                let _ = writeln!(
                    b,
                    "<div class=\"meta\">explains {}</div>",
                    h(&c.explains.join(", "))
                );
            }
            let _ = writeln!(
                b,
                "<div><strong>Fix:</strong> {}</div><div class=\"meta\">confidence: {}; to confirm or rule out: {}</div></li>",
                h(&super::one_line(&c.fix)),
                c.confidence.as_str(),
                h(&super::one_line(&c.confirm))
            );
        }
        let _ = writeln!(b, "</ol>");
    }
    if !report.guesses.is_empty() {
        let _ = writeln!(b, "<h3>Guesses from engine versions (not errors)</h3><ul>");
        for g in &report.guesses {
            let _ = writeln!(b, "<li>{}</li>", h(&phrase::guess_line(g)));
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");
}

fn sev(s: Severity) -> String {
    format!("<span class=\"sev sev-{0}\">{0}</span>", s.as_str())
}

fn title(f: &Finding) -> String {
    match &f.subject {
        Some(s) => format!("{} <span class=\"mono\">[{}]</span>", h(&f.title), h(s)),
        None => h(&f.title).into_owned(),
    }
}

/// A stable anchor per finding: its id and subject.
fn anchor(f: &Finding) -> String {
    let raw = format!("f-{}-{}", f.id, f.subject.as_deref().unwrap_or(""));
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn chains(b: &mut String, report: &Report, ingress: bool) {
    let mut list: Vec<&LbChain> = report
        .lb_chains
        .iter()
        .filter(|c| c.ingress == ingress)
        .collect();
    if list.is_empty() {
        return;
    }
    // Broken chains first, each group in the report's order.
    list.sort_by_key(|c| !c.broken());
    let (id, head, what) = if ingress {
        (
            "ingress",
            "Ingress chain (routing mesh)",
            "published port → host DNAT → ingress_sbox mark → IPVS FWM → backends → tasks",
        )
    } else {
        (
            "lb-chains",
            "Load-balancer chains",
            "VIP → mangle mark → IPVS FWM → backends → tasks",
        )
    };
    let broken = list.iter().filter(|c| c.broken()).count();
    let _ = writeln!(b, "<section id=\"{id}\"><h2>{head}</h2>");
    let _ = writeln!(
        b,
        "<p class=\"meta\">Per node and service: {what}. {} chain(s), {broken} broken; a broken hop is drawn red and dashed, marked ✗.</p>",
        list.len()
    );
    for c in list.iter().take(MAX_CHAINS) {
        chain(b, c);
    }
    if list.len() > MAX_CHAINS {
        let _ = writeln!(
            b,
            "<p class=\"cut\">{} more chain(s) not drawn (all are in <code>--format json</code>, <code>lb_chains</code>).</p>",
            list.len() - MAX_CHAINS
        );
    }
    let _ = writeln!(b, "</section>");
}

const BOX_H: u32 = 40;
const ROW_GAP: u32 = 12;
const COL_GAP: u32 = 34;
const PAD: u32 = 6;

fn col_width(stage: Stage) -> u32 {
    match stage {
        Stage::Task => 340,
        Stage::Backend => 150,
        Stage::Port | Stage::Dnat => 140,
        _ => 120,
    }
}

/// One chain as an SVG: the single hops in a row, then one box per backend
/// and per task, a backend and a task with the same address side by side.
fn chain(b: &mut String, c: &LbChain) {
    let state = if c.broken() { "broken" } else { "ok" };
    let _ = writeln!(
        b,
        "<figure class=\"chain {state}\" data-node=\"{}\" data-service=\"{}\"><figcaption>{} · {} on {} <span class=\"state\">in {} — {}</span></figcaption>",
        h(&c.node),
        h(&c.service),
        h(&c.node),
        h(&c.service),
        h(&c.network),
        h(&c.namespace),
        if c.broken() { "broken" } else { "complete" }
    );
    let singles: Vec<&Hop> = c
        .hops
        .iter()
        .filter(|x| !matches!(x.stage, Stage::Backend | Stage::Task))
        .collect();
    let backends: Vec<&Hop> = c
        .hops
        .iter()
        .filter(|x| x.stage == Stage::Backend)
        .collect();
    let tasks: Vec<&Hop> = c.hops.iter().filter(|x| x.stage == Stage::Task).collect();
    // Rows: each backend, with the task of the same address; then tasks no backend lists.
    let mut rows: Vec<(Option<&Hop>, Option<&Hop>)> = backends
        .iter()
        .map(|bk| {
            (
                Some(*bk),
                tasks
                    .iter()
                    .copied()
                    .find(|t| t.addr.is_some() && t.addr == bk.addr),
            )
        })
        .collect();
    for t in &tasks {
        if !rows
            .iter()
            .any(|(_, rt)| rt.is_some_and(|rt| std::ptr::eq(rt, *t)))
        {
            rows.push((None, Some(*t)));
        }
    }
    let nrows = rows.len().max(1) as u32;
    let mut x = PAD;
    let mut xs = Vec::new();
    for s in &singles {
        xs.push(x);
        x += col_width(s.stage) + COL_GAP;
    }
    let bx = x;
    let tx = bx + col_width(Stage::Backend) + COL_GAP;
    let width = tx + col_width(Stage::Task) + PAD;
    let height = nrows * (BOX_H + ROW_GAP) - ROW_GAP + 2 * PAD;
    let row_y = |r: u32| PAD + r * (BOX_H + ROW_GAP);
    let mid = row_y(0);
    let _ = writeln!(
        b,
        "<svg class=\"chain-svg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{} chain on {}\">",
        h(&c.service),
        h(&c.node)
    );
    // Edges first, boxes over them.
    for (i, s) in singles.iter().enumerate().skip(1) {
        let x1 = xs[i - 1] + col_width(singles[i - 1].stage);
        let _ = writeln!(
            b,
            "<path class=\"edge\" d=\"M{x1} {} H{}\"/>",
            mid + BOX_H / 2,
            xs[i]
        );
        let _ = s;
    }
    let last_single_end = singles
        .last()
        .map(|s| xs[xs.len() - 1] + col_width(s.stage));
    for (r, (bk, t)) in rows.iter().enumerate() {
        let y = row_y(r as u32) + BOX_H / 2;
        if let (Some(x1), Some(_)) = (last_single_end, bk) {
            let _ = writeln!(
                b,
                "<path class=\"edge\" d=\"M{x1} {} C{} {} {} {y} {bx} {y}\"/>",
                mid + BOX_H / 2,
                x1 + COL_GAP / 2,
                mid + BOX_H / 2,
                bx - COL_GAP / 2
            );
        }
        if let (Some(_), Some(_)) = (bk, t) {
            let _ = writeln!(
                b,
                "<path class=\"edge\" d=\"M{} {y} H{tx}\"/>",
                bx + col_width(Stage::Backend)
            );
        }
    }
    for (i, s) in singles.iter().enumerate() {
        hop_box(b, s, xs[i], mid);
    }
    for (r, (bk, t)) in rows.iter().enumerate() {
        let y = row_y(r as u32);
        if let Some(bk) = bk {
            hop_box(b, bk, bx, y);
        }
        if let Some(t) = t {
            hop_box(b, t, tx, y);
        }
    }
    if backends.is_empty() && tasks.is_empty() {
        let _ = writeln!(
            b,
            "<text x=\"{bx}\" y=\"{}\" class=\"stage\">no backend, no running task</text>",
            mid + BOX_H / 2
        );
    }
    let _ = writeln!(b, "</svg>");
    let notes: Vec<&Hop> = c.hops.iter().filter(|x| !x.ok).collect();
    if !notes.is_empty() {
        let _ = writeln!(b, "<ul class=\"hopnotes\">");
        for n in notes {
            let _ = writeln!(
                b,
                "<li>✗ {} <code>{}</code>: {}</li>",
                n.stage.as_str(),
                h(&n.label),
                h(&n.note)
            );
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</figure>");
}

/// One hop: a `<g class="hop">` holding its box, stage name and label.
fn hop_box(b: &mut String, hop: &Hop, x: u32, y: u32) {
    let w = col_width(hop.stage);
    let state = if hop.ok { "ok" } else { "broken" };
    // 12px monospace: about 7.3px per character.
    let chars = ((w - 14) * 10 / 73) as usize;
    let (label, _) = cut(&hop.label, chars.saturating_sub(if hop.ok { 0 } else { 2 }));
    let tip = if hop.note.is_empty() {
        format!("{}: {}", hop.stage.as_str(), hop.label)
    } else {
        format!("{}: {} — {}", hop.stage.as_str(), hop.label, hop.note)
    };
    let _ = writeln!(
        b,
        "<g class=\"hop {state}\" data-stage=\"{}\" data-ok=\"{}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{BOX_H}\" rx=\"5\"/><text class=\"stage\" x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\">{}{}</text></g>",
        stage_key(hop.stage),
        hop.ok,
        h(&tip),
        x + 6,
        y + 13,
        hop.stage.as_str(),
        x + 6,
        y + 31,
        if hop.ok { "" } else { "<tspan class=\"mark\">✗ </tspan>" },
        h(&label)
    );
}

fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::Vip => "vip",
        Stage::Port => "port",
        Stage::Dnat => "dnat",
        Stage::Mark => "mark",
        Stage::Fwm => "fwm",
        Stage::Backend => "backend",
        Stage::Task => "task",
    }
}

/// Subnet arithmetic: the capacity and overlap findings' own sums.
fn subnets(b: &mut String, report: &Report) {
    let list: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.id.as_str(), "SW301" | "SW302"))
        .collect();
    if list.is_empty() {
        return;
    }
    let _ = writeln!(b, "<section id=\"subnets\"><h2>Subnet arithmetic</h2>");
    for f in list {
        let _ = writeln!(
            b,
            "<h3>{} <a href=\"#{}\"><code>{}</code></a> {}</h3><pre>{}</pre>",
            sev(f.severity),
            anchor(f),
            h(&f.id),
            title(f),
            html_block(&f.detail)
        );
    }
    let _ = writeln!(b, "</section>");
}

fn findings(b: &mut String, report: &Report) {
    let _ = writeln!(b, "<section id=\"findings\"><h2>Findings</h2>");
    if report.findings.is_empty() {
        let _ = writeln!(b, "<p>No findings.</p></section>");
        return;
    }
    let _ = writeln!(
        b,
        "<table><thead><tr><th>severity</th><th>id</th><th>finding</th><th>nodes</th><th>count</th></tr></thead><tbody>"
    );
    for f in &report.findings {
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            sev(f.severity),
            anchor(f),
            h(&f.id),
            title(f),
            h(&node_list(f)),
            f.count
        );
    }
    let _ = writeln!(b, "</tbody></table>");
    let (mut used, mut lines_cut, mut left_out) = (0usize, 0usize, 0usize);
    for f in &report.findings {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<article class=\"finding f-{}\" id=\"{}\"><h3>{} <code>{}</code> {}</h3>",
            f.severity.as_str(),
            anchor(f),
            sev(f.severity),
            h(&f.id),
            title(f)
        );
        let _ = writeln!(
            s,
            "<p class=\"meta\">nodes: {} · count: {} · seen: {}</p>",
            h(&node_list(f)),
            f.count,
            h(&time_window(f))
        );
        if !f.detail.is_empty() {
            let _ = writeln!(s, "<pre class=\"detail\">{}</pre>", html_block(&f.detail));
        }
        if !f.evidence.is_empty() {
            let _ = write!(s, "<p>Evidence:</p><pre class=\"evidence\">");
            for e in &f.evidence {
                let (text, was_cut) = cut(&e.text, MAX_LINE);
                lines_cut += usize::from(was_cut);
                let _ = writeln!(s, "{}: {}", h(&evidence_location(e)), h(&text));
            }
            let _ = writeln!(s, "</pre>");
        }
        let _ = writeln!(
            s,
            "<p><strong>Why:</strong> {}</p>",
            h(&super::one_line(&f.explanation))
        );
        let _ = writeln!(
            s,
            "<p><strong>Fix:</strong> {}</p>",
            h(&super::one_line(&f.remediation))
        );
        if !f.references.is_empty() {
            let refs: Vec<String> = f.references.iter().map(|r| reference(r)).collect();
            let _ = writeln!(s, "<p><strong>References:</strong> {}</p>", refs.join(", "));
        }
        let _ = writeln!(s, "</article>");
        if left_out > 0 || used + s.len() > MAX_FINDING_CHARS {
            left_out += 1;
            continue;
        }
        used += s.len();
        b.push_str(&s);
    }
    if lines_cut > 0 || left_out > 0 {
        let _ = writeln!(
            b,
            "<p class=\"cut\">Cut to bound this file: {lines_cut} evidence line(s) shortened to {MAX_LINE} characters; \
             {left_out} finding(s) listed in the table only. <code>--format json</code> has everything.</p>"
        );
    }
    let _ = writeln!(b, "</section>");
}

/// A reference: a link when it is a public URL, else text.
fn reference(r: &str) -> String {
    if (r.starts_with("https://") || r.starts_with("http://")) && !r.contains(char::is_whitespace) {
        format!("<a href=\"{0}\">{0}</a>", h(r))
    } else {
        h(r).into_owned()
    }
}

fn nodes(b: &mut String, report: &Report) {
    if report.cluster.nodes.is_empty() {
        return;
    }
    let _ = writeln!(
        b,
        "<section id=\"nodes\"><h2>Nodes</h2><table><thead><tr><th>node</th><th>role</th><th>engine</th><th>state</th><th>availability</th><th>bundle</th></tr></thead><tbody>"
    );
    for n in &report.cluster.nodes {
        let role = n.role_label();
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&n.hostname),
            h(&role),
            h(&n.engine_version),
            h(&n.state),
            h(&n.availability),
            h(&n.bundle)
        );
    }
    let _ = writeln!(b, "</tbody></table></section>");
}

fn coverage(b: &mut String, report: &Report) {
    let _ = writeln!(
        b,
        "<section id=\"coverage\"><h2>Coverage</h2><table><thead><tr><th>bundle</th><th>sources present</th><th>missing</th><th>notes</th></tr></thead><tbody>"
    );
    for n in &report.coverage.nodes {
        let missing = if n.missing.is_empty() {
            "-".to_string()
        } else {
            n.missing.join(", ")
        };
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&n.bundle),
            n.present.len(),
            h(&missing),
            n.notes.len()
        );
    }
    let _ = writeln!(b, "</tbody></table>");
    let notes: Vec<String> = report
        .coverage
        .nodes
        .iter()
        .flat_map(|n| {
            n.notes.iter().map(move |note| {
                format!(
                    "<li><code>{}/{}</code>: {}</li>",
                    h(&n.bundle),
                    h(&note.path),
                    h(&cut(&note.message, MAX_LINE).0)
                )
            })
        })
        .collect();
    if !notes.is_empty() || !report.coverage.not_run.is_empty() {
        let _ = writeln!(b, "<ul>");
        for n in notes.iter().take(200) {
            b.push_str(n);
            b.push('\n');
        }
        if notes.len() > 200 {
            let _ = writeln!(
                b,
                "<li class=\"cut\">{} more note(s) in <code>--format json</code></li>",
                notes.len() - 200
            );
        }
        for nr in &report.coverage.not_run {
            let _ = writeln!(
                b,
                "<li>not run <code>{}</code>: {}</li>",
                h(&nr.id),
                h(&nr.reason)
            );
        }
        let _ = writeln!(b, "</ul>");
    }
    let _ = writeln!(b, "</section>");
}
