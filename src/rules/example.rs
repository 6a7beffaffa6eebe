//! Turns a rule's example line into what the real log parser would hand the
//! matcher: level and haystack (`msg` then ` key=value` per field, values
//! unescaped). Only the logrus text format is read, which is the format
//! examples are written in; any other line is taken whole as the haystack.
//!
//! ```text
//! Mar 28 15:08:16 mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: code = Canceled desc = context canceled" module=node/agent
//! → level "error", haystack "agent: session failed error=rpc error: code = Canceled desc = context canceled module=node/agent"
//! ```

/// An example line read as the log parser would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleLine {
    /// True when the line held a logrus record (`time=`/`level=` …).
    pub logrus: bool,
    pub level: Option<String>,
    pub haystack: String,
}

/// Reads `line`; never fails (a non-logrus line is its own haystack).
pub fn read_example(line: &str) -> ExampleLine {
    let start = line
        .find("time=\"")
        .or_else(|| line.find("level="))
        .filter(|&i| i == 0 || line[..i].ends_with(' '));
    let Some(start) = start else {
        return plain(line);
    };
    let mut rest = &line[start..];
    let mut level = None;
    let mut msg = String::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    while !rest.is_empty() {
        rest = rest.trim_start_matches(' ');
        let Some(eq) = rest.find('=') else {
            // A stray word: keep it, like the log parser does.
            let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            if !word.is_empty() {
                fields.push((String::new(), word.to_string()));
            }
            rest = tail;
            continue;
        };
        let key = &rest[..eq];
        if key.contains(' ') {
            let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            fields.push((String::new(), word.to_string()));
            rest = tail;
            continue;
        }
        let after = &rest[eq + 1..];
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => match unquote(quoted) {
                Some((v, used)) => (v, &quoted[used..]),
                None => return plain(line),
            },
            None => {
                let (v, t) = after.split_once(' ').unwrap_or((after, ""));
                (v.to_string(), t)
            }
        };
        match key {
            "time" => {}
            "level" => level = Some(value.to_ascii_lowercase()),
            "msg" => msg = value,
            _ => fields.push((key.to_string(), value)),
        }
        rest = tail;
    }
    if level.is_none() && msg.is_empty() {
        return plain(line);
    }
    let mut haystack = msg;
    for (k, v) in fields {
        haystack.push(' ');
        if !k.is_empty() {
            haystack.push_str(&k);
            haystack.push('=');
        }
        haystack.push_str(&v);
    }
    ExampleLine {
        logrus: true,
        level,
        haystack,
    }
}

fn plain(line: &str) -> ExampleLine {
    ExampleLine {
        logrus: false,
        level: None,
        haystack: line.to_string(),
    }
}

/// Decodes a Go-quoted string body (after the opening quote). Returns the
/// value and the bytes used including the closing quote; `None` when the
/// closing quote is missing.
fn unquote(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        out.push(decoded.unwrap_or('\u{fffd}'));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_journald_prefixed_logrus_line() {
        let ex = read_example(
            r#"Mar 28 15:08:16 mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: code = Canceled desc = context canceled" module=node/agent node.id="#,
        );
        assert!(ex.logrus);
        assert_eq!(ex.level.as_deref(), Some("error"));
        assert_eq!(
            ex.haystack,
            "agent: session failed error=rpc error: code = Canceled desc = context canceled module=node/agent node.id="
        );
    }

    #[test]
    fn unescapes_quoted_values() {
        let ex = read_example(
            r#"time="2024-02-08T10:00:00Z" level=error msg="fatal task error" error="invalid network config:\ninvalid subnet 10.0.0.1/16: it should be 10.0.0.0/16" module=node/agent/taskmanager"#,
        );
        assert_eq!(
            ex.haystack,
            "fatal task error error=invalid network config:\ninvalid subnet 10.0.0.1/16: it should be 10.0.0.0/16 module=node/agent/taskmanager"
        );
        let ex = read_example(
            r#"time="2018-03-08T18:54:38Z" level=error msg="could not resolve peer \"192.168.101.49\": timed out""#,
        );
        assert_eq!(
            ex.haystack,
            "could not resolve peer \"192.168.101.49\": timed out"
        );
    }

    #[test]
    fn other_lines_are_their_own_haystack() {
        let line = "2025-08-19T11:20:54.095864+00:00 node1 kernel: IPVS: rr: FWM 257 0x00000101 - no destination available";
        let ex = read_example(line);
        assert!(!ex.logrus);
        assert_eq!(ex.haystack, line);
        assert_eq!(ex.level, None);
        // An unterminated quote is not a record either.
        assert!(!read_example(r#"time="2018 level=error msg="x"#).logrus);
    }
}
