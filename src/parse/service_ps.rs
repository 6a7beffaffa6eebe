//! `docker service ps [--no-trunc] <services…>` (`swarm/service-ps.txt`): the
//! table the customer saw, one per service, each with its own header.
//!
//! ```text
//! ID            NAME         IMAGE        NODE      DESIRED STATE  CURRENT STATE                   ERROR  PORTS
//! 3s46te2nzl4i  redis.2      redis:7.4.1  worker2   Running        Running less than a second ago
//! nvjljf7rmor4   \_ redis.2  redis:7.4.1  worker2   Shutdown       Rejected 23 seconds ago        "No such image: redis@sha256:6…"
//! ```
//!
//! Cells hold single spaces (`Rejected 23 seconds ago`) and old CLIs pad
//! columns to 20, so rows are cut at the header's column offsets (counted in
//! characters, as tabwriter does), not at spaces. ` \_ ` marks an older task
//! of the same slot. Also read: `--format '{{json .}}'` lines (HTML-escaped,
//! no ` \_ `), CRLF, trailing spaces, and stray lines such as
//! `no such service: x`, which are kept as noise.

use serde::Deserialize;

use super::json::Batch;
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsRow {
    /// 1-based line of the row.
    pub line: usize,
    /// 12 characters, or 25 with `--no-trunc`.
    pub id: String,
    /// `<svc>.<slot>` or `<svc>.<nodeID>`, without the ` \_ ` marker.
    pub name: String,
    /// An older task of the same slot (the ` \_ ` rows; in JSON output, a
    /// row with the same name as the row before it, as the CLI decides).
    pub is_history: bool,
    pub image: String,
    /// A hostname, or a node ID with `--no-resolve`.
    pub node: String,
    pub desired_state: String,
    /// The first word of `CURRENT STATE`, e.g. `Rejected`.
    pub current_state: String,
    /// The rest of it, relative to collection time, e.g. `7 minutes ago`.
    pub current_since: String,
    /// Without the surrounding quotes or the trailing `…`.
    pub error: String,
    /// The CLI cut the error (to 30 columns, ending in `…`): `error` is a
    /// prefix of the real message.
    pub error_truncated: bool,
    /// e.g. `*:8080->80/tcp`; host-mode ports only.
    pub ports: String,
}

/// Parses `docker service ps` output: tables (any number, each with its
/// header) or `{{json .}}` lines. Never fails; unreadable lines are noise
/// or problems in the batch.
pub fn parse(text: &str) -> Result<Batch<PsRow>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut batch = Batch::default();
    let mut columns: Option<Vec<Column>> = None;
    let mut prev_json_name: Option<String> = None;

    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('{') {
            match serde_json::from_str::<WireJson>(trimmed) {
                Ok(w) if w.id.as_deref().is_none_or(|id| id.trim().is_empty()) => {
                    batch.problems.push(ParseError::new(
                        Some(line_no),
                        "JSON row without an ID skipped",
                    ))
                }
                Ok(w) => {
                    let row = json_row(line_no, w, prev_json_name.as_deref());
                    prev_json_name = Some(row.name.clone());
                    batch.items.push(row);
                }
                Err(e) => batch.problems.push(ParseError::new(
                    Some(line_no),
                    format!("JSON row skipped: {e}"),
                )),
            }
            continue;
        }
        if let Some(cells) = header(line) {
            // Another table's header (e.g. `docker service ls`) ends ours.
            let is_ps = ["ID", "NAME", "DESIRED STATE", "CURRENT STATE"]
                .iter()
                .all(|h| cells.iter().any(|c| c.name == *h));
            if is_ps {
                columns = Some(cells);
            } else {
                columns = None;
                batch.noise.push((line_no, trimmed.to_string()));
            }
            prev_json_name = None;
            continue;
        }
        match columns
            .as_deref()
            .and_then(|cols| table_row(line_no, line, cols))
        {
            Some(row) => batch.items.push(row),
            None => batch.noise.push((line_no, trimmed.to_string())),
        }
    }
    Ok(batch)
}

/// A header cell: its name and the character offset where its column starts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    start: usize,
}

