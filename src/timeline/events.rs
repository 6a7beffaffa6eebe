//! Timeline events from daemon and kernel log records: one pure function per
//! line ([`from_log`]), plus the per-input [`Collector`] that bounds them and
//! turns journalctl boot markers into reboot events.
//!
//! ```text
//! … dockerd[18936]: time="2019-01-15T21:01:40.505834199Z" level=info msg="Starting up"
//! … dockerd[18936]: time="…" level=info msg="Docker daemon" commit=4c52b90 graphdriver(s)=overlay2 version=18.09.1
//! … dockerd[6830]: time="…" level=debug msg="Calling POST /v1.30/nodes/t7felwp30mvi4n910z2y3u1cu/update?version=103"
//! … dockerd[6830]: time="…" level=debug msg="form data: {\"Availability\":\"drain\",\"Labels\":{},\"Role\":\"manager\"}"
//! … dockerd[22058]: time="…" level=info msg="raft.node: 5759102b85455e66 lost leader 94a0043a8e44922f at term 3" module=raft
//! … dockerd[30552]: time="…" level=info msg="Node leave event for tk1706-ubuntu-0-6c8c32ab168b/172.31.18.74"
//! … dockerd[18936]: time="…" level=error msg="fatal task error" error="node is missing network attachments, …" task.id=…
//! -- Reboot --
//! ```

use super::{Event, Kind};
use crate::bundle::{LogLine, Note};
use crate::parse::log::LogRecord;
use crate::source::Source;

/// Events kept per input; past it they are counted and a note says so.
pub const MAX_EVENTS_PER_INPUT: usize = 100_000;

/// Texts one of which every line that gives an event (or a boot marker)
/// holds, as read: a log scan parses only lines holding a needle of some
/// kind. Kept next to the searches below; a test holds them to it.
pub const NEEDLES: &[&str] = &[
    // daemon_event
    "Starting up",
    "Docker daemon",
    "Daemon has completed initialization",
    "Daemon shutdown complete",
    "state changed",
    "fatal task error",
    "agent: session failed",
    // prefixed_event (api_call keeps only POST and DELETE)
    "API listen on ",
    "Processing signal '",
    "Calling POST ",
    "Calling DELETE ",
    "form data: ",
    "Listening for connections",
    "Initializing Libnetwork Agent",
    "manager selected by agent for new session: ",
    "heartbeat to manager",
    // raft_event
    "became leader at term",
    "elected leader",
    "lost leader",
    // gossip_event and node_down_event
    "Node join event for ",
    "Node leave event for ",
    "heartbeat expiration for ",
    "dispatcher session dropped, marking node ",
    "moving tasks to orphaned state for node: ",
    // unit_event
    "Docker Application Container Engine",
    "docker.service",
    "docker.socket",
    // kernel_event
    "Linux version ",
    // is_boot_marker
    "-- Reboot --",
    "-- Boot ",
];

/// The timeline event of one log record, if it is one the timeline shows.
/// `node` is the bundle label, `file` the node-qualified path, `raw` the line
/// as read (kept only when its stamp has no year, so it can be re-dated once
/// the bundle's collection time is known).
pub fn from_log(node: &str, file: &str, line: usize, raw: &str, rec: &LogRecord) -> Option<Event> {
    let msg = rec.msg.as_str();
    let program = rec.program.as_deref().unwrap_or("");
    let mut ev = if program == "systemd" || program.starts_with("systemd[") {
        unit_event(msg)?
    } else if program == "kernel" || file.ends_with("logs/kernel.log") {
        kernel_event(msg)?
    } else {
        daemon_event(msg, rec)?
    };
    ev.node = node.to_string();
    ev.clock_node = Some(node.to_string());
    ev.time = rec.time;
    ev.source = Source::new(file, line);
    if yearless(raw, rec) {
        ev.raw = Some(raw.to_string());
    }
    Some(ev)
}

/// True when the record's time comes from a short syslog stamp (`Jan 15
/// 21:00:02`), which has no year.
fn yearless(raw: &str, rec: &LogRecord) -> bool {
    let t = raw.trim_start_matches('\u{feff}').trim_start();
    rec.time.is_some()
        && rec.time == rec.transport_time
        && t.chars().next().is_some_and(|c| c.is_alphabetic())
}

