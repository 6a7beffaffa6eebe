#!/bin/sh
# swarmdiag collector: gathers one node bundle for offline Docker Swarm diagnosis.
#
# Writes the layout of docs/bundle-layout.md (version 1) into a temp dir, then
# archives it as one .zip (when `zip` exists) or .tar.gz. It is read-only on the
# node: inspection commands only (never modprobe, never `ip netns add`, never an
# iptables write); it writes nothing but its own temp dir (removed on exit) and
# the output archive. Secrets are masked with sed before anything is written.
#
# Needs sh, coreutils and the docker CLI. Uses ip, bridge, iptables-save,
# ipvsadm, nsenter, journalctl, ss, zip or tar when present and lists the
# missing ones in manifest.json `absent_tools`. Runs under dash and busybox sh.
#
# Environment: SWARMDIAG_TIMEOUT (seconds per command, default 60),
# SWARMDIAG_MAX_BYTES (cap per output file, default 67108864 = 64 MiB).

COLLECTOR_VERSION=0.1.0

usage() {
	cat <<'EOF'
usage: collect.sh [options]
       collect.sh --mask json|text|daemon-json FILE...

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
  --mask KIND FILE... print FILEs with secrets masked as the collector does
                      (KIND json: inspect output, daemon-json, text) and exit
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
# Applied to every text output: swarm join tokens, credentials in URLs,
# PEM private keys (raw, or escaped on one line inside a JSON string), and
# the value of any NAME=value whose name mentions a password, secret, token
# or API key (`--db-password=x` in a command line, `token=x` in a log).
SECRET_WORD='[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Pp][Aa][Ss][Ss][Ww][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Aa][Pp][Ii][_-]?[Kk][Ee][Yy]'
# JSON keys (labels) whose string value is masked: SECRET_WORD without
# "secret", which would hit the SecretName/SecretID of secret references.
LABEL_WORD='[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Pp][Aa][Ss][Ss][Ww][Dd]|[Tt][Oo][Kk][Ee][Nn]|[Aa][Pp][Ii][_-]?[Kk][Ee][Yy]'
mask_text() {
	sed -E \
		-e 's/SWMTKN-1-[0-9A-Za-z]+(-[0-9A-Za-z]+)?/SWMTKN-1-<masked>/g' \
		-e "s/([A-Za-z0-9_.-]*($SECRET_WORD)[A-Za-z0-9_.-]*=)[^\"[:space:],&\\\\<][^\"[:space:],&\\\\]*/\\1<masked>/g" \
		-e 's#(://)[^/@:"[:space:]]+:[^/@"[:space:]]+@#\1<masked>@#g' \
		-e 's/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[^"]*-----END [A-Z0-9 ]*PRIVATE KEY-----/<masked private key>/g' \
		-e '/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,/-----END [A-Z0-9 ]*PRIVATE KEY-----/s/.*/<masked private key>/'
}

# Docker inspect JSON (indented, one array element per line): every
# "KEY=value" in an "Env" array becomes "KEY=<masked>"; string "Data" payloads
# (secrets, configs), values of keys naming a password, token or API key
# (labels), and the array element after a secret-named flag ("--password",
# "x") become "<masked>". A compact one-line Env array is masked
# whole. An element that does not look like KEY=value is masked whole.
mask_json() {
	mask_text | sed -E \
		-e '/"Env": ?\[$/,/^[[:space:]]*\]/{
s/^([[:space:]]*"[^"=\\]*=).*[^,]$/\1<masked>"/
s/^([[:space:]]*"[^"=\\]*=).*,$/\1<masked>",/
/<masked>"/!s/^([[:space:]]*)".*"(,?)$/\1"<masked>"\2/
}' \
		-e 's/"Env": ?\[("([^"\\]|\\.)*",?)+\]/"Env":["<masked>"]/g' \
		-e 's/("Data": ?)"([^"\\]|\\.)*"/\1"<masked>"/g' \
		-e "s/(\"[^\"]*($LABEL_WORD)[^\"]*\"[[:space:]]*:[[:space:]]*)\"([^\"\\\\]|\\\\.)*\"/\\1\"<masked>\"/g" \
		-e "/^[[:space:]]*\"--?[A-Za-z0-9_.-]*($SECRET_WORD)[A-Za-z0-9_.-]*\",\$/{n;s/^([[:space:]]*)\".*\"(,?)\$/\\1\"<masked>\"\\2/;}"
}

# daemon.json: mask_json, plus any string value whose key mentions a password,
# secret, token, auth or credential (registry credentials, proxy passwords).
mask_daemon_json() {
	mask_json | sed -E \
		-e 's/("[^"]*([Pp][Aa][Ss][Ss]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Aa][Uu][Tt][Hh]|[Cc][Rr][Ee][Dd])[^"]*"[[:space:]]*:[[:space:]]*)"([^"\\]|\\.)*"/\1"<masked>"/g'
}

# ---------------------------------------------------------------- helpers
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
# /dev/null; stdout goes through FILTER into PATH (capped at MAX_BYTES),
# stderr into PATH.stderr (kept when non-empty). DISPLAY_CMD, when set,
# replaces the command shown in the manifest.
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
	{
		$TO "$@" </dev/null 2>"$r_out.stderr"
		echo $? >"$W/rc"
	} | $r_filter | head -c $((MAX_BYTES + 1)) >"$r_out"
	r_t1=$(now_ms)
	r_rc=$(cat "$W/rc" 2>/dev/null)
	[ -n "$r_rc" ] || r_rc=141
	r_trunc=false
	r_bytes=$(bytes_of "$r_out")
	if [ "$r_bytes" -gt "$MAX_BYTES" ]; then
		head -c "$MAX_BYTES" "$r_out" >"$W/cut" && mv "$W/cut" "$r_out"
		r_bytes=$MAX_BYTES
		r_trunc=true
		# Our cap closed the pipe: a SIGPIPE exit (141) is ours, not the
		# command's; "truncated" says what happened.
		[ "$r_rc" != 141 ] || r_rc=0
	fi
	if [ -s "$r_out.stderr" ]; then
		mask_text <"$r_out.stderr" | head -c "$MAX_BYTES" >"$W/err"
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
	ids_out=$($TO "$@" </dev/null 2>"$W/ids.err") || return 1
	printf '%s' "$ids_out" | tr '\n' ' '
}
# why REASON: REASON, plus the enumeration's first error line when there is one.
why() {
	wy_e=$(head -n 1 "$W/ids.err" 2>/dev/null | mask_text)
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
	run mask_json docker/version.json $DOCKER version --format '{{json .}}'
	run mask_json docker/info.json $DOCKER info --format '{{json .}}'
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
		run mask_json swarm/networks.json $DOCKER network inspect --verbose $n_ids
	else
		skip swarm/networks.json "$(qargs $DOCKER network ls --filter scope=swarm -q --no-trunc)" \
			"$(why "no swarm-scope network")"
	fi

	if c_ids=$(ids $DOCKER ps -aq --no-trunc) && [ -n "$c_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER inspect --type container) <ids from: $(qargs $DOCKER ps -aq --no-trunc)>"
		run mask_json containers/inspect.json $DOCKER inspect --type container $c_ids
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
		run mask_json swarm/nodes.json $DOCKER node inspect $nd_ids
	else
		skip swarm/nodes.json "$(qargs $DOCKER node ls -q)" "$(why "no node listed")"
	fi
	if s_ids=$(ids $DOCKER service ls -q) && [ -n "$s_ids" ]; then
		DISPLAY_CMD="$(qargs $DOCKER service inspect) <ids from: $(qargs $DOCKER service ls -q)>"
		run mask_json swarm/services.json $DOCKER service inspect $s_ids
		if t_ids=$(ids $DOCKER service ps -q --no-trunc $s_ids) && [ -n "$t_ids" ]; then
			DISPLAY_CMD="$(qargs $DOCKER inspect --type task) <ids from: $(qargs $DOCKER service ps -q --no-trunc) <every service>>"
			run mask_json swarm/tasks.json $DOCKER inspect --type task $t_ids
		else
			skip swarm/tasks.json "$(qargs $DOCKER service ps -q --no-trunc) <every service>" "$(why "no task listed")"
		fi
		DISPLAY_CMD="$(qargs $DOCKER service ps --no-trunc) <every service>"
		run mask_text swarm/service-ps.txt $DOCKER service ps --no-trunc $s_ids
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
		run mask_daemon_json docker/daemon.json cat "$DAEMON_JSON"
	else
		skip docker/daemon.json "cat $DAEMON_JSON" "file not present"
	fi
}

collect_logs() {
	if [ -n "$DAEMON_LOG" ]; then
		LOG_SOURCE="file:$DAEMON_LOG"
		DISPLAY_CMD="$(qargs cat "$DAEMON_LOG") | <lines since $CUTOFF>"
		run since_filter logs/dockerd.log cat "$DAEMON_LOG"
	elif [ -n "$JFMT" ] && [ -n "$(journalctl -u docker -q -n 1 --no-pager </dev/null 2>/dev/null)" ]; then
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

	if [ -n "$JFMT" ] && [ -n "$(journalctl -k -q -n 1 --no-pager </dev/null 2>/dev/null)" ]; then
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
	if have iptables-save; then
		run cat host/iptables-save.txt iptables-save
	else
		skip host/iptables-save.txt iptables-save "iptables-save not found"
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
	if have ss; then
		DISPLAY_CMD="ss -lntup | <ports 2377 7946 4789>"
		run ports_filter host/sockets.txt ss -lntup
	elif have netstat; then
		DISPLAY_CMD="netstat -lntup | <ports 2377 7946 4789>"
		run ports_filter host/sockets.txt netstat -lntup
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
		if ! $TO nsenter "$N" true </dev/null 2>"$W/ns.err"; then
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
		if have iptables-save; then run cat "$n/iptables-save.txt" nsenter "$N" iptables-save; fi
		if have ipvsadm; then run cat "$n/ipvsadm.txt" nsenter "$N" ipvsadm -Ln; fi
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
	} >"$B/manifest.json"
}

