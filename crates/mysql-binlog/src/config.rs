//! The MySQL/MariaDB connector's configuration, read from Debezium's property names and defaults.

use std::path::PathBuf;
use std::time::Duration;

use cdc_core::config::{read_filter, ConfigErrors, ConfigMap, ConfigReader, NameFilter};
use cdc_core::configdef::is_framework_property;
use cdc_core::QueueBounds;

use crate::configdef::config_def;
use crate::convert::TypeModes;

/// Which connector class was configured: it names `source.connector` and the source schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MySql,
    MariaDb,
}

impl Flavor {
    /// `source.connector`.
    pub fn connector_name(self) -> &'static str {
        match self {
            Flavor::MySql => "mysql",
            Flavor::MariaDb => "mariadb",
        }
    }

    fn from_class(class: &str) -> Flavor {
        let c = class.to_ascii_lowercase();
        if c.contains("mariadb") {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        }
    }
}

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Snapshot when there is no stored offset, then stream.
    Initial,
    /// Snapshot, then stop without streaming.
    InitialOnly,
    /// Capture the schema only, then stream (`no_data`, formerly `schema_only`).
    NoData,
    /// No snapshot at all: stream from the start of the binlog the server still has, rebuilding
    /// the schema from the DDL found there.
    Never,
    /// Snapshot on every start, then stream.
    Always,
    /// Snapshot when there is no stored offset or the stored position is gone from the server.
    WhenNeeded,
}

impl SnapshotMode {
    pub const NAMES: &'static [&'static str] = &[
        "initial",
        "initial_only",
        "no_data",
        "schema_only",
        "never",
        "always",
        "when_needed",
    ];

    fn parse(name: &str) -> SnapshotMode {
        match name {
            "initial_only" => SnapshotMode::InitialOnly,
            "no_data" | "schema_only" => SnapshotMode::NoData,
            "never" => SnapshotMode::Never,
            "always" => SnapshotMode::Always,
            "when_needed" => SnapshotMode::WhenNeeded,
            _ => SnapshotMode::Initial,
        }
    }

    /// Does this mode stream after the snapshot?
    pub fn streams(self) -> bool {
        self != SnapshotMode::InitialOnly
    }
}

/// `snapshot.locking.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockingMode {
    /// `FLUSH TABLES WITH READ LOCK` while the position and schemas are read.
    Minimal,
    /// The global read lock for the whole snapshot.
    Extended,
    /// No lock: the position comes from the consistent snapshot itself (MariaDB's
    /// `binlog_snapshot_file`/`binlog_snapshot_position`), so DDL must not run meanwhile.
    None,
}

/// Debezium's `EventProcessingFailureHandlingMode`: what to do with an event that cannot be
/// processed (`event.processing.failure.handling.mode`) or that disagrees with the schema
/// history (`inconsistent.schema.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// The task fails, naming the event and its binlog position.
    Fail,
    /// The event's position is logged as a warning and the event skipped.
    Warn,
    /// The event is skipped (logged at debug level only).
    Skip,
}

impl FailureMode {
    /// The values Debezium accepts; `ignore` is its deprecated name of `skip`.
    pub const NAMES: &'static [&'static str] = &["fail", "warn", "skip", "ignore"];

    fn read(r: &mut ConfigReader<'_>, name: &str) -> FailureMode {
        match r.one_of(name, "fail", Self::NAMES).as_str() {
            "warn" => FailureMode::Warn,
            "skip" | "ignore" => FailureMode::Skip,
            _ => FailureMode::Fail,
        }
    }
}

/// Operations from `skipped.operations`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedOps {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

