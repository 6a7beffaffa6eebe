use super::*;
use crate::model::NodeState;
use crate::parse::log::{parse_line, LogContext};
use time::macros::datetime;

/// Events of `lines` as `from_log` gives them, for bundle `label`.
fn logged(label: &str, lines: &[&str]) -> Vec<Event> {
    let ctx = LogContext {
        year: 1970,
        collected_at: None,
    };
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let rec = parse_line(l, &ctx)?;
            from_log(label, &format!("{label}/logs/dockerd.log"), i + 1, l, &rec)
        })
        .collect()
}

fn node(label: &str, host: &str, id: &str, collected: Option<OffsetDateTime>) -> NodeState {
    NodeState {
        label: label.into(),
        hostname: host.into(),
        node_id: id.into(),
        collected_at: collected,
        ..NodeState::default()
    }
}

const NODES: &str = r#"[
 {"ID":"t7felwp30mvi4n910z2y3u1cu","UpdatedAt":"2019-01-15T21:02:31.713583494Z",
  "Spec":{"Role":"manager","Availability":"active"},
  "Description":{"Hostname":"tk1706-ubuntu-0","Engine":{"EngineVersion":"18.09.1"}},
  "Status":{"State":"ready","Addr":"172.31.18.74"}},
 {"ID":"w232ljdni54ibvlsgewehon99","UpdatedAt":"2019-01-15T21:08:40.922706033Z",
  "Spec":{"Role":"worker","Availability":"drain"},
  "Description":{"Hostname":"tk1706-ubuntu-4","Engine":{"EngineVersion":"17.06.2-ee-15"}},
  "Status":{"State":"ready","Addr":"172.31.28.201"}},
 {"ID":"z5tqpoosc7akmy1rooonzyqk2","UpdatedAt":"2019-01-15T19:43:34.737110168Z",
  "Spec":{"Role":"worker","Availability":"active"},
  "Description":{"Hostname":"tk1706-ubuntu-3","Engine":{"EngineVersion":"18.09.1"}},
  "Status":{"State":"down","Message":"heartbeat failure","Addr":"172.31.17.133"}}]"#;

const TASKS: &str = r#"[
 {"ID":"7fa62bqntdpxjl8uxxfrhnafd","ServiceID":"8sbc8u6iy1c2v34bqjyjpmqfj","NodeID":"t7felwp30mvi4n910z2y3u1cu",
  "Status":{"Timestamp":"2019-01-15T21:03:02.313583494Z","State":"rejected","Err":"node is missing network attachments, ip addresses may be exhausted"},
  "DesiredState":"shutdown"},
 {"ID":"n28ip529ru043z5tr1dd1tnh8","ServiceID":"8sbc8u6iy1c2v34bqjyjpmqfj","NodeID":"w232ljdni54ibvlsgewehon99",
  "Status":{"Timestamp":"2019-01-15T21:10:11.624706033Z","State":"shutdown"},"DesiredState":"shutdown"}]"#;

const SERVICES: &str =
    r#"[{"ID":"8sbc8u6iy1c2v34bqjyjpmqfj","Spec":{"Name":"test_service","Mode":{"Global":{}}}}]"#;

fn cluster() -> Cluster {
    Cluster {
        nodes: vec![
            node(
                "tk1706-ubuntu-0",
                "tk1706-ubuntu-0",
                "t7felwp30mvi4n910z2y3u1cu",
                None,
            ),
            node(
                "tk1706-ubuntu-4",
                "tk1706-ubuntu-4",
                "w232ljdni54ibvlsgewehon99",
                None,
            ),
        ],
        swarm_nodes: crate::parse::node::parse(NODES).unwrap().items,
        tasks: crate::parse::task::parse(TASKS).unwrap().items,
        services: crate::parse::service::parse(SERVICES).unwrap().items,
        cluster_source: Some("tk1706-ubuntu-0".into()),
        ..Cluster::default()
    }
}

fn analysis(events: Vec<Event>) -> Analysis {
    Analysis {
        cluster: cluster(),
        findings: Vec::new(),
        coverage: Default::default(),
        evidence: Default::default(),
        events,
        verdict: Default::default(),
    }
}

