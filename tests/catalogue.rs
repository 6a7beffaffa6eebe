//! The message catalogue (`docs/message-catalogue.tsv`, mined from Docker's
//! source by `docs/mine-messages.py`) against the rules: every row's
//! template, instantiated into a dockerd logrus line, goes through the real
//! rule matcher. A row naming a rule must fire that rule; a `not-a-problem`
//! row must fire no warning, error or critical rule; an `unclassified` row
//! must fire no rule at all (if one does, the row should name it). The
//! Markdown table `docs/message-catalogue.md` is generated from the TSV and
//! must equal the committed file (`UPDATE_CATALOGUE=1 cargo test --test
//! catalogue` rewrites it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use swarmdiag::finding::{Finding, Severity};
use swarmdiag::rules::example::read_example;
use swarmdiag::rules::{LogEvent, LogSource, RuleSet};

const COLUMNS: [&str; 9] = [
    "level",
    "template",
    "source",
    "versions",
    "field",
    "disposition",
    "note",
    "values",
    "error",
];

/// One row of the catalogue.
#[derive(Debug)]
struct Row {
    line: usize,
    level: String,
    template: String,
    source: String,
    versions: String,
    /// `msg` or `error`: whether the source logs with `WithError`, so the
    /// cause is in an `error=` field.
    field: String,
    /// A rule id, `not-a-problem` or `unclassified`.
    disposition: String,
    note: String,
    /// Values for the template's verbs, `|`-separated (default per verb).
    values: String,
    /// The `error=` value of the line (for `field = error` rows).
    error: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn read_rows(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().expect("header");
    assert_eq!(
        header.split('\t').collect::<Vec<_>>(),
        COLUMNS,
        "{}: header",
        path.display()
    );
    let mut rows = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(
            f.len(),
            COLUMNS.len(),
            "{}:{}: {} columns",
            path.display(),
            i + 1,
            f.len()
        );
        rows.push(Row {
            line: i + 1,
            level: f[0].to_string(),
            template: unescape(f[1]),
            source: f[2].to_string(),
            versions: f[3].to_string(),
            field: f[4].to_string(),
            disposition: f[5].to_string(),
            note: f[6].to_string(),
            values: unescape(f[7]),
            error: unescape(f[8]),
        });
    }
    rows
}

/// The template with its Go verbs replaced: the row's values in order,
/// else a plausible value per verb.
fn instantiate(template: &str, values: &str) -> String {
    let verb = regex::Regex::new(r"%[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])").expect("regex");
    let mut given = values.split('|').filter(|_| !values.is_empty());
    let mut out = String::new();
    let mut last = 0;
    for c in verb.captures_iter(template) {
        let m = c.get(0).expect("match");
        out.push_str(&template[last..m.start()]);
        last = m.end();
        let v = &c[1];
        if v == "%" {
            out.push('%');
            continue;
        }
        let value = given.next().map(str::to_string).unwrap_or_else(|| {
            match v {
                "d" => "3",
                "x" | "X" => "5a1b2c3d4e5f6071",
                "t" => "true",
                "f" | "g" => "1.50",
                "q" => "\"net1\"",
                _ => "net1",
            }
            .to_string()
        });
        out.push_str(&value);
    }
    out.push_str(&template[last..]);
    // logrus drops one trailing newline of the message.
    out.strip_suffix('\n').map(str::to_string).unwrap_or(out)
}

/// `s` as logrus quotes a value.
fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The row as a dockerd log line.
fn log_line(row: &Row) -> String {
    let mut line = format!(
        "time=\"2025-01-01T00:00:00.000000000Z\" level={} msg={}",
        row.level,
        quote(&instantiate(&row.template, &row.values))
    );
    if row.field == "error" || !row.error.is_empty() {
        let err = if row.error.is_empty() {
            "failed"
        } else {
            &row.error
        };
        line.push_str(&format!(" error={}", quote(err)));
    }
    line
}

/// What the rules make of `line` fed `times` times on one node.
fn findings(rules: &RuleSet, line: &str, times: u64) -> Vec<Finding> {
    let ex = read_example(line);
    let mut m = rules.log_matcher();
    for i in 0..times.max(1) {
        m.observe(&LogEvent {
            node: "node1",
            file: "node1/logs/dockerd.log",
            line: i as usize + 1,
            time: None,
            level: ex.level.as_deref(),
            source: LogSource::Dockerd,
            haystack: &ex.haystack,
            raw: line,
            engine_version: None,
        });
    }
    m.finish()
}