/// Cells of a header line: `ID` first, then names in capitals, separated by
/// two or more spaces. `None` when the line is not a header.
fn header(line: &str) -> Option<Vec<Column>> {
    let cells = wide_cells(line);
    let first = cells.first()?;
    let all_caps = cells
        .iter()
        .all(|(_, c)| c.chars().all(|ch| ch.is_ascii_uppercase() || ch == ' '));
    (first.1 == "ID" && cells.len() > 1 && all_caps).then(|| {
        cells
            .into_iter()
            .map(|(start, name)| Column { name, start })
            .collect()
    })
}

/// Splits `line` on runs of two or more blanks; each cell with its character
/// offset.
fn wide_cells(line: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut cells = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() {
            let blank_run = chars[i..].iter().take_while(|c| c.is_whitespace()).count();
            if blank_run >= 2 || (blank_run >= 1 && i + blank_run == chars.len()) {
                break;
            }
            i += blank_run.max(1);
        }
        cells.push((
            start,
            chars[start..i]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        ));
    }
    cells
}

/// Cuts a row at the header's column offsets. When the row does not line up
/// with the header (a blank is missing before a column start), falls back to
/// splitting on wide gaps. `None` when the line is not a task row.
fn table_row(line_no: usize, line: &str, cols: &[Column]) -> Option<PsRow> {
    let chars: Vec<char> = line.trim_end().chars().collect();
    let aligned = cols.iter().skip(1).all(|c| {
        c.start >= chars.len()
            || chars
                .get(c.start.wrapping_sub(1))
                .is_some_and(|ch| ch.is_whitespace())
    });
    let mut cells: Vec<(String, String)> = if aligned {
        cols.iter()
            .enumerate()
            .map(|(k, c)| {
                let end = cols
                    .get(k + 1)
                    .map_or(chars.len(), |n| n.start)
                    .min(chars.len());
                let start = c.start.min(end);
                (c.name.clone(), chars[start..end].iter().collect::<String>())
            })
            .collect()
    } else {
        let wide: Vec<String> = wide_cells(line).into_iter().map(|(_, s)| s).collect();
        let mut names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        // ERROR empty but PORTS filled: the last cell is the ports.
        if wide.len() + 1 == names.len()
            && names.last() == Some(&"PORTS")
            && wide.last().is_some_and(|p| p.contains("->"))
        {
            names.retain(|n| *n != "ERROR");
        }
        names.iter().map(|n| n.to_string()).zip(wide).collect()
    };
    let mut take = |name: &str| {
        cells
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default()
    };
    let id = take("ID").trim().to_string();
    let raw_name = take("NAME");
    let desired_state = take("DESIRED STATE").trim().to_string();
    let valid = !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && !desired_state.is_empty()
        && desired_state.chars().all(|c| c.is_ascii_alphabetic());
    if !valid {
        return None;
    }
    let name = raw_name.trim();
    let (is_history, name) = match name.strip_prefix("\\_") {
        Some(rest) => (true, rest.trim()),
        None => (false, name),
    };
    let (current_state, current_since) = split_state(take("CURRENT STATE").trim());
    let (error, error_truncated) = clean_error(take("ERROR").trim());
    Some(PsRow {
        line: line_no,
        id,
        name: name.to_string(),
        is_history,
        image: take("IMAGE").trim().to_string(),
        node: take("NODE").trim().to_string(),
        desired_state,
        current_state,
        current_since,
        error,
        error_truncated,
        ports: take("PORTS").trim().to_string(),
    })
}

/// `Rejected 23 seconds ago` → (`Rejected`, `23 seconds ago`).
fn split_state(s: &str) -> (String, String) {
    match s.split_once(' ') {
        Some((state, since)) => (state.to_string(), since.trim().to_string()),
        None => (s.to_string(), String::new()),
    }
}

/// `"node is missing network attac…"` → (`node is missing network attac`,
/// truncated). A missing closing quote also means the text was cut.
fn clean_error(s: &str) -> (String, bool) {
    let (inner, mut truncated) = match s.strip_prefix('"') {
        Some(rest) => match rest.strip_suffix('"') {
            Some(inner) => (inner, false),
            None => (rest, true),
        },
        None => (s, false),
    };
    let inner = match inner.strip_suffix('…') {
        Some(cut) => {
            truncated = true;
            cut
        }
        None => inner,
    };
    (inner.to_string(), truncated)
}

