/*!
`swarmdiag diff BEFORE AFTER`: what changed between two analyses of the same
cluster, semantically (not a file diff).

Each side is analyzed on its own; then nodes (by swarm node id, then
hostname), services (by id, then name) and networks (by id, then name) are
paired and their facts compared. A fact unknown on either side (a source
missing from a partial bundle) is never reported as a change. Per node with a
bundle on both sides, the data plane is compared: namespaces, IPVS services
and backends, mangle marks, and the normalized iptables rules as a unified
text diff. Findings are new, spread (on more nodes), resolved, quiet (no
occurrence since the before side was collected) or persisting, by id and
subject.

One file per aspect; `render.rs` only formats. JSON: `docs/diff-json.md`.
*/

mod dataplane;
mod findings;
mod iptables;
mod networks;
mod nodes;
mod render;
mod root_causes;
mod services;

pub use dataplane::{IpvsChange, MarkChange, NodeDataplane};
pub use findings::{FindingChange, FindingsDiff};
pub use iptables::IptablesDiff;
pub use render::render;
pub use root_causes::{RootCauseChange, RootCausesDiff};

use crate::analyze::Analysis;
use crate::finding::Severity;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;
use time::OffsetDateTime;

/// Version of the JSON diff schema (`docs/diff-json.md`). 2: findings
/// that spread or went quiet left `persisting` for `spread` and `quiet`.
/// 3: `root_causes` (appeared, cleared, spread).
pub const DIFF_SCHEMA_VERSION: u32 = 3;

/// Everything that changed between two analyses.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool: String,
    pub before: Side,
    pub after: Side,
    pub nodes: Vec<ItemChange>,
    pub services: Vec<ItemChange>,
    pub networks: Vec<ItemChange>,
    pub dataplane: Vec<NodeDataplane>,
    pub iptables: Vec<IptablesDiff>,
    /// The verdicts compared: root causes that appeared, cleared or spread.
    pub root_causes: RootCausesDiff,
    pub findings: FindingsDiff,
    /// What could not be compared, and why.
    pub notes: Vec<String>,
}

/// What one side held.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub input: String,
    /// Hostnames of the node bundles.
    pub bundles: Vec<String>,
    /// Earliest and latest `collected_at` of its bundles.
    #[serde(with = "time::serde::rfc3339::option")]
    pub collected_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub collected_to: Option<OffsetDateTime>,
    /// Bundle whose swarm/ files gave nodes, services and tasks; `None`
    /// when no manager bundle was given.
    pub cluster_objects_from: Option<String>,
    pub findings: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn sign(self) -> &'static str {
        match self {
            Change::Added => "+",
            Change::Removed => "-",
            Change::Changed => "~",
        }
    }
}

/// A node, service or network that appeared, vanished or changed.
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    pub change: Change,
    pub name: String,
    pub id: String,
    /// For `changed`: the facts that differ.
    pub fields: Vec<FieldChange>,
    /// For `added`/`removed`: the item's known facts on the side that has it.
    pub facts: Vec<ItemFact>,
}

/// One known fact of an item that appeared or vanished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFact {
    pub field: String,
    pub value: String,
}

/// One fact that differs. Set-valued facts also list what was added and removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// A fact about an item. Empty text or `None` means unknown on that side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fact {
    One(String),
    Set(Option<BTreeSet<String>>),
}

impl Fact {
    fn known(&self) -> bool {
        match self {
            Fact::One(s) => !s.is_empty(),
            Fact::Set(s) => s.is_some(),
        }
    }

    fn text(&self) -> String {
        match self {
            Fact::One(s) => s.clone(),
            Fact::Set(Some(s)) => s.iter().cloned().collect::<Vec<_>>().join(", "),
            Fact::Set(None) => String::new(),
        }
    }
}

/// A comparable item: its identity and facts, in display order.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: String,
    pub name: String,
    pub facts: Vec<(&'static str, Fact)>,
}

