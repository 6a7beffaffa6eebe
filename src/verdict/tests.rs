//! The verdict on synthetic findings: links hold only when their condition
//! does, matching stays linear, guesses are kept apart, and the causal
//! graph is checked when rules load.

use super::link::links;
use super::scope::Scope;
use super::*;
use crate::rules::RuleSet;

fn finding(id: &str, severity: Severity, subject: Option<&str>, nodes: &[&str]) -> Finding {
    Finding {
        id: id.into(),
        title: format!("{id} title"),
        severity,
        subject: subject.map(String::from),
        nodes: nodes.iter().map(|n| n.to_string()).collect(),
        count: 1,
        first_seen: None,
        last_seen: None,
        detail: String::new(),
        evidence: Vec::new(),
        explanation: String::new(),
        remediation: String::new(),
        references: Vec::new(),
    }
}

fn on_network(net: &str) -> Scope {
    Scope {
        networks: [net.to_string()].into(),
        ..Scope::default()
    }
}

fn rules() -> RuleSet {
    RuleSet::embedded().unwrap()
}

/// SW301 explains SW501 on the same network. With 40,000 short services
/// on 40,000 networks, the exhausted network's one service is found by
/// looking it up, not by trying every pair: one candidate is examined.
/// With all 40,000 on that network, the work is the 40,000 links found.
#[test]
fn matching_looks_up_candidates_instead_of_scanning_pairs() {
    const N: usize = 40_000;
    let mut findings = vec![finding(
        "SW301",
        Severity::Critical,
        Some("network net7"),
        &[],
    )];
    let mut scopes = vec![on_network("net7")];
    for i in 0..N {
        let svc = format!("service s{i}");
        findings.push(finding("SW501", Severity::Error, Some(&svc), &[]));
        scopes.push(on_network(&format!("net{i}")));
    }
    let (found, examined) = links(&findings, &scopes, &rules());
    assert_eq!(found.len(), 1);
    assert_eq!(
        findings[found[0].effect].subject.as_deref(),
        Some("service s7")
    );
    assert_eq!(examined, 1, "one candidate shares the network");

    let same: Vec<Scope> = (0..=N).map(|_| on_network("net7")).collect();
    let (found, examined) = links(&findings, &same, &rules());
    assert_eq!((found.len(), examined), (N, N));
}

fn judge_scoped(findings: &mut [Finding], scopes: &[Scope], rules: &RuleSet) -> Verdict {
    let (l, _) = links(findings, scopes, rules);
    build(findings, scopes, l, rules, &NotRun::new())
}

/// IPAM-02 on another network than the exhausted one is not explained by
/// it: it surfaces as its own root cause.
#[test]
fn a_link_applies_only_when_its_condition_holds() {
    let mut findings = vec![
        finding("SW301", Severity::Critical, Some("network a"), &["n1"]),
        finding("IPAM-02", Severity::Error, None, &["n1"]),
    ];
    let v = judge_scoped(&mut findings, &[on_network("a"), on_network("a")], &rules());
    let ids: Vec<&str> = v.root_causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SW301"]);
    assert_eq!(v.root_causes[0].explains, ["IPAM-02"]);

    let v = judge_scoped(&mut findings, &[on_network("a"), on_network("b")], &rules());
    let ids: Vec<&str> = v.root_causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SW301", "IPAM-02"]);
    assert!(v.root_causes.iter().all(|c| c.explains.is_empty()));
}

/// `earlier`: a gossip failure before the firewall reload is not its effect.
#[test]
fn earlier_needs_both_times_in_order() {
    let at = |s: i64| Some(time::OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap());
    let scope = |t| Scope {
        nodes: ["w1".to_string()].into(),
        first_seen: t,
        ..Scope::default()
    };
    let mut findings = vec![
        finding("IPT-03", Severity::Error, None, &["w1"]),
        finding("GOS-08", Severity::Error, None, &["w1"]),
    ];
    for (reload, gossip, linked) in [
        (at(0), at(5), true),
        (at(5), at(0), false),
        (None, at(0), false),
    ] {
        let (l, _) = links(&findings, &[scope(reload), scope(gossip)], &rules());
        assert_eq!(!l.is_empty(), linked, "{reload:?} {gossip:?}");
    }
    let v = judge_scoped(&mut findings, &[scope(at(5)), scope(at(0))], &rules());
    assert_eq!(v.root_causes.len(), 2);
}

/// UPG-03 (a version guess) whose effect check ran and found nothing is
/// ruled out and lowered to info; one whose check could not run is
/// unconfirmed and at most a warning; one whose effect is there is a root
/// cause.
#[test]
fn guesses_are_confirmed_ruled_out_or_unconfirmed() {
    let scope = Scope {
        nodes: ["n1".to_string()].into(),
        ..Scope::default()
    };
    let rules = rules();
    let mut alone = vec![finding("UPG-01", Severity::Error, None, &["n1"])];
    let (l, _) = links(&alone, std::slice::from_ref(&scope), &rules);
    let v = build(
        &mut alone,
        std::slice::from_ref(&scope),
        l,
        &rules,
        &NotRun::new(),
    );
    assert!(v.root_causes.is_empty());
    assert_eq!(v.guesses[0].status, GuessStatus::RuledOut);
    assert_eq!(alone[0].severity, Severity::Info);

    let mut alone = vec![finding("UPG-01", Severity::Error, None, &["n1"])];
    let not_run: NotRun = [
        ("IPAM-01", "needs logs"),
        ("IPAM-06", "needs logs"),
        ("NET-01", "needs logs"),
    ]
    .into();
    let (l, _) = links(&alone, std::slice::from_ref(&scope), &rules);
    let v = build(
        &mut alone,
        std::slice::from_ref(&scope),
        l,
        &rules,
        &not_run,
    );
    assert_eq!(v.guesses[0].status, GuessStatus::Unconfirmed);
    assert!(
        v.guesses[0].reason.contains("needs logs"),
        "{}",
        v.guesses[0].reason
    );
    assert_eq!(alone[0].severity, Severity::Warning);

    let mut confirmed = vec![
        finding("UPG-01", Severity::Error, None, &["n1"]),
        finding("IPAM-01", Severity::Error, None, &["n1"]),
        finding("SW402", Severity::Error, Some("node n1"), &["n1"]),
    ];
    let scopes = vec![scope.clone(), scope.clone(), scope];
    let v = judge_scoped(&mut confirmed, &scopes, &rules);
    assert!(v.guesses.is_empty());
    assert_eq!(v.root_causes.len(), 1);
    let c = &v.root_causes[0];
    assert_eq!((c.id.as_str(), c.severity), ("UPG-01", Severity::Error));
    assert_eq!(c.explains, ["IPAM-01", "SW402"]);
    assert!(c.fix.contains("managers first"), "{}", c.fix);
}