/// The typed connector config.
#[derive(Debug, Clone)]
pub struct MySqlConfig {
    pub flavor: Flavor,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: Option<cdc_core::Secret>,
    pub server_id: u32,
    pub topic_prefix: String,
    pub snapshot_mode: SnapshotMode,
    pub locking_mode: LockingMode,
    pub databases: NameFilter,
    pub tables: NameFilter,
    pub columns: NameFilter,
    /// `message.key.columns`: custom keys per `database.table`.
    pub key_columns: cdc_core::key_columns::MessageKeyColumns,
    /// `column.mask.*`, `column.truncate.*`, `*.propagate.source.type`.
    pub column_mappers: cdc_core::column_mapping::ColumnMappers,
    pub ignore_builtin: bool,
    pub tombstones_on_delete: bool,
    pub skipped: SkippedOps,
    pub include_schema_changes: bool,
    pub include_query: bool,
    pub types: TypeModes,
    pub queue: QueueBounds,
    pub connect_timeout: Duration,
    /// `database.ssl.mode` and the PEM truststore/keystore.
    pub tls: crate::tls::MySqlTls,
    pub keep_alive: bool,
    pub max_backoff: Duration,
    /// `tributary.stall.warning.ms` when above 0: how long no change may be delivered while
    /// the server's binlog moves on past the position read before the status says so.
    pub stall_warning: Option<Duration>,
    /// The schema history file (`schema.history.internal.file.filename`).
    pub history_file: Option<PathBuf>,
    pub skip_unparseable_ddl: bool,
    pub provide_transaction_metadata: bool,
    /// `<topic.prefix>.<topic.transaction>`.
    pub transaction_topic: String,
    /// `heartbeat.interval.ms` when above 0.
    pub heartbeat_interval: Option<Duration>,
    /// `<topic.heartbeat.prefix>.<topic.prefix>` (prefix `__debezium-heartbeat`).
    pub heartbeat_topic: String,
    /// `heartbeat.action.query`, run on each heartbeat.
    pub heartbeat_action_query: Option<String>,
    /// `event.processing.failure.handling.mode` (or its old name,
    /// `event.deserialization.failure.handling.mode`): a row event that cannot be read.
    pub event_failure: FailureMode,
    /// `inconsistent.schema.handling.mode`: a row event whose table the schema history does
    /// not know, or whose TABLE_MAP disagrees with it.
    pub inconsistent_schema: FailureMode,
    /// Properties we accept but do not act on yet (reported as warnings).
    pub ignored: Vec<String>,
}

/// The system databases `table.ignore.builtin` leaves out.
pub const BUILTIN_DATABASES: &[&str] =
    &["mysql", "sys", "information_schema", "performance_schema"];

impl MySqlConfig {
    /// Parses and validates the config without any I/O, reporting every problem at once.
    pub fn from_map(map: &ConfigMap) -> Result<MySqlConfig, ConfigErrors> {
        let mut r = ConfigReader::new(map);
        let cfg = Self::read(map, &mut r);
        r.finish()?;
        Ok(cfg)
    }

    pub(crate) fn read(map: &ConfigMap, r: &mut ConfigReader<'_>) -> MySqlConfig {
        let flavor = Flavor::from_class(map.get("connector.class").map_or("", |s| s.as_str()));
        let hostname = r.required_string("database.hostname");
        let port = r.int("database.port", 3306, 1, 65535) as u16;
        let user = r.required_string("database.user");
        let password = r.secret("database.password");
        let server_id = if map.contains_key("database.server.id") {
            r.int("database.server.id", 0, 1, i64::from(u32::MAX)) as u32
        } else {
            r.required_string("database.server.id");
            0
        };
        let topic_prefix = r.topic_prefix();
        if !topic_prefix.is_empty()
            && !topic_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            r.problem(
                "topic.prefix",
                "may contain only ASCII letters, digits, '.', '_' and '-'",
            );
        }
        let snapshot_mode =
            SnapshotMode::parse(&r.one_of("snapshot.mode", "initial", SnapshotMode::NAMES));
        let locking_mode = match r
            .one_of(
                "snapshot.locking.mode",
                "minimal",
                &["minimal", "extended", "none", "minimal_percona", "custom"],
            )
            .as_str()
        {
            "extended" => LockingMode::Extended,
            "none" => LockingMode::None,
            "minimal_percona" | "custom" => {
                r.problem(
                    "snapshot.locking.mode",
                    "minimal_percona and custom are not supported; use minimal, extended or none",
                );
                LockingMode::Minimal
            }
            _ => LockingMode::Minimal,
        };
        let databases = read_filter(r, "database.include.list", "database.exclude.list");
        let tables = read_filter(r, "table.include.list", "table.exclude.list");
        let columns = read_filter(r, "column.include.list", "column.exclude.list");
        let key_columns = cdc_core::key_columns::MessageKeyColumns::read(r);
        let column_mappers = cdc_core::column_mapping::ColumnMappers::from_config(map)
            .unwrap_or_else(|e| {
                for p in e.0 {
                    r.problem(&p.property, p.message);
                }
                Default::default()
            });
        let ignore_builtin = r.bool("table.ignore.builtin", true);
        let tombstones_on_delete = r.bool("tombstones.on.delete", true);
        let skipped = read_skipped(r);
        let include_schema_changes = r.bool("include.schema.changes", true);
        let include_query = r.bool("include.query", false);
        let types = TypeModes::from_config(r);
        let max_batch = r.int("max.batch.size", 2048, 1, 1 << 24) as usize;
        let max_queue = r.int("max.queue.size", 8192, 1, 1 << 26) as usize;
        if max_queue <= max_batch && map.contains_key("max.queue.size") {
            r.problem(
                "max.queue.size",
                format!("must be larger than max.batch.size ({max_batch})"),
            );
        }
        let max_bytes = r.int("max.queue.size.in.bytes", 0, 0, i64::MAX) as usize;
        let connect_ms = r.int("connect.timeout.ms", 30_000, 1, 3_600_000);
        let keep_alive = r.bool("connect.keep.alive", true);
        let backoff_ms = r.int("tributary.reconnect.max.backoff.ms", 30_000, 100, 3_600_000);
        let tls = crate::tls::MySqlTls::read(r);
        let stall_warning = r.optional_ms("tributary.stall.warning.ms", 60_000);
        let _ = r.int("poll.interval.ms", 500, 0, i64::MAX);
        let _ = r.int("min.row.count.to.stream.results", 1000, 0, i64::MAX);
        let history_class = r.string(
            "schema.history.internal",
            "io.debezium.storage.kafka.history.KafkaSchemaHistory",
        );
        if history_class.contains("MemorySchemaHistory") {
            r.problem(
                "schema.history.internal",
                "MemorySchemaHistory loses the schema on restart; use FileSchemaHistory or KafkaSchemaHistory (both kept in the worker's data directory on the embedded log)",
            );
        }
        let history_file = r
            .optional_string("schema.history.internal.file.filename")
            .map(PathBuf::from);
        let skip_unparseable_ddl = r.bool("schema.history.internal.skip.unparseable.ddl", false);
        // Debezium renamed event.deserialization.failure.handling.mode to the common
        // event.processing.failure.handling.mode; the old name still counts when the new is unset.
        let old_failure = FailureMode::read(r, "event.deserialization.failure.handling.mode");
        let event_failure = if map.contains_key("event.processing.failure.handling.mode") {
            FailureMode::read(r, "event.processing.failure.handling.mode")
        } else {
            old_failure
        };
        let inconsistent_schema = FailureMode::read(r, "inconsistent.schema.handling.mode");

