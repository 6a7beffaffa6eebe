//! Plain-text phrases for the verdict that every renderer shares: one line
//! per root cause and per guess.

use crate::verdict::{Guess, RootCause};

/// `[critical] SW301 An overlay subnet has no address left [network ex_net] (tk1706-ubuntu-0, …) — explains IPAM-01, IPAM-02`
pub(crate) fn root_cause_line(c: &RootCause) -> String {
    let mut s = format!("[{}] {} {}", c.severity, c.id, c.title);
    if !c.subjects.is_empty() {
        s.push_str(&format!(" [{}]", c.subjects.join("; ")));
    }
    s.push_str(&format!(" on {}", nodes(c.nodes.iter())));
    if !c.explains.is_empty() {
        s.push_str(&format!(" — explains {}", c.explains.join(", ")));
    }
    s
}

/// `UPG-03 (ruled out: SW201 ran and found nothing): 17.06 node: …`
pub(crate) fn guess_line(g: &Guess) -> String {
    let mut s = format!(
        "{} ({}: {}): {}",
        g.id,
        g.status.as_str(),
        g.reason,
        g.title
    );
    if !g.restates.is_empty() {
        s.push_str(&format!(" — with {}", g.restates.join(", ")));
    }
    s
}

/// The verdict's headline: how many root causes.
pub(crate) fn headline(causes: &[RootCause]) -> String {
    match causes.len() {
        0 => "Verdict: no root cause (no error or critical finding)".to_string(),
        1 => "Verdict: 1 root cause".to_string(),
        n => format!("Verdict: {n} root causes"),
    }
}

fn nodes<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    match names.len() {
        0 => "the cluster".to_string(),
        1..=4 => names.join(", "),
        n => format!("{}, … ({n} nodes)", names[..3].join(", ")),
    }
}