fn json_row(line: usize, w: WireJson, prev_name: Option<&str>) -> PsRow {
    let name = w.name.unwrap_or_default();
    let (current_state, current_since) = split_state(w.current_state.unwrap_or_default().trim());
    let (error, error_truncated) = clean_error(w.error.unwrap_or_default().trim());
    PsRow {
        line,
        id: w.id.unwrap_or_default(),
        is_history: prev_name == Some(name.as_str()),
        name,
        image: w.image.unwrap_or_default(),
        node: w.node.unwrap_or_default(),
        desired_state: w.desired_state.unwrap_or_default(),
        current_state,
        current_since,
        error,
        error_truncated,
        ports: w.ports.unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireJson {
    #[serde(rename = "ID")]
    id: Option<String>,
    name: Option<String>,
    image: Option<String>,
    node: Option<String>,
    desired_state: Option<String>,
    current_state: Option<String>,
    error: Option<String>,
    ports: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<PsRow> {
        parse(text).unwrap().items
    }

    /// formats.md §6 [V] (docs).
    const DOCS: &str = r#"ID            NAME         IMAGE        NODE      DESIRED STATE  CURRENT STATE                   ERROR  PORTS
50qe8lfnxaxk  redis.1      redis:7.4.1  manager1  Running        Running 6 seconds ago
ky2re9oz86r9   \_ redis.1  redis:7.4.0  manager1  Shutdown       Shutdown 8 seconds ago
3s46te2nzl4i  redis.2      redis:7.4.1  worker2   Running        Running less than a second ago
nvjljf7rmor4   \_ redis.2  redis:7.4.1  worker2   Shutdown       Rejected 23 seconds ago        "No such image: redis@sha256:6…"
"#;

    /// formats.md §6 [V] `--no-trunc` (docs).
    const NO_TRUNC: &str = r#"ID                          NAME         IMAGE                                                                                NODE      DESIRED STATE  CURRENT STATE            ERROR                                                                                           PORTS
nvjljf7rmor4htv7l8rwcx7i7   \_ redis.2   redis:7.4.1@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842  worker2   Shutdown       Rejected 5 minutes ago   "No such image: redis@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842"
"#;

    /// formats.md §6 [V] golden file; `·` there marks trailing spaces, which
    /// are real spaces here.
    const GOLDEN: &str = "ID        NAME            IMAGE           NODE              DESIRED STATE   CURRENT STATE       ERROR            PORTS\n\
taskID1   failure.1       myimage:mytag   defaultNodeName   Ready           Ready 2 hours ago   \"a task error\"   \n\
taskID2    \\_ failure.1   myimage:mytag   defaultNodeName   Ready           Ready 3 hours ago   \"a task error\"   \n";

    #[test]
    fn reads_the_documented_table() {
        let r = rows(DOCS);
        assert_eq!(r.len(), 4);
        assert_eq!(
            r[0],
            PsRow {
                line: 2,
                id: "50qe8lfnxaxk".into(),
                name: "redis.1".into(),
                is_history: false,
                image: "redis:7.4.1".into(),
                node: "manager1".into(),
                desired_state: "Running".into(),
                current_state: "Running".into(),
                current_since: "6 seconds ago".into(),
                error: String::new(),
                error_truncated: false,
                ports: String::new(),
            }
        );
        assert!(r[1].is_history);
        assert_eq!(
            (r[1].name.as_str(), r[1].image.as_str()),
            ("redis.1", "redis:7.4.0")
        );
        assert_eq!(r[2].current_since, "less than a second ago");
        let rejected = &r[3];
        assert!(rejected.is_history);
        assert_eq!(
            (
                rejected.desired_state.as_str(),
                rejected.current_state.as_str()
            ),
            ("Shutdown", "Rejected")
        );
        assert_eq!(rejected.current_since, "23 seconds ago");
        assert_eq!(rejected.error, "No such image: redis@sha256:6");
        assert!(rejected.error_truncated);
    }

    #[test]
    fn reads_no_trunc_and_the_golden_trailing_spaces() {
        let r = &rows(NO_TRUNC)[0];
        assert_eq!(r.id, "nvjljf7rmor4htv7l8rwcx7i7");
        assert!(r.is_history);
        assert!(r
            .image
            .ends_with("@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842"));
        assert_eq!(r.error, "No such image: redis@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842");
        assert!(!r.error_truncated);
        assert_eq!(r.current_since, "5 minutes ago");

        let g = rows(GOLDEN);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].id.as_str(), g[0].node.as_str()),
            ("taskID1", "defaultNodeName")
        );
        assert_eq!(
            (g[0].error.as_str(), g[0].ports.as_str()),
            ("a task error", "")
        );
        assert!(g[1].is_history && !g[0].is_history);
        assert_eq!(g[1].current_since, "3 hours ago");
    }

    /// Seed 002 (17.06 EE, min column width 20), verbatim: two tables, one
    /// with rejected history rows.
    const SEED_002: &str = r#"docker@tk1706-ubuntu-0:~$ docker service ps test_client
