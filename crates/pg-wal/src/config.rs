//! The PostgreSQL connector's configuration, read from Debezium's property names and defaults.

use std::time::Duration;

use cdc_core::config::{read_filter, ConfigErrors, ConfigMap, ConfigReader, NameFilter};
use cdc_core::configdef::is_framework_property;
use cdc_core::tls::{ClientTls, Identity, Roots, Verify};
use cdc_core::QueueBounds;

use crate::configdef::config_def;
use crate::convert::TypeModes;

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Snapshot when there is no stored offset, then stream.
    Initial,
    /// Snapshot, then stop without streaming.
    InitialOnly,
    /// No data snapshot; stream from the slot (`no_data`, formerly `schema_only`).
    NoData,
    /// Deprecated spelling of `no_data` for PostgreSQL (`never`).
    Never,
    /// Snapshot on every start, then stream.
    Always,
    /// Snapshot when there is no stored offset or the stored position is no longer available.
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

/// `publication.autocreate.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationMode {
    AllTables,
    Disabled,
    Filtered,
    NoTables,
}

/// `database.sslmode`, libpq's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// libpq tries without TLS first; we negotiate TLS when the server offers it, as `prefer`.
    Allow,
    /// TLS when the server offers it (without verification), else plaintext.
    Prefer,
    /// TLS or no connection; verified like `verify-ca` when `database.sslrootcert` is set.
    Require,
    VerifyCa,
    VerifyFull,
}

/// TLS to PostgreSQL: `database.sslmode`, `database.sslrootcert`, `database.sslcert`,
/// `database.sslkey` (PEM files; `sslrootcert=system` for the built-in roots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTls {
    pub mode: SslMode,
    /// What a TLS connection uses; `None` with `sslmode=disable`.
    pub client: Option<ClientTls>,
}

impl PgTls {
    /// No TLS (`sslmode=disable`).
    pub const DISABLED: PgTls = PgTls {
        mode: SslMode::Disable,
        client: None,
    };

    fn read(r: &mut ConfigReader<'_>) -> PgTls {
        let mode = match r
            .one_of(
                "database.sslmode",
                "prefer",
                &[
                    "disable",
                    "allow",
                    "prefer",
                    "require",
                    "verify-ca",
                    "verify-full",
                ],
            )
            .as_str()
        {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => SslMode::Prefer,
        };
        let rootcert = r.optional_string("database.sslrootcert");
        let cert = r.optional_string("database.sslcert");
        let key = r.optional_string("database.sslkey");
        // The password of an encrypted (PKCS#8) key; libpq's sslpassword.
        let key_password = r.secret("database.sslpassword");
        if mode == SslMode::Disable {
            return PgTls::DISABLED;
        }
        // libpq: require with a root file verifies like verify-ca.
        let verify = match mode {
            SslMode::VerifyFull => Verify::Full,
            SslMode::VerifyCa => Verify::Chain,
            SslMode::Require if rootcert.is_some() => Verify::Chain,
            _ => Verify::None,
        };
        let roots = match rootcert.as_deref() {
            None | Some("system") => Roots::BuiltIn,
            Some(path) => Roots::Pem {
                property: "database.sslrootcert".into(),
                path: path.into(),
            },
        };
        if verify != Verify::None && rootcert.is_none() {
            r.problem(
                "database.sslmode",
                "verify-ca and verify-full need database.sslrootcert: a PEM file of the CA certificates to trust, or system for the built-in public roots",
            );
        }
        let identity = match (cert, key) {
            (Some(cert), Some(key)) => Some(Identity {
                cert_property: "database.sslcert".into(),
                cert: cert.into(),
                key_property: "database.sslkey".into(),
                key: key.into(),
                key_password,
            }),
            (Some(_), None) => {
                r.problem("database.sslkey", "is needed with database.sslcert");
                None
            }
            (None, Some(_)) => {
                r.problem("database.sslcert", "is needed with database.sslkey");
                None
            }
            (None, None) => None,
        };
        let client = ClientTls {
            verify,
            roots,
            identity,
        };
        for problem in client.check() {
            r.problem(&problem.property, problem.message);
        }
        PgTls {
            mode,
            client: Some(client),
        }
    }

