#!/bin/sh
# swarmdiag collector: gathers one node bundle for offline Docker Swarm diagnosis.
#
# Writes the layout of docs/bundle-layout.md (version 1) into a temp dir, then
# archives it as one .zip (when `zip` exists) or .tar.gz. It changes nothing on
# the node: reading commands only (never an ip, bridge, iptables, nft or docker
# write verb, never `ip netns add`), and a command that would make the kernel
# (or the tool: ipvsadm) load a module runs only when that module is already
# loaded (kmod_ready), else the manifest says why it was skipped. It writes
# nothing but its own temp dir (removed on exit) and the output archive. Every
# file goes through one masker (`mask`) before it is written.
#
# Needs sh, coreutils, sed and the docker CLI. Uses awk, ip, bridge,
# iptables-save, nft, ipvsadm, conntrack, ethtool, nsenter, journalctl, ss,
# timeout, zip or tar when present and lists the missing ones in manifest.json
# `absent_tools`. Runs under dash and busybox sh.
#
# Environment: SWARMDIAG_TIMEOUT (seconds per command, default 60),
# SWARMDIAG_MAX_BYTES (cap per output file, default 67108864 = 64 MiB);
# SWARMDIAG_KMOD_ROOT (tests: a directory standing for / when checking which
# kernel modules are loaded).

COLLECTOR_VERSION=0.1.0

usage() {
	cat <<'EOF'
usage: collect.sh [options]
       collect.sh --mask FILE...

Collects one swarmdiag node bundle from this node (run it as root on every
node, managers and workers) and prints the bundle's path.

  --out FILE          bundle to write: .zip, .tar.gz or .tgz
                      (default ./swarmdiag-<hostname>-<UTC timestamp>.zip,
                      or .tar.gz when zip is absent)
  --since DURATION    how far back to read logs: <n>s, <n>m, <n>h or <n>d
                      (default 48h)
  --exec-root DIR     dockerd exec-root (default: the running dockerd's
                      --exec-root, else /var/run/docker)
  --daemon-log FILE   dockerd log file (default: journald unit docker, else
                      /var/log/docker.log, else syslog files filtered to dockerd)
  --docker CMD        docker CLI command, e.g. "docker -H unix:///run/d.sock"
                      (default: docker; DOCKER_HOST is honoured)
  --mask FILE...      print FILEs with secrets masked as the collector masks
                      everything it writes, and exit
  --version, --help
EOF
}

say() { printf 'swarmdiag-collect: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- masking
# One masker, `mask`, applied to every file the collector writes (command
# output, stderr, logs, inspect JSON, daemon.json, the dockerd command line,
# the manifest). sed and awk only; case-insensitive by bracket classes. It
# replaces with `<masked>`:
# - the value after a secret-like name (SECRET_NAME: pass, pwd, secret, token,
#   key, auth, cred, cert) in `NAME=value`, `NAME="v a l"`, `NAME: value`,
#   `"NAME": "value"` (JSON, also escaped inside a JSON string), `--NAME value`
#   and the element after a `"--NAME",` flag in a JSON array or argv list;
# - the value after `-p`, and the password of `-u user:X` / `--user user:X`;
# - URL userinfo (`https://<masked>@host`), PEM blocks, JWTs, AWS access key
#   ids, swarm join tokens (SWMTKN-1-<masked>) and unlock keys (SWMKEY-1-),
#   xfrm state keys (`enc cbc(aes) <masked>`);
# - every environment value ("Env" arrays keep the names) and every "Data"
#   payload (secrets, configs).
# Kept: SandboxKey (a path the analyzer needs), SecretName, SecretID, and
# `-p tcp` (udp, icmp…) protocols in iptables rules quoted by dockerd's log.
SECRET_NAME='[A-Za-z0-9_.-]*([Pp][Aa][Ss][Ss]|[Pp][Ww][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Kk][Ee][Yy]|[Aa][Uu][Tt][Hh]|[Cc][Rr][Ee][Dd]|[Cc][Ee][Rr][Tt])[A-Za-z0-9_.-]*'
# `NAME: value` (HTTP headers, YAML, some log messages): only these names, as
# `certificate: x509: …` or `Key:10.0.1.2` in logs must stay readable.
COLON_NAME='((Proxy-)?[Aa]uthorization|[A-Za-z0-9_.-]*([Pp][Aa][Ss][Ss][Ww]|[Pp][Ww][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn])[A-Za-z0-9_.-]*)'
# A bare value: up to a quote, blank, comma, ampersand, semicolon or backslash;
# not starting with `<` (already masked).
MASK_VAL="[^\"'[:space:],&;\\\\<][^\"'[:space:],&;\\\\]*"
mask() {
	sed -E \
		-e 's/"(Sandbox)(Key)"/"\1%%\2"/g' \
		-e 's/"(Sec)(ret(Name|ID))"/"\1%%\2"/g' \
		-e 's/(^|[^A-Za-z0-9_-])-p (tcp|udp|icmp|icmpv6|ipv6-icmp|sctp|esp|all)([^A-Za-z0-9_-]|$)/\1-%%p \2\3/g' \
		-e 's/SWMTKN-1-[0-9A-Za-z]+(-[0-9A-Za-z]+)?/SWMTKN-1-<masked>/g' \
		-e 's#SWMKEY-1-[0-9A-Za-z+/=_-]+#SWMKEY-1-<masked>#g' \
		-e 's#(://)[^/@"'"'"'[:space:]\\]+@#\1<masked>@#g' \
		-e 's/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/<masked jwt>/g' \
		-e 's/(AKIA|ASIA)[0-9A-Z]{16}/<masked aws key>/g' \
		-e 's/-----BEGIN ([A-Z0-9 ]+)-----[^"]*-----END [A-Z0-9 ]+-----/<masked \1>/g' \
		-e '/-----BEGIN [A-Z0-9 ]+-----/,/-----END [A-Z0-9 ]+-----/s/.*/<masked pem>/' \
		-e "s/(\"$SECRET_NAME\"[[:space:]]*:[[:space:]]*)\"([^\"\\\\]|\\\\.)*\"/\\1\"<masked>\"/g" \
		-e "s/(\\\\\"$SECRET_NAME\\\\\"[[:space:]]*:[[:space:]]*)\\\\\"([^\"\\\\]|\\\\[^\"])*\\\\\"/\\1\\\\\"<masked>\\\\\"/g" \
		-e "s/(\"(--?$SECRET_NAME|-p|-u|--user)\",[[:space:]]*)\"([^\"\\\\]|\\\\.)*\"/\\1\"<masked>\"/g" \
		-e "s/($SECRET_NAME=)\\\\\"([^\"\\\\]|\\\\[^\"])*\\\\\"/\\1\\\\\"<masked>\\\\\"/g" \
		-e "s/($SECRET_NAME=)\"([^\"\\\\]|\\\\.)*\"/\\1\"<masked>\"/g" \
		-e "s/($SECRET_NAME=)'[^']*'/\\1'<masked>'/g" \
		-e "s/($SECRET_NAME=)$MASK_VAL/\\1<masked>/g" \
		-e "s/((^|[[:space:]\"'])$COLON_NAME:[[:space:]]+)([Bb]earer |[Bb]asic )?$MASK_VAL/\\1<masked>/g" \
		-e "s/(^|[[:space:]\"'])(--?$SECRET_NAME)[[:space:]]+([^-\"'[:space:],&;\\\\<][^\"'[:space:],&;\\\\]*)/\\1\\2 <masked>/g" \
		-e "s/(^|[[:space:]\"'])(-u|--user)([[:space:]]+|=)([^:\"'[:space:]\\\\]*):$MASK_VAL/\\1\\2\\3\\4:<masked>/g" \
		-e "/^(-[AIN] |\\[[0-9]+:[0-9]+\\] -[AI] )/!s/(^|[[:space:]\"'])-p[[:space:]]+$MASK_VAL/\\1-p <masked>/g" \
		-e 's/^([[:space:]]*(auth|auth-trunc|enc|aead|comp)[[:space:]]+[^[:space:]]+[[:space:]]+)0x[0-9A-Fa-f]+/\1<masked>/' \
		-e 's/("Data": ?)"([^"\\]|\\.)*"/\1"<masked>"/g' \
		-e 's/"Env": ?\[("([^"\\]|\\.)*",?[[:space:]]*)+\]/"Env":["<masked>"]/g' \
		-e 's/"(Sandbox|Sec)%%(Key|retName|retID)"/"\1\2"/g' \
		-e 's/-%%p /-p /g' |
		sed -E \
			-e '/"Env": ?\[$/,/^[[:space:]]*\]/{
s/^([[:space:]]*"[^"=\\]*=).*[^,]$/\1<masked>"/
s/^([[:space:]]*"[^"=\\]*=).*,$/\1<masked>",/
/<masked>"/!s/^([[:space:]]*)".*"(,?)$/\1"<masked>"\2/
}' \
			-e "/^[[:space:]]*\"(--?$SECRET_NAME|-p|-u|--user)\",\$/{n;s/^([[:space:]]*)\".*\"(,?)\$/\\1\"<masked>\"\\2/;}" \
			-e "/^(--?$SECRET_NAME|-p|-u|--user)\$/{n;s/.*/<masked>/;}"
}