ID                  NAME                IMAGE                                NODE                DESIRED STATE       CURRENT STATE                 ERROR               PORTS
dsfza4hcu4gp        test_client.1       ctelfer/lb-upgrade-test-cli:latest   tk1706-ubuntu-2     Running             Running 2 minutes ago
xjnra1dwfttg         \_ test_client.1   ctelfer/lb-upgrade-test-cli:latest   tk1706-ubuntu-3     Shutdown            Shutdown 2 minutes ago
ibg27ylftdgv        test_client.2       ctelfer/lb-upgrade-test-cli:latest   tk1706-ubuntu-1     Running             Running about a minute ago


$ docker@tk1706-ubuntu-0:~$ docker service ps test_service
ID                  NAME                                         IMAGE               NODE                DESIRED STATE       CURRENT STATE                 ERROR                              PORTS
134tseerb5ay        test_service.rflm00eupnjjkrpt9ot2l93eh       nginx:latest        tk1706-ubuntu-0     Shutdown            Rejected about a minute ago   "node is missing network attac…"
tuddp1ycbf38         \_ test_service.rflm00eupnjjkrpt9ot2l93eh   nginx:latest        tk1706-ubuntu-0     Shutdown            Rejected about a minute ago   "node is missing network attac…"
...
"#;

    #[test]
    fn reads_seed_002_tables_and_skips_the_prompts() {
        let b = parse(SEED_002).unwrap();
        assert_eq!(b.items.len(), 5);
        let client = &b.items[1];
        assert_eq!(
            (client.line, client.name.as_str(), client.is_history),
            (4, "test_client.1", true)
        );
        assert_eq!(client.image, "ctelfer/lb-upgrade-test-cli:latest");
        assert_eq!(b.items[2].current_since, "about a minute ago");
        let rejected = &b.items[3];
        assert_eq!(rejected.name, "test_service.rflm00eupnjjkrpt9ot2l93eh");
        assert_eq!(
            (rejected.node.as_str(), rejected.current_state.as_str()),
            ("tk1706-ubuntu-0", "Rejected")
        );
        assert_eq!(rejected.error, "node is missing network attac");
        assert!(rejected.error_truncated);
        assert!(b.items[4].is_history);
        assert_eq!(b.items[4].error, "node is missing network attac");
        let noise: Vec<usize> = b.noise.iter().map(|n| n.0).collect();
        assert_eq!(noise, [1, 8, 12]);
        assert!(b.problems.is_empty());
    }

    /// Seed 002 verbatim: a global service (names `<svc>.<nodeID>`, no
    /// ` \_ ` even for the shut-down tasks of the same node, as that CLI
    /// printed them), then the settled exhaustion run after a `service ls`.
    const SEED_002_GLOBAL: &str = r#"docker@tk1706-ubuntu-0:~$ docker service ps test_service
