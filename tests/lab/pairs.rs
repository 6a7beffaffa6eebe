//! `swarmdiag diff` and `swarmdiag timeline` on the lab's real before/after
//! pairs (tests/lab/scenarios): the same swarm collected before and after a
//! fault. Shared by `tests/lab_e2e.rs` (fresh lab bundles) and
//! `tests/lab_bundles.rs` (the committed `testdata/lab`), so both assert the
//! same facts.
//!
//! - `daemon-down` → `daemon-restart`: node3's dockerd stopped, then started.
//! - `drained-before` → `drained`: `docker node update --availability drain node3`.
//! - `gossip-blocked-before` → `gossip-blocked`: node3's iptables drops 7946 to/from node2.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The node every lab fault is done to.
const NODE: &str = "node3";

/// Collects failures instead of stopping at the first.
pub struct Checks(pub Vec<String>);

impl Checks {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
}

/// `swarmdiag <args> --format json`: exit code and parsed stdout.
fn run_json(bin: &Path, args: &[&Path], sub: &str) -> Result<(i32, Value), String> {
    let out = Command::new(bin)
        .arg(sub)
        .args(args)
        .args(["--format", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "swarmdiag {sub} {args:?}: no JSON (exit {code}): {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(400)
                .collect::<String>()
        )
    })?;
    Ok((code, v))
}

fn time_of(v: &Value) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(v.as_str()?, &Rfc3339).ok()
}

/// The latest `collected_at` of a scenario's bundles: the fault came after it.
fn last_collected(dir: &Path) -> Option<OffsetDateTime> {
    let rd = fs::read_dir(dir).ok()?;
    let mut nodes: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    nodes.retain(|p| p.join("manifest.json").is_file());
    nodes
        .iter()
        .filter_map(|p| {
            let m: Value =
                serde_json::from_str(&fs::read_to_string(p.join("manifest.json")).ok()?).ok()?;
            time_of(&m["collected_at"])
        })
        .max()
}

fn empty() -> &'static Vec<Value> {
    static EMPTY: Vec<Value> = Vec::new();
    &EMPTY
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or(empty())
}

/// `ids` of `findings.<which>`.
fn finding_ids(diff: &Value, which: &str) -> Vec<String> {
    list(&diff["findings"], which)
        .iter()
        .filter_map(|f| f["id"].as_str().map(String::from))
        .collect()
}

/// The diff's exit code is 1 exactly when a new finding reaches `error`
/// (the default `--fail-on`), else 0.
/// The diff exits 1 exactly when a new or spread finding (worse after) is
/// at error or above.
fn check_exit(c: &mut Checks, pair: &str, code: i32, diff: &Value) {
    let severe_new = ["new", "spread"].iter().any(|which| {
        list(&diff["findings"], which)
            .iter()
            .any(|f| matches!(f["severity"].as_str(), Some("error" | "critical")))
    });
    let want = i32::from(severe_new);
    c.check(code == want, || {
        format!(
            "{pair}: diff exit {code}, want {want} (new findings {:?}, spread {:?})",
            finding_ids(diff, "new"),
            finding_ids(diff, "spread")
        )
    });
}

/// The `changed` entry of `nodes[]` for `name` has `field` going `before` → `after`.
fn check_node_field(
    c: &mut Checks,
    pair: &str,
    diff: &Value,
    name: &str,
    (field, before, after): (&str, &str, &str),
) {
    let node = list(diff, "nodes").iter().find(|n| n["name"] == name);
    let ok = node.is_some_and(|n| {
        n["change"] == "changed"
            && list(n, "fields")
                .iter()
                .any(|f| f["field"] == field && f["before"] == before && f["after"] == after)
    });
    c.check(ok, || {
        format!(
            "{pair}: diff nodes[] lacks {name} {field} {before} → {after}; got {}",
            serde_json::to_string(&diff["nodes"]).unwrap_or_default()
        )
    });
}

/// Timeline entries, with their parsed time; entries must be in time order.
fn entries(c: &mut Checks, label: &str, tl: &Value) -> Vec<(OffsetDateTime, Value)> {
    let mut out = Vec::new();
    for e in list(tl, "entries") {
        match time_of(&e["time"]) {
            Some(t) => out.push((t, e.clone())),
            None => {
                c.0.push(format!("{label}: timeline entry without a time: {e}"))
            }
        }
    }
    c.check(out.windows(2).all(|w| w[0].0 <= w[1].0), || {
        format!("{label}: timeline entries not in time order")
    });
    out
}

fn kind_is(e: &Value, kinds: &[&str]) -> bool {
    kinds.iter().any(|k| e["kind"] == *k)
}

