//! Packs a bundle directory into a zip or tar.gz on the fly, the way the
//! collector ships it (one top-level directory named after the bundle).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn top(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

pub fn zip_dir(dir: &Path, out: &Path) -> PathBuf {
    let mut w = zip::ZipWriter::new(File::create(out).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files(dir) {
        let rel = f
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        w.start_file(format!("{}/{rel}", top(dir)), opts).unwrap();
        w.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    w.finish().unwrap();
    out.to_path_buf()
}

pub fn tar_gz_dir(dir: &Path, out: &Path) -> PathBuf {
    let gz = flate2::write::GzEncoder::new(File::create(out).unwrap(), flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    for f in files(dir) {
        let rel = f.strip_prefix(dir).unwrap();
        t.append_path_with_name(&f, Path::new(&top(dir)).join(rel))
            .unwrap();
    }
    t.into_inner().unwrap().finish().unwrap();
    out.to_path_buf()
}
