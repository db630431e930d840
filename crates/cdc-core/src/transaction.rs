//! Debezium's transaction metadata (`provide.transaction.metadata`) and heartbeats, common to
//! every connector:
//!
//! * BEGIN and END events on `<topic.prefix>.transaction`, key
//!   `io.debezium.connector.common.TransactionMetadataKey {id}`, value
//!   `io.debezium.connector.common.TransactionMetadataValue {status, id, event_count,
//!   data_collections: [event.collection {data_collection, event_count}], ts_ms}`;
//! * the `transaction` block of each change event, `event.block {id, total_order,
//!   data_collection_order}` ([`TransactionMonitor`] numbers the events);
//! * heartbeat records on `<topic.heartbeat.prefix>.<topic.prefix>`, key
//!   `io.debezium.connector.common.ServerNameKey {serverName}`, value
//!   `io.debezium.connector.common.Heartbeat {ts_ms}`.

use std::sync::{Arc, LazyLock};

use crate::config::ConfigReader;
use crate::envelope::TransactionBlock;
use crate::record::{Data, Record};
use crate::schema::Schema;
use crate::value::Value;

static KEY_SCHEMA: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::structure("io.debezium.connector.common.TransactionMetadataKey")
            .field("id", Schema::string())
            .version(1),
    )
});

static VALUE_SCHEMA: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    let collection = Schema::structure("event.collection")
        .field("data_collection", Schema::string())
        .field("event_count", Schema::int64())
        .optional()
        .version(1);
    Arc::new(
        Schema::structure("io.debezium.connector.common.TransactionMetadataValue")
            .field("status", Schema::string())
            .field("id", Schema::string())
            .field("event_count", Schema::int64().optional())
            .field("data_collections", Schema::array(collection).optional())
            .field("ts_ms", Schema::int64())
            .version(1),
    )
});

static HEARTBEAT_KEY: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::structure("io.debezium.connector.common.ServerNameKey")
            .field("serverName", Schema::string())
            .version(1),
    )
});

static HEARTBEAT_VALUE: LazyLock<Arc<Schema>> = LazyLock::new(|| {
    Arc::new(
        Schema::structure("io.debezium.connector.common.Heartbeat")
            .field("ts_ms", Schema::int64())
            .version(1),
    )
});

/// The transaction metadata value schema.
pub fn transaction_value_schema() -> Arc<Schema> {
    VALUE_SCHEMA.clone()
}

/// The BEGIN record of transaction `id` committed at `ts_ms`.
pub fn begin_record(topic: &Arc<str>, id: &str, ts_ms: i64) -> Record {
    metadata_record(topic, "BEGIN", id, None, ts_ms)
}

/// The END record: `collections` are (`schema.table`, events) in first-seen order.
pub fn end_record(topic: &Arc<str>, id: &str, collections: &[(String, i64)], ts_ms: i64) -> Record {
    metadata_record(topic, "END", id, Some(collections), ts_ms)
}

fn metadata_record(
    topic: &Arc<str>,
    status: &str,
    id: &str,
    collections: Option<&[(String, i64)]>,
    ts_ms: i64,
) -> Record {
    let (count, list) = match collections {
        Some(c) => (
            Value::Int64(c.iter().map(|(_, n)| n).sum()),
            Value::Array(
                c.iter()
                    .map(|(name, n)| {
                        Value::Struct(vec![Value::from(name.as_str()), Value::Int64(*n)])
                    })
                    .collect(),
            ),
        ),
        None => (Value::Null, Value::Null),
    };
    Record {
        topic: topic.clone(),
        key: Some(Data::new(
            KEY_SCHEMA.clone(),
            Value::Struct(vec![Value::from(id)]),
        )),
        value: Some(Data::new(
            VALUE_SCHEMA.clone(),
            Value::Struct(vec![
                Value::from(status),
                Value::from(id),
                count,
                list,
                Value::Int64(ts_ms),
            ]),
        )),
        headers: Vec::new(),
        timestamp_ms: ts_ms,
    }
}

/// A heartbeat record for connector `server_name` (its `topic.prefix`).
pub fn heartbeat_record(topic: &Arc<str>, server_name: &str, ts_ms: i64) -> Record {
    Record {
        topic: topic.clone(),
        key: Some(Data::new(
            HEARTBEAT_KEY.clone(),
            Value::Struct(vec![Value::from(server_name)]),
        )),
        value: Some(Data::new(
            HEARTBEAT_VALUE.clone(),
            Value::Struct(vec![Value::Int64(ts_ms)]),
        )),
        headers: Vec::new(),
        timestamp_ms: ts_ms,
    }
}

/// The transaction-metadata and heartbeat settings every Debezium connector reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSettings {
    /// `provide.transaction.metadata`.
    pub provide_transaction_metadata: bool,
    /// `<topic.prefix>.<topic.transaction>` (suffix `transaction`).
    pub transaction_topic: String,
    /// `heartbeat.interval.ms` when above 0.
    pub heartbeat_interval: Option<std::time::Duration>,
    /// `<topic.heartbeat.prefix>.<topic.prefix>` (prefix `__debezium-heartbeat`).
    pub heartbeat_topic: String,
    /// `heartbeat.action.query`, run on each heartbeat.
    pub heartbeat_action_query: Option<String>,
}

