//! SW603 ip-forward-disabled.
//!
//! ## What it detects
//! The host does not forward IPv4: `net.ipv4.ip_forward = 0` in
//! `host/sysctl.txt`, or docker info `IPv4Forwarding: false` / the warning
//! `IPv4 forwarding is disabled`. Only the host counts: `lb_*` and overlay
//! namespaces run with forwarding off by design.
//!
//! ## Why it breaks traffic
//! Published ports reach the ingress sandbox and containers reach the outside
//! through docker_gwbridge only when the host routes between its interfaces.
//! With forwarding off both silently fail, while task-to-task overlay traffic
//! (inside namespaces) still works, which misleads.
//!
//! ## How to fix
//! `sysctl -w net.ipv4.ip_forward=1`, persist it in `/etc/sysctl.d`, and find
//! what turned it off (network manager, hardening script, `sysctl --system`
//! run after dockerd started).

use super::host_facts::has_host_state;
use super::{evidence, Checks};
use crate::model::Cluster;

const KEY: &str = "net.ipv4.ip_forward";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for n in &cluster.nodes {
        let mut facts = Vec::new();
        let mut ev = Vec::new();
        if let Some(s) = n
            .host_sysctl
            .as_ref()
            .and_then(|m| m.get(KEY))
            .filter(|s| s.value == "0")
        {
            facts.push(format!("host/sysctl.txt: {KEY} = 0"));
            ev.push(evidence(
                n.file("host/sysctl.txt"),
                s.line,
                format!("{KEY} = 0"),
            ));
        }
        if let Some(info) = &n.info {
            let file = n.file("docker/info.json");
            if info.ipv4_forwarding == Some(false) {
                facts.push("docker info IPv4Forwarding: false".into());
                ev.push(evidence(&file, 0, "\"IPv4Forwarding\": false"));
            }
            for w in info
                .warnings
                .iter()
                .filter(|w| w.contains("IPv4 forwarding is disabled"))
            {
                facts.push(format!("docker info warning `{w}`"));
                ev.push(evidence(&file, 0, w.clone()));
            }
        }
        if !facts.is_empty() {
            out.report(
                "SW603",
                Some(KEY.into()),
                &[&n.label],
                1,
                format!("{}: {}", n.hostname, facts.join("; ")),
                ev,
            );
        } else if n.host_sysctl.as_ref().is_none_or(|m| !m.contains_key(KEY))
            && n.info.as_ref().is_none_or(|i| i.ipv4_forwarding.is_none())
            && has_host_state(n)
        {
            out.not_run(
                "SW603",
                format!(
                    "no {KEY} in host/sysctl.txt and no IPv4Forwarding in docker/info.json on {}",
                    n.label
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::host_test_util::{analyze_dir, findings_of, fixture};

    #[test]
    fn fires_on_sysctl_zero_and_info_false() {
        let a = analyze_dir(&fixture("SW603", "fires"));
        let f = findings_of(&a, "SW603");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject.as_deref(), Some("net.ipv4.ip_forward"));
        assert!(f[0]
            .detail
            .contains("host/sysctl.txt: net.ipv4.ip_forward = 0"));
        assert!(f[0].detail.contains("IPv4Forwarding: false"));
        assert!(f[0].detail.contains("WARNING: IPv4 forwarding is disabled"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node1/host/sysctl.txt" && e.line == 6));
    }

    #[test]
    fn quiet_when_forwarding_on_even_if_namespaces_have_it_off() {
        // Host forwards; the lb_ namespace has ip_forward = 0, as docker sets it.
        let a = analyze_dir(&fixture("SW603", "quiet"));
        assert!(findings_of(&a, "SW603").is_empty());
        assert!(!a.coverage.not_run.iter().any(|n| n.id == "SW603"));
    }
}