/// How many times a rule must see the line: its `min_count`.
fn times(rules: &RuleSet, id: &str) -> u64 {
    rules
        .get(id)
        .and_then(|r| r.log.as_ref())
        .map_or(1, |l| l.min_count)
}

fn rules() -> RuleSet {
    swarmdiag::load_rules(None).expect("embedded rules")
}

fn catalogue() -> Vec<Row> {
    read_rows(&root().join("docs/message-catalogue.tsv"))
}

#[test]
fn every_row_behaves_as_its_disposition_says() {
    let rules = rules();
    let rows = catalogue();
    assert!(rows.len() > 400, "{} rows", rows.len());
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for row in &rows {
        let at = format!("docs/message-catalogue.tsv:{}", row.line);
        if let Some(prev) = seen.insert((row.level.clone(), row.template.clone()), row.line) {
            problems.push(format!("{at}: same level and template as line {prev}"));
        }
        if !["warning", "error", "fatal", "panic"].contains(&row.level.as_str()) {
            problems.push(format!("{at}: level {:?}", row.level));
        }
        if !["msg", "error"].contains(&row.field.as_str()) {
            problems.push(format!("{at}: field {:?}", row.field));
        }
        let line = log_line(row);
        match row.disposition.as_str() {
            "not-a-problem" | "unclassified" => {
                if row.note.trim().is_empty() {
                    problems.push(format!("{at}: {} without a reason", row.disposition));
                }
                // Fed as often as the most demanding rule needs, so a
                // threshold rule cannot hide.
                let fired = findings(&rules, &line, 20);
                // The safety net's own findings (`UNCLASSIFIED…`) are not rules.
                let bad: Vec<String> = fired
                    .iter()
                    .filter(|f| !f.id.starts_with("UNCLASSIFIED"))
                    .filter(|f| {
                        row.disposition == "unclassified" || f.severity >= Severity::Warning
                    })
                    .map(|f| format!("{} ({})", f.id, f.severity.as_str()))
                    .collect();
                if !bad.is_empty() {
                    problems.push(format!(
                        "{at}: {} row fires {}: {line}",
                        row.disposition,
                        bad.join(", ")
                    ));
                }
            }
            id => match rules.get(id) {
                None => problems.push(format!("{at}: no rule {id:?}")),
                Some(r) if r.log.is_none() => {
                    problems.push(format!("{at}: rule {id} has no log matcher"))
                }
                Some(_) => {
                    let fired = findings(&rules, &line, times(&rules, id));
                    if !fired.iter().any(|f| f.id == id) {
                        let ids: Vec<&str> = fired.iter().map(|f| f.id.as_str()).collect();
                        problems.push(format!("{at}: {id} does not fire (fired: {ids:?}): {line}"));
                    }
                }
            },
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The rule ids a row of the TSV can name and the dispositions' counts, as
/// the Markdown shows them.
fn markdown(rows: &[Row], rules: &RuleSet) -> String {
    let mut by_disp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_level: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for r in rows {
        let d = match r.disposition.as_str() {
            "not-a-problem" => "not a problem",
            "unclassified" => "left to the unclassified report",
            _ => "rule",
        };
        *by_disp.entry(d).or_default() += 1;
        *by_level.entry((r.level.as_str(), d)).or_default() += 1;
    }
    let mut s = String::new();
    s.push_str(
        "# Message catalogue: what Docker's swarm code logs, and what swarmdiag makes of it\n\n\
         <!-- Generated from message-catalogue.tsv by tests/catalogue.rs \
         (UPDATE_CATALOGUE=1 cargo test --test catalogue); edit the TSV, not this file. -->\n\n\
         Every warning, error, fatal and panic log call of Docker's swarm control plane and swarm\n\
         networking code, mined from the source by `docs/mine-messages.py` (moby/moby at one tag\n\
         per minor release from v17.06.2-ce to docker-v29.7.2: `daemon/cluster`, libnetwork as\n\
         vendored, then `libnetwork/`, then `daemon/libnetwork/`, and the vendored swarmkit). Each\n\
         row is one (level, message template); `source` is the file in the last version that logs\n\
         it, `versions` the first and last sampled release that does. Error, fatal and panic rows\n\
         are all here; warning rows only where a rule matches them or they are known to be\n\
         harmless.\n\n\
         Disposition:\n\n\
         - a **rule id**: the rule (`swarmdiag rules explain ID`) that names the cause and the fix;\n\
         - **not a problem**: logged in normal operation (start-up, shutdown, an expected retry, \
         a race the code recovers from, a diagnostic request); no warning or error finding comes from it;\n\
         - **left to the unclassified report**: the message alone does not point at a cause (a \
         generic wrapper whose nested error is the real message, an internal consistency error, \
         a code path swarm does not use); an error-level line of it is grouped as an \
         `UNCLASSIFIED` finding, never silently dropped.\n\n\
         `tests/catalogue.rs` instantiates every template as a dockerd log line (`%s`, `%v`, … with\n\
         plausible values; the `error=` field where the code logs `WithError`) and runs it through\n\
         the rule matcher: a rule row must fire its rule, a not-a-problem row no warning/error\n\
         rule, an unclassified row no rule at all. Every rule named also carries matching and\n\
         non-matching example lines of its own (`cargo test --lib rules`).\n\n\
         To refresh after a Docker release: `docs/mine-messages.py <moby git dir> [TAG …]`\n\
         lists the messages of the given tags; add new (level, template) rows to the TSV with a\n\
         disposition, then `UPDATE_CATALOGUE=1 cargo test --test catalogue` rewrites this file.\n\
         Messages that the daemon only returns to API callers (logged as `Handler for … returned\n\
         error: …`) are listed where a rule matches them (the swarm address errors).\n\n## Counts\n\n\
         | level | rule | not a problem | left to the unclassified report | total |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for level in ["panic", "fatal", "error", "warning"] {
        let get = |d| by_level.get(&(level, d)).copied().unwrap_or(0);
        let (a, b, c) = (
            get("rule"),
            get("not a problem"),
            get("left to the unclassified report"),
        );
        let _ = writeln!(s, "| {level} | {a} | {b} | {c} | {} |", a + b + c);
    }
    let total = |d| by_disp.get(d).copied().unwrap_or(0);
    let _ = writeln!(
        s,
        "| all | {} | {} | {} | {} |",
        total("rule"),
        total("not a problem"),
        total("left to the unclassified report"),
        rows.len()
    );
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r.disposition.as_str())
        .filter(|d| !["not-a-problem", "unclassified"].contains(d))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let _ = writeln!(s, "\n{} distinct rules are named.\n", ids.len());
    // One section per area, in AREAS order; rows keep their TSV order.
    let mut sections: Vec<(usize, &Row)> =
        rows.iter().map(|r| (area_index(&r.source), r)).collect();
    sections.sort_by_key(|(i, _)| *i);
    let mut area = "";
    for (_, r) in sections {
        let a = area_of(&r.source);
        if a != area {
            area = a;
            let _ = write!(
                s,
                "\n## {area}\n\n| level | message | source | versions | disposition |\n\
                 |---|---|---|---|---|\n"
            );
        }
        let disp = match r.disposition.as_str() {
            "not-a-problem" => format!("not a problem: {}", r.note),
            "unclassified" => format!("left to the unclassified report: {}", r.note),
            id => {
                let title = rules.get(id).map(|x| x.title.as_str()).unwrap_or("?");
                if r.note.is_empty() {
                    format!("**{id}** ({title})")
                } else {
                    format!("**{id}** ({title}); {}", r.note)
                }
            }
        };
        let mut msg = r.template.replace('\n', "\\n").replace('\t', "\\t");
        if r.field == "error" {
            msg.push_str(" + error=…");
        }
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} | {} |",
            r.level,
            code(&msg),
            r.source,
            r.versions,
            cell(&disp)
        );
    }
    s
}

