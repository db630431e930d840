//! The `tributary` binary: the CLI edge (anyhow lives here only).

mod cli;

use std::io::{BufWriter, ErrorKind, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use tokio_util::sync::CancellationToken;
use tributary::connector_file::{parse_properties, ConnectorFile};
use tributary::log::{LogError, LogReader};

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
        Command::Standalone(args) => standalone(args),
        Command::Topics(TopicsCommand::List { data_dir }) => topics_list(&data_dir.data_dir),
        Command::Topics(TopicsCommand::Tail(args)) => topics_tail(&args),
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

fn standalone(args: StandaloneArgs) -> anyhow::Result<()> {
    let worker = match &args.worker_config {
        Some(path) => parse_properties(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read worker config {}", path.display()))?,
        ),
        None => Default::default(),
    };
    let connectors = args
        .connectors
        .iter()
        .map(|p| ConnectorFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        tributary::standalone::run(&args.data_dir.data_dir, connectors, worker, shutdown).await
    })?;
    Ok(())
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
