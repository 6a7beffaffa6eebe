//! Listening sockets from `ss -lntup` (also `ss -lnt` without the Netid
//! column) and `netstat -lntup`. Swarm needs tcp 2377 (managers), tcp and
//! udp 7946 (gossip) and udp 4789 (VXLAN, or the `--data-path-port`).
//!
//! ```text
//! Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process
//! udp   UNCONN 0      0            0.0.0.0:4789      0.0.0.0:*
//! tcp   LISTEN 0      4096               *:2377            *:*    users:(("dockerd",pid=1234,fd=20))
//! ```
//! ```text
//! Proto Recv-Q Send-Q Local Address  Foreign Address  State   PID/Program name
//! tcp6       0      0 :::2377        :::*             LISTEN  1234/dockerd
//! udp        0      0 0.0.0.0:4789   0.0.0.0:*                -
//! ```

use super::lines::lines;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    pub line: usize,
    /// `tcp` or `udp` (netstat's `tcp6`/`udp6` are folded in).
    pub proto: String,
    /// `LISTEN`, `UNCONN`, …; empty for netstat udp rows.
    pub state: String,
    /// As printed, without brackets or `%iface`: `0.0.0.0`, `*`, `::`, `10.0.0.5`.
    pub local_addr: String,
    pub local_port: u16,
    /// Program name (`dockerd`).
    pub process: Option<String>,
    pub pid: Option<u32>,
}

/// Parses `ss` or `netstat` listings; other lines are skipped.
pub fn parse(text: &str) -> Vec<Socket> {
    let mut out = Vec::new();
    for (n, line) in lines(text) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let Some(&first) = toks.first() else { continue };
        let sock = match first {
            "tcp" | "udp" | "tcp6" | "udp6" | "sctp" if is_netstat_row(&toks) => {
                netstat_row(&toks, n)
            }
            "tcp" | "udp" | "sctp" => ss_row(toks.get(1..).unwrap_or(&[]), first, n),
            // `ss -lnt` / `ss -lnu` have no Netid column: tell by the state.
            "LISTEN" | "UNCONN" => ss_row(&toks, proto_of_state(first), n),
            _ => None,
        };
        out.extend(sock);
    }
    out
}

fn proto_of_state(state: &str) -> &'static str {
    if state == "UNCONN" {
        "udp"
    } else {
        "tcp"
    }
}

/// netstat rows have numeric Recv-Q/Send-Q right after the protocol.
fn is_netstat_row(toks: &[&str]) -> bool {
    toks.get(1).is_some_and(|t| t.parse::<u64>().is_ok())
}

/// `State Recv-Q Send-Q Local Peer [Process]` (after the Netid column).
fn ss_row(toks: &[&str], proto: &str, n: usize) -> Option<Socket> {
    let state = toks.first()?;
    let (addr, port) = split_addr(toks.get(3)?)?;
    let (process, pid) = toks
        .get(5..)
        .map(|rest| ss_process(&rest.join(" ")))
        .unwrap_or((None, None));
    Some(Socket {
        line: n,
        proto: proto.to_string(),
        state: state.to_string(),
        local_addr: addr,
        local_port: port,
        process,
        pid,
    })
}

