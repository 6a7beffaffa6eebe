//! Parsers: pure functions from the text of one source to typed data.
//! No paths, no model, no I/O. Each file documents the format it reads with a
//! sample, and tolerates the version drift listed in `research/formats.md`.

use std::fmt;

/// Why a source could not be parsed. `line` is 1-based when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub fn new(line: Option<usize>, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

pub mod bridge_fdb;
pub mod container;
pub mod engine_version;
pub mod info;
pub mod info_text;
pub mod ip_addr;
pub mod ip_neigh;
pub mod ip_route;
pub mod iptables;
pub mod ipvsadm;
pub mod json;
mod lines;
pub mod log;
pub mod lsmod;
pub mod network;
pub mod nft;
pub mod node;
pub mod service;
pub mod service_ps;
pub mod sockets;
pub mod sysctl;
pub mod task;
pub mod version;
pub mod version_text;