# ---------------------------------------------------------------- helpers
# to CMD [ARG...]: run CMD, stopped after CMD_TIMEOUT seconds with exit code
# 124 (as timeout(1) does). Uses timeout(1) when it works (TO), else a
# watcher in the background: sleep, then TERM to CMD and its descendants,
# then KILL 5 s later.
to() {
	if [ -n "$TO" ]; then
		$TO "$@"
		return
	fi
	"$@" &
	to_pid=$!
	(
		to_s=
		trap 'kill "$to_s" 2>/dev/null; exit 0' TERM
		sleep "$CMD_TIMEOUT" &
		to_s=$!
		wait "$to_s"
		: >"$W/timedout.$to_pid"
		to_t=$(tree_of "$to_pid")
		kill -TERM $to_t 2>/dev/null
		sleep 5 &
		to_s=$!
		wait "$to_s"
		kill -KILL $to_t 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	to_w=$!
	wait "$to_pid"
	to_rc=$?
	kill -TERM "$to_w" 2>/dev/null
	wait "$to_w" 2>/dev/null
	if [ -e "$W/timedout.$to_pid" ]; then
		rm -f "$W/timedout.$to_pid"
		to_rc=124
	fi
	return $to_rc
}

# tree_of PID: PID and its descendants, from /proc/*/stat (a child that
# outlives its killed parent would hold the output pipe open).
tree_of() {
	if ! have awk; then
		echo "$1"
		return
	fi
	set +f
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
{ pid = $1; sub(/.*\) /, ""); parent[pid] = $2 }
END {
  print root; n = 1; q[1] = root
  for (i = 1; i <= n; i++) for (p in parent) if (parent[p] == q[i]) { q[++n] = p; print p }
}'
	set -f
}

# kmod_ready [-s] MODULE [FILE...]: whether MODULE is in the running kernel
# (one of the FILEs exists, /sys/module/MODULE exists, /proc/modules lists
# it, or modules.builtin does). A kernel without /proc/modules cannot load
# modules at all, so then the answer is yes unless -s (strict: the tool
# itself would exec modprobe, as ipvsadm does). On no, KMOD_WHY says why.
kmod_ready() {
	km_strict=
	if [ "$1" = -s ]; then
		km_strict=1
		shift
	fi
	km_m=$1
	shift
	for km_f; do [ -e "$KROOT$km_f" ] && return 0; done
	[ -d "$KROOT/sys/module/$km_m" ] && return 0
	if [ -r "$KROOT/proc/modules" ]; then
		grep -q "^$km_m " "$KROOT/proc/modules" && return 0
		km_b=$KROOT/lib/modules/$(uname -r)/modules.builtin
		[ -r "$km_b" ] && grep -q "/$km_m\.ko" "$km_b" && return 0
		KMOD_WHY="$km_m not loaded: not in /proc/modules, no /sys/module/$km_m (running it would load it; the collector loads no module)"
		return 1
	fi
	[ -z "$km_strict" ] && return 0
	KMOD_WHY="$km_m not loaded: no${1:+ $1,} no /sys/module/$km_m, no /proc/modules (running it would exec modprobe $km_m)"
	return 1
}

