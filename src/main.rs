//! The `tributary` binary: the CLI edge (anyhow lives here only).

mod cli;

use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use tokio_util::sync::CancellationToken;
use tributary::connector_file::{parse_properties, ConnectorFile};
use tributary::listener;
use tributary::log::{LogError, LogReader};
use tributary::worker_config::WorkerConfig;

use cli::{Cli, Command, StandaloneArgs, TailArgs, TopicsCommand};

/// Change events are many small, short-lived allocations (values, strings, buffers); mimalloc
/// handles that pattern markedly faster than glibc's allocator (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Some(Command::Standalone(args)) => standalone(args, cli.config),
        Some(Command::Topics(TopicsCommand::List { data_dir })) => topics_list(&data_dir.data_dir),
        Some(Command::Topics(TopicsCommand::Tail(args))) => topics_tail(&args),
        None => match cli.config {
            Some(path) => rest_only(&path),
            None => Err(anyhow::anyhow!(
                "nothing to do: give --config worker.properties or a command (see --help)"
            )),
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
    })
}

fn standalone(args: StandaloneArgs, global_config: Option<PathBuf>) -> anyhow::Result<()> {
    let (worker_path, connector_paths) =
        split_worker_file(args.worker_config.or(global_config), &args.files)?;
    let worker = worker_path.as_deref().map(WorkerConfig::load).transpose()?;
    let connectors = connector_paths
        .iter()
        .map(|p| ConnectorFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let data_dir = args
        .data_dir
        .or_else(|| worker.as_ref().and_then(|w| w.data_dir.clone()))
        .unwrap_or_else(|| PathBuf::from("./data"));
    let runtime = runtime()?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        // The REST API listens only when worker properties were given, so that several
        // file-only workers can run side by side.
        let Some(worker) = worker else {
            return tributary::standalone::run(&data_dir, connectors, Default::default(), shutdown)
                .await
                .map_err(anyhow::Error::from);
        };
        let rest_stop = shutdown.child_token();
        let rest =
            listener::serve(listener::placeholder_router(), &worker, rest_stop.clone()).await?;
        if connectors.is_empty() {
            return rest.wait().await.map_err(anyhow::Error::from);
        }
        let result =
            tributary::standalone::run(&data_dir, connectors, worker.raw.clone(), shutdown).await;
        rest_stop.cancel();
        rest.wait().await?;
        result.map_err(anyhow::Error::from)
    })
}

/// Connect's `connect-standalone worker.properties connector...`: the first file is the worker's
/// when it is a `.properties` file without `connector.class` (and no worker file was named).
fn split_worker_file(
    named: Option<PathBuf>,
    files: &[PathBuf],
) -> anyhow::Result<(Option<PathBuf>, Vec<PathBuf>)> {
    if named.is_some() {
        return Ok((named, files.to_vec()));
    }
    let Some(first) = files.first() else {
        return Ok((None, Vec::new()));
    };
    let is_properties = first
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("properties"));
    if !is_properties {
        return Ok((None, files.to_vec()));
    }
    let text = std::fs::read_to_string(first)
        .with_context(|| format!("cannot read {}", first.display()))?;
    if parse_properties(&text).contains_key("connector.class") {
        Ok((None, files.to_vec()))
    } else {
        Ok((Some(first.clone()), files[1..].to_vec()))
    }
}

/// `tributary --config worker.properties`: the REST API alone, until Ctrl-C or SIGTERM.
fn rest_only(path: &Path) -> anyhow::Result<()> {
    let worker = WorkerConfig::load(path)?;
    runtime()?.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        let rest = listener::serve(listener::placeholder_router(), &worker, shutdown).await?;
        rest.wait().await?;
        Ok(())
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
async fn stop_on_signal(shutdown: CancellationToken) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
    tracing::info!("stopping: finishing the writes in flight");
    shutdown.cancel();
}

fn topics_list(dir: &std::path::Path) -> anyhow::Result<()> {
    let topics = LogReader::new(dir).topics()?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for t in topics {
        writeln!(out, "{}\t{}", t.name, t.records)?;
    }
    out.flush()?;
    Ok(())
}

fn topics_tail(args: &TailArgs) -> anyhow::Result<()> {
    const POLL: Duration = Duration::from_millis(200);
    let dir = &args.data_dir.data_dir;
    let mut reader = LogReader::new(dir);
    let mut position: Option<u64> = None;
    let mut printed = 0u64;
    let limit = args.max.unwrap_or(u64::MAX);
    let mut out = BufWriter::new(std::io::stdout().lock());
    while printed < limit {
        let from = match position {
            Some(p) => p,
            None => match reader.topics()?.into_iter().find(|t| t.name == args.topic) {
                Some(t) if args.from_beginning => t.next_offset - t.records,
                Some(t) => t.next_offset.saturating_sub(args.last.min(t.records)),
                None if args.follow => {
                    std::thread::sleep(POLL);
                    continue;
                }
                None => bail!("topic {:?} does not exist in {}", args.topic, dir.display()),
            },
        };
        position = Some(from);
        let want = (limit - printed).min(1000) as usize;
        let records = match reader.read(&args.topic, from, want) {
            Ok(r) => r,
            Err(LogError::UnknownTopic(_)) if args.follow => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for r in &records {
            if args.keys {
                out.write_all(r.key.as_deref().unwrap_or(b"null"))?;
                out.write_all(b"\t")?;
            }
            out.write_all(r.value.as_deref().unwrap_or(b"null"))?;
            out.write_all(b"\n")?;
            printed += 1;
        }
        out.flush()?;
        match records.last() {
            Some(last) => position = Some(last.offset + 1),
            None if args.follow => std::thread::sleep(POLL),
            None => break,
        }
    }
    Ok(())
}