/// Pairs items by id (when both have one), then by name, and compares them.
/// Items without a partner are added or removed when `authoritative` says the
/// other side would have listed them; otherwise they are left out.
pub(crate) fn compare(
    before: Vec<Item>,
    after: Vec<Item>,
    authoritative: (bool, bool),
) -> Vec<ItemChange> {
    let mut after: Vec<Option<Item>> = after.into_iter().map(Some).collect();
    let mut out = Vec::new();
    let mut unpaired: Vec<Item> = Vec::new();
    let mut paired: Vec<(Item, Item)> = Vec::new();
    for b in before {
        let slot = after.iter_mut().find(|a| {
            a.as_ref()
                .is_some_and(|a| !a.id.is_empty() && !b.id.is_empty() && a.id == b.id)
        });
        match slot.and_then(Option::take) {
            Some(a) => paired.push((b, a)),
            None => unpaired.push(b),
        }
    }
    for b in unpaired {
        // A node that re-joined has a new id but the same hostname.
        let slot = after.iter_mut().find(|a| {
            a.as_ref()
                .is_some_and(|a| !b.name.is_empty() && a.name == b.name)
        });
        match slot.and_then(Option::take) {
            Some(a) => paired.push((b, a)),
            None if authoritative.1 => out.push(only(Change::Removed, b)),
            None => {}
        }
    }
    if authoritative.0 {
        out.extend(after.into_iter().flatten().map(|a| only(Change::Added, a)));
    }
    for (b, a) in paired {
        let mut fields = Vec::new();
        if b.id != a.id && !b.id.is_empty() && !a.id.is_empty() {
            fields.push(field("id", b.id.clone(), a.id.clone()));
        }
        if b.name != a.name && !b.name.is_empty() && !a.name.is_empty() {
            fields.push(field("name", b.name.clone(), a.name.clone()));
        }
        for (name, fb) in &b.facts {
            let Some((_, fa)) = a.facts.iter().find(|(n, _)| n == name) else {
                continue;
            };
            if fb == fa || !fb.known() || !fa.known() {
                continue;
            }
            let mut fc = field(name, fb.text(), fa.text());
            if let (Fact::Set(Some(sb)), Fact::Set(Some(sa))) = (fb, fa) {
                fc.added = sa.difference(sb).cloned().collect();
                fc.removed = sb.difference(sa).cloned().collect();
            }
            fields.push(fc);
        }
        if !fields.is_empty() {
            out.push(ItemChange {
                change: Change::Changed,
                name: if a.name.is_empty() { b.name } else { a.name },
                id: if a.id.is_empty() { b.id } else { a.id },
                fields,
                facts: Vec::new(),
            });
        }
    }
    out.sort_by(|x, y| (&x.name, &x.id, x.change).cmp(&(&y.name, &y.id, y.change)));
    out
}

fn field(name: &str, before: String, after: String) -> FieldChange {
    FieldChange {
        field: name.to_string(),
        before,
        after,
        added: Vec::new(),
        removed: Vec::new(),
    }
}

fn only(change: Change, item: Item) -> ItemChange {
    ItemChange {
        change,
        facts: item
            .facts
            .iter()
            .filter(|(_, f)| f.known())
            .map(|(n, f)| ItemFact {
                field: n.to_string(),
                value: f.text(),
            })
            .collect(),
        name: item.name,
        id: item.id,
        fields: Vec::new(),
    }
}

/// Compares two analyses. `before_path` and `after_path` name the inputs.
pub fn diff(before: &Analysis, after: &Analysis, before_path: &Path, after_path: &Path) -> Diff {
    let mut notes = Vec::new();
    for (name, a) in [("before", before), ("after", after)] {
        if a.cluster.cluster_source.is_none() {
            notes.push(format!(
                "{name}: no manager bundle (swarm/nodes.json, services.json, tasks.json): nodes \
                 are compared on what their own bundles say, services and tasks are not compared"
            ));
        }
    }
    let services =
        if before.cluster.cluster_source.is_some() && after.cluster.cluster_source.is_some() {
            services::diff(&before.cluster, &after.cluster)
        } else {
            Vec::new()
        };
    let (dataplane, iptables) = dataplane::diff(&before.cluster, &after.cluster, &mut notes);
    let (before_side, after_side) = (side(before, before_path), side(after, after_path));
    let (before_nodes, after_nodes) = (bundle_names(before), bundle_names(after));
    let findings = findings::diff(
        &before.findings,
        &after.findings,
        &findings::Sides {
            before_nodes: &before_nodes,
            after_nodes: &after_nodes,
            before_collected: before_side.collected_to,
        },
    );
    let root_causes = root_causes::diff(
        &before.verdict.root_causes,
        &after.verdict.root_causes,
        &before_nodes,
        &after_nodes,
    );
    Diff {
        schema: "swarmdiag-diff",
        schema_version: DIFF_SCHEMA_VERSION,
        tool: format!("swarmdiag {}", env!("CARGO_PKG_VERSION")),
        before: before_side,
        after: after_side,
        nodes: nodes::diff(&before.cluster, &after.cluster),
        services,
        networks: networks::diff(&before.cluster, &after.cluster, &mut notes),
        dataplane,
        iptables,
        root_causes,
        findings,
        notes,
    }
}

