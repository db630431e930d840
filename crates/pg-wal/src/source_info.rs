//! The `source` block of PostgreSQL events (`io.debezium.connector.postgresql.Source`).

use std::sync::{Arc, LazyLock};

use cdc_core::schema::logical;
use cdc_core::{Schema, Value};

/// The connector name in `source.connector`.
pub const CONNECTOR: &str = "postgresql";

/// The Debezium release whose event format we write, in `source.version` (see docs/compat.md).
pub const DEBEZIUM_VERSION: &str = "3.6.1.Final";

/// Values of `source.snapshot` (`SnapshotRecord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMarker {
    True,
    First,
    FirstInDataCollection,
    LastInDataCollection,
    Last,
    False,
    Incremental,
}

/// The strings every source block repeats, shared rather than allocated per event.
static VERSION_VALUE: LazyLock<Arc<str>> = LazyLock::new(|| DEBEZIUM_VERSION.into());
static CONNECTOR_VALUE: LazyLock<Arc<str>> = LazyLock::new(|| CONNECTOR.into());
static MARKER_VALUES: LazyLock<[Arc<str>; 7]> = LazyLock::new(|| {
    [
        SnapshotMarker::True,
        SnapshotMarker::First,
        SnapshotMarker::FirstInDataCollection,
        SnapshotMarker::LastInDataCollection,
        SnapshotMarker::Last,
        SnapshotMarker::False,
        SnapshotMarker::Incremental,
    ]
    .map(|m| m.as_str().into())
});

impl SnapshotMarker {
    fn shared(self) -> Arc<str> {
        MARKER_VALUES[self as usize].clone()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotMarker::True => "true",
            SnapshotMarker::First => "first",
            SnapshotMarker::FirstInDataCollection => "first_in_data_collection",
            SnapshotMarker::LastInDataCollection => "last_in_data_collection",
            SnapshotMarker::Last => "last",
            SnapshotMarker::False => "false",
            SnapshotMarker::Incremental => "incremental",
        }
    }
}

static SCHEMA: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::structure("io.debezium.connector.postgresql.Source")
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
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::int64().optional())
            .field("lsn", Schema::int64().optional())
            .field("xmin", Schema::int64().optional())
            // Logical replication origin of the change (Debezium 3.5+); null: we do not decode
            // pgoutput's Origin message into it yet (docs/compat.md).
            .field("origin", Schema::string().optional())
            .field("origin_lsn", Schema::int64().optional())
            .version(1),
    )
});

/// The source block schema, shared by every table.
pub fn schema() -> Arc<Schema> {
    SCHEMA.clone()
}

/// What goes into one event's source block.
#[derive(Debug, Clone)]
pub struct SourceInfo<'a> {
    pub server_name: &'a str,
    pub db: &'a str,
    /// Commit time (streaming) or read time (snapshot), µs since the Unix epoch.
    pub ts_us: i64,
    pub snapshot: SnapshotMarker,
    /// `(last committed LSN, this event's LSN)`, rendered as Debezium's JSON array string.
    pub sequence: Option<(Option<u64>, u64)>,
    pub schema: &'a str,
    pub table: &'a str,
    pub tx_id: Option<i64>,
    pub lsn: Option<u64>,
}

impl SourceInfo<'_> {
    pub fn value(&self) -> Value {
        let sequence = self.sequence.map_or(Value::Null, |(last, cur)| {
            let last = last.map_or("null".to_owned(), |l| format!("\"{l}\""));
            Value::String(format!("[{last},\"{cur}\"]").into())
        });
        Value::Struct(vec![
            Value::String(VERSION_VALUE.clone()),
            Value::String(CONNECTOR_VALUE.clone()),
            Value::String(self.server_name.into()),
            Value::Int64(self.ts_us.div_euclid(1000)),
            Value::String(self.snapshot.shared()),
            Value::String(self.db.into()),
            sequence,
            Value::Int64(self.ts_us),
            Value::Int64(self.ts_us.saturating_mul(1000)),
            Value::String(self.schema.into()),
            Value::String(self.table.into()),
            self.tx_id.map_or(Value::Null, Value::Int64),
            self.lsn.map_or(Value::Null, |l| Value::Int64(l as i64)),
            Value::Null,
            Value::Null,
            Value::Null,
        ])
    }
}

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
pub const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// Converts a PostgreSQL timestamp (µs since 2000-01-01) to µs since the Unix epoch.
pub fn pg_to_unix_us(pg_us: i64) -> i64 {
    pg_us.saturating_add(PG_EPOCH_OFFSET_US)
}

/// Now, in µs since the Unix epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
