use super::*;
use cdc_core::config::ConfigMap;
use cdc_core::SchemaAndValue;

use crate::jdbc::config::{InsertMode, PrimaryKeyMode, CONFLUENT_CLASS, DEBEZIUM_CLASS};
use crate::jdbc::dialect::Dialect;

fn config(class: &str, pairs: &[(&str, &str)]) -> JdbcSinkConfig {
    let mut m: ConfigMap = [
        ("connection.url", "jdbc:postgresql://db/target"),
        ("connection.username", "u"),
        ("connection.user", "u"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if class == CONFLUENT_CLASS {
        m.remove("connection.username");
    } else {
        m.remove("connection.user");
    }
    m.extend(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    JdbcSinkConfig::from_map(class, &m).unwrap()
}

fn dbz(pairs: &[(&str, &str)]) -> JdbcSinkConfig {
    config(DEBEZIUM_CLASS, pairs)
}

fn row_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure("srv.public.t.Value")
            .field("id", Schema::int32())
            .field("Name", Schema::string().optional()),
    )
}

fn key_schema() -> Arc<Schema> {
    Arc::new(Schema::structure("srv.public.t.Key").field("id", Schema::int32()))
}

fn envelope_schema() -> Arc<Schema> {
    let row = row_schema();
    let source = Schema::structure("io.debezium.connector.postgresql.Source")
        .field("schema", Schema::string())
        .field("table", Schema::string());
    Arc::new(
        Schema::structure("srv.public.t.Envelope")
            .field("before", (*row).clone().optional())
            .field("after", (*row).clone().optional())
            .field("source", source)
            .field("op", Schema::string()),
    )
}

fn row(id: i32, name: &str) -> Value {
    Value::Struct(vec![Value::Int32(id), name.into()])
}

fn envelope(op: &str, before: Value, after: Value) -> SinkRecord {
    SinkRecord {
        topic: "srv.public.t".into(),
        partition: 0,
        offset: 7,
        timestamp_ms: None,
        key: Some(SchemaAndValue {
            schema: Some(key_schema()),
            value: Value::Struct(vec![Value::Int32(1)]),
        }),
        value: Some(SchemaAndValue {
            schema: Some(envelope_schema()),
            value: Value::Struct(vec![
                before,
                after,
                Value::Struct(vec!["public".into(), "orders".into()]),
                op.into(),
            ]),
        }),
        headers: Vec::new(),
        origin: None,
    }
}

fn flat(value: Option<Value>) -> SinkRecord {
    let mut r = envelope("c", Value::Null, Value::Null);
    r.value = value.map(|v| SchemaAndValue {
        schema: Some(row_schema()),
        value: v,
    });
    r
}

fn change(m: Result<Mapped, RecordError>) -> RowChange {
    match m.unwrap() {
        Mapped::Change(c) => c,
        other => panic!("{other:?}"),
    }
}

fn names(cols: &[Column]) -> Vec<&str> {
    cols.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn create_read_and_update_write_after() {
    let cfg = dbz(&[
        ("insert.mode", "upsert"),
        ("primary.key.mode", "record_key"),
    ]);
    let mapper = RecordMapper::new(&cfg);
    for op in ["c", "r", "u"] {
        let c = change(mapper.map(&envelope(op, Value::Null, row(1, "a"))));
        assert_eq!(c.table.to_string(), "srv_public_t");
        let RowOp::Write(row) = c.op else {
            panic!("{op}")
        };
        assert_eq!(names(&row.key), ["id"]);
        assert_eq!(names(&row.values), ["name"], "folded to lower case");
        assert_eq!(row.key[0].value, SqlValue::I32(1));
        assert_eq!(row.values[0].value, SqlValue::Text("a".into()));
    }
    assert_eq!(cfg.insert_mode, InsertMode::Upsert);
}

#[test]
fn deletes_use_the_record_key_when_enabled() {
    let cfg = dbz(&[
        ("primary.key.mode", "record_key"),
        ("delete.enabled", "true"),
    ]);
    let mapper = RecordMapper::new(&cfg);
    let c = change(mapper.map(&envelope("d", row(1, "a"), Value::Null)));
    let RowOp::Delete(key) = c.op else { panic!() };
    assert_eq!(names(&key.key), ["id"]);
    assert!(key.values.is_empty());
    // A tombstone is a delete too.
    let c = change(mapper.map(&flat(None)));
    assert!(matches!(c.op, RowOp::Delete(_)));
    // And so is a flat record with a null value.
    let c = change(mapper.map(&flat(Some(Value::Null))));
    assert!(matches!(c.op, RowOp::Delete(_)));
}

#[test]
fn deletes_and_truncates_are_skipped_when_disabled() {
    let cfg = dbz(&[]);
    let mapper = RecordMapper::new(&cfg);
    assert_eq!(
        mapper.map(&envelope("d", row(1, "a"), Value::Null)),
        Ok(Mapped::Skip(Skip::DeletesDisabled))
    );
    assert_eq!(
        mapper.map(&flat(None)),
        Ok(Mapped::Skip(Skip::DeletesDisabled))
    );
    assert_eq!(
        mapper.map(&envelope("t", Value::Null, Value::Null)),
        Ok(Mapped::Skip(Skip::TruncatesDisabled))
    );
    assert_eq!(
        mapper.map(&envelope("m", Value::Null, Value::Null)),
        Ok(Mapped::Skip(Skip::Message))
    );
    let cfg = dbz(&[("truncate.enabled", "true")]);
    let c = change(RecordMapper::new(&cfg).map(&envelope("t", Value::Null, Value::Null)));
    assert_eq!(c.op, RowOp::Truncate);
}

#[test]
fn bad_envelopes() {
    let cfg = dbz(&[]);
    let mapper = RecordMapper::new(&cfg);
    assert_eq!(
        mapper.map(&envelope("x", Value::Null, Value::Null)),
        Err(RecordError::UnknownOp("x".into()))
    );
    assert_eq!(
        mapper.map(&envelope("u", Value::Null, Value::Null)),
        Err(RecordError::MissingAfter("u"))
    );
}

#[test]
fn schema_changes_heartbeats_and_transaction_metadata_are_skipped() {
    let mapper_cfg = dbz(&[]);
    let mapper = RecordMapper::new(&mapper_cfg);
    for (name, skip) in [
        (
            "io.debezium.connector.mysql.SchemaChangeValue",
            Skip::SchemaChange,
        ),
        ("io.debezium.connector.common.Heartbeat", Skip::Heartbeat),
        (
            "io.debezium.connector.common.TransactionMetadataValue",
            Skip::TransactionMetadata,
        ),
    ] {
        let mut r = flat(None);
        r.value = Some(SchemaAndValue {
            schema: Some(Arc::new(
                Schema::structure(name).field("x", Schema::int64()),
            )),
            value: Value::Struct(vec![Value::Int64(1)]),
        });
        assert_eq!(mapper.map(&r), Ok(Mapped::Skip(skip)), "{name}");
    }
}

#[test]
fn flat_records_write_the_whole_value() {
    let cfg = dbz(&[("quote.identifiers", "true")]);
    let c = change(RecordMapper::new(&cfg).map(&flat(Some(row(2, "b")))));
    let RowOp::Write(row) = c.op else { panic!() };
    assert!(row.key.is_empty());
    assert_eq!(names(&row.values), ["id", "Name"], "case kept when quoting");
}

#[test]
fn collection_from_source_fields() {
    let cfg = dbz(&[(
        "collection.name.format",
        "${source.schema}.${source.table}_m",
    )]);
    let c = change(RecordMapper::new(&cfg).map(&envelope("c", Value::Null, row(1, "a"))));
    assert_eq!(c.table.to_string(), "public.orders_m");
    let err = RecordMapper::new(&cfg)
        .map(&flat(Some(row(1, "a"))))
        .unwrap_err();
    assert!(matches!(
        err,
        RecordError::Collection(CollectionError::NoSource(_))
    ));
}

#[test]
fn kafka_and_record_value_keys() {
    let cfg = dbz(&[("primary.key.mode", "kafka")]);
    let c = change(RecordMapper::new(&cfg).map(&flat(Some(row(1, "a")))));
    let RowOp::Write(r) = c.op else { panic!() };
    assert_eq!(
        names(&r.key),
        ["__connect_topic", "__connect_partition", "__connect_offset"]
    );
    assert_eq!(r.key[2].value, SqlValue::I64(7));
    assert_eq!(names(&r.values), ["id", "name"]);

    let cfg = dbz(&[
        ("primary.key.mode", "record_value"),
        ("primary.key.fields", "id"),
    ]);
    let c = change(RecordMapper::new(&cfg).map(&envelope("c", Value::Null, row(1, "a"))));
    let RowOp::Write(r) = c.op else { panic!() };
    assert_eq!(
        (names(&r.key), names(&r.values)),
        (vec!["id"], vec!["name"])
    );
    assert_eq!(cfg.primary_key_mode, PrimaryKeyMode::RecordValue);
}

#[test]
fn field_filters() {
    let cfg = dbz(&[("field.exclude.list", "srv.public.t:Name")]);
    let c = change(RecordMapper::new(&cfg).map(&flat(Some(row(1, "a")))));
    let RowOp::Write(r) = c.op else { panic!() };
    assert_eq!(names(&r.values), ["id"]);

    let cfg = config(
        CONFLUENT_CLASS,
        &[("fields.whitelist", "Name"), ("pk.mode", "record_key")],
    );
    let c = change(RecordMapper::new(&cfg).map(&flat(Some(row(1, "a")))));
    let RowOp::Write(r) = c.op else { panic!() };
    assert_eq!(
        (names(&r.key), names(&r.values)),
        (vec!["id"], vec!["Name"])
    );
}

#[test]
fn confluent_is_flat_only() {
    let cfg = config(CONFLUENT_CLASS, &[]);
    let mapper = RecordMapper::new(&cfg);
    assert_eq!(
        mapper.map(&envelope("c", Value::Null, row(1, "a"))),
        Err(RecordError::ConfluentEnvelope)
    );
    assert_eq!(
        mapper.map(&flat(None)),
        Err(RecordError::ConfluentTombstone)
    );
    let c = change(mapper.map(&flat(Some(row(1, "a")))));
    // The verbatim topic is split on dots: database srv, schema public, table t.
    assert_eq!(c.table.to_string(), "srv.public.t");
    assert_eq!(c.table.database.as_ref().map(Ident::as_str), Some("srv"));
}

#[test]
fn schemaless_and_non_struct_values_are_refused() {
    let cfg = dbz(&[]);
    let mapper = RecordMapper::new(&cfg);
    let mut r = flat(None);
    r.value = Some(SchemaAndValue {
        schema: None,
        value: Value::Map(vec![]),
    });
    assert_eq!(mapper.map(&r), Err(RecordError::SchemalessValue));
    r.value = Some(SchemaAndValue {
        schema: Some(Arc::new(Schema::string())),
        value: "x".into(),
    });
    assert_eq!(mapper.map(&r), Err(RecordError::NotStructValue));
}

#[test]
fn names_that_collide_after_folding_are_refused() {
    let schema = Arc::new(
        Schema::structure("v")
            .field("id", Schema::int32())
            .field("ID", Schema::int32()),
    );
    let mut r = flat(None);
    r.value = Some(SchemaAndValue {
        schema: Some(schema),
        value: Value::Struct(vec![Value::Int32(1), Value::Int32(2)]),
    });
    let cfg = dbz(&[]);
    assert_eq!(
        RecordMapper::new(&cfg).map(&r),
        Err(RecordError::DuplicateColumn(
            "id".into(),
            "ID".into(),
            "id".into()
        ))
    );
}

#[test]
fn hostile_topic_and_field_names_become_identifiers() {
    let schema = Arc::new(Schema::structure("v").field("a\"; drop table x; --", Schema::int32()));
    let mut r = flat(None);
    r.topic = "x\"; DROP TABLE y; --".into();
    r.value = Some(SchemaAndValue {
        schema: Some(schema),
        value: Value::Struct(vec![Value::Int32(1)]),
    });
    let cfg = dbz(&[("quote.identifiers", "true")]);
    let c = change(RecordMapper::new(&cfg).map(&r));
    assert_eq!(
        Dialect::Postgres.quote_table(&c.table),
        "\"x\"\"; DROP TABLE y; --\""
    );
    let RowOp::Write(row) = c.op else { panic!() };
    assert_eq!(
        Dialect::Postgres.quote(&row.values[0].name),
        "\"a\"\"; drop table x; --\""
    );
}

#[test]
fn value_errors_name_the_field() {
    let schema = Arc::new(Schema::structure("v").field(
        "ts",
        Schema::string().named(cdc_core::schema::logical::ZONED_TIMESTAMP),
    ));
    let mut r = flat(None);
    r.value = Some(SchemaAndValue {
        schema: Some(schema),
        value: Value::Struct(vec!["not a time".into()]),
    });
    let cfg = dbz(&[]);
    let err = RecordMapper::new(&cfg).map(&r).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the field \"ts\": the io.debezium.time.ZonedTimestamp value \"not a time\" is not valid"
    );
}

#[test]
fn cloud_events_are_unwrapped() {
    let env = envelope("c", Value::Null, row(3, "c"));
    let inner = env.value.clone().unwrap();
    let ce_schema = Arc::new(
        Schema::structure("srv.public.t.CloudEvents.Envelope")
            .field("id", Schema::string())
            .field("data", (*inner.schema.unwrap()).clone()),
    );
    let mut r = env.clone();
    r.value = Some(SchemaAndValue {
        schema: Some(ce_schema),
        value: Value::Struct(vec!["e1".into(), inner.value]),
    });
    let cfg = dbz(&[]);
    let c = change(RecordMapper::new(&cfg).map(&r));
    let RowOp::Write(row) = c.op else { panic!() };
    assert_eq!(row.values[0].value, SqlValue::I32(3));
}
