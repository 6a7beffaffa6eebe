//! JSON report: the `Report` serialized as documented in `docs/report-json.md`.

use super::Report;

pub fn render(report: &Report) -> String {
    // Serializing plain data with string keys cannot fail; fall back to an
    // error object rather than panicking if it ever does.
    let mut out = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"));
    out.push('\n');
    out
}
