//! The node collector: a POSIX sh script embedded in the binary.
//!
//! `swarmdiag collector-script` prints [`SCRIPT`] for nodes that lack the
//! binary; `swarmdiag collect` runs it on this node through [`run`], which
//! feeds it to `sh -s` so the script is the single implementation. What it
//! writes is the contract in `docs/bundle-layout.md`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The collector script (`src/collector/collect.sh`).
pub const SCRIPT: &str = include_str!("collect.sh");

/// Options of `swarmdiag collect`; each maps to the script option of the same name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectOptions {
    /// `--out`: bundle path ending in `.zip`, `.tar.gz` or `.tgz`.
    pub out: Option<PathBuf>,
    /// `--since`: how far back logs go, e.g. `48h`.
    pub since: Option<String>,
    /// `--exec-root`: dockerd exec-root holding `netns/`.
    pub exec_root: Option<PathBuf>,
    /// `--daemon-log`: dockerd log file when journald has none.
    pub daemon_log: Option<PathBuf>,
    /// `--docker`: docker CLI command, e.g. `docker -H unix:///run/lab/node1.sock`.
    pub docker: Option<String>,
}

impl CollectOptions {
    /// The script arguments for these options, in a fixed order.
    pub fn args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        let mut push = |flag: &str, value: Option<OsString>| {
            if let Some(v) = value {
                args.push(OsString::from(flag));
                args.push(v);
            }
        };
        push("--out", self.out.clone().map(Into::into));
        push("--since", self.since.clone().map(Into::into));
        push("--exec-root", self.exec_root.clone().map(Into::into));
        push("--daemon-log", self.daemon_log.clone().map(Into::into));
        push("--docker", self.docker.clone().map(Into::into));
        args
    }
}

