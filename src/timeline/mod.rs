/*!
`swarmdiag timeline`: one time-ordered view of what happened across all nodes.

Events come from four places:
- every daemon and kernel log line, as the analysis streams it
  ([`events::from_log`], collected per input by [`Collector`]): daemon starts,
  stops and versions, API calls that drain or promote nodes, raft leader
  changes, gossip joins and leaves, agent sessions, task transitions;
- the task history of the freshest manager (`swarm/tasks.json` `Status`);
- the node objects (`swarm/nodes.json` `UpdatedAt` with availability and state);
- the findings: each log line kept as evidence, and first/last seen.

Times are UTC. Lines whose stamp has no year (short syslog/journald) are
re-dated from the bundle's `manifest.json` `collected_at` once it is read
([`redate`]), so the reading order of archives (tar) does not matter.
Clock skew between nodes is estimated from gossip events seen by several
nodes ([`skew`]); when the evidence is solid the node's times are corrected
and the note says by how much.
*/

mod events;
mod render;
mod skew;

pub use events::{from_log, is_boot_marker, Collector, MAX_EVENTS_PER_INPUT, NEEDLES};
pub use render::{html_section, render};
pub use skew::{ClockEstimate, SKEW_THRESHOLD_S};

use crate::analyze::Analysis;
use crate::finding::Finding;
use crate::model::Cluster;
use crate::parse::log::{parse_line, LogContext};
use crate::source::Source;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use time::{Duration, OffsetDateTime};

/// Version of the JSON timeline schema (`docs/timeline-json.md`).
pub const TIMELINE_SCHEMA_VERSION: u32 = 1;

/// What an event is. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    HostBoot,
    ServiceUnit,
    DaemonStart,
    DaemonVersion,
    EngineUpgrade,
    DaemonReady,
    ApiListen,
    DaemonStopping,
    DaemonStopped,
    SwarmInit,
    SwarmJoin,
    SwarmLeave,
    ManagerStart,
    AgentStart,
    AgentSession,
    AgentSessionFailed,
    NodeUpdate,
    NodeStatus,
    NodeDown,
    RaftLeader,
    RaftElected,
    RaftLostLeader,
    GossipJoin,
    GossipLeave,
    TaskState,
    TaskError,
    #[default]
    ApiCall,
    Signature,
    /// A debug `form data:` body; merged into the API call before it.
    FormData,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HostBoot => "host_boot",
            Kind::ServiceUnit => "service_unit",
            Kind::DaemonStart => "daemon_start",
            Kind::DaemonVersion => "daemon_version",
            Kind::EngineUpgrade => "engine_upgrade",
            Kind::DaemonReady => "daemon_ready",
            Kind::ApiListen => "api_listen",
            Kind::DaemonStopping => "daemon_stopping",
            Kind::DaemonStopped => "daemon_stopped",
            Kind::SwarmInit => "swarm_init",
            Kind::SwarmJoin => "swarm_join",
            Kind::SwarmLeave => "swarm_leave",
            Kind::ManagerStart => "manager_start",
            Kind::AgentStart => "agent_start",
            Kind::AgentSession => "agent_session",
            Kind::AgentSessionFailed => "agent_session_failed",
            Kind::NodeUpdate => "node_update",
            Kind::NodeStatus => "node_status",
            Kind::NodeDown => "node_down",
            Kind::RaftLeader => "raft_leader",
            Kind::RaftElected => "raft_elected",
            Kind::RaftLostLeader => "raft_lost_leader",
            Kind::GossipJoin => "gossip_join",
            Kind::GossipLeave => "gossip_leave",
            Kind::TaskState => "task_state",
            Kind::TaskError => "task_error",
            Kind::ApiCall => "api_call",
            Kind::Signature => "signature",
            Kind::FormData => "form_data",
        }
    }
}

/// One event as extracted. In [`Analysis::events`] `node` is the bundle
/// label; [`build`] names nodes by hostname.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UTC; `None` when the line carried no usable time.
    pub time: Option<OffsetDateTime>,
    pub node: String,
    pub kind: Kind,
    pub text: String,
    pub source: Source,
    /// Whose clock dated the event (for skew correction); `None` when unknown.
    pub clock_node: Option<String>,
    /// Swarm node ids the event is about (a drained node, a session's manager).
    pub subject_ids: Vec<String>,
    /// Hostnames the event is about, besides `node`.
    pub subject_nodes: Vec<String>,
    pub service_id: Option<String>,
    pub service: Option<String>,
    pub task: Option<String>,
    /// Task state reached (lower case), for task events.
    pub state: Option<String>,
    /// Engine version, for daemon version events.
    pub version: Option<String>,
    /// Rules whose evidence this line is.
    pub rules: Vec<String>,
    /// Gossip peer address, to pair the same event across nodes.
    pub peer_ip: Option<String>,
    /// Raft (own id, leader id) of raft events.
    pub raft: Option<(String, String)>,
    /// Fields of a `form data:` body.
    pub form: Vec<(String, String)>,
    /// The raw line when its stamp has no year (re-dated by [`redate`]).
    pub raw: Option<String>,
}

