//! The `swarmdiag` binary: parse arguments, call the library, write the
//! output, exit 0 (clean), 1 (findings at or above --fail-on) or 2 (unusable
//! input or arguments) with a one-line error.

use clap::Parser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swarmdiag::cli::{Cli, Command, RulesAction};
use swarmdiag::finding::Severity;
use swarmdiag::report::terminal::{self, ColorWhen};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color: ColorWhen = cli.color.into();
    match run(cli.command, color) {
        Ok(code) => code,
        Err(e) => {
            let prefix =
                terminal::paint(Severity::Error, "swarmdiag:", terminal::stderr_color(color));
            eprintln!("{prefix} {}", one_line(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, color: ColorWhen) -> anyhow::Result<ExitCode> {
    match command {
        Command::Analyze {
            bundles,
            out,
            quiet,
        } => {
            let rules = swarmdiag::load_rules(out.rules.as_deref())?;
            refuse_overwriting(out.output.as_deref(), &paths(&bundles))?;
            let mut analysis = terminal::reading(&paths(&bundles), color, || {
                // Only the HTML report shows the timeline.
                let timeline = out.format == swarmdiag::cli::FormatArg::Html && !quiet;
                swarmdiag::analyze::analyze_with(&bundles, &rules, &Default::default(), timeline)
            })?;
            let report = analysis.report();
            let style = terminal::style_for(out.output.as_deref(), color);
            let text = if quiet {
                swarmdiag::report::quiet(&report, style)
            } else if out.format == swarmdiag::cli::FormatArg::Html {
                swarmdiag::report_html(&mut analysis, &report)
            } else {
                swarmdiag::report::render_with(&report, out.format.into(), style)
            };
            write_styled(out.output.as_deref(), &text, style.color)?;
            let code = exit_for(report.worst(), out.fail_on.into());
            // The process ends here: freeing a big cluster's model object by
            // object would cost a tenth of the run; the system takes it back whole.
            std::mem::forget((analysis, report));
            Ok(code)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            swarmdiag::cli::completions(shell, &mut buf);
            write_output(None, &String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let page = swarmdiag::cli::man_page()?;
            write_output(None, &String::from_utf8_lossy(&page))?;
            Ok(ExitCode::SUCCESS)
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
            let mut analysis = terminal::reading(&paths(&bundles), color, || {
                swarmdiag::analyze::analyze(&bundles, &rules, &Default::default())
            })?;
            check_names("--node", &filter.nodes, &node_names(&analysis))?;
            check_names("--service", &filter.services, &service_names(&analysis))?;
            let events = std::mem::take(&mut analysis.events);
            let timeline = swarmdiag::timeline::build_from(&analysis, events, &filter);
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
            let (b, a) = terminal::reading(&[&before, &after], color, || {
                // A diff compares facts and findings, not timelines.
                let analyze = |path: &PathBuf| {
                    swarmdiag::analyze::analyze_with(
                        std::slice::from_ref(path),
                        &rules,
                        &limits,
                        false,
                    )
                };
                rayon::join(|| analyze(&before), || analyze(&after))
            });
            let diff = swarmdiag::diff::diff(&b?, &a?, &before, &after);
            write_output(
                out.output.as_deref(),
                &swarmdiag::diff::render(&diff, out.format.into()),
            )?;
            Ok(exit_for(diff.worst_new(), out.fail_on.into()))
        }
        Command::Redact {
            bundles,
            out,
            map,
            names,
        } => {
            let s = swarmdiag::redact::redact(&swarmdiag::redact::Options {
                inputs: bundles,
                out: out.clone(),
                map,
                names,
            })?;
            eprintln!(
                "swarmdiag: {} nodes, {} files redacted to {} ({} notes of files not carried over)",
                s.nodes,
                s.files,
                out.display(),
                s.skipped
            );
            Ok(ExitCode::SUCCESS)
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

/// Refuses an `--output` that resolves into an input (see
/// [`swarmdiag::output::refuse_overwriting`]).
fn refuse_overwriting(output: Option<&Path>, inputs: &[&Path]) -> anyhow::Result<()> {
    match output {
        Some(o) => Ok(swarmdiag::output::refuse_overwriting(
            "--output", o, inputs,
        )?),
        None => Ok(()),
    }
}

/// [`write_output`], except that a coloured report is written as rendered:
/// its renderer escaped every value quoted from a bundle itself
/// ([`swarmdiag::report::escape::terminal`]), and the colour codes are its own.
fn write_styled(path: Option<&Path>, text: &str, colored: bool) -> anyhow::Result<()> {
    if !colored {
        return write_output(path, text);
    }
    write_raw(path, text)
}

/// Writes to `path` (atomically), or to standard output. Only `path` is ever written.
/// Control characters quoted from bundles are escaped (see
/// [`swarmdiag::report::terminal_safe`]).
fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    write_raw(path, &swarmdiag::report::terminal_safe(text))
}

fn write_raw(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => swarmdiag::output::write_atomic(p, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write report: {e}")),
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
