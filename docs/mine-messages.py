#!/usr/bin/env python3
"""Lists the log messages of Docker's swarm networking and control plane.

Usage: docs/mine-messages.py MOBY_GIT_DIR [TAG ...] > messages.tsv

Reads a local moby/moby git directory (bare or not; nothing is built or
run) at each TAG (default: one tag per minor release 17.06 .. 29.x) and
prints one row per distinct (level, template): level, template, the
last source file that logs it (path in that tag), the first and last tag
it was seen in, and `error` when the call carries WithError (the error is
then in an `error=` field, not in the message).

Packages read: daemon/cluster, libnetwork (vendored before 23.0,
libnetwork/ 23.0-28.x, daemon/libnetwork/ since 29.0) and swarmkit
(vendored), and the vendored hashicorp/memberlist that NetworkDB gossips with
(its `[ERR]`/`[WARN]` lines, which dockerd logs at level=warning). Skipped: Windows- and Solaris-only files and the overlay
driver's serf code (the pre-swarm overlay over an external KV store). Only log calls at warning, error, fatal and panic level.
"""
import re
import subprocess
import sys

TAGS = [
    "v17.06.2-ce", "v17.09.1-ce", "v17.12.1-ce", "v18.03.1-ce", "v18.06.3-ce",
    "v18.09.9", "v19.03.15", "v20.10.27", "v23.0.18", "v24.0.9", "v25.0.17",
    "v26.1.5", "v27.5.1", "v28.5.2", "docker-v29.7.2",
]

ROOTS = [
    "daemon/cluster/",
    "vendor/github.com/docker/libnetwork/",
    "libnetwork/",
    "daemon/libnetwork/",
    "vendor/github.com/docker/swarmkit/",
    "vendor/github.com/moby/swarmkit/",
    "vendor/github.com/hashicorp/memberlist/",
]
# Parts of swarmkit/libnetwork that are not the swarm control plane or
# swarm networking (CLI tools, test helpers, generated code).
SKIP = re.compile(
    r"(_test\.go$|_windows\.go$|/windows/|/solaris/|/ov_serf\.go$|/cmd/|/test/|/testutils?/|/integration/|\.pb\.go$|/api/|/protobuf/|"
    r"/cli/|/cmd|/docs/|/support/|/mock|/fixtures/|/example|/ipvs/.*_windows|"
    r"swarmkit(/v2)?/(cmd|swarmd|template|protobuf|api|xnet|identity|ioutils|remotes|"
    r"watch|volumequeue|node/plugin)|/csi/|/volumes?/)"
)
CALL = re.compile(
    r"\.(Errorf|Error|Warnf|Warn|Warningf|Warning|Fatalf|Fatal|Panicf|Panic)\(\s*"
)
LEVEL = {"Error": "error", "Warn": "warning", "Warning": "warning",
         "Fatal": "fatal", "Panic": "panic"}