impl Default for Event {
    fn default() -> Self {
        Event {
            time: None,
            node: String::new(),
            kind: Kind::default(),
            text: String::new(),
            source: Source::new("", 0),
            clock_node: None,
            subject_ids: Vec::new(),
            subject_nodes: Vec::new(),
            service_id: None,
            service: None,
            task: None,
            state: None,
            version: None,
            rules: Vec::new(),
            peer_ip: None,
            raft: None,
            form: Vec::new(),
            raw: None,
        }
    }
}

/// Re-dates events whose stamp had no year, with their bundle's collection
/// time (`manifest.json` `collected_at`), or else the latest year of the
/// node's dated events. Events of a node with neither lose their time.
pub fn redate(events: &mut [Event], cluster: &Cluster) {
    // Most sets have no year-less line: one look at each event, not two
    // walks through their node names.
    if !events.iter().any(|e| e.raw.is_some()) {
        return;
    }
    let mut years: BTreeMap<String, i32> = BTreeMap::new();
    for e in events.iter().filter(|e| e.raw.is_none()) {
        if let Some(t) = e.time {
            match years.get_mut(&e.node) {
                Some(y) => *y = (*y).max(t.year()),
                None => {
                    years.insert(e.node.clone(), t.year());
                }
            }
        }
    }
    // Each line is parsed again on its own: on every core.
    events.par_iter_mut().for_each(|e| {
        let Some(raw) = e.raw.take() else { return };
        let collected = cluster.bundle(&e.node).and_then(|n| n.collected_at);
        let ctx = match (collected, years.get(&e.node)) {
            (Some(c), _) => LogContext::at(c),
            (None, Some(&year)) => LogContext {
                year,
                collected_at: None,
            },
            (None, None) => {
                e.time = None;
                return;
            }
        };
        e.time = parse_line(&raw, &ctx).and_then(|r| r.time);
    });
}

/// `--since`, `--until`, `--node`, `--service`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Hostnames or bundle labels; empty means all.
    pub nodes: Vec<String>,
    /// Service names or ids; empty means all.
    pub services: Vec<String>,
}

/// The rendered timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool: String,
    /// One per node bundle: its clock as far as the evidence shows.
    pub clocks: Vec<ClockEstimate>,
    pub notes: Vec<TimelineNote>,
    /// Events before filtering (dated ones).
    pub total_events: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TimelineNote {
    /// `clock_skew`, `collection_time`, `undated`, `redated`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub message: String,
}

/// One line of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The time used for ordering: the logged time, corrected by the node's
    /// estimated clock offset when one was applied.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The time as the node recorded it.
    #[serde(with = "time::serde::rfc3339")]
    pub logged_time: OffsetDateTime,
    /// Seconds subtracted from `logged_time` (the node's clock offset), when corrected.
    pub corrected_by_s: Option<f64>,
    pub node: String,
    pub bundle: String,
    pub kind: Kind,
    pub text: String,
    pub subject_nodes: Vec<String>,
    pub service: Option<String>,
    pub task: Option<String>,
    pub version: Option<String>,
    pub rules: Vec<String>,
    pub source: Source,
    #[serde(skip)]
    service_id: Option<String>,
}

/// Builds the timeline of `analysis`, filtered.
pub fn build(analysis: &Analysis, filter: &Filter) -> Timeline {
    build_from(analysis, analysis.events.clone(), filter)
}