const UBUNTU0: &[&str] = &[
    r#"2019-01-15T19:38:04.193249+0000 tk1706-ubuntu-0 dockerd[6830]: time="2019-01-15T19:38:04.192842128Z" level=info msg="Docker daemon" commit=64ddfa6 graphdriver=overlay2 version=17.06.2-ee-15"#,
    r#"2019-01-15T20:58:10.436459+0000 tk1706-ubuntu-0 dockerd[6830]: time="2019-01-15T20:58:10.436256192Z" level=debug msg="Calling POST /v1.30/nodes/t7felwp30mvi4n910z2y3u1cu/update?version=103""#,
    r#"2019-01-15T20:58:10.437503+0000 tk1706-ubuntu-0 dockerd[6830]: time="2019-01-15T20:58:10.437312485Z" level=debug msg="form data: {\"Availability\":\"drain\",\"Labels\":{},\"Role\":\"manager\"}""#,
    r#"2019-01-15T21:00:02.623924+0000 tk1706-ubuntu-0 dockerd[6830]: time="2019-01-15T21:00:02.623741874Z" level=info msg="Daemon shutdown complete""#,
    r#"2019-01-15T21:01:40.773305+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:01:40.772990929Z" level=info msg="Docker daemon" commit=4c52b90 graphdriver(s)=overlay2 version=18.09.1"#,
    r#"2019-01-15T21:03:02.313992+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:03:02.313592096Z" level=debug msg="state changed" module=node/agent/taskmanager node.id=t7felwp30mvi4n910z2y3u1cu service.id=8sbc8u6iy1c2v34bqjyjpmqfj state.desired=RUNNING state.transition="PREPARING->REJECTED" task.id=7fa62bqntdpxjl8uxxfrhnafd"#,
    r#"2019-01-15T21:08:40.920797+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:08:40.920706098Z" level=debug msg="Calling POST /v1.39/nodes/w232ljdni54ibvlsgewehon99/update?version=131""#,
    r#"2019-01-15T21:08:40.921779+0000 tk1706-ubuntu-0 dockerd[18936]: time="2019-01-15T21:08:40.921757136Z" level=debug msg="form data: {\"Availability\":\"drain\",\"Labels\":{},\"Role\":\"worker\"}""#,
];

#[test]
fn drains_upgrades_and_task_history_in_order() {
    let t = build(
        &analysis(logged("tk1706-ubuntu-0", UBUNTU0)),
        &Filter::default(),
    );
    let rows: Vec<(String, Kind, &str)> = t
        .entries
        .iter()
        .map(|e| {
            (
                e.time
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
                e.kind,
                e.text.as_str(),
            )
        })
        .collect();
    let texts: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 != Kind::NodeStatus)
        .map(|r| r.2)
        .collect();
    assert_eq!(
        texts,
        [
            "dockerd 17.06.2-ee-15 (commit 64ddfa6)",
            "API: update node tk1706-ubuntu-0: availability=drain role=manager",
            "dockerd shutdown complete",
            "dockerd 18.09.1 (commit 4c52b90)",
            "engine changed 17.06.2-ee-15 → 18.09.1",
            // The log shows the rejection; tasks.json's copy is not repeated.
            "task 7fa62bqntdpx PREPARING → REJECTED (test_service)",
            "API: update node tk1706-ubuntu-4: availability=drain role=worker",
            // ubuntu-4's own log is absent: its task history row stands in.
            "task n28ip529ru04 (test_service) shutdown (desired shutdown)",
        ],
        "{rows:#?}"
    );
    // ubuntu-4's node object was updated by the logged drain: not repeated.
    // ubuntu-0's re-activation was not logged here: its object's UpdatedAt
    // stands in, in order.
    let status: Vec<(&str, &str)> = t
        .entries
        .iter()
        .filter(|e| e.kind == Kind::NodeStatus)
        .map(|e| (e.node.as_str(), e.text.as_str()))
        .collect();
    assert_eq!(status.len(), 2, "{status:?}");
    assert_eq!(status[0].0, "tk1706-ubuntu-3");
    assert_eq!(status[1].0, "tk1706-ubuntu-0");
    let i = |text: &str| {
        t.entries
            .iter()
            .position(|e| e.text.starts_with(text))
            .unwrap()
    };
    assert!(i("engine changed") < i("node object tk1706-ubuntu-0"));
    assert!(i("node object tk1706-ubuntu-0") < i("task 7fa62bqntdpx"));
    let drain = &t.entries[i("API: update node tk1706-ubuntu-4")];
    assert_eq!(drain.node, "tk1706-ubuntu-0");
    assert_eq!(drain.subject_nodes, ["tk1706-ubuntu-4"]);
    assert_eq!(
        t.entries[i("task 7fa62bqntdpx")].service.as_deref(),
        Some("test_service")
    );
}

