//! Command-line interface definitions.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tributary: change data capture with Debezium-compatible events, run on an embedded log.
#[derive(Debug, Parser)]
#[command(name = "tributary", version)]
#[command(after_help = "\
Without a command, tributary runs the worker: Kafka Connect's REST API on
http://127.0.0.1:8083 and the data directory ./data, or the listeners, TLS, basic auth and data
directory of a Kafka Connect worker.properties given with --config.

Logging: set RUST_LOG (default: info), e.g. RUST_LOG=tributary=debug.

Examples:
  tributary
  tributary --config worker.properties
  tributary standalone worker.properties inventory.json")]
pub struct Cli {
    /// Kafka Connect worker properties (listeners, TLS, basic auth, converters, ...).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run connectors from files on the embedded log in the data directory (Ctrl-C stops them).
    #[command(after_help = "\
As with Kafka Connect's connect-standalone, the first file may be the worker properties (a
.properties file without connector.class); the REST API then listens on its listeners.
Connector files are Debezium-style JSON ({\"name\": \"...\", \"config\": {...}}) or Kafka Connect
.properties files (name=..., connector.class=...). Source offsets are kept in the data
directory: a restart resumes where the connectors stopped.

Examples:
  tributary standalone inventory.json
  tributary standalone worker.properties inventory.json b.properties
  tributary standalone --data-dir /var/lib/tributary --worker-config worker.properties a.json")]
    #[command(alias = "connect-standalone")]
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
    /// Run one worker of a distributed cluster (Kafka Connect's connect-distributed): workers
    /// sharing a group.id share the connectors, with configs, offsets and statuses in Kafka.
    #[command(after_help = "\
The worker properties are Kafka Connect's distributed ones: bootstrap.servers, group.id,
config.storage.topic, offset.storage.topic, status.storage.topic (with their
.replication.factor and .partitions), session.timeout.ms, heartbeat.interval.ms,
rebalance.timeout.ms, scheduled.rebalance.max.delay.ms, connect.protocol, rest.advertised.*.
Any worker answers the REST API; writes go to the group's leader.

Examples:
  tributary distributed worker.properties
  tributary distributed --listen 0.0.0.0:8083 worker.properties")]
    #[command(alias = "connect-distributed")]
    Distributed(DistributedArgs),
    /// Move a standalone worker's connectors and source offsets into a cluster without new
    /// snapshots: export them from its data directory, import them through a cluster worker's
    /// REST API.
    #[command(subcommand)]
    Offsets(OffsetsCommand),
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

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data directory holding the embedded log [default: tributary.data.dir or the directory
    /// of offset.storage.file.filename from --config, else ./data].
    #[arg(long, env = "TRIBUTARY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address of the REST API, overriding --config's listeners
    /// [default: the worker's listeners, else 127.0.0.1:8083].
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct StandaloneArgs {
    /// Data directory holding the embedded log [default: tributary.data.dir or the directory
    /// of offset.storage.file.filename from the worker properties, else ./data].
    #[arg(long, env = "TRIBUTARY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Worker properties (key.converter, listeners, ...); the same as a first positional
    /// worker file or the global --config.
    /// Address of the REST API, overriding the worker properties' listeners
    /// [default: the worker's listeners, else 127.0.0.1:8083].
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    #[arg(long, value_name = "FILE")]
    pub worker_config: Option<PathBuf>,
    /// An optional worker .properties file, then connector files (.json or .properties).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DistributedArgs {
    /// Address of the REST API, overriding the worker properties' listeners.
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The worker properties (group.id, bootstrap.servers, the internal topics, ...).
    #[arg(value_name = "FILE")]
    pub worker_config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum OffsetsCommand {
    /// Print a stopped standalone worker's connectors (configs with their secrets in clear,
    /// target states) and source offsets as JSON.
    #[command(after_help = "\
The worker must be stopped (its data directory is read directly). The output holds the
connectors' passwords in clear: keep it private.

Example:
  tributary offsets export --data-dir /var/lib/tributary --worker-config worker.properties > move.json
  tributary offsets import --url http://cluster-worker:8083 move.json")]
    Export {
        #[command(flatten)]
        data_dir: DataDir,
        /// The worker's properties (for the key its stored secrets are sealed with).
        #[arg(long, value_name = "FILE")]
        worker_config: Option<PathBuf>,
    },
    /// Create the exported connectors in a cluster through any worker's REST API: each
    /// STOPPED, its offsets set (PATCH /connectors/NAME/offsets), then resumed or paused.
    Import {
        /// A cluster worker's REST URL.
        #[arg(long, value_name = "URL")]
        url: String,
        /// The file `offsets export` wrote.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// One line per topic: name, tab, record count.
    List {
        #[command(flatten)]
        data_dir: DataDir,
    },
    /// Print a topic's records, one value per line as stored (JSON); tombstones print as null.
    /// Avro records (Confluent's wire format) print decoded as JSON, their schema read from the
    /// embedded registry (or --schema-registry-url).
    #[command(after_help = "\
Without --from-beginning, starts at the last --last records (default 10), like tail(1).
Avro records are decoded with the schema their id names: from the data directory's registry when
no worker holds it, else from --schema-registry-url (default http://127.0.0.1:8081, the worker's
embedded registry). --hex prints the stored bytes instead.

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
    /// Print keys and values as the stored bytes in hex (null stays null).
    #[arg(long)]
    pub hex: bool,
    /// The schema registry to fetch Avro schemas from (default: the data directory's embedded
    /// registry, through its worker at http://127.0.0.1:8081 while one runs).
    #[arg(long, value_name = "URL")]
    pub schema_registry_url: Option<String>,
}