/// [`build`] from `events`, the analysis's own taken out of it (no copy of
/// what may be a hundred thousand events).
pub fn build_from(analysis: &Analysis, events: Vec<Event>, filter: &Filter) -> Timeline {
    let cluster = &analysis.cluster;
    // Nodes without a collection time that have log events (before any is
    // merged, resolved or dropped): their year-less lines were re-dated.
    let redated: Vec<&str> = cluster
        .nodes
        .iter()
        .filter(|n| n.collected_at.is_none() && events.iter().any(|e| e.node == n.label))
        .map(|n| n.hostname.as_str())
        .collect();
    let mut events = merge_form_data(events);
    let labels: BTreeMap<String, String> = cluster
        .nodes
        .iter()
        .map(|n| (n.label.clone(), n.hostname.clone()))
        .collect();
    let raft_names = raft_names(&events, &labels);
    for e in &mut events {
        resolve(e, cluster, &labels, &raft_names);
    }
    events.extend(engine_upgrades(&events));
    events.extend(task_history(cluster, &events));
    events.extend(node_status(cluster, &events));
    add_signatures(&mut events, &analysis.findings, cluster, &labels);

    let mut notes = Vec::new();
    let undated = events.iter().filter(|e| e.time.is_none()).count();
    if undated > 0 {
        notes.push(TimelineNote {
            kind: "undated",
            node: None,
            message: format!("{undated} event(s) had no usable time and are not shown"),
        });
    }
    for host in redated {
        notes.push(TimelineNote {
            kind: "redated",
            node: Some(host.to_string()),
            message: "no manifest.json collected_at: lines without a year (short syslog \
                      stamps) take the year of this node's other lines, or are left out"
                .into(),
        });
    }
    events.retain(|e| e.time.is_some());
    dedup(&mut events);

    let clocks = skew::estimate(&events, cluster);
    notes.extend(skew::notes(&clocks));
    let offsets: BTreeMap<&str, f64> = clocks
        .iter()
        .filter(|c| c.applied)
        .filter_map(|c| c.offset_s.map(|o| (c.node.as_str(), o)))
        .collect();

    let host_to_label: BTreeMap<&str, &str> = cluster
        .nodes
        .iter()
        .map(|n| (n.hostname.as_str(), n.label.as_str()))
        .collect();
    let total_events = events.len();
    let mut entries: Vec<Entry> = events
        .into_iter()
        .filter_map(|e| {
            let logged = e.time?;
            let offset = e
                .clock_node
                .as_deref()
                .and_then(|n| offsets.get(n).copied());
            let time = match offset {
                Some(o) => Duration::checked_seconds_f64(o)
                    .and_then(|d| logged.checked_sub(d))
                    .unwrap_or(logged),
                None => logged,
            };
            let bundle = e
                .source
                .file
                .split('/')
                .next()
                .filter(|l| labels.contains_key(*l))
                .or_else(|| host_to_label.get(e.node.as_str()).copied())
                .unwrap_or("")
                .to_string();
            Some(Entry {
                time,
                logged_time: logged,
                corrected_by_s: offset,
                node: e.node,
                bundle,
                kind: e.kind,
                text: e.text,
                subject_nodes: e.subject_nodes,
                service: e.service,
                task: e.task,
                version: e.version,
                rules: e.rules,
                source: e.source,
                service_id: e.service_id,
            })
        })
        .filter(|en| keep(en, filter))
        .collect();
    entries.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.node.cmp(&b.node))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.text.cmp(&b.text))
    });
    notes.sort();
    Timeline {
        schema: "swarmdiag-timeline",
        schema_version: TIMELINE_SCHEMA_VERSION,
        tool: format!("swarmdiag {}", env!("CARGO_PKG_VERSION")),
        clocks,
        notes,
        total_events,
        entries,
    }
}

fn keep(e: &Entry, f: &Filter) -> bool {
    if f.since.is_some_and(|s| e.time < s) || f.until.is_some_and(|u| e.time > u) {
        return false;
    }
    if !f.nodes.is_empty()
        && !f
            .nodes
            .iter()
            .any(|n| *n == e.node || *n == e.bundle || e.subject_nodes.iter().any(|s| s == n))
    {
        return false;
    }
    if !f.services.is_empty()
        && !f.services.iter().any(|s| {
            e.service.as_deref() == Some(s.as_str())
                || e.service_id
                    .as_deref()
                    .is_some_and(|id| id == s || (s.len() >= 6 && id.starts_with(s.as_str())))
        })
    {
        return false;
    }
    true
}