/// Findings of one id that nothing explains (one per network) are one
/// root cause listing every subject, and restatements join its evidence.
#[test]
fn one_fact_on_several_subjects_is_one_root_cause() {
    let mut findings = vec![
        finding("SW604", Severity::Error, Some("network appnet"), &["n3"]),
        finding("SW604", Severity::Error, Some("network ingress"), &["n3"]),
    ];
    let scopes = vec![on_network("appnet"), on_network("ingress")];
    let v = judge_scoped(&mut findings, &scopes, &rules());
    assert_eq!(v.root_causes.len(), 1);
    assert_eq!(
        v.root_causes[0].subjects,
        ["network appnet", "network ingress"]
    );
}

fn write_rules(dir: &std::path::Path, text: &str) -> String {
    std::fs::write(dir.join("user.toml"), text).unwrap();
    RuleSet::embedded()
        .unwrap()
        .load_dir(dir)
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
}

const CHECK: &str = r#"
[[rule]]
id = "ID"
kind = "check"
name = "NAME"
severity = "error"
title = "t"
explanation = "e"
remediation = "r"
"#;

fn check(id: &str, explains: &str) -> String {
    let name = id.to_ascii_lowercase();
    let mut s = CHECK.replace("ID", id).replace("NAME", &name);
    if !explains.is_empty() {
        s.push_str(&format!(
            "[[rule.explains]]\nids = [{explains}]\nwhen = \"same_node\"\n"
        ));
    }
    s
}

/// User rules take part in the graph, and it is checked when they load:
/// an unknown id, a cycle (also through a built-in rule) and an unknown
/// condition are refused with the file named.
#[test]
fn the_graph_is_checked_when_rules_load() {
    let dir = tempfile::tempdir().unwrap();
    let ok = check("X-01", "\"SW501\"");
    assert_eq!(write_rules(dir.path(), &ok), "");
    let set = RuleSet::embedded().unwrap().load_dir(dir.path()).unwrap();
    assert_eq!(set.get("X-01").unwrap().explains[0].ids, ["SW501"]);

    let unknown = check("X-01", "\"NOPE-1\"");
    let err = write_rules(dir.path(), &unknown);
    assert!(
        err.contains("user.toml") && err.contains("unknown id \"NOPE-1\""),
        "{err}"
    );

    let cycle = format!("{}{}", check("X-01", "\"X-02\""), check("X-02", "\"X-01\""));
    let err = write_rules(dir.path(), &cycle);
    assert!(
        err.contains("cycle")
            && (err.contains("X-01 → X-02 → X-01") || err.contains("X-02 → X-01 → X-02")),
        "{err}"
    );

    // SW301 explains SW501: SW501 explaining a rule that explains SW301 closes a loop.
    let through_builtin = format!(
        "{}{}",
        check("SW501", "\"X-01\""),
        check("X-01", "\"SW301\"")
    );
    let err = write_rules(dir.path(), &through_builtin);
    assert!(err.contains("cycle"), "{err}");

    let bad_when = check("X-01", "\"SW501\"").replace("same_node", "same_rack");
    let err = write_rules(dir.path(), &bad_when);
    assert!(
        err.contains("same_rack") && err.contains("user.toml"),
        "{err}"
    );
}

/// A guess confirmed by its own effect keeps it even when a guess that
/// restates it is not confirmed: SW402 (worker newer than a manager) with
/// IPAM-01 on that node stays a root cause while UPG-05 (two LB models,
/// restating SW401, not SW402) is apart.
#[test]
fn a_confirmed_guess_is_not_pulled_into_an_unconfirmed_one() {
    let scope = Scope {
        nodes: ["n1".to_string()].into(),
        ..Scope::default()
    };
    let mut findings = vec![
        finding("UPG-05", Severity::Warning, None, &["n1"]),
        finding("SW401", Severity::Warning, Some("engine versions"), &["n1"]),
        finding("SW402", Severity::Error, Some("node n1"), &["n1"]),
        finding("IPAM-01", Severity::Error, None, &["n1"]),
    ];
    let scopes = vec![scope.clone(), scope.clone(), scope.clone(), scope];
    let v = judge_scoped(&mut findings, &scopes, &rules());
    let ids: Vec<&str> = v.root_causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SW402"]);
    assert_eq!(v.root_causes[0].explains, ["IPAM-01"]);
    let guesses: Vec<(&str, &[String])> = v
        .guesses
        .iter()
        .map(|g| (g.id.as_str(), g.restates.as_slice()))
        .collect();
    assert_eq!(guesses, [("UPG-05", &["SW401".to_string()][..])]);
    assert_eq!(findings[3].severity, Severity::Error);
}
