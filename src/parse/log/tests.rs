//! Samples are verbatim from research/formats.md §7 unless marked otherwise.

use super::*;
use proptest::prelude::*;
use time::macros::datetime;

fn ctx() -> LogContext {
    LogContext::at(datetime!(2018-03-29 08:00 UTC))
}

fn parse(line: &str) -> LogRecord {
    match parse_line(line, &ctx()) {
        Some(r) => r,
        None => panic!("no record for {line:?}"),
    }
}

fn fields(r: &LogRecord) -> Vec<(&str, &str)> {
    r.fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

// 1. logrus text

#[test]
fn logrus_text_with_bare_fields() {
    let r = parse(
        r#"time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: code = Canceled desc = context canceled" module=node/agent node.id=x7pkp21hsytl21u6mw05fhymr"#,
    );
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16.065293874 UTC)));
    assert_eq!(r.transport_time, None);
    assert_eq!(r.level, Some(Level::Error));
    assert_eq!(r.msg, "agent: session failed");
    assert_eq!(
        fields(&r),
        vec![
            (
                "error",
                "rpc error: code = Canceled desc = context canceled"
            ),
            ("module", "node/agent"),
            ("node.id", "x7pkp21hsytl21u6mw05fhymr"),
        ]
    );
    assert_eq!((r.program, r.pid, r.host), (None, None, None));
}

#[test]
fn logrus_v011_quotes_module_and_method() {
    let r = parse(
        r#"time="2018-02-19T21:00:47.101337659Z" level=debug msg="sending heartbeat to manager { } with timeout 5s" method="(*session).heartbeat" module=node/agent node.id=01apyb2gdfsz8k2t32vlqhdx6 session.id=x86o55gw7lvw884cecupg6pc7 sessionID=x86o55gw7lvw884cecupg6pc7"#,
    );
    assert_eq!(r.level, Some(Level::Debug));
    assert_eq!(r.msg, "sending heartbeat to manager { } with timeout 5s");
    assert_eq!(r.field("method"), Some("(*session).heartbeat"));
    assert_eq!(r.field("sessionID"), Some("x86o55gw7lvw884cecupg6pc7"));
    let r = parse(
        r#"time="2017-06-24T13:01:29.831882449Z" level=error msg="logs call failed" error="container not ready for logs: context canceled" module="node/agent/taskmanager" node.id=2rwbd9ahxva8si2myapzf2r1q"#,
    );
    assert_eq!(r.field("module"), Some("node/agent/taskmanager"));
    assert_eq!(
        r.field("error"),
        Some("container not ready for logs: context canceled")
    );
}

#[test]
fn logrus_memberlist_message_kept_whole_and_unescaped() {
    let r = parse(
        r#"time="2018-03-09T17:22:29.442630899Z" level=error msg="2018/03/09 17:22:29 [ERR] memberlist: Failed fallback ping: read tcp 10.0.1.26:50300->10.0.1.29:7946: i/o timeout\n""#,
    );
    assert_eq!(
        r.msg,
        "2018/03/09 17:22:29 [ERR] memberlist: Failed fallback ping: read tcp 10.0.1.26:50300->10.0.1.29:7946: i/o timeout\n"
    );
    assert!(r.fields.is_empty());
    let r = parse(
        r#"time="2017-06-24T13:46:54.405492099Z" level=info msg="memberlist: Marking ip-10-0-3-120-e24319d4b791 as failed, suspect timeout reached""#,
    );
    assert_eq!(
        r.msg,
        "memberlist: Marking ip-10-0-3-120-e24319d4b791 as failed, suspect timeout reached"
    );
}

#[test]
fn logrus_escaped_quotes_and_offsets() {
    let r = parse(
        r#"time="2018-03-08T18:54:38.295062659Z" level=error msg="could not resolve peer \"192.168.101.49\": timed out resolving peer by querying the cluster""#,
    );
    assert_eq!(
        r.msg,
        r#"could not resolve peer "192.168.101.49": timed out resolving peer by querying the cluster"#
    );
    let r = parse(
        r#"time="2017-11-02T09:04:18.418656136+08:00" level=info msg="NetworkDB stats - Queue net:rn46ylxpba4yb9uhwnyp8k0n1 qLen:0 netPeers:2 netMsg/s:0""#,
    );
    assert_eq!(r.time, Some(datetime!(2017-11-02 01:04:18.418656136 UTC)));
    assert_eq!(
        r.msg,
        "NetworkDB stats - Queue net:rn46ylxpba4yb9uhwnyp8k0n1 qLen:0 netPeers:2 netMsg/s:0"
    );
}

