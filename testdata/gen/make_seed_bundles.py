#!/usr/bin/env python3
"""Generate the seed scenario bundles under testdata/bundles/ (Python 3.11, stdlib only).

    python3 testdata/gen/make_seed_bundles.py            # (re)write the bundles
    python3 testdata/gen/make_seed_bundles.py --check    # exit 1 if the tree differs

Deterministic: ids and sub-second digits derive from labels via sha256, so two
runs write identical bytes. Before anything is written, every scenario passes
`swarmgen.validate` (JSON parses, layout paths, cross-file ids/IPs/marks, and
each declared fault visible in the output); a failing assertion aborts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))

from swarmgen import scen_exhausted, scen_partial, scen_upgrade, scen_vote  # noqa: E402
from swarmgen.bundle import build_node_bundle  # noqa: E402
from swarmgen.expect import check_logs  # noqa: E402
from swarmgen.validate import validate  # noqa: E402

SCENARIOS = {
    # name: (builder, expected findings)
    "vote-ingress": (scen_vote.build, scen_vote.expected),
    "upgrade-before": (scen_upgrade.build_before, scen_upgrade.expected_before),
    "upgrade-mid": (scen_upgrade.build_mid, scen_upgrade.expected_mid),
    "exhausted-27": (scen_exhausted.build, scen_exhausted.expected),
}
EXPECTED_FILE = "expected.json"


def render_all() -> tuple[dict[str, dict[str, str]], dict]:
    """({scenario: {relative path: text}}, expectations) for every scenario, validated."""
    out: dict[str, dict[str, str]] = {}
    expected: dict[str, dict] = {}
    for name, (builder, expect) in SCENARIOS.items():
        cluster, book, opts = builder()
        bundles = {}
        for node in cluster.nodes:
            files = build_node_bundle(cluster, node, book, **opts.get(node.hostname, {}))
            files.pop("__netstate__")
            bundles[node.hostname] = files
        facts = validate(cluster, bundles)
        expected[name] = expect(cluster)
        check_logs(name, expected[name], [files["logs/dockerd.log"] for files in bundles.values()])
        facts.append("log signatures declared must/present/benign are in the logs, must_not ones are not")
        print(f"{name}: {len(cluster.nodes)} nodes, validated:", file=sys.stderr)
        for f in facts:
            print(f"  - {f}", file=sys.stderr)
        tree = {}
        for host, files in bundles.items():
            for path, text in files.items():
                tree[f"{host}/{path}"] = text
        out[name] = tree
    out[scen_partial.NAME] = scen_partial.build()
    expected[scen_partial.NAME] = scen_partial.expected()
    check_logs(scen_partial.NAME, expected[scen_partial.NAME], [out[scen_partial.NAME]["logs/dockerd.log"]])
    return out, expected


def expected_json(expected: dict) -> str:
    doc = {
        "about": "Expected findings of the analyzer per scenario directory; see testdata/README.md. "
                 "log_rules: catalogue ids of research/signatures.md section 1 (must: the analyzer reports it; "
                 "present: its text is in the logs, not asserted; benign: healthy noise, must not yield a "
                 "finding of severity warning or above; must_not: not reported). checks: docs/rules.md ids.",
        "generated_by": "testdata/gen/make_seed_bundles.py",
        "scenarios": expected,
    }
    return json.dumps(doc, indent=2) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE.parent / "bundles"), help="bundles directory")
    ap.add_argument("--check", action="store_true", help="compare with the tree on disk, write nothing")
    args = ap.parse_args()
    root = Path(args.out)
    rendered, expected = render_all()
    exp_text = expected_json(expected)
    if args.check:
        bad = []
        for scen, tree in rendered.items():
            base = root / scen
            on_disk = {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()} if base.exists() else set()
            if on_disk != set(tree):
                bad.append(f"{scen}: file set differs ({len(on_disk ^ set(tree))} paths)")
            for rel, text in tree.items():
                p = base / rel
                if not p.exists() or p.read_bytes() != text.encode():
                    bad.append(f"{scen}/{rel}: content differs")
        ep = root / EXPECTED_FILE
        if not ep.exists() or ep.read_text() != exp_text:
            bad.append(f"{EXPECTED_FILE}: content differs")
        for b in bad[:20]:
            print(b, file=sys.stderr)
        return 1 if bad else 0
    for scen, tree in rendered.items():
        base = root / scen
        if base.exists():
            shutil.rmtree(base)
        for rel, text in sorted(tree.items()):
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "wb") as f:
                f.write(text.encode())
            os.chmod(p, 0o644)
        print(f"wrote {len(tree)} files under {base}", file=sys.stderr)
    (root / EXPECTED_FILE).write_text(exp_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