ID                  NAME                                     IMAGE               NODE                DESIRED STATE       CURRENT STATE                 ERROR               PORTS
n28ip529ru04        test_service.w232ljdni54ibvlsgewehon99   nginx:latest        tk1706-ubuntu-4     Running             Running 30 seconds ago
7uffy3trubyq        test_service.z5tqpoosc7akmy1rooonzyqk2   nginx:latest        tk1706-ubuntu-3     Running             Running 2 minutes ago
qfj700xptc0d        test_service.bkir1i90n88pf3n30ftx32yww   nginx:latest        tk1706-ubuntu-2     Running             Running 5 minutes ago
d64vq365ehi2        test_service.rgwd7c9f151elfy4io9es7983   nginx:latest        tk1706-ubuntu-1     Running             Running 5 minutes ago
jnk6579o00si        test_service.t7felwp30mvi4n910z2y3u1cu   nginx:latest        tk1706-ubuntu-0     Running             Running 6 minutes ago
x1w1vpvlwhru        test_service.w232ljdni54ibvlsgewehon99   nginx:latest        tk1706-ubuntu-4     Shutdown            Shutdown about a minute ago
rxktf2n2jqbb        test_service.z5tqpoosc7akmy1rooonzyqk2   nginx:latest        tk1706-ubuntu-3     Shutdown            Shutdown 3 minutes ago
mklb6o6mcyab        test_service.bkir1i90n88pf3n30ftx32yww   nginx:latest        tk1706-ubuntu-2     Shutdown            Shutdown 6 minutes ago
m4umkff8i5w0        test_service.rgwd7c9f151elfy4io9es7983   nginx:latest        tk1706-ubuntu-1     Shutdown            Shutdown 8 minutes ago
z59srrwswmv8        test_service.t7felwp30mvi4n910z2y3u1cu   nginx:latest        tk1706-ubuntu-0     Shutdown            Shutdown 11 minutes ago
"#;
    const SEED_002_SETTLED: &str = r#"ID                  NAME                MODE                REPLICAS            IMAGE               PORTS
wn3x4lu9cnln        ex_service          replicated          24/24               nginx:latest
ID                  NAME                IMAGE               NODE                DESIRED STATE       CURRENT STATE            ERROR                              PORTS
2w6uzqbqtxff        ex_service.1        nginx:latest        tk1706-ubuntu-3     Running             Running 7 minutes ago
xdevhaoovqew         \_ ex_service.1    nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   "node is missing network attac…"
q9fc83to7n8p        ex_service.2        nginx:latest        tk1706-ubuntu-4     Running             Running 8 minutes ago
p5h3gbxct2cn        ex_service.3        nginx:latest        tk1706-ubuntu-2     Running             Running 8 minutes ago
fs2380pgiy09        ex_service.4        nginx:latest        tk1706-ubuntu-3     Running             Running 8 minutes ago
vht1n02bu076        ex_service.5        nginx:latest        tk1706-ubuntu-2     Running             Running 8 minutes ago
ac4rqb92ln5r        ex_service.6        nginx:latest        tk1706-ubuntu-0     Running             Running 8 minutes ago
ndopmbh4odwp        ex_service.7        nginx:latest        tk1706-ubuntu-0     Running             Running 8 minutes ago
15v7de4wh86i        ex_service.8        nginx:latest        tk1706-ubuntu-3     Running             Running 8 minutes ago
n5qe7b01rims        ex_service.9        nginx:latest        tk1706-ubuntu-3     Running             Running 8 minutes ago
qwg2kgifx997        ex_service.10       nginx:latest        tk1706-ubuntu-0     Running             Running 8 minutes ago
kah5rzm81dbs        ex_service.11       nginx:latest        tk1706-ubuntu-4     Running             Running 7 minutes ago
i64lee19ia6s         \_ ex_service.11   nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   "node is missing network attac…"
mlngcwkok7lv        ex_service.12       nginx:latest        tk1706-ubuntu-4     Running             Running 8 minutes ago
lvgu2chww41a        ex_service.13       nginx:latest        tk1706-ubuntu-2     Running             Running 8 minutes ago
pv88mx99lq3x        ex_service.14       nginx:latest        tk1706-ubuntu-0     Running             Running 7 minutes ago
v1oris8jvhc1         \_ ex_service.14   nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   "node is missing network attac…"
fzadkml9rx6s        ex_service.15       nginx:latest        tk1706-ubuntu-2     Running             Running 8 minutes ago
i3o8qmuwf8ls        ex_service.16       nginx:latest        tk1706-ubuntu-2     Running             Running 7 minutes ago
ltwiom799rjz         \_ ex_service.16   nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   "node is missing network attac…"
rbewma4plt95        ex_service.17       nginx:latest        tk1706-ubuntu-4     Running             Running 8 minutes ago
vbthfd5pq9hc        ex_service.18       nginx:latest        tk1706-ubuntu-3     Running             Running 8 minutes ago
58oo545x10ud        ex_service.19       nginx:latest        tk1706-ubuntu-3     Running             Running 8 minutes ago
iz4dzpalegez        ex_service.20       nginx:latest        tk1706-ubuntu-0     Running             Running 8 minutes ago
j3u7qsb6uyfe        ex_service.21       nginx:latest        tk1706-ubuntu-2     Running             Running 8 minutes ago
zjcg1swgcvin        ex_service.22       nginx:latest        tk1706-ubuntu-4     Running             Running 8 minutes ago
yp8cjae6xh7g        ex_service.23       nginx:latest        tk1706-ubuntu-0     Running             Running 8 minutes ago
xb4lzjrkgadk        ex_service.24       nginx:latest        tk1706-ubuntu-4     Running             Running 7 minutes ago
j53nz0hasu0e         \_ ex_service.24   nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   "node is missing network attac…"