/// Folds each debug `form data:` body into the API call logged just before
/// it in the same file, and drops bodies that follow no kept call.
fn merge_form_data(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by(|a, b| a.source.cmp(&b.source));
    // In place: events are big, and there may be a hundred thousand.
    let mut prev: Option<usize> = None;
    for i in 0..events.len() {
        if events[i].kind != Kind::FormData {
            prev = Some(i);
            continue;
        }
        let Some(p) = prev else { continue };
        let (before, rest) = events.split_at_mut(i);
        let (prev, e) = (&mut before[p], &mut rest[0]);
        let close = prev.source.file == e.source.file
            && e.source.line > prev.source.line
            && e.source.line - prev.source.line <= 3;
        let call = matches!(
            prev.kind,
            Kind::NodeUpdate | Kind::ApiCall | Kind::SwarmInit | Kind::SwarmJoin
        );
        if close && call && prev.form.is_empty() {
            prev.form = std::mem::take(&mut e.form);
        }
    }
    events.retain(|e| e.kind != Kind::FormData);
    events
}

/// Raft member id → hostname, learned from each manager's own raft lines.
fn raft_names(events: &[Event], labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for e in events {
        if let Some((me, _)) = &e.raft {
            let host = labels.get(&e.node).unwrap_or(&e.node);
            names.entry(me.clone()).or_insert_with(|| host.clone());
        }
    }
    names
}

/// Names nodes, services and raft members, and words API calls with their body.
fn resolve(
    e: &mut Event,
    cluster: &Cluster,
    labels: &BTreeMap<String, String>,
    raft: &BTreeMap<String, String>,
) {
    if let Some(h) = labels.get(&e.node) {
        e.node = h.clone();
    }
    if let Some(c) = &e.clock_node {
        if let Some(h) = labels.get(c) {
            e.clock_node = Some(h.clone());
        }
    }
    for id in &e.subject_ids {
        let name = cluster.hostname_of(id).unwrap_or(id).to_string();
        if !e.subject_nodes.contains(&name) {
            e.subject_nodes.push(name);
        }
    }
    if let Some(id) = &e.service_id {
        e.service = Some(
            cluster
                .service(id)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| id.clone()),
        );
    }
    if let (Some((_, leader)), Kind::RaftElected | Kind::RaftLostLeader) = (&e.raft, e.kind) {
        if let Some(h) = raft.get(leader) {
            e.text = format!("{} ({h})", e.text);
        }
    }
    match e.kind {
        Kind::NodeUpdate => {
            let target = e.subject_nodes.first().cloned().unwrap_or_default();
            let set: Vec<String> = e
                .form
                .iter()
                .filter(|(k, _)| k != "name")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            e.text = if set.is_empty() {
                format!("API: update node {target}")
            } else {
                format!("API: update node {target}: {}", set.join(" "))
            };
        }
        Kind::AgentSession => {
            if let Some(h) = e.subject_nodes.first() {
                e.text = format!("agent: session with manager {h}");
            }
        }
        Kind::ApiCall | Kind::SwarmInit | Kind::SwarmJoin => {
            if let Some((_, name)) = e.form.iter().find(|(k, _)| k == "name") {
                e.text = format!("{} {name}", e.text);
                if e.text.contains("service") && e.service.is_none() {
                    e.service = Some(name.clone());
                }
            }
        }
        Kind::TaskState | Kind::TaskError => {
            if let Some(s) = &e.service {
                e.text = format!("{} ({s})", e.text);
            }
        }
        _ => {}
    }
}

/// A daemon that starts with another version than it last started with.
fn engine_upgrades(events: &[Event]) -> Vec<Event> {
    let mut starts: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == Kind::DaemonVersion && e.version.is_some() && e.time.is_some())
        .collect();
    starts.sort_by(|a, b| (&a.node, a.time).cmp(&(&b.node, b.time)));
    let mut out = Vec::new();
    for pair in starts.windows(2) {
        let [a, b] = pair else { continue };
        if a.node == b.node && a.version != b.version {
            out.push(Event {
                kind: Kind::EngineUpgrade,
                text: format!(
                    "engine changed {} → {}",
                    a.version.as_deref().unwrap_or("?"),
                    b.version.as_deref().unwrap_or("?")
                ),
                version: b.version.clone(),
                rules: Vec::new(),
                ..(*b).clone()
            });
        }
    }
    out
}