fn has_rule(e: &Value, pred: impl Fn(&str) -> bool) -> bool {
    list(e, "rules")
        .iter()
        .any(|r| r.as_str().is_some_and(&pred))
}

/// (a) node3's dockerd stopped while active, then started again.
fn daemon_restart(c: &mut Checks, bin: &Path, root: &Path) {
    let pair = "daemon-down → daemon-restart";
    let (before, after) = (root.join("daemon-down"), root.join("daemon-restart"));
    match run_json(bin, &[&before, &after], "diff") {
        Ok((code, diff)) => {
            check_exit(c, pair, code, &diff);
            check_node_field(c, pair, &diff, NODE, ("state", "down", "ready"));
            c.check(
                finding_ids(&diff, "resolved").iter().any(|i| i == "SW405"),
                || {
                    format!(
                        "{pair}: SW405 (node down) not resolved; resolved {:?}",
                        finding_ids(&diff, "resolved")
                    )
                },
            );
        }
        Err(e) => c.0.push(e),
    }
    let tl = match run_json(bin, &[&after], "timeline") {
        Ok((code, tl)) => {
            c.check(code == 0, || {
                format!("daemon-restart: timeline exit {code}")
            });
            tl
        }
        Err(e) => return c.0.push(e),
    };
    let all = entries(c, "daemon-restart", &tl);
    let node3: Vec<&(OffsetDateTime, Value)> =
        all.iter().filter(|(_, e)| e["node"] == NODE).collect();
    // The stop, then a start after it, then ready after that start.
    let stop = node3
        .iter()
        .rposition(|(_, e)| kind_is(e, &["daemon_stopping", "daemon_stopped"]));
    let start = stop.and_then(|s| {
        node3
            .iter()
            .skip(s + 1)
            .position(|(_, e)| kind_is(e, &["daemon_start"]))
            .map(|p| p + s + 1)
    });
    let ready = start.and_then(|s| {
        node3
            .iter()
            .skip(s + 1)
            .position(|(_, e)| kind_is(e, &["daemon_ready"]))
            .map(|p| p + s + 1)
    });
    let kinds = || {
        node3
            .iter()
            .map(|(_, e)| e["kind"].as_str().unwrap_or("?"))
            .filter(|k| k.starts_with("daemon"))
            .collect::<Vec<_>>()
    };
    c.check(stop.is_some() && start.is_some() && ready.is_some(), || {
        format!(
            "daemon-restart: timeline lacks node3 stop → start → ready; node3's daemon events {:?}",
            kinds()
        )
    });
    // The stop came before node3 was collected down, the start after.
    let down_at = last_collected(&before);
    if let (Some(s), Some(st), Some(down)) = (stop, start, down_at) {
        let (ts, tst) = (node3[s].0, node3[st].0);
        c.check(ts < down && tst > down, || {
            format!("daemon-restart: node3 stop {ts} / start {tst} vs daemon-down collected {down}")
        });
    }
}

/// (b) node3 drained.
fn drained(c: &mut Checks, bin: &Path, root: &Path) {
    let pair = "drained-before → drained";
    let (before, after) = (root.join("drained-before"), root.join("drained"));
    match run_json(bin, &[&before, &after], "diff") {
        Ok((code, diff)) => {
            check_exit(c, pair, code, &diff);
            check_node_field(c, pair, &diff, NODE, ("availability", "active", "drain"));
            c.check(
                finding_ids(&diff, "new").iter().any(|i| i == "SW404"),
                || {
                    format!(
                        "{pair}: SW404 (drained node) not new; new {:?}",
                        finding_ids(&diff, "new")
                    )
                },
            );
        }
        Err(e) => c.0.push(e),
    }
    // At log level info no daemon logs the drain call (`Calling POST
    // /nodes/…/update` is debug), so the timeline has it from the node
    // object: `node_status` with node3's UpdatedAt; `node_update` if logged.
    let tl = match run_json(bin, &[&after], "timeline") {
        Ok((_, tl)) => tl,
        Err(e) => return c.0.push(e),
    };
    let all = entries(c, "drained", &tl);
    let drain = all.iter().find(|(_, e)| {
        kind_is(e, &["node_update", "node_status"])
            && (e["node"] == NODE || list(e, "subject_nodes").iter().any(|n| n == NODE))
            && e["text"].as_str().is_some_and(|t| t.contains("drain"))
    });
    let before_at = last_collected(&before);
    match (drain, before_at) {
        (Some((t, _)), Some(b)) => c.check(*t > b, || {
            format!("drained: node3's drain at {t}, not after drained-before was collected ({b})")
        }),
        _ => c.0.push(format!(
            "drained: no node_update/node_status drain event for node3 (or no collected_at before); node events: {:?}",
            all.iter()
                .filter(|(_, e)| kind_is(e, &["node_update", "node_status"]))
                .map(|(_, e)| e["text"].as_str().unwrap_or("?"))
                .collect::<Vec<_>>()
        )),
    }
}

