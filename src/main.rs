//! The `tributary` binary: the CLI edge (anyhow lives here only).

mod cli;
mod tail;

use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use tokio_util::sync::CancellationToken;
use tributary::connector_file::{parse_properties, ConnectorFile};
use tributary::log::{LogError, LogReader};
use tributary::rest::Loggers;
use tributary::worker::WorkerSettings;
use tributary::worker_config::WorkerConfig;

use cli::{Cli, Command, DistributedArgs, OffsetsCommand, StandaloneArgs, TailArgs, TopicsCommand};

/// Change events are many small, short-lived allocations (values, strings, buffers); mimalloc
/// handles that pattern markedly faster than glibc's allocator (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let loggers = init_logging();
    let result = match cli.command {
        Some(Command::Standalone(args)) => standalone(args, cli.config, loggers),
        Some(Command::Serve(args)) => serve(args.data_dir, args.listen, cli.config, loggers),
        Some(Command::Distributed(args)) => distributed(args, loggers),
        Some(Command::Offsets(command)) => offsets(command),
        Some(Command::Topics(TopicsCommand::List { data_dir })) => topics_list(&data_dir.data_dir),
        Some(Command::Topics(TopicsCommand::Tail(args))) => topics_tail(&args),
        None => serve(None, None, cli.config, loggers),
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

/// Logs to stderr with RUST_LOG's filter (default `info`), reloadable through
/// `/admin/loggers`.
fn init_logging() -> Loggers {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{reload, EnvFilter};

    let base = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| EnvFilter::try_new(v).is_ok())
        .unwrap_or_else(|| "info".to_owned());
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&base));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .init();
    let apply: tributary::rest::ApplyFilter = std::sync::Arc::new(move |directives: &str| {
        let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    });
    Loggers::new(&base, Some(apply))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The worker's settings from its properties file (if any), `--data-dir` and `--listen`.
fn worker_settings(
    config: Option<WorkerConfig>,
    data_dir: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
) -> WorkerSettings {
    let config = config.unwrap_or_default();
    let data_dir = data_dir
        .or_else(|| config.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("./data"));
    let settings = WorkerSettings { data_dir, config };
    match listen {
        Some(addr) => settings.listen_on(addr),
        None => settings,
    }
}

/// The REST worker: `tributary serve`, or `tributary --config worker.properties`.
fn serve(
    data_dir: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    config: Option<PathBuf>,
    loggers: Loggers,
) -> anyhow::Result<()> {
    let config = config.as_deref().map(WorkerConfig::load).transpose()?;
    let settings = worker_settings(config, data_dir, listen);
    runtime()?.block_on(async {
        let signals = StopSignals::install();
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(signals, shutdown.clone()));
        let extras = tributary::worker::WorkerExtras {
            loggers: Some(loggers),
            ..Default::default()
        };
        tributary::worker::run_worker_with(settings, extras, shutdown).await
    })?;
    Ok(())
}

/// `connect-distributed worker.properties`.
fn distributed(args: DistributedArgs, loggers: Loggers) -> anyhow::Result<()> {
    let config = WorkerConfig::load_distributed(&args.worker_config)?;
    let settings = worker_settings(Some(config), None, args.listen);
    runtime()?.block_on(async {
        let signals = StopSignals::install();
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(signals, shutdown.clone()));
        tributary::distributed::worker::run(settings, Some(loggers), shutdown).await
    })?;
    Ok(())
}

/// `offsets export|import`.
fn offsets(command: OffsetsCommand) -> anyhow::Result<()> {
    match command {
        OffsetsCommand::Export {
            data_dir,
            worker_config,
        } => {
            let worker = worker_config
                .as_deref()
                .map(WorkerConfig::load)
                .transpose()?
                .map(|w| w.raw)
                .unwrap_or_default();
            let export = tributary::migrate::export(&data_dir.data_dir, &worker)?;
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &export)?;
            writeln!(out)?;
            eprintln!(
                "exported {} connector(s); the output holds their secrets in clear",
                export.connectors.len()
            );
            Ok(())
        }
        OffsetsCommand::Import { url, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let export: tributary::migrate::Export =
                serde_json::from_str(&text).with_context(|| {
                    format!("{} is not an `offsets export` document", file.display())
                })?;
            let names = runtime()?.block_on(tributary::migrate::import(&url, &export))?;
            eprintln!(
                "imported {} connector(s): {}",
                names.len(),
                names.join(", ")
            );
            Ok(())
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
    })
}

/// `connect-standalone`: connectors from files, run with the REST API (which standalone mode
/// can do without when its port is taken).
fn standalone(
    args: StandaloneArgs,
    global_config: Option<PathBuf>,
    loggers: Loggers,
) -> anyhow::Result<()> {
    let (worker_path, connector_paths) =
        split_worker_file(args.worker_config.or(global_config), &args.files)?;
    let worker = worker_path.as_deref().map(WorkerConfig::load).transpose()?;
    let connectors = connector_paths
        .iter()
        .map(|p| ConnectorFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = worker_settings(worker, args.data_dir, args.listen);
    runtime()?.block_on(async {
        let signals = StopSignals::install();
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(signals, shutdown.clone()));
        tributary::standalone::run(settings, connectors, Some(loggers), shutdown).await
    })?;
    Ok(())
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

/// SIGTERM and SIGINT handlers, installed when this is built: before it, either signal kills
/// the process with no chance to finish the writes in flight.
struct StopSignals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers now (call it first thing in the runtime, not from a spawned task,
    /// which may run too late for a signal sent right after start).
    fn install() -> StopSignals {
        use tokio::signal::unix::{signal, SignalKind};
        StopSignals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }
}

/// Cancels `shutdown` on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_on_signal(mut signals: StopSignals, shutdown: CancellationToken) {
    async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
        match s.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    tokio::select! {
        _ = recv(&mut signals.int) => {}
        _ = recv(&mut signals.term) => {}
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
    let mut avro = tail::Shown::new(dir, args.hex, args.schema_registry_url.clone())?;
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
                avro.write(&mut out, r.key.as_deref())?;
                out.write_all(b"\t")?;
            }
            avro.write(&mut out, r.value.as_deref())?;
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