/// Sections of the Markdown, by source path prefix (first match wins).
const AREAS: &[(&str, &str)] = &[
    (
        "daemon/cluster/",
        "Daemon: cluster component and task executor",
    ),
    (
        "libnetwork/drivers/overlay/",
        "libnetwork: overlay driver (VXLAN, IPsec)",
    ),
    (
        "libnetwork/drivers/bridge/",
        "libnetwork: bridge driver (docker_gwbridge)",
    ),
    ("libnetwork/drivers/", "libnetwork: other drivers"),
    ("libnetwork/networkdb/", "libnetwork: NetworkDB (gossip)"),
    (
        "memberlist/",
        "memberlist (NetworkDB's gossip library; `[ERR]` and `[WARN]` are logged at level=warning)",
    ),
    (
        "libnetwork/iptables/",
        "libnetwork: iptables, firewalld, nftables",
    ),
    (
        "libnetwork/internal/",
        "libnetwork: iptables, firewalld, nftables",
    ),
    (
        "libnetwork/firewall",
        "libnetwork: iptables, firewalld, nftables",
    ),
    ("libnetwork/resolver", "libnetwork: embedded DNS resolver"),
    (
        "libnetwork/service",
        "libnetwork: service load balancing (IPVS)",
    ),
    (
        "libnetwork/ipvs",
        "libnetwork: service load balancing (IPVS)",
    ),
    (
        "libnetwork/osl/",
        "libnetwork: namespaces and interfaces (osl, ns)",
    ),
    (
        "libnetwork/ns/",
        "libnetwork: namespaces and interfaces (osl, ns)",
    ),
    (
        "libnetwork/cnmallocator/",
        "libnetwork: swarm network allocator (cnmallocator, 29.x)",
    ),
    (
        "libnetwork/",
        "libnetwork: controller, agent, endpoints, sandboxes",
    ),
    ("swarmkit/manager/state/raft", "swarmkit: raft"),
    ("swarmkit/manager/dispatcher", "swarmkit: dispatcher"),
    ("swarmkit/manager/allocator", "swarmkit: allocator"),
    ("swarmkit/ca/", "swarmkit: CA and TLS"),
    ("swarmkit/agent/", "swarmkit: agent (worker)"),
    ("swarmkit/node/", "swarmkit: node start-up"),
    ("swarmkit/manager/orchestrator", "swarmkit: orchestrators"),
    ("swarmkit/", "swarmkit: manager"),
];

