//! The daemon log as it reaches the analysis in every transport: the same
//! payload gives the same findings whatever wraps it, multi-line journal
//! records stay whole, and error-level lines no rule knows are reported.
//! Payloads are real lines from issues (named) or rule examples.

use super::*;
use crate::finding::Severity;
use proptest::prelude::*;

/// Runs `text` as node `n1`'s `logs/dockerd.log` through record joining and
/// the log scan, returning the consolidated findings.
fn scan(text: &str) -> Vec<Finding> {
    let rules = RuleSet::embedded().expect("rules");
    static NEEDLES: std::sync::OnceLock<scan::Needles> = std::sync::OnceLock::new();
    let needles = NEEDLES.get_or_init(|| scan::Needles::new(&rules, true));
    let (matcher, ..) = scan::scan_text(
        &rules,
        needles,
        ("n1", "logs/dockerd.log"),
        text,
        crate::bundle::BLOCK_BYTES,
        scan::Feed::Streamed,
    );
    consolidate(matcher.finish())
}

/// (id, count, severity) of each finding, sorted.
fn summary(findings: &[Finding]) -> Vec<(String, u64, Severity)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| (f.id.clone(), f.count, f.severity))
        .collect();
    v.sort();
    v
}

/// Real payloads (logrus text as dockerd writes it).
const PAYLOADS: &[&str] = &[
    // moby/moby#35109 (formats.md §7.1): a known rule's line at error.
    r#"time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: code = Canceled desc = context canceled" module=node/agent node.id=x7pkp21hsytl21u6mw05fhymr"#,
    // libnetwork#962: memberlist inside msg, with its own [ERR].
    r#"time="2018-03-09T17:22:29.442630899Z" level=error msg="2018/03/09 17:22:29 [ERR] memberlist: Failed fallback ping: read tcp 10.0.1.26:50300->10.0.1.29:7946: i/o timeout\n""#,
    // moby/moby#30217: an error no rule knows.
    r#"time="2017-01-18T15:10:10.618369714Z" level=error msg="Failed to load container mount 0e82fad8a9fc2c197105b25547fa303700b67eb297a5e27e89857455da47eb13: mount does not exist""#,
    // moby/moby#30217: a healthy start-up line.
    r#"time="2017-01-18T15:10:10.772709219Z" level=info msg="Loading containers: done.""#,
    // moby/moby#47800: raft message errors.
    r#"time="2024-05-03T15:43:16.346095028Z" level=error msg="received message intended for raft_id 9c6be28726ae35c" from=738175eab0a1e608 method="(*Node).ProcessRaftMessage" raft_id=45e6d605b899e60a"#,
    // GOS-09's own example.
    r#"time="2020-03-01T10:00:00.000000000Z" level=error msg="Error in joining gossip cluster : could not join node to memberlist: 1 error occurred:\n\t* Failed to join 198.18.0.11: dial tcp 198.18.0.11:7946: i/o timeout\n\n(join will be retried in background)""#,
    // A fatal start-up error of 17.x–19.x engines (cmd/dockerd: `Error starting daemon`).
    r#"time="2018-01-02T03:04:05.123456789Z" level=fatal msg="Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid""#,
];

/// logrus JSON payloads (`"log-format": "json"`, Docker 25+; formats.md §7.2).
const JSON_PAYLOADS: &[&str] = &[
    r#"{"error":"context canceled","level":"error","module":"node/agent","msg":"agent: session failed","node.id":"x7pkp21hsytl21u6mw05fhymr","time":"2025-01-06T10:11:12.123456789Z"}"#,
    r#"{"level":"info","msg":"NetworkDB stats node1(b75af94506db) - netID:nn156v133ppluelo8fp5ap5gg leaving:false netPeers:3 entries:13 Queue qLen:0 netMsg/s:0","time":"2025-08-19T11:20:54.092795171Z"}"#,
    r#"{"error":"could not join node to memberlist: 1 error occurred:\n\t* Failed to join 198.18.0.11:7946: dial tcp 198.18.0.11:7946: connect: connection refused","level":"warning","msg":"Error in joining gossip cluster: join will be retried in background","time":"2025-03-01T10:00:00.000000000Z"}"#,
    r#"{"level":"error","msg":"received message intended for raft_id 9c6be28726ae35c","from":"738175eab0a1e608","raft_id":"45e6d605b899e60a","time":"2025-05-03T15:43:16.346095028Z"}"#,
];