impl MetadataSettings {
    pub fn read(r: &mut ConfigReader<'_>, topic_prefix: &str) -> MetadataSettings {
        let provide_transaction_metadata = r.bool("provide.transaction.metadata", false);
        let transaction_topic = format!(
            "{topic_prefix}.{}",
            r.string("topic.transaction", "transaction")
        );
        let heartbeat_ms = r.int("heartbeat.interval.ms", 0, 0, i64::from(i32::MAX));
        let heartbeat_topic = format!(
            "{}.{topic_prefix}",
            r.string("topic.heartbeat.prefix", "__debezium-heartbeat")
        );
        MetadataSettings {
            provide_transaction_metadata,
            transaction_topic,
            heartbeat_interval: u64::try_from(heartbeat_ms)
                .ok()
                .filter(|&ms| ms > 0)
                .map(std::time::Duration::from_millis),
            heartbeat_topic,
            heartbeat_action_query: r
                .optional_string("heartbeat.action.query")
                .filter(|q| !q.trim().is_empty()),
        }
    }
}

/// Numbers the events of the open transaction (Debezium's `TransactionMonitor`): the BEGIN is
/// due before the first event, each event gets its `transaction` block, the END lists the
/// events per data collection.
#[derive(Debug, Default)]
pub struct TransactionMonitor {
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    id: String,
    ts_ms: i64,
    begun: bool,
    total: i64,
    collections: Vec<(String, i64)>,
}

impl TransactionMonitor {
    /// A transaction starts. `begun` is true when its BEGIN is already durable (a restart in
    /// the middle of the transaction).
    pub fn start(&mut self, id: String, ts_ms: i64, begun: bool) {
        self.open = Some(Open {
            id,
            ts_ms,
            begun,
            total: 0,
            collections: Vec::new(),
        });
    }

    /// Replaces the open transaction's id. Debezium's PostgreSQL id is `<xid>:<lsn>` with the
    /// position of the moment: the first event's for the BEGIN, each event's own for its
    /// block, the commit's for the END.
    pub fn set_id(&mut self, id: String) {
        if let Some(open) = &mut self.open {
            open.id = id;
        }
    }

    /// An event of `collection` (`schema.table`): the BEGIN record to write first (once), and
    /// the event's block. `None` outside a transaction.
    pub fn event(
        &mut self,
        topic: &Arc<str>,
        collection: &str,
    ) -> (Option<Record>, Option<TransactionBlock>) {
        let Some(open) = &mut self.open else {
            return (None, None);
        };
        let begin = (!open.begun).then(|| {
            open.begun = true;
            begin_record(topic, &open.id, open.ts_ms)
        });
        open.total += 1;
        let order = match open.collections.iter_mut().find(|(c, _)| c == collection) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                open.collections.push((collection.to_owned(), 1));
                1
            }
        };
        (
            begin,
            Some(TransactionBlock {
                id: open.id.clone(),
                total_order: open.total,
                data_collection_order: order,
            }),
        )
    }

    /// The transaction commits: its END record, if its BEGIN was written.
    pub fn end(&mut self, topic: &Arc<str>) -> Option<Record> {
        let open = self.open.take()?;
        open.begun
            .then(|| end_record(topic, &open.id, &open.collections, open.ts_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonConverter;

    fn plain(r: &Record) -> serde_json::Value {
        let c = JsonConverter {
            schemas_enable: false,
            ..Default::default()
        };
        serde_json::from_slice(&c.to_bytes(r.value.as_ref()).unwrap()).unwrap()
    }

    #[test]
    fn a_transaction_is_numbered_and_framed_as_debezium_does() {
        let topic: Arc<str> = "p.transaction".into();
        let mut m = TransactionMonitor::default();
        assert_eq!(m.event(&topic, "public.a").1, None, "no transaction open");
        m.start("571:100".into(), 1_700_000_000_000, false);
        let (begin, b1) = m.event(&topic, "public.a");
        let begin = begin.expect("BEGIN before the first event");
        assert_eq!(
            plain(&begin),
            serde_json::json!({"status": "BEGIN", "id": "571:100", "event_count": null,
                "data_collections": null, "ts_ms": 1_700_000_000_000i64})
        );
        assert_eq!(b1.unwrap().total_order, 1);
        let (none, b2) = m.event(&topic, "public.b");
        assert!(none.is_none(), "one BEGIN per transaction");
        let b2 = b2.unwrap();
        assert_eq!((b2.total_order, b2.data_collection_order), (2, 1));
        let b3 = m.event(&topic, "public.a").1.unwrap();
        assert_eq!(
            (b3.id.as_str(), b3.total_order, b3.data_collection_order),
            ("571:100", 3, 2)
        );
        let end = m.end(&topic).unwrap();
        assert_eq!(
            plain(&end),
            serde_json::json!({"status": "END", "id": "571:100", "event_count": 3,
                "data_collections": [{"data_collection": "public.a", "event_count": 2},
                                     {"data_collection": "public.b", "event_count": 1}],
                "ts_ms": 1_700_000_000_000i64})
        );
        assert_eq!(
            end.key.unwrap().schema.name.as_deref(),
            Some("io.debezium.connector.common.TransactionMetadataKey")
        );
        assert!(m.end(&topic).is_none());
        // A transaction with no captured event writes neither BEGIN nor END.
        m.start("572:200".into(), 0, false);
        assert!(m.end(&topic).is_none());
    }

    #[test]
    fn heartbeats_carry_the_server_name_and_time() {
        let r = heartbeat_record(&"__debezium-heartbeat.p".into(), "p", 42);
        assert_eq!(plain(&r), serde_json::json!({"ts_ms": 42}));
        assert_eq!(
            r.value.unwrap().schema.name.as_deref(),
            Some("io.debezium.connector.common.Heartbeat")
        );
    }
}
