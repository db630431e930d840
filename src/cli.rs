//! Command-line interface definitions.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tributary: change data capture with Debezium-compatible events, run on an embedded log.
#[derive(Debug, Parser)]
#[command(name = "tributary", version)]
#[command(after_help = "Logging: set RUST_LOG (default: info), e.g. RUST_LOG=tributary=debug.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run connectors from files on the embedded log in the data directory (Ctrl-C stops them).
    #[command(after_help = "\
Connector files are Debezium-style JSON ({\"name\": \"...\", \"config\": {...}}) or Kafka Connect
.properties files (name=..., connector.class=...). Source offsets are kept in the data
directory: a restart resumes where the connectors stopped.

Examples:
  tributary standalone inventory.json
  tributary standalone --data-dir /var/lib/tributary --worker-config worker.properties a.json b.properties")]
    Standalone(StandaloneArgs),
    /// Run the REST worker (Kafka Connect's REST API on --listen; Ctrl-C stops it).
    #[command(after_help = "\
Connectors are created, configured and steered through Kafka Connect's REST API, e.g.
  curl -X POST -H 'Content-Type: application/json' --data @inventory.json http://127.0.0.1:8083/connectors
Their configs, target states (RUNNING, PAUSED, STOPPED) and offsets are kept in the data
directory: a restart resumes them.

Examples:
  tributary serve
  tributary serve --data-dir /var/lib/tributary --listen 0.0.0.0:8083")]
    Serve(ServeArgs),
    /// List or read the topics of a data directory (works while a worker runs on it).
    #[command(subcommand)]
    Topics(TopicsCommand),
}

#[derive(Debug, Args)]
pub struct DataDir {
    /// Data directory holding the embedded log.
    #[arg(
        long,
        env = "TRIBUTARY_DATA_DIR",
        default_value = "./data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
}

/// The REST listener address.
#[derive(Debug, Args)]
pub struct Listen {
    /// Address of the REST API (Kafka Connect's default port is 8083).
    #[arg(
        long,
        env = "TRIBUTARY_LISTEN",
        default_value = "127.0.0.1:8083",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data_dir: DataDir,
    #[command(flatten)]
    pub listen: Listen,
}

#[derive(Debug, Args)]
pub struct StandaloneArgs {
    #[command(flatten)]
    pub data_dir: DataDir,
    #[command(flatten)]
    pub listen: Listen,
    /// Worker settings as a .properties file (key.converter, value.converter, ...).
    #[arg(long, value_name = "FILE")]
    pub worker_config: Option<PathBuf>,
    /// Connector files (.json or .properties).
    #[arg(value_name = "CONNECTOR_FILE", required = true)]
    pub connectors: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// One line per topic: name, tab, record count.
    List {
        #[command(flatten)]
        data_dir: DataDir,
    },
    /// Print a topic's records, one value per line as stored (JSON); tombstones print as null.
    #[command(after_help = "\
Without --from-beginning, starts at the last --last records (default 10), like tail(1).

Examples:
  tributary topics tail inventory.public.customers --from-beginning
  tributary topics tail inventory.public.customers --follow --keys")]
    Tail(TailArgs),
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Topic name.
    pub topic: String,
    #[command(flatten)]
    pub data_dir: DataDir,
    /// Start at the first record of the topic.
    #[arg(long)]
    pub from_beginning: bool,
    /// Without --from-beginning: start this many records before the end.
    #[arg(
        short = 'n',
        long,
        default_value_t = 10,
        value_name = "N",
        conflicts_with = "from_beginning"
    )]
    pub last: u64,
    /// Keep waiting for new records until Ctrl-C (or --max).
    #[arg(short, long)]
    pub follow: bool,
    /// Stop after printing N records.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,
    /// Print the key before the value, separated by a tab (null keys print as null).
    #[arg(long)]
    pub keys: bool,
}