# memberlist logs through a Go logger that libnetwork's NetworkDB turns into
# logrus lines: `[ERR]` and `[WARN]` both become level=warning.
MEMBERLIST = re.compile(r'Printf\(\s*"\[(ERR|WARN)\] (memberlist: (?:[^"\\\n]|\\.)*)"')
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`([^`]*)`')


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args],
                          check=True, capture_output=True).stdout


def files(gitdir, tag):
    out = git(gitdir, "ls-tree", "-r", "--name-only", tag, "--", *ROOTS)
    for p in out.decode().splitlines():
        if p.endswith(".go") and not SKIP.search(p):
            # daemon/cluster: everything; libnetwork: everything but tools.
            yield p


def read_all(gitdir, tag, paths):
    proc = subprocess.Popen(["git", "--git-dir", gitdir, "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write("".join(f"{tag}:{p}\n" for p in paths).encode())
    proc.stdin.close()
    for p in paths:
        header = proc.stdout.readline().split()
        size = int(header[2])
        body = proc.stdout.read(size)
        proc.stdout.read(1)
        yield p, body.decode("utf-8", "replace")
    proc.wait()


def receiver_is_logger(before):
    """The text before `.Error(` names a logger (logrus, log.G(ctx), a
    logger variable or an entry built by WithField/WithError)."""
    tail = before[-300:]
    return bool(re.search(
        r"(logrus|log\.G\([^)]*\)|log\.L|logger|Logger|log|entry|logEntry|lg|"
        r"With(Error|Field|Fields)\([^;{}]*\)|\blogrus\.\w+\([^)]*\))\s*$", tail))


def stmt_start(src, pos):
    """Start of the statement holding pos (after the previous newline that
    does not continue a call chain)."""
    i = pos
    while True:
        nl = src.rfind("\n", 0, i)
        if nl < 0:
            return 0
        line = src[nl + 1:i].lstrip()
        prev_end = src[:nl].rstrip()
        if line.startswith(".") or prev_end.endswith((".", "(", ",")):
            i = nl
            continue
        return nl + 1


def lit(m):
    """The value of a Go string literal match."""
    if m.group(2) is not None:
        return m.group(2)
    return re.sub(r'\\(.)', lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)),
                  m.group(1))


def template_of(args):
    m = STRING.match(args)
    if not m:
        return None
    s = lit(m)
    # `"a" + "b"` concatenations.
    rest = args[m.end():]
    while True:
        c = re.match(r"\s*\+\s*", rest)
        if not c:
            break
        m2 = STRING.match(rest[c.end():])
        if not m2:
            s += "%v"
            break
        s += lit(m2)
        rest = rest[c.end() + m2.end():]
    return s


def mine(gitdir, tag):
    paths = list(files(gitdir, tag))
    for path, src in read_all(gitdir, tag, paths):
        if "/hashicorp/memberlist/" in path:
            for m in MEMBERLIST.finditer(src):
                line = src.count("\n", 0, m.start()) + 1
                yield "warning", re.sub(r"\\(.)", r"\1", m.group(2)), path, line, False
            continue
        for m in CALL.finditer(src):
            start = stmt_start(src, m.start())
            before = src[start:m.start()]
            if not receiver_is_logger(before):
                continue
            if re.search(r"\b(t|b|c|tc|s\.T\(\))\s*$", before):
                continue
            args = src[m.end():m.end() + 2000]
            tmpl = template_of(args)
            if tmpl is None:
                continue
            name = m.group(1)
            level = LEVEL[re.sub(r"f$", "", name)] if name not in LEVEL else LEVEL[name]
            with_error = "WithError(" in before or "WithError(" in src[start:m.end()]
            line = src.count("\n", 0, m.start()) + 1
            yield level, tmpl, path, line, with_error


def short(path):
    """The path as `daemon/cluster/…`, `libnetwork/…` or `swarmkit/…`,
    whichever tree vendors it."""
    for r, name in [("daemon/cluster/", "daemon/cluster/"),
                    ("vendor/github.com/docker/libnetwork/", "libnetwork/"),
                    ("daemon/libnetwork/", "libnetwork/"),
                    ("libnetwork/", "libnetwork/"),
                    ("vendor/github.com/docker/swarmkit/", "swarmkit/"),
                    ("vendor/github.com/moby/swarmkit/v2/", "swarmkit/"),
                    ("vendor/github.com/moby/swarmkit/", "swarmkit/"),
                    ("vendor/github.com/hashicorp/memberlist/", "memberlist/")]:
        if path.startswith(r):
            return name + path[len(r):]
    return path


def version(tag):
    return re.sub(r"^(docker-)?v", "", tag).replace("-ce", "")


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    gitdir = sys.argv[1]
    tags = sys.argv[2:] or TAGS
    rows = {}
    for tag in tags:
        for level, tmpl, path, line, with_error in mine(gitdir, tag):
            key = (level, tmpl)
            r = rows.get(key)
            if r is None:
                rows[key] = r = {"first": tag, "path": path, "line": line,
                                 "error": with_error, "last": tag}
            r["last"], r["path"], r["line"] = tag, path, line
            r["error"] = r["error"] or with_error
    print("level\ttemplate\tsource\tversions\tfield")
    for (level, tmpl), r in sorted(rows.items(), key=lambda kv: (short(kv[1]["path"]), kv[0])):
        print(f"{level}\t{esc(tmpl)}\t{short(r['path'])}\t"
              f"{version(r['first'])}-{version(r['last'])}\t"
              f"{'error' if r['error'] else 'msg'}")


if __name__ == "__main__":
    main()