#[test]
fn filters_by_time_node_and_service() {
    let a = analysis(logged("tk1706-ubuntu-0", UBUNTU0));
    let t = build(
        &a,
        &Filter {
            since: Some(datetime!(2019-01-15 21:00:00 UTC)),
            until: Some(datetime!(2019-01-15 21:05:00 UTC)),
            ..Filter::default()
        },
    );
    // shutdown, 18.09.1 start, engine change, ubuntu-0 re-activated, rejection
    assert_eq!(t.entries.len(), 5);
    assert_eq!(t.total_events, 10);

    // The drain of ubuntu-4 was logged on ubuntu-0 but is about ubuntu-4.
    let t = build(
        &a,
        &Filter {
            nodes: vec!["tk1706-ubuntu-4".into()],
            ..Filter::default()
        },
    );
    let kinds: Vec<Kind> = t.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::NodeUpdate, Kind::TaskState]);

    let t = build(
        &a,
        &Filter {
            services: vec!["test_service".into()],
            ..Filter::default()
        },
    );
    assert_eq!(t.entries.len(), 2);
    let t = build(
        &a,
        &Filter {
            services: vec!["8sbc8u6iy1c2".into()],
            ..Filter::default()
        },
    );
    assert_eq!(t.entries.len(), 2, "a short service id matches too");
}

#[test]
fn node_status_shows_down_nodes_not_covered_by_a_logged_call() {
    let t = build(&analysis(Vec::new()), &Filter::default());
    let status: Vec<&str> = t
        .entries
        .iter()
        .filter(|e| e.kind == Kind::NodeStatus)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(status.len(), 3);
    assert!(status
        .iter()
        .any(|s| s.contains("tk1706-ubuntu-3") && s.contains("state down: heartbeat failure)")));
}

#[test]
fn yearless_lines_are_redated_from_the_manifest() {
    // Read before the manifest: the stamp had no year and got 1970.
    let mut events = logged(
        "n1",
        &["Jan 15 21:00:02 n1 systemd[1]: Stopping Docker Application Container Engine..."],
    );
    assert_eq!(events[0].time.map(|t| t.year()), Some(1970));
    let mut c = Cluster {
        nodes: vec![node(
            "n1",
            "n1",
            "",
            Some(datetime!(2019-01-15 21:11:00 UTC)),
        )],
        ..Cluster::default()
    };
    redate(&mut events, &c);
    assert_eq!(events[0].time, Some(datetime!(2019-01-15 21:00:02 UTC)));
    assert!(events[0].raw.is_none());

    // Collected on Jan 2: a Dec 31 line belongs to the year before.
    let mut events = logged(
        "n1",
        &["Dec 31 23:59:58 n1 systemd[1]: Stopped Docker Application Container Engine."],
    );
    c.nodes[0].collected_at = Some(datetime!(2020-01-02 08:00:00 UTC));
    redate(&mut events, &c);
    assert_eq!(events[0].time, Some(datetime!(2019-12-31 23:59:58 UTC)));

    // No manifest: the year of the node's dated lines; none at all: undated.
    let mut events = logged(
        "n1",
        &[
            r#"2021-03-01T10:00:00.000000+0000 n1 dockerd[1]: time="2021-03-01T10:00:00Z" level=info msg="Daemon shutdown complete""#,
            "Mar 01 10:00:05 n1 systemd[1]: Stopped Docker Application Container Engine.",
        ],
    );
    let mut events_other = logged(
        "n2",
        &["Mar 01 10:00:05 n2 systemd[1]: Stopped Docker Application Container Engine."],
    );
    c.nodes[0].collected_at = None;
    redate(&mut events, &c);
    redate(&mut events_other, &c);
    assert_eq!(events[1].time, Some(datetime!(2021-03-01 10:00:05 UTC)));
    assert_eq!(events_other[0].time, None);
}

#[test]
fn raft_leaders_are_named_from_each_managers_own_lines() {
    let mut events = logged(
        "m1",
        &[
            r#"time="2019-01-15T21:00:06.948016055Z" level=info msg="5759102b85455e66 became leader at term 3" module=raft"#,
        ],
    );
    events.extend(logged(
        "m2",
        &[r#"time="2019-01-15T21:00:06.946Z" level=info msg="raft.node: b4121b0b98ff6b97 elected leader 5759102b85455e66 at term 3" module=raft"#],
    ));
    let mut a = analysis(events);
    a.cluster.nodes = vec![node("m1", "mgr-1", "", None), node("m2", "mgr-2", "", None)];
    let t = build(&a, &Filter::default());
    let elected = t
        .entries
        .iter()
        .find(|e| e.kind == Kind::RaftElected)
        .unwrap();
    assert_eq!(elected.node, "mgr-2");
    assert_eq!(
        elected.text,
        "raft: leader is 5759102b85455e66 at term 3 (mgr-1)"
    );
}
