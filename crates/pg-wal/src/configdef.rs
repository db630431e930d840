//! The PostgreSQL connector's config definition: every property of Debezium's
//! `PostgresConnector`, with Debezium's type, default, importance and group
//! (`Field.Group` names, as Debezium's `ConfigDef` prints them), plus Tributary's own.
//!
//! This is the single list of properties the connector knows: [`crate::PostgresConfig::from_map`]
//! reports every set property that is not here, or is here but marked unsupported, as ignored.
//! Where Tributary's default differs from Debezium's it is Tributary's (what `from_map` does),
//! and the documentation says so.

use cdc_core::configdef::{ConfigDef, ConfigType, Importance};

use ConfigType::{Boolean, Class, Int, List, Long, Password, Short, String as Str};
use Importance::{High, Low, Medium};

use cdc_core::configdef::table::group::{
    ADVANCED, CONNECTION, CONNECTION_ADVANCED, CONNECTOR, CONNECTOR_ADVANCED, FILTERS, HEARTBEAT,
    REPLICATION, SNAPSHOT, SSL,
};
use cdc_core::configdef::table::DefaultValue::{Null, Required, Value};
use cdc_core::configdef::table::{row, Row, NOT_YET, REFUSED, YES};

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // CONNECTION
    row("database.hostname", Str, Required, High, CONNECTION, YES, "Host name or address of the PostgreSQL server."),
    row("database.port", Int, Value("5432"), High, CONNECTION, YES, "Port of the PostgreSQL server."),
    row("database.user", Str, Required, High, CONNECTION, YES, "User to connect as; needs the REPLICATION attribute."),
    row("database.password", Password, Null, High, CONNECTION, YES, "Password of the user."),
    row("database.dbname", Str, Required, High, CONNECTION, YES, "Database to capture changes from."),
    row("database.query.timeout.ms", Int, Value("600000"), Low, CONNECTION, NOT_YET, "How long a query may run, in milliseconds."),
    row("database.connect.timeout.ms", Int, Value("30000"), Low, CONNECTION, YES, "Tributary: how long to wait for a connection to the server, in milliseconds."),
    row("database.server.name", Str, Null, Low, CONNECTION, YES, "Debezium 1.x's name for topic.prefix: alone it is refused, naming the rename; beside topic.prefix it is ignored, as Debezium ignores it."),
    // CONNECTION_ADVANCED
    row("skip.messages.without.change", Boolean, Value("false"), Medium, CONNECTION_ADVANCED, REFUSED, "Drop updates that change none of the included columns."),
    row("database.initial.statements", Str, Null, Low, CONNECTION_ADVANCED, REFUSED, "SQL statements, separated by semicolons, run on each new JDBC connection."),
    row("database.tcpKeepAlive", Boolean, Value("true"), Medium, CONNECTION_ADVANCED, NOT_YET, "Send TCP keepalives on the database connection."),
    // CONNECTION_ADVANCED_SSL
    row("database.sslmode", Str, Value("prefer"), Medium, SSL, YES, "Whether to use TLS, with libpq's meanings: disable; allow and prefer (TLS when the server offers it, not verified; else plaintext); require (TLS or no connection, not verified unless database.sslrootcert is set, then as verify-ca); verify-ca (the certificate chain must lead to database.sslrootcert); verify-full (the chain and the host name). Applies to every connection: replication, snapshot, SQL and heartbeat action queries. See docs/tls.md."),
    row("database.sslcert", Str, Null, Medium, SSL, YES, "PEM file with the client's TLS certificate (chain), for servers that ask for one."),
    row("database.sslkey", Str, Null, Medium, SSL, YES, "PEM file with the client's TLS private key (PKCS#8, PKCS#1 or SEC1, not encrypted)."),
    row("database.sslpassword", Password, Null, Medium, SSL, YES, "Password of an encrypted client key in database.sslkey (PKCS#8, ENCRYPTED PRIVATE KEY: what openssl pkcs8 -topk8 -v2 aes256 writes)."),
    row("database.sslrootcert", Str, Null, Medium, SSL, YES, "PEM file with the CA certificates the server's certificate is checked against (verify-ca, verify-full, and require when set), or system for the built-in public roots."),
    row("database.sslfactory", Str, Null, Medium, SSL, REFUSED, "JDBC socket factory class for TLS connections."),
    // CONNECTION_ADVANCED_REPLICATION
    row("plugin.name", Str, Value("pgoutput"), Medium, REPLICATION, YES, "Logical decoding plugin; Tributary supports pgoutput only and defaults to it (Debezium's default is decoderbufs)."),
    row("slot.name", Str, Value("debezium"), Medium, REPLICATION, YES, "Replication slot to stream from, created when missing."),
    row("publication.name", Str, Value("dbz_publication"), Medium, REPLICATION, YES, "Publication pgoutput streams, created when missing per publication.autocreate.mode."),
    row("publication.autocreate.mode", Str, Value("all_tables"), Medium, REPLICATION, YES, "How the publication is created: all_tables, disabled, filtered or no_tables."),
    row("replica.identity.autoset.values", Str, Null, Medium, REPLICATION, REFUSED, "REPLICA IDENTITY to set on matching tables at start."),
    row("slot.drop.on.stop", Boolean, Value("false"), Medium, REPLICATION, YES, "Drop the slot when the connector stops gracefully (for development)."),
    row("slot.failover", Boolean, Value("false"), Medium, REPLICATION, REFUSED, "Create the slot as a failover slot (PostgreSQL 17+)."),
    row("slot.stream.params", Str, Null, Low, REPLICATION, REFUSED, "Extra options passed to the decoding plugin, separated by semicolons."),
    row("slot.max.retries", Int, Value("6"), Low, REPLICATION, NOT_YET, "How often to retry connecting to the slot."),
    row("slot.retry.delay.ms", Long, Value("10000"), Low, REPLICATION, NOT_YET, "Wait between slot connection retries, in milliseconds."),
    row("status.update.interval.ms", Int, Value("10000"), Medium, REPLICATION, YES, "How often to send the server replication feedback, in milliseconds."),
    row("lsn.flush.timeout.ms", Long, Value("30000"), Medium, REPLICATION, NOT_YET, "How long flushing an LSN to the slot may take, in milliseconds."),
    row("lsn.flush.timeout.action", Str, Value("fail"), Medium, REPLICATION, NOT_YET, "What to do when an LSN flush times out: fail, warn or ignore."),
    row("xmin.fetch.interval.ms", Long, Value("0"), Medium, REPLICATION, NOT_YET, "How often to read the slot's xmin, in milliseconds; 0 never."),
    row("offset.mismatch.strategy", Str, Value("no_validation"), Low, REPLICATION, REFUSED, "How to reconcile the stored offset with the slot's position."),
    row("tributary.pgoutput.binary", Boolean, Value("true"), Low, REPLICATION, YES, "Tributary: ask pgoutput for binary values (PostgreSQL 14+); events are the same."),
    row("tributary.replication.timeout.ms", Long, Value("60000"), Medium, REPLICATION, YES, "Tributary: how long the replication connection may stay silent before it is dropped and opened again, in milliseconds (0: never; else 1000 to 86400000). After half of it without a message the connector asks the server for a reply; a frozen server or a dead network path then leads to a reconnect instead of a task that waits forever."),
    row("tributary.stall.warning.ms", Long, Value("60000"), Medium, REPLICATION, YES, "Tributary: when no change was delivered for this long while the server's WAL moved past the slot's confirmed position, the task's status (trace of the RUNNING task) and the log say the task is stalled, in milliseconds (0: never; else 1000 to 86400000; at least twice status.update.interval.ms is used)."),
    // FILTERS
    row("table.include.list", List, Null, High, FILTERS, YES, "Regular expressions of schema.table names to capture."),
    row("table.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of schema.table names not to capture."),
    row("table.ignore.builtin", Boolean, Value("true"), Low, FILTERS, NOT_YET, "Ignore system tables."),
    row("column.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of schema.table.column names to leave out of events."),
    row("column.include.list", List, Null, Medium, FILTERS, YES, "Regular expressions of schema.table.column names to keep in events."),
    row("schema.include.list", List, Null, High, FILTERS, YES, "Regular expressions of schema names to capture."),
    row("schema.exclude.list", List, Null, Medium, FILTERS, YES, "Regular expressions of schema names not to capture."),
    // CONNECTOR_SNAPSHOT
    row("snapshot.mode", Str, Value("initial"), Medium, SNAPSHOT, YES, "When to snapshot: initial, initial_only, no_data, always, when_needed (configuration_based and custom are not supported)."),
    row("snapshot.isolation.mode", Str, Value("serializable"), Low, SNAPSHOT, REFUSED, "Isolation level of the snapshot transaction."),
    row("snapshot.query.mode", Str, Value("select_all"), Low, SNAPSHOT, REFUSED, "How snapshot queries are built: select_all or custom."),
    row("snapshot.query.mode.custom.name", Str, Null, Medium, SNAPSHOT, REFUSED, "Name of the custom snapshot query implementation."),
    row("snapshot.locking.mode", Str, Value("none"), Low, SNAPSHOT, REFUSED, "Table locks taken during the snapshot: none, shared or custom."),
    row("snapshot.locking.mode.custom.name", Str, Null, Medium, SNAPSHOT, REFUSED, "Name of the custom snapshot locking implementation."),
    row("incremental.snapshot.chunk.size", Int, Value("1024"), Medium, SNAPSHOT, NOT_YET, "Rows read per chunk of an incremental snapshot."),
    row("snapshot.delay.ms", Long, Value("0"), Low, SNAPSHOT, NOT_YET, "Wait before the snapshot starts, in milliseconds."),
    row("snapshot.fetch.size", Int, Value("10240"), Medium, SNAPSHOT, YES, "Rows read at a time from each table during the snapshot."),
    row("snapshot.include.collection.list", List, Null, Medium, SNAPSHOT, REFUSED, "Regular expressions of the captured tables to snapshot."),
    row("snapshot.mode.custom.name", Str, Null, Medium, SNAPSHOT, REFUSED, "Name of the custom snapshot mode implementation."),
    row("snapshot.mode.configuration.based.snapshot.data", Boolean, Value("false"), Medium, SNAPSHOT, REFUSED, "With snapshot.mode=configuration_based: snapshot the data."),
    row("snapshot.mode.configuration.based.snapshot.schema", Boolean, Value("false"), Medium, SNAPSHOT, REFUSED, "With snapshot.mode=configuration_based: snapshot the schema."),
    row("snapshot.mode.configuration.based.start.stream", Boolean, Value("false"), Medium, SNAPSHOT, REFUSED, "With snapshot.mode=configuration_based: stream after the snapshot."),
    row("snapshot.mode.configuration.based.snapshot.on.schema.error", Boolean, Value("false"), Medium, SNAPSHOT, REFUSED, "With snapshot.mode=configuration_based: snapshot the schema again when it is invalid."),
    row("snapshot.mode.configuration.based.snapshot.on.data.error", Boolean, Value("false"), Medium, SNAPSHOT, REFUSED, "With snapshot.mode=configuration_based: snapshot the data again when the stored position is gone."),
    row("snapshot.max.threads", Int, Value("1"), Medium, SNAPSHOT, YES, "Tables snapshotted in parallel."),
    row("snapshot.max.threads.multiplier", Int, Value("1"), Medium, SNAPSHOT, NOT_YET, "Chunks per snapshot thread for parallel chunked snapshots."),
    row("legacy.snapshot.max.threads", Boolean, Value("false"), Low, SNAPSHOT, NOT_YET, "Use Debezium's older table-per-thread snapshot instead of chunks."),
    row("streaming.delay.ms", Long, Value("0"), Low, SNAPSHOT, NOT_YET, "Wait between the snapshot and streaming, in milliseconds."),
    row("query.fetch.size", Int, Value("0"), Medium, SNAPSHOT, NOT_YET, "Rows fetched at a time by other queries; 0 the driver's default."),
    row("incremental.snapshot.watermarking.strategy", Str, Value("insert_insert"), Low, SNAPSHOT, NOT_YET, "How incremental snapshot windows are marked: insert_insert or insert_delete."),
    row("snapshot.lock.timeout.ms", Long, Value("10000"), Medium, SNAPSHOT, NOT_YET, "How long to wait for snapshot table locks, in milliseconds."),
    row("snapshot.select.statement.overrides", Str, Null, Medium, SNAPSHOT, REFUSED, "Tables whose snapshot query is given by snapshot.select.statement.overrides.<schema>.<table>."),
    row("snapshot.tables.order.by.row.count", Str, Value("disabled"), Low, SNAPSHOT, NOT_YET, "Snapshot tables by row count: disabled, ascending or descending."),
    // CONNECTOR
    row("topic.prefix", Str, Required, High, CONNECTOR, YES, "Prefix of every topic name; must not change once set."),
    row("tombstones.on.delete", Boolean, Value("true"), Medium, CONNECTOR, YES, "Follow each delete event with a tombstone."),
    row("extended.headers.enabled", Boolean, Value("true"), Low, CONNECTOR, YES, "Add Debezium's context headers to every record: __debezium.context.connectorLogicalName (topic.prefix), __debezium.context.taskId, __debezium.context.connectorName and __debezium.context.runId (a UUID per task start)."),
    row("binary.handling.mode", Str, Value("bytes"), Low, CONNECTOR, YES, "How binary columns appear: bytes, base64, base64-url-safe or hex."),
    row("schema.name.adjustment.mode", Str, Value("none"), Low, CONNECTOR, REFUSED, "How schema names are made valid: none, avro or avro_unicode."),
    row("field.name.adjustment.mode", Str, Value("none"), Low, CONNECTOR, REFUSED, "How field names are made valid: none, avro or avro_unicode."),
    row("event.converting.failure.handling.mode", Str, Value("warn"), Medium, CONNECTOR, NOT_YET, "What to do with a value that cannot be converted: fail, warn or skip."),
    row("decimal.handling.mode", Str, Value("precise"), Medium, CONNECTOR, YES, "How numeric columns appear: precise, double or string."),
    row("time.precision.mode", Str, Value("adaptive"), Medium, CONNECTOR, YES, "How temporal columns appear: adaptive, adaptive_time_microseconds, connect, isostring, microseconds or nanoseconds."),
    row("include.schema.comments", Boolean, Value("false"), Medium, CONNECTOR, REFUSED, "Put table and column comments into schemas."),
    row("hstore.handling.mode", Str, Value("json"), Low, CONNECTOR, YES, "How hstore columns appear: json or map."),
    row("interval.handling.mode", Str, Value("numeric"), Low, CONNECTOR, YES, "How interval columns appear: numeric or string."),
    row("message.prefix.include.list", List, Null, Medium, CONNECTOR, NOT_YET, "Regular expressions of logical decoding message prefixes to emit."),
    row("message.prefix.exclude.list", List, Null, Medium, CONNECTOR, NOT_YET, "Regular expressions of logical decoding message prefixes not to emit."),
    row("publish.via.partition.root", Boolean, Value("false"), Medium, CONNECTOR, REFUSED, "Send changes of partitions to the partitioned table's topic."),
    row("lsn.flush.mode", Str, Value("connector"), Low, CONNECTOR, NOT_YET, "Who confirms LSNs to the slot: manual, connector or connector_and_driver."),
    row("flush.lsn.source", Boolean, Value("true"), Low, CONNECTOR, NOT_YET, "Deprecated for lsn.flush.mode: whether the connector confirms LSNs."),
    row("unavailable.value.placeholder", Str, Value("__debezium_unavailable_value"), Medium, CONNECTOR, YES, "Stands for unchanged TOAST values that the server did not send."),
    row("skipped.operations", List, Value("t"), Low, CONNECTOR, YES, "Operations not emitted: a list of c, u, d, t, or none."),
    row("money.fraction.digits", Short, Value("2"), Low, CONNECTOR, YES, "Digits after the point of money values in decimal form."),
    row("topic.naming.strategy", Class, Value("io.debezium.schema.SchemaTopicNamingStrategy"), Medium, CONNECTOR, REFUSED, "Class that names topics; Tributary uses <topic.prefix>.<schema>.<table>."),
    row("topic.delimiter", Str, Value("."), Medium, CONNECTOR, REFUSED, "Separator between the parts of topic names."),
    row("topic.cache.size", Int, Value("10000"), Medium, CONNECTOR, NOT_YET, "Topic names kept in memory."),
    row("topic.transaction", Str, Value("transaction"), Medium, CONNECTOR, YES, "Suffix of the transaction metadata topic."),
    row("notification.sink.topic.name", Str, Null, Medium, CONNECTOR, NOT_YET, "Topic of notifications when the sink channel is enabled."),
    row("custom.metric.tags", List, Null, Low, CONNECTOR, NOT_YET, "Extra key=value tags on the connector's metrics."),
    // CONNECTOR_ADVANCED
    row("schema.refresh.mode", Str, Value("columns_diff"), Medium, CONNECTOR_ADVANCED, NOT_YET, "When table schemas are refreshed: columns_diff or columns_diff_exclude_unchanged_toast."),
    row("include.unknown.datatypes", Boolean, Value("false"), Medium, CONNECTOR_ADVANCED, YES, "Emit columns of unknown types as bytes instead of leaving them out."),
    row("message.key.columns", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns that form the message key, per table: <schema.table regex>:<column>,<column>;..."),
    row("column.mask.hash.([^.]+).with.salt.(.+)", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns replaced by a salted hash of their value."),
    row("column.mask.with.(d+).chars", Str, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns replaced by that many asterisks."),
    row("column.truncate.to.(d+).chars", Int, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns cut to that many characters."),
    row("column.propagate.source.type", List, Null, Medium, CONNECTOR_ADVANCED, YES, "Columns whose schema parameters carry the source type."),
    row("datatype.propagate.source.type", List, Null, Medium, CONNECTOR_ADVANCED, YES, "Data types whose columns' schema parameters carry the source type."),
    row("provide.transaction.metadata", Boolean, Value("false"), Low, CONNECTOR_ADVANCED, YES, "Emit transaction boundaries and add transaction blocks to events."),
    row("converters", Str, Null, Low, CONNECTOR_ADVANCED, REFUSED, "Aliases of custom column converters."),
    row("post.processors", Str, Null, Low, CONNECTOR_ADVANCED, REFUSED, "Aliases of post processors applied to events."),
    row("incremental.snapshot.allow.schema.changes", Boolean, Value("false"), Low, CONNECTOR_ADVANCED, NOT_YET, "Let incremental snapshots continue across schema changes."),
    row("signal.data.collection", Str, Null, Medium, CONNECTOR_ADVANCED, NOT_YET, "The schema.table of the signal table."),
    row("signal.enabled.channels", List, Value("source"), Medium, CONNECTOR_ADVANCED, NOT_YET, "Channels signals are read from: source, kafka, file, jmx."),
    row("signal.kafka.topic", Str, Null, Medium, CONNECTOR_ADVANCED, NOT_YET, "Topic of the kafka signal channel."),
    row("signal.kafka.bootstrap.servers", Str, Null, Medium, CONNECTOR_ADVANCED, NOT_YET, "Brokers of the kafka signal channel."),
    row("signal.file", Str, Null, Medium, CONNECTOR_ADVANCED, NOT_YET, "File of the file signal channel."),
    row("notification.enabled.channels", List, Null, Medium, CONNECTOR_ADVANCED, NOT_YET, "Channels notifications go to: sink, log, jmx."),
    row("read.only", Boolean, Value("false"), Low, CONNECTOR_ADVANCED, NOT_YET, "Run incremental snapshots without writing to the database."),
    row("sourceinfo.struct.maker", Class, Null, Low, CONNECTOR_ADVANCED, REFUSED, "Class that builds the source block of events."),
    // ADVANCED
    row("retriable.restart.connector.wait.ms", Long, Value("10000"), Low, ADVANCED, NOT_YET, "Wait before restarting after a retriable error, in milliseconds."),
    row("max.queue.size", Int, Value("8192"), Medium, ADVANCED, YES, "Most events held between the database and the producer; larger than max.batch.size."),
    row("max.batch.size", Int, Value("2048"), Medium, ADVANCED, YES, "Most events handed on at once."),
    row("poll.interval.ms", Long, Value("500"), Medium, ADVANCED, YES, "Longest wait for new events, in milliseconds; Tributary hands events on as soon as they are ready."),
    row("max.queue.size.in.bytes", Long, Value("0"), Medium, ADVANCED, YES, "Most bytes held between the database and the producer; 0 no limit."),
    row("event.processing.failure.handling.mode", Str, Value("fail"), Medium, ADVANCED, NOT_YET, "What to do with an event that cannot be processed: fail, warn or skip."),
    row("errors.max.retries", Int, Value("-1"), Low, ADVANCED, NOT_YET, "Restarts after retriable errors; -1 without limit, 0 none."),
    row("guardrail.collections.max", Int, Value("0"), Medium, ADVANCED, NOT_YET, "Most tables captured; 0 no limit."),
    row("guardrail.collections.limit.action", Str, Value("warn"), Medium, ADVANCED, NOT_YET, "What to do above guardrail.collections.max: warn or fail."),
    row("custom.sanitize.pattern", Str, Null, Low, ADVANCED, NOT_YET, "Regular expression of property names whose values are never logged."),
    row("statistics.metrics.enabled", Boolean, Value("true"), Medium, ADVANCED, NOT_YET, "Collect statistics metrics."),
    // ADVANCED_HEARTBEAT
    row("heartbeat.interval.ms", Int, Value("0"), Medium, HEARTBEAT, YES, "How often to emit heartbeat events, in milliseconds; 0 never."),
    row("topic.heartbeat.prefix", Str, Value("__debezium-heartbeat"), Low, HEARTBEAT, YES, "Prefix of the heartbeat topic."),
    row("heartbeat.action.query", Str, Null, Medium, HEARTBEAT, YES, "SQL run on each heartbeat."),
    row("signal.poll.interval.ms", Long, Value("5000"), Medium, HEARTBEAT, NOT_YET, "How often to poll signal channels, in milliseconds."),
];

/// The PostgreSQL connector's config definition.
pub fn config_def() -> ConfigDef {
    cdc_core::configdef::table::config_def(ROWS)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cdc_core::config::{is_secret, ConfigMap, ConfigReader, HIDDEN};
    use cdc_core::configdef::{validate, UNSUPPORTED_PREFIX};

    use super::*;
    use crate::PostgresConfig;

    const CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";

    fn base() -> ConfigMap {
        [
            ("name", "inventory"),
            ("connector.class", CLASS),
            ("database.hostname", "localhost"),
            ("database.user", "postgres"),
            ("database.password", "hunter2"),
            ("database.dbname", "inventory"),
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
        let _ = PostgresConfig::read(&map, &mut reader);
        let read: BTreeSet<&str> = reader.names_read().iter().map(String::as_str).collect();
        assert!(read.len() > 30, "{read:?}");
        for name in read {
            let key = def
                .key(name)
                .unwrap_or_else(|| panic!("{name} is not in config_def()"));
            assert!(key.supported, "{name} is read but marked unsupported");
        }
    }

    #[test]
    fn every_supported_default_is_what_from_map_uses() {
        let plain = format!("{:?}", PostgresConfig::from_map(&base()).unwrap());
        for key in config_def().keys().iter().filter(|k| k.supported) {
            let Some(default) = &key.default else {
                continue;
            };
            let mut map = base();
            map.insert(key.name.clone(), default.clone());
            let with_default = PostgresConfig::from_map(&map)
                .unwrap_or_else(|e| panic!("{}={default}: {e}", key.name));
            assert_eq!(format!("{with_default:?}"), plain, "{}={default}", key.name);
        }
    }

    #[test]
    fn keys_are_unique_documented_and_unsupported_ones_say_so() {
        let def = config_def();
        let names: BTreeSet<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names.len(), def.keys().len());
        for k in def.keys() {
            assert!(k.documentation.ends_with('.'), "{}", k.name);
            assert_eq!(
                k.documentation.starts_with(UNSUPPORTED_PREFIX),
                !k.supported,
                "{}",
                k.name
            );
            assert!(k.group.is_some() && k.order_in_group >= 1, "{}", k.name);
        }
        assert_eq!(
            def.key("database.password").unwrap().config_type,
            ConfigType::Password
        );
        assert!(def.key("database.hostname").unwrap().required);
        // Every PASSWORD key is also a secret by name, so keep_hidden (which has no def)
        // restores it.
        for k in def
            .keys()
            .iter()
            .filter(|k| k.config_type == ConfigType::Password)
        {
            assert!(is_secret(&k.name), "{}", k.name);
        }
    }

    #[test]
    fn unsupported_and_unknown_properties_are_ignored_framework_ones_are_not() {
        let mut map = base();
        for (k, v) in [
            ("signal.data.collection", "public.signals"),
            ("no.such.property", "x"),
            ("transforms", "unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("key.converter.schemas.enable", "false"),
            ("errors.tolerance", "all"),
            ("database.server.name", "legacy"),
        ] {
            map.insert(k.to_owned(), v.to_owned());
        }
        let cfg = PostgresConfig::from_map(&map).unwrap();
        assert_eq!(cfg.ignored, ["no.such.property", "signal.data.collection"]);
    }

    #[test]
    fn validate_output_for_the_postgres_connector() {
        let mut map = base();
        map.remove("database.hostname");
        map.insert("snapshot.mode".into(), "sometimes".into());
        map.insert("signal.data.collection".into(), "public.signals".into());
        let problems = PostgresConfig::from_map(&map).unwrap_err().0;
        assert_eq!(problems.len(), 2);
        let infos = validate(&config_def(), CLASS, &map, &problems);
        assert_eq!(infos["error_count"], 2, "{infos:#}");
        let text = infos.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        let password = infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == "database.password")
            .unwrap();
        assert_eq!(password["value"]["value"], HIDDEN);
        assert_eq!(password["definition"]["group"], "CONNECTION");
        assert_eq!(
            infos["warnings"][0],
            "signal.data.collection is not supported yet by Tributary and is ignored"
        );
    }
}
