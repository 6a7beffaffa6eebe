//! SW601 ipvs-module-missing and SW602 br-netfilter-missing.
//!
//! ## What it detects
//! SW601: the node cannot use IPVS. `ipvsadm` in one of its namespaces says
//! `Can't initialize ipvs` (on stdout or in `ipvsadm.txt.stderr`), the
//! collector did not run it because IPVS is not in the kernel (manifest:
//! `ip_vs not loaded: no /proc/net/ip_vs, …`; it would load the module), or
//! `host/modules.txt` lists neither `ip_vs` nor `ip_vs_rr` on a swarm node.
//! `/proc/modules` does not list built-in modules, so a missing module alone
//! only means "not loaded"; a working `ipvsadm` table or `net.ipv4.vs.*`
//! sysctls (which exist only with IPVS) clear it. The daemon log's KMOD-01 is
//! a log rule, not this check.
//! SW602: `net.bridge.bridge-nf-call-iptables = 0`, docker info
//! `BridgeNfIptables: false` or its `bridge-nf-call-iptables is disabled`
//! warning, or `br_netfilter` missing from `host/modules.txt` with no
//! `net.bridge.bridge-nf-call-iptables` sysctl (it exists only with the module).
//!
//! ## Why it breaks traffic
//! Without IPVS no service VIP and no routing-mesh port answers on the node.
//! Without br_netfilter, bridged traffic (docker_gwbridge) bypasses iptables:
//! NAT and filter rules for published ports and egress are skipped.
//!
//! ## How to fix
//! `modprobe ip_vs ip_vs_rr br_netfilter`, persist them
//! (`/etc/modules-load.d`), `sysctl -w net.bridge.bridge-nf-call-iptables=1`,
//! then restart the daemon; or use a kernel with `CONFIG_IP_VS*`.

use super::host_facts::has_host_state;
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::{Cluster, NodeState};
use crate::parse::{ipvsadm, lsmod::Module};

/// SW601: IPVS unavailable on a node.
pub fn check_ipvs(cluster: &Cluster, out: &mut Checks) {
    for n in &cluster.nodes {
        ipvs_on(n, out);
    }
}

fn ipvs_on(n: &NodeState, out: &mut Checks) {
    // Counter-evidence first: a readable IPVS table or IPVS sysctls.
    let working = n
        .netns
        .values()
        .filter_map(|s| s.ipvs.as_ref())
        .any(|i| i.available && (i.version.is_some() || !i.services.is_empty()));
    let vs_sysctl = n
        .host_sysctl
        .iter()
        .flat_map(|m| m.keys())
        .find(|k| k.starts_with("net.ipv4.vs."));
    if working || vs_sysctl.is_some() {
        return;
    }

    let failures = ipvsadm_failures(n);
    // The collector skips ipvsadm when IPVS is not in the kernel at all.
    let not_loaded: Option<(&str, &str)> = n.manifest.as_ref().and_then(|m| {
        m.commands.iter().find_map(|c| {
            let why = c.skipped.as_deref()?;
            (c.path.ends_with("/ipvsadm.txt") && why.starts_with("ip_vs not loaded"))
                .then_some((c.path.as_str(), why))
        })
    });
    let mods = n.host_modules.as_ref();
    let mod_missing = mods
        .filter(|m| Module::find(m, "ip_vs").is_none() && Module::find(m, "ip_vs_rr").is_none());
    let in_swarm = n
        .netns
        .keys()
        .any(|k| k == "ingress_sbox" || k.starts_with("lb_"))
        || n.info
            .as_ref()
            .is_some_and(|i| i.swarm.local_node_state == "active");

    let mut facts = Vec::new();
    let mut ev: Vec<Evidence> = Vec::new();
    if let Some((first, _, _)) = failures.first() {
        facts.push(format!(
            "ipvsadm cannot use IPVS in {} namespace(s) ({first}: {})",
            failures.len(),
            failures.first().map(|f| f.2.as_str()).unwrap_or_default()
        ));
        for (_, file, text) in failures.iter().take(3) {
            ev.push(evidence(n.file(file), line_of(n, file, text), text.clone()));
        }
    }
    if let Some((path, why)) = not_loaded {
        facts.push(format!("the collector did not run ipvsadm: {why}"));
        ev.push(evidence(
            n.file("manifest.json"),
            0,
            format!("{path}: {why}"),
        ));
    }
    match (mods, mod_missing) {
        (Some(m), Some(_)) => {
            facts.push(format!(
                "host/modules.txt ({} modules) lists neither ip_vs nor ip_vs_rr: not loaded (built-in modules are not listed)",
                m.len()
            ));
            ev.push(evidence(
                n.file("host/modules.txt"),
                0,
                "no ip_vs, no ip_vs_rr",
            ));
        }
        (None, _) => {
            if let Some(why) = skipped(n, "host/modules.txt") {
                facts.push(format!("host/modules.txt not collected: {why}"));
            }
        }
        _ => {}
    }
    if n.host_sysctl.is_some() {
        facts.push("host/sysctl.txt has no net.ipv4.vs.* key".into());
    }
    let config_off = n.kernel_option("CONFIG_IP_VS").filter(|(_, v)| *v == "n");
    if let Some((line, _)) = config_off {
        facts.push("the kernel is built without IPVS (CONFIG_IP_VS is not set)".into());
        ev.push(evidence(
            n.file("host/kernel-config.txt"),
            line,
            "# CONFIG_IP_VS is not set",
        ));
    }
    // What the daemon said (KMOD-01) counts too: a bundle may hold only logs.
    let logged = n.log_signatures.get("KMOD-01").and_then(|ev| ev.first());
    if let Some(e) = logged {
        facts.push("the daemon logged that IPVS is unavailable (KMOD-01)".into());
        ev.push(e.clone());
    }

    let fire = !failures.is_empty()
        || (mod_missing.is_some() && in_swarm)
        || (not_loaded.is_some() && in_swarm)
        || config_off.is_some()
        || logged.is_some();
    if fire {
        out.report(
            "SW601",
            Some("kernel module ip_vs".into()),
            &[&n.label],
            1,
            format!("{}: {}", n.hostname, facts.join("; ")),
            ev,
        );
    } else if mods.is_none() && !n.netns.values().any(|s| s.ipvs.is_some()) && has_host_state(n) {
        out.not_run(
            "SW601",
            format!("no host/modules.txt or netns/*/ipvsadm.txt on {}", n.label),
        );
    }
}