    /// Must the connection be encrypted (`require` and stronger)?
    pub fn required(&self) -> bool {
        matches!(
            self.mode,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
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

/// The typed PostgreSQL connector config.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: Option<cdc_core::Secret>,
    pub dbname: String,
    pub topic_prefix: String,
    pub slot_name: String,
    pub publication_name: String,
    pub publication_mode: PublicationMode,
    pub slot_drop_on_stop: bool,
    pub snapshot_mode: SnapshotMode,
    pub snapshot_max_threads: usize,
    pub snapshot_fetch_size: usize,
    pub schemas: NameFilter,
    pub tables: NameFilter,
    pub columns: NameFilter,
    /// `message.key.columns`: custom keys per `schema.table`.
    pub key_columns: cdc_core::key_columns::MessageKeyColumns,
    /// `column.mask.*`, `column.truncate.*`, `*.propagate.source.type`.
    pub column_mappers: cdc_core::column_mapping::ColumnMappers,
    pub tombstones_on_delete: bool,
    pub skipped: SkippedOps,
    pub unavailable_placeholder: String,
    pub types: TypeModes,
    pub queue: QueueBounds,
    pub status_update_interval: Duration,
    pub connect_timeout: Duration,
    /// `tributary.replication.timeout.ms` when above 0: how long the replication connection
    /// may stay silent, an answer to a keepalive request included, before it is dropped and
    /// opened again (see `replication::Liveness`).
    pub replication_timeout: Option<Duration>,
    /// `tributary.stall.warning.ms` when above 0: how long no change may be delivered while
    /// the database has some before the task's status says it is stalled (see `stall`).
    pub stall_warning: Option<Duration>,
    /// `database.sslmode` and the files it uses.
    pub tls: PgTls,
    /// Stream large values in pgoutput's binary format (PostgreSQL 14+); events are the same.
    pub binary: bool,
    /// `provide.transaction.metadata`: BEGIN/END events and `transaction` blocks.
    pub provide_transaction_metadata: bool,
    /// `<topic.prefix>.<topic.transaction>` (`topic.transaction` defaults to `transaction`).
    pub transaction_topic: String,
    /// `heartbeat.interval.ms` when above 0.
    pub heartbeat_interval: Option<Duration>,
    /// `<topic.heartbeat.prefix>.<topic.prefix>` (prefix `__debezium-heartbeat`).
    pub heartbeat_topic: String,
    /// `heartbeat.action.query`, run on each heartbeat.
    pub heartbeat_action_query: Option<String>,
    /// Properties we accept but do not act on yet (reported as warnings).
    pub ignored: Vec<String>,
}

impl PostgresConfig {
    /// Parses and validates the config without any I/O, reporting every problem at once.
    ///
    /// Set properties that [`config_def`] does not list, or lists as not supported yet, are
    /// accepted and returned in `ignored` (Connect's framework properties excepted).
    pub fn from_map(map: &ConfigMap) -> Result<PostgresConfig, ConfigErrors> {
        let mut r = ConfigReader::new(map);
        let cfg = Self::read(map, &mut r);
        r.finish()?;
        Ok(cfg)
    }

    /// Reads every property, recording problems in `r`.
    pub(crate) fn read(map: &ConfigMap, r: &mut ConfigReader<'_>) -> PostgresConfig {
        let hostname = r.required_string("database.hostname");
        let port = r.int("database.port", 5432, 1, 65535) as u16;
        let user = r.required_string("database.user");
        let password = r.secret("database.password");
        let dbname = r.required_string("database.dbname");
        let topic_prefix = r.topic_prefix();
        if !topic_prefix.is_empty() && !valid_topic_chars(&topic_prefix) {
            r.problem(
                "topic.prefix",
                "may contain only ASCII letters, digits, '.', '_' and '-'",
            );
        }
        let plugin = r.string("plugin.name", "pgoutput");
        if plugin != "pgoutput" {
            r.problem(
                "plugin.name",
                "only pgoutput is supported (it is built into PostgreSQL 10+; decoderbufs and wal2json are not)",
            );
        }
        let slot_name = r.string("slot.name", "debezium");
        if !valid_slot_name(&slot_name) {
            r.problem(
                "slot.name",
                "must be 1 to 63 characters of lower-case letters, digits and underscores (PostgreSQL's rule for replication slot names)",
            );
        }
        let publication_name = r.string("publication.name", "dbz_publication");
        if publication_name.len() > 63 {
            r.problem("publication.name", "must be at most 63 characters");
        }
        let publication_mode = match r
            .one_of(
                "publication.autocreate.mode",
                "all_tables",
                &["all_tables", "disabled", "filtered", "no_tables"],
            )
            .as_str()
        {
            "disabled" => PublicationMode::Disabled,
            "filtered" => PublicationMode::Filtered,
            "no_tables" => PublicationMode::NoTables,
            _ => PublicationMode::AllTables,
        };
        let slot_drop_on_stop = r.bool("slot.drop.on.stop", false);
        let snapshot_mode =
            SnapshotMode::parse(&r.one_of("snapshot.mode", "initial", SnapshotMode::NAMES));
        let snapshot_max_threads = r.int("snapshot.max.threads", 1, 1, 64) as usize;
        let snapshot_fetch_size =
            r.int("snapshot.fetch.size", 10240, 1, i64::from(i32::MAX)) as usize;
        let schemas = read_filter(r, "schema.include.list", "schema.exclude.list");
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
        let tombstones_on_delete = r.bool("tombstones.on.delete", true);
        let skipped = read_skipped(r);
        let unavailable_placeholder = r.string(
            "unavailable.value.placeholder",
            "__debezium_unavailable_value",
        );
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
        let status_ms = r.int("status.update.interval.ms", 10_000, 1, 3_600_000);
        let connect_ms = r.int("database.connect.timeout.ms", 30_000, 1, 3_600_000);
        let replication_timeout = r.optional_ms("tributary.replication.timeout.ms", 60_000);
        let stall_warning = r.optional_ms("tributary.stall.warning.ms", 60_000);
        let tls = PgTls::read(r);
        let binary = r.bool("tributary.pgoutput.binary", true);
        let metadata = cdc_core::transaction::MetadataSettings::read(r, &topic_prefix);
        let _ = r.int("poll.interval.ms", 500, 0, i64::MAX);

        let def = config_def();
        let ignored = map
            .keys()
            .filter(|k| !def.key(k).is_some_and(|key| key.supported))
            .filter(|k| !is_framework_property(k))
            .cloned()
            .collect();
        PostgresConfig {
            hostname,
            port,
            user,
            password,
            dbname,
            topic_prefix,
            slot_name,
            publication_name,
            publication_mode,
            slot_drop_on_stop,
            snapshot_mode,
            snapshot_max_threads,
            snapshot_fetch_size,
            schemas,
            tables,
            columns,
            key_columns,
            column_mappers,
            tombstones_on_delete,
            skipped,
            unavailable_placeholder,
            types,
            queue: QueueBounds {
                max_queue_records: max_queue,
                max_batch_records: max_batch,
                max_queue_bytes: max_bytes,
            },
            status_update_interval: Duration::from_millis(status_ms as u64),
            connect_timeout: Duration::from_millis(connect_ms as u64),
            replication_timeout,
            stall_warning,
            tls,
            binary,
            provide_transaction_metadata: metadata.provide_transaction_metadata,
            transaction_topic: metadata.transaction_topic,
            heartbeat_interval: metadata.heartbeat_interval,
            heartbeat_topic: metadata.heartbeat_topic,
            heartbeat_action_query: metadata.heartbeat_action_query,
            ignored,
        }
    }

    /// Is `schema.table` captured?
    pub fn captures_table(&self, schema: &str, table: &str) -> bool {
        self.schemas.matches(schema) && self.tables.matches(&format!("{schema}.{table}"))
    }

    /// Is `schema.table.column` included?
    pub fn includes_column(&self, schema: &str, table: &str, column: &str) -> bool {
        self.columns.is_empty() || self.columns.matches(&format!("{schema}.{table}.{column}"))
    }

    /// Where and as whom our own protocol client connects (replication and snapshot reads).
    pub fn protocol_config(&self) -> crate::replication::ReplicationConfig {
        crate::replication::ReplicationConfig {
            host: self.hostname.clone(),
            port: self.port,
            user: self.user.clone(),
            password: self.password.as_ref().map(|p| p.expose().to_owned()),
            dbname: self.dbname.clone(),
            application_name: format!("tributary-{}", self.slot_name),
            connect_timeout: self.connect_timeout,
            tls: self.tls.clone(),
        }
    }

    /// The tokio-postgres connection string (values quoted).
    pub fn conn_string(&self) -> String {
        let mut s = format!(
            "host={} port={} user={} dbname={} application_name=tributary connect_timeout={}",
            quote_conn(&self.hostname),
            self.port,
            quote_conn(&self.user),
            quote_conn(&self.dbname),
            self.connect_timeout.as_secs().max(1)
        );
        if let Some(pw) = &self.password {
            s.push_str(" password=");
            s.push_str(&quote_conn(pw.expose()));
        }
        s
    }
}

fn quote_conn(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn valid_topic_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn valid_slot_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
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
                "io.debezium.connector.postgresql.PostgresConnector",
            ),
            ("database.hostname", "localhost"),
            ("database.user", "postgres"),
            ("database.password", "secret"),
            ("database.dbname", "inventory"),
            ("topic.prefix", "dbserver1"),
        ]
    }

    #[test]
    fn defaults_are_debeziums() {
        let cfg = PostgresConfig::from_map(&map(&base())).unwrap();
        assert_eq!(cfg.port, 5432);
        assert_eq!(cfg.slot_name, "debezium");
        assert_eq!(cfg.publication_name, "dbz_publication");
        assert_eq!(cfg.snapshot_mode, SnapshotMode::Initial);
        assert!(cfg.tombstones_on_delete);
        assert!(cfg.skipped.truncate && !cfg.skipped.create);
        assert_eq!(cfg.unavailable_placeholder, "__debezium_unavailable_value");
        assert_eq!(cfg.queue.max_batch_records, 2048);
    }

    #[test]
    fn every_problem_is_reported_with_property_value_and_valid_choices() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "database.hostname");
        pairs.push(("snapshot.mode", "sometimes"));
        pairs.push(("slot.name", "My-Slot"));
        let err = PostgresConfig::from_map(&map(&pairs)).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 3, "{text}");
        assert!(text.contains("database.hostname"), "{text}");
        assert!(
            text.contains("\"sometimes\"") && text.contains("when_needed"),
            "{text}"
        );
        assert!(
            text.contains("\"My-Slot\"") && text.contains("lower-case"),
            "{text}"
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let cfg = PostgresConfig::from_map(&map(&base())).unwrap();
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("secret") && dbg.contains("[hidden]"), "{dbg}");
    }

    #[test]
    fn tls_modes_are_libpqs() {
        let read = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = base();
            pairs.extend_from_slice(extra);
            PostgresConfig::from_map(&map(&pairs))
        };
        let prefer = read(&[]).unwrap().tls;
        assert_eq!(prefer.mode, SslMode::Prefer);
        assert!(!prefer.required());
        assert_eq!(prefer.client.unwrap().verify, Verify::None);
        assert_eq!(
            read(&[("database.sslmode", "disable")]).unwrap().tls,
            PgTls::DISABLED
        );
        let require = read(&[("database.sslmode", "require")]).unwrap().tls;
        assert!(require.required());
        assert_eq!(require.client.unwrap().verify, Verify::None);
        let system = read(&[
            ("database.sslmode", "verify-full"),
            ("database.sslrootcert", "system"),
        ])
        .unwrap()
        .tls
        .client
        .unwrap();
        assert_eq!(
            (system.verify, system.roots),
            (Verify::Full, Roots::BuiltIn)
        );
    }

    #[test]
    fn tls_files_are_checked_and_named() {
        let mut pairs = base();
        pairs.push(("database.sslmode", "verify-ca"));
        pairs.push(("database.sslrootcert", "/nonexistent/root.crt"));
        pairs.push(("database.sslcert", "/nonexistent/client.crt"));
        let text = PostgresConfig::from_map(&map(&pairs))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("database.sslrootcert") && text.contains("cannot read"),
            "{text}"
        );
        assert!(
            text.contains("database.sslkey") && text.contains("is needed"),
            "{text}"
        );
        let mut pairs = base();
        pairs.push(("database.sslmode", "verify-full"));
        let text = PostgresConfig::from_map(&map(&pairs))
            .unwrap_err()
            .to_string();
        assert!(text.contains("need database.sslrootcert"), "{text}");
    }

    #[test]
    fn a_bad_password_value_is_never_echoed() {
        let mut pairs = base();
        pairs.push(("database.port", "x"));
        let err = PostgresConfig::from_map(&map(&pairs)).unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }
}