#[test]
fn logrus_empty_bare_value_at_end_and_in_middle() {
    let r = parse(
        r#"time="2024-09-12T14:32:19.829795730+08:00" level=error msg="agent: session failed" backoff=100ms error="context canceled" module=node/agent node.id="#,
    );
    assert_eq!(r.time, Some(datetime!(2024-09-12 06:32:19.829795730 UTC)));
    assert_eq!(
        fields(&r),
        vec![
            ("backoff", "100ms"),
            ("error", "context canceled"),
            ("module", "node/agent"),
            ("node.id", "")
        ]
    );
    // Rebuilt: an empty value before a space.
    let r = parse(r#"time="2024-09-12T14:32:19Z" level=info msg="x" node.id= session.id=abc"#);
    assert_eq!(fields(&r), vec![("node.id", ""), ("session.id", "abc")]);
}

#[test]
fn logrus_seconds_only_time_and_multiline_error() {
    let r = parse(
        r#"time="2021-02-19T18:15:39+01:00" level=error msg="set up rule failed, [-t mangle -A INPUT -d 10.0.1.2/32 -j MARK --set-mark 257]:  (iptables failed: iptables --wait -t mangle -A INPUT -d 10.0.1.2/32 -j MARK --set-mark 257: iptables v1.8.7 (legacy): unknown option \"--set-mark\"\nTry `iptables -h' or 'iptables --help' for more information.\n (exit status 2))""#,
    );
    assert_eq!(r.time, Some(datetime!(2021-02-19 17:15:39 UTC)));
    assert!(r.msg.starts_with("set up rule failed, [-t mangle"));
    assert!(r
        .msg
        .contains("unknown option \"--set-mark\"\nTry `iptables -h'"));
    assert!(r.msg.ends_with("(exit status 2))"));
}

#[test]
fn logrus_without_msg_and_odd_values_keep_data() {
    // msg is omitted when empty; an unknown level and a bad time stay as fields.
    let r = parse(r#"time="2018-03-28T15:08:16Z" level=info module=raft"#);
    assert_eq!(r.msg, "");
    assert_eq!(fields(&r), vec![("module", "raft")]);
    let r = parse(r#"time="yesterday" level=loud msg="m" a b=c"#);
    assert_eq!(r.time, None);
    assert_eq!(r.level, None);
    assert_eq!(
        fields(&r),
        vec![
            ("time", "yesterday"),
            ("level", "loud"),
            ("", "a"),
            ("b", "c")
        ]
    );
    assert_eq!(r.haystack(), "m time=yesterday level=loud a b=c");
    // A line cut inside a quoted value keeps the rest.
    let r = parse(r#"time="2018-03-28T15:08:16Z" level=error msg="cut \"here"#);
    assert_eq!(r.msg, "cut \"here");
}

#[test]
fn haystack_and_field_lookup() {
    let r = parse(
        r#"time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: code = Canceled desc = context canceled" module=node/agent"#,
    );
    assert_eq!(
        r.haystack(),
        "agent: session failed error=rpc error: code = Canceled desc = context canceled module=node/agent"
    );
    assert_eq!(r.field("module"), Some("node/agent"));
    assert_eq!(r.field("nope"), None);
}

// 2. TTY colored format

#[test]
fn tty_colored_with_timestamp_and_fields() {
    // Rebuilt from logrus printColored: `%-44s ` message, then ` \x1b[36mkey\x1b[0m=value`.
    let line = "\x1b[36mINFO\x1b[0m[2018-03-28T15:08:16.065293874Z] 26eb09ce1c2e6f1e became follower at term 29  \x1b[36mmodule\x1b[0m=raft \x1b[36mnode.id\x1b[0m=x7pkp21hsytl21u6mw05fhymr";
    let r = parse(line);
    assert_eq!(r.level, Some(Level::Info));
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16.065293874 UTC)));
    assert_eq!(r.msg, "26eb09ce1c2e6f1e became follower at term 29");
    assert_eq!(
        fields(&r),
        vec![("module", "raft"), ("node.id", "x7pkp21hsytl21u6mw05fhymr")]
    );
}

#[test]
fn tty_relative_seconds_and_stripped_colors() {
    let r = parse("\x1b[31mERRO\x1b[0m[0005] agent: session failed");
    assert_eq!((r.level, r.time), (Some(Level::Error), None));
    assert_eq!(r.msg, "agent: session failed");
    let r = parse(
        r#"WARN[0005] memberlist: Failed fallback ping       error="i/o timeout" module=node"#,
    );
    assert_eq!(r.level, Some(Level::Warning));
    assert_eq!(r.msg, "memberlist: Failed fallback ping");
    assert_eq!(
        fields(&r),
        vec![("error", "i/o timeout"), ("module", "node")]
    );
    // Double spaces inside the message do not end it when no fields follow.
    let r = parse("INFO[0005] a  b  c");
    assert_eq!((r.msg.as_str(), r.fields.len()), ("a  b  c", 0));
}

// 3. logrus JSON

#[test]
fn logrus_json_lines() {
    let r = parse(
        r#"{"error":"context canceled","level":"error","module":"node/agent","msg":"agent: session failed","node.id":"x7pkp21hsytl21u6mw05fhymr","time":"2025-01-06T10:11:12.123456789Z"}"#,
    );
    assert_eq!(r.time, Some(datetime!(2025-01-06 10:11:12.123456789 UTC)));
    assert_eq!(r.level, Some(Level::Error));
    assert_eq!(r.msg, "agent: session failed");
    assert_eq!(
        fields(&r),
        vec![
            ("error", "context canceled"),
            ("module", "node/agent"),
            ("node.id", "x7pkp21hsytl21u6mw05fhymr")
        ]
    );
    let r = parse(
        r#"{"level":"info","msg":"NetworkDB stats node1(b75af94506db) - netID:nn156v133ppluelo8fp5ap5gg leaving:false netPeers:3 entries:13 Queue qLen:0 netMsg/s:0","time":"2025-08-19T11:20:54.092795171Z"}"#,
    );
    assert_eq!(r.level, Some(Level::Info));
    assert!(r.msg.starts_with("NetworkDB stats node1(b75af94506db)"));
}

#[test]
fn logrus_json_html_escapes_renamed_keys_and_numbers() {
    // Rebuilt: HTML escaping on, a clashing key renamed to fields.msg, a number value.
    let r = parse(
        r#"{"error":"\u003cnil\u003e","fields.msg":"inner","level":"warning","msg":"10.0.1.26:50300-\u003e10.0.1.29:7946","port":7946,"time":"2025-01-06T10:11:12Z"}"#,
    );
    assert_eq!(r.msg, "10.0.1.26:50300->10.0.1.29:7946");
    assert_eq!(r.level, Some(Level::Warning));
    assert_eq!(
        fields(&r),
        vec![
            ("error", "<nil>"),
            ("fields.msg", "inner"),
            ("port", "7946")
        ]
    );
}

// 4. journald -o json

const JOURNAL_JSON: &str = r#"{"__CURSOR":"s=3cfe…;i=3b9849;b=167d…;m=b427f8dec78;t=57883369f0f0f;x=eef4…","__REALTIME_TIMESTAMP":"1539879835995919","__MONOTONIC_TIMESTAMP":"12380235754616","_BOOT_ID":"167dcaaef06944c48f45228efd774ab7","_MACHINE_ID":"3ab4f32bb7e3488caefcf9ac436b2bdf","_HOSTNAME":"mgr1","PRIORITY":"6","SYSLOG_FACILITY":"3","SYSLOG_IDENTIFIER":"dockerd","_TRANSPORT":"stdout","_PID":"1105","_UID":"0","_GID":"0","_COMM":"dockerd","_EXE":"/usr/bin/dockerd","_CMDLINE":"/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock","_SYSTEMD_CGROUP":"/system.slice/docker.service","_SYSTEMD_UNIT":"docker.service","_SYSTEMD_SLICE":"system.slice","MESSAGE":"time=\"2018-10-18T16:23:55.995Z\" level=info msg=\"...\""}"#;

#[test]
fn journald_json_wraps_a_logrus_line() {
    let r = parse(JOURNAL_JSON);
    assert_eq!(
        r.transport_time,
        Some(datetime!(2018-10-18 16:23:55.995919 UTC))
    );
    assert_eq!(r.time, Some(datetime!(2018-10-18 16:23:55.995 UTC)));
    assert_eq!(r.level, Some(Level::Info));
    assert_eq!(r.msg, "...");
    assert_eq!(r.host.as_deref(), Some("mgr1"));
    assert_eq!(r.program.as_deref(), Some("dockerd"));
    assert_eq!(r.pid, Some(1105));
    assert!(r.fields.is_empty(), "journald metadata is not a log field");
}

#[test]
fn journald_json_byte_array_null_and_container_entries() {
    // Rebuilt from JOURNAL_EXPORT_FORMATS.md: MESSAGE as byte values ("héllo\xff").
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":[104,195,169,108,108,111,255]}"#,
    );
    assert_eq!(r.msg, "héllo\u{fffd}");
    assert_eq!(r.time, r.transport_time);
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","_HOSTNAME":"mgr1","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":null}"#,
    );
    assert_eq!((r.msg.as_str(), r.host.as_deref()), ("", Some("mgr1")));
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","SYSLOG_IDENTIFIER":"5fda83a7192b","CONTAINER_NAME":"web.1","_TRANSPORT":"journal","MESSAGE":"GET / 200"}"#,
    );
    assert_eq!(r.program.as_deref(), Some("5fda83a7192b"));
    assert_eq!(r.msg, "GET / 200");
    // A logrus JSON line inside MESSAGE.
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1755602454095864","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":"{\"level\":\"error\",\"msg\":\"boom\",\"time\":\"2025-08-19T11:20:54.092795171Z\"}"}"#,
    );
    assert_eq!((r.level, r.msg.as_str()), (Some(Level::Error), "boom"));
    assert_eq!(r.time, Some(datetime!(2025-08-19 11:20:54.092795171 UTC)));
    assert_eq!(
        r.transport_time,
        Some(datetime!(2025-08-19 11:20:54.095864 UTC))
    );
}