const STAMP: &str = "2018-03-28T15:08:16.065511";
const UNIX: &str = "1522249696.065511";
const HOST: &str = "mgr1";

/// Every transport wrapping of one payload line, by name.
fn wrappings(p: &str) -> Vec<(&'static str, String)> {
    let json_msg = serde_json::to_string(p).unwrap();
    let bytes: Vec<String> = p.bytes().map(|b| b.to_string()).collect();
    vec![
        ("raw / -o cat", p.to_string()),
        ("short", format!("Mar 28 15:08:16 {HOST} dockerd[11255]: {p}")),
        ("short, locale month", format!("mar 28 15:08:16 {HOST} dockerd[880]: {p}")),
        ("rsyslog, no pid", format!("Mar  2 15:08:16 {HOST} dockerd: {p}")),
        ("old engine tag", format!("Mar 28 15:08:16 {HOST} docker[21604]: {p}")),
        ("RHEL docker-current", format!("Mar 28 15:08:16 {HOST} docker-current[1]: {p}")),
        ("path tag", format!("Mar 28 15:08:16 {HOST} /usr/bin/dockerd[1]: {p}")),
        ("short-precise", format!("Mar 28 15:08:16.065511 {HOST} dockerd[1]: {p}")),
        ("short-iso < 255", format!("2018-03-28T15:08:16+0000 {HOST} dockerd[1]: {p}")),
        ("short-iso-precise", format!("{STAMP}+00:00 {HOST} dockerd[1]: {p}")),
        ("short-monotonic", format!("[  123.456789] {HOST} dockerd[1]: {p}")),
        ("short-unix", format!("{UNIX} {HOST} dockerd[1]: {p}")),
        ("RFC 5424", format!("<30>1 {STAMP}Z {HOST} dockerd 1 - - {p}")),
        ("RFC 5424 with SD", format!("<30>1 {STAMP}Z {HOST} dockerd 1 ID47 [x@1 a=\"b]\"] {p}")),
        ("RFC 3164 with PRI", format!("<30>Mar 28 15:08:16 {HOST} dockerd[1]: {p}")),
        ("docker logs -t", format!("{STAMP}123Z {p}")),
        (
            "-o json",
            format!(
                r#"{{"__REALTIME_TIMESTAMP":"1522249696065511","_HOSTNAME":"{HOST}","PRIORITY":"6","SYSLOG_IDENTIFIER":"dockerd","_PID":"1","MESSAGE":{json_msg}}}"#
            ),
        ),
        (
            "-o json, byte array",
            format!(
                r#"{{"__REALTIME_TIMESTAMP":"1522249696065511","_HOSTNAME":"{HOST}","PRIORITY":"6","_COMM":"dockerd","MESSAGE":[{}]}}"#,
                bytes.join(",")
            ),
        ),
        (
            "-o json-pretty",
            format!(
                "{{\n\t\"__REALTIME_TIMESTAMP\" : \"1522249696065511\",\n\t\"_HOSTNAME\" : \"{HOST}\",\n\t\"PRIORITY\" : \"6\",\n\t\"SYSLOG_IDENTIFIER\" : \"dockerd\",\n\t\"MESSAGE\" : {json_msg}\n}}"
            ),
        ),
        (
            "-o verbose",
            format!(
                "Wed 2018-03-28 15:08:16.065511 UTC [s=3cfe;i=3b98;b=167d;m=b427f8dec78;t=5687a6064b7e7;x=eef4]\n    PRIORITY=6\n    _HOSTNAME={HOST}\n    SYSLOG_IDENTIFIER=dockerd\n    MESSAGE={p}"
            ),
        ),
        (
            "-o export",
            format!(
                "__CURSOR=s=3cfe;i=3b98;b=167d;m=b427f8dec78;t=5687a6064b7e7;x=eef4\n__REALTIME_TIMESTAMP=1522249696065511\nPRIORITY=6\n_HOSTNAME={HOST}\nSYSLOG_IDENTIFIER=dockerd\nMESSAGE={p}\n"
            ),
        ),
    ]
}

