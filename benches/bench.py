#!/usr/bin/env python3
"""Side-by-side speed benchmark of `swarmdiag analyze` (run by benches/bench.sh).

Builds its data deterministically from the lab captures, then times, in
rounds, each pair of commands on the same files, and prints each ratio
against the targets of issue 13. Not a test: nothing here fails a build.

Data (under a temporary directory, removed at the end unless --keep):
  1x/cluster/node{1,2,3}  a lab scenario's three real node bundles, each
                          logs/dockerd.log grown to LINES lines from that
                          node's own info/debug lines, with its real failure
                          lines (those the rules' log patterns match) mixed in
                          at 1 in 1,000; 1x/cluster.zip holds the same tree.
  2x/...                  the same at 2 x LINES lines.
  scale/node{1,2,3}.zip   benches/scale.py: SCALE services, tasks and
                          container namespaces.
  roots/roots.zip         benches/scale.py --roots: ROOTS node roots.
  big/cluster/...         with --big: 30 node roots (10 copies of each grown
                          node under its own hostname and node id) holding
                          about 3 GB of logs.

Patterns: every log pattern of every rule, from `swarmdiag rules list
--format json`, one per line, for `rg -c -f patterns`.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "target", "release", "swarmdiag")
LEVEL_FILLER = re.compile(r'level=(info|debug)\b')
MIB = 1024 * 1024


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def patterns(path):
    out = subprocess.run([BIN, "rules", "list", "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    pats = []
    # `rules list --format json` is {schema, schema_version, rules: [...]}.
    for rule in json.loads(out)["rules"]:
        log = rule.get("log") or {}
        pats.extend(log.get("patterns") or [])
    # rg joins the patterns into one regex, where two groups of one name
    # clash: names do not change what matches.
    pats = [re.sub(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", "(?:", p) for p in pats]
    with open(path, "w") as f:
        f.write("\n".join(pats) + "\n")
    return len(pats)


def grow(src_log, dst_log, lines, pattern_file):
    """Writes `lines` lines: the node's info/debug lines that match no rule
    pattern, in turn, with one of its matching lines every 1,000th line."""
    seed = open(src_log, encoding="utf-8", errors="replace").read().splitlines()
    hit = subprocess.run(["rg", "-n", "--no-filename", "-f", pattern_file, src_log],
                         capture_output=True, text=True)
    if hit.returncode not in (0, 1):
        sys.exit(f"rg failed on {src_log}: {hit.stderr}")
    hit = hit.stdout
    hit_nos = {int(l.split(":", 1)[0]) - 1 for l in hit.splitlines() if l}
    failures = [seed[i] for i in sorted(hit_nos)]
    filler = [l for i, l in enumerate(seed) if i not in hit_nos and LEVEL_FILLER.search(l)]
    if not filler:
        filler = [l for i, l in enumerate(seed) if i not in hit_nos] or seed
    if not failures:
        failures = filler
    with open(dst_log, "w", encoding="utf-8") as out:
        fi = ri = 0
        buf = []
        for n in range(lines):
            if n % 1000 == 999:
                buf.append(failures[fi % len(failures)])
                fi += 1
            else:
                buf.append(filler[ri % len(filler)])
                ri += 1
            if len(buf) >= 10000:
                out.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            out.write("\n".join(buf) + "\n")
    return len(failures)


def zip_tree(tree, dst):
    base = os.path.dirname(tree)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames.sort()
            for f in sorted(filenames):
                path = os.path.join(dirpath, f)
                info = zipfile.ZipInfo(os.path.relpath(path, base), date_time=(2026, 11, 22, 2, 56, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as src, z.open(info, "w") as dst_f:
                    shutil.copyfileobj(src, dst_f, MIB)


def build_set(work, name, scenario, lines, pattern_file, with_zip=True):
    top = os.path.join(work, name)
    cluster = os.path.join(top, "cluster")
    shutil.copytree(os.path.join(ROOT, "testdata", "lab", scenario), cluster)
    failures = 0
    for node in sorted(os.listdir(cluster)):
        log = os.path.join(cluster, node, "logs", "dockerd.log")
        seed = log + ".seed"
        os.rename(log, seed)
        failures += grow(seed, log, lines, pattern_file)
        os.remove(seed)
    if with_zip:
        zip_tree(cluster, os.path.join(top, "cluster.zip"))
    return cluster


def logs_of(cluster):
    out = []
    for node in sorted(os.listdir(cluster)):
        d = os.path.join(cluster, node, "logs")
        out.extend(os.path.join(d, f) for f in sorted(os.listdir(d)))
    return out


def big_set(work, scenario, lines, pattern_file):
    """30 node roots from the 3 grown nodes of a scenario: files copied (the
    reader does not follow hard links), docker/info.json and manifest.json
    rewritten with a new hostname and node id so that no bundle is set aside
    as a duplicate."""
    src = build_set(work, "big-src", scenario, lines, pattern_file, with_zip=False)
    cluster = os.path.join(work, "big", "cluster")
    os.makedirs(cluster)
    k = 0
    for copy in range(10):
        for node in sorted(os.listdir(src)):
            k += 1
            name = f"{node}-{copy:02d}"
            dst = os.path.join(cluster, name)
            shutil.copytree(os.path.join(src, node), dst)
            for rel, edit in (("docker/info.json", "info"), ("manifest.json", "manifest")):
                p = os.path.join(dst, rel)
                if not os.path.exists(p):
                    continue
                data = json.load(open(p))
                if edit == "info":
                    data["Name"] = name
                    if isinstance(data.get("Swarm"), dict) and data["Swarm"].get("NodeID"):
                        data["Swarm"]["NodeID"] = (data["Swarm"]["NodeID"][:-2] + f"{k:02d}")
                else:
                    data["hostname"] = name
                json.dump(data, open(p, "w"), indent=2)
    return cluster


class Timer:
    def __init__(self, work):
        self.out = os.path.join(work, "time.out")

    def run(self, cmd, env=None):
        """(wall s, cpu s, peak RSS MiB) of a shell command, output discarded."""
        full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", self.out, "sh", "-c", cmd]
        e = dict(os.environ)
        e.update(env or {})
        start = time.perf_counter()
        r = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        # GNU time gives wall time in hundredths of a second, a tenth of a
        # 0.1 s run: the wall is timed here (with the shell's start-up on
        # every side alike).
        wall = time.perf_counter() - start
        # analyze exits 1 when it has findings; anything above is a failure.
        if r.returncode not in (0, 1):
            sys.exit(f"failed ({r.returncode}): {cmd}\n{r.stderr.decode()[-2000:]}")
        _, user, sys_, rss = open(self.out).read().split()[-4:]
        return wall, float(user) + float(sys_), int(rss) / 1024


def fmt_ratio(rs):
    rs = sorted(rs)
    if len(rs) == 1:
        return f"{rs[0]:.2f}"
    return f"{statistics.median(rs):.2f} (runs {', '.join(f'{r:.2f}' for r in rs)})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=600_000, help="daemon log lines per node (1x)")
    ap.add_argument("--scenario", default="exhausted", help="testdata/lab scenario")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the big cases")
    ap.add_argument("--log-rounds", type=int, default=5,
                    help="rounds of the log cases (at least --rounds): they are short and the machine noisy")
    ap.add_argument("--scale", type=int, default=100_000, help="services, tasks and namespaces (0: skip)")
    ap.add_argument("--roots", type=int, default=40_000, help="node roots (0: skip)")
    ap.add_argument("--big", action="store_true", help="also the 30-node, ~3 GB case")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    a = ap.parse_args()
    missing = [t for t in ("rg", "unzip", "taskset", "/usr/bin/time") if not shutil.which(t)]
    if missing:
        sys.exit(f"bench.py: missing {', '.join(missing)} (Debian: apt-get install ripgrep unzip util-linux time)")

    work = tempfile.mkdtemp(prefix="swarmdiag-bench.")
    try:
        run(a, work)
    finally:
        if a.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(a, work):
    pat = os.path.join(work, "patterns")
    npat = patterns(pat)
    one = build_set(work, "1x", a.scenario, a.lines, pat)
    two = build_set(work, "2x", a.scenario, 2 * a.lines, pat)
    size = lambda files: sum(os.path.getsize(f) for f in files) / MIB
    nproc = os.cpu_count()
    print(f"swarmdiag benchmark: {a.scenario}, 3 nodes; {npat} rule patterns; {max(a.rounds, a.log_rounds)} rounds "
          f"of the log cases, {a.rounds} of the big ones; "
          f"{nproc} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    print(f"  1x: {a.lines:,} daemon log lines per node, {size(logs_of(one)):.0f} MiB of logs, "
          f"zip {os.path.getsize(os.path.join(work, '1x', 'cluster.zip')) / MIB:.1f} MiB")
    print(f"  2x: {2 * a.lines:,} lines per node, {size(logs_of(two)):.0f} MiB of logs")

    t = Timer(work)
    q = lambda p: "'" + p + "'"
    analyze = lambda target: f"{q(BIN)} analyze --format json {q(target)} >/dev/null"
    rg = lambda cluster: f"rg -c -f {q(pat)} " + " ".join(q(f) for f in logs_of(cluster)) + " >/dev/null"
    zipped = os.path.join(work, "1x", "cluster.zip")
    html = lambda target: f"{q(BIN)} analyze --format html {q(target)} >/dev/null"
    # The log cases, each round in this order: the 1-core run right after
    # the all-core one it is compared with.
    cases = {
        "analyze 1x dir": (analyze(one), {}),
        # One core for the whole process: RAYON_NUM_THREADS=1 gives one log
        # worker, but the reader and the merge are threads of their own.
        "analyze 1x 1 core": ("taskset -c 0 " + analyze(one), {"RAYON_NUM_THREADS": "1"}),
        "rg 1x": (rg(one), {}),
        # How two cores scale on this machine, for reference.
        "rg 1x 1 core": ("taskset -c 0 " + rg(one), {}),
        # The HTML report also extracts the timeline's events (for reference).
        "analyze 1x html": (html(one), {}),
        "analyze 1x zip": (analyze(zipped), {}),
        "unzip -p | rg 1x": (f"unzip -p {q(zipped)} 'cluster/*/logs/*' | rg -c -f {q(pat)} >/dev/null", {}),
        "analyze 2x dir": (analyze(two), {}),
        "rg 2x": (rg(two), {}),
    }
    log_cases = set(cases)
    if a.scale:
        sdir = os.path.join(work, "scale")
        sh(f"python3 {q(os.path.join(ROOT, 'benches', 'scale.py'))} {a.scale} {q(sdir)}")
        zips = " ".join(q(os.path.join(sdir, f"node{i}.zip")) for i in (1, 2, 3))
        cases[f"scale {a.scale:,}"] = (f"{q(BIN)} analyze --format json {zips} >/dev/null", {})
    if a.roots:
        rdir = os.path.join(work, "roots")
        sh(f"python3 {q(os.path.join(ROOT, 'benches', 'scale.py'))} --roots {a.roots} {q(rdir)}")
        cases[f"roots {a.roots:,}"] = (analyze(os.path.join(rdir, "roots.zip")), {})
    if a.big:
        avg = size(logs_of(one)) * MIB / (3 * a.lines)
        big_lines = int(3e9 / 30 / avg)
        big = big_set(work, a.scenario, big_lines, pat)
        print(f"  big: 30 nodes x {big_lines:,} lines, {size(logs_of(big)) / 1024:.2f} GiB of logs")
        cases["analyze big"] = (analyze(big), {})
        cases["rg big"] = (rg(big), {})

    # Each log set must be read whole: a bundle the reader skipped (a hard
    # link, a cap) would time nothing.
    for cluster in [one, two] + ([big] if a.big else []):
        out = subprocess.run([BIN, "analyze", "--format", "json", cluster], capture_output=True)
        # "(input)" holds notes about the whole input (the timeline's event cap).
        nodes = [n for n in json.loads(out.stdout)["coverage"]["nodes"] if n["bundle"] != "(input)"]
        unread = [n["bundle"] for n in nodes if "logs/dockerd.log" not in n["present"] or n["notes"]
                  and any("not read" in x["message"] for x in n["notes"])]
        if len(nodes) != len(os.listdir(cluster)) or unread:
            sys.exit(f"analyze did not read every log of {cluster}: {unread or len(nodes)}")

    res = {k: [] for k in cases}
    for r in range(max(a.rounds, a.log_rounds)):
        for name, (cmd, env) in cases.items():
            if r < a.rounds or name in log_cases:
                res[name].append(t.run(cmd, env))
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other work on the machine slows runs)")
    print()
    print(f"{'case':24} {'wall s (median)':>16} {'CPU s (median)':>15} {'peak RSS MiB':>13}")
    for name, runs in res.items():
        print(f"{name:24} {statistics.median(x[0] for x in runs):16.3f} "
              f"{statistics.median(x[1] for x in runs):15.2f} {max(x[2] for x in runs):13.0f}")

    def ratios(x, y, col=0):
        return [rx[col] / max(ry[col], 1e-3) for rx, ry in zip(res[x], res[y])]

    verdicts = []

    def target(label, values, ok, goal):
        med = statistics.median(values)
        met = ok(med)
        verdicts.append(met)
        print(f"{label:44} {fmt_ratio(values):40} target {goal:9} {'MET' if met else 'NOT MET'}")

    print()
    print("ratios (median of per-round ratios; each round runs both sides on the same files)")
    target("analyze / rg, wall", ratios("analyze 1x dir", "rg 1x"), lambda v: v <= 1.0, "<= 1.0")
    print(f"{'analyze / rg, CPU':44} {fmt_ratio(ratios('analyze 1x dir', 'rg 1x', 1))}")
    print(f"{'analyze --format html / rg, wall (reference)':44} {fmt_ratio(ratios('analyze 1x html', 'rg 1x'))}")
    target("analyze zip / unzip -p | rg, wall", ratios("analyze 1x zip", "unzip -p | rg 1x"),
           lambda v: v <= 1.0, "<= 1.0")
    target("1 core / all cores, wall", ratios("analyze 1x 1 core", "analyze 1x dir"),
           lambda v: v >= 1.7, ">= 1.7")
    print(f"{'rg 1 core / all cores, wall (for reference)':44} {fmt_ratio(ratios('rg 1x 1 core', 'rg 1x'))}")
    target("2x data / 1x data, wall", ratios("analyze 2x dir", "analyze 1x dir"),
           lambda v: v <= 2.1, "<= 2.1")
    print(f"{'2x data / 1x data, CPU':44} {fmt_ratio(ratios('analyze 2x dir', 'analyze 1x dir', 1))}")
    print(f"{'rg 2x / rg 1x, wall (for reference)':44} {fmt_ratio(ratios('rg 2x', 'rg 1x'))}")
    rss = [x[2] for k, v in res.items() if k.startswith("analyze") for x in v]
    target("peak RSS of analyze on logs, MiB (max)", [max(rss)], lambda v: v <= 256, "<= 256")
    if a.scale:
        name = f"scale {a.scale:,}"
        target(f"{a.scale:,} services+tasks+namespaces, wall s", [x[0] for x in res[name]],
               lambda v: v < 5, "< 5")
        print(f"{'  its peak RSS, MiB':44} {max(x[2] for x in res[name]):.0f}")
    if a.roots:
        name = f"roots {a.roots:,}"
        print(f"{f'{a.roots:,} node roots, wall s':44} {fmt_ratio([x[0] for x in res[name]])}")
    if a.big:
        target("30 nodes, 3 GB, wall s", [x[0] for x in res["analyze big"]], lambda v: v < 10, "< 10")
        print(f"{'  analyze / rg there, wall':44} {fmt_ratio(ratios('analyze big', 'rg big'))}")
    print(f"\n{sum(verdicts)} of {len(verdicts)} targets met")


if __name__ == "__main__":
    main()
