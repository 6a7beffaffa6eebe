//! IPVS tables from `ipvsadm -Ln` (also `--stats`, `--rate`, `--thresholds`,
//! `--persistent-conn`) and `ipvsadm -S -n` (rule format). Docker uses
//! fwmark services: `FWM  257` (two spaces) is the service whose packets
//! iptables marks with `MARK set 0x101` and whose network-inspect
//! `LocalLBIndex` is 257. A service with no `->` line is a VIP with no backend;
//! weight 0 is a drained backend.
//!
//! ```text
//! IP Virtual Server version 1.2.1 (size=4096)
//! Prot LocalAddress:Port Scheduler Flags
//!   -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
//! FWM  257 rr
//!   -> 10.0.1.3:0                   Masq    1      0          3
//! FWM  258 rr
//! TCP  10.96.0.10:53 rr persistent 10800
//! ```
//! ```text
//! -A -f 257 -s rr
//! -a -f 257 -r 10.0.1.3:0 -m -w 1
//! ```

use super::lines::{lines, nothing_recognized, parse_scaled};
use super::ParseError;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ipvs {
    /// False when the output says IPVS cannot be used here
    /// (`Can't initialize ipvs: Protocol not available`: `ip_vs` not loaded).
    pub available: bool,
    /// The first error message in the output: the one above, or another
    /// (`nsenter: cannot open …`, `Memory allocation problem`). Other foreign
    /// lines (a shell prompt, a banner) are ignored.
    pub error: Option<String>,
    /// From `IP Virtual Server version 1.2.1 (size=4096)`; `None` for the
    /// rule format or when the table could not be read.
    pub version: Option<String>,
    pub services: Vec<IpvsService>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ServiceKey {
    /// Firewall mark, decimal.
    Fwm(u32),
    /// `addr:port` as printed (`10.96.0.10:53`, `[fd00::1]:53`).
    Tcp(String),
    Udp(String),
    Sctp(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpvsService {
    pub line: usize,
    pub kind: ServiceKey,
    /// `rr`, `wrr`, …; `None` in `--stats`/`--rate` listings, which omit it.
    pub scheduler: Option<String>,
    /// Words after the scheduler, as printed: `persistent`, `10800`, `mask`, `ops`, …
    pub flags: Vec<String>,
    pub persistent: Option<u32>,
    pub ipv6: bool,
    /// Only in `--stats` listings (K/M/G/T values are rounded).
    pub stats: Option<Stats>,
    pub backends: Vec<Backend>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backend {
    pub line: usize,
    /// Address part as printed, without brackets: an IP, or a resolved name
    /// (cut to 28 characters by ipvsadm without `-n`).
    pub addr: String,
    pub ip: Option<IpAddr>,
    /// `None` when the port was printed as a service name (`http`).
    pub port: Option<u16>,
    /// `Masq`, `Route` (DSR), `Tunnel`, `Local`; `None` in listings that omit it.
    pub forward: Option<String>,
    /// 0 = drained. `None` in listings that omit it.
    pub weight: Option<i64>,
    pub active: Option<u64>,
    pub inactive: Option<u64>,
    pub stats: Option<Stats>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub conns: u64,
    pub in_pkts: u64,
    pub out_pkts: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
}

impl IpvsService {
    pub fn fwmark(&self) -> Option<u32> {
        match self.kind {
            ServiceKey::Fwm(m) => Some(m),
            _ => None,
        }
    }
}

impl Backend {
    /// Weight above zero (weight 0 is a backend being drained or removed).
    pub fn serving(&self) -> bool {
        self.weight.is_some_and(|w| w > 0)
    }
}

/// Column layout announced by the title line.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    Stats,
    Rate,
    Thresholds,
    PersistConn,
}

/// Parses `ipvsadm -Ln` (any listing mode) or `ipvsadm -S -n`. Empty input
/// gives an empty table; input with neither ipvsadm output nor a known IPVS
/// error is an error naming its first line.
pub fn parse(text: &str) -> Result<Ipvs, ParseError> {
    let mut ipvs = Ipvs {
        available: true,
        ..Ipvs::default()
    };
    let mut mode = Mode::Normal;
    let mut recognized = false;
    for (n, line) in lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let toks: Vec<&str> = trimmed.split_whitespace().collect();
        let first = toks.first().copied().unwrap_or("");
        if let Some(rest) = trimmed.strip_prefix("IP Virtual Server version ") {
            ipvs.version = rest.split_whitespace().next().map(str::to_string);
            recognized = true;
        } else if first == "Prot" {
            mode = if trimmed.contains("Conns") {
                Mode::Stats
            } else if trimmed.contains("CPS") {
                Mode::Rate
            } else if trimmed.contains("Uthreshold") {
                Mode::Thresholds
            } else if trimmed.contains("PersistConn") {
                Mode::PersistConn
            } else {
                Mode::Normal
            };
            recognized = true;
        } else if first == "->" && toks.get(1).is_some_and(|t| t.starts_with("RemoteAddress")) {
            recognized = true;
        } else if first == "->" {
            match (listed_backend(&toks, mode, n), ipvs.services.last_mut()) {
                (Some(b), Some(svc)) => {
                    svc.backends.push(b);
                    recognized = true;
                }
                _ => note_error(&mut ipvs, trimmed),
            }
        } else if matches!(first, "FWM" | "TCP" | "UDP" | "SCTP") && !line.starts_with(' ') {
            match listed_service(&toks, mode, n) {
                Some(s) => {
                    ipvs.services.push(s);
                    recognized = true;
                }
                None => note_error(&mut ipvs, trimmed),
            }
        } else if first == "-A" || first == "-a" {
            if rule_line(&toks, n, &mut ipvs.services) {
                recognized = true;
            } else {
                note_error(&mut ipvs, trimmed);
            }
        } else {
            if trimmed.contains("Can't initialize ipvs")
                || trimmed.contains("Protocol not available")
                || trimmed.contains("IP Virtual Server is built in the kernel")
            {
                ipvs.available = false;
                recognized = true;
            }
            note_error(&mut ipvs, trimmed);
        }
    }
    if !recognized {
        if let Some(e) = nothing_recognized(text, "IPVS table") {
            return Err(e);
        }
    }
    Ok(ipvs)
}

fn note_error(ipvs: &mut Ipvs, line: &str) {
    if ipvs.error.is_none() && looks_like_error(line) {
        ipvs.error = Some(line.to_string());
    }
}

fn looks_like_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "can't", "cannot", "error", "fail", "denied", "no such", "unable", "not ", "problem",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// `FWM  257 rr`, `FWM  257 IPv6 rr`, `TCP  10.96.0.10:53 rr persistent 10800`,
/// or in `--stats`: `FWM  257   1520   9120   6080  608000  1824M`.
fn listed_service(toks: &[&str], mode: Mode, n: usize) -> Option<IpvsService> {
    let proto = *toks.first()?;
    let target = *toks.get(1)?;
    let kind = service_key(proto, target)?;
    let mut rest = toks.get(2..).unwrap_or(&[]);
    let mut ipv6 = target.starts_with('[');
    if rest.first() == Some(&"IPv6") {
        ipv6 = true;
        rest = rest.get(1..).unwrap_or(&[]);
    }
    let mut svc = IpvsService {
        line: n,
        kind,
        scheduler: None,
        flags: Vec::new(),
        persistent: None,
        ipv6,
        stats: None,
        backends: Vec::new(),
    };
    match mode {
        Mode::Stats => svc.stats = stats(rest),
        Mode::Rate => {}
        _ => {
            svc.scheduler = Some(rest.first()?.to_string());
            let flags = rest.get(1..).unwrap_or(&[]);
            svc.persistent = flags
                .windows(2)
                .find(|w| w.first() == Some(&"persistent"))
                .and_then(|w| w.get(1)?.parse().ok());
            svc.flags = flags.iter().map(|s| s.to_string()).collect();
        }
    }
    Some(svc)
}

fn service_key(proto: &str, target: &str) -> Option<ServiceKey> {
    Some(match proto {
        "FWM" | "-f" | "--fwmark-service" => ServiceKey::Fwm(target.parse().ok()?),
        "TCP" | "-t" | "--tcp-service" => ServiceKey::Tcp(target.to_string()),
        "UDP" | "-u" | "--udp-service" => ServiceKey::Udp(target.to_string()),
        "SCTP" | "--sctp-service" => ServiceKey::Sctp(target.to_string()),
        _ => return None,
    })
}

fn stats(nums: &[&str]) -> Option<Stats> {
    let v: Vec<u64> = nums
        .iter()
        .map(|s| parse_scaled(s))
        .collect::<Option<_>>()?;
    match v.as_slice() {
        [conns, in_pkts, out_pkts, in_bytes, out_bytes, ..] => Some(Stats {
            conns: *conns,
            in_pkts: *in_pkts,
            out_pkts: *out_pkts,
            in_bytes: *in_bytes,
            out_bytes: *out_bytes,
        }),
        _ => None,
    }
}

/// `-> 10.0.1.3:0  Masq 1 0 3` (columns depend on the listing mode).
fn listed_backend(toks: &[&str], mode: Mode, n: usize) -> Option<Backend> {
    let mut b = backend_addr(toks.get(1)?, n)?;
    let cols = toks.get(2..).unwrap_or(&[]);
    let num = |i: usize| cols.get(i).and_then(|s| s.parse::<u64>().ok());
    match mode {
        Mode::Normal => {
            b.forward = Some(cols.first()?.to_string());
            b.weight = Some(cols.get(1)?.parse().ok()?);
            b.active = num(2);
            b.inactive = num(3);
        }
        Mode::Stats => b.stats = stats(cols),
        Mode::Rate => {}
        Mode::Thresholds => {
            b.active = num(2);
            b.inactive = num(3);
        }
        Mode::PersistConn => {
            b.weight = cols.first().and_then(|s| s.parse().ok());
            b.active = num(2);
            b.inactive = num(3);
        }
    }
    Some(b)
}

/// `10.0.1.3:0`, `[fd00::5]:80`, `ip-10-0-62-92.ec2.internal:9`, `web1:http`.
fn backend_addr(s: &str, n: usize) -> Option<Backend> {
    let (addr, port) = match s.rsplit_once(':') {
        Some((a, p)) if !a.is_empty() && (a.starts_with('[') || !a.contains(':')) => (a, Some(p)),
        _ => (s, None),
    };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    if addr.is_empty() {
        return None;
    }
    Some(Backend {
        line: n,
        addr: addr.to_string(),
        ip: addr.parse().ok(),
        port: port.and_then(|p| p.parse().ok()),
        forward: None,
        weight: None,
        active: None,
        inactive: None,
        stats: None,
    })
}

/// `-A -f 257 -s rr [-p 300] [-6]` or `-a -f 257 -r 10.0.1.3:0 -m -w 1`.
fn rule_line(toks: &[&str], n: usize, services: &mut Vec<IpvsService>) -> bool {
    let mut key = None;
    let (mut sched, mut real, mut fwd, mut weight, mut persistent) = (None, None, None, None, None);
    let mut ipv6 = false;
    let mut flags = Vec::new();
    let mut i = 1;
    while let Some(&tok) = toks.get(i) {
        let val = toks.get(i + 1).copied();
        match tok {
            "-f" | "-t" | "-u" | "--fwmark-service" | "--tcp-service" | "--udp-service"
            | "--sctp-service" => {
                key = val.and_then(|v| service_key(tok, v));
                ipv6 |= val.is_some_and(|v| v.starts_with('['));
            }
            "-s" | "--scheduler" => sched = val.map(str::to_string),
            "-r" | "--real-server" => real = val,
            "-w" | "--weight" => weight = val.and_then(|v| v.parse::<i64>().ok()),
            "-p" | "--persistent" => {
                flags.push("persistent".to_string());
                match val.and_then(|v| v.parse::<u32>().ok()) {
                    Some(p) => {
                        persistent = Some(p);
                        flags.push(p.to_string());
                    }
                    None => {
                        i += 1;
                        continue;
                    }
                }
            }
            "-M" | "--netmask" => {
                flags.extend(["mask".to_string(), val.unwrap_or_default().to_string()])
            }
            "-m" | "--masquerading" | "-g" | "--gatewaying" | "-i" | "--ipip" | "-6" | "--ipv6"
            | "ops" | "-o" | "--ops" => {
                match tok {
                    "-m" | "--masquerading" => fwd = Some("Masq"),
                    "-g" | "--gatewaying" => fwd = Some("Route"),
                    "-i" | "--ipip" => fwd = Some("Tunnel"),
                    "-6" | "--ipv6" => ipv6 = true,
                    _ => flags.push("ops".to_string()),
                }
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let Some(key) = key else { return false };
    if toks.first() == Some(&"-A") {
        services.push(IpvsService {
            line: n,
            kind: key,
            scheduler: sched,
            flags,
            persistent,
            ipv6,
            stats: None,
            backends: Vec::new(),
        });
        return true;
    }
    let Some(mut b) = real.and_then(|r| backend_addr(r, n)) else {
        return false;
    };
    b.forward = fwd.map(str::to_string);
    b.weight = weight;
    let pos = match services.iter().rposition(|s| s.kind == key) {
        Some(p) => p,
        None => {
            // A real server saved without its service line: keep it anyway.
            services.push(IpvsService {
                line: n,
                kind: key,
                scheduler: None,
                flags: Vec::new(),
                persistent: None,
                ipv6,
                stats: None,
                backends: Vec::new(),
            });
            services.len() - 1
        }
    };
    if let Some(svc) = services.get_mut(pos) {
        svc.backends.push(b);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seed 001: `ipvsadm` in a 17.x task container namespace.
    const SEED: &str = "\
/ # ipvsadm
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  257 rr
  -> 10.0.0.3:0                   Masq    1      0          0
FWM  259 rr
  -> 10.0.0.5:0                   Masq    1      0          0
  -> 10.0.0.6:0                   Masq    1      0          0
";

    #[test]
    fn seed_001_fwm_services() {
        let t = parse(SEED).unwrap();
        assert!(t.available);
        assert_eq!(t.version.as_deref(), Some("1.2.1"));
        // The shell prompt line is not an error.
        assert_eq!(t.error, None);
        assert_eq!(t.services.len(), 2);
        let s = &t.services[1];
        assert_eq!(s.kind, ServiceKey::Fwm(259));
        assert_eq!(s.fwmark(), Some(0x103));
        assert_eq!(s.scheduler.as_deref(), Some("rr"));
        assert_eq!(s.line, 7);
        let ips: Vec<_> = s.backends.iter().map(|b| b.addr.as_str()).collect();
        assert_eq!(ips, ["10.0.0.5", "10.0.0.6"]);
        assert_eq!(s.backends[0].port, Some(0));
        assert_eq!(s.backends[0].forward.as_deref(), Some("Masq"));
        assert!(s.backends[1].serving());
        assert_eq!(s.backends[1].line, 9);
    }

    #[test]
    fn formats_sample_weight_zero_no_backends_and_padding() {
        // [R] formats.md §8, with the `%-10u` trailing spaces.
        let text = "IP Virtual Server version 1.2.1 (size=4096)\r
Prot LocalAddress:Port Scheduler Flags\r
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\r
FWM  257 rr\r
  -> 10.0.1.3:0                   Masq    1      0          3         \r
  -> 10.0.1.4:0                   Masq    1      1          2         \r
  -> 10.0.1.6:0                   Masq    0      0          5         \r
FWM  258 rr\r
TCP  10.96.0.10:53 rr persistent 10800\r
  -> 172.17.0.4:53                Masq    1      0          0         \r
FWM  260 IPv6 rr\r
  -> [fd00::5]:0                  Route   1      0          0         \r
";
        let t = parse(text).unwrap();
        assert_eq!(t.error, None);
        assert_eq!(t.services.len(), 4);
        let s257 = &t.services[0];
        assert_eq!(s257.backends.len(), 3);
        assert_eq!(s257.backends[2].weight, Some(0));
        assert!(!s257.backends[2].serving());
        assert_eq!(s257.backends[2].inactive, Some(5));
        assert_eq!(s257.backends[1].active, Some(1));
        assert!(t.services[1].backends.is_empty());
        assert_eq!(t.services[1].fwmark(), Some(258));
        let tcp = &t.services[2];
        assert_eq!(tcp.kind, ServiceKey::Tcp("10.96.0.10:53".into()));
        assert_eq!(tcp.persistent, Some(10800));
        assert_eq!(tcp.flags, ["persistent", "10800"]);
        let v6 = &t.services[3];
        assert!(v6.ipv6);
        assert_eq!(v6.scheduler.as_deref(), Some("rr"));
        assert_eq!(v6.backends[0].ip, Some("fd00::5".parse().unwrap()));
        assert_eq!(v6.backends[0].forward.as_deref(), Some("Route"));
    }

    #[test]
    fn stats_listing_with_suffixes() {
        let text = "\
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
FWM  257                              1520     9120     6080   608000    1824M
  -> 10.0.1.3:0                        760     4560     3040   304000  912000K
";
        let t = parse(text).unwrap();
        let s = &t.services[0];
        assert_eq!(s.scheduler, None);
        assert_eq!(s.stats.unwrap().out_bytes, 1_824_000_000);
        assert_eq!(s.backends[0].stats.unwrap().out_bytes, 912_000_000);
        assert_eq!(s.backends[0].weight, None);
        assert_eq!(s.backends[0].forward, None);
    }

    #[test]
    fn save_format() {
        let text = "-A -f 257 -s rr\n-a -f 257 -r 10.0.1.3:0 -m -w 1\n-a -f 257 -r 10.0.1.6:0 -m -w 0\n-A -t 10.0.0.9:80 -s wrr -p 300\n-a -f 300 -r 10.0.2.2:0 -g -w 1\n";
        let t = parse(text).unwrap();
        assert_eq!(t.version, None);
        assert_eq!(t.services.len(), 3);
        assert_eq!(t.services[0].backends.len(), 2);
        assert_eq!(t.services[0].backends[1].weight, Some(0));
        assert_eq!(t.services[0].backends[0].forward.as_deref(), Some("Masq"));
        assert_eq!(t.services[1].persistent, Some(300));
        assert_eq!(t.services[1].scheduler.as_deref(), Some("wrr"));
        assert_eq!(t.services[2].fwmark(), Some(300));
        assert_eq!(t.services[2].backends[0].forward.as_deref(), Some("Route"));
    }

    #[test]
    fn unavailable_and_failures() {
        let t = parse("Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n").unwrap();
        assert!(!t.available);
        assert_eq!(
            t.error.as_deref(),
            Some("Can't initialize ipvs: Protocol not available")
        );
        assert!(t.services.is_empty());
        let e = parse(
            "nsenter: cannot open /var/run/docker/netns/lb_abcdefghi: No such file or directory\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(1));
        let empty = parse("").unwrap();
        assert!(empty.available && empty.services.is_empty() && empty.version.is_none());
    }

    #[test]
    fn unresolved_names_without_n() {
        let text = "\
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  web.example.internal:http rr
  -> ip-10-0-62-92.ec2.internal:9 Masq    1      0          0
TCP  a-very-long-service-hostname.exa rr
  -> ip-10-0-62-92.ec2.internal:9 Masq    1      0          0
";
        let t = parse(text).unwrap();
        let b = &t.services[0].backends[0];
        assert_eq!(b.addr, "ip-10-0-62-92.ec2.internal");
        assert_eq!(b.ip, None);
        assert_eq!(b.port, Some(9));
        assert_eq!(
            t.services[0].kind,
            ServiceKey::Tcp("web.example.internal:http".into())
        );
        // `svc_name[33]` cut the port off; the service survives.
        assert_eq!(t.services[1].backends.len(), 1);
        assert_eq!(t.services[1].scheduler.as_deref(), Some("rr"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "((FWM  [0-9]{0,4}( IPv6)?( rr)?|TCP  [0-9.:\\[\\]]{0,10}( rr persistent)?|  -> [0-9.:\\[\\]a-z]{0,10}( [A-Za-z]{0,5})?( -?[0-9KM]{0,4}){0,5}|-[Aa]( -[ftursmgw6p]( [0-9.:]{0,6})?){0,5}|Prot LocalAddress:Port( Conns| CPS| Uthreshold)?)\n){0,6}") {
            let _ = parse(&s);
        }
    }
}
