//! The redactor's text pass: any text is rewritten without panicking, and
//! the same text always gives the same output.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut r = swarmdiag::redact::Redactor::new(true);
    r.learn_text(&text);
    r.learn_host("node1.corp.example.com");
    r.finish();
    let a = r.rewrite_text(&text);
    let b = r.rewrite_text(&text);
    assert_eq!(a, b);
});