/// The task history of the freshest manager: each task's last state, dated
/// by its agent (`Status.Timestamp`), unless a log line shows that same
/// state of that task (or, for a failed or rejected task, its error).
fn task_history(cluster: &Cluster, events: &[Event]) -> Vec<Event> {
    let mut logged: BTreeSet<(&str, &str)> = events
        .iter()
        .filter(|e| e.kind == Kind::TaskState)
        .filter_map(|e| Some((e.task.as_deref()?, e.state.as_deref()?)))
        .collect();
    for e in events.iter().filter(|e| e.kind == Kind::TaskError) {
        if let Some(t) = e.task.as_deref() {
            logged.insert((t, "failed"));
            logged.insert((t, "rejected"));
        }
    }
    let file = cluster.cluster_file("swarm/tasks.json");
    let mut out = Vec::new();
    for t in &cluster.tasks {
        if t.timestamp.is_none() || logged.contains(&(t.id.as_str(), t.state.as_str())) {
            continue;
        }
        let host = cluster
            .hostname_of(&t.node_id)
            .map(str::to_string)
            .unwrap_or_else(|| {
                if t.node_id.is_empty() {
                    "cluster".to_string()
                } else {
                    t.node_id.clone()
                }
            });
        let service = cluster
            .service(&t.service_id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| t.service_id.clone());
        let mut text = format!(
            "task {} ({service}) {} (desired {})",
            events::short(&t.id),
            t.state,
            t.desired_state
        );
        if !t.err.is_empty() {
            text.push_str(": ");
            text.push_str(&t.err);
        }
        out.push(Event {
            time: t.timestamp,
            node: host.clone(),
            kind: if t.err.is_empty() {
                Kind::TaskState
            } else {
                Kind::TaskError
            },
            text,
            source: Source::new(file.clone(), t.line),
            clock_node: (!t.node_id.is_empty()).then_some(host),
            service_id: Some(t.service_id.clone()),
            service: Some(service),
            task: Some(t.id.clone()),
            state: Some(t.state.clone()),
            ..Event::default()
        });
    }
    out
}

/// Each node object's last update (`UpdatedAt`, leader's clock) with the
/// state it left, unless an API call logged that update within 5 s.
fn node_status(cluster: &Cluster, events: &[Event]) -> Vec<Event> {
    let file = cluster.cluster_file("swarm/nodes.json");
    let mut out = Vec::new();
    // One pass over what may be 100,000 events, not one per node.
    let updates: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == Kind::NodeUpdate)
        .collect();
    for n in &cluster.swarm_nodes {
        let Some(t) = n.updated_at else { continue };
        let logged = updates.iter().any(|e| {
            e.subject_ids.contains(&n.id)
                && e.time
                    .is_some_and(|et| (et - t).abs() <= Duration::seconds(5))
        });
        if logged {
            continue;
        }
        let message = if n.status_message.is_empty() {
            String::new()
        } else {
            format!(": {}", n.status_message)
        };
        let text = format!(
            "node object {} last updated (at collection: {} {}, availability {}, state {}{message})",
            n.hostname, n.role, n.engine_version, n.availability, n.state
        );
        out.push(Event {
            time: Some(t),
            node: n.hostname.clone(),
            kind: Kind::NodeStatus,
            text,
            source: Source::new(file.clone(), n.line),
            ..Event::default()
        });
    }
    out
}

