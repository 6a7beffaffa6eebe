//! What `swarmdiag analyze` must report on each lab scenario's bundles:
//! shared by `tests/lab_e2e.rs` (fresh bundles from the running lab) and
//! `tests/lab_bundles.rs` (the committed capture in `testdata/lab`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Failures(Vec<String>);
impl Failures {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
}

/// What `swarmdiag analyze <scenario bundles> --format json` must report.
pub struct Expect {
    pub scenario: &'static str,
    /// Every id here must be among `findings[].id`.
    pub all: &'static [&'static str],
    /// For each group, at least one of its ids must be reported.
    pub any: &'static [&'static [&'static str]],
    /// When set: no finding at severity error/critical except these ids.
    pub severe_only: Option<&'static [&'static str]>,
    /// The root causes besides the one "no IPVS" cause (exactly these, in
    /// any order), each with ids it must explain.
    pub verdict: &'static [(&'static str, &'static [&'static str])],
}

/// The expected finding ids, one row per scenario directory.
/// `KMOD-01` (IPVS missing) is expected only where the kernel lacks IPVS, as
/// this project's lab machines do: [`check_analyze`] is told whether it is.
pub const EXPECTED: &[Expect] = &[
    Expect {
        scenario: "healthy",
        all: &["KMOD-01"],
        any: &[],
        severe_only: Some(&["KMOD-01", "SW108", "SW601"]),
        verdict: &[],
    },
    Expect {
        scenario: "exhausted",
        all: &["IPAM-01", "IPAM-02", "SW301"],
        any: &[],
        severe_only: None,
        verdict: &[("SW301", &["IPAM-01", "IPAM-02"])],
    },
    Expect {
        scenario: "gossip-blocked",
        all: &["SW605"],
        any: &[&[
            "GOS-01", "GOS-02", "GOS-03", "GOS-04", "GOS-05", "GOS-06", "GOS-07", "GOS-08",
            "GOS-09",
        ]],
        severe_only: None,
        verdict: &[("SW605", &[])],
    },
    Expect {
        scenario: "gossip-blocked-before",
        // The same swarm just before node3's firewall drops 7946: healthy.
        all: &["KMOD-01"],
        any: &[],
        severe_only: Some(&["KMOD-01", "SW108", "SW601"]),
        verdict: &[],
    },
    Expect {
        scenario: "drained-before",
        all: &["KMOD-01"],
        any: &[],
        severe_only: Some(&["KMOD-01", "SW108", "SW601"]),
        verdict: &[],
    },
    Expect {
        scenario: "drained",
        all: &["SW404"],
        any: &[],
        severe_only: None,
        verdict: &[],
    },
    Expect {
        scenario: "daemon-down",
        all: &["SW405"],
        any: &[],
        severe_only: None,
        verdict: &[("SW405", &[])],
    },
    Expect {
        scenario: "daemon-restart",
        // Back up and converged: nothing severe beyond the lab's missing IPVS;
        // the restart itself shows in the timeline and in the diff from
        // daemon-down (asserted by the diff/timeline checks below).
        all: &[],
        any: &[],
        severe_only: Some(&["KMOD-01", "SW108", "SW601"]),
        verdict: &[],
    },
    Expect {
        scenario: "mtu-mismatch",
        // node3's link carries 1400 bytes, the overlays 1450 + 50.
        all: &["SW604"],
        any: &[],
        severe_only: None,
        verdict: &[("SW604", &[])],
    },
];

/// `swarmdiag analyze <bundles> --format json` against the expectation table.
pub fn check_analyze(bin: &Path, expect: &Expect, dir: &Path, ipvs_missing: bool) -> Vec<String> {
    let mut f = Failures(Vec::new());
    check_analyze_into(&mut f, bin, expect, dir, ipvs_missing);
    f.0
}

fn check_analyze_into(
    f: &mut Failures,
    bin: &Path,
    expect: &Expect,
    dir: &Path,
    ipvs_missing: bool,
) {
    let nodes = node_dirs(dir);
    let out = match Command::new(bin)
        .arg("analyze")
        .args(&nodes)
        .args(["--format", "json"])
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            return f
                .0
                .push(format!("{}: cannot run swarmdiag: {e}", expect.scenario))
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(_) => {
            return f.0.push(format!(
                "{}: `swarmdiag analyze --format json` gave no JSON report (exit {:?}); is the analyze subcommand wired? stderr: {}",
                expect.scenario,
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).chars().take(400).collect::<String>()
            ))
        }
    };
    let empty = Vec::new();
    let findings = report["findings"].as_array().unwrap_or(&empty);
    let ids: BTreeSet<&str> = findings.iter().filter_map(|x| x["id"].as_str()).collect();
    eprintln!("lab: {}: findings {ids:?}", expect.scenario);
    for id in expect.all {
        if *id == "KMOD-01" && !ipvs_missing {
            continue;
        }
        f.check(ids.contains(id), || {
            format!("{}: finding {id} missing (got {ids:?})", expect.scenario)
        });
    }
    for group in expect.any {
        f.check(group.iter().any(|id| ids.contains(id)), || {
            format!(
                "{}: none of {group:?} reported (got {ids:?})",
                expect.scenario
            )
        });
    }
    let mut problems = crate::verdict::invariant_problems(&report);
    let roots = crate::verdict::without_no_ipvs(&report, ipvs_missing, &mut problems);
    let mut want: Vec<&str> = expect.verdict.iter().map(|(id, _)| *id).collect();
    want.sort();
    let mut got: Vec<&str> = roots.iter().map(String::as_str).collect();
    got.sort();
    if want != got {
        problems.push(format!("root causes {got:?}, want {want:?}"));
    }
    for (id, must) in expect.verdict {
        let listed = crate::verdict::root(&report, id)
            .map(crate::verdict::explains)
            .unwrap_or_default();
        for m in *must {
            if !listed.iter().any(|l| l == m) {
                problems.push(format!("root cause {id} does not explain {m} ({listed:?})"));
            }
        }
    }
    for p in problems {
        f.0.push(format!("{}: verdict: {p}", expect.scenario));
    }
    if let Some(allowed) = expect.severe_only {
        for x in findings {
            let sev = x["severity"].as_str().unwrap_or("");
            let id = x["id"].as_str().unwrap_or("");
            f.check(
                !matches!(sev, "error" | "critical") || allowed.contains(&id),
                || {
                    format!(
                        "{}: unexpected {sev} finding {id}: {}",
                        expect.scenario, x["title"]
                    )
                },
            );
        }
    }
}

pub fn node_dirs(scenario: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(scenario)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.is_dir()
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    v.sort();
    v
}