fn event(kind: Kind, text: impl Into<String>) -> Event {
    Event {
        kind,
        text: text.into(),
        ..Event::default()
    }
}

/// systemd's lines about the docker unit.
fn unit_event(msg: &str) -> Option<Event> {
    let about_docker = msg.contains("Docker Application Container Engine")
        || msg.contains("docker.service")
        || msg.contains("docker.socket");
    let interesting = ["Starting ", "Started ", "Stopping ", "Stopped ", "Failed "]
        .iter()
        .any(|p| msg.starts_with(p))
        || msg.contains("Main process exited")
        || msg.contains("Failed with result")
        || msg.contains("Scheduled restart job");
    (about_docker && interesting).then(|| event(Kind::ServiceUnit, format!("systemd: {msg}")))
}

/// `journalctl -k` holds the current boot only: its `Linux version` line
/// dates the last boot.
fn kernel_event(msg: &str) -> Option<Event> {
    msg.starts_with("Linux version ")
        .then(|| event(Kind::HostBoot, format!("kernel booted: {}", cut(msg, 100))))
}

fn daemon_event(msg: &str, rec: &LogRecord) -> Option<Event> {
    let field = |k: &str| rec.field(k).unwrap_or("");
    let ev = match msg {
        "Starting up" => event(Kind::DaemonStart, "dockerd starting up"),
        "Docker daemon" => {
            let version = field("version");
            let mut e = event(
                Kind::DaemonVersion,
                format!("dockerd {version} (commit {})", field("commit")),
            );
            e.version = Some(version.to_string()).filter(|v| !v.is_empty());
            e
        }
        "Daemon has completed initialization" => {
            event(Kind::DaemonReady, "dockerd completed initialization")
        }
        "Daemon shutdown complete" => event(Kind::DaemonStopped, "dockerd shutdown complete"),
        "state changed" => {
            let transition = field("state.transition");
            if transition.is_empty() {
                return None;
            }
            let (from, to) = transition.split_once("->").unwrap_or(("", transition));
            let mut e = event(
                Kind::TaskState,
                format!("task {} {} → {}", short(field("task.id")), from, to),
            );
            e.state = Some(to.to_ascii_lowercase());
            task_fields(&mut e, rec);
            e
        }
        "fatal task error" => {
            let mut e = event(
                Kind::TaskError,
                format!(
                    "task {} fatal task error: {}",
                    short(field("task.id")),
                    field("error")
                ),
            );
            task_fields(&mut e, rec);
            e
        }
        "agent: session failed" => event(
            Kind::AgentSessionFailed,
            format!("agent: session with manager failed: {}", field("error")),
        ),
        _ => return prefixed_event(msg, rec),
    };
    Some(ev)
}

/// Events recognised by a message prefix or substring.
fn prefixed_event(msg: &str, rec: &LogRecord) -> Option<Event> {
    if let Some(rest) = msg.strip_prefix("API listen on ") {
        return Some(event(Kind::ApiListen, format!("API listen on {rest}")));
    }
    if msg.starts_with("Processing signal '") {
        return Some(event(Kind::DaemonStopping, format!("dockerd: {msg}")));
    }
    if let Some(rest) = msg.strip_prefix("Calling ") {
        return api_call(rest);
    }
    if let Some(rest) = msg.strip_prefix("form data: ") {
        let mut e = event(Kind::FormData, "");
        e.form = form_fields(rest);
        return (!e.form.is_empty()).then_some(e);
    }
    if msg == "Listening for connections" && rec.field("module") == Some("node") {
        return Some(event(
            Kind::ManagerStart,
            format!(
                "swarm manager listening on {}",
                rec.field("addr").unwrap_or("")
            ),
        ));
    }
    if msg.starts_with("Initializing Libnetwork Agent") {
        return Some(event(Kind::AgentStart, "libnetwork agent (gossip) started"));
    }
    if let Some(rest) = msg.strip_prefix("manager selected by agent for new session: ") {
        // `{<node id> <addr>}` (Go's %v of a Peer): the id is empty when the
        // agent dialled an address (`{ 198.18.0.11:2377}`), both are empty
        // for the node's own manager (`{ }`), as real lab daemons log.
        let inner = rest.trim_matches(|c| c == '{' || c == '}');
        let (id, addr) = inner.split_once(' ').unwrap_or((inner, ""));
        let (id, addr) = (id.trim(), addr.trim());
        let text = match (id.is_empty(), addr.is_empty()) {
            (false, _) => format!("agent: session with manager {id} {addr}"),
            (true, false) => format!("agent: session with manager at {addr}"),
            (true, true) => "agent: session with the local manager".to_string(),
        };
        let mut e = event(Kind::AgentSession, text.trim_end().to_string());
        if !id.is_empty() {
            e.subject_ids.push(id.to_string());
        }
        return Some(e);
    }
    if msg.starts_with("heartbeat to manager") && msg.contains("failed") {
        return Some(event(Kind::AgentSessionFailed, format!("agent: {msg}")));
    }
    if let Some(e) = raft_event(msg) {
        return Some(e);
    }
    // One scan for every needle of the two searches below, so that most
    // messages (which hold none) pay for one pass instead of six.
    if !LAST_NEEDLES.is_match(msg) {
        return None;
    }
    if let Some(e) = gossip_event(msg) {
        return Some(e);
    }
    node_down_event(msg)
}