"#;

    #[test]
    fn reads_seed_002_global_and_settled_runs() {
        let g = parse(SEED_002_GLOBAL).unwrap();
        assert_eq!(g.items.len(), 10);
        assert_eq!(g.noise.len(), 1, "the prompt line");
        assert!(g
            .items
            .iter()
            .all(|r| !r.is_history && r.image == "nginx:latest"));
        assert_eq!(g.items[0].name, "test_service.w232ljdni54ibvlsgewehon99");
        assert_eq!(g.items[5].name, g.items[0].name);
        assert_eq!(
            (
                g.items[5].desired_state.as_str(),
                g.items[5].current_since.as_str()
            ),
            ("Shutdown", "about a minute ago")
        );

        let s = parse(SEED_002_SETTLED).unwrap();
        assert_eq!(s.items.len(), 29);
        assert_eq!(s.noise.len(), 2, "the service ls header and row");
        let rejected: Vec<&PsRow> = s
            .items
            .iter()
            .filter(|r| r.current_state == "Rejected")
            .collect();
        assert_eq!(rejected.len(), 5);
        assert!(rejected.iter().all(|r| r.is_history
            && r.node == "tk1706-ubuntu-1"
            && r.error == "node is missing network attac"
            && r.error_truncated));
        assert!(s
            .items
            .iter()
            .filter(|r| !r.is_history)
            .all(|r| r.desired_state == "Running" && r.error.is_empty()));
        assert_eq!(
            s.items.last().map(|r| (r.line, r.id.as_str())),
            Some((32, "j53nz0hasu0e"))
        );
    }

    /// Seed 002's exhaustion run: a `docker service ls` table right before
    /// the `service ps` one, then another `service ls` (verbatim rows).
    #[test]
    fn another_tables_header_stops_the_rows() {
        let text = "ID                  NAME                MODE                REPLICAS            IMAGE               PORTS
wn3x4lu9cnln        ex_service          replicated          24/24               nginx:latest
ID                  NAME                IMAGE               NODE                DESIRED STATE       CURRENT STATE            ERROR                              PORTS
2w6uzqbqtxff        ex_service.1        nginx:latest        tk1706-ubuntu-3     Running             Running 7 minutes ago
xdevhaoovqew         \\_ ex_service.1    nginx:latest        tk1706-ubuntu-1     Shutdown            Rejected 7 minutes ago   \"node is missing network attac…\"
ID                  NAME                MODE                REPLICAS            IMAGE               PORTS
wn3x4lu9cnln        ex_service          replicated          19/24               nginx:latest
";
        let b = parse(text).unwrap();
        assert_eq!(b.items.len(), 2);
        assert_eq!(b.items[1].id, "xdevhaoovqew");
        assert_eq!(b.items[1].current_since, "7 minutes ago");
        assert_eq!(b.noise.len(), 4, "two service ls headers and their rows");
    }

    #[test]
    fn crlf_bom_missing_service_and_misaligned_rows() {
        let text = format!(
            "\u{feff}{}no such service: ghost\r\n",
            DOCS.replace('\n', "\r\n")
        );
        let b = parse(&text).unwrap();
        assert_eq!(b.items.len(), 4);
        assert_eq!(b.items[3].error, "No such image: redis@sha256:6");
        assert_eq!(b.noise, [(6, "no such service: ghost".to_string())]);

        // A row that lost a space (hand-edited): falls back to wide gaps.
        let skewed = "ID            NAME         IMAGE        NODE      DESIRED STATE  CURRENT STATE                   ERROR  PORTS
50qe8lfnxaxk  redis.1     redis:7.4.1  manager1  Running        Running 6 seconds ago                  *:8080->80/tcp
";
        let r = &rows(skewed)[0];
        assert_eq!(
            (r.name.as_str(), r.image.as_str(), r.node.as_str()),
            ("redis.1", "redis:7.4.1", "manager1")
        );
        assert_eq!(
            (r.current_state.as_str(), r.error.as_str(), r.ports.as_str()),
            ("Running", "", "*:8080->80/tcp")
        );
    }

    #[test]
    fn reads_json_lines_with_html_escapes() {
        // formats.md §6 [R] `--format '{{json .}}'`.
        let text = r#"{"CurrentState":"Running 6 seconds ago","DesiredState":"Running","Error":"","ID":"50qe8lfnxaxk","Image":"redis:7.4.1","Name":"redis.1","Node":"manager1","Ports":""}
{"CurrentState":"Rejected 23 seconds ago","DesiredState":"Shutdown","Error":"\"No such image: redis@sha256:6…\"","ID":"nvjljf7rmor4","Image":"redis:7.4.1","Name":"redis.2","Node":"worker2","Ports":"*:8080-\u003e80/tcp"}
{"CurrentState":"Shutdown 8 seconds ago","DesiredState":"Shutdown","Error":"","ID":"ky2re9oz86r9","Image":"redis:7.4.0","Name":"redis.2","Node":"worker2","Ports":""}
{"CurrentState":"Running 6 seconds ago","DesiredState":"Running","Err
"#;
        let b = parse(text).unwrap();
        assert_eq!(b.items.len(), 3);
        assert_eq!(b.items[1].ports, "*:8080->80/tcp");
        assert_eq!(
            (b.items[1].error.as_str(), b.items[1].error_truncated),
            ("No such image: redis@sha256:6", true)
        );
        assert!(!b.items[1].is_history && b.items[2].is_history);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(4));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for text in [
            "",
            "\n\n",
            "ID",
            "ID  NAME\n",
            "ID  NAME  DESIRED STATE  CURRENT STATE\nx",
            "{",
            "…\u{feff}…",
            "ID  NAME  DESIRED STATE  CURRENT STATE\n  \\_  …  ab  Running  é",
        ] {
            let _ = parse(text).unwrap();
        }
        let cut = &SEED_002[..SEED_002.find("network attac").unwrap()];
        let b = parse(cut).unwrap();
        let last = b.items.last().unwrap();
        assert_eq!(last.error, "node is missing");
        assert!(last.error_truncated, "no closing quote: cut");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_under_a_header(body in "[ a-z0-9\\\\_…\"{}é\r\n]{0,200}") {
            let text = format!("{}{body}", &DOCS[..DOCS.find('\n').unwrap_or(0) + 1]);
            let b = parse(&text).unwrap();
            for r in b.items {
                proptest::prop_assert!(!r.id.is_empty() && r.line >= 2);
            }
        }
    }

    #[test]
    fn error_cleaning() {
        assert_eq!(
            clean_error("\"task: non-zero exit (1)\""),
            ("task: non-zero exit (1)".into(), false)
        );
        assert_eq!(
            clean_error("\"no suitable node (scheduling constraints not…\""),
            ("no suitable node (scheduling constraints not".into(), true)
        );
        assert_eq!(clean_error(""), (String::new(), false));
    }

    /// Real output: `docker service ps --no-trunc` per service by the 20.10 CLI (one table each, trailing spaces, empty NODE for unassigned tasks).
    const LAB_PS_20: &str = r##"ID                          NAME                              IMAGE           NODE      DESIRED STATE   CURRENT STATE            ERROR     PORTS
