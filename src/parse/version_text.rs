//! `docker version` as text (a sosreport's `sos_commands/docker/docker_version`):
//! the same facts as [`super::version`].
//!
//! ```text
//! Client:
//!  Version:           20.10.24+dfsg1
//!  API version:       1.41
//!
//! Server: Docker Engine - Community
//!  Engine:
//!   Version:          20.10.24+dfsg1
//!   API version:      1.41 (minimum version 1.12)
//!   OS/Arch:          linux/amd64
//!  containerd:
//!   Version:          1.6.20~ds1
//! ```
//!
//! Before 17.06 the server's keys sit right under `Server:` with no
//! components. When the daemon is unreachable the `Server:` section is
//! missing or holds an error: `server` is then `None`.

use super::version::{Component, ServerVersion, Version};
use super::ParseError;

/// Parses `docker version` text.
pub fn parse(text: &str) -> Result<Version, ParseError> {
    let mut v = Version::default();
    let mut server: Option<ServerVersion> = None;
    let mut section = "";
    // The component being read in the server section (`Engine`, `containerd`).
    let mut component: Option<usize> = None;
    let mut component_indent = usize::MAX;
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        let Some((key, value)) = raw.trim().split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if indent == 0 {
            section = match key {
                "Client" => "client",
                "Server" => {
                    let s = server.get_or_insert_with(ServerVersion::default);
                    s.platform = value.to_string();
                    "server"
                }
                _ => "",
            };
            component = None;
            continue;
        }
        match section {
            "client" => match key {
                "Version" => v.client_version = value.to_string(),
                "API version" => v.client_api = first_word(value),
                _ => {}
            },
            "server" => {
                let Some(s) = server.as_mut() else { continue };
                let header = component.is_none() || indent <= component_indent;
                if value.is_empty() && key != "Version" && header {
                    // `Engine:`, `containerd:`, `runc:`, `docker-init:`.
                    s.components.push(Component {
                        name: key.to_string(),
                        version: String::new(),
                    });
                    component = Some(s.components.len() - 1);
                    component_indent = indent;
                    continue;
                }
                if component.is_some() && indent <= component_indent {
                    component = None;
                }
                let engine = match component {
                    None => true,
                    Some(c) => s.components.get(c).is_some_and(|c| c.name == "Engine"),
                };
                if let (Some(c), "Version") = (component, key) {
                    if let Some(c) = s.components.get_mut(c) {
                        c.version = value.to_string();
                    }
                }
                if !engine {
                    continue;
                }
                match key {
                    "Version" => s.version = value.to_string(),
                    "API version" => {
                        s.api_version = first_word(value);
                        if let Some(min) = value
                            .split_once("minimum version")
                            .map(|(_, m)| m.trim().trim_end_matches(')').trim())
                        {
                            s.min_api_version = min.to_string();
                        }
                    }
                    "Git commit" => s.git_commit = value.to_string(),
                    "Built" => s.build_time = value.to_string(),
                    "OS/Arch" => {
                        let (os, arch) = value.split_once('/').unwrap_or((value, ""));
                        s.os = os.to_string();
                        s.arch = arch.to_string();
                    }
                    "Kernel Version" => s.kernel_version = value.to_string(),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    v.server = server.filter(|s| !s.version.is_empty() || !s.components.is_empty());
    if v.client_version.is_empty() && v.server.is_none() {
        return Err(ParseError::new(
            None,
            "not `docker version` output (no Client or Server version)",
        ));
    }
    Ok(v)
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a real sosreport (lab, Debian's 20.10.24).
    const MODERN: &str = "Client:\n Version:           20.10.24+dfsg1\n API version:       1.41\n Go version:        go1.19.8\n OS/Arch:           linux/amd64\n Context:           default\n Experimental:      true\n\nServer:\n Engine:\n  Version:          20.10.24+dfsg1\n  API version:      1.41 (minimum version 1.12)\n  Go version:       go1.19.8\n  Git commit:       5d6db84\n  Built:            Thu May  7 21:09:36 2026\n  OS/Arch:          linux/amd64\n  Experimental:     false\n containerd:\n  Version:          1.6.20~ds1\n  GitCommit:        1.6.20~ds1-1+deb12u3\n runc:\n  Version:          1.1.5+ds1\n docker-init:\n  Version:          0.19.0\n  GitCommit:        \n";

    #[test]
    fn engine_and_components() {
        let v = parse(MODERN).unwrap();
        assert_eq!(v.client_version, "20.10.24+dfsg1");
        assert_eq!(v.client_api, "1.41");
        let s = v.server.unwrap();
        assert_eq!(s.version, "20.10.24+dfsg1");
        assert_eq!(s.engine_version(), "20.10.24+dfsg1");
        assert_eq!(
            (s.api_version.as_str(), s.min_api_version.as_str()),
            ("1.41", "1.12")
        );
        assert_eq!((s.os.as_str(), s.arch.as_str()), ("linux", "amd64"));
        let names: Vec<(&str, &str)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("Engine", "20.10.24+dfsg1"),
                ("containerd", "1.6.20~ds1"),
                ("runc", "1.1.5+ds1"),
                ("docker-init", "0.19.0")
            ]
        );
    }

    #[test]
    fn old_flat_server_and_unreachable_daemon() {
        let old = "Client:\n Version:      1.13.1\n API version:  1.26\n\nServer:\n Version:      1.13.1\n API version:  1.26 (minimum version 1.12)\n OS/Arch:      linux/amd64\n";
        let s = parse(old).unwrap().server.unwrap();
        assert_eq!(s.version, "1.13.1");
        assert!(s.components.is_empty());
        let down = "Client:\n Version:           24.0.7\n API version:       1.43\nCannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n";
        let v = parse(down).unwrap();
        assert_eq!(v.client_version, "24.0.7");
        assert!(v.server.is_none());
        assert!(parse("nothing here\n").is_err());
    }

    #[test]
    fn platform_name_on_the_server_heading() {
        let t = "Server: Docker Engine - Community\n Engine:\n  Version:          24.0.7\n";
        let s = parse(t).unwrap().server.unwrap();
        assert_eq!(s.platform, "Docker Engine - Community");
        assert_eq!(s.version, "24.0.7");
    }
}