        let def = config_def();
        let metadata = cdc_core::transaction::MetadataSettings::read(r, &topic_prefix);
        let ignored = map
            .keys()
            .filter(|k| !def.key(k).is_some_and(|key| key.supported))
            .filter(|k| !is_framework_property(k))
            .cloned()
            .collect();
        MySqlConfig {
            flavor,
            hostname,
            port,
            user,
            password,
            server_id,
            topic_prefix,
            snapshot_mode,
            locking_mode,
            databases,
            tables,
            columns,
            key_columns,
            column_mappers,
            ignore_builtin,
            tombstones_on_delete,
            skipped,
            include_schema_changes,
            include_query,
            types,
            queue: QueueBounds {
                max_queue_records: max_queue,
                max_batch_records: max_batch,
                max_queue_bytes: max_bytes,
            },
            connect_timeout: Duration::from_millis(connect_ms as u64),
            tls,
            keep_alive,
            stall_warning,
            max_backoff: Duration::from_millis(backoff_ms as u64),
            history_file,
            skip_unparseable_ddl,
            provide_transaction_metadata: metadata.provide_transaction_metadata,
            transaction_topic: metadata.transaction_topic,
            heartbeat_interval: metadata.heartbeat_interval,
            heartbeat_topic: metadata.heartbeat_topic,
            heartbeat_action_query: metadata.heartbeat_action_query,
            event_failure,
            inconsistent_schema,
            ignored,
        }
    }

    /// Is this database captured?
    pub fn captures_database(&self, db: &str) -> bool {
        if self.ignore_builtin && BUILTIN_DATABASES.iter().any(|b| b.eq_ignore_ascii_case(db)) {
            return false;
        }
        self.databases.matches(db)
    }

    /// Is `db.table` captured?
    pub fn captures_table(&self, db: &str, table: &str) -> bool {
        self.captures_database(db) && self.tables.matches(&format!("{db}.{table}"))
    }

    /// Is `db.table.column` included?
    pub fn includes_column(&self, db: &str, table: &str, column: &str) -> bool {
        self.columns.is_empty() || self.columns.matches(&format!("{db}.{table}.{column}"))
    }
}

