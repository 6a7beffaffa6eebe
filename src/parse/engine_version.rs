//! Docker engine version strings, read leniently.
//!
//! Engine versions are free-form: `17.06.0-ce`, `17.06.2-ee-15`, `18.09.1`,
//! `20.10.24+dfsg1`, `28.5.1`, `v1.7.25`, `dev`. Only the leading numeric dotted
//! triple matters for ordering, so `17.06.2-ee-15` reads as 17.6.2.

use semver::{Version, VersionReq};

/// Reads the leading `MAJOR[.MINOR[.PATCH]]` of `raw`, ignoring a leading `v`
/// and anything after the numbers. `None` when there is no leading number.
pub fn parse_lenient(raw: &str) -> Option<Version> {
    let s = raw.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts = [0u64; 3];
    let mut rest = s;
    for (i, part) in parts.iter_mut().enumerate() {
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            if i == 0 {
                return None;
            }
            break;
        }
        *part = digits.parse().ok()?;
        rest = &rest[digits.len()..];
        match rest.strip_prefix('.') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
            _ => break,
        }
    }
    Some(Version::new(parts[0], parts[1], parts[2]))
}

/// Parses a range such as `>=25.0.0, <25.0.4` (semver syntax).
pub fn parse_range(range: &str) -> Result<VersionReq, String> {
    VersionReq::parse(range).map_err(|e| format!("invalid version range {range:?}: {e}"))
}

/// True when the engine version `raw` reads and falls in `req`.
pub fn matches(req: &VersionReq, raw: &str) -> bool {
    parse_lenient(raw).is_some_and(|v| req.matches(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vendor_suffixes_and_leading_zeros() {
        assert_eq!(parse_lenient("17.06.2-ee-15"), Some(Version::new(17, 6, 2)));
        assert_eq!(parse_lenient("17.06.0-ce"), Some(Version::new(17, 6, 0)));
        assert_eq!(
            parse_lenient("20.10.24+dfsg1"),
            Some(Version::new(20, 10, 24))
        );
        assert_eq!(parse_lenient("28.5.1"), Some(Version::new(28, 5, 1)));
        assert_eq!(parse_lenient("v1.7.25"), Some(Version::new(1, 7, 25)));
        assert_eq!(parse_lenient("1.8+"), Some(Version::new(1, 8, 0)));
        assert_eq!(parse_lenient("25"), Some(Version::new(25, 0, 0)));
    }

    #[test]
    fn refuses_non_versions() {
        assert_eq!(parse_lenient("dev"), None);
        assert_eq!(parse_lenient("."), None);
        assert_eq!(parse_lenient(""), None);
    }

    #[test]
    fn ranges_compare_numerically() {
        let req = parse_range(">=25.0.0, <25.0.4").unwrap();
        assert!(matches(&req, "25.0.3"));
        assert!(!matches(&req, "25.0.4"));
        assert!(!matches(&req, "24.0.9"));
        assert!(!matches(&req, "dev"));
        assert!(parse_range("banana").is_err());
    }
}
