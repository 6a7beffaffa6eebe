# shellcheck shell=bash
# canary: a swarm with a unique canary string in every place a swarm can hold
# a secret (issue 12), then the collector on every node under
# `strace -f -e trace=execve`. Not part of run.sh's default list (and so not
# captured into testdata/lab): tests/lab_safety.rs runs it and checks
#   OUT/canary/nodeN/            the unpacked bundles: no canary in any file
#                                name or content;
#   OUT/canary/.canaries         one `place<TAB>value` per line;
#   OUT/canary/.strace/nodeN     every exec of node1's and node3's collections:
#                                none that can change the node;
#   OUT/canary/.modules-before, .modules-after: /proc/modules and /sys/module
#                                around the collections: equal.
#
# Places: daemon.json (an engine label db_pass=…), dockerd flags (the default
# log driver's splunk-token), the join tokens and the unlock key (autolock),
# a node label, a network's labels, a secret's and a config's payload, a
# global service's env, labels, container labels, command string and extra
# arguments, healthcheck, log driver options (token, URL password), a plain
# container's env, label and arguments, and lines in the daemon log itself
# (JSON body, join token, unlock key, URL password, splunk-token, bearer
# token, AWS key id, JWT, PEM private key).

# cn PLACE: the canary for PLACE (recorded in $CN_FILE).
cn() {
	local v="cnry${CN_ID}$1z"
	printf '%s\t%s\n' "$1" "$v" >>"$CN_FILE"
	printf '%s' "$v"
}
# cn_raw PLACE VALUE: record a canary made elsewhere (a token, a key).
cn_raw() { printf '%s\t%s\n' "$1" "$2" >>"$CN_FILE"; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

modules_snapshot() {
	{
		echo "# /proc/modules"
		if [ -r /proc/modules ]; then cut -d' ' -f1-3 /proc/modules | sort; fi
		echo "# /sys/module"
		ls /sys/module
	} >"$1"
}

scenario_canary() {
	local out=$1
	local dir=$out/canary
	CN_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	CN_FILE=$dir/.canaries
	mkdir -p "$dir/.strace"
	: >"$CN_FILE"
	# Seen by lab_up through bash's dynamic scope, gone after this function.
	local LAB_DAEMON_JSON LAB_DOCKERD_ARGS
	LAB_DAEMON_JSON="{\"log-level\": \"info\", \"labels\": [\"lab=swarmdiag\", \"db_pass=$(cn daemonjson)\"]}"
	LAB_DOCKERD_ARGS="--log-driver splunk --log-opt splunk-token=$(cn dockerdflag) --log-opt splunk-url=http://127.0.0.1:9 --log-opt splunk-verify-connection=false"
	lab_up 3
	lab_swarm 2

	local tm tw uk
	tm=$(d 1 swarm join-token -q manager)
	tw=$(d 1 swarm join-token -q worker)
	d 1 swarm update --autolock=true >/dev/null
	uk=$(d 1 swarm unlock-key -q)
	[ -n "$tm" ] && [ -n "$tw" ] && [ -n "$uk" ] || fail "canary: no join token or unlock key"
	cn_raw jointoken-manager "$tm"
	cn_raw jointoken-manager-secret "${tm##*-}"
	cn_raw jointoken-worker "$tw"
	cn_raw jointoken-worker-secret "${tw##*-}"
	cn_raw unlockkey "$uk"
	cn_raw unlockkey-secret "${uk#SWMKEY-1-}"

	d 1 node update --label-add "vault.credential=$(cn nodelabel)" node3 >/dev/null
	d 1 network create -d overlay --label "db_pass=$(cn netlabel)" --label "secret=$(cn netlabel2)" canarynet >/dev/null
	local v
	v=$(cn secretpayload)
	cn_raw secretpayload-base64 "$(printf '%s' "$v" | base64 -w0)"
	printf '%s' "$v" | d 1 secret create cnrysecret - >/dev/null
	v=$(cn configpayload)
	cn_raw configpayload-base64 "$(printf '%s' "$v" | base64 -w0)"
	printf '%s' "$v" | d 1 config create cnryconfig - >/dev/null

	d 1 service create -d --name vault --mode global --network canarynet \
		--env "DB_PASSWORD=$(cn svcenv)" --env "PLAIN_SETTING=$(cn svcenv2)" \
		--label "vault.credential=$(cn svclabel)" --label "secret=$(cn svclabel2)" \
		--label "traefik.http.middlewares.auth.basicauth.users=admin:$(cn traefik)" \
		--container-label "db_pass=$(cn ctrlabel)" --container-label "secret=$(cn ctrlabel2)" \
		--secret cnrysecret --config cnryconfig \
		--health-cmd "true -u admin:$(cn healthcurl) --auth u:$(cn healthauth)" --health-interval 5s \
		--log-driver splunk --log-opt "splunk-token=$(cn logopt)" \
		--log-opt "splunk-url=http://splunk:$(cn logopturl)@127.0.0.1:9" \
		--log-opt splunk-verify-connection=false \
		--stop-grace-period 1s --no-resolve-image "$LAB_IMAGE" \
		sh -c "x='mysql -u root -p $(cn cmdp) redis://:$(cn cmdredis)@db --credentials=$(cn cmdcred) curl -u admin:$(cn cmdcurl)'; exec sleep 3600" \
		sh --password "$(cn cmdarg)" >/dev/null
	d 1 run -d --name plain --log-driver json-file --env "API_TOKEN=$(cn runenv)" \
		--label "auth.secret=$(cn runlabel)" "$LAB_IMAGE" \
		sh -c 'exec sleep 3600' sh --token "$(cn runarg)" >/dev/null
	wait_until 90 "services converged" services_converged || fail "canary: the service did not converge"

	# What a daemon log can hold: lines as dockerd (logrus) writes them.
	local ts aws jwt_p jwt_s
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)
	aws=AKIA$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	cn_raw logawskey "$aws"
	jwt_p=$(printf '{"sub":"%s"}' "$(cn logjwt)" | b64url)
	jwt_s=$(printf '%s' "$(cn logjwtsig)" | b64url)
	cn_raw logjwt-payload "$jwt_p"
	cn_raw logjwt-signature "$jwt_s"
	{
		printf 'time="%s" level=debug msg="form data: {\\"Password\\":\\"%s\\",\\"Name\\":\\"web\\"}"\n' "$ts" "$(cn logjson)"
		printf 'time="%s" level=info msg="joining the swarm" token=%s remote=198.18.0.11:2377\n' "$ts" "$tw"
		printf 'time="%s" level=info msg="docker swarm join --token %s 198.18.0.11:2377"\n' "$ts" "$tm"
		printf 'time="%s" level=info msg="join with %s"\n' "$ts" "$tm"
		printf 'time="%s" level=info msg="unlock with %s"\n' "$ts" "$uk"
		printf 'time="%s" level=error msg="pull from https://mirror:%s@registry.example failed"\n' "$ts" "$(cn logurl)"
		printf 'time="%s" level=warning msg="log driver" splunk-token=%s auth="Bearer %s"\n' "$ts" "$(cn logsplunk)" "$(cn logbearer)"
		printf 'time="%s" level=debug msg="credentials from %s"\n' "$ts" "$aws"
		printf 'time="%s" level=debug msg="token eyJhbGciOiJIUzI1NiJ9.%s.%s"\n' "$ts" "$jwt_p" "$jwt_s"
		printf -- '-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n' "$(cn logpem)"
	} >>"$LAB/node1/dockerd.log"

	modules_snapshot "$dir/.modules-before"
	# Under strace: a manager (the leader) and the worker; node2 is another
	# manager, collected plainly (strace makes a collection 10x slower).
	local LAB_COLLECT_WRAP="strace -f -qq -s 4096 -e trace=execve -o $dir/.strace/{node}"
	collect_node 1 "$dir"
	collect_node 3 "$dir"
	LAB_COLLECT_WRAP=
	collect_node 2 "$dir"
	modules_snapshot "$dir/.modules-after"
}