/// The texts `gossip_event` and `node_down_event` look for.
static LAST_NEEDLES: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        let mut needles = vec![GOSSIP_NEEDLES[0].0, GOSSIP_NEEDLES[1].0];
        needles.extend_from_slice(NODE_DOWN_NEEDLES);
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(needles)
            .expect("literal needles")
    });

const GOSSIP_NEEDLES: [(&str, Kind, &str); 2] = [
    ("Node join event for ", Kind::GossipJoin, "joined"),
    ("Node leave event for ", Kind::GossipLeave, "left"),
];

const NODE_DOWN_NEEDLES: &[&str] = &[
    "heartbeat expiration for worker ",
    "heartbeat expiration for node ",
    "dispatcher session dropped, marking node ",
    "moving tasks to orphaned state for node: ",
];

/// `Calling POST /v1.30/nodes/<id>/update?version=103` and friends: the
/// write calls that change the swarm (reads are left out).
fn api_call(rest: &str) -> Option<Event> {
    let (method, path) = rest.split_once(' ')?;
    if method == "GET" || method == "HEAD" {
        return None;
    }
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .skip_while(|s| {
            s.strip_prefix('v')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    let (kind, text, id) = match (method, segs.as_slice()) {
        ("POST", ["swarm", op]) => (
            match *op {
                "init" => Kind::SwarmInit,
                "join" => Kind::SwarmJoin,
                "leave" => Kind::SwarmLeave,
                _ => Kind::ApiCall,
            },
            format!("API: swarm {op}"),
            None,
        ),
        ("POST", ["nodes", id, "update"]) => (
            Kind::NodeUpdate,
            format!("API: update node {id}"),
            Some(*id),
        ),
        ("DELETE", ["nodes", id]) => (Kind::ApiCall, format!("API: remove node {id}"), Some(*id)),
        ("POST", ["services", "create"]) => (Kind::ApiCall, "API: create service".into(), None),
        ("POST", ["services", id, "update"]) => {
            (Kind::ApiCall, format!("API: update service {id}"), None)
        }
        ("DELETE", ["services", id]) => (Kind::ApiCall, format!("API: remove service {id}"), None),
        ("POST", ["networks", "create"]) => (Kind::ApiCall, "API: create network".into(), None),
        ("DELETE", ["networks", id]) => (Kind::ApiCall, format!("API: remove network {id}"), None),
        _ => return None,
    };
    let mut e = event(kind, text);
    if let Some(id) = id {
        e.subject_ids.push(id.to_string());
    }
    if segs.first() == Some(&"services") {
        if let Some(id) = segs.get(1).filter(|s| **s != "create") {
            e.service_id = Some(id.to_string());
        }
    }
    Some(e)
}

/// The fields of a `form data:` body worth showing: what a node update sets,
/// and the name of what is created.
fn form_fields(body: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    ["Availability", "Role", "Name"]
        .iter()
        .filter_map(|k| match map.get(*k) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => {
                Some((k.to_ascii_lowercase(), s.clone()))
            }
            _ => None,
        })
        .collect()
}

/// etcd raft lines (RAFT-03's texts): who leads, from each manager's view.
fn raft_event(msg: &str) -> Option<Event> {
    let words: Vec<&str> = msg.split_whitespace().collect();
    let term = words
        .iter()
        .position(|w| *w == "term")
        .and_then(|i| words.get(i + 1))
        .copied()
        .unwrap_or("?");
    match words.as_slice() {
        [me, "became", "leader", "at", "term", ..] => {
            let mut e = event(
                Kind::RaftLeader,
                format!("raft: became leader at term {term}"),
            );
            e.raft = Some((me.to_string(), me.to_string()));
            Some(e)
        }
        ["raft.node:", me, "elected", "leader", leader, ..] => {
            let mut e = event(
                Kind::RaftElected,
                format!("raft: leader is {leader} at term {term}"),
            );
            e.raft = Some((me.to_string(), leader.to_string()));
            Some(e)
        }
        ["raft.node:", me, "lost", "leader", leader, ..] => {
            let mut e = event(
                Kind::RaftLostLeader,
                format!("raft: lost leader {leader} at term {term}"),
            );
            e.raft = Some((me.to_string(), leader.to_string()));
            Some(e)
        }
        _ => None,
    }
}

/// `Node join event for <name>/<ip>` (17.06) and
/// `<host>(<id>): Node leave event for <name>/<ip>` (18.09+): this node's
/// gossip view of a peer. The peer IP pairs the same event across nodes.
fn gossip_event(msg: &str) -> Option<Event> {
    for (needle, kind, verb) in GOSSIP_NEEDLES {
        if let Some(p) = msg.find(needle) {
            let peer = msg.get(p + needle.len()..)?.trim();
            let ip = peer.rsplit_once('/').map(|(_, ip)| ip).unwrap_or("");
            let mut e = event(kind, format!("gossip: peer {peer} {verb}"));
            e.peer_ip = Some(ip.to_string()).filter(|s| !s.is_empty());
            return Some(e);
        }
    }
    None
}

/// The dispatcher on a manager marking a node down (NODE-02's texts).
fn node_down_event(msg: &str) -> Option<Event> {
    for n in NODE_DOWN_NEEDLES {
        if let Some(p) = msg.find(n) {
            let id = msg
                .get(p + n.len()..)
                .and_then(|r| r.split(|c: char| c.is_whitespace() || c == ',').next())
                .unwrap_or("");
            let mut e = event(Kind::NodeDown, format!("dispatcher: {msg}"));
            if !id.is_empty() {
                e.subject_ids.push(id.to_string());
            }
            return Some(e);
        }
    }
    None
}

fn task_fields(e: &mut Event, rec: &LogRecord) {
    e.task = rec.field("task.id").map(str::to_string);
    e.service_id = rec.field("service.id").map(str::to_string);
}

/// The 12-character form `docker service ps` shows.
pub(super) fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

pub(super) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_string(),
    }
}

