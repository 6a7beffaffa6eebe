//! Reading bundles: directories, zip and tar.gz archives, read-only and bounded.