# Milliseconds from some fixed point: /proc/uptime (10 ms steps, read by a
# builtin: no process per call), else date +%N (GNU), else whole seconds.
setup_clock() {
	if [ -r /proc/uptime ]; then
		CLOCK=uptime
	else
		case $(date +%N 2>/dev/null) in
		[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) CLOCK=date ;;
		*) CLOCK=sec ;;
		esac
	fi
}
now_ms() {
	case $CLOCK in
	date)
		nm_t=$(date +%s%N)
		echo $((nm_t / 1000000))
		;;
	uptime)
		read -r nm_u nm_rest </proc/uptime
		nm_s=${nm_u%.*}
		nm_c=${nm_u#*.}
		echo $((nm_s * 1000 + (1$nm_c - 100) * 10))
		;;
	*) echo $(($(date +%s) * 1000)) ;;
	esac
}

# A sed script that escapes a string for JSON: backslash, quote and every
# control character (as \u00XX); lines are joined with \n afterwards.
setup_json_escape() {
	{
		printf '%s\n' 's/\\/\\\\/g' 's/"/\\"/g'
		je_i=1
		while [ $je_i -lt 32 ]; do
			if [ $je_i -ne 10 ]; then
				je_c=$(printf "\\$(printf %03o $je_i)")
				printf 's/%s/\\\\u%04x/g\n' "$je_c" $je_i
			fi
			je_i=$((je_i + 1))
		done
		# Last: mark line ends (joined by tr afterwards). In this file, not
		# a separate -e: busybox sed does not keep -e/-f order.
		printf '%s\n' '$!s/$/\\n/'
	} >"$W/esc.sed"
}
json_str() {
	case $1 in
	*[\\\"]* | *[![:print:]]*)
		printf '"'
		printf '%s' "$1" | sed -f "$W/esc.sed" | tr -d '\n'
		printf '"'
		;;
	*) printf '"%s"' "$1" ;;
	esac
}

# Shell-quoted display form of a command (for the manifest).
qargs() {
	qa_out=
	for qa; do
		case $qa in
		*\'*) qa="'$(printf '%s' "$qa" | sed "s/'/'\\\\''/g")'" ;;
		'' | *[!A-Za-z0-9_./:=@%+,-]*) qa="'$qa'" ;;
		esac
		qa_out="${qa_out:+$qa_out }$qa"
	done
	printf '%s' "$qa_out"
}

bytes_of() {
	bo_n=$(wc -c <"$1")
	echo $((bo_n))
}

# record PATH COMMAND EXIT DURATION BYTES TRUNCATED [SKIPPED]
record() {
	rc_extra=
	[ -z "${7:-}" ] || rc_extra=", \"skipped\": $(json_str "$7")"
	printf '{"path": %s, "command": %s, "exit_code": %s, "duration_ms": %s, "bytes": %s, "truncated": %s%s}\n' \
		"$(json_str "$1")" "$(json_str "$2")" "$3" "$4" "$5" "$6" "$rc_extra" >>"$W/entries"
}

# skip PATH COMMAND REASON: a file the collector could not try.
skip() {
	record "$1" "$2" null 0 0 false "$3"
	say "skipped $1: $3"
}