owe4yudqdbrrzli1fyq0fyqiy   agent.izexcgmb7m1srrlo951hmgg75   lab/busybox:1   pdnode1   Running         Running 36 seconds ago             *:9100->9100/tcp,*:9100->9100/tcp
ID                          NAME          IMAGE           NODE      DESIRED STATE   CURRENT STATE            ERROR                                                                  PORTS
ognjgb74z0lp464lj6557r0uu   crowd.1       lab/busybox:1             Running         New 7 seconds ago                                                                               
wx4gfhrdjvmtyntbqfs1c8tq8    \_ crowd.1   lab/busybox:1   pdnode1   Shutdown        Rejected 7 seconds ago   "node is missing network attachments, ip addresses may be exhausted"   
rneg46bgfkw5hiv6eq6b91e5k   crowd.2       lab/busybox:1             Running         New 7 seconds ago                                                                               
nue1u1ngtqufkp824g9qbn9u1    \_ crowd.2   lab/busybox:1   pdnode1   Shutdown        Rejected 7 seconds ago   "node is missing network attachments, ip addresses may be exhausted"   
qapi08i4qpiekhfrkcaxk3apd   crowd.3       lab/busybox:1   pdnode1   Running         Running 5 seconds ago                                                                           
a2q15dsp8hqtgxu1593r22qnk   crowd.4       lab/busybox:1   pdnode1   Running         Running 5 seconds ago                                                                           
9c9gpksf0vfh1us68rtern0f7   crowd.5       lab/busybox:1   pdnode1   Running         Running 6 seconds ago                                                                           
sh2qvq68iey70dlwza7re0tu8   crowd.6       lab/busybox:1             Running         New 38 seconds ago                                                                              
v5pmedy9vfelhxz70u12vt15y   crowd.7       lab/busybox:1             Running         New 7 seconds ago                                                                               
nrrmrbw9wzxw2xe92qjs2njgx    \_ crowd.7   lab/busybox:1   pdnode1   Shutdown        Rejected 7 seconds ago   "node is missing network attachments, ip addresses may be exhausted"   
zc1ohhgc4jm9shlomajo3v9cz   crowd.8       lab/busybox:1             Running         New 7 seconds ago                                                                               
"##;

    /// Real output: `docker service ps web ghost 2>&1` by the 28.2.2 CLI.
    const LAB_PS_GHOST: &str = r##"ID             NAME        IMAGE           NODE      DESIRED STATE   CURRENT STATE                    ERROR     PORTS
