//! Log lines (journald, syslog, dmesg, logrus, JSON): one line at a time.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmdiag::parse::log::{parse_line, LogContext};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = LogContext::at(time::macros::datetime!(2026-01-02 03:04:05 UTC));
    for line in text.split('\n') {
        if let Some(r) = parse_line(line, &ctx) {
            let _ = r.haystack();
        }
    }
});