/// Runs the embedded script with `sh -s -- <args>` and returns the bundle path
/// it printed. The script's progress goes to this process's stderr.
pub fn run(opts: &CollectOptions) -> Result<PathBuf, String> {
    let mut child = Command::new("sh")
        .arg("-s")
        .arg("--")
        .args(opts.args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start sh: {e}"))?;
    // Write the script from another thread: sh reads it as it runs.
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| "no stdin for sh".to_string())?;
    let writer = std::thread::spawn(move || stdin.write_all(SCRIPT.as_bytes()));
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)
            .map_err(|e| format!("reading the collector's output: {e}"))?;
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the collector: {e}"))?;
    match writer.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) if status.success() => return Err(format!("feeding the script to sh: {e}")),
        Ok(Err(_)) | Err(_) => {}
    }
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("collector failed with exit code {code}"),
            None => "collector killed by a signal".to_string(),
        });
    }
    stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| PathBuf::from(l.trim()))
        .ok_or_else(|| "collector printed no bundle path".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    const FAKE_DOCKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab/fake-docker.sh");

    /// Shells the script must run under: sh, dash, and busybox sh with busybox
    /// applets first in PATH (sed, awk, date, head, ip... as on Alpine).
    fn shells(tmp: &Path) -> Vec<(String, Vec<String>, Option<OsString>)> {
        let mut v = vec![("sh".to_string(), vec!["sh".to_string()], None)];
        if which("dash") {
            v.push(("dash".into(), vec!["dash".into()], None));
        }
        if which("busybox") {
            let bin = tmp.join("busybox-bin");
            fs::create_dir_all(&bin).unwrap();
            let list = Command::new("busybox").arg("--list").output().unwrap();
            let busybox = String::from_utf8_lossy(
                &Command::new("sh")
                    .args(["-c", "command -v busybox"])
                    .output()
                    .unwrap()
                    .stdout,
            )
            .trim()
            .to_string();
            for applet in String::from_utf8_lossy(&list.stdout).lines() {
                let _ = std::os::unix::fs::symlink(&busybox, bin.join(applet));
            }
            let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )))
            .unwrap();
            v.push((
                "busybox".into(),
                vec!["busybox".into(), "sh".into()],
                Some(path),
            ));
        }
        v
    }

    fn which(tool: &str) -> bool {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn script_file(dir: &Path) -> PathBuf {
        let p = dir.join("collect.sh");
        fs::write(&p, SCRIPT).unwrap();
        p
    }

    /// Runs the script file under `shell` with args; returns (status, stdout, stderr).
    fn run_script(
        shell: &(String, Vec<String>, Option<OsString>),
        script: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (bool, String, String) {
        let mut cmd = Command::new(&shell.1[0]);
        cmd.args(&shell.1[1..]).arg(script).args(args);
        if let Some(path) = &shell.2 {
            cmd.env("PATH", path);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs the script under `shell` against the fake docker CLI with
    /// `extra` options and `env`, writing `<dir>/<name>.tar.gz`; asserts it
    /// succeeded and returns the unpacked bundle root.
    fn collect_fake(
        shell: &(String, Vec<String>, Option<OsString>),
        script: &Path,
        dir: &Path,
        name: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> PathBuf {
        let docker = format!("sh {FAKE_DOCKER}");
        let exec_root = dir.join("exec");
        fs::create_dir_all(&exec_root).unwrap();
        let out = dir.join(format!("{name}.tar.gz"));
        let mut args = vec![
            "--docker".to_string(),
            docker,
            "--exec-root".into(),
            exec_root.to_string_lossy().into_owned(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, _, err) = run_script(shell, script, &args, env);
        assert!(ok, "{}: {err}", shell.0);
        unpack(&out, &dir.join(name))
    }

    #[test]
    fn args_follow_the_options() {
        let opts = CollectOptions {
            out: Some("/tmp/b.tar.gz".into()),
            since: Some("2h".into()),
            exec_root: None,
            daemon_log: Some("/var/log/d.log".into()),
            docker: Some("docker -H unix:///run/x.sock".into()),
        };
        let args: Vec<String> = opts
            .args()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--out",
                "/tmp/b.tar.gz",
                "--since",
                "2h",
                "--daemon-log",
                "/var/log/d.log",
                "--docker",
                "docker -H unix:///run/x.sock"
            ]
        );
        assert!(CollectOptions::default().args().is_empty());
    }

    #[test]
    fn script_parses_under_every_shell() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        for shell in shells(tmp.path()) {
            let mut cmd = Command::new(&shell.1[0]);
            let out = cmd
                .args(&shell.1[1..])
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                shell.0,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Feeds `text` through the script's `mask` (`collect.sh --mask FILE`)
    /// under every shell; asserts they agree and returns the output.
    fn masked(text: &str) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let input = tmp.path().join("in.txt");
        fs::write(&input, text).unwrap();
        let input = input.to_string_lossy().into_owned();
        let mut first: Option<String> = None;
        for shell in shells(tmp.path()) {
            let (ok, out, err) = run_script(&shell, &script, &["--mask", &input], &[]);
            assert!(ok, "{}: {err}", shell.0);
            match &first {
                None => first = Some(out),
                Some(f) => assert_eq!(f, &out, "{} masks differently", shell.0),
            }
        }
        first.unwrap()
    }

    const INSPECT: &str = r#"[
    {
        "Config": {
            "Env": [
                "PASSWORD=hunter2",
                "TRICKY=say \"hunter2\" ], here, hunter2",
                "hunter2",
                "PATH=/usr/bin"
            ],
            "Cmd": [
                "httpd",
                "-f",
                "--db-password=hunter2",
                "--api-key=hunter2",
                "--password",
                "hunter2",
                "-p",
                "hunter2",
                "sh -c \"mysql -u root -p hunter2 db; redis-cli -u redis://:hunter2@db\"",
                "--log-level=debug"
            ],
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -u admin:hunter2 http://localhost/ || exit 1"]},
            "Labels": {
                "app.db.password": "hunter2",
                "app.api_token": "hunter2",
                "secret": "hunter2",
                "db_pass": "hunter2",
                "vault.credential": "hunter2",
                "traefik.http.middlewares.a.basicauth.users": "admin:$$apr1$$hunter2",
                "blob": "{\"password\":\"hunter2\",\"x\":\"y\"}",
                "app.tier": "web"
            }
        },
        "HostConfig": {"LogConfig": {"Type": "splunk", "Config": {"splunk-token": "hunter2", "splunk-url": "https://u:hunter2@splunk:8088"}}},
        "NetworkSettings": {"SandboxKey": "/var/run/docker/netns/8ab2d5c1e0f3"},
        "Secrets": [{"SecretID": "x1y2", "SecretName": "labsecret"}],
        "GraphDriver": {
            "Data": {
                "MergedDir": "/var/lib/docker/overlay2/x/merged"
            }
        },
        "Spec": {"Name": "labsecret", "Data": "aHVudGVyMg=="},
        "Compact": {"Env":["A=hunter2","B=x \"hunter2\" ] y"],"Other":["KEEP=visible"],"Cmd":["--token","hunter2","-p","hunter2"]},
        "Pem": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIhunter2AoGCCqGSM49\n-----END EC PRIVATE KEY-----\n",
        "Join": "docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 10.0.0.1:2377",
        "Proxy": "http://proxyuser:hunter2@proxy.example:3128"
    }
]
"#;

    #[test]
    fn mask_hides_every_secret_in_inspect_json_and_keeps_structure() {
        let out = masked(INSPECT);
        for secret in [
            "hunter2",
            "aHVudGVyMg==",
            "MHcCAQEE",
            "1awxwuwd3z9j1z3puu7rcgdbx",
        ] {
            assert!(!out.contains(secret), "{secret} leaked:\n{out}");
        }
        let v: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("masked output is not JSON: {e}\n{out}"));
        let c = &v[0];
        assert_eq!(
            c["Config"]["Env"],
            serde_json::json!([
                "PASSWORD=<masked>",
                "TRICKY=<masked>",
                "<masked>",
                "PATH=<masked>"
            ])
        );
        assert_eq!(
            c["Config"]["Cmd"],
            serde_json::json!([
                "httpd",
                "-f",
                "--db-password=<masked>",
                "--api-key=<masked>",
                "--password",
                "<masked>",
                "-p",
                "<masked>",
                "sh -c \"mysql -u root -p <masked> db; redis-cli -u redis:<masked>\"",
                "--log-level=debug"
            ])
        );
        assert_eq!(
            c["Config"]["Healthcheck"]["Test"][1],
            "curl -u admin:<masked> http://localhost/ || exit 1"
        );
        let labels = &c["Config"]["Labels"];
        for k in [
            "app.db.password",
            "app.api_token",
            "secret",
            "db_pass",
            "vault.credential",
            "traefik.http.middlewares.a.basicauth.users",
        ] {
            assert_eq!(labels[k], "<masked>", "label {k}");
        }
        assert_eq!(labels["blob"], r#"{"password":"<masked>","x":"y"}"#);
        assert_eq!(labels["app.tier"], "web");
        let log = &c["HostConfig"]["LogConfig"]["Config"];
        assert_eq!(log["splunk-token"], "<masked>");
        assert_eq!(log["splunk-url"], "https://<masked>@splunk:8088");
        // What the analyzer needs stays.
        assert_eq!(
            c["NetworkSettings"]["SandboxKey"],
            "/var/run/docker/netns/8ab2d5c1e0f3"
        );
        assert_eq!(c["Secrets"][0]["SecretName"], "labsecret");
        assert_eq!(c["Secrets"][0]["SecretID"], "x1y2");
        assert_eq!(
            c["GraphDriver"]["Data"]["MergedDir"],
            "/var/lib/docker/overlay2/x/merged"
        );
        assert_eq!(c["Spec"]["Data"], "<masked>");
        assert_eq!(c["Spec"]["Name"], "labsecret");
        assert_eq!(c["Compact"]["Env"], serde_json::json!(["<masked>"]));
        assert_eq!(c["Compact"]["Other"], serde_json::json!(["KEEP=visible"]));
        assert_eq!(
            c["Compact"]["Cmd"],
            serde_json::json!(["--token", "<masked>", "-p", "<masked>"])
        );
        assert_eq!(c["Pem"], "<masked EC PRIVATE KEY>\n");
        assert_eq!(
            c["Join"],
            "docker swarm join --token <masked> 10.0.0.1:2377"
        );
        assert_eq!(c["Proxy"], "http://<masked>@proxy.example:3128");
    }

    #[test]
    fn mask_hides_credential_keys_in_daemon_json() {
        let out = masked(
            r#"{
  "log-level": "info",
  "labels": ["lab=swarmdiag", "db_pass=hunter2"],
  "log-opts": {"splunk-token": "hunter2", "max-size": "10m"},
  "proxies": {"http-proxy": "http://u:hunter2@proxy:3128", "no-proxy": "localhost"},
  "auths": {"registry.example": {"auth": "dXNlcjpodW50ZXIy"}},
  "registry-password": "hunter2",
  "IdentityToken": "hunter2"
}
"#,
        );
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("dXNlcjpodW50ZXIy"), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["log-level"], "info");
        assert_eq!(
            v["labels"],
            serde_json::json!(["lab=swarmdiag", "db_pass=<masked>"])
        );
        assert_eq!(v["log-opts"]["max-size"], "10m");
        assert_eq!(v["proxies"]["no-proxy"], "localhost");
        assert_eq!(v["proxies"]["http-proxy"], "http://<masked>@proxy:3128");
        assert_eq!(v["auths"]["registry.example"]["auth"], "<masked>");
        assert_eq!(v["registry-password"], "<masked>");
    }

    /// Line by line: (input, what the masker must make of it). Lines the
    /// analyzer reads (log fields, iptables rules) must come out unchanged.
    const TEXT_CASES: &[(&str, &str)] = &[
        (
            r#"level=info msg="login" token=hunter2 user=bob"#,
            r#"level=info msg="login" token=<masked> user=bob"#,
        ),
        (
            r#"level=debug msg="form" password="hunter 2" api_key='hunter 2' next=1"#,
            r#"level=debug msg="form" password="<masked>" api_key='<masked>' next=1"#,
        ),
        (
            r#"msg="body: {\"password\":\"hunter2\",\"Name\":\"web\"}""#,
            r#"msg="body: {\"password\":\"<masked>\",\"Name\":\"web\"}""#,
        ),
        (
            "join SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx now",
            "join SWMTKN-1-<masked> now",
        ),
        (
            "unlock SWMKEY-1-7c37Cc8654o6p38HnroywC+i19pllOn/GtbdZEgtKxZu8 now",
            "unlock SWMKEY-1-<masked> now",
        ),
        (
            "--log-opt splunk-token=hunter2 --registry-mirror=https://user:hunter2@mirror.example/",
            "--log-opt splunk-token=<masked> --registry-mirror=https://<masked>@mirror.example/",
        ),
        (
            "cache redis://:hunter2@db:6379/0 ok",
            "cache redis://<masked>@db:6379/0 ok",
        ),
        (
            "curl -u admin:hunter2 http://localhost/ && tool --auth u:hunter2 --credentials=hunter2",
            "curl -u admin:<masked> http://localhost/ && tool --auth <masked> --credentials=<masked>",
        ),
        ("mysql --user root:hunter2 -p hunter2", "mysql --user root:<masked> -p <masked>"),
        ("Authorization: Bearer hunter2", "Authorization: <masked>"),
        ("db password: hunter2", "db password: <masked>"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJodW50ZXIyIn0.c2lnbmF0dXJlaHVudGVy end",
            "jwt <masked jwt> end",
        ),
        ("aws AKIAIOSFODNN7EXAMPLE end", "aws <masked aws key> end"),
        (
            "\tauth-trunc hmac(sha256) 0x0123456789abcdef0123456789abcdef 128",
            "\tauth-trunc hmac(sha256) <masked> 128",
        ),
        (
            "\tenc cbc(aes) 0xdeadbeefdeadbeefdeadbeefdeadbeef",
            "\tenc cbc(aes) <masked>",
        ),
        (
            "\taead rfc4106(gcm(aes)) 0xdeadbeefdeadbeefdeadbeefdeadbeef01234567 128",
            "\taead rfc4106(gcm(aes)) <masked> 128",
        ),
        // Unchanged: what the analyzer reads.
        (
            "-A INPUT -p udp -m udp --dport 7946 -j DROP",
            "-A INPUT -p udp -m udp --dport 7946 -j DROP",
        ),
        (
            "[3:180] -A INPUT -s 198.18.0.12/32 -p tcp -m tcp --dport 2377 -j ACCEPT",
            "[3:180] -A INPUT -s 198.18.0.12/32 -p tcp -m tcp --dport 2377 -j ACCEPT",
        ),
        (
            r#"level=error msg="set up rule failed, [-t mangle -D PREROUTING -p tcp --dport 8080 -j MARK --set-mark 257]""#,
            r#"level=error msg="set up rule failed, [-t mangle -D PREROUTING -p tcp --dport 8080 -j MARK --set-mark 257]""#,
        ),
        (
            "level=warning msg=\"peerDbAdd transient condition - Key:10.0.1.12 02:42:0a:00:01:0c cardinality:2\"",
            "level=warning msg=\"peerDbAdd transient condition - Key:10.0.1.12 02:42:0a:00:01:0c cardinality:2\"",
        ),
        (
            "error while validating Root CA Certificate: x509: certificate has expired",
            "error while validating Root CA Certificate: x509: certificate has expired",
        ),
        (
            r#"level=info msg="Node 5e4f/198.18.0.12, joined gossip cluster" module=node/agent node.id=5e4f"#,
            r#"level=info msg="Node 5e4f/198.18.0.12, joined gossip cluster" module=node/agent node.id=5e4f"#,
        ),
        (
            "tcp   LISTEN 0      4096   *:2377   *:*   users:((\"dockerd\",pid=12,fd=30))",
            "tcp   LISTEN 0      4096   *:2377   *:*   users:((\"dockerd\",pid=12,fd=30))",
        ),
    ];

    #[test]
    fn mask_text_line_by_line() {
        let input: String = TEXT_CASES.iter().map(|(i, _)| format!("{i}\n")).collect();
        let out = masked(&input);
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got.len(), TEXT_CASES.len(), "{out}");
        for ((i, want), got) in TEXT_CASES.iter().zip(got) {
            assert_eq!(got, *want, "input: {i}");
        }
    }

    #[test]
    fn mask_raw_pem_blocks_and_argv_lists() {
        let out = masked(
            "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEhunter2\nabc\n-----END RSA PRIVATE KEY-----\n\
             dockerd\n--password\nhunter2\n-p\n/run/x.pid\n-u\nadmin:hunter2\n--debug\nafter\n",
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "before",
                "<masked pem>",
                "<masked pem>",
                "<masked pem>",
                "<masked pem>",
                "dockerd",
                "--password",
                "<masked>",
                "-p",
                "<masked>",
                "-u",
                "<masked>",
                "--debug",
                "after"
            ]
        );
    }

    /// Unpacks a .tar.gz bundle into `dest`; returns the single top directory.
    fn unpack(archive: &Path, dest: &Path) -> PathBuf {
        let f = fs::File::open(archive).unwrap();
        tar::Archive::new(flate2::read::GzDecoder::new(f))
            .unpack(dest)
            .unwrap();
        let tops: Vec<_> = fs::read_dir(dest)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(tops.len(), 1, "one top directory: {tops:?}");
        tops.into_iter().next().unwrap()
    }

    fn manifest(root: &Path) -> serde_json::Value {
        let text = fs::read_to_string(root.join("manifest.json")).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest is not JSON: {e}\n{text}"))
    }

    fn entry<'a>(m: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
        m["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == path)
            .unwrap_or_else(|| panic!("no manifest entry for {path}"))
    }

    fn all_text(dir: &Path) -> String {
        let mut s = String::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                s.push_str(&all_text(&p));
            } else {
                s.push_str(&String::from_utf8_lossy(&fs::read(&p).unwrap()));
            }
        }
        s
    }

    /// A full run against the fake docker CLI (a manager), with a daemon log
    /// whose name needs JSON escaping, old and new lines, and a size cap.
    #[test]
    fn full_run_with_fake_docker_writes_the_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let exec_root = tmp.path().join("exec");
        fs::create_dir_all(exec_root.join("netns")).unwrap();
        let log = tmp.path().join("we\"ird\\na\tme\nline\u{1}.log");
        let mut text = String::from(
            "time=\"2001-01-01T00:00:00.000000000Z\" level=info msg=\"ancient\"\nold continuation\n",
        );
        for i in 0..200 {
            text.push_str(&format!(
                "time=\"2999-01-01T00:00:00.{i:09}Z\" level=error msg=\"fresh {i}\"\n"
            ));
        }
        // Issue 12: secrets in the daemon log came out verbatim.
        text.push_str(concat!(
            "time=\"2999-01-01T00:00:00Z\" level=info msg=\"join\" token=SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx\n",
            "time=\"2999-01-01T00:00:00Z\" level=debug msg=\"form {\\\"password\\\":\\\"hunter2\\\"}\" registry=https://user:hunter2@mirror splunk-token=hunter2\n",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEhunter2\n-----END RSA PRIVATE KEY-----\n",
        ));
        fs::write(&log, &text).unwrap();
        for shell in shells(tmp.path()) {
            let out_dir = tmp.path().join(format!("out-{}", shell.0));
            fs::create_dir_all(&out_dir).unwrap();
            let bundle = out_dir.join("b.tar.gz");
            let docker = format!("sh {FAKE_DOCKER}");
            let (ok, stdout, err) = run_script(
                &shell,
                &script,
                &[
                    "--docker",
                    &docker,
                    "--exec-root",
                    &exec_root.to_string_lossy(),
                    "--daemon-log",
                    &log.to_string_lossy(),
                    "--since",
                    "1h",
                    "--out",
                    &bundle.to_string_lossy(),
                ],
                &[("SWARMDIAG_MAX_BYTES", "4000")],
            );
            assert!(ok, "{}: {err}", shell.0);
            assert_eq!(stdout.trim(), bundle.to_string_lossy(), "{}", shell.0);
            let x = out_dir.join("x");
            let root = unpack(&bundle, &x);
            let top = root.file_name().unwrap().to_string_lossy().into_owned();
            assert!(top.starts_with("swarmdiag-") && top.ends_with('Z'), "{top}");

            let m = manifest(&root);
            assert_eq!(m["format"], "swarmdiag-bundle");
            assert_eq!(m["version"], 1);
            assert_eq!(m["since"], "1h");
            assert_eq!(
                m["daemon_log_source"],
                format!("file:{}", log.to_string_lossy())
            );
            for c in m["commands"].as_array().unwrap() {
                for k in [
                    "path",
                    "command",
                    "exit_code",
                    "duration_ms",
                    "bytes",
                    "truncated",
                ] {
                    assert!(c.get(k).is_some(), "{}: {k} missing in {c}", shell.0);
                }
                let path = c["path"].as_str().unwrap();
                if c["exit_code"].is_null() {
                    assert!(c["skipped"].is_string(), "{c}");
                } else {
                    let len = fs::metadata(root.join(path)).unwrap().len();
                    assert_eq!(Some(len), c["bytes"].as_u64(), "{}: {path}", shell.0);
                }
            }
            for p in [
                "docker/version.json",
                "docker/info.json",
                "swarm/nodes.json",
                "swarm/services.json",
                "swarm/tasks.json",
                "swarm/service-ps.txt",
                "swarm/networks.json",
                "containers/inspect.json",
                "host/ip-addr.txt",
                "host/sysctl.txt",
            ] {
                assert_eq!(entry(&m, p)["exit_code"], 0, "{}: {p}", shell.0);
                assert!(root.join(p).is_file(), "{}: {p}", shell.0);
            }
            let log_entry = entry(&m, "logs/dockerd.log");
            assert_eq!(log_entry["truncated"], true, "{}", shell.0);
            // The cap keeps the newest whole lines of the window (issue 12:
            // it used to keep the oldest).
            let got = fs::read_to_string(root.join("logs/dockerd.log")).unwrap();
            let bytes = log_entry["bytes"].as_u64().unwrap();
            assert_eq!(bytes, got.len() as u64);
            assert!(bytes <= 4000 && bytes > 3800, "{}: {bytes}", shell.0);
            assert!(
                got.contains("level=error msg=\"fresh 199\"\n"),
                "{}: {got}",
                shell.0
            );
            assert!(got.ends_with("<masked pem>\n"), "{}: {got}", shell.0);
            for masked in [
                "token=<masked>",
                r#"{\"password\":\"<masked>\"}"#,
                "registry=https://<masked>@mirror",
                "splunk-token=<masked>",
            ] {
                assert!(got.contains(masked), "{}: no {masked} in {got}", shell.0);
            }
            assert!(got.starts_with("time=\"2999-01-01T00:00:00."), "{got}");
            assert!(!got.contains("ancient") && !got.contains("old continuation"));

            let everything = all_text(&root);
            for secret in [
                "hunter2",
                "aHVudGVyMg==",
                "MHcCAQEE",
                "1awxwuwd3z9j1z3puu7rcgdbx",
            ] {
                assert!(!everything.contains(secret), "{}: {secret} leaked", shell.0);
            }
        }
    }

    /// `--since` bounds a log in each time format the collector meets; lines
    /// without a time stamp follow the line before them.
    #[test]
    fn since_filter_understands_every_time_format() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let log = tmp.path().join("mixed.log");
        fs::write(
            &log,
            "time=\"2001-05-01T10:00:00.1Z\" msg=old-logrus\n\
             \tcontinuation of old-logrus\n\
             time=\"2999-05-01T10:00:00+02:00\" msg=new-logrus\n\
             \tcontinuation of new-logrus\n\
             2001-05-01T10:00:00.000000+0000 node1 dockerd[1]: old-iso\n\
             2999-05-01 10:00:00 node1 dockerd[1]: new-iso\n\
             [Tue May  1 10:00:00 2001] old-dmesg\n\
             [Wed May  1 10:00:00 2999] new-dmesg\n\
             [99999999.000001] new-uptime\n",
        )
        .unwrap();
        let shell = &shells(tmp.path())[0];
        let log_arg = log.to_string_lossy();
        let root = collect_fake(
            shell,
            &script,
            tmp.path(),
            "x",
            &["--daemon-log", &log_arg, "--since", "2d"],
            &[],
        );
        let got = fs::read_to_string(root.join("logs/dockerd.log")).unwrap();
        let kept: Vec<&str> = got
            .lines()
            .map(|l| l.rsplit([' ', '=']).next().unwrap_or(""))
            .collect();
        assert_eq!(
            kept,
            [
                "new-logrus",
                "new-logrus",
                "new-iso",
                "new-dmesg",
                "new-uptime"
            ],
            "{got}"
        );
    }

    #[test]
    fn daemon_down_and_hung_commands_are_recorded_not_fatal() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let shell = &shells(tmp.path())[0];
        let collect = |name: &str, env: &[(&str, &str)]| {
            manifest(&collect_fake(shell, &script, tmp.path(), name, &[], env))
        };

        let m = collect("down", &[("FAKE_DOCKER_MODE", "down")]);
        assert_eq!(entry(&m, "docker/version.json")["exit_code"], 1);
        let nodes = entry(&m, "swarm/nodes.json");
        assert!(nodes["exit_code"].is_null());
        assert!(nodes["skipped"]
            .as_str()
            .unwrap()
            .starts_with("dockerd not reachable: Cannot connect to the Docker daemon"));
        assert_eq!(entry(&m, "host/ip-route.txt")["exit_code"], 0);

        let m = collect(
            "slow",
            &[("FAKE_DOCKER_MODE", "slow"), ("SWARMDIAG_TIMEOUT", "1")],
        );
        assert_eq!(entry(&m, "swarm/nodes.json")["exit_code"], 124);
        assert_eq!(entry(&m, "swarm/services.json")["exit_code"], 0);

        let m = collect("worker", &[("FAKE_DOCKER_MODE", "worker")]);
        assert_eq!(
            entry(&m, "swarm/tasks.json")["skipped"],
            "not a swarm manager"
        );
        assert_eq!(entry(&m, "swarm/networks.json")["exit_code"], 0);
    }

    /// Issue 12: without `timeout` on PATH a hung dockerd hung the collector.
    /// Busybox applets except `timeout` are the whole PATH here.
    #[test]
    fn hung_commands_time_out_without_timeout_on_path() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let busybox = String::from_utf8_lossy(
            &Command::new("sh")
                .args(["-c", "command -v busybox"])
                .output()
                .unwrap()
                .stdout,
        )
        .trim()
        .to_string();
        assert!(!busybox.is_empty(), "busybox is needed (busybox-static)");
        let bin = tmp.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        let list = Command::new(&busybox).arg("--list").output().unwrap();
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if applet != "timeout" {
                std::os::unix::fs::symlink(&busybox, bin.join(applet)).unwrap();
            }
        }
        // A journalctl that hangs, then answers: its probes must time out
        // too (they had no timeout), so journald is not taken as the source.
        let jc = bin.join("journalctl");
        fs::write(
            &jc,
            "#!/bin/sh\nsleep 30\necho 'Dec 03 10:00:00 node1 dockerd[1]: hello'\n",
        )
        .unwrap();
        fs::set_permissions(&jc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        // /bin/sh, not busybox sh: that one runs its own applets (timeout
        // too) whatever PATH says.
        let shell = (
            "sh-without-timeout".to_string(),
            vec!["/bin/sh".to_string()],
            Some(bin.into_os_string()),
        );
        let root = collect_fake(
            &shell,
            &script,
            tmp.path(),
            "slow",
            &[],
            &[("FAKE_DOCKER_MODE", "slow"), ("SWARMDIAG_TIMEOUT", "1")],
        );
        let m = manifest(&root);
        assert!(
            m["absent_tools"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "timeout"),
            "{}",
            m["absent_tools"]
        );
        assert_eq!(entry(&m, "swarm/nodes.json")["exit_code"], 124);
        assert_eq!(entry(&m, "swarm/services.json")["exit_code"], 0);
        assert_eq!(entry(&m, "host/uname.txt")["exit_code"], 0);
        assert_ne!(m["daemon_log_source"], "journald");
        assert_ne!(
            entry(&m, "logs/kernel.log")["command"]
                .as_str()
                .unwrap_or("")
                .split(' ')
                .next(),
            Some("journalctl")
        );
    }

    /// Issue 12 and 9: a command that would make the kernel load a module
    /// runs only when the module is loaded; otherwise the manifest says why.
    /// SWARMDIAG_KMOD_ROOT stands for / in the module look-ups.
    #[test]
    fn module_loading_commands_run_only_with_their_module_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let shell = &shells(tmp.path())[0];
        let with_modules = tmp.path().join("kroot");
        fs::create_dir_all(with_modules.join("proc")).unwrap();
        fs::create_dir_all(with_modules.join("sys/module/nf_tables")).unwrap();
        fs::write(
            with_modules.join("proc/modules"),
            "nfnetlink 20480 1 nf_tables, Live 0x0000000000000000
",
        )
        .unwrap();
        let root = tmp.path().join("kroot").to_string_lossy().into_owned();
        let m = manifest(&collect_fake(
            shell,
            &script,
            tmp.path(),
            "loaded",
            &[],
            &[("SWARMDIAG_KMOD_ROOT", &root)],
        ));
        let skipped = |m: &serde_json::Value, p: &str| {
            entry(m, p)["skipped"].as_str().unwrap_or("").to_string()
        };
        if which("ip") {
            assert!(
                skipped(&m, "host/xfrm-state.txt")
                    .starts_with("xfrm_user not loaded: not in /proc/modules"),
                "{}",
                skipped(&m, "host/xfrm-state.txt")
            );
        }
        if which("conntrack") {
            assert!(skipped(&m, "host/conntrack-stats.txt")
                .starts_with("nf_conntrack_netlink not loaded"));
        }
        if which("nft") {
            assert!(entry(&m, "host/nft-ruleset.txt")["skipped"].is_null());
        }
        if which("ss") {
            let sockets = entry(&m, "host/sockets.txt");
            let cmd = sockets["command"].as_str().unwrap_or("");
            assert!(
                !cmd.starts_with("ss "),
                "ss ran without inet_diag: {sockets}"
            );
        }
        // A kernel without loadable modules (no /proc/modules) cannot load
        // one: those commands run.
        let none = tmp.path().join("kroot-none");
        fs::create_dir_all(&none).unwrap();
        let none = none.to_string_lossy().into_owned();
        let m = manifest(&collect_fake(
            shell,
            &script,
            tmp.path(),
            "nomodules",
            &[],
            &[("SWARMDIAG_KMOD_ROOT", &none)],
        ));
        if which("ip") {
            assert!(entry(&m, "host/xfrm-state.txt")["skipped"].is_null());
        }
        if which("ss") {
            assert!(entry(&m, "host/sockets.txt")["command"]
                .as_str()
                .unwrap_or("")
                .starts_with("ss "));
        }
    }

    /// Issue 12: `--out` followed a dangling symlink and wrote its target.
    #[test]
    fn out_refuses_a_dangling_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let shell = &shells(tmp.path())[0];
        let target = tmp.path().join("elsewhere.tar.gz");
        let link = tmp.path().join("b.tar.gz");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let exec_root = tmp.path().join("exec");
        fs::create_dir_all(&exec_root).unwrap();
        let docker = format!("sh {FAKE_DOCKER}");
        let (ok, _, err) = run_script(
            shell,
            &script,
            &[
                "--docker",
                &docker,
                "--exec-root",
                &exec_root.to_string_lossy(),
                "--out",
                &link.to_string_lossy(),
            ],
            &[],
        );
        assert!(!ok, "a dangling symlink as --out must be refused");
        assert!(err.contains("already exists"), "{err}");
        assert!(!target.exists(), "the symlink's target was written");
    }

    /// Issue 9: nftables, xfrm, conntrack and the underlay NIC's offloads are
    /// collected, or the manifest says why not (tool absent, module not loaded).
    #[test]
    fn firewall_xfrm_conntrack_and_offloads_are_collected_or_explained() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let shell = &shells(tmp.path())[0];
        let root = collect_fake(shell, &script, tmp.path(), "x", &[], &[]);
        let m = manifest(&root);
        for p in [
            "host/iptables-save.txt",
            "host/nft-ruleset.txt",
            "host/xfrm-state.txt",
            "host/xfrm-policy.txt",
            "host/conntrack-stats.txt",
            "host/ethtool-k.txt",
        ] {
            let e = entry(&m, p);
            if e["exit_code"].is_null() {
                let why = e["skipped"].as_str().unwrap_or("");
                assert!(
                    why.ends_with("not found")
                        || why.contains("not loaded")
                        || why.contains("underlay"),
                    "{p}: {why}"
                );
            } else {
                assert!(root.join(p).is_file(), "{p}");
            }
        }
        let ipt = entry(&m, "host/iptables-save.txt");
        if !ipt["exit_code"].is_null() {
            assert_eq!(ipt["command"], "iptables-save -c");
        }
    }

    #[test]
    fn bad_options_fail_without_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let script = script_file(tmp.path());
        let shell = &shells(tmp.path())[0];
        for args in [
            vec!["--since", "yesterday"],
            vec!["--out", "/nonexistent-dir/b.tar.gz"],
            vec!["--out", "b.txt"],
            vec!["--bogus"],
        ] {
            let (ok, _, err) = run_script(shell, &script, &args, &[]);
            assert!(!ok, "{args:?} should fail");
            assert!(err.contains("swarmdiag-collect:"), "{args:?}: {err}");
        }
    }

    /// `run` feeds the embedded script through `sh -s`, as `swarmdiag collect` does.
    #[test]
    fn run_feeds_the_script_through_sh() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("b.tgz");
        let exec_root = tmp.path().join("exec");
        fs::create_dir_all(&exec_root).unwrap();
        let got = run(&CollectOptions {
            out: Some(out.clone()),
            since: Some("10m".into()),
            exec_root: Some(exec_root),
            daemon_log: None,
            docker: Some(format!("sh {FAKE_DOCKER}")),
        })
        .unwrap();
        assert_eq!(got, out);
        let root = unpack(&out, &tmp.path().join("x"));
        assert_eq!(manifest(&root)["since"], "10m");
        assert!(run(&CollectOptions {
            since: Some("soon".into()),
            ..Default::default()
        })
        .is_err());
    }
}