/// `-- Reboot --` (old journalctl) and `-- Boot <id> --` (systemd 255+)
/// separate boots in `journalctl -u docker`.
pub fn is_boot_marker(text: &str) -> bool {
    let t = text.trim();
    t == "-- Reboot --" || (t.starts_with("-- Boot ") && t.ends_with(" --"))
}

/// Per-input event collection for `LogScan`: bounded, with reboot markers
/// dated by the first line after them.
#[derive(Debug)]
pub struct Collector {
    events: Vec<Event>,
    dropped: u64,
    /// A boot marker seen, per (node, file), waiting for the next dated line.
    pending_boot: Vec<(String, String, usize)>,
    /// Lines are looked at (false: a report without a timeline; nothing
    /// is collected).
    on: bool,
}

impl Default for Collector {
    fn default() -> Collector {
        Collector::new(true)
    }
}

impl Collector {
    /// A collector, taking in lines only when `on`.
    pub fn new(on: bool) -> Collector {
        Collector {
            events: Vec::new(),
            dropped: 0,
            pending_boot: Vec::new(),
            on,
        }
    }

    /// Takes in the events another collector gathered (a parallel log worker's).
    pub fn absorb(&mut self, other: Collector) {
        let mut events = other.events;
        let room = MAX_EVENTS_PER_INPUT.saturating_sub(self.events.len());
        self.dropped += other.dropped + events.len().saturating_sub(room) as u64;
        events.truncate(room);
        if self.events.is_empty() {
            self.events = events;
        } else {
            self.events.extend(events);
        }
        self.pending_boot.extend(other.pending_boot);
    }