archive() {
	case $OUT in
	*.zip)
		have zip || die "--out $OUT: zip not found (use .tar.gz)"
		(cd "$W" && zip -q -r -X "$OUT" "$TOP") || return 1
		;;
	*)
		have tar && have gzip || die "neither zip nor tar+gzip found"
		(cd "$W" && tar -cf - "$TOP" | gzip -c >"$OUT") || return 1
		;;
	esac
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
			[ $# -ge 2 ] || die "--mask needs json, daemon-json or text"
			MASK_KIND=$2
			shift 2
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
		case $MASK_KIND in
		json) m_f=mask_json ;;
		daemon-json) m_f=mask_daemon_json ;;
		text) m_f=mask_text ;;
		*) die "--mask: unknown kind $MASK_KIND (json, daemon-json, text)" ;;
		esac
		[ $# -gt 0 ] || die "--mask $MASK_KIND needs files"
		for m_file; do $m_f <"$m_file" || return 1; done
		return 0
	fi
	SINCE_S=$(parse_since "$SINCE") || die "--since: expected <n>s, <n>m, <n>h or <n>d, got '$SINCE'"
	[ -z "$DAEMON_LOG" ] || [ -r "$DAEMON_LOG" ] || die "--daemon-log: cannot read $DAEMON_LOG"
	[ -n "$DOCKER" ] || die "--docker: empty command"
	set -- $DOCKER
	DOCKER_BIN=$1
	MAX_BYTES=${SWARMDIAG_MAX_BYTES:-67108864}
	CMD_TIMEOUT=${SWARMDIAG_TIMEOUT:-60}
	case $MAX_BYTES$CMD_TIMEOUT in *[!0-9]*) die "SWARMDIAG_MAX_BYTES and SWARMDIAG_TIMEOUT must be numbers" ;; esac

	ABSENT=
	for t in "$DOCKER_BIN" ip bridge iptables-save ipvsadm nsenter journalctl ss lsmod dmesg timeout zip tar gzip awk; do
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
	JFMT=
	if have journalctl; then
		if journalctl -o short-iso-precise -n 0 --no-pager >/dev/null 2>&1; then
			JFMT=short-iso-precise
		elif journalctl -o short-iso -n 0 --no-pager >/dev/null 2>&1; then
			JFMT=short-iso
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
	[ ! -e "$OUT" ] || die "--out $OUT already exists"
	[ -d "${OUT%/*}" ] || die "--out: no directory ${OUT%/*}"

	W=$(mktemp -d "${TMPDIR:-/tmp}/swarmdiag.XXXXXX") || die "mktemp -d failed"
	trap 'rm -rf "$W"' EXIT
	trap 'exit 130' INT TERM HUP
	B=$W/$TOP
	mkdir -p "$B"
	: >"$W/entries"
	setup_json_escape
	DISPLAY_CMD=

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

	collect_docker
	collect_daemon_files
	collect_logs
	collect_host
	collect_netns
	write_manifest
	if ! archive; then
		rm -f "$OUT"
		die "could not write $OUT"
	fi
	say "wrote $OUT ($(bytes_of "$OUT") bytes)"
	printf '%s\n' "$OUT"
}

main "$@" </dev/null