# run FILTER PATH CMD [ARG...]: run CMD under the timeout with stdin from
# /dev/null; stdout goes through FILTER, then `mask`, into PATH (capped at
# MAX_BYTES: the first bytes, or for logs/* the last, newest, whole lines),
# stderr masked into PATH.stderr (kept when non-empty). DISPLAY_CMD, when
# set, replaces the command shown in the manifest.
run() {
	r_filter=$1
	r_path=$2
	shift 2
	r_out=$B/$r_path
	[ -d "${r_out%/*}" ] || mkdir -p "${r_out%/*}"
	r_cmd=${DISPLAY_CMD:-$(qargs "$@")}
	DISPLAY_CMD=
	r_t0=$(now_ms)
	rm -f "$W/rc"
	case $r_path in
	logs/*) r_cap=tail ;;
	*) r_cap=head ;;
	esac
	{
		to "$@" </dev/null 2>"$r_out.stderr"
		echo $? >"$W/rc"
	} | $r_filter | mask | $r_cap -c $((MAX_BYTES + 1)) >"$r_out"
	r_t1=$(now_ms)
	r_rc=$(cat "$W/rc" 2>/dev/null)
	[ -n "$r_rc" ] || r_rc=141
	r_trunc=false
	r_bytes=$(bytes_of "$r_out")
	if [ "$r_bytes" -gt "$MAX_BYTES" ]; then
		if [ "$r_cap" = tail ]; then
			# Keep the newest lines: drop the oldest, cut, line.
			tail -c "$MAX_BYTES" "$r_out" | tail -n +2 >"$W/cut" && mv "$W/cut" "$r_out"
		else
			head -c "$MAX_BYTES" "$r_out" >"$W/cut" && mv "$W/cut" "$r_out"
		fi
		r_bytes=$(bytes_of "$r_out")
		r_trunc=true
		# Our cap closed the pipe: a SIGPIPE exit (141) is ours, not the
		# command's; "truncated" says what happened.
		[ "$r_rc" != 141 ] || r_rc=0
	fi
	if [ -s "$r_out.stderr" ]; then
		mask <"$r_out.stderr" | head -c "$MAX_BYTES" >"$W/err"
		mv "$W/err" "$r_out.stderr"
	else
		rm -f "$r_out.stderr"
	fi
	r_dur=$((r_t1 - r_t0))
	[ "$r_rc" = 0 ] || say "$r_path: exit $r_rc"
	[ -n "${NORECORD:-}" ] || record "$r_path" "$r_cmd" "$r_rc" "$r_dur" "$r_bytes" $r_trunc
}

# run_or FILTER PATH "FALLBACK WORDS" CMD [ARG...]: run CMD; when it fails
# with no output, run the fallback instead and record only that (busybox ip
# has no -d, busybox dmesg no -T).
run_or() {
	ro_f=$1
	ro_p=$2
	ro_alt=$3
	shift 3
	NORECORD=1
	run "$ro_f" "$ro_p" "$@"
	NORECORD=
	if [ "$r_rc" = 0 ] || [ "$r_bytes" != 0 ]; then
		record "$ro_p" "$r_cmd" "$r_rc" "$r_dur" "$r_bytes" $r_trunc
	else
		say "$ro_p: trying $ro_alt"
		run "$ro_f" "$ro_p" $ro_alt
	fi
}

# ids CMD [ARG...]: run an enumeration command, print its output as one
# space-separated line. Its failure is returned; its stderr goes to $W/ids.err.
ids() {
	ids_out=$(to "$@" </dev/null 2>"$W/ids.err") || return 1
	printf '%s' "$ids_out" | tr '\n' ' '
}
# why REASON: REASON, plus the enumeration's first error line when there is one.
why() {
	wy_e=$(head -n 1 "$W/ids.err" 2>/dev/null | mask)
	printf '%s' "$1${wy_e:+: $wy_e}"
}

# Sysctl dump (`key = value`), run by sh -c in the host or in a namespace:
# the arguments are glob patterns relative to /proc/sys.
# Keys that do not exist (net.ipv4.vs.* without IPVS) are left out.
SYSCTL_SH='cd /proc/sys 2>/dev/null || exit 1
grep -H "" $* 2>/dev/null | sed -e "s/:/ = /" -e :a -e "s|^\([^ ]*\)/|\1.|" -e ta
exit 0'

# Keep log lines at or after $CUTOFF (local time, YYYY-MM-DDTHH:MM:SS).
# Understands logrus `time="..."`, ISO line prefixes (journald short-iso),
# syslog `Mon DD HH:MM:SS` (year inferred), `dmesg -T` `[Sun Nov 22 00:14:15
# 2026]` and plain dmesg `[12345.678901]` (seconds since boot, against
# $UPTIME_CUT). Lines without a time stamp follow the previous line.
since_filter() {
	if ! have awk; then
		cat
		return
	fi
	awk -v cutoff="$CUTOFF" -v upcut="$UPTIME_CUT" -v year="$(date +%Y)" -v mon="$(date +%m)" '
BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", n, " ")
        for (i = 1; i <= 12; i++) m[n[i]] = i; keep = 1 }
{
  ts = ""; up = ""
  if (match($0, /time="[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/))
    ts = substr($0, RSTART + 6, 19)
  else if ($0 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]/)
    ts = substr($0, 1, 10) "T" substr($0, 12, 8)
  else if (($1 in m) && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/) {
    y = (m[$1] > mon + 0) ? year - 1 : year
    ts = sprintf("%04d-%02d-%02dT%s", y, m[$1], $2, $3)
  } else if ($1 ~ /^\[[A-Z][a-z][a-z]$/ && ($2 in m) && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ && $5 ~ /^[0-9][0-9][0-9][0-9]\]/)
    ts = sprintf("%s-%02d-%02dT%s", substr($5, 1, 4), m[$2], $3, $4)
  else if (upcut != "" && match($0, /^\[ *[0-9]+\.[0-9]+\]/)) {
    up = substr($0, 2, RLENGTH - 2) + 0
    keep = (up >= upcut + 0)
  }
  if (ts != "") keep = (ts >= cutoff)
  if (keep) print
}'
}
syslog_dockerd() { grep -E '(dockerd|docker)(\[[0-9]+\])?:' | since_filter; }
ports_filter() { grep -E '^(Netid|State|Proto)|[:.](2377|7946|4789)[[:space:]]'; }
kconfig_filter() { grep -E '^(# )?CONFIG_(IP_VS|NETFILTER_XT_MATCH_IPVS|VXLAN|BRIDGE|BRIDGE_NETFILTER|VETH|NF_NAT|NF_CONNTRACK|NF_TABLES|NFT_COMPAT|IP_NF_|NETFILTER_XT_MATCH_U32|NETFILTER_XT_MARK|XFRM|INET_ESP|MODULES)[_A-Z0-9]*[= ]'; }
argv_lines() { tr '\000' '\n'; }

# Duration like 48h, 90m, 2d, 3600s -> seconds.
parse_since() {
	case $1 in
	[0-9]*[smhd]) ;;
	*) return 1 ;;
	esac
	ps_n=${1%?}
	case $ps_n in *[!0-9]*) return 1 ;; esac
	case $1 in
	*s) echo $((ps_n)) ;;
	*m) echo $((ps_n * 60)) ;;
	*h) echo $((ps_n * 3600)) ;;
	*d) echo $((ps_n * 86400)) ;;
	esac
}

# The running dockerd to describe: the one whose command line names our
# exec-root or the unix socket we talk to; with neither given, the first one.
find_dockerd() {
	fd_want=${EXEC_ROOT:-}
	if [ -z "$fd_want" ]; then
		for fd_w in $DOCKER ${DOCKER_HOST:-}; do
			case $fd_w in unix://*) fd_want=${fd_w#unix://} ;; esac
		done
	fi
	fd_first=
	set +f
	for fd_d in /proc/[0-9]*; do
		read -r fd_comm 2>/dev/null <"$fd_d/comm" || continue
		[ "$fd_comm" = dockerd ] || continue
		[ -n "$fd_first" ] || fd_first=${fd_d#/proc/}
		if [ -n "$fd_want" ] && tr '\000' '\n' <"$fd_d/cmdline" 2>/dev/null | grep -q -F -e "$fd_want"; then
			set -f
			echo "${fd_d#/proc/}"
			return 0
		fi
	done
	set -f
	# Asked for a given daemon and it is not running: describe none rather
	# than another one on the same machine.
	[ -z "$fd_want" ] && [ -n "$fd_first" ] && echo "$fd_first"
	return 0
}

# Value of a dockerd flag (--flag VALUE or --flag=VALUE) in cmdline file $1.
flag_value() {
	tr '\000' '\n' <"$1" 2>/dev/null | {
		fv_next=
		while IFS= read -r fv_a; do
			if [ -n "$fv_next" ]; then
				printf '%s' "$fv_a"
				return 0
			fi
			case $fv_a in
			"$2") fv_next=1 ;;
			"$2"=*)
				printf '%s' "${fv_a#*=}"
				return 0
				;;
			esac
		done
	}
}

# The underlay interface: the one holding the swarm NodeAddr (docker info),
# else the default route's.
underlay_nic() {
	have ip || return 0
	un_a=$(sed -n 's/.*"NodeAddr": *"\([^"]*\)".*/\1/p' "$B/docker/info.json" 2>/dev/null)
	un_i=
	[ -z "$un_a" ] || un_i=$(to ip -o addr show </dev/null 2>/dev/null |
		awk -v a="$un_a" '{ for (i = 3; i < NF; i++) if ($i == "inet" || $i == "inet6") { split($(i + 1), p, "/"); if (p[1] == a) { print $2; exit } } }')
	[ -n "$un_i" ] || un_i=$(to ip route show default </dev/null 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
	printf '%s' "${un_i%%@*}"
}

# IPT_WHY: why iptables-save is not run (empty: it is). iptables-nft needs
# nf_tables, legacy iptables ip_tables; either would be loaded on first use.
setup_gates() {
	IPT_WHY=
	if ! have iptables-save; then
		IPT_WHY="iptables-save not found"
	else
		case $(to iptables-save --version </dev/null 2>/dev/null) in
		*nf_tables*) kmod_ready nf_tables || IPT_WHY=$KMOD_WHY ;;
		*) kmod_ready ip_tables /proc/net/ip_tables_names || IPT_WHY=$KMOD_WHY ;;
		esac
	fi
	IPVS_WHY=
	kmod_ready -s ip_vs /proc/net/ip_vs || IPVS_WHY=$KMOD_WHY
}

