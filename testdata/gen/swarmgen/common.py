"""Deterministic building blocks: ids, times, Go-style quoting and JSON, tabwriter.

Nothing here is random: every id or sub-second digit is derived from a label
with sha256, so running the generator twice gives identical bytes.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from datetime import datetime, timezone

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _int(label: str) -> int:
    return int.from_bytes(_digest(label), "big")


def swarm_id(label: str, prefix: str = "") -> str:
    """25 characters of [0-9a-z], like swarmkit's identity.NewID().

    `prefix` keeps ids quoted in a seed document (often only their first 12
    characters) and completes them deterministically.
    """
    n = _int("swarm:" + label)
    out = []
    for _ in range(25 - len(prefix)):
        n, r = divmod(n, 36)
        out.append(B36[r])
    sid = prefix + "".join(out)
    assert re.fullmatch(r"[0-9a-z]{25}", sid), sid
    return sid


def hex64(label: str, prefix: str = "") -> str:
    """64 hex characters (container, endpoint, sandbox ids)."""
    h = hashlib.sha256(("hex:" + label).encode()).hexdigest()
    out = (prefix + h)[:64]
    assert re.fullmatch(r"[0-9a-f]{64}", out), out
    return out


def hex12(label: str) -> str:
    return hashlib.sha256(("h12:" + label).encode()).hexdigest()[:12]


def small_int(label: str, lo: int, hi: int) -> int:
    """Deterministic integer in [lo, hi]."""
    return lo + _int("int:" + label) % (hi - lo + 1)


def mac_from_ip(ip: str) -> str:
    """02:42:<ip bytes>, how libnetwork derives endpoint MACs on these versions."""
    parts = [int(p) for p in ip.split(".")]
    return "02:42:" + ":".join(f"{p:02x}" for p in parts)


def random_mac(label: str, oui: str = "02:42") -> str:
    d = _digest("mac:" + label)
    tail = ":".join(f"{b:02x}" for b in d[: 6 - len(oui.split(":"))])
    return f"{oui}:{tail}"


# ---------------------------------------------------------------- time
# Times are integers: nanoseconds since the epoch, UTC.

NS = 1_000_000_000


def T(text: str, label: str | None = None) -> int:
    """Parse 'YYYY-mm-ddTHH:MM:SS[.fff…]' (UTC) into ns.

    With a label, the digits not given are filled deterministically so that
    timestamps look like real nanosecond clocks instead of round numbers.
    """
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?", text)
    assert m, text
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = m.group(7) or ""
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    given = int(frac.ljust(9, "0")) if frac else 0
    fill = 0
    if label is not None and len(frac) < 9:
        span = 10 ** (9 - len(frac))
        fill = _int("t:" + label) % span
    return secs * NS + given + fill


def _split(ns: int) -> tuple[datetime, int]:
    secs, frac = divmod(ns, NS)
    return datetime.fromtimestamp(secs, tz=timezone.utc), frac


def rfc3339_fixed(ns: int) -> str:
    """logrus RFC3339NanoFixed: always 9 fractional digits, 'Z'."""
    dt, frac = _split(ns)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def go_time(ns: int) -> str:
    """Go time.Time JSON (RFC3339Nano): trailing zeros trimmed, no dot when zero."""
    if ns == 0:
        return "0001-01-01T00:00:00Z"
    dt, frac = _split(ns)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def go_time_offset(ns: int, offset_min: int) -> str:
    """Go time JSON with a local offset, e.g. network Created on a host in UTC-5."""
    dt, frac = _split(ns + offset_min * 60 * NS)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    sign = "+" if offset_min >= 0 else "-"
    o = abs(offset_min)
    return f"{base}{sign}{o // 60:02d}:{o % 60:02d}"


def journald_iso_precise(ns: int) -> str:
    """journalctl -o short-iso-precise on systemd < 255: microseconds, '+0000'."""
    dt, frac = _split(ns)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // 1000:06d}+0000"


def ctime(ns: int) -> str:
    """C ctime(3) without the newline: 'Tue Nov 14 10:32:07 2023'."""
    dt, _ = _split(ns)
    return dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S %Y")


def unix_date(ns: int) -> str:
    """Go BuildTime in docker version Details: 'Wed Nov  7 00:16:44 2018'."""
    return ctime(ns)


def human_duration(ns: int) -> str:
    """go-units HumanDuration, lower-cased as `docker service ps` prints it."""
    seconds = ns // NS
    if seconds < 1:
        return "less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "about a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(ns / NS / 3600 + 0.5)
    if hours == 1:
        return "about an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    return f"{hours // 24 // 7} weeks"


# ---------------------------------------------------------------- Go quoting

def go_quote(s: str) -> str:
    """strconv.Quote for the characters that occur in our data."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SAFE_OLD = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_SAFE_NEW = _SAFE_OLD | set("_/@^+")


def logrus_value(v: str, old_logrus: bool) -> str:
    """Bare when every byte is in logrus' safe set, else Go-quoted.

    logrus v0.11 (Docker 17.03-17.09) only allows [A-Za-z0-9.-]; logrus >= 1.0.3
    (17.12+) also allows _ / @ ^ +. An empty value is printed bare.
    """
    safe = _SAFE_OLD if old_logrus else _SAFE_NEW
    if all(c in safe for c in v):
        return v
    return go_quote(v)


# ---------------------------------------------------------------- JSON

def docker_inspect_json(objs: list) -> str:
    """The CLI's inspect output: a JSON array indented with 4 spaces, no HTML escaping."""
    return json.dumps(objs, indent=4, ensure_ascii=False) + "\n"


def compact_json(obj) -> str:
    """`--format '{{json .}}'`: one line."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- tabwriter

def tabwrite(rows: list[list[str]], minwidth: int, padding: int = 3) -> str:
    """text/tabwriter as the docker CLI configures it (pad with spaces).

    Every cell but the last of a row is tab-terminated and padded to the column
    width max(minwidth, widest cell + padding); the last cell is written as is.
    """
    ncols = max(len(r) for r in rows)
    widths = [minwidth] * ncols
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(cell) + padding)
    lines = []
    for r in rows:
        parts = [cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])]
        parts.append(r[-1])
        lines.append("".join(parts))
    return "\n".join(lines) + "\n"


def natural_key(s: str):
    """sortorder.NaturalLess: digit runs compare as numbers."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", s)]