    /// A line that carried no record: remembers a boot marker.
    pub fn marker(&mut self, l: &LogLine<'_>) {
        if self.on && l.path == "logs/dockerd.log" && is_boot_marker(l.text) {
            let file = format!("{}/{}", l.node, l.path);
            self.pending_boot.push((l.node.to_string(), file, l.line));
        }
    }

    /// A parsed daemon or kernel record.
    pub fn line(&mut self, l: &LogLine<'_>, file: &str, rec: &LogRecord) {
        if !self.on {
            return;
        }
        self.date_boot(l, file, rec);
        if let Some(e) = from_log(l.node, file, l.line, l.text, rec) {
            self.push(e);
        }
    }

    /// Whether a boot marker of `file` waits for the next dated line.
    pub fn boot_pending(&self, file: &str) -> bool {
        self.pending_boot.iter().any(|(_, f, _)| f == file)
    }

    /// Dates a boot marker of the same file left pending, with `rec`'s time.
    pub fn date_boot(&mut self, l: &LogLine<'_>, file: &str, rec: &LogRecord) {
        if rec.time.is_some() {
            if let Some(i) = self
                .pending_boot
                .iter()
                .position(|(n, f, _)| n == l.node && f == file)
            {
                let (node, file, line) = self.pending_boot.swap_remove(i);
                let mut e = event(Kind::HostBoot, "host rebooted (journal boot marker)");
                e.time = rec.time;
                e.clock_node = Some(node.clone());
                e.node = node;
                e.source = Source::new(file, line);
                if yearless(l.text, rec) {
                    e.raw = Some(l.text.to_string());
                }
                self.push(e);
            }
        }
    }

    fn push(&mut self, e: Event) {
        if self.events.len() < MAX_EVENTS_PER_INPUT {
            self.events.push(e);
        } else {
            self.dropped += 1;
        }
    }

