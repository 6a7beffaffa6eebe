//! Archive readers (zip, tar, tar.gz, nested archives): any bytes, read as a
//! bundle file, never panic and never write.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    // The reader sniffs the format from the first bytes; the name only
    // breaks ties. A small total cap keeps each run fast.
    let mut f = tempfile::Builder::new()
        .suffix(".zip")
        .tempfile_in(std::env::temp_dir())
        .unwrap();
    f.write_all(data).unwrap();
    let limits = swarmdiag::bundle::Limits {
        max_total_bytes: 8 << 20,
        max_log_bytes: 4 << 20,
        ..Default::default()
    };
    let _ = swarmdiag::bundle::read_bundles(&[f.path().to_path_buf()], &limits, &mut |_| {});
});