// 5. journald short formats

#[test]
fn journald_short_and_markers() {
    let c = ctx();
    for marker in [
        "-- Logs begin at Wed 2018-03-28 09:00:01 UTC, end at Wed 2018-03-28 15:10:00 UTC. --",
        "-- Journal begins at Mon 2021-11-01 10:00:00 UTC, ends at Tue 2021-11-02 10:00:00 UTC. --",
        "-- Reboot --",
        "-- Boot 167dcaaef06944c48f45228efd774ab7 --",
        "-- No entries --",
        "",
        "   \r",
    ] {
        assert_eq!(parse_line(marker, &c), None, "{marker:?}");
    }
    let r = parse(
        r#"Mar 28 15:08:16 mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" ..."#,
    );
    assert_eq!(r.transport_time, Some(datetime!(2018-03-28 15:08:16 UTC)));
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16.065293874 UTC)));
    assert_eq!(
        (r.host.as_deref(), r.program.as_deref(), r.pid),
        (Some("mgr1"), Some("dockerd"), Some(11255))
    );
    assert_eq!(
        (r.level, r.msg.as_str()),
        (Some(Level::Error), "agent: session failed")
    );
    assert_eq!(fields(&r), vec![("", "...")]);
}

#[test]
fn journald_short_precise_and_iso_variants() {
    let r = parse(
        r#"Mar 28 15:08:16.065511 mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=info msg="x""#,
    );
    assert_eq!(
        r.transport_time,
        Some(datetime!(2018-03-28 15:08:16.065511 UTC))
    );
    let old = parse(
        r#"2023-09-08T17:20:30+0200 host dockerd[993]: time="2023-09-08T15:20:29.5Z" level=info msg="x""#,
    );
    let new = parse(
        r#"2023-09-08T17:20:30+02:00 host dockerd[993]: time="2023-09-08T15:20:29.5Z" level=info msg="x""#,
    );
    assert_eq!(old.transport_time, Some(datetime!(2023-09-08 15:20:30 UTC)));
    assert_eq!(old, new);
    assert_eq!(
        (old.host.as_deref(), old.program.as_deref(), old.pid),
        (Some("host"), Some("dockerd"), Some(993))
    );
    let r = parse(
        r#"2025-08-19T11:20:54.095864+00:00 node1 dockerd[993]: time="2025-08-19T11:20:54.092795171Z" level=info msg="...""#,
    );
    assert_eq!(
        r.transport_time,
        Some(datetime!(2025-08-19 11:20:54.095864 UTC))
    );
    assert_eq!(r.time, Some(datetime!(2025-08-19 11:20:54.092795171 UTC)));
}

