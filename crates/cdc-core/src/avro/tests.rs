//! The schemas are checked against the shapes Confluent's AvroData gives Debezium's events; the
//! datums are decoded by `apache-avro` (a decoder we did not write) with our schema.

use std::sync::Arc;

use apache_avro::types::Value as Avro;
use serde_json::json;

use super::*;
use crate::envelope::{envelope_schema, envelope_value, Op, ProcessingTime, TransactionBlock};
use crate::schema::{logical, Schema};
use crate::value::Value;

fn source_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure("io.debezium.connector.postgresql.Source")
            .field("version", Schema::string())
            .field(
                "snapshot",
                Schema::string()
                    .optional()
                    .named(logical::ENUM)
                    .version(1)
                    .param("allowed", "true,last,false")
                    .default_value(Value::String("false".into())),
            )
            .field("txId", Schema::int64().optional()),
    )
}

fn row_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure("dbserver1.inventory.customers.Value")
            .optional()
            .field("id", Schema::int32())
            .field("small", Schema::int16().optional())
            .field(
                "price",
                Schema::bytes()
                    .named(logical::DECIMAL)
                    .version(1)
                    .param("scale", "2")
                    .param("connect.decimal.precision", "10")
                    .optional(),
            )
            .field(
                "born",
                Schema::int32()
                    .named(logical::CONNECT_DATE)
                    .version(1)
                    .optional(),
            )
            .field(
                "ts",
                Schema::int64().named(logical::MICRO_TIMESTAMP).version(1),
            )
            .field(
                "tags",
                Schema::array(Schema::string().optional()).optional(),
            )
            .field(
                "attrs",
                Schema::map(Schema::string(), Schema::string().optional()).optional(),
            )
            .field(
                "ranks",
                Schema::map(Schema::int32(), Schema::float64()).optional(),
            )
            .field("ratio", Schema::float32())
            .field("ok", Schema::boolean()),
    )
}

fn envelope() -> Arc<Schema> {
    envelope_schema(
        "dbserver1.inventory.customers",
        row_schema(),
        source_schema(),
    )
}

fn parse(schema: &serde_json::Value) -> apache_avro::Schema {
    apache_avro::Schema::parse(schema).unwrap_or_else(|e| panic!("{e}: {schema}"))
}

#[test]
fn the_envelope_is_named_as_debezium_and_confluent_name_it() {
    let s = avro_schema(&envelope());
    assert_eq!(s["type"], "record");
    assert_eq!(s["name"], "Envelope");
    assert_eq!(s["namespace"], "dbserver1.inventory.customers");
    assert_eq!(s["connect.name"], "dbserver1.inventory.customers.Envelope");
    assert_eq!(s["connect.version"], 2);
    let fields = s["fields"].as_array().unwrap();
    let field = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    // before defines the Value record; after refers to it by name.
    let before = field("before");
    assert_eq!(before["type"][0], "null");
    assert_eq!(before["type"][1]["name"], "Value");
    assert_eq!(
        before["type"][1]["namespace"],
        "dbserver1.inventory.customers"
    );
    assert_eq!(before["default"], json!(null));
    assert_eq!(
        field("after")["type"],
        json!(["null", "dbserver1.inventory.customers.Value"])
    );
    assert_eq!(field("source")["type"]["name"], "Source");
    assert_eq!(
        field("source")["type"]["namespace"],
        "io.debezium.connector.postgresql"
    );
    assert_eq!(field("transaction")["type"][1]["name"], "block");
    assert_eq!(field("transaction")["type"][1]["namespace"], "event");
    assert_eq!(field("op")["type"], "string");
    assert_eq!(field("ts_ms")["type"], json!(["null", "long"]));
    parse(&s);
}

#[test]
fn logical_types_and_connect_properties_follow_avro_data() {
    let s = avro_schema(&row_schema());
    let fields = s[1]["fields"].as_array().unwrap();
    let field = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(
        field("small")["type"],
        json!(["null", {"type": "int", "connect.type": "int16"}])
    );
    assert_eq!(
        field("price")["type"][1],
        json!({"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
               "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
               "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"})
    );
    assert_eq!(
        field("born")["type"][1],
        json!({"type": "int", "connect.version": 1,
               "connect.name": "org.apache.kafka.connect.data.Date", "logicalType": "date"})
    );
    assert_eq!(
        field("ts")["type"],
        json!({"type": "long", "connect.version": 1, "connect.name": "io.debezium.time.MicroTimestamp"})
    );
    assert_eq!(field("id")["type"], "int");
    assert!(
        field("id").get("default").is_none(),
        "required fields have no default"
    );
    assert_eq!(
        field("attrs")["type"][1],
        json!({"type": "map", "values": ["null", "string"]})
    );
    assert_eq!(field("ranks")["type"][1]["type"], "array");
    assert_eq!(field("ranks")["type"][1]["items"]["name"], "MapEntry");
    assert_eq!(
        field("ranks")["type"][1]["items"]["namespace"],
        "io.confluent.connect.avro"
    );
    parse(&s);
}

