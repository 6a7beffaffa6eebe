//! Where a fact came from: a file inside a node bundle and a 1-based line.

use serde::Serialize;
use std::fmt;

/// A location in a bundle. `file` is node-qualified, e.g. `node1/swarm/tasks.json`.
/// `line` is 1-based; 0 means "the whole file" (no better position is known).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
}

impl Source {
    pub fn new(file: impl Into<String>, line: usize) -> Self {
        Source {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}
