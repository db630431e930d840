//! The `source` block of MySQL and MariaDB events (`io.debezium.connector.mysql.Source`,
//! `io.debezium.connector.mariadb.Source`).

use std::sync::{Arc, LazyLock};

use cdc_core::schema::logical;
use cdc_core::{Schema, Value};

use crate::config::Flavor;

/// The Debezium release whose event format we write, in `source.version` (see docs/compat.md).
pub const DEBEZIUM_VERSION: &str = "3.6.1.Final";

/// Values of `source.snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMarker {
    True,
    First,
    FirstInDataCollection,
    LastInDataCollection,
    Last,
    False,
}

impl SnapshotMarker {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotMarker::True => "true",
            SnapshotMarker::First => "first",
            SnapshotMarker::FirstInDataCollection => "first_in_data_collection",
            SnapshotMarker::LastInDataCollection => "last_in_data_collection",
            SnapshotMarker::Last => "last",
            SnapshotMarker::False => "false",
        }
    }
}

fn build(name: &str) -> Arc<Schema> {
    Arc::new(
        Schema::structure(name)
            .version(1)
            .field("version", Schema::string())
            .field("connector", Schema::string())
            .field("name", Schema::string())
            .field("ts_ms", Schema::int64())
            .field(
                "snapshot",
                Schema::string()
                    .optional()
                    .named(logical::ENUM)
                    .version(1)
                    .param(
                        "allowed",
                        "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
                    )
                    .default_value(Value::String("false".into())),
            )
            .field("db", Schema::string())
            .field("sequence", Schema::string().optional())
            .field("ts_us", Schema::int64().optional())
            .field("ts_ns", Schema::int64().optional())
            .field("table", Schema::string().optional())
            .field("server_id", Schema::int64())
            .field("gtid", Schema::string().optional())
            .field("file", Schema::string())
            .field("pos", Schema::int64())
            .field("row", Schema::int32())
            .field("thread", Schema::int64().optional())
            .field("query", Schema::string().optional()),
    )
}

static MYSQL: LazyLock<Arc<Schema>> = LazyLock::new(|| build("io.debezium.connector.mysql.Source"));
static MARIADB: LazyLock<Arc<Schema>> =
    LazyLock::new(|| build("io.debezium.connector.mariadb.Source"));
static VERSION: LazyLock<Arc<str>> = LazyLock::new(|| DEBEZIUM_VERSION.into());

/// The source block schema of a flavor.
pub fn schema(flavor: Flavor) -> Arc<Schema> {
    match flavor {
        Flavor::MySql => MYSQL.clone(),
        Flavor::MariaDb => MARIADB.clone(),
    }
}

/// What goes into one event's source block.
#[derive(Debug, Clone)]
pub struct SourceInfo<'a> {
    pub flavor: Flavor,
    pub server_name: &'a Arc<str>,
    pub db: &'a str,
    pub table: Option<&'a str>,
    /// Event time (binlog header timestamp, or the snapshot's read time), ms since the epoch.
    pub ts_ms: i64,
    pub snapshot: SnapshotMarker,
    pub server_id: u32,
    pub gtid: Option<&'a str>,
    pub file: &'a str,
    pub pos: u64,
    pub row: i32,
    pub thread: Option<i64>,
    pub query: Option<&'a str>,
}

impl SourceInfo<'_> {
    pub fn value(&self) -> Value {
        Value::Struct(vec![
            Value::String(VERSION.clone()),
            Value::String(self.flavor.connector_name().into()),
            Value::String(self.server_name.clone()),
            Value::Int64(self.ts_ms),
            Value::String(self.snapshot.as_str().into()),
            Value::String(self.db.into()),
            Value::Null,
            Value::Int64(self.ts_ms.saturating_mul(1000)),
            Value::Int64(self.ts_ms.saturating_mul(1_000_000)),
            self.table.map_or(Value::Null, |t| Value::String(t.into())),
            Value::Int64(i64::from(self.server_id)),
            self.gtid.map_or(Value::Null, |g| Value::String(g.into())),
            Value::String(self.file.into()),
            Value::Int64(self.pos as i64),
            Value::Int32(self.row),
            self.thread.map_or(Value::Null, Value::Int64),
            self.query.map_or(Value::Null, |q| Value::String(q.into())),
        ])
    }
}