mt4kmcujr6yr   web.1       lab/busybox:1   pdnode1   Running         Running less than a second ago             
6mqwzkxjns57    \_ web.1   lab/busybox:1   pdnode1   Shutdown        Shutdown 1 second ago                      
lh96gl1viguy   web.2       lab/busybox:1   pdnode1   Ready           Ready less than a second ago               
vchd4b86gvhl    \_ web.2   lab/busybox:1   pdnode1   Shutdown        Running less than a second ago             
no such service: ghost
"##;

    #[test]
    fn reads_real_tables_from_two_clis() {
        let b = parse(LAB_PS_20).unwrap();
        assert!(b.noise.is_empty() && b.problems.is_empty());
        assert_eq!(b.items.len(), 12);
        let agent = &b.items[0];
        assert_eq!(agent.name, "agent.izexcgmb7m1srrlo951hmgg75");
        assert_eq!(
            (agent.error.as_str(), agent.ports.as_str()),
            ("", "*:9100->9100/tcp,*:9100->9100/tcp")
        );
        let new = &b.items[1];
        assert_eq!(
            (new.line, new.node.as_str(), new.current_state.as_str()),
            (4, "", "New")
        );
        let rejected = &b.items[2];
        assert!(rejected.is_history && !rejected.error_truncated);
        assert_eq!(
            rejected.error,
            "node is missing network attachments, ip addresses may be exhausted"
        );
        assert_eq!(b.items.iter().filter(|r| r.is_history).count(), 3);

        let g = parse(LAB_PS_GHOST).unwrap();
        assert_eq!(g.items.len(), 4);
        assert_eq!(g.noise, [(6, "no such service: ghost".to_string())]);
        assert_eq!(
            (
                g.items[3].id.as_str(),
                g.items[3].desired_state.as_str(),
                g.items[3].current_state.as_str()
            ),
            ("vchd4b86gvhl", "Shutdown", "Running")
        );
    }
}
