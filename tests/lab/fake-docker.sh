#!/bin/sh
# A stand-in docker CLI for the collector's unit tests (no dockerd needed).
# Answers the commands collect.sh runs with small, docker-shaped output that
# hides secrets in every place the collector must mask (the word hunter2,
# base64 aHVudGVyMg==, a private key, a join token).
# FAKE_DOCKER_MODE: manager (default), worker, down, slow (node inspect hangs).
mode=${FAKE_DOCKER_MODE:-manager}
while [ $# -gt 0 ]; do
	case $1 in
	-H) shift 2 ;;
	*) break ;;
	esac
done
down() {
	echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
	exit 1
}
case "$mode:$1 $2" in
down:version*)
	printf '%s\n' '{"Client":{"Version":"20.10.24","ApiVersion":"1.41"},"Server":null}'
	down
	;;
down:info*)
	printf '%s\n' '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"],"ClientInfo":{"Debug":false}}'
	exit 0
	;;
down:*) down ;;
*:"version --format") printf '%s\n' '{"Client":{"Version":"20.10.24","ApiVersion":"1.41"},"Server":{"Version":"20.10.24","ApiVersion":"1.41"}}' ;;
*:"info --format")
	ctl=true
	[ "$mode" = worker ] && ctl=false
	printf '{"ID":"X","Name":"node1","ServerVersion":"20.10.24","Swarm":{"NodeID":"n1","LocalNodeState":"active","ControlAvailable":%s},"HttpProxy":"http://proxyuser:hunter2@proxy.example:3128"}\n' "$ctl"
	;;
*:"network ls") printf 'netaaaa\nnetbbbb\n' ;;
*:"network inspect")
	cat <<'EOF'
[
    {
        "Name": "appnet",
        "Id": "netaaaa",
        "Scope": "swarm",
        "Driver": "overlay"
    }
]
EOF
	;;
*:"ps -aq") printf 'c1\nc2\n' ;;
*:"inspect --type")
	cat <<'EOF'
[
    {
        "Id": "c1",
        "Config": {
            "Hostname": "c1",
            "Env": [
                "PASSWORD=hunter2",
                "TRICKY=say \"hunter2\" ], here, hunter2",
                "hunter2",
                "EMPTY=",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            ],
            "Env2": "kept"
        },
        "GraphDriver": {
            "Data": {
                "MergedDir": "/var/lib/docker/overlay2/x/merged"
            }
        },
        "Compact": {"Env":["A=hunter2","B=x \"hunter2\" y"],"Other":["KEEP=visible"]},
        "Key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIhunter2AoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"
    }
]
EOF
	;;
*:"node ls") printf 'n1\nn2\n' ;;
*:"node inspect")
	[ "$mode" = slow ] && sleep 30
	cat <<'EOF'
[
    {
        "ID": "n1",
        "Description": {"Hostname": "node1"},
        "Status": {"State": "ready", "Addr": "198.18.0.11"}
    }
]
EOF
	;;
*:"service ls") printf 's1\n' ;;
*:"service inspect")
	cat <<'EOF'
[
    {
        "ID": "s1",
        "Spec": {
            "Name": "db",
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "lab/busybox:1",
                    "Env": [
                        "PASSWORD=hunter2"
                    ],
                    "Secrets": [
                        {"SecretName": "labsecret", "Data": "aHVudGVyMg=="}
                    ]
                }
            }
        }
    }
]
EOF
	;;
*:"service ps")
	case " $* " in
	*" -q "*) printf 't1\nt2\n' ;;
	*) printf 'ID   NAME   IMAGE   NODE   DESIRED STATE   CURRENT STATE   ERROR   PORTS\nt1   db.1   lab/busybox:1   node1   Running   Running 1 minute ago\n' ;;
	esac
	;;
*:"swarm join-token") echo "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx" ;;
*)
	echo "fake-docker: unknown command: $*" >&2
	exit 1
	;;
esac