fn read_skipped(r: &mut ConfigReader<'_>) -> SkippedOps {
    let mut ops = SkippedOps::default();
    let mut items = r.list("skipped.operations");
    if items.is_empty() {
        items.push("t".to_owned());
    }
    for item in items {
        match item.as_str() {
            "c" => ops.create = true,
            "u" => ops.update = true,
            "d" => ops.delete = true,
            "t" => ops.truncate = true,
            "none" => ops = SkippedOps::default(),
            other => r.problem(
                "skipped.operations",
                format!("{other:?} is not an operation; use a comma-separated list of c, u, d, t, or none"),
            ),
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "connector.class",
                "io.debezium.connector.mariadb.MariaDbConnector",
            ),
            ("database.hostname", "localhost"),
            ("database.user", "root"),
            ("database.password", "secret"),
            ("database.server.id", "184054"),
            ("topic.prefix", "dbserver1"),
        ]
    }

    #[test]
    fn defaults_are_debeziums() {
        let cfg = MySqlConfig::from_map(&map(&base())).unwrap();
        assert_eq!(cfg.flavor, Flavor::MariaDb);
        assert_eq!(cfg.port, 3306);
        assert_eq!(cfg.server_id, 184054);
        assert_eq!(cfg.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(cfg.locking_mode, LockingMode::Minimal);
        assert!(cfg.include_schema_changes && cfg.tombstones_on_delete);
        assert!(!cfg.captures_database("mysql"));
        assert!(cfg.captures_table("inventory", "customers"));
    }

    #[test]
    fn every_problem_is_reported_with_property_value_and_valid_choices() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "database.server.id");
        pairs.push(("snapshot.mode", "sometimes"));
        pairs.push(("snapshot.locking.mode", "custom"));
        let err = MySqlConfig::from_map(&map(&pairs)).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 3, "{text}");
        assert!(text.contains("database.server.id"), "{text}");
        assert!(
            text.contains("\"sometimes\"") && text.contains("when_needed"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn failure_modes_follow_debeziums_names_and_reject_other_values() {
        let cfg = MySqlConfig::from_map(&map(&base())).unwrap();
        assert_eq!(cfg.event_failure, FailureMode::Fail);
        assert_eq!(cfg.inconsistent_schema, FailureMode::Fail);
        let mut pairs = base();
        pairs.push(("event.processing.failure.handling.mode", "warn"));
        pairs.push(("inconsistent.schema.handling.mode", "ignore"));
        let cfg = MySqlConfig::from_map(&map(&pairs)).unwrap();
        assert_eq!(cfg.event_failure, FailureMode::Warn);
        assert_eq!(cfg.inconsistent_schema, FailureMode::Skip);
        // The old name counts when the new one is not set, and yields to it when it is.
        let mut pairs = base();
        pairs.push(("event.deserialization.failure.handling.mode", "skip"));
        assert_eq!(
            MySqlConfig::from_map(&map(&pairs)).unwrap().event_failure,
            FailureMode::Skip
        );
        pairs.push(("event.processing.failure.handling.mode", "FAIL"));
        assert_eq!(
            MySqlConfig::from_map(&map(&pairs)).unwrap().event_failure,
            FailureMode::Fail
        );
        let mut pairs = base();
        pairs.push(("event.processing.failure.handling.mode", "sometimes"));
        pairs.push(("inconsistent.schema.handling.mode", "lenient"));
        let err = MySqlConfig::from_map(&map(&pairs)).unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        let text = err.to_string();
        for (property, value) in [
            ("event.processing.failure.handling.mode", "\"sometimes\""),
            ("inconsistent.schema.handling.mode", "\"lenient\""),
        ] {
            let line = text
                .lines()
                .find(|l| l.contains(property))
                .unwrap_or_else(|| panic!("{property} is not named: {text}"));
            assert!(line.contains(value), "{line}");
            assert!(line.contains("fail, warn, skip"), "{line}");
        }
    }

    #[test]
    fn filters_follow_debeziums_names() {
        let mut pairs = base();
        pairs.push(("database.include.list", "inv.*"));
        pairs.push(("table.exclude.list", "inventory\\.secret"));
        pairs.push(("column.exclude.list", "inventory\\.customers\\.ssn"));
        let cfg = MySqlConfig::from_map(&map(&pairs)).unwrap();
        assert!(cfg.captures_table("inventory", "customers"));
        assert!(!cfg.captures_table("inventory", "secret"));
        assert!(!cfg.captures_table("other", "customers"));
        assert!(!cfg.includes_column("inventory", "customers", "ssn"));
        assert!(cfg.includes_column("inventory", "customers", "id"));
    }
}