/// (c) node3's firewall drops gossip to and from node2.
fn gossip_blocked(c: &mut Checks, bin: &Path, root: &Path) {
    let pair = "gossip-blocked-before → gossip-blocked";
    let (before, after) = (
        root.join("gossip-blocked-before"),
        root.join("gossip-blocked"),
    );
    match run_json(bin, &[&before, &after], "diff") {
        Ok((code, diff)) => {
            check_exit(c, pair, code, &diff);
            c.check(code == 1, || format!("{pair}: diff exit {code}, want 1"));
            let new = finding_ids(&diff, "new");
            c.check(new.iter().any(|i| i == "SW605"), || {
                format!("{pair}: SW605 not new; new {new:?}")
            });
            c.check(new.iter().any(|i| i.starts_with("GOS-")), || {
                format!("{pair}: no new GOS-* finding; new {new:?}")
            });
            let mut before_too = finding_ids(&diff, "persisting");
            before_too.extend(finding_ids(&diff, "spread"));
            c.check(
                !before_too
                    .iter()
                    .any(|i| i == "SW605" || i.starts_with("GOS-")),
                || format!("{pair}: gossip findings already before: {before_too:?}"),
            );
            let host = list(&diff, "iptables")
                .iter()
                .find(|i| i["node"] == NODE && i["namespace"] == "host" && i["table"] == "filter");
            let text = host.and_then(|h| h["diff"].as_str()).unwrap_or("");
            let added: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("+-A ") && l.ends_with("--dport 7946 -j DROP"))
                .collect();
            let has = |chain: &str, proto: &str| {
                added.iter().any(|l| {
                    l.starts_with(&format!("+-A {chain} ")) && l.contains(&format!("-p {proto} "))
                })
            };
            c.check(
                has("INPUT", "tcp")
                    && has("INPUT", "udp")
                    && has("OUTPUT", "tcp")
                    && has("OUTPUT", "udp"),
                || {
                    format!(
                        "{pair}: node3 host filter diff lacks the added 7946 DROP rules:\n{text}"
                    )
                },
            );
            c.check(
                !text
                    .lines()
                    .any(|l| l.starts_with("-") && !l.starts_with("---") && l.contains("7946")),
                || format!("{pair}: node3 host filter diff removes a 7946 rule:\n{text}"),
            );
        }
        Err(e) => c.0.push(e),
    }
    let gossip = |e: &Value| has_rule(e, |r| r.starts_with("GOS-"));
    match run_json(bin, &[&before], "timeline") {
        Ok((_, tl)) => {
            let n = list(&tl, "entries").iter().filter(|e| gossip(e)).count();
            c.check(n == 0, || {
                format!("gossip-blocked-before: {n} gossip failure events before the block")
            });
        }
        Err(e) => c.0.push(e),
    }
    let tl = match run_json(bin, &[&after], "timeline") {
        Ok((_, tl)) => tl,
        Err(e) => return c.0.push(e),
    };
    let all = entries(c, "gossip-blocked", &tl);
    let failures: Vec<&(OffsetDateTime, Value)> = all.iter().filter(|(_, e)| gossip(e)).collect();
    c.check(!failures.is_empty(), || {
        "gossip-blocked: timeline has no gossip failure event (rules GOS-*)".into()
    });
    // The block was put in after every before bundle was collected.
    if let Some(b) = last_collected(&before) {
        let early: Vec<String> = failures
            .iter()
            .filter(|(t, _)| *t <= b)
            .map(|(t, e)| format!("{t} {}", e["text"]))
            .collect();
        c.check(early.is_empty(), || {
            format!("gossip-blocked: gossip failures before the block ({b}): {early:?}")
        });
    } else {
        c.0.push("gossip-blocked-before: no collected_at".into());
    }
    c.check(failures.iter().any(|(_, e)| e["node"] == NODE), || {
        "gossip-blocked: no gossip failure logged by node3 itself".into()
    });
}

/// Every pair check; the failures (empty when all hold).
pub fn check_pairs(bin: &Path, root: &Path) -> Vec<String> {
    let mut c = Checks(Vec::new());
    daemon_restart(&mut c, bin, root);
    drained(&mut c, bin, root);
    gossip_blocked(&mut c, bin, root);
    c.0
}