/// `users:(("dockerd",pid=1234,fd=20),("dockerd",pid=1234,fd=21))`
fn ss_process(s: &str) -> (Option<String>, Option<u32>) {
    let Some(start) = s.find("((\"") else {
        return (None, None);
    };
    let rest = s.get(start + 3..).unwrap_or("");
    let name = rest.split('"').next().map(str::to_string);
    let pid = rest
        .split_once("pid=")
        .and_then(|(_, p)| p.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    (name.filter(|s| !s.is_empty()), pid)
}

/// `Proto Recv-Q Send-Q Local Foreign [State] PID/Program`
fn netstat_row(toks: &[&str], n: usize) -> Option<Socket> {
    let proto = toks.first()?.trim_end_matches('6');
    let (addr, port) = split_addr(toks.get(3)?)?;
    let mut rest = toks.get(5..).unwrap_or(&[]);
    let mut state = String::new();
    if let Some(s) = rest
        .first()
        .filter(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    {
        state = s.to_string();
        rest = rest.get(1..).unwrap_or(&[]);
    }
    let (pid, process) = match rest.first().and_then(|p| p.split_once('/')) {
        Some((pid, prog)) => (pid.parse().ok(), Some(prog.to_string())),
        None => (None, None),
    };
    Some(Socket {
        line: n,
        proto: proto.to_string(),
        state,
        local_addr: addr,
        local_port: port,
        process,
        pid,
    })
}

/// `0.0.0.0:4789`, `*:7946`, `[::]:22`, `:::2377`, `127.0.0.53%lo:53`.
fn split_addr(s: &str) -> Option<(String, u16)> {
    let (addr, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let addr = addr.trim_start_matches('[');
    let addr = addr.split('%').next().unwrap_or(addr).trim_end_matches(']');
    let addr = if addr.is_empty() { "::" } else { addr };
    Some((addr.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_lntup() {
        let text = "\
Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
udp   UNCONN 0      0            0.0.0.0:4789       0.0.0.0:*
udp   UNCONN 0      0                  *:7946             *:*     users:((\"dockerd\",pid=1234,fd=30))
tcp   LISTEN 0      4096               *:2377             *:*     users:((\"dockerd\",pid=1234,fd=20),(\"dockerd\",pid=1234,fd=21))
tcp   LISTEN 0      4096            [::]:22            [::]:*
tcp   LISTEN 0      128    127.0.0.53%lo:53          0.0.0.0:*
";
        let s = parse(text);
        assert_eq!(s.len(), 5);
        assert_eq!((s[0].proto.as_str(), s[0].local_port), ("udp", 4789));
        assert_eq!(s[0].local_addr, "0.0.0.0");
        assert_eq!(s[1].process.as_deref(), Some("dockerd"));
        assert_eq!(s[1].pid, Some(1234));
        assert_eq!(s[2].state, "LISTEN");
        assert_eq!(s[2].local_addr, "*");
        assert_eq!(s[3].local_addr, "::");
        assert_eq!(s[4].local_addr, "127.0.0.53");
        assert_eq!(s[4].line, 6);
    }

    #[test]
    fn ss_without_netid_and_netstat() {
        let text = "\
State  Recv-Q Send-Q Local Address:Port Peer Address:Port
LISTEN 0      4096   *:2377             *:*
Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
tcp6       0      0 :::2377                 :::*                    LISTEN      1234/dockerd
udp        0      0 0.0.0.0:4789            0.0.0.0:*                           -
udp6       0      0 :::7946                 :::*                                1234/dockerd
";
        let s = parse(text);
        assert_eq!(s.len(), 4);
        assert_eq!((s[0].proto.as_str(), s[0].local_port), ("tcp", 2377));
        assert_eq!(s[1].proto, "tcp");
        assert_eq!(s[1].local_addr, "::");
        assert_eq!(s[1].process.as_deref(), Some("dockerd"));
        assert_eq!(s[2].state, "");
        assert_eq!(s[2].process, None);
        assert_eq!((s[3].proto.as_str(), s[3].local_port), ("udp", 7946));
        assert_eq!(s[3].pid, Some(1234));
        assert!(parse("").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "((tcp|udp6?|LISTEN) +[0-9A-Z]{0,6} +[0-9]{0,3} +[0-9*:\\[\\]%a-z.]{0,12} +[*:0-9]{0,5} *(users:\\(\\(\"[a-z]{0,4}\"?,pid=[0-9]{0,3}|[0-9]{0,3}/[a-z]{0,3})?\n){0,4}") {
            let _ = parse(&s);
        }
    }
}