/// Namespaces whose ipvsadm output (stdout or stderr) says IPVS cannot be
/// used: (namespace, file, error line).
fn ipvsadm_failures(n: &NodeState) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (ns, st) in &n.netns {
        let file = format!("netns/{ns}/ipvsadm.txt");
        // The collector leaves ipvsadm's complaint in the stderr file: cite
        // that file when it holds the error, else the output itself.
        let from_stderr = n
            .stderr
            .get(&file)
            .and_then(|text| ipvsadm::parse(text).ok())
            .filter(|i| !i.available);
        if let Some(i) = from_stderr {
            out.push((
                ns.clone(),
                format!("{file}.stderr"),
                i.error.unwrap_or_default(),
            ));
        } else if let Some(i) = st.ipvs.as_ref().filter(|i| !i.available) {
            out.push((ns.clone(), file, i.error.clone().unwrap_or_default()));
        }
    }
    out
}

/// 1-based line of `text` in a stderr file, else 0.
fn line_of(n: &NodeState, file: &str, text: &str) -> usize {
    file.strip_suffix(".stderr")
        .and_then(|base| n.stderr.get(base))
        .and_then(|t| t.lines().position(|l| l.contains(text)))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// Why the collector skipped `path`, from the manifest.
fn skipped<'a>(n: &'a NodeState, path: &str) -> Option<&'a str> {
    n.manifest
        .as_ref()?
        .commands
        .iter()
        .find(|c| c.path == path)?
        .skipped
        .as_deref()
}

const BRNF: &str = "net.bridge.bridge-nf-call-iptables";