/// Hostnames and labels of a side's bundles (findings name nodes by either).
fn bundle_names(a: &Analysis) -> BTreeSet<String> {
    a.cluster
        .nodes
        .iter()
        .flat_map(|n| [n.hostname.clone(), n.label.clone()])
        .collect()
}

fn side(a: &Analysis, path: &Path) -> Side {
    let times: Vec<OffsetDateTime> = a
        .cluster
        .nodes
        .iter()
        .filter_map(|n| n.collected_at)
        .collect();
    let mut bundles: Vec<String> = a.cluster.nodes.iter().map(|n| n.hostname.clone()).collect();
    bundles.sort();
    Side {
        input: path.display().to_string(),
        bundles,
        collected_from: times.iter().min().copied(),
        collected_to: times.iter().max().copied(),
        cluster_objects_from: a.cluster.cluster_source.clone(),
        findings: a.findings.len(),
    }
}

impl Diff {
    /// The highest severity among the new findings and those that spread
    /// to more nodes: what got worse, and what `--fail-on` reads.
    pub fn worst_new(&self) -> Option<Severity> {
        self.findings
            .new
            .iter()
            .chain(&self.findings.spread)
            .map(|f| f.severity)
            .max()
    }

    /// True when nothing at all changed.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.services.is_empty()
            && self.networks.is_empty()
            && self.dataplane.is_empty()
            && self.iptables.is_empty()
            && self.root_causes.is_empty()
            && self.findings.new.is_empty()
            && self.findings.spread.is_empty()
            && self.findings.resolved.is_empty()
            && self.findings.quiet.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, name: &str, facts: Vec<(&'static str, Fact)>) -> Item {
        Item {
            id: id.into(),
            name: name.into(),
            facts,
        }
    }

    fn set(v: &[&str]) -> Fact {
        Fact::Set(Some(v.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn pairs_by_id_then_name_and_skips_unknown_facts() {
        let before = vec![
            item(
                "a",
                "n0",
                vec![
                    ("engine", Fact::One("17.06".into())),
                    ("x", Fact::One("1".into())),
                ],
            ),
            item("b", "n1", vec![("engine", Fact::One("17.06".into()))]),
            item("", "n2", vec![("engine", Fact::One("17.06".into()))]),
            item("d", "gone", vec![("engine", Fact::One("17.06".into()))]),
        ];
        let after = vec![
            item(
                "a",
                "n0-renamed",
                vec![
                    ("engine", Fact::One("18.09".into())),
                    ("x", Fact::One(String::new())),
                ],
            ),
            item("c", "n1", vec![("engine", Fact::One("17.06".into()))]),
            item("e", "n2", vec![("engine", Fact::One("18.09".into()))]),
            item("f", "new", vec![("engine", Fact::One("18.09".into()))]),
        ];
        let changes = compare(before, after, (true, true));
        let by_name = |n: &str| changes.iter().find(|c| c.name == n).unwrap();
        let n0 = by_name("n0-renamed");
        assert_eq!(n0.change, Change::Changed);
        assert_eq!(
            n0.fields
                .iter()
                .map(|f| f.field.as_str())
                .collect::<Vec<_>>(),
            ["name", "engine"],
            "x is unknown after: not a change"
        );
        // n1 re-joined with a new id: paired by hostname, the id change shown.
        assert_eq!(by_name("n1").fields[0].field, "id");
        assert_eq!(by_name("n2").fields[0].after, "18.09");
        assert_eq!(by_name("gone").change, Change::Removed);
        assert_eq!(by_name("new").change, Change::Added);
        assert_eq!(
            by_name("new").facts,
            [ItemFact {
                field: "engine".into(),
                value: "18.09".into()
            }]
        );
        assert_eq!(changes.len(), 5);
    }

    #[test]
    fn sets_report_what_was_added_and_removed() {
        let changes = compare(
            vec![item("n", "net", vec![("peers", set(&["a", "b", "c"]))])],
            vec![item("n", "net", vec![("peers", set(&["b", "c", "d"]))])],
            (true, true),
        );
        assert_eq!(changes[0].fields[0].added, ["d"]);
        assert_eq!(changes[0].fields[0].removed, ["a"]);
        assert_eq!(changes[0].fields[0].before, "a, b, c");
    }

    #[test]
    fn unmatched_items_need_an_authoritative_side() {
        let changes = compare(
            vec![item("a", "x", vec![])],
            vec![item("b", "y", vec![])],
            (false, false),
        );
        assert!(changes.is_empty());
        let changes = compare(vec![item("a", "x", vec![])], vec![], (false, true));
        assert_eq!(changes[0].change, Change::Removed);
    }
}
