//! The `swarmdiag` binary: parse arguments, call the library, write the
//! output, exit 0 (clean), 1 (findings at or above --fail-on) or 2 (unusable
//! input or arguments) with a one-line error.

use clap::Parser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swarmdiag::cli::{Cli, Command, RulesAction};
use swarmdiag::finding::Severity;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("swarmdiag: {}", one_line(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Analyze { bundles, out } => {
            let rules = swarmdiag::load_rules(out.rules.as_deref())?;
            refuse_overwriting(out.output.as_deref(), &paths(&bundles))?;
            let analysis = swarmdiag::analyze::analyze(&bundles, &rules, &Default::default())?;
            let report = analysis.report();
            write_output(
                out.output.as_deref(),
                &swarmdiag::report::render(&report, out.format.into()),
            )?;
            let code = exit_for(report.worst(), out.fail_on.into());
            // The process ends here: freeing a big cluster's model object by
            // object would cost a tenth of the run; the system takes it back whole.
            std::mem::forget((analysis, report));
            Ok(code)
        }
        Command::Rules { action } => match action {
            RulesAction::List { format, rules } => {
                let rules = swarmdiag::load_rules(rules.as_deref())?;
                let text = swarmdiag::rules_list(&rules, format.into());
                write_output(None, &text)?;
                Ok(ExitCode::SUCCESS)
            }
            RulesAction::Explain { id, rules } => {
                let rules = swarmdiag::load_rules(rules.as_deref())?;
                match rules.explain(&id) {
                    Some(text) => {
                        write_output(None, &text)?;
                        Ok(ExitCode::SUCCESS)
                    }
                    None => anyhow::bail!(
                        "no rule or check with id {id:?} (see `swarmdiag rules list`)"
                    ),
                }
            }
        },
        Command::Timeline {
            bundles,
            since,
            until,
            node,
            service,
            format,
            output,
            rules,
        } => {
            let filter = swarmdiag::timeline::Filter {
                since: since
                    .as_deref()
                    .map(|s| rfc3339("--since", s))
                    .transpose()?,
                until: until
                    .as_deref()
                    .map(|s| rfc3339("--until", s))
                    .transpose()?,
                nodes: node,
                services: service,
            };
            if let (Some(s), Some(u)) = (filter.since, filter.until) {
                if s > u {
                    anyhow::bail!("--since is later than --until: no event can match");
                }
            }
            let rules = swarmdiag::load_rules(rules.as_deref())?;
            refuse_overwriting(output.as_deref(), &paths(&bundles))?;
            let analysis = swarmdiag::analyze::analyze(&bundles, &rules, &Default::default())?;
            check_names("--node", &filter.nodes, &node_names(&analysis))?;
            check_names("--service", &filter.services, &service_names(&analysis))?;
            let timeline = swarmdiag::timeline::build(&analysis, &filter);
            write_output(
                output.as_deref(),
                &swarmdiag::timeline::render(&timeline, format.into()),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { before, after, out } => {
            let rules = swarmdiag::load_rules(out.rules.as_deref())?;
            refuse_overwriting(out.output.as_deref(), &[&before, &after])?;
            let limits = Default::default();
            let (b, a) = rayon::join(
                || swarmdiag::analyze::analyze(std::slice::from_ref(&before), &rules, &limits),
                || swarmdiag::analyze::analyze(std::slice::from_ref(&after), &rules, &limits),
            );
            let diff = swarmdiag::diff::diff(&b?, &a?, &before, &after);
            write_output(
                out.output.as_deref(),
                &swarmdiag::diff::render(&diff, out.format.into()),
            )?;
            Ok(exit_for(diff.worst_new(), out.fail_on.into()))
        }
        Command::Collect {
            out,
            since,
            exec_root,
            daemon_log,
            docker,
        } => {
            let opts = swarmdiag::collector::CollectOptions {
                out,
                since,
                exec_root,
                daemon_log,
                docker,
            };
            let path = swarmdiag::collector::run(&opts).map_err(anyhow::Error::msg)?;
            eprintln!("swarmdiag: bundle written to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::CollectorScript => {
            write_output(None, swarmdiag::collector::SCRIPT)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An RFC 3339 time given on the command line, in UTC.
fn rfc3339(flag: &str, s: &str) -> anyhow::Result<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|e| {
            anyhow::anyhow!("{flag} {s:?}: not an RFC 3339 time ({e}), e.g. 2019-01-15T21:00:00Z")
        })
}

/// Hostnames and bundle labels a `--node` filter may name.
fn node_names(a: &swarmdiag::analyze::Analysis) -> Vec<String> {
    let c = &a.cluster;
    let mut names: Vec<String> = c
        .nodes
        .iter()
        .flat_map(|n| [n.hostname.clone(), n.label.clone()])
        .chain(c.swarm_nodes.iter().map(|n| n.hostname.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Service names and ids a `--service` filter may name.
fn service_names(a: &swarmdiag::analyze::Analysis) -> Vec<String> {
    let mut names: Vec<String> = a
        .cluster
        .services
        .iter()
        .flat_map(|s| [s.name.clone(), s.id.clone()])
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A filter naming nothing the bundles know would print an empty timeline
/// that looks like "nothing happened": refuse it and list what exists.
/// Without any known name (e.g. logs-only bundles) the filter is trusted.
fn check_names(flag: &str, wanted: &[String], known: &[String]) -> anyhow::Result<()> {
    if known.is_empty() {
        return Ok(());
    }
    if let Some(w) = wanted.iter().find(|w| !known.contains(w)) {
        anyhow::bail!(
            "{flag} {w:?}: not in these bundles (known: {})",
            known.join(", ")
        );
    }
    Ok(())
}

fn paths(bundles: &[PathBuf]) -> Vec<&Path> {
    bundles.iter().map(PathBuf::as_path).collect()
}

fn exit_for(worst: Option<Severity>, fail_on: Severity) -> ExitCode {
    match worst {
        Some(w) if w >= fail_on => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// An error message as one line: line breaks (a TOML parser's caret
/// diagram, a quoted entry name) become ` | `, other control characters are
/// escaped.
fn one_line(msg: &str) -> String {
    let joined: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "|")
        .collect();
    swarmdiag::report::terminal_safe(&joined.join(" | ")).into_owned()
}

/// Refuses an `--output` that is one of the inputs: the report must never
/// overwrite a customer's bundle.
fn refuse_overwriting(output: Option<&Path>, inputs: &[&Path]) -> anyhow::Result<()> {
    let Some(out) = output.and_then(|o| o.canonicalize().ok()) else {
        return Ok(());
    };
    for input in inputs {
        if input.canonicalize().is_ok_and(|i| i == out) {
            anyhow::bail!(
                "{}: --output is an input bundle; choose another file",
                input.display()
            );
        }
    }
    Ok(())
}

/// Writes to `path`, or to standard output. Only `path` is ever written.
/// Control characters quoted from bundles are escaped (see
/// [`swarmdiag::report::terminal_safe`]).
fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    let text = &*swarmdiag::report::terminal_safe(text);
    match path {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| anyhow::anyhow!("{}: cannot write report: {e}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}
