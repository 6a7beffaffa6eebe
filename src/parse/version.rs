//! `docker version --format '{{json .}}'` (`docker/version.json`): client and
//! daemon versions.
//!
//! ```json
//! {"Client":{"Version":"28.2.2","ApiVersion":"1.50","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025"},
//!  "Server":{"Version":"18.99.5-ce","ApiVersion":"1.30","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64",
//!            "Components":[{"Name":"Engine","Version":"17.06.2-ee-15","Details":{"ApiVersion":"1.30"}}],
//!            "GitCommit":"64ddfa6","KernelVersion":"v1.0.0","BuildTime":"2018-07-09T22:38:38.000000000+00:00"}}
//! ```
//!
//! `Server` is `null` when the daemon is unreachable. `Components` exists
//! from 17.12; before that only the flat fields do. Version strings are free
//! form (`17.06.2-ee-15`, `20.10.24+dfsg1`, `dev`): order them with
//! [`super::engine_version::parse_lenient`].

use serde::Deserialize;

use super::json::parse_single;
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Version {
    pub client_version: String,
    pub client_api: String,
    /// `None` when the daemon could not be reached (`"Server": null`).
    pub server: Option<ServerVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerVersion {
    pub version: String,
    pub api_version: String,
    pub min_api_version: String,
    pub kernel_version: String,
    pub os: String,
    pub arch: String,
    pub git_commit: String,
    /// As printed: RFC 3339 on the server (`2018-07-09T22:38:38.000000000+00:00`).
    pub build_time: String,
    /// `Platform.Name`, e.g. `Docker Engine - Community`; empty before 17.12.
    pub platform: String,
    /// `Engine`, `containerd`, `runc`, `docker-init`; empty before 17.12.
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub version: String,
}

impl ServerVersion {
    /// The daemon's own version: the `Engine` component when listed (EE
    /// builds report the product version at the top), else `Version`.
    pub fn engine_version(&self) -> &str {
        self.components
            .iter()
            .find(|c| c.name == "Engine" && !c.version.is_empty())
            .map_or(self.version.as_str(), |c| c.version.as_str())
    }
}

/// Parses the output of `docker version --format '{{json .}}'`.
pub fn parse(text: &str) -> Result<Version, ParseError> {
    let w = parse_single::<Wire>(text)?.value;
    let client = w.client.unwrap_or_default();
    let server = w.server.map(|s| ServerVersion {
        version: s.version.unwrap_or_default(),
        api_version: s.api_version.unwrap_or_default(),
        min_api_version: s.min_api_version.unwrap_or_default(),
        kernel_version: s.kernel_version.unwrap_or_default(),
        os: s.os.unwrap_or_default(),
        arch: s.arch.unwrap_or_default(),
        git_commit: s.git_commit.unwrap_or_default(),
        build_time: s.build_time.unwrap_or_default(),
        platform: s.platform.and_then(|p| p.name).unwrap_or_default(),
        components: s
            .components
            .unwrap_or_default()
            .into_iter()
            .map(|c| Component {
                name: c.name.unwrap_or_default(),
                version: c.version.unwrap_or_default(),
            })
            .collect(),
    });
    Ok(Version {
        client_version: client.version.unwrap_or_default(),
        client_api: client.api_version.unwrap_or_default(),
        server: server.filter(|s| !s.version.is_empty() || !s.components.is_empty()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    client: Option<WireClient>,
    server: Option<WireServer>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireClient {
    version: Option<String>,
    api_version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireServer {
    version: Option<String>,
    api_version: Option<String>,
    #[serde(rename = "MinAPIVersion")]
    min_api_version: Option<String>,
    kernel_version: Option<String>,
    os: Option<String>,
    arch: Option<String>,
    git_commit: Option<String>,
    build_time: Option<String>,
    platform: Option<WirePlatform>,
    components: Option<Vec<WireComponent>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WirePlatform {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireComponent {
    name: Option<String>,
    version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::engine_version::parse_lenient;

    /// formats.md §11 [V] json.golden, wrapped there over three lines.
    const GOLDEN: &str = r#"{"Client":{"Version":"18.99.5-ce","ApiVersion":"1.38","DefaultAPIVersion":"1.38","GitCommit":"deadbeef","GoVersion":"go1.10.2","Os":"linux","Arch":"amd64","BuildTime":"Wed May 30 22:21:05 2018","Context":"my-context"},
 "Server":{"Platform":{"Name":"Docker Enterprise Edition (EE) 2.0"},"Version":"18.99.5-ce","ApiVersion":"1.30","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64",
   "Components":[{"Name":"Engine","Version":"17.06.2-ee-15","Details":{"ApiVersion":"1.30","Arch":"amd64","BuildTime":"Mon Jul  9 23:38:38 2018","Experimental":"false","GitCommit":"64ddfa6","GoVersion":"go1.8.7","MinAPIVersion":"1.12","Os":"linux"}},
                 {"Name":"Kubernetes","Version":"1.8+","Details":{"gitVersion":"v1.8.11-docker-8d637ae"}}],
   "GitCommit":"64ddfa6","GoVersion":"go1.8.7","KernelVersion":"v1.0.0","BuildTime":"2018-07-09T22:38:38.000000000+00:00"}}"#;

    #[test]
    fn reads_the_golden_with_components() {
        let v = parse(GOLDEN).unwrap();
        assert_eq!(
            (v.client_version.as_str(), v.client_api.as_str()),
            ("18.99.5-ce", "1.38")
        );
        let s = v.server.unwrap();
        assert_eq!(
            (
                s.version.as_str(),
                s.api_version.as_str(),
                s.min_api_version.as_str()
            ),
            ("18.99.5-ce", "1.30", "1.12")
        );
        assert_eq!(
            (s.os.as_str(), s.arch.as_str(), s.kernel_version.as_str()),
            ("linux", "amd64", "v1.0.0")
        );
        assert_eq!(s.platform, "Docker Enterprise Edition (EE) 2.0");
        assert_eq!(s.build_time, "2018-07-09T22:38:38.000000000+00:00");
        assert_eq!(s.components.len(), 2);
        assert_eq!(
            s.components[1],
            Component {
                name: "Kubernetes".into(),
                version: "1.8+".into()
            }
        );
        assert_eq!(s.engine_version(), "17.06.2-ee-15");
        assert_eq!(
            parse_lenient(s.engine_version()),
            Some(semver::Version::new(17, 6, 2))
        );
    }

    #[test]
    fn server_null_when_the_daemon_is_down() {
        // Printed by the 28.2.2 CLI on this machine, no daemon running.
        let real = r#"{"Client":{"Version":"28.2.2","ApiVersion":"1.50","DefaultAPIVersion":"1.50","GitCommit":"e6534b4","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025","Context":"default"},"Server":null}
"#;
        let v = parse(real).unwrap();
        assert_eq!(
            (v.client_version.as_str(), v.client_api.as_str()),
            ("28.2.2", "1.50")
        );
        assert_eq!(v.server, None);
        // 2>&1 adds the daemon error after the JSON.
        let mixed = format!("{real}Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n");
        assert_eq!(parse(&mixed).unwrap().server, None);
    }

    #[test]
    fn pre_17_12_flat_server() {
        let text = r#"{"Client":{"Version":"17.06.0-ce","ApiVersion":"1.30","GitCommit":"02c1d87","GoVersion":"go1.8.3","Os":"linux","Arch":"amd64","BuildTime":"Fri Jun 23 21:23:31 2017"},
"Server":{"Version":"17.06.0-ce","ApiVersion":"1.30","MinAPIVersion":"1.12","GitCommit":"02c1d87","GoVersion":"go1.8.3","Os":"linux","Arch":"amd64","KernelVersion":"4.4.0-87-generic","Experimental":false,"BuildTime":"2017-06-23T21:19:04.990631145+00:00"}}"#;
        let s = parse(text).unwrap().server.unwrap();
        assert!(s.components.is_empty() && s.platform.is_empty());
        assert_eq!(s.engine_version(), "17.06.0-ce");
        assert_eq!(s.kernel_version, "4.4.0-87-generic");
    }

    #[test]
    fn text_form_and_cuts_are_errors() {
        assert!(parse("Client: Docker Engine - Community\n Version:           28.5.1\n").is_err());
        assert!(parse(&GOLDEN[..120]).is_err());
        assert!(parse("").is_err());
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI.
    const LAB_VERSION: &str = r##"{"Client":{"Version":"28.2.2","ApiVersion":"1.41","DefaultAPIVersion":"1.50","GitCommit":"e6534b4","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025","Context":"default"},"Server":{"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41","Arch":"amd64","BuildTime":"Thu May  7 21:09:36 2026","Experimental":"false","GitCommit":"5d6db84","GoVersion":"go1.19.8","KernelVersion":"6.18.44-fc-v669","MinAPIVersion":"1.12","Os":"linux"}},{"Name":"containerd","Version":"1.6.20~ds1","Details":{"GitCommit":"1.6.20~ds1-1+deb12u3"}},{"Name":"runc","Version":"1.1.5+ds1","Details":{"GitCommit":"1.1.5+ds1-1+deb12u1"}},{"Name":"docker-init","Version":"0.19.0","Details":{"GitCommit":""}}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","KernelVersion":"6.18.44-fc-v669","BuildTime":"2026-05-07T21:09:36.000000000+00:00"}}
"##;

    #[test]
    fn reads_real_20_10_version() {
        let v = parse(LAB_VERSION).unwrap();
        assert_eq!(
            (v.client_version.as_str(), v.client_api.as_str()),
            ("28.2.2", "1.41")
        );
        let s = v.server.unwrap();
        assert_eq!(
            (s.engine_version(), s.api_version.as_str()),
            ("20.10.24+dfsg1", "1.41")
        );
        let names: Vec<&str> = s.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Engine", "containerd", "runc", "docker-init"]);
    }

    #[test]
    fn reads_the_real_20_10_daemon_down_output_with_stderr() {
        // `docker version --format '{{json .}}' 2>&1` by the 20.10 CLI, daemon gone.
        let text = r##"{"Client":{"Platform":{"Name":""},"Version":"20.10.24+dfsg1","ApiVersion":"1.41","DefaultAPIVersion":"1.41","GitCommit":"297e128","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","BuildTime":"Thu May  7 21:09:36 2026","Context":"default","Experimental":true},"Server":null}
Cannot connect to the Docker daemon at unix:///run/pdk/n1.sock. Is the docker daemon running?
"##;
        let v = parse(text).unwrap();
        assert_eq!(v.client_version, "20.10.24+dfsg1");
        assert_eq!(v.server, None);
    }
}