    /// The events, and a note when the cap dropped some.
    pub fn finish(self, notes: &mut Vec<Note>) -> Vec<Event> {
        if self.dropped > 0 {
            let path = self
                .events
                .last()
                .map(|e| e.source.file.clone())
                .unwrap_or_default();
            notes.push(Note {
                path,
                message: format!(
                    "timeline: kept the first {MAX_EVENTS_PER_INPUT} events of this input, dropped {} later ones",
                    self.dropped
                ),
            });
        }
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::log::{parse_line, LogContext};
    use time::macros::datetime;

    fn ev(line: &str) -> Option<Event> {
        let ctx = LogContext::at(datetime!(2019-01-15 21:11:00 UTC));
        let rec = parse_line(line, &ctx)?;
        from_log("n0", "n0/logs/dockerd.log", 7, line, &rec)
    }

    #[test]
    fn daemon_lifecycle_lines() {
        let e = ev(r#"2019-01-15T21:01:40.506018+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:01:40.505834199Z" level=info msg="Starting up""#).unwrap();
        assert_eq!(e.kind, Kind::DaemonStart);
        assert_eq!(e.time, Some(datetime!(2019-01-15 21:01:40.505834199 UTC)));
        assert_eq!(e.source, Source::new("n0/logs/dockerd.log", 7));
        assert!(e.raw.is_none());

        let e = ev(r#"2019-01-15T21:01:40.773305+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:01:40.772990929Z" level=info msg="Docker daemon" commit=4c52b90 graphdriver(s)=overlay2 version=18.09.1"#).unwrap();
        assert_eq!(e.kind, Kind::DaemonVersion);
        assert_eq!(e.version.as_deref(), Some("18.09.1"));

        let e = ev(r#"2019-01-15T21:00:02.118977+0000 tk1706-ubuntu-0 dockerd[6830]: time="2019-01-15T21:00:02.118753453Z" level=info msg="Processing signal 'terminated'""#).unwrap();
        assert_eq!(e.kind, Kind::DaemonStopping);
        let e = ev(r#"2019-01-15T21:00:02.633697+0000 tk1706-ubuntu-0 systemd[1]: Stopped Docker Application Container Engine."#).unwrap();
        assert_eq!(e.kind, Kind::ServiceUnit);
        assert!(ev(
            "2019-01-15T21:00:02.633697+0000 h systemd[1]: Started Session 5 of user root."
        )
        .is_none());
        assert!(
            ev(r#"time="2019-01-15T21:01:40.5Z" level=info msg="Loading containers: start.""#)
                .is_none()
        );
    }

    #[test]
    fn api_calls_and_form_data() {
        let e = ev(r#"time="2019-01-15T20:58:10.436256192Z" level=debug msg="Calling POST /v1.30/nodes/t7felwp30mvi4n910z2y3u1cu/update?version=103""#).unwrap();
        assert_eq!(e.kind, Kind::NodeUpdate);
        assert_eq!(e.subject_ids, ["t7felwp30mvi4n910z2y3u1cu"]);
        let e = ev(r#"time="2019-01-15T20:58:10.437312485Z" level=debug msg="form data: {\"Availability\":\"drain\",\"Labels\":{},\"Role\":\"manager\"}""#).unwrap();
        assert_eq!(e.kind, Kind::FormData);
        assert_eq!(
            e.form,
            [
                ("availability".to_string(), "drain".to_string()),
                ("role".to_string(), "manager".to_string())
            ]
        );
        assert!(
            ev(r#"time="2019-01-15T20:58:10.4Z" level=debug msg="Calling GET /v1.30/nodes""#)
                .is_none()
        );
        assert_eq!(
            ev(r#"time="2019-01-15T19:45:24.1Z" level=debug msg="Calling POST /v1.30/swarm/join""#)
                .unwrap()
                .kind,
            Kind::SwarmJoin
        );
        let e = ev(r#"time="2019-01-15T19:45:24.1Z" level=debug msg="Calling DELETE /v1.39/services/8sbc8u6iy1c2v34bqjyjpmqfj""#).unwrap();
        assert_eq!(e.service_id.as_deref(), Some("8sbc8u6iy1c2v34bqjyjpmqfj"));
    }

    #[test]
    fn raft_gossip_and_tasks() {
        let e = ev(r#"time="2019-01-15T21:00:06.944275644Z" level=info msg="raft.node: 5759102b85455e66 lost leader 94a0043a8e44922f at term 3" module=raft node.id=rgwd7c9f151elfy4io9es7983"#).unwrap();
        assert_eq!(e.kind, Kind::RaftLostLeader);
        assert_eq!(
            e.raft,
            Some(("5759102b85455e66".into(), "94a0043a8e44922f".into()))
        );
        let e = ev(r#"time="2019-01-15T21:00:06.948016055Z" level=info msg="5759102b85455e66 became leader at term 3" module=raft"#).unwrap();
        assert_eq!(e.kind, Kind::RaftLeader);
        assert!(e.text.contains("term 3"));
        assert!(ev(r#"time="2019-01-15T21:00:06.9Z" level=info msg="5759102b85455e66 became follower at term 3" module=raft"#).is_none());

        let e = ev(r#"time="2019-01-15T21:06:21.412416350Z" level=info msg="tk1706-ubuntu-0(eb06b170a664): Node join event for 237d4416564b/172.31.17.133""#).unwrap();
        assert_eq!(e.kind, Kind::GossipJoin);
        assert_eq!(e.peer_ip.as_deref(), Some("172.31.17.133"));

        let e = ev(r#"time="2019-01-15T21:03:02.312598965Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted" module=node/agent/taskmanager node.id=t7felwp30mvi4n910z2y3u1cu service.id=8sbc8u6iy1c2v34bqjyjpmqfj task.id=7fa62bqntdpxjl8uxxfrhnafd"#).unwrap();
        assert_eq!(e.kind, Kind::TaskError);
        assert_eq!(e.task.as_deref(), Some("7fa62bqntdpxjl8uxxfrhnafd"));
        assert_eq!(e.service_id.as_deref(), Some("8sbc8u6iy1c2v34bqjyjpmqfj"));
        assert!(e.text.contains("missing network attachments"));

        let e = ev(r#"time="2019-01-15T21:03:02.313592096Z" level=debug msg="state changed" module="node/agent/taskmanager" state.desired=RUNNING state.transition="PREPARING->REJECTED" task.id=7fa62bqntdpxjl8uxxfrhnafd"#).unwrap();
        assert_eq!(e.kind, Kind::TaskState);
        assert_eq!(e.state.as_deref(), Some("rejected"));
        assert_eq!(e.text, "task 7fa62bqntdpx PREPARING → REJECTED");
    }

    #[test]
    fn agent_session_peer_with_and_without_id() {
        let e = ev(r#"time="2019-01-15T21:06:20.1Z" level=info msg="manager selected by agent for new session: {kb1ienw2q3dc6uk3k2pef0ms6 172.31.18.74:2377}" module=node/agent node.id=1sem08y1heylg8d4npolfwghg"#).unwrap();
        assert_eq!(e.kind, Kind::AgentSession);
        assert_eq!(e.subject_ids, ["kb1ienw2q3dc6uk3k2pef0ms6"]);
        assert_eq!(
            e.text,
            "agent: session with manager kb1ienw2q3dc6uk3k2pef0ms6 172.31.18.74:2377"
        );
        // Real lab lines (tests/lab): an address without id, and the node's own manager.
        let e = ev(r#"time="2026-11-22T01:24:16.861745304Z" level=info msg="manager selected by agent for new session: { 198.18.0.11:2377}" module=node/agent node.id=csy6fwr5r6szbowsgden0sio3"#).unwrap();
        assert!(e.subject_ids.is_empty());
        assert_eq!(e.text, "agent: session with manager at 198.18.0.11:2377");
        let e = ev(r#"time="2026-11-22T01:43:28.754831527Z" level=info msg="manager selected by agent for new session: { }" module=node/agent node.id=jn0ykm9jc7xxzo1jgnardq8n5"#).unwrap();
        assert!(e.subject_ids.is_empty());
        assert_eq!(e.text, "agent: session with the local manager");
    }

    #[test]
    fn short_syslog_stamp_keeps_the_raw_line_for_redating() {
        let line = r#"Jan 15 21:00:02 tk1706-ubuntu-0 systemd[1]: Stopping Docker Application Container Engine..."#;
        let e = ev(line).unwrap();
        assert_eq!(e.raw.as_deref(), Some(line));
        let e = ev(r#"Jan 15 21:00:02 mgr1 dockerd[1]: time="2019-01-15T21:00:02.1Z" level=info msg="Daemon shutdown complete""#).unwrap();
        assert!(e.raw.is_none(), "the logrus time carries its year");
    }

    #[test]
    fn collector_dates_boot_markers_and_caps() {
        let ctx = LogContext::at(datetime!(2019-01-15 21:11:00 UTC));
        let mut c = Collector::default();
        let texts = [
            r#"2019-01-15T20:00:00.000000+0000 h dockerd[1]: time="2019-01-15T20:00:00Z" level=info msg="Daemon shutdown complete""#,
            "-- Reboot --",
            r#"2019-01-15T20:05:00.000000+0000 h systemd[1]: Starting Docker Application Container Engine..."#,
        ];
        for (i, text) in texts.iter().enumerate() {
            let l = LogLine {
                node: "h",
                path: "logs/dockerd.log",
                line: i + 1,
                text,
                truncated: false,
            };
            match parse_line(text, &ctx) {
                Some(rec) => c.line(&l, "h/logs/dockerd.log", &rec),
                None => c.marker(&l),
            }
        }
        let mut notes = Vec::new();
        let events = c.finish(&mut notes);
        let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [Kind::DaemonStopped, Kind::HostBoot, Kind::ServiceUnit]
        );
        assert_eq!(events[1].time, Some(datetime!(2019-01-15 20:05:00 UTC)));
        assert_eq!(events[1].source.line, 2);
        assert!(notes.is_empty());

        let mut c = Collector::default();
        let rec = parse_line(texts[0], &ctx).unwrap();
        let l = LogLine {
            node: "h",
            path: "logs/dockerd.log",
            line: 1,
            text: texts[0],
            truncated: false,
        };
        for _ in 0..MAX_EVENTS_PER_INPUT + 3 {
            c.line(&l, "h/logs/dockerd.log", &rec);
        }
        let events = c.finish(&mut notes);
        assert_eq!(events.len(), MAX_EVENTS_PER_INPUT);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("dropped 3 later ones"));
    }
}
