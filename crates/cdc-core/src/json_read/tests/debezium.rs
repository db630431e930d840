//! Debezium's change event envelopes, with every logical type its connectors emit, read back
//! as written.

use std::sync::Arc;

use super::*;
use crate::envelope::{envelope_schema, envelope_value, Op, ProcessingTime, TransactionBlock};
use crate::schema::logical;

fn source_schema() -> Arc<Schema> {
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
                    .param("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
                    .default_value(s("false")),
            )
            .field("db", Schema::string())
            .field("txId", Schema::int64().optional())
            .field("lsn", Schema::int64().optional()),
    )
}

/// A row with every logical type Debezium's PostgreSQL and MySQL connectors emit.
fn row_schema() -> Arc<Schema> {
    let variable_scale = Schema::structure(logical::VARIABLE_SCALE_DECIMAL)
        .optional()
        .doc_text("Variable scaled decimal")
        .field("scale", Schema::int32())
        .field("value", Schema::bytes());
    Arc::new(
        Schema::structure("dbserver1.public.items.Value")
            .optional()
            .field("id", Schema::int32())
            .field("qty", Schema::int64().optional())
            .field(
                "price",
                Schema::bytes()
                    .named(logical::DECIMAL)
                    .version(1)
                    .param("scale", "2")
                    .param("connect.decimal.precision", "10"),
            )
            .field("amount", variable_scale)
            .field(
                "day",
                Schema::int32().named(logical::CONNECT_DATE).version(1),
            )
            .field(
                "at",
                Schema::int32().named(logical::CONNECT_TIME).version(1),
            )
            .field(
                "stamp",
                Schema::int64().named(logical::CONNECT_TIMESTAMP).version(1),
            )
            .field("d", Schema::int32().named(logical::DATE).version(1))
            .field("t", Schema::int64().named(logical::MICRO_TIME).version(1))
            .field("nt", Schema::int64().named(logical::NANO_TIME).version(1))
            .field(
                "ts",
                Schema::int64().named(logical::MICRO_TIMESTAMP).version(1),
            )
            .field(
                "nts",
                Schema::int64().named(logical::NANO_TIMESTAMP).version(1),
            )
            .field(
                "zts",
                Schema::string().named(logical::ZONED_TIMESTAMP).version(1),
            )
            .field(
                "ztime",
                Schema::string().named(logical::ZONED_TIME).version(1),
            )
            .field(
                "dur",
                Schema::float64().named(logical::MICRO_DURATION).version(1),
            )
            .field("iv", Schema::string().named(logical::INTERVAL).version(1))
            .field("y", Schema::int32().named(logical::YEAR).version(1))
            .field(
                "doc",
                Schema::string().optional().named(logical::JSON).version(1),
            )
            .field("x", Schema::string().named(logical::XML).version(1))
            .field("u", Schema::string().named(logical::UUID).version(1))
            .field(
                "e",
                Schema::string()
                    .named(logical::ENUM)
                    .version(1)
                    .param("allowed", "a,b"),
            )
            .field(
                "es",
                Schema::string()
                    .named(logical::ENUM_SET)
                    .version(1)
                    .param("allowed", "a,b"),
            )
            .field(
                "bits",
                Schema::bytes()
                    .named(logical::BITS)
                    .version(1)
                    .param("length", "12"),
            )
            .field("path", Schema::string().named(logical::LTREE).version(1))
            .field(
                "pt",
                Schema::structure(logical::POINT)
                    .version(1)
                    .optional()
                    .field("x", Schema::float64())
                    .field("y", Schema::float64())
                    .field("wkb", Schema::bytes().optional())
                    .field("srid", Schema::int32().optional()),
            ),
    )
}

trait DocText {
    fn doc_text(self, doc: &str) -> Self;
}

impl DocText for Schema {
    fn doc_text(mut self, doc: &str) -> Self {
        self.doc = Some(doc.into());
        self
    }
}

fn row_value(id: i32) -> Value {
    let price = crate::decimal::parse_decimal("-12345678.90")
        .expect("decimal")
        .0;
    let amount = crate::decimal::parse_decimal("3.14159").expect("decimal").0;
    Value::Struct(vec![
        Value::Int32(id),
        Value::Null,
        Value::Bytes(price),
        Value::Struct(vec![Value::Int32(5), Value::Bytes(amount)]),
        Value::Int32(19_000),
        Value::Int32(86_399_999),
        Value::Int64(1_700_000_000_123),
        Value::Int32(-719_528),
        Value::Int64(86_399_999_999),
        Value::Int64(1),
        Value::Int64(i64::MIN),
        Value::Int64(1_700_000_000_123_456_789),
        s("2024-01-02T03:04:05.123456Z"),
        s("10:11:12Z"),
        Value::Float64(3.6e9),
        s("P1Y2M3DT4H5M6.78S"),
        Value::Int32(2024),
        s(r#"{"a":[1,2,{"b":null}]}"#),
        s("<a>b</a>"),
        s("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        s("b"),
        s("a,b"),
        Value::Bytes(vec![0x0f, 0xff]),
        s("Top.Science"),
        Value::Struct(vec![
            Value::Float64(1.0),
            Value::Float64(2.0),
            Value::Bytes(vec![1, 2, 3]),
            Value::Null,
        ]),
    ])
}

#[test]
fn debezium_envelopes_round_trip_in_both_decimal_formats() {
    let schema = envelope_schema("dbserver1.public.items", row_schema(), source_schema());
    let source = Value::Struct(vec![
        s("3.6.1.Final"),
        s("postgresql"),
        s("dbserver1"),
        Value::Int64(1_700_000_000_000),
        Value::Null,
        s("inventory"),
        Value::Int64(767),
        Value::Int64(24_023_128),
    ]);
    let block = TransactionBlock {
        id: "767:24023128".into(),
        total_order: 3,
        data_collection_order: 1,
    };
    let ts = ProcessingTime {
        nanos: 1_700_000_000_123_456_789,
    };
    let update = envelope_value(
        Op::Update,
        Some(row_value(1)),
        Some(row_value(2)),
        source.clone(),
        Some(&block),
        ts,
    );
    let mut source_as_read = source.clone();
    if let Value::Struct(fields) = &mut source_as_read {
        // `snapshot` is null with a default: written, and so read, as its default.
        fields[4] = s("false");
    }
    let expected = envelope_value(
        Op::Update,
        Some(row_value(1)),
        Some(row_value(2)),
        source_as_read,
        Some(&block),
        ts,
    );
    for conv in [with_schemas(), numeric()] {
        let bytes = conv
            .to_bytes(Some(&Data::new(schema.clone(), update.clone())))
            .expect("bytes");
        let read = conv
            .reader()
            .to_connect("dbserver1.public.items", Some(&bytes))
            .expect("readable")
            .expect("a value");
        assert_eq!(read.schema.as_deref(), Some(&*schema));
        assert_eq!(read.value, expected);
    }
    // A delete: no after, no transaction.
    let delete = envelope_value(Op::Delete, Some(row_value(3)), None, source, None, ts);
    let bytes = with_schemas()
        .to_bytes(Some(&Data::new(schema, delete)))
        .expect("bytes");
    let read = with_schemas()
        .reader()
        .to_connect("t", Some(&bytes))
        .expect("readable")
        .expect("a value");
    let Value::Struct(fields) = read.value else {
        panic!("a struct")
    };
    assert_eq!(
        (&fields[1], &fields[3], &fields[4]),
        (&Value::Null, &Value::Null, &s("d"))
    );
}