#[test]
fn journald_short_container_tag_and_blob() {
    let r = parse("Mar 28 15:08:16 mgr1 5fda83a7192b[639]: 10.0.0.2 - - GET / 200");
    assert_eq!(
        (r.program.as_deref(), r.pid),
        (Some("5fda83a7192b"), Some(639))
    );
    assert_eq!((r.level, r.msg.as_str()), (None, "10.0.0.2 - - GET / 200"));
    let r = parse("Mar 28 15:08:16 mgr1 dockerd[11255]: [1.2K blob data]");
    assert_eq!(r.msg, "[1.2K blob data]");
    assert_eq!(r.program.as_deref(), Some("dockerd"));
}

#[test]
fn locale_month_names() {
    let c = LogContext::at(datetime!(2024-12-31 00:00 UTC));
    for (line, month) in [
        ("jul 09 21:13:47 host dockerd[1]: x", 7),
        ("Mär 09 21:13:47 host dockerd[1]: x", 3),
        ("Mai 09 21:13:47 host dockerd[1]: x", 5),
        ("Okt 09 21:13:47 host dockerd[1]: x", 10),
        ("déc. 09 21:13:47 host dockerd[1]: x", 12),
        ("févr. 09 21:13:47 host dockerd[1]: x", 2),
        ("août 09 21:13:47 host dockerd[1]: x", 8),
        ("ene 09 21:13:47 host dockerd[1]: x", 1),
        ("abr 09 21:13:47 host dockerd[1]: x", 4),
        ("dic 09 21:13:47 host dockerd[1]: x", 12),
        ("DEC 09 21:13:47 host dockerd[1]: x", 12),
    ] {
        let r = parse_line(line, &c).unwrap_or_default();
        assert_eq!(
            r.transport_time.map(|t| u8::from(t.month())),
            Some(month),
            "{line}"
        );
        assert_eq!(r.program.as_deref(), Some("dockerd"), "{line}");
        assert_eq!(r.msg, "x");
    }
    // Unknown month: no time, the rest still parses.
    let r = parse(
        r#"Xyz 09 21:13:47 host dockerd[1]: time="2018-03-28T15:08:16Z" level=warning msg="m""#,
    );
    assert_eq!(r.transport_time, None);
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16 UTC)));
    assert_eq!(
        (r.host.as_deref(), r.level, r.msg.as_str()),
        (Some("host"), Some(Level::Warning), "m")
    );
}