fn log_of(lines: &[&str], wrap: usize) -> String {
    let mut out = String::new();
    for p in lines {
        out.push_str(&wrappings(p)[wrap].1);
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The same payload lines under every transport give the same findings
    /// (ids, counts, severities).
    #[test]
    fn same_payload_same_findings_under_every_prefix(
        picks in proptest::collection::vec((0..PAYLOADS.len(), 1usize..5), 1..6)
    ) {
        let lines: Vec<&str> = picks
            .iter()
            .flat_map(|&(i, n)| std::iter::repeat_n(PAYLOADS[i], n))
            .collect();
        let want = summary(&scan(&log_of(&lines, 0)));
        for (w, (name, _)) in wrappings("x").iter().enumerate().skip(1) {
            let got = summary(&scan(&log_of(&lines, w)));
            prop_assert_eq!(&got, &want, "{}", name);
        }
    }

    /// The same for the daemon's JSON log format.
    #[test]
    fn same_json_payload_same_findings_under_every_prefix(
        picks in proptest::collection::vec((0..JSON_PAYLOADS.len(), 1usize..4), 1..5)
    ) {
        let lines: Vec<&str> = picks
            .iter()
            .flat_map(|&(i, n)| std::iter::repeat_n(JSON_PAYLOADS[i], n))
            .collect();
        let want = summary(&scan(&log_of(&lines, 0)));
        for (w, (name, _)) in wrappings("x").iter().enumerate().skip(1) {
            let got = summary(&scan(&log_of(&lines, w)));
            prop_assert_eq!(&got, &want, "{}", name);
        }
    }
}

#[test]
fn every_wrapping_of_a_known_error_fires_its_rule() {
    let p = PAYLOADS[5];
    for (w, (name, _)) in wrappings(p).iter().enumerate() {
        let found = summary(&scan(&log_of(&[p], w)));
        assert_eq!(
            found,
            vec![("GOS-09".to_string(), 1, Severity::Error)],
            "{name}"
        );
    }
}

#[test]
fn an_unknown_fatal_line_alone_is_an_error_finding() {
    let found = scan(PAYLOADS[6]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert!(f.id.starts_with("UNCLASSIFIED-"), "{}", f.id);
    assert_eq!((f.severity, f.count), (Severity::Error, 1));
    assert_eq!(
        f.title,
        "Unclassified fatal message: \"Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid\""
    );
    assert_eq!(f.evidence[0].text, PAYLOADS[6]);
    assert_eq!(
        f.first_seen,
        Some(time::macros::datetime!(2018-01-02 03:04:05.123456789 UTC))
    );
}

#[test]
fn unknown_errors_are_grouped_by_template() {
    // moby/moby#47800: the same message about two different raft ids.
    let log = [
        PAYLOADS[4].to_string(),
        PAYLOADS[4].replace("9c6be28726ae35c", "1d2e3f4a5b6c7d8"),
        PAYLOADS[2].to_string(),
    ]
    .join("\n");
    let found = scan(&log);
    let raft: Vec<_> = found
        .iter()
        .filter(|f| f.title.contains("raft_id"))
        .collect();
    assert_eq!(raft.len(), 1, "{found:#?}");
    assert_eq!((raft[0].count, raft[0].severity), (2, Severity::Info));
    assert_eq!(
        raft[0].title,
        "Unclassified error message: \"received message intended for raft_id <id>\""
    );
    assert!(found.iter().any(|f| f
        .title
        .contains("Failed to load container mount <id>: mount does not exist")));
}

#[test]
fn a_panic_with_its_stack_is_one_event() {
    // moby/moby#42645 (host redacted there) and #12627's frame lines.
    let log = "\
Jul 16 10:00:00 node1 dockerd[90949]: panic: runtime error: invalid memory address or nil pointer dereference
Jul 16 10:00:00 node1 dockerd[90949]: [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x5599e4acc8b8]
Jul 16 10:00:00 node1 dockerd[90949]: goroutine 1129 [running]:
Jul 16 10:00:00 node1 dockerd[90949]: github.com/armon/go-radix.recursiveWalk(0x0, 0xc004815e08, 0xc004815c00)
Jul 16 10:00:00 node1 dockerd[90949]:         /go/src/github.com/docker/docker/vendor/github.com/armon/go-radix/radix.go:519 +0x28
Jul 16 10:00:00 node1 dockerd[90949]: created by github.com/miekg/dns.(*Server).serveUDP
Jul 16 10:00:00 node1 dockerd[90949]: goroutine 1 [chan receive, 81 minutes]:";
    let found = scan(log);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!((f.severity, f.count), (Severity::Error, 1));
    assert_eq!(
        f.title,
        "Unclassified panic message: \"panic: runtime error: invalid memory address or nil pointer dereference\""
    );
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(f.evidence[0].line, 1);
}

#[test]
fn one_line_below_a_threshold_is_a_weak_signal() {
    // GOS-02 needs 3 failed pings on a node; one is named at info.
    let found = scan(PAYLOADS[1]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (f.id.as_str(), f.severity, f.count),
        ("WEAK-GOS-02", Severity::Info, 1)
    );
    assert!(
        f.detail.starts_with("seen 1 times, threshold 3"),
        "{}",
        f.detail
    );
    // Three fire the rule itself, and no weak signal.
    let three = [PAYLOADS[1]; 3].join("\n");
    let ids: Vec<String> = scan(&three).into_iter().map(|f| f.id).collect();
    assert_eq!(ids, vec!["GOS-02".to_string()]);
}

#[test]
fn line_formats_without_logrus_fire_their_rules() {
    // A raw Go `log` line from memberlist (its [ERR] is its level) and the
    // TTY format of a daemon run in a terminal (moby/moby#29180 shapes).
    let golog = "2018/03/09 17:22:29 [ERR] memberlist: Failed fallback ping: read tcp 10.0.1.26:50300->10.0.1.29:7946: i/o timeout";
    let found = summary(&scan(&[golog; 3].join("\n")));
    assert_eq!(found, vec![("GOS-02".to_string(), 3, Severity::Warning)]);
    let tty = "ERRO[0012] Error in joining gossip cluster : could not join node to memberlist: 1 error occurred:";
    assert_eq!(
        summary(&scan(tty)),
        vec![("GOS-09".to_string(), 1, Severity::Error)]
    );
    let json = r#"{"error":"could not join node to memberlist: 1 error occurred","level":"warning","msg":"Error in joining gossip cluster: join will be retried in background","time":"2025-03-01T10:00:00.000000000Z"}"#;
    assert_eq!(
        summary(&scan(json)),
        vec![("GOS-09".to_string(), 1, Severity::Error)]
    );
}

#[test]
fn healthy_start_up_lines_give_nothing() {
    // moby/moby#30217 and moby/libnetwork#2114 start-up lines, as journalctl printed them.
    let log = r#"-- Logs begin at Thu 2018-03-15 15:30:51 UTC, end at Thu 2018-03-15 15:54:06 UTC. --
Mar 15 15:31:05 fl2psto-s00 systemd[1]: Starting Docker Application Container Engine...
Mar 15 15:31:06 fl2psto-s00 dockerd[2187]: time="2018-03-15T15:31:06.004742224Z" level=info msg="libcontainerd: started new docker-containerd process" pid=2307
Mar 15 15:31:06 fl2psto-s00 dockerd[2187]: time="2018-03-15T15:31:06Z" level=info msg="starting containerd" module=containerd revision=89623f28b87a6004d4b785663257362d1658a729 version=v1.0.0
Mar 15 15:31:06 fl2psto-s00 dockerd[2187]: time="2018-03-15T15:31:06Z" level=info msg=serving... address="/var/run/docker/containerd/docker-containerd-debug.sock" module="containerd/debug"
Mar 15 15:31:06 fl2psto-s00 dockerd[2187]: time="2018-03-15T15:31:06.232727566Z" level=info msg="[graphdriver] using prior storage driver: overlay2"
Jan 18 15:10:10 ip-10-0-1-171 dockerd[1105]: time="2017-01-18T15:10:10.643786711Z" level=info msg="Firewalld running: false"
Jan 18 15:10:10 ip-10-0-1-171 dockerd[1105]: time="2017-01-18T15:10:10.745251282Z" level=info msg="Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address"
Jan 18 15:10:10 ip-10-0-1-171 dockerd[1105]: time="2017-01-18T15:10:10.772709219Z" level=info msg="Loading containers: done."
Jan 18 15:10:10 ip-10-0-1-171 dockerd[1105]: time="2017-01-18T15:10:10.822876424Z" level=info msg="Listening for local connections" addr="/var/run/docker/swarm/control.sock" proto=unix
Mar 07 03:40:15 contiv-aci-server4 docker[21604]: time="2016-03-07T03:40:15.537024836-08:00" level=info msg="Daemon has completed initialization"
Mar 07 03:40:15 contiv-aci-server4 systemd[1]: Started Docker Application Container Engine."#;
    let found = scan(log);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_logrus_panic_and_the_go_panic_after_it_are_one_event() {
    // logrus.Panic logs the entry, then panics with it (the Go runtime
    // prints a pointer value as its type and address). The shape only:
    // moby itself has no Panic-level call today, so the message is a stand-in.
    let log = r#"time="2017-06-24T13:01:29.831882449Z" level=panic msg="stand-in message of a logrus.Panic call"
panic: (*logrus.Entry) 0xc42042e0f0
goroutine 1 [running]:"#;
    let found = scan(log);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].count, found[0].severity), (1, Severity::Error));
    assert_eq!(found[0].evidence[0].line, 1);
}

