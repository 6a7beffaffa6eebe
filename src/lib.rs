//! swarmdiag: offline diagnosis of Docker Swarm routing failures.
//!
//! The pipeline is bundle → parse → model → rules and checks → report.
//! `main.rs` is glue over this library; only `cli.rs` knows about clap.

pub mod bundle;
pub mod cli;
pub mod error;
pub mod finding;
pub mod model;
pub mod parse;
pub mod report;
pub mod source;