#[test]
fn year_rollover_for_short_stamps() {
    let jan = LogContext::at(datetime!(2025-01-02 03:00 UTC));
    let r = parse_line("Dec 31 23:59:59 mgr1 dockerd[1]: x", &jan).unwrap_or_default();
    assert_eq!(r.transport_time, Some(datetime!(2024-12-31 23:59:59 UTC)));
    let r = parse_line("Jan 02 01:00:00 mgr1 dockerd[1]: x", &jan).unwrap_or_default();
    assert_eq!(r.transport_time, Some(datetime!(2025-01-02 01:00:00 UTC)));
    // Within a day after collection (time zones) stays in the year.
    let r = parse_line("Jan 02 20:00:00 mgr1 dockerd[1]: x", &jan).unwrap_or_default();
    assert_eq!(r.transport_time, Some(datetime!(2025-01-02 20:00:00 UTC)));
    // Without a collection time the context year is used as is.
    let bare = LogContext {
        year: 2025,
        collected_at: None,
    };
    let r = parse_line("Dec 31 23:59:59 mgr1 dockerd[1]: x", &bare).unwrap_or_default();
    assert_eq!(r.transport_time, Some(datetime!(2025-12-31 23:59:59 UTC)));
    // Feb 29 read in a non-leap year belongs to the leap year before.
    let mar = LogContext::at(datetime!(2025-03-01 00:00 UTC));
    let r = parse_line("Feb 29 10:00:00 mgr1 dockerd[1]: x", &mar).unwrap_or_default();
    assert_eq!(r.transport_time, Some(datetime!(2024-02-29 10:00:00 UTC)));
}

// 6. plain syslog files

#[test]
fn syslog_file_variants() {
    let r = parse(
        r#"Jan  2 01:51:39 elk01 dockerd: time="2020-01-02T01:51:39.087002087Z" level=info msg="NetworkDB stats ...""#,
    );
    assert_eq!(
        r.transport_time,
        Some(datetime!(2018-01-02 01:51:39 UTC)),
        "year from context"
    );
    assert_eq!(r.time, Some(datetime!(2020-01-02 01:51:39.087002087 UTC)));
    assert_eq!(
        (r.host.as_deref(), r.program.as_deref(), r.pid),
        (Some("elk01"), Some("dockerd"), None)
    );
    assert_eq!(r.msg, "NetworkDB stats ...");
    let r = parse(
        r#"Jun 24 13:01:29 swarm-manager-001 dockerd[32300]: time="2017-06-24T13:01:29.831882449Z" level=error msg="...""#,
    );
    assert_eq!(
        (r.host.as_deref(), r.pid, r.level),
        (Some("swarm-manager-001"), Some(32300), Some(Level::Error))
    );
    let r = parse(
        r#"time="2017-02-13T14:42:38.281509334+08:00" level=info msg="5692ad0219730292 became follower at term 0""#,
    );
    assert_eq!(r.time, Some(datetime!(2017-02-13 06:42:38.281509334 UTC)));
    assert_eq!(r.msg, "5692ad0219730292 became follower at term 0");
}

#[test]
fn unknown_prefix_before_logrus_is_kept() {
    let r = parse(r#"<30>1 docker/abc: time="2020-01-02T01:51:39Z" level=info msg="hello""#);
    assert_eq!(r.msg, "hello");
    assert_eq!(r.time, Some(datetime!(2020-01-02 01:51:39 UTC)));
    assert_eq!(r.field("transport"), Some("<30>1 docker/abc:"));
}

// 7. kernel

#[test]
fn kernel_journal_and_dmesg_lines() {
    let r = parse("2025-08-19T11:20:54.095864+00:00 host kernel: IPVS: rr: TCP 10.0.0.2:80 - no destination available");
    assert_eq!(r.time, Some(datetime!(2025-08-19 11:20:54.095864 UTC)));
    assert_eq!((r.program.as_deref(), r.level), (Some("kernel"), None));
    assert_eq!(
        r.msg,
        "IPVS: rr: TCP 10.0.0.2:80 - no destination available"
    );
    let r = parse("[Sat Nov 22 10:15:00 2026] br0: port 1(veth0) entered forwarding state");
    assert_eq!(r.time, Some(datetime!(2026-11-22 10:15:00 UTC)));
    assert_eq!(
        (r.program.as_deref(), r.msg.as_str()),
        (
            Some("kernel"),
            "br0: port 1(veth0) entered forwarding state"
        )
    );
    let r = parse("[Sun Nov  2 10:15:00 2025] IPVS: Creating netns size=2048 id=12");
    assert_eq!(r.time, Some(datetime!(2025-11-02 10:15:00 UTC)));
    assert_eq!(r.msg, "IPVS: Creating netns size=2048 id=12");
    assert!(r.fields.is_empty());
    let r = parse("[12345.678901] br0: port 1(veth0) entered blocking state");
    assert_eq!(
        (r.time, r.msg.as_str()),
        (None, "br0: port 1(veth0) entered blocking state")
    );
    // rsyslog keeps printk's stamp in the text.
    let r = parse("Mar 28 15:08:16 mgr1 kernel: [ 1234.567890] IPVS: ip_vs_wrr: created");
    assert_eq!(r.msg, "IPVS: ip_vs_wrr: created");
}

// 8. anything else

#[test]
fn free_text_lines() {
    let r = parse("goroutine 1 [running]:");
    assert_eq!(
        (r.msg.as_str(), r.time, r.level),
        ("goroutine 1 [running]:", None, None)
    );
    let r = parse("Mar 28 15:08:16 mgr1 dockerd[11255]: goroutine 1 [running]:");
    assert_eq!(r.msg, "goroutine 1 [running]:");
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16 UTC)));
    let r = parse("\u{feff}{not json at all\r");
    assert_eq!(r.msg, "{not json at all");
    let r = parse("[ERR] something");
    assert_eq!(r.msg, "[ERR] something");
    let r = parse("INFO: not tty");
    assert_eq!((r.msg.as_str(), r.level), ("INFO: not tty", None));
}