#[test]
fn an_optional_field_with_a_default_puts_its_type_first() {
    let s = avro_schema(&source_schema());
    let snapshot = s["fields"][1].clone();
    assert_eq!(
        snapshot,
        json!({"name": "snapshot", "type": [{"type": "string", "connect.version": 1,
            "connect.parameters": {"allowed": "true,last,false"}, "connect.default": "false",
            "connect.name": "io.debezium.data.Enum"}, "null"], "default": "false"})
    );
    parse(&s);
}

#[test]
fn unnamed_structs_are_connect_defaults() {
    let s = Schema::new(crate::SchemaType::Struct)
        .field(
            "a",
            Schema::new(crate::SchemaType::Struct).field("x", Schema::int8()),
        )
        .field("b", Schema::string());
    let avro = avro_schema(&s);
    assert_eq!(avro["name"], "ConnectDefault");
    assert_eq!(avro["namespace"], "io.confluent.connect.avro");
    assert_eq!(avro["fields"][0]["type"]["name"], "ConnectDefault2");
    assert_eq!(
        record_full_name(&s),
        "io.confluent.connect.avro.ConnectDefault"
    );
    assert_eq!(record_full_name(&Schema::string()), "string");
    parse(&avro);
}

fn row_value(id: i32) -> Value {
    Value::Struct(vec![
        Value::Int32(id),
        Value::Int16(-7),
        Value::Bytes(vec![0x30, 0x39]), // 123.45
        Value::Int32(19_000),
        Value::Int64(1_700_000_000_123_456),
        Value::Array(vec![Value::from("a"), Value::Null, Value::from("ü")]),
        Value::Map(vec![
            (Value::from("k"), Value::from("v")),
            (Value::from("n"), Value::Null),
        ]),
        Value::Map(vec![(Value::Int32(1), Value::Float64(0.5))]),
        Value::Float32(1.25),
        Value::Boolean(true),
    ])
}

fn decode(schema: &Schema, bytes: &[u8]) -> Avro {
    let parsed = parse(&avro_schema(schema));
    let mut reader = bytes;
    let v = apache_avro::from_avro_datum(&parsed, &mut reader, None)
        .unwrap_or_else(|e| panic!("apache-avro cannot decode our datum: {e}"));
    assert!(reader.is_empty(), "{} bytes left over", reader.len());
    v
}

fn field<'a>(record: &'a Avro, name: &str) -> &'a Avro {
    match record {
        Avro::Record(fields) => &fields.iter().find(|(n, _)| n == name).unwrap().1,
        Avro::Union(_, inner) => field(inner, name),
        other => panic!("not a record: {other:?}"),
    }
}