#[test]
fn a_per_value_threshold_is_named_in_the_weak_signal() {
    // GOS-03 needs 3 lines about one peer (GOS-02's no_match example).
    let line = r#"time="2023-06-01T10:00:00.000000000Z" level=warning msg="memberlist: Was able to connect to node3-8b7c6d5e4f3a over TCP but UDP probes failed, network may be misconfigured""#;
    let other = line.replace("node3-8b7c6d5e4f3a", "node4-1a2b3c4d5e6f");
    let found = scan(&[line, line, &other].join("\n"));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (f.id.as_str(), f.severity, f.count),
        ("WEAK-GOS-03", Severity::Info, 3)
    );
    assert!(
        f.detail
            .starts_with("seen 3 times (at most 2 for one peer), threshold 3 for one peer"),
        "{}",
        f.detail
    );
}

/// Windows Event Viewer text of two docker events, as pasted in
/// MicrosoftDocs/Virtualization-Documentation#976 (an error, then an
/// information event).
const WINDOWS_EVENTS: &str = "The description for Event ID 1 from source docker cannot be found. Either the component that raises this event is not installed on your local computer or the installation is corrupted. You can install or repair the component on the local computer.

If the event originated on another computer, the display information had to be saved with the event.

The following information was included with the event: 

Bulk sync to node b00acca8c0ea timed out
The description for Event ID 1 from source docker cannot be found. Either the component that raises this event is not installed on your local computer or the installation is corrupted. You can install or repair the component on the local computer.

If the event originated on another computer, the display information had to be saved with the event.

The following information was included with the event: 

NetworkDB stats hyperv-test2(1b7e31cb050e) - netID:mk4lpdhox1fdsxb512swlmqs0 leaving:false netPeers:2 entries:2 Queue qLen:0 netMsg/s:0
";

#[test]
fn windows_event_viewer_text_is_read_per_event() {
    let found = scan(WINDOWS_EVENTS);
    assert_eq!(
        summary(&found),
        vec![("GOS-08".to_string(), 1, Severity::Error)]
    );
    let e = &found[0].evidence[0];
    assert_eq!(
        (e.line, e.text.as_str()),
        (1, "Bulk sync to node b00acca8c0ea timed out")
    );
}