#[test]
fn level_names() {
    for (s, l) in [
        ("warn", Level::Warning),
        ("WARN", Level::Warning),
        ("warning", Level::Warning),
        ("INFO", Level::Info),
        ("ERRO", Level::Error),
        ("FATA", Level::Fatal),
        ("PANI", Level::Panic),
        ("DEBU", Level::Debug),
        ("TRAC", Level::Trace),
        ("trace", Level::Trace),
    ] {
        assert_eq!(Level::parse(s), Some(l), "{s}");
    }
    assert_eq!(Level::parse("notice"), None);
    assert_eq!(Level::Warning.as_str(), "warning");
    assert!(Level::Error > Level::Warning);
    assert_eq!(
        serde_json::to_string(&Level::Warning).ok().as_deref(),
        Some("\"warning\"")
    );
}

// Robustness

const FRAGMENTS: &[&str] = &[
    "time=\"",
    "\"",
    "\\",
    "\\u",
    "\\x",
    "\\U0001",
    " ",
    "  ",
    "=",
    "level=",
    "msg=",
    "{",
    "}",
    "[",
    "]",
    "\x1b[",
    "\x1b",
    "m",
    "INFO",
    "ERRO[",
    "Mar ",
    "Mär ",
    "28 ",
    "15:08:16",
    ".0655",
    " host ",
    "dockerd[",
    "123",
    "]:",
    ":",
    "2018-03-28T15:08:16",
    "+02:00",
    "+0200",
    "Z",
    "-- ",
    " --",
    "é",
    "\u{fffd}",
    "\"MESSAGE\":",
    "[1,2,255]",
    "\"__REALTIME_TIMESTAMP\":\"99999999999999999999\"",
    "9999-12-31T23:59:59-23:59",
    "kernel: ",
    "[Sat Nov 22 10:15:00 2026]",
];

