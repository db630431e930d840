//! The MySQL/MariaDB connector's config definition: Debezium's `MySqlConnector` /
//! `MariaDbConnector` properties with Debezium's type, default, importance and group, plus
//! Tributary's own.
//!
//! This is the single list of properties the connector knows: [`crate::MySqlConfig::from_map`]
//! reports every set property that is not here, or is here but marked unsupported, as ignored.

use cdc_core::configdef::{ConfigDef, ConfigType, Importance};

use ConfigType::{Boolean, Int, List, Long, Password, String as Str};
use Importance::{High, Low, Medium};

use cdc_core::configdef::table::group::{
    ADVANCED, CONNECTION, CONNECTION_ADVANCED, CONNECTOR, CONNECTOR_ADVANCED, FILTERS, HEARTBEAT,
    HISTORY, SNAPSHOT, SSL,
};
use cdc_core::configdef::table::DefaultValue::{Null, Required, Value};
use cdc_core::configdef::table::{row, Row, NOT_YET, REFUSED, YES};

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // CONNECTION
    row("database.hostname", Str, Required, High, CONNECTION, YES, "Host name or address of the MySQL or MariaDB server."),
    row("database.port", Int, Value("3306"), High, CONNECTION, YES, "Port of the server."),
    row("database.user", Str, Required, High, CONNECTION, YES, "User to connect as; needs SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE and REPLICATION CLIENT."),
    row("database.password", Password, Null, High, CONNECTION, YES, "Password of the user."),
    row("database.server.id", Long, Required, High, CONNECTION, YES, "Replica server id the binlog client registers with; unique among the server's replicas."),
    row("database.server.name", Str, Null, Low, CONNECTION, YES, "Debezium 1.x's name for topic.prefix: alone it is refused, naming the rename; beside topic.prefix it is ignored, as Debezium ignores it."),
    row("connect.timeout.ms", Int, Value("30000"), Medium, CONNECTION, YES, "How long to wait for a connection to the server, in milliseconds."),
    row("database.initial.statements", Str, Null, Low, CONNECTION_ADVANCED, REFUSED, "SQL statements, separated by semicolons, run on each new connection."),
    row("connect.keep.alive", Boolean, Value("true"), Low, CONNECTION_ADVANCED, YES, "Reconnect the binlog client when the connection drops."),
    row("tributary.stall.warning.ms", Long, Value("60000"), Medium, CONNECTION_ADVANCED, YES, "Tributary: when no change was delivered for this long while the server's binlog moved past the position read (or the server does not answer), the task's status (trace of the RUNNING task) and the log say the task is stalled, in milliseconds (0: never; else 1000 to 86400000)."),
    row("connect.keep.alive.interval.ms", Long, Value("60000"), Low, CONNECTION_ADVANCED, NOT_YET, "How often the binlog client checks its connection, in milliseconds."),
    row("binlog.buffer.size", Int, Value("0"), Low, CONNECTION_ADVANCED, NOT_YET, "Size of the look-ahead buffer of the binlog reader."),
    row("database.ssl.mode", Str, Value("preferred"), Medium, SSL, YES, "Whether to use TLS, as Debezium: disabled; preferred (TLS when the server offers it, not verified, else plaintext); required (TLS or no connection, not verified); verify_ca (the chain must lead to database.ssl.truststore, or to the built-in public roots without one); verify_identity (the chain and the host name). Applies to the binlog, snapshot and query connections. See docs/tls.md."),
    row("database.ssl.truststore", Str, Null, Low, SSL, YES, "PEM file of the CA certificates the server's certificate is checked against (verify_ca, verify_identity). Tributary reads PEM only: a JKS or PKCS12 store fails validation (convert it with keytool -exportcert -rfc)."),
    row("database.ssl.truststore.password", Password, Null, Low, SSL, YES, "Password of a JKS or PKCS12 truststore; a PEM truststore needs none, and this is ignored."),
    row("database.ssl.keystore", Str, Null, Low, SSL, YES, "PEM file holding the client's certificate chain and its unencrypted private key, for servers that ask for a client certificate. Tributary reads PEM only: a JKS or PKCS12 store fails validation (convert it with openssl pkcs12 -nodes)."),
    row("database.ssl.keystore.password", Password, Null, Low, SSL, YES, "Password of the encrypted (PKCS#8, ENCRYPTED PRIVATE KEY) private key in the PEM keystore; an unencrypted key needs none. JKS and PKCS12 stores are refused."),
    // FILTERS
    row("database.include.list", List, Null, High, FILTERS, YES, "Regular expressions of database names to capture."),
    row("database.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of database names not to capture."),
    row("table.include.list", List, Null, High, FILTERS, YES, "Regular expressions of db.table names to capture."),
    row("table.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of db.table names not to capture."),
    row("column.include.list", List, Null, Medium, FILTERS, YES, "Regular expressions of db.table.column names to keep in events."),
    row("column.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of db.table.column names to leave out of events."),
    row("table.ignore.builtin", Boolean, Value("true"), Low, FILTERS, YES, "Ignore the system databases (mysql, sys, information_schema, performance_schema)."),
    row("gtid.source.includes", List, Null, Medium, FILTERS, REFUSED, "GTID sources to use when positioning."),
    row("gtid.source.excludes", List, Null, Medium, FILTERS, REFUSED, "GTID sources to ignore when positioning."),
    // CONNECTOR_SNAPSHOT
    row("snapshot.mode", Str, Value("initial"), Medium, SNAPSHOT, YES, "When to snapshot: initial, initial_only, no_data (schema_only), never, when_needed or always."),
    row("snapshot.locking.mode", Str, Value("minimal"), Low, SNAPSHOT, YES, "Locks during the snapshot: minimal (global read lock while reading the schema and position), extended (for the whole snapshot) or none."),
    row("snapshot.fetch.size", Int, Null, Medium, SNAPSHOT, NOT_YET, "Rows read at a time from each table during the snapshot."),
    row("snapshot.delay.ms", Long, Value("0"), Low, SNAPSHOT, NOT_YET, "Wait before the snapshot starts, in milliseconds."),
    row("snapshot.include.collection.list", List, Null, Medium, SNAPSHOT, REFUSED, "Regular expressions of the captured tables to snapshot."),
    row("snapshot.tables.order.by.row.count", Str, Value("disabled"), Low, SNAPSHOT, NOT_YET, "Snapshot tables by row count: disabled, ascending or descending."),
    row("snapshot.max.threads", Int, Value("1"), Medium, SNAPSHOT, NOT_YET, "Tables snapshotted in parallel."),
    row("min.row.count.to.stream.results", Long, Value("1000"), Low, SNAPSHOT, YES, "Accepted for compatibility: snapshot rows are always streamed."),
    // CONNECTOR
    row("topic.prefix", Str, Required, High, CONNECTOR, YES, "Prefix of every topic name; must not change once set."),
    row("tombstones.on.delete", Boolean, Value("true"), Medium, CONNECTOR, YES, "Follow each delete event with a tombstone."),
    row("extended.headers.enabled", Boolean, Value("true"), Low, CONNECTOR, YES, "Add Debezium's context headers to every record: __debezium.context.connectorLogicalName (topic.prefix), __debezium.context.taskId, __debezium.context.connectorName and __debezium.context.runId (a UUID per task start)."),
    row("skipped.operations", List, Value("t"), Low, CONNECTOR, YES, "Operations not to emit: c, u, d, t, or none."),
    row("include.schema.changes", Boolean, Value("true"), Medium, CONNECTOR, YES, "Write schema change events on the topic named by topic.prefix."),
    row("include.query", Boolean, Value("false"), Medium, CONNECTOR, YES, "Put the statement of a row change into source.query (needs binlog_annotate_row_events or binlog_rows_query_log_events)."),
    row("decimal.handling.mode", Str, Value("precise"), Medium, CONNECTOR, YES, "How DECIMAL columns appear: precise, double or string."),
    row("time.precision.mode", Str, Value("adaptive_time_microseconds"), Medium, CONNECTOR, YES, "How temporal columns appear: adaptive_time_microseconds, adaptive or connect."),
    row("bigint.unsigned.handling.mode", Str, Value("long"), Medium, CONNECTOR, YES, "How BIGINT UNSIGNED appears: long or precise."),
    row("binary.handling.mode", Str, Value("bytes"), Low, CONNECTOR, YES, "How binary columns appear: bytes, base64, base64-url-safe or hex."),
    row("enable.time.adjuster", Boolean, Value("true"), Medium, CONNECTOR, REFUSED, "Adjust two-digit years."),
    row("event.deserialization.failure.handling.mode", Str, Value("fail"), Medium, CONNECTOR, YES, "Deprecated name of event.processing.failure.handling.mode, used when that is not set: fail, warn, skip (or ignore, the old name of skip)."),
    row("event.processing.failure.handling.mode", Str, Value("fail"), Medium, ADVANCED, YES, "What to do with a row event a value of which cannot be read (binary JSON that cannot be decoded, a partial JSON update that does not apply to the before image): fail (the task fails naming the table, column and binlog position), warn (the event's position is logged and the event skipped) or skip (skipped silently)."),
    row("inconsistent.schema.handling.mode", Str, Value("fail"), Medium, ADVANCED, YES, "What to do with a row event of a captured table whose schema the history does not know, or whose TABLE_MAP disagrees with it (column count or types): fail (the task fails naming the table and binlog position), warn (logged and the event skipped) or skip (skipped silently)."),
    row("include.schema.comments", Boolean, Value("false"), Medium, CONNECTOR, REFUSED, "Put table and column comments into schemas."),
    row("schema.name.adjustment.mode", Str, Value("none"), Low, CONNECTOR, REFUSED, "How schema names are made valid: none, avro or avro_unicode."),
    row("field.name.adjustment.mode", Str, Value("none"), Low, CONNECTOR, REFUSED, "How field names are made valid: none, avro or avro_unicode."),
    row("provide.transaction.metadata", Boolean, Value("false"), Low, CONNECTOR, YES, "Write transaction boundaries (BEGIN/END on <topic.prefix>.transaction, id the GTID or file=<f>,pos=<p>) and add transaction blocks to events."),
    row("topic.transaction", Str, Value("transaction"), Medium, CONNECTOR, YES, "Suffix of the transaction metadata topic."),
    row("message.key.columns", Str, Null, Low, CONNECTOR, YES, "Columns that form the message key, per table: <database.table regex>:<column>,<column>;..."),
    // HISTORY_STORAGE
    row("schema.history.internal", Str, Value("io.debezium.storage.kafka.history.KafkaSchemaHistory"), Low, HISTORY, YES, "Where the schema history lives: on a Kafka worker with schema.history.internal.kafka.topic set, in that topic; otherwise a file in the worker's data directory, whichever class is named."),
    row("schema.history.internal.file.filename", Str, Null, Low, HISTORY, YES, "The schema history file; the worker sets it to <data dir>/schema-history/<connector>.jsonl when unset."),
    row("schema.history.internal.kafka.topic", Str, Null, Low, HISTORY, YES, "The Kafka topic of the schema history (one partition, kept forever), used when the worker runs on Kafka; records in Debezium's shape, and Debezium's records are read."),
    row("schema.history.internal.kafka.bootstrap.servers", Str, Null, Low, HISTORY, YES, "The Kafka brokers of the schema history topic; the worker's bootstrap.servers when unset (security settings come from the worker's producer.* properties)."),
    row("schema.history.internal.skip.unparseable.ddl", Boolean, Value("false"), Low, HISTORY, YES, "Log and skip DDL the parser cannot handle instead of failing."),
    row("schema.history.internal.store.only.captured.tables.ddl", Boolean, Value("false"), Low, HISTORY, NOT_YET, "Keep only the DDL of captured tables in the history."),
    row("schema.history.internal.store.only.captured.databases.ddl", Boolean, Value("false"), Low, HISTORY, NOT_YET, "Keep only the DDL of captured databases in the history."),
    // ADVANCED
    row("max.batch.size", Int, Value("2048"), Medium, ADVANCED, YES, "Records per batch handed to the runtime."),
    row("max.queue.size", Int, Value("8192"), Medium, ADVANCED, YES, "Records queued between the connector and the runtime."),
    row("max.queue.size.in.bytes", Long, Value("0"), Medium, ADVANCED, YES, "Bytes queued between the connector and the runtime; 0 no byte bound."),
    row("poll.interval.ms", Long, Value("500"), Medium, ADVANCED, YES, "Accepted for compatibility; batches are handed over as soon as they are ready."),
    row("tributary.reconnect.max.backoff.ms", Long, Value("30000"), Low, ADVANCED, YES, "Tributary: the longest wait between binlog reconnect attempts, in milliseconds."),
    // ADVANCED_HEARTBEAT
    row("heartbeat.interval.ms", Int, Value("0"), Medium, HEARTBEAT, YES, "How often to write heartbeat records (between transactions, carrying the current binlog position), in milliseconds; 0 never."),
    row("topic.heartbeat.prefix", Str, Value("__debezium-heartbeat"), Low, HEARTBEAT, YES, "Prefix of the heartbeat topic."),
    row("heartbeat.action.query", Str, Null, Medium, HEARTBEAT, YES, "A statement to run on every heartbeat, on a connection of its own (a failing statement is logged and the heartbeat still written)."),
    // Debezium's common properties that change what is written or delivered, not implemented
    // yet: refused (a value other than the default fails validation).
    row("skip.messages.without.change", Boolean, Value("false"), Medium, CONNECTOR_ADVANCED, REFUSED, "Drop updates that change none of the included columns."),
    row("snapshot.select.statement.overrides", Str, Null, Medium, SNAPSHOT, REFUSED, "Tables whose snapshot query is given by snapshot.select.statement.overrides.<db>.<table>."),
    row("topic.naming.strategy", Str, Value("io.debezium.schema.DefaultTopicNamingStrategy"), Medium, ADVANCED, REFUSED, "Class that names topics; Tributary uses <topic.prefix>.<database>.<table>."),
    row("topic.delimiter", Str, Value("."), Medium, ADVANCED, REFUSED, "Separator between the parts of topic names."),
    row("column.mask.hash.([^.]+).with.salt.(.+)", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns replaced by a salted hash of their value."),
    row("column.mask.with.(d+).chars", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns replaced by that many asterisks."),
    row("column.truncate.to.(d+).chars", Int, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns cut to that many characters."),
    row("column.propagate.source.type", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns whose schema parameters carry the source type."),
    row("datatype.propagate.source.type", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Data types whose columns' schema parameters carry the source type."),
    row("converters", Str, Null, Medium, CONNECTOR_ADVANCED, REFUSED, "Aliases of custom column converters."),
    row("post.processors", Str, Null, Medium, CONNECTOR_ADVANCED, REFUSED, "Aliases of post processors applied to events."),
];

/// The MySQL/MariaDB connector's config definition.
pub fn config_def() -> ConfigDef {
    cdc_core::configdef::table::config_def(ROWS)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cdc_core::config::{ConfigMap, ConfigReader};

    use super::*;
    use crate::MySqlConfig;

    fn base() -> ConfigMap {
        [
            (
                "connector.class",
                "io.debezium.connector.mysql.MySqlConnector",
            ),
            ("database.hostname", "localhost"),
            ("database.user", "root"),
            ("database.password", "hunter2"),
            ("database.server.id", "5400"),
            ("topic.prefix", "dbserver1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn every_property_from_map_reads_is_a_supported_key() {
        let def = config_def();
        let map = base();
        let mut reader = ConfigReader::new(&map);
        let _ = MySqlConfig::read(&map, &mut reader);
        let read: BTreeSet<&str> = reader.names_read().iter().map(String::as_str).collect();
        for name in read {
            let key = def
                .key(name)
                .unwrap_or_else(|| panic!("{name} is not in config_def()"));
            assert!(key.supported, "{name} is read but marked unsupported");
        }
    }

    #[test]
    fn every_supported_default_is_what_from_map_uses() {
        let plain = format!("{:?}", MySqlConfig::from_map(&base()).unwrap());
        for key in config_def().keys().iter().filter(|k| k.supported) {
            let Some(default) = &key.default else {
                continue;
            };
            let mut map = base();
            map.insert(key.name.clone(), default.clone());
            let with_default = MySqlConfig::from_map(&map)
                .unwrap_or_else(|e| panic!("{}={default}: {e}", key.name));
            assert_eq!(format!("{with_default:?}"), plain, "{}={default}", key.name);
        }
    }
}
