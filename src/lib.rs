//! swarmdiag: offline diagnosis of Docker Swarm routing failures.
//!
//! The pipeline is bundle → parse → model → rules and checks → report.
//! `main.rs` is glue over this library; nothing here knows about clap.

pub mod bundle;
pub mod collector;
pub mod error;
pub mod finding;
pub mod parse;
pub mod source;