/// Marks log lines that are findings' evidence with the rule id, adds the
/// evidence lines not yet on the timeline, and first/last seen of dated
/// findings when no evidence line shows them.
fn add_signatures(
    events: &mut Vec<Event>,
    findings: &[Finding],
    cluster: &Cluster,
    labels: &BTreeMap<String, String>,
) {
    // The last event at each log line some finding quotes (only those are
    // looked up: no key is built for each of maybe 100,000 events).
    let mut at: BTreeMap<(String, usize), usize> = BTreeMap::new();
    // (line, file): lines tell most events apart without a text compare.
    let quoted: BTreeSet<(usize, &str)> = findings
        .iter()
        .flat_map(|f| &f.evidence)
        .filter(|ev| ev.file.ends_with(".log"))
        .map(|ev| (ev.line, ev.file.as_str()))
        .collect();
    for (i, e) in events.iter().enumerate() {
        if quoted.contains(&(e.source.line, e.source.file.as_str())) {
            at.insert((e.source.file.clone(), e.source.line), i);
        }
    }
    let tasks_file = cluster.cluster_file("swarm/tasks.json");
    // The first task at each tasks.json line, and the task error events of
    // each task (only signature events are added below, so these stay put).
    let mut task_at: BTreeMap<usize, &str> = BTreeMap::new();
    for t in &cluster.tasks {
        task_at.entry(t.line).or_insert(t.id.as_str());
    }
    let mut task_errors: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if let (Kind::TaskError, Some(task)) = (e.kind, e.task.as_deref()) {
            task_errors.entry(task.to_string()).or_default().push(i);
        }
    }
    for f in findings {
        let mut times: BTreeSet<OffsetDateTime> = BTreeSet::new();
        // Task evidence (a tasks.json line) tags that task's error events.
        for ev in f.evidence.iter().filter(|e| e.file == tasks_file) {
            let Some(&task) = task_at.get(&ev.line) else {
                continue;
            };
            for &i in task_errors.get(task).into_iter().flatten() {
                let e = &mut events[i];
                if !e.rules.contains(&f.id) {
                    e.rules.push(f.id.clone());
                }
            }
        }
        for ev in f.evidence.iter().filter(|e| e.file.ends_with(".log")) {
            let key = (ev.file.clone(), ev.line);
            if let Some(&i) = at.get(&key) {
                if let Some(e) = events.get_mut(i) {
                    if !e.rules.contains(&f.id) {
                        e.rules.push(f.id.clone());
                    }
                    times.extend(e.time);
                }
                continue;
            }
            let label = ev.file.split('/').next().unwrap_or("");
            let ctx = cluster
                .bundle(label)
                .and_then(|n| n.collected_at)
                .map(LogContext::at);
            let rec = ctx.and_then(|c| parse_line(&ev.text, &c)).or_else(|| {
                // No collection time: only lines with a full date are usable.
                parse_line(
                    &ev.text,
                    &LogContext {
                        year: 1970,
                        collected_at: None,
                    },
                )
                .filter(|r| r.time.is_some_and(|t| t.year() > 1970))
            });
            let Some(rec) = rec else { continue };
            let host = labels.get(label).cloned().unwrap_or_else(|| label.into());
            let mut e = Event {
                time: rec.time,
                node: host.clone(),
                kind: Kind::Signature,
                text: format!("{} {}: {}", f.id, f.title, events::cut(&rec.msg, 160)),
                source: Source::new(ev.file.clone(), ev.line),
                clock_node: Some(host),
                rules: vec![f.id.clone()],
                ..Event::default()
            };
            if let Some(sid) = rec.field("service.id") {
                e.service_id = Some(sid.to_string());
                e.service = cluster.service(sid).map(|s| s.name.clone());
            }
            times.extend(e.time);
            at.insert(key, events.len());
            events.push(e);
        }
        for (which, t) in [("first", f.first_seen), ("last", f.last_seen)] {
            let Some(t) = t else { continue };
            // Shown already: a line tagged with the rule, or the task event
            // the finding was dated by, within a second.
            let near = |e: &Event| e.time.is_some_and(|et| (et - t).abs() <= Duration::SECOND);
            let shown = times.contains(&t)
                || events.iter().any(|e| {
                    near(e)
                        && (e.rules.contains(&f.id)
                            || (matches!(e.kind, Kind::TaskState | Kind::TaskError)
                                && (f.nodes.contains(&e.node) || f.nodes.is_empty())))
                });
            if shown {
                continue;
            }
            times.insert(t);
            let nodes: Vec<String> = f.nodes.iter().cloned().collect();
            let single = (nodes.len() == 1).then(|| nodes.first().cloned()).flatten();
            let service = f
                .subject
                .as_ref()
                .filter(|s| cluster.services.iter().any(|x| &x.name == *s))
                .cloned();
            events.push(Event {
                time: Some(t),
                node: single.clone().unwrap_or_else(|| "cluster".into()),
                kind: Kind::Signature,
                text: format!(
                    "{} {} ({which} seen; {} occurrence(s) on {})",
                    f.id,
                    f.title,
                    f.count,
                    if nodes.is_empty() {
                        "the cluster".to_string()
                    } else {
                        nodes.join(", ")
                    }
                ),
                clock_node: single,
                subject_nodes: if nodes.len() > 1 { nodes } else { Vec::new() },
                service_id: service.clone(),
                service,
                rules: vec![f.id.clone()],
                ..Event::default()
            });
        }
    }
}

/// Drops repeats of the same event (overlapping bundles of one node).
fn dedup(events: &mut Vec<Event>) {
    // Which to keep first, by borrowed keys: no copy of each event's texts.
    let mut seen: HashSet<(Option<OffsetDateTime>, Kind, &str, &str)> =
        HashSet::with_capacity(events.len());
    let keep: Vec<bool> = events
        .iter()
        .map(|e| seen.insert((e.time, e.kind, e.node.as_str(), e.text.as_str())))
        .collect();
    drop(seen);
    let mut keep = keep.into_iter();
    events.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests;