fn fragment_line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = parse_line(&s, &ctx());
    }

    #[test]
    fn never_panics_on_format_fragments(s in fragment_line()) {
        if let Some(r) = parse_line(&s, &ctx()) {
            let _ = r.haystack();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn never_panics_on_megabyte_lines(unit in fragment_line(), head in fragment_line()) {
        let unit = if unit.is_empty() { "é".to_owned() } else { unit };
        let mut line = head;
        while line.len() < 1 << 20 {
            line.push_str(&unit);
        }
        let _ = parse_line(&line, &ctx());
    }
}

#[test]
fn megabyte_logrus_value_is_read_whole() {
    let big = "x\\\"".repeat(350_000);
    let line =
        format!(r#"time="2018-03-28T15:08:16Z" level=error msg="m" error="{big}" module=raft"#);
    let r = parse(&line);
    assert_eq!(r.field("error").map(str::len), Some(700_000));
    assert_eq!(r.field("module"), Some("raft"));
}

/// Throughput on synthetic logrus text, bare and behind a journald prefix.
/// Run once by hand:
/// `cargo test --release --lib parse::log::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    for prefix in ["", "2025-08-19T11:20:54.095864+00:00 node1 dockerd[993]: "] {
        let lines: Vec<String> = (0..1_000_000)
            .map(|i| {
                format!(
                    r#"{prefix}time="2018-03-28T15:08:16.{i:09}Z" level=info msg="NetworkDB stats mgr-{i}(410061a80d70) - netID:3z93n644nbe47dzi6r1a82git leaving:false netPeers:9 entries:22 Queue qLen:0 netMsg/s:0" module=node/agent node.id=x7pkp21hsytl21u6mw05fhymr error="rpc error: code = Canceled desc = \"context canceled\"""#
                )
            })
            .collect();
        let bytes: usize = lines.iter().map(String::len).sum();
        let c = ctx();
        let start = std::time::Instant::now();
        let mut n = 0usize;
        for l in &lines {
            n += parse_line(l, &c).map_or(0, |r| r.fields.len());
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(n, 3_000_000);
        println!(
            "prefix {prefix:?}: {} lines ({} MB) in {secs:.3}s: {:.0} lines/s",
            lines.len(),
            bytes >> 20,
            lines.len() as f64 / secs
        );
    }
}

// 9. transports added for issue 8

#[test]
fn rfc5424_with_and_without_structured_data() {
    let r = parse(
        r#"<30>1 2024-01-02T03:04:05.123Z host1 dockerd 123 - - time="2024-01-02T03:04:05.120000000Z" level=error msg="agent: session failed""#,
    );
    assert_eq!(
        (r.host.as_deref(), r.program.as_deref(), r.pid),
        (Some("host1"), Some("dockerd"), Some(123))
    );
    assert_eq!(
        (r.msg.as_str(), r.level),
        ("agent: session failed", Some(Level::Error))
    );
    assert_eq!(
        r.transport_time,
        Some(datetime!(2024-01-02 03:04:05.123 UTC))
    );
    let r = parse(
        r#"<27>1 2024-01-02T03:04:05Z host1 /usr/bin/dockerd - ID47 [exampleSDID@32473 iut="3" eventSource="App\]x"] free text"#,
    );
    assert_eq!((r.program.as_deref(), r.pid), (Some("dockerd"), None));
    assert_eq!(r.msg, "free text");
    // PRI severity 3 (err) is the level of text without its own.
    assert_eq!(r.level, Some(Level::Error));
    let r = parse("<30>1 - - - - - -");
    assert_eq!((r.time, r.host, r.msg.as_str()), (None, None, ""));
}

#[test]
fn rfc3164_with_pri_and_path_or_rhel_tags() {
    let r = parse(
        r#"<30>Mar 28 15:08:16 mgr1 docker-current[1]: time="2018-03-28T15:08:16.065293874Z" level=info msg="x""#,
    );
    assert_eq!(
        (r.program.as_deref(), r.level),
        (Some("docker-current"), Some(Level::Info))
    );
    let r = parse(
        r#"Mar 28 15:08:16 mgr1 /usr/bin/dockerd[7]: time="2018-03-28T15:08:16.065293874Z" level=info msg="x""#,
    );
    assert_eq!((r.program.as_deref(), r.pid), (Some("dockerd"), Some(7)));
}

#[test]
fn journal_short_monotonic_and_unix_are_not_dmesg() {
    let r = parse(
        r#"[  123.456789] mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=error msg="x""#,
    );
    assert_eq!(
        (r.host.as_deref(), r.program.as_deref(), r.transport_time),
        (Some("mgr1"), Some("dockerd"), None)
    );
    assert_eq!(r.time, Some(datetime!(2018-03-28 15:08:16.065293874 UTC)));
    // dmesg lines keep their meaning, even with a `word:` start.
    let r = parse("[  5.123456] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)");
    assert_eq!(r.program.as_deref(), Some("kernel"));
    let r = parse("[  5.123456] systemd[1]: Started Docker Application Container Engine.");
    assert_eq!(r.program.as_deref(), Some("kernel"));
    let r = parse("1522249696.065511 mgr1 dockerd[1]: goroutine 1 [running]:");
    assert_eq!(
        r.transport_time,
        Some(datetime!(2018-03-28 15:08:16.065511 UTC))
    );
    assert_eq!(
        (r.host.as_deref(), r.msg.as_str()),
        (Some("mgr1"), "goroutine 1 [running]:")
    );
}

#[test]
fn docker_logs_timestamps_before_the_daemon_text() {
    let r = parse(
        r#"2024-01-02T03:04:05.123456789Z time="2024-01-02T03:04:05.120000000Z" level=warning msg="x""#,
    );
    assert_eq!(
        (r.host, r.program, r.level),
        (None, None, Some(Level::Warning))
    );
    assert_eq!(
        r.transport_time,
        Some(datetime!(2024-01-02 03:04:05.123456789 UTC))
    );
    let r = parse(
        r#"2024-01-02T03:04:05.123456789Z {"level":"error","msg":"y","time":"2024-01-02T03:04:05Z"}"#,
    );
    assert_eq!((r.msg.as_str(), r.level), ("y", Some(Level::Error)));
    let r = parse("2024-01-02T03:04:05.123456789Z panic: runtime error: index out of range");
    assert_eq!(
        (r.host, r.program, r.level),
        (None, None, Some(Level::Panic))
    );
    let r = parse("2024-01-02T03:04:05.123456789Z 2024/01/02 03:04:05 [ERR] memberlist: x");
    assert_eq!((r.host, r.level), (None, Some(Level::Error)));
    let r = parse("2024-01-02T03:04:05.123456789Z ERRO[0012] z   a=b");
    assert_eq!(
        (r.msg.as_str(), r.level, r.field("a")),
        ("z", Some(Level::Error), Some("b"))
    );
}

#[test]
fn go_log_lines_and_runtime_text_carry_their_level() {
    let r = parse("2017/06/12 10:00:00 [ERR] memberlist: Failed fallback ping: EOF");
    assert_eq!(r.level, Some(Level::Error));
    assert_eq!(r.time, Some(datetime!(2017-06-12 10:00:00 UTC)));
    assert_eq!(
        r.msg,
        "2017/06/12 10:00:00 [ERR] memberlist: Failed fallback ping: EOF"
    );
    let r = parse("Apr 26 01:37:47 ubuntu dockerd[14174]: panic: runtime error: invalid memory address or nil pointer dereference");
    assert_eq!(r.level, Some(Level::Panic));
    let r = parse("fatal error: concurrent map writes");
    assert_eq!(r.level, Some(Level::Fatal));
    let r = parse("[ERR] something");
    assert_eq!(
        (r.msg.as_str(), r.level),
        ("[ERR] something", Some(Level::Error))
    );
    // The logrus level wins over one inside its message (moby logs
    // memberlist's [ERR] at warning).
    let r = parse(
        r#"time="2018-03-09T17:22:29.442630899Z" level=warning msg="2018/03/09 17:22:29 [ERR] memberlist: x""#,
    );
    assert_eq!(r.level, Some(Level::Warning));
}

#[test]
fn the_payload_level_wins_over_journal_priority() {
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","PRIORITY":"3","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":"time=\"2018-10-18T16:23:55.995Z\" level=info msg=\"x\""}"#,
    );
    assert_eq!(r.level, Some(Level::Info));
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","PRIORITY":"3","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":"Failed to connect"}"#,
    );
    assert_eq!(r.level, Some(Level::Error));
    // journald's default stream priority says nothing.
    let r = parse(
        r#"{"__REALTIME_TIMESTAMP":"1539879835995919","PRIORITY":"6","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":"Failed to connect"}"#,
    );
    assert_eq!(r.level, None);
}