#[test]
fn datums_decode_with_apache_avro_to_the_same_values() {
    let schema = envelope();
    let source = Value::Struct(vec![Value::from("3.0"), Value::Null, Value::Int64(42)]);
    let tx = TransactionBlock {
        id: "571:1".into(),
        total_order: 3,
        data_collection_order: 1,
    };
    let value = envelope_value(
        Op::Update,
        Some(row_value(1)),
        Some(row_value(2)),
        source,
        Some(&tx),
        ProcessingTime {
            nanos: 1_700_000_000_000_000_000,
        },
    );
    let mut out = Vec::new();
    write_datum(&mut out, &schema, &value).unwrap();
    let got = decode(&schema, &out);

    let after = field(&got, "after");
    assert_eq!(field(after, "id"), &Avro::Int(2));
    assert_eq!(
        field(after, "small"),
        &Avro::Union(1, Box::new(Avro::Int(-7)))
    );
    match field(after, "price") {
        Avro::Union(1, d) => match d.as_ref() {
            Avro::Decimal(d) => {
                assert_eq!(Vec::<u8>::try_from(d.clone()).unwrap(), vec![0x30, 0x39])
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        field(after, "born"),
        &Avro::Union(1, Box::new(Avro::Date(19_000)))
    );
    assert_eq!(field(after, "ts"), &Avro::Long(1_700_000_000_123_456));
    assert_eq!(
        field(after, "tags"),
        &Avro::Union(
            1,
            Box::new(Avro::Array(vec![
                Avro::Union(1, Box::new(Avro::String("a".into()))),
                Avro::Union(0, Box::new(Avro::Null)),
                Avro::Union(1, Box::new(Avro::String("ü".into()))),
            ]))
        )
    );
    match field(after, "attrs") {
        Avro::Union(1, m) => match m.as_ref() {
            Avro::Map(m) => {
                assert_eq!(m["k"], Avro::Union(1, Box::new(Avro::String("v".into()))));
                assert_eq!(m["n"], Avro::Union(0, Box::new(Avro::Null)));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        field(after, "ranks"),
        &Avro::Union(
            1,
            Box::new(Avro::Array(vec![Avro::Record(vec![
                ("key".into(), Avro::Int(1)),
                ("value".into(), Avro::Double(0.5)),
            ])]))
        )
    );
    assert_eq!(field(after, "ratio"), &Avro::Float(1.25));
    assert_eq!(field(after, "ok"), &Avro::Boolean(true));
    assert_eq!(field(field(&got, "before"), "id"), &Avro::Int(1));
    let source = field(&got, "source");
    // The default-first union: null is branch 1.
    assert_eq!(
        field(source, "snapshot"),
        &Avro::Union(1, Box::new(Avro::Null))
    );
    assert_eq!(
        field(source, "txId"),
        &Avro::Union(1, Box::new(Avro::Long(42)))
    );
    let tx = field(&got, "transaction");
    assert_eq!(field(tx, "id"), &Avro::String("571:1".into()));
    assert_eq!(field(tx, "total_order"), &Avro::Long(3));
    assert_eq!(field(&got, "op"), &Avro::String("u".into()));
    assert_eq!(
        field(&got, "ts_ns"),
        &Avro::Union(1, Box::new(Avro::Long(1_700_000_000_000_000_000)))
    );
}

#[test]
fn a_non_null_default_first_union_encodes_the_value_as_branch_zero() {
    let s = source_schema();
    let v = Value::Struct(vec![Value::from("3.0"), Value::from("last"), Value::Null]);
    let mut out = Vec::new();
    write_datum(&mut out, &s, &v).unwrap();
    let got = decode(&s, &out);
    assert_eq!(
        field(&got, "snapshot"),
        &Avro::Union(0, Box::new(Avro::String("last".into())))
    );
}

#[test]
fn extreme_numbers_round_trip() {
    let s = Schema::structure("t.V")
        .field("a", Schema::int64())
        .field("b", Schema::int64())
        .field("c", Schema::int32())
        .field("d", Schema::float64())
        .field("e", Schema::bytes());
    for (a, b, c, d) in [
        (i64::MIN, i64::MAX, i32::MIN, f64::NAN),
        (0, -1, i32::MAX, f64::INFINITY),
        (1, 63, -64, -0.0),
    ] {
        let v = Value::Struct(vec![
            Value::Int64(a),
            Value::Int64(b),
            Value::Int32(c),
            Value::Float64(d),
            Value::Bytes((0..=255).collect()),
        ]);
        let mut out = Vec::new();
        write_datum(&mut out, &s, &v).unwrap();
        let got = decode(&s, &out);
        assert_eq!(field(&got, "a"), &Avro::Long(a));
        assert_eq!(field(&got, "b"), &Avro::Long(b));
        assert_eq!(field(&got, "c"), &Avro::Int(c));
        match field(&got, "d") {
            Avro::Double(x) => assert_eq!(x.to_bits(), d.to_bits()),
            other => panic!("{other:?}"),
        }
        assert_eq!(field(&got, "e"), &Avro::Bytes((0..=255).collect()));
    }
}

#[test]
fn a_value_that_does_not_fit_names_the_field() {
    let s = envelope();
    let mut row = row_value(1);
    if let Value::Struct(v) = &mut row {
        v[0] = Value::Null;
    }
    let value = envelope_value(
        Op::Create,
        None,
        Some(row),
        Value::Struct(vec![Value::from("3"), Value::Null, Value::Null]),
        None,
        ProcessingTime { nanos: 0 },
    );
    let err = write_datum(&mut Vec::new(), &s, &value).unwrap_err();
    assert_eq!(err.path, "after.id");
    assert_eq!(err.expected, "int32");
    assert!(err.to_string().contains("after.id"), "{err}");
}

#[test]
fn the_wire_format_header_is_magic_zero_and_a_big_endian_id() {
    let mut out = Vec::new();
    write_header(&mut out, 0x0102_0304);
    out.push(9);
    assert_eq!(out, [0, 1, 2, 3, 4, 9]);
    assert_eq!(split_header(&out), Some((0x0102_0304, &[9u8][..])));
    assert_eq!(split_header(&[1, 0, 0, 0, 1]), None);
    assert_eq!(split_header(&[0, 0, 0]), None);
}

#[test]
fn transaction_metadata_and_heartbeats_have_valid_avro_schemas() {
    let topic: Arc<str> = "p.transaction".into();
    let end = crate::transaction::end_record(&topic, "5:10", &[("public.a".into(), 2)], 7);
    let beat = crate::transaction::heartbeat_record(&"__debezium-heartbeat.p".into(), "p", 7);
    for data in [
        end.key.unwrap(),
        end.value.unwrap(),
        beat.key.unwrap(),
        beat.value.unwrap(),
    ] {
        let mut out = Vec::new();
        write_datum(&mut out, &data.schema, &data.value).unwrap();
        decode(&data.schema, &out);
    }
    let s = avro_schema(&crate::transaction::transaction_value_schema());
    assert_eq!(s["namespace"], "io.debezium.connector.common");
    assert_eq!(s["name"], "TransactionMetadataValue");
    // Debezium's event.collection items are optional: a union with null, as AvroData makes it.
    assert_eq!(s["fields"][3]["type"][1]["items"][1]["name"], "collection");
}