/// The index in AREAS of the section `source` belongs to.
fn area_index(source: &str) -> usize {
    AREAS
        .iter()
        .position(|(p, _)| source.starts_with(p))
        .unwrap_or(AREAS.len())
}

/// The section a source file belongs to.
fn area_of(source: &str) -> &'static str {
    AREAS.get(area_index(source)).map_or("Other", |(_, a)| a)
}

/// Text in a table cell: pipes escaped, no raw HTML.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code span that holds any backticks and pipes of `s`.
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

#[test]
fn markdown_is_generated_from_the_tsv() {
    let rows = catalogue();
    let want = markdown(&rows, &rules());
    let path = root().join("docs/message-catalogue.md");
    if std::env::var_os("UPDATE_CATALOGUE").is_some() {
        std::fs::write(&path, &want).expect("write docs/message-catalogue.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/message-catalogue.md is not generated from the TSV: run \
         UPDATE_CATALOGUE=1 cargo test --test catalogue"
    );
}

/// `CATALOGUE_SURVEY=file.tsv cargo test --test catalogue survey -- --ignored
/// --nocapture`: prints, for each row of a mined TSV (the first five columns
/// are enough), the rules its line fires. A help for writing dispositions.
#[test]
#[ignore]
fn survey() {
    let Some(path) = std::env::var_os("CATALOGUE_SURVEY") else {
        return;
    };
    let rules = rules();
    let text = std::fs::read_to_string(&path).expect("read");
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        let mut padded: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        padded.resize(COLUMNS.len(), String::new());
        let row = Row {
            line: 0,
            level: padded[0].clone(),
            template: unescape(&padded[1]),
            source: padded[2].clone(),
            versions: padded[3].clone(),
            field: padded[4].clone(),
            disposition: padded[5].clone(),
            note: padded[6].clone(),
            values: unescape(&padded[7]),
            error: unescape(&padded[8]),
        };
        let fired = findings(&rules, &log_line(&row), 20);
        let ids: Vec<String> = fired
            .iter()
            .map(|f| format!("{}:{}", f.id, f.severity.as_str()))
            .collect();
        println!("{}\t{}\t{}", row.level, padded[1], ids.join(","));
    }
}

/// References point at public pages: `owner/repo#N` (an issue or pull
/// request) or an https URL, never at a file that does not ship.
#[test]
fn references_are_public() {
    let shape =
        regex::Regex::new(r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#\d+|https://\S+)$").expect("regex");
    let bad: Vec<String> = rules()
        .rules()
        .iter()
        .flat_map(|r| r.references.iter().map(move |x| (r.id.as_str(), x)))
        .filter(|(_, x)| !shape.is_match(x))
        .map(|(id, x)| format!("{id}: {x:?}"))
        .collect();
    assert!(
        bad.is_empty(),
        "references that are not public:\n{}",
        bad.join("\n")
    );
}