/// SW602: br_netfilter not loaded, or bridge-nf-call-iptables off.
pub fn check_br_netfilter(cluster: &Cluster, out: &mut Checks) {
    for n in &cluster.nodes {
        let sysctl = n.host_sysctl.as_ref().and_then(|m| m.get(BRNF));
        let mut facts = Vec::new();
        let mut ev = Vec::new();
        if let Some(s) = sysctl.filter(|s| s.value == "0") {
            facts.push(format!("host/sysctl.txt: {BRNF} = 0"));
            ev.push(evidence(
                n.file("host/sysctl.txt"),
                s.line,
                format!("{BRNF} = 0"),
            ));
        }
        if let Some(info) = &n.info {
            let file = n.file("docker/info.json");
            if info.bridge_nf_iptables == Some(false) {
                facts.push("docker info BridgeNfIptables: false".into());
                ev.push(evidence(&file, 0, "\"BridgeNfIptables\": false"));
            }
            for w in info
                .warnings
                .iter()
                .filter(|w| w.contains("bridge-nf-call-iptables is disabled"))
            {
                facts.push(format!("docker info warning `{w}`"));
                ev.push(evidence(&file, 0, w.clone()));
            }
        }
        let mods = n.host_modules.as_ref();
        if let Some(m) = mods.filter(|m| Module::find(m, "br_netfilter").is_none()) {
            // Built in when the sysctl exists; otherwise not loaded.
            if sysctl.is_none() {
                facts.push(format!(
                    "host/modules.txt ({} modules) lacks br_netfilter and {}",
                    m.len(),
                    if n.host_sysctl.is_some() {
                        format!("host/sysctl.txt has no {BRNF} (present only with the module)")
                    } else {
                        "no host/sysctl.txt tells whether it is built in".to_string()
                    }
                ));
                ev.push(evidence(n.file("host/modules.txt"), 0, "no br_netfilter"));
            }
        }
        if !facts.is_empty() {
            out.report(
                "SW602",
                Some("kernel module br_netfilter".into()),
                &[&n.label],
                1,
                format!("{}: {}", n.hostname, facts.join("; ")),
                ev,
            );
        } else if mods.is_none() && n.host_sysctl.is_none() && n.info.is_none() && has_host_state(n)
        {
            out.not_run(
                "SW602",
                format!(
                    "no host/modules.txt, host/sysctl.txt or docker/info.json on {}",
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
    fn sw601_fires_on_ipvsadm_stderr_and_missing_module() {
        let a = analyze_dir(&fixture("SW601", "fires"));
        let f = findings_of(&a, "SW601");
        assert_eq!(f.len(), 1);
        assert!(f[0].detail.contains("ipvsadm cannot use IPVS in 1 namespace(s) (lb_von6hqc8a: Can't initialize ipvs: Protocol not available)"), "{}", f[0].detail);
        assert!(f[0].detail.contains("lists neither ip_vs nor ip_vs_rr"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node3/netns/lb_von6hqc8a/ipvsadm.txt.stderr" && e.line == 1));
    }

    #[test]
    fn sw601_fires_when_the_collector_skipped_ipvsadm_for_want_of_ip_vs() {
        // Issue 12: ipvsadm is no longer run without ip_vs (it would load
        // it); the manifest's reason is the evidence.
        let a = analyze_dir(&fixture("SW601", "fires-skipped"));
        let f = findings_of(&a, "SW601");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].detail.contains(
                "the collector did not run ipvsadm: ip_vs not loaded: no /proc/net/ip_vs"
            ),
            "{}",
            f[0].detail
        );
        assert!(f[0].evidence.iter().any(|e| e.file == "node1/manifest.json"
            && e.text
                .starts_with("netns/ingress_sbox/ipvsadm.txt: ip_vs not loaded")));
    }

    #[test]
    fn sw601_quiet_when_ipvs_is_built_in() {
        // modules.txt lacks ip_vs, but ipvsadm lists a table: built in.
        let a = analyze_dir(&fixture("SW601", "quiet"));
        assert!(findings_of(&a, "SW601").is_empty());
    }

    #[test]
    fn sw602_fires_on_sysctl_and_info() {
        let a = analyze_dir(&fixture("SW602", "fires"));
        let f = findings_of(&a, "SW602");
        assert_eq!(f.len(), 1);
        assert!(f[0]
            .detail
            .contains("net.bridge.bridge-nf-call-iptables = 0"));
        assert!(f[0].detail.contains("BridgeNfIptables: false"));
        assert!(f[0]
            .detail
            .contains("WARNING: bridge-nf-call-iptables is disabled"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node1/host/sysctl.txt" && e.line == 2));
    }

    #[test]
    fn sw602_quiet_when_built_in() {
        // No br_netfilter in lsmod, but the sysctl exists and is 1.
        let a = analyze_dir(&fixture("SW602", "quiet"));
        assert!(findings_of(&a, "SW602").is_empty());
    }
}