#[test]
fn multi_line_journal_records() {
    let pretty = "{\n\t\"__REALTIME_TIMESTAMP\" : \"1539879835995919\",\n\t\"_HOSTNAME\" : \"mgr1\",\n\t\"SYSLOG_IDENTIFIER\" : \"dockerd\",\n\t\"MESSAGE\" : \"time=\\\"2018-10-18T16:23:55.995Z\\\" level=error msg=\\\"x\\\"\"\n}";
    let verbose = "Thu 2018-10-18 16:23:55.995919 UTC [s=3cfe;i=3b98;b=167d;m=b427f8dec78;t=57883369f0f0f;x=eef4]\n    _HOSTNAME=mgr1\n    SYSLOG_IDENTIFIER=dockerd\n    MESSAGE=time=\"2018-10-18T16:23:55.995Z\" level=error msg=\"x\"";
    let export = "__CURSOR=s=3cfe;i=3b98\n__REALTIME_TIMESTAMP=1539879835995919\n_HOSTNAME=mgr1\nSYSLOG_IDENTIFIER=dockerd\nMESSAGE=time=\"2018-10-18T16:23:55.995Z\" level=error msg=\"x\"";
    for rec in [pretty, verbose, export] {
        let r = parse(rec);
        assert_eq!(
            (
                r.host.as_deref(),
                r.program.as_deref(),
                r.msg.as_str(),
                r.level
            ),
            (Some("mgr1"), Some("dockerd"), "x", Some(Level::Error)),
            "{rec}"
        );
        assert_eq!(
            r.transport_time,
            Some(datetime!(2018-10-18 16:23:55.995919 UTC)),
            "{rec}"
        );
    }
}

#[test]
fn windows_event_viewer_records() {
    // moby/moby#37943: an event with fields (id 1 + 10).
    let rec = "The description for Event ID 11 from source docker cannot be found. Either the component that raises this event is not installed on your local computer or the installation is corrupted. You can install or repair the component on the local computer.\n\nIf the event originated on another computer, the display information had to be saved with the event.\n\nThe following information was included with the event: \n\nsending event\nmodule=libcontainerd namespace=moby container=ccf93bafc7439e39b4aeebd8a9ed7a3ea02912b49c196220cf05a345d2c2fcd0 event=exit";
    let r = parse(rec);
    assert_eq!(
        (r.msg.as_str(), r.level, r.program.as_deref()),
        ("sending event", None, Some("docker"))
    );
    assert_eq!(
        (r.field("module"), r.field("event")),
        (Some("libcontainerd"), Some("exit"))
    );
    let fatal = rec.replace("Event ID 11", "Event ID 4");
    assert_eq!(parse(&fatal).level, Some(Level::Fatal));
}