# ---------------------------------------------------------------- parts
# The command behind a docker file, for manifest entries of skipped files.
docker_cmd_for() {
	case $1 in
	docker/version.json) qargs $DOCKER version --format '{{json .}}' ;;
	docker/info.json) qargs $DOCKER info --format '{{json .}}' ;;
	swarm/networks.json) printf '%s <swarm-scope networks>' "$(qargs $DOCKER network inspect --verbose)" ;;
	containers/inspect.json) printf '%s <every container>' "$(qargs $DOCKER inspect --type container)" ;;
	swarm/nodes.json) printf '%s <every node>' "$(qargs $DOCKER node inspect)" ;;
	swarm/services.json) printf '%s <every service>' "$(qargs $DOCKER service inspect)" ;;
	swarm/tasks.json) printf '%s <every task>' "$(qargs $DOCKER inspect --type task)" ;;
	swarm/service-ps.txt) printf '%s <every service>' "$(qargs $DOCKER service ps --no-trunc)" ;;
	esac
}

collect_docker() {
	say "docker: $DOCKER"
	if ! have "$DOCKER_BIN"; then
		for p in docker/version.json docker/info.json swarm/networks.json containers/inspect.json \
			swarm/nodes.json swarm/services.json swarm/tasks.json swarm/service-ps.txt; do
			skip "$p" "$(docker_cmd_for "$p")" "docker CLI not found: $DOCKER_BIN"
		done
		return
	fi
	run cat docker/version.json $DOCKER version --format '{{json .}}'
	run cat docker/info.json $DOCKER info --format '{{json .}}'
	if [ "$r_rc" != 0 ] || ! grep -q '"ServerVersion": *"[^"]' "$B/docker/info.json"; then
		cd_err=$(sed -n 's/.*"ServerErrors":\["\([^"]*\)".*/\1/p' "$B/docker/info.json" 2>/dev/null)
		[ -n "$cd_err" ] || cd_err=$(head -n 1 "$B/docker/info.json.stderr" 2>/dev/null)
		[ "$r_rc" != 124 ] || cd_err="docker info timed out after ${CMD_TIMEOUT}s"
		cd_why="dockerd not reachable: $cd_err"
		for p in swarm/networks.json containers/inspect.json swarm/nodes.json \
			swarm/services.json swarm/tasks.json swarm/service-ps.txt; do
			skip "$p" "$(docker_cmd_for "$p")" "$cd_why"
		done
		return
	fi

	if n_ids=$(ids $DOCKER network ls --filter scope=swarm -q --no-trunc) && [ -n "$n_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER network inspect --verbose) <swarm-scope network ids from: $(qargs $DOCKER network ls --filter scope=swarm -q --no-trunc)>"
		run cat swarm/networks.json $DOCKER network inspect --verbose $n_ids
	else
		skip swarm/networks.json "$(qargs $DOCKER network ls --filter scope=swarm -q --no-trunc)" \
			"$(why "no swarm-scope network")"
	fi

	if c_ids=$(ids $DOCKER ps -aq --no-trunc) && [ -n "$c_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER inspect --type container) <ids from: $(qargs $DOCKER ps -aq --no-trunc)>"
		run cat containers/inspect.json $DOCKER inspect --type container $c_ids
	else
		skip containers/inspect.json "$(qargs $DOCKER ps -aq --no-trunc)" "$(why "no container")"
	fi

	if ! grep -q '"ControlAvailable": *true' "$B/docker/info.json"; then
		for p in swarm/nodes.json swarm/services.json swarm/tasks.json swarm/service-ps.txt; do
			skip "$p" "$(docker_cmd_for "$p")" "not a swarm manager"
		done
		return
	fi
	if nd_ids=$(ids $DOCKER node ls -q) && [ -n "$nd_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER node inspect) <ids from: $(qargs $DOCKER node ls -q)>"
		run cat swarm/nodes.json $DOCKER node inspect $nd_ids
	else
		skip swarm/nodes.json "$(qargs $DOCKER node ls -q)" "$(why "no node listed")"
	fi
	if s_ids=$(ids $DOCKER service ls -q) && [ -n "$s_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER service inspect) <ids from: $(qargs $DOCKER service ls -q)>"
		run cat swarm/services.json $DOCKER service inspect $s_ids
		if t_ids=$(ids $DOCKER service ps -q --no-trunc $s_ids) && [ -n "$t_ids" ]; then
			DISPLAY_CMD="$(qargs $DOCKER inspect --type task) <ids from: $(qargs $DOCKER service ps -q --no-trunc) <every service>>"
			run cat swarm/tasks.json $DOCKER inspect --type task $t_ids
		else
			skip swarm/tasks.json "$(qargs $DOCKER service ps -q --no-trunc) <every service>" "$(why "no task listed")"
		fi
		DISPLAY_CMD="$(qargs $DOCKER service ps --no-trunc) <every service>"
		run cat swarm/service-ps.txt $DOCKER service ps --no-trunc $s_ids
	else
		for p in swarm/services.json swarm/tasks.json swarm/service-ps.txt; do
			skip "$p" "$(qargs $DOCKER service ls -q)" "$(why "no service listed")"
		done
	fi
}

collect_daemon_files() {
	if [ -n "$DOCKERD_PID" ] && [ -r "/proc/$DOCKERD_PID/cmdline" ]; then
		run argv_lines docker/dockerd-cmdline.txt cat "/proc/$DOCKERD_PID/cmdline"
	else
		skip docker/dockerd-cmdline.txt "cat /proc/<dockerd pid>/cmdline" "no running dockerd found"
	fi
	if [ -f "$DAEMON_JSON" ]; then
		run cat docker/daemon.json cat "$DAEMON_JSON"
	else
		skip docker/daemon.json "cat $DAEMON_JSON" "file not present"
	fi
}

collect_logs() {
	if [ -n "$DAEMON_LOG" ]; then
		LOG_SOURCE="file:$DAEMON_LOG"
		DISPLAY_CMD="$(qargs cat "$DAEMON_LOG") | <lines since $CUTOFF>"
		run since_filter logs/dockerd.log cat "$DAEMON_LOG"
	elif [ -n "$JFMT" ] && [ -n "$(to journalctl -u docker -q -n 1 --no-pager </dev/null 2>/dev/null)" ]; then
		LOG_SOURCE=journald
		run cat logs/dockerd.log journalctl -u docker -o "$JFMT" --no-pager --since "$CUTOFF_J"
	elif [ -r /var/log/docker.log ]; then
		LOG_SOURCE=file:/var/log/docker.log
		DISPLAY_CMD="cat /var/log/docker.log | <lines since $CUTOFF>"
		run since_filter logs/dockerd.log cat /var/log/docker.log
	else
		LOG_SOURCE=none
		for f in /var/log/daemon.log /var/log/messages /var/log/syslog; do
			[ -r "$f" ] || continue
			if grep -q -E '(dockerd|docker)(\[[0-9]+\])?:' "$f"; then
				LOG_SOURCE="syslog:$f"
				DISPLAY_CMD="cat $f | grep dockerd | <lines since $CUTOFF>"
				run syslog_dockerd logs/dockerd.log cat "$f"
				break
			fi
		done
		[ "$LOG_SOURCE" != none ] ||
			skip logs/dockerd.log "journalctl -u docker" "no daemon log found (no --daemon-log, no journald unit docker, no /var/log file with dockerd lines)"
	fi

	if [ -n "$JFMT" ] && [ -n "$(to journalctl -k -q -n 1 --no-pager </dev/null 2>/dev/null)" ]; then
		run cat logs/kernel.log journalctl -k -o "$JFMT" --no-pager --since "$CUTOFF_J"
	elif have dmesg; then
		DISPLAY_CMD="dmesg -T | <lines since $CUTOFF>"
		run_or since_filter logs/kernel.log dmesg dmesg -T
	else
		skip logs/kernel.log "dmesg -T" "neither journalctl -k nor dmesg available"
	fi
}

collect_host() {
	if have ip; then
		run_or cat host/ip-addr.txt "ip addr show" ip -d addr show
		run_or cat host/ip-link.txt "ip link show" ip -d link show
		run_or cat host/ip-route.txt "ip route show" ip route show table all
	else
		for p in host/ip-addr.txt host/ip-link.txt host/ip-route.txt; do skip "$p" ip "ip not found"; done
	fi
	if [ -z "$IPT_WHY" ]; then
		run cat host/iptables-save.txt iptables-save -c
	else
		skip host/iptables-save.txt "iptables-save -c" "$IPT_WHY"
	fi
	if ! have nft; then
		skip host/nft-ruleset.txt "nft list ruleset" "nft not found"
	elif kmod_ready nf_tables; then
		run cat host/nft-ruleset.txt nft list ruleset
	else
		skip host/nft-ruleset.txt "nft list ruleset" "$KMOD_WHY"
	fi
	if ! have ip; then
		for p in host/xfrm-state.txt host/xfrm-policy.txt; do skip "$p" "ip -s xfrm" "ip not found"; done
	elif kmod_ready xfrm_user; then
		run cat host/xfrm-state.txt ip -s xfrm state
		run cat host/xfrm-policy.txt ip -s xfrm policy
	else
		skip host/xfrm-state.txt "ip -s xfrm state" "$KMOD_WHY"
		skip host/xfrm-policy.txt "ip -s xfrm policy" "$KMOD_WHY"
	fi
	if ! have conntrack; then
		skip host/conntrack-stats.txt "conntrack -S" "conntrack not found"
	elif kmod_ready nf_conntrack_netlink; then
		run cat host/conntrack-stats.txt conntrack -S
	else
		skip host/conntrack-stats.txt "conntrack -S" "$KMOD_WHY"
	fi
	ch_nic=$(underlay_nic)
	if ! have ethtool; then
		skip host/ethtool-k.txt "ethtool -k <underlay interface>" "ethtool not found"
	elif [ -n "$ch_nic" ]; then
		run cat host/ethtool-k.txt ethtool -k "$ch_nic"
	else
		skip host/ethtool-k.txt "ethtool -k <underlay interface>" "no underlay interface: the swarm NodeAddr is on no local interface and there is no default route"
	fi
	DISPLAY_CMD="sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-* net.ipv4.conf.*.rp_filter net.ipv4.vs.* net.ipv4.neigh.default.gc_thresh*"
	run cat host/sysctl.txt sh -c "$SYSCTL_SH" sysctl net/ipv4/ip_forward 'net/bridge/bridge-nf-call-*' \
		'net/ipv4/conf/*/rp_filter' 'net/ipv4/vs/*' 'net/ipv4/neigh/default/gc_thresh*'
	if [ ! -r /proc/modules ]; then
		skip host/modules.txt lsmod "no /proc/modules: kernel without loadable module support (see host/kernel-config.txt)"
	elif have lsmod; then
		run cat host/modules.txt lsmod
	else
		run cat host/modules.txt cat /proc/modules
	fi
	# ss asks sock_diag, which loads inet_diag, tcp_diag and udp_diag on
	# first use; netstat reads /proc/net.
	if have ss && kmod_ready inet_diag && kmod_ready tcp_diag && kmod_ready udp_diag; then
		DISPLAY_CMD="ss -lntup | <ports 2377 7946 4789>"
		run ports_filter host/sockets.txt ss -lntup
	elif have netstat; then
		DISPLAY_CMD="netstat -lntup | <ports 2377 7946 4789>"
		run ports_filter host/sockets.txt netstat -lntup
	elif have ss; then
		skip host/sockets.txt "ss -lntup" "$KMOD_WHY; no netstat"
	else
		skip host/sockets.txt "ss -lntup" "neither ss nor netstat found"
	fi
	run cat host/uname.txt uname -a
	if [ -r /proc/config.gz ] && have gzip; then
		DISPLAY_CMD="gzip -dc /proc/config.gz | <networking options>"
		run kconfig_filter host/kernel-config.txt gzip -dc /proc/config.gz
	elif [ -r "/boot/config-$(uname -r)" ]; then
		DISPLAY_CMD="cat /boot/config-$(uname -r) | <networking options>"
		run kconfig_filter host/kernel-config.txt cat "/boot/config-$(uname -r)"
	else
		skip host/kernel-config.txt "gzip -dc /proc/config.gz" "no /proc/config.gz and no /boot/config-$(uname -r)"
	fi
}

# Every namespace under <exec-root>/netns/: ingress_sbox, lb_*, 1-*, sandboxes.
collect_netns() {
	set +f
	set -- "$EXEC_ROOT"/netns/*
	set -f
	if [ ! -e "$1" ]; then
		say "no namespace under $EXEC_ROOT/netns"
		return
	fi
	if ! have nsenter; then
		for ns; do skip "netns/${ns##*/}/ip-addr.txt" "nsenter --net=$ns" "nsenter not found"; done
		return
	fi
	say "netns: $# namespaces under $EXEC_ROOT/netns"
	for ns; do
		n=netns/${ns##*/}
		N=--net=$ns
		# dockerd unmounts a deleted namespace at once but removes its file
		# only on a later garbage collection (about 60 s): skip such files.
		if ! to nsenter "$N" true </dev/null 2>"$W/ns.err"; then
			ns_why="not a live namespace (unmounted file; dockerd removes it later): $(head -n 1 "$W/ns.err")"
			for f in ip-addr ip-link ip-route ip-neigh bridge-fdb iptables-save ipvsadm sysctl; do
				skip "$n/$f.txt" "nsenter $N" "$ns_why"
			done
			continue
		fi
		if have ip; then
			run_or cat "$n/ip-addr.txt" "nsenter $N ip addr show" nsenter "$N" ip -d addr show
			run_or cat "$n/ip-link.txt" "nsenter $N ip link show" nsenter "$N" ip -d link show
			run cat "$n/ip-route.txt" nsenter "$N" ip route show
			run cat "$n/ip-neigh.txt" nsenter "$N" ip neigh show
		fi
		if have bridge; then run cat "$n/bridge-fdb.txt" nsenter "$N" bridge fdb show; fi
		if [ -z "$IPT_WHY" ]; then
			run cat "$n/iptables-save.txt" nsenter "$N" iptables-save -c
		else
			skip "$n/iptables-save.txt" "nsenter $N iptables-save -c" "$IPT_WHY"
		fi
		if ! have ipvsadm; then
			skip "$n/ipvsadm.txt" "nsenter $N ipvsadm -Ln" "ipvsadm not found"
		elif [ -z "$IPVS_WHY" ]; then
			run cat "$n/ipvsadm.txt" nsenter "$N" ipvsadm -Ln
		else
			skip "$n/ipvsadm.txt" "nsenter $N ipvsadm -Ln" "$IPVS_WHY"
		fi
		DISPLAY_CMD="nsenter $N sysctl net.ipv4.ip_forward net.ipv4.conf.*.rp_filter net.ipv4.vs.*"
		run cat "$n/sysctl.txt" nsenter "$N" sh -c "$SYSCTL_SH" sysctl net/ipv4/ip_forward 'net/ipv4/conf/*/rp_filter' 'net/ipv4/vs/*'
	done
}

write_manifest() {
	{
		printf '{\n  "format": "swarmdiag-bundle",\n  "version": 1,\n'
		printf '  "collector_version": %s,\n' "$(json_str "$COLLECTOR_VERSION")"
		printf '  "collected_at": %s,\n' "$(json_str "$COLLECTED_AT")"
		printf '  "hostname": %s,\n' "$(json_str "$HOST")"
		printf '  "since": %s,\n' "$(json_str "$SINCE")"
		printf '  "exec_root": %s,\n' "$(json_str "$EXEC_ROOT")"
		printf '  "daemon_log_source": %s,\n' "$(json_str "$LOG_SOURCE")"
		printf '  "docker_command": %s,\n' "$(json_str "$DOCKER")"
		printf '  "max_bytes": %s,\n' "$MAX_BYTES"
		printf '  "timeout_s": %s,\n' "$CMD_TIMEOUT"
		printf '  "absent_tools": ['
		wm_sep=
		for t in $ABSENT; do
			printf '%s%s' "$wm_sep" "$(json_str "$t")"
			wm_sep=', '
		done
		printf '],\n  "commands": [\n'
		sed -e '$!s/$/,/' -e 's/^/    /' "$W/entries"
		printf '  ]\n}\n'
	} | mask >"$B/manifest.json"
}

# The archive is built in the temp dir, then copied to OUT with noclobber
# (O_EXCL): never through a symlink, never over a file made meanwhile.
archive() {
	case $OUT in
	*.zip)
		have zip || die "--out $OUT: zip not found (use .tar.gz)"
		(cd "$W" && zip -q -r -X "$W/out.zip" "$TOP") || return 1
		ar_tmp=$W/out.zip
		;;
	*)
		have tar && have gzip || die "neither zip nor tar+gzip found"
		(cd "$W" && tar -cf - "$TOP" | gzip -c >"$W/out.tgz") || return 1
		ar_tmp=$W/out.tgz
		;;
	esac
	(set -C && cat "$ar_tmp" >"$OUT") || return 2
}

# ---------------------------------------------------------------- main
main() {
	set -u
	set -f
	umask 077
	OUT= SINCE=48h EXEC_ROOT= DAEMON_LOG= DOCKER=docker MASK_KIND=
	while [ $# -gt 0 ]; do
		case $1 in
		--*=*)
			m_o=${1%%=*}
			m_v=${1#*=}
			shift
			set -- "$m_o" "$m_v" "$@"
			continue
			;;
		-h | --help)
			usage
			return 0
			;;
		--version)
			echo "$COLLECTOR_VERSION"
			return 0
			;;
		--mask)
			[ $# -ge 2 ] || die "--mask needs files"
			MASK_KIND=1
			shift
			break
			;;
		--out | --since | --exec-root | --daemon-log | --docker)
			[ $# -ge 2 ] || die "$1 needs a value"
			case $1 in
			--out) OUT=$2 ;;
			--since) SINCE=$2 ;;
			--exec-root) EXEC_ROOT=$2 ;;
			--daemon-log) DAEMON_LOG=$2 ;;
			--docker) DOCKER=$2 ;;
			esac
			shift 2
			;;
		*) die "unknown argument: $1 (see --help)" ;;
		esac
	done
	if [ -n "$MASK_KIND" ]; then
		for m_file; do mask <"$m_file" || return 1; done
		return 0
	fi
	SINCE_S=$(parse_since "$SINCE") || die "--since: expected <n>s, <n>m, <n>h or <n>d, got '$SINCE'"
	[ -z "$DAEMON_LOG" ] || [ -r "$DAEMON_LOG" ] || die "--daemon-log: cannot read $DAEMON_LOG"
	[ -n "$DOCKER" ] || die "--docker: empty command"
	set -- $DOCKER
	DOCKER_BIN=$1
	MAX_BYTES=${SWARMDIAG_MAX_BYTES:-67108864}
	# Tests only: where kmod_ready looks for /proc/modules, /sys/module…
	KROOT=${SWARMDIAG_KMOD_ROOT:-}
	CMD_TIMEOUT=${SWARMDIAG_TIMEOUT:-60}
	case $MAX_BYTES$CMD_TIMEOUT in *[!0-9]*) die "SWARMDIAG_MAX_BYTES and SWARMDIAG_TIMEOUT must be numbers" ;; esac

	ABSENT=
	for t in "$DOCKER_BIN" ip bridge iptables-save ipvsadm nft conntrack ethtool nsenter journalctl ss lsmod dmesg timeout zip tar gzip awk; do
		have "$t" || ABSENT="$ABSENT $t"
	done
	TO=
	if have timeout; then
		if timeout -k 5 10 true 2>/dev/null; then
			TO="timeout -k 5 $CMD_TIMEOUT"
		elif timeout 10 true 2>/dev/null; then
			TO="timeout $CMD_TIMEOUT"
		elif timeout -t 10 true 2>/dev/null; then
			TO="timeout -t $CMD_TIMEOUT"
		fi
	fi
	setup_clock

	NOW_S=$(date +%s)
	TS=$(date -u +%Y%m%dT%H%M%SZ)
	COLLECTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	CUTOFF=$(date -d "@$((NOW_S - SINCE_S))" +%Y-%m-%dT%H:%M:%S 2>/dev/null) || CUTOFF=0000-00-00T00:00:00
	CUTOFF_J=$(date -d "@$((NOW_S - SINCE_S))" '+%Y-%m-%d %H:%M:%S' 2>/dev/null) || CUTOFF_J="-$SINCE"
	UPTIME_CUT=
	if [ -r /proc/uptime ]; then
		read -r UPTIME_CUT m_rest </proc/uptime
		UPTIME_CUT=$((${UPTIME_CUT%.*} - SINCE_S))
	fi
	HOST=$(uname -n 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '_')
	[ -n "$HOST" ] || HOST=unknown
	TOP=swarmdiag-$HOST-$TS
	if [ -z "$OUT" ]; then
		if have zip; then OUT=./$TOP.zip; else OUT=./$TOP.tar.gz; fi
	fi
	case $OUT in
	*.zip | *.tar.gz | *.tgz) ;;
	*) die "--out must end in .zip, .tar.gz or .tgz: $OUT" ;;
	esac
	case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac
	[ ! -e "$OUT" ] && [ ! -L "$OUT" ] || die "--out $OUT already exists"
	[ -d "${OUT%/*}" ] || die "--out: no directory ${OUT%/*}"

	W=$(mktemp -d "${TMPDIR:-/tmp}/swarmdiag.XXXXXX") || die "mktemp -d failed"
	trap 'rm -rf "$W"' EXIT
	trap 'exit 130' INT TERM HUP
	B=$W/$TOP
	mkdir -p "$B"
	: >"$W/entries"
	setup_json_escape
	DISPLAY_CMD=
	JFMT=
	if have journalctl; then
		if to journalctl -o short-iso-precise -n 0 --no-pager </dev/null >/dev/null 2>&1; then
			JFMT=short-iso-precise
		elif to journalctl -o short-iso -n 0 --no-pager </dev/null >/dev/null 2>&1; then
			JFMT=short-iso
		fi
	fi

	DOCKERD_PID=$(find_dockerd)
	if [ -z "$EXEC_ROOT" ] && [ -n "$DOCKERD_PID" ]; then
		EXEC_ROOT=$(flag_value "/proc/$DOCKERD_PID/cmdline" --exec-root)
	fi
	[ -n "$EXEC_ROOT" ] || EXEC_ROOT=/var/run/docker
	DAEMON_JSON=
	[ -z "$DOCKERD_PID" ] || DAEMON_JSON=$(flag_value "/proc/$DOCKERD_PID/cmdline" --config-file)
	[ -n "$DAEMON_JSON" ] || DAEMON_JSON=/etc/docker/daemon.json
	LOG_SOURCE=none
	say "collecting $TOP (dockerd pid ${DOCKERD_PID:-none}, exec-root $EXEC_ROOT, logs since $CUTOFF)"

	setup_gates
	collect_docker
	collect_daemon_files
	collect_logs
	collect_host
	collect_netns
	write_manifest
	archive
	case $? in
	0) ;;
	2) die "could not create $OUT (it exists now, or its directory is not writable)" ;;
	*)
		rm -f "$OUT"
		die "could not write $OUT"
		;;
	esac
	say "wrote $OUT ($(bytes_of "$OUT") bytes)"
	printf '%s\n' "$OUT"
}

main "$@" </dev/null
