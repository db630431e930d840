//! The reader against the writer: every schema and value `super::super::tests` writes (and
//! every Debezium envelope shape and logical type) reads back equal; Avro written by others
//! (apache-avro, hand-made schemas) reads as Confluent's AvroData reads it; truncated and
//! garbage datums and schemas are errors, never panics.

use std::sync::Arc;

use apache_avro::types::Value as Avro;
use serde_json::json;

use super::*;
use crate::avro::{avro_schema, write_datum};
use crate::envelope::{envelope_schema, envelope_value, Op, ProcessingTime, TransactionBlock};
use crate::schema::{logical, Schema, SchemaType};
use crate::value::Value;

fn reader(schema: &Schema) -> ReaderSchema {
    let text = avro_schema(schema).to_string();
    ReaderSchema::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Schema and every value survive writing and reading.
fn round_trip(schema: &Arc<Schema>, values: &[Value]) -> ReaderSchema {
    let r = reader(schema);
    assert_eq!(
        r.schema().as_ref(),
        schema.as_ref(),
        "schema read back differs; Avro: {}",
        avro_schema(schema)
    );
    for v in values {
        let mut out = Vec::new();
        write_datum(&mut out, schema, v).unwrap();
        let got = r.read(&out).unwrap_or_else(|e| panic!("{e}: {v:?}"));
        assert_eq!(&got, v);
        // Every strict prefix is truncated: an error, not a panic.
        for cut in 0..out.len() {
            assert!(r.read(&out[..cut]).is_err(), "prefix {cut} of {v:?} read");
        }
    }
    r
}

fn source_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure("io.debezium.connector.postgresql.Source")
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
                    .param("allowed", "true,last,false,incremental")
                    .default_value(Value::String("false".into())),
            )
            .field("db", Schema::string())
            .field("sequence", Schema::string().optional())
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::int64().optional())
            .field("lsn", Schema::int64().optional())
            .field("xmin", Schema::int64().optional()),
    )
}

fn source_value(snapshot: Option<&str>) -> Value {
    Value::Struct(vec![
        Value::from("3.0.0.Final"),
        Value::from("postgresql"),
        Value::from("dbserver1"),
        Value::Int64(1_700_000_000_000),
        snapshot.map_or(Value::Null, Value::from),
        Value::from("inventory"),
        Value::from("[\"24023928\",\"24023928\"]"),
        Value::from("public"),
        Value::from("customers"),
        Value::Int64(571),
        Value::Int64(24_023_928),
        Value::Null,
    ])
}

fn decimal(scale: u32, precision: u32) -> Schema {
    Schema::bytes()
        .named(logical::DECIMAL)
        .version(1)
        .param("scale", scale.to_string())
        .param("connect.decimal.precision", precision.to_string())
}

/// A row with every type and logical type Debezium's PostgreSQL and MySQL connectors emit.
fn row_schema() -> Arc<Schema> {
    let vsd = Schema::structure(logical::VARIABLE_SCALE_DECIMAL)
        .field("scale", Schema::int32())
        .field("value", Schema::bytes());
    let mut vsd = vsd;
    vsd.doc = Some("Variable scaled decimal".into());
    let point = Schema::structure(logical::POINT)
        .version(1)
        .field("x", Schema::float64())
        .field("y", Schema::float64())
        .field("wkb", Schema::bytes().optional())
        .field("srid", Schema::int32().optional());
    let geometry = Schema::structure(logical::GEOMETRY)
        .version(1)
        .field("wkb", Schema::bytes())
        .field("srid", Schema::int32().optional());
    let named = |s: Schema, name: &str| s.named(name).version(1).optional();
    Arc::new(
        Schema::structure("dbserver1.inventory.customers.Value")
            .optional()
            .field("id", Schema::int32())
            .field("tiny", Schema::int8().optional())
            .field("small", Schema::int16().optional())
            .field("big", Schema::int64().optional())
            .field("real", Schema::float32().optional())
            .field("dbl", Schema::float64().optional())
            .field("flag", Schema::boolean().optional())
            .field("name", Schema::string())
            .field("bin", Schema::bytes().optional())
            .field("price", decimal(2, 10).optional())
            .field("huge", decimal(0, 64).optional())
            .field("anynum", Arc::new(vsd.optional()))
            .field("born", named(Schema::int32(), logical::DATE))
            .field("cdate", named(Schema::int32(), logical::CONNECT_DATE))
            .field("ctime", named(Schema::int32(), logical::CONNECT_TIME))
            .field("cts", named(Schema::int64(), logical::CONNECT_TIMESTAMP))
            .field("t", named(Schema::int32(), logical::TIME))
            .field("tmicro", named(Schema::int64(), logical::MICRO_TIME))
            .field("tnano", named(Schema::int64(), logical::NANO_TIME))
            .field("ts", named(Schema::int64(), logical::TIMESTAMP))
            .field("tsmicro", named(Schema::int64(), logical::MICRO_TIMESTAMP))
            .field("tsnano", named(Schema::int64(), logical::NANO_TIMESTAMP))
            .field("tstz", named(Schema::string(), logical::ZONED_TIMESTAMP))
            .field("ttz", named(Schema::string(), logical::ZONED_TIME))
            .field("dur", named(Schema::int64(), logical::MICRO_DURATION))
            .field("ival", named(Schema::string(), logical::INTERVAL))
            .field("yr", named(Schema::int32(), logical::YEAR))
            .field("doc", named(Schema::string(), logical::JSON))
            .field("xml", named(Schema::string(), logical::XML))
            .field("uid", named(Schema::string(), logical::UUID))
            .field(
                "mood",
                named(Schema::string(), logical::ENUM).param("allowed", "sad,ok,happy"),
            )
            .field(
                "moods",
                named(Schema::string(), logical::ENUM_SET).param("allowed", "a,b"),
            )
            .field(
                "bits",
                named(Schema::bytes(), logical::BITS).param("length", "12"),
            )
            .field("path", named(Schema::string(), logical::LTREE))
            .field("pt", Arc::new(point.optional()))
            .field("geom", Arc::new(geometry.optional()))
            .field(
                "tags",
                Schema::array(Schema::string().optional()).optional(),
            )
            .field("ints", Schema::array(Schema::int32()).optional())
            .field(
                "attrs",
                Schema::map(Schema::string(), Schema::string().optional()).optional(),
            )
            .field(
                "ranks",
                Schema::map(Schema::int32(), Schema::float64()).optional(),
            )
            .field("defaulted", Schema::int32().default_value(Value::Int32(42)))
            .field(
                "odefault",
                Schema::string().optional().default_value(Value::from("x")),
            ),
    )
}

fn row_value(id: i32, nulls: bool) -> Value {
    let opt = |v: Value| if nulls { Value::Null } else { v };
    Value::Struct(vec![
        Value::Int32(id),
        opt(Value::Int8(-128)),
        opt(Value::Int16(i16::MAX)),
        opt(Value::Int64(i64::MIN)),
        opt(Value::Float32(-1.5)),
        opt(Value::Float64(1e300)),
        opt(Value::Boolean(false)),
        Value::from("ü ✓"),
        opt(Value::Bytes(vec![0, 255, 1])),
        opt(Value::Bytes(vec![0x30, 0x39])),
        opt(Value::Bytes(vec![0x80; 40])),
        opt(Value::Struct(vec![
            Value::Int32(3),
            Value::Bytes(vec![0x01, 0xE2, 0x40]),
        ])),
        opt(Value::Int32(-719_162)),
        opt(Value::Int32(19_000)),
        opt(Value::Int32(86_399_999)),
        opt(Value::Int64(1_700_000_000_123)),
        opt(Value::Int32(3_600_000)),
        opt(Value::Int64(3_600_000_001)),
        opt(Value::Int64(3_600_000_000_001)),
        opt(Value::Int64(1_700_000_000_123)),
        opt(Value::Int64(1_700_000_000_123_456)),
        opt(Value::Int64(1_700_000_000_123_456_789)),
        opt(Value::from("2024-01-02T03:04:05.123456Z")),
        opt(Value::from("03:04:05Z")),
        opt(Value::Int64(-86_400_000_000)),
        opt(Value::from("P1Y2M3DT4H5M6.78S")),
        opt(Value::Int32(2024)),
        opt(Value::from("{\"a\": [1, 2]}")),
        opt(Value::from("<a/>")),
        opt(Value::from("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        opt(Value::from("happy")),
        opt(Value::from("a,b")),
        opt(Value::Bytes(vec![0xff, 0x0f])),
        opt(Value::from("Top.Science")),
        opt(Value::Struct(vec![
            Value::Float64(1.5),
            Value::Float64(-2.0),
            Value::Null,
            Value::Int32(4326),
        ])),
        opt(Value::Struct(vec![
            Value::Bytes(vec![1, 2, 3]),
            Value::Null,
        ])),
        opt(Value::Array(vec![
            Value::from("a"),
            Value::Null,
            Value::from(""),
        ])),
        opt(Value::Array(vec![])),
        opt(Value::Map(vec![
            (Value::from("k"), Value::from("v")),
            (Value::from("n"), Value::Null),
        ])),
        opt(Value::Map(vec![
            (Value::Int32(1), Value::Float64(0.5)),
            (Value::Int32(-1), Value::Float64(f64::INFINITY)),
        ])),
        Value::Int32(7),
        opt(Value::from("y")),
    ])
}

fn key_schema() -> Arc<Schema> {
    Arc::new(Schema::structure("dbserver1.inventory.customers.Key").field("id", Schema::int32()))
}

fn envelope() -> Arc<Schema> {
    envelope_schema(
        "dbserver1.inventory.customers",
        row_schema(),
        source_schema(),
    )
}

#[test]
fn every_debezium_envelope_shape_round_trips() {
    let tx = TransactionBlock {
        id: "571:24023928".into(),
        total_order: 3,
        data_collection_order: 1,
    };
    let t = ProcessingTime {
        nanos: 1_700_000_000_000_000_000,
    };
    let mut values = Vec::new();
    for (op, before, after, snapshot) in [
        (Op::Read, None, Some(row_value(1, false)), Some("true")),
        (Op::Create, None, Some(row_value(1, true)), None),
        (
            Op::Update,
            Some(row_value(1, true)),
            Some(row_value(2, false)),
            None,
        ),
        (Op::Delete, Some(row_value(2, false)), None, Some("last")),
    ] {
        for block in [None, Some(&tx)] {
            values.push(envelope_value(
                op,
                before.clone(),
                after.clone(),
                source_value(snapshot),
                block,
                t,
            ));
        }
    }
    let r = round_trip(&envelope(), &values);
    // The envelope's `after` referred to the `Value` record `before` defined: both are the
    // row's schema.
    let s = r.schema();
    assert_eq!(
        s.name.as_deref(),
        Some("dbserver1.inventory.customers.Envelope")
    );
    let before = &s.fields[s.field_index("before").unwrap()].schema;
    let after = &s.fields[s.field_index("after").unwrap()].schema;
    assert_eq!(before, after);
    assert!(after.optional);
    round_trip(
        &key_schema(),
        &[Value::Struct(vec![Value::Int32(i32::MIN)])],
    );
    round_trip(
        &row_schema(),
        &[row_value(5, false), row_value(6, true), Value::Null],
    );
}

#[test]
fn transaction_metadata_and_heartbeats_round_trip() {
    let topic: Arc<str> = "p.transaction".into();
    let begin = crate::transaction::begin_record(&topic, "5:10", 7);
    let end = crate::transaction::end_record(
        &topic,
        "5:10",
        &[("public.a".into(), 2), ("public.b".into(), 1)],
        7,
    );
    let beat = crate::transaction::heartbeat_record(&"__debezium-heartbeat.p".into(), "p", 7);
    for record in [begin, end, beat] {
        for data in [record.key, record.value].into_iter().flatten() {
            round_trip(&data.schema, &[data.value]);
        }
    }
}

#[test]
fn the_writer_test_schemas_round_trip() {
    // super::tests' unnamed structs: named ConnectDefault by the writer, unnamed again here.
    let unnamed = Arc::new(
        Schema::new(SchemaType::Struct)
            .field(
                "a",
                Schema::new(SchemaType::Struct).field("x", Schema::int8()),
            )
            .field("b", Schema::string()),
    );
    round_trip(
        &unnamed,
        &[Value::Struct(vec![
            Value::Struct(vec![Value::Int8(127)]),
            Value::from("b"),
        ])],
    );
    // Extreme numbers, and every byte value.
    let s = Arc::new(
        Schema::structure("t.V")
            .field("a", Schema::int64())
            .field("b", Schema::int64())
            .field("c", Schema::int32())
            .field("d", Schema::float64())
            .field("e", Schema::bytes()),
    );
    let r = round_trip(
        &s,
        &[Value::Struct(vec![
            Value::Int64(i64::MIN),
            Value::Int64(i64::MAX),
            Value::Int32(i32::MIN),
            Value::Float64(-0.0),
            Value::Bytes((0..=255).collect()),
        ])],
    );
    let nan = Value::Struct(vec![
        Value::Int64(0),
        Value::Int64(-1),
        Value::Int32(i32::MAX),
        Value::Float64(f64::NAN),
        Value::Bytes(vec![]),
    ]);
    let mut out = Vec::new();
    write_datum(&mut out, &s, &nan).unwrap();
    match r.read(&out).unwrap() {
        Value::Struct(v) => assert!(matches!(v[3], Value::Float64(x) if x.is_nan())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_docs_versions_and_parameters_round_trip() {
    let inner = Schema::structure("x.Inner")
        .field("n", Schema::int16().default_value(Value::Int16(-3)))
        .field("s", Schema::string().optional());
    let mut doc_schema = Schema::string().optional();
    doc_schema.doc = Some("the doc".into());
    let s = Arc::new(
        Schema::structure("x.Outer")
            .version(7)
            .param("p", "1")
            .field("i8", Schema::int8().default_value(Value::Int8(-1)))
            .field("f", Schema::float32().default_value(Value::Float32(0.25)))
            .field("d", Schema::float64().default_value(Value::Float64(-2.5)))
            .field("b", Schema::boolean().default_value(Value::Boolean(true)))
            .field("l", Schema::int64().default_value(Value::Int64(1 << 40)))
            .field(
                "by",
                Schema::bytes().default_value(Value::Bytes(vec![0, 0x7f, 0xff])),
            )
            .field(
                "arr",
                Schema::array(Schema::int32())
                    .default_value(Value::Array(vec![Value::Int32(1), Value::Int32(2)])),
            )
            .field(
                "m",
                Schema::map(Schema::string(), Schema::int32())
                    .default_value(Value::Map(vec![(Value::from("k"), Value::Int32(1))])),
            )
            .field(
                "em",
                Schema::map(Schema::int64(), Schema::string())
                    .named("x.Entries")
                    .default_value(Value::Map(vec![(Value::Int64(9), Value::from("nine"))])),
            )
            .field(
                "st",
                Arc::new(inner.default_value(Value::Struct(vec![Value::Int16(5), Value::Null]))),
            )
            .field("docd", doc_schema)
            .field("dec", decimal(3, 64).default_value(Value::Bytes(vec![1]))),
    );
    let v = Value::Struct(vec![
        Value::Int8(0),
        Value::Float32(1.0),
        Value::Float64(2.0),
        Value::Boolean(false),
        Value::Int64(3),
        Value::Bytes(vec![]),
        Value::Array(vec![]),
        Value::Map(vec![]),
        Value::Map(vec![(Value::Int64(1), Value::from("one"))]),
        Value::Struct(vec![Value::Int16(1), Value::from("s")]),
        Value::Null,
        Value::Bytes(vec![0xff]),
    ]);
    round_trip(&s, &[v]);
}

// --- Avro written elsewhere ------------------------------------------------------------------

fn parse(schema: serde_json::Value) -> ReaderSchema {
    ReaderSchema::from_json(&schema, None).unwrap_or_else(|e| panic!("{e}: {schema}"))
}

fn encode(schema: &serde_json::Value, value: Avro) -> Vec<u8> {
    let parsed = apache_avro::Schema::parse(schema).unwrap();
    apache_avro::to_avro_datum(&parsed, value).unwrap()
}

#[test]
fn foreign_avro_reads_as_avro_data_reads_it() {
    let schema = json!({
        "type": "record", "name": "Thing", "namespace": "com.example", "doc": "a thing",
        "fields": [
            {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"], "doc": "hue"}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
            {"name": "either", "type": ["null", "int", "string", "Color"]},
            {"name": "two", "type": ["long", "string"]},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "tsmicros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "d", "type": {"type": "int", "logicalType": "date"}},
            {"name": "amount", "type": {"type": "fixed", "name": "Amount", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 4,
                "connect.name": "org.apache.kafka.connect.data.Decimal"}},
            {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}, "doc": "an id"},
            {"name": "counts", "type": {"type": "map", "values": "long"}},
            {"name": "n", "type": "int", "default": 5},
            {"name": "j", "type": {"type": "string", "avro.java.string": "String"}},
            {"name": "self", "type": ["null", "com.example.Hash"], "default": null}
        ]
    });
    let r = parse(schema.clone());
    let s = r.schema();
    assert_eq!(s.name.as_deref(), Some("com.example.Thing"));
    assert_eq!(
        s.parameters,
        vec![
            (
                "io.confluent.connect.avro.record.doc".into(),
                "a thing".into()
            ),
            (
                "io.confluent.connect.avro.field.doc.uuid".into(),
                "an id".into()
            ),
        ]
    );
    let f = |n: &str| s.fields[s.field_index(n).unwrap()].schema.clone();
    let color = f("color");
    assert_eq!(color.kind, SchemaType::String);
    assert_eq!(color.name.as_deref(), Some("com.example.Color"));
    assert_eq!(
        color.parameters,
        vec![
            (
                "io.confluent.connect.avro.enum.doc.Color".into(),
                "hue".into()
            ),
            (
                "io.confluent.connect.avro.Enum".into(),
                "com.example.Color".into()
            ),
            ("io.confluent.connect.avro.Enum.RED".into(), "RED".into()),
            (
                "io.confluent.connect.avro.Enum.GREEN".into(),
                "GREEN".into()
            ),
        ]
    );
    let hash = f("hash");
    assert_eq!(
        (
            hash.kind,
            hash.name.as_deref(),
            hash.parameter("connect.fixed.size")
        ),
        (SchemaType::Bytes, Some("com.example.Hash"), Some("4"))
    );
    let either = f("either");
    assert_eq!(either.name.as_deref(), Some(UNION_NAME));
    assert!(either.optional);
    let names: Vec<&str> = either.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["int", "string", "Color"]);
    assert!(either.fields.iter().all(|f| f.schema.optional));
    assert!(!f("two").optional);
    assert_eq!(f("ts").name.as_deref(), Some(logical::CONNECT_TIMESTAMP));
    assert_eq!(f("ts").version, Some(1));
    assert_eq!(f("tsmicros").name, None, "only millis are Connect's");
    assert_eq!(f("d").name.as_deref(), Some(logical::CONNECT_DATE));
    let amount = f("amount");
    assert_eq!(amount.name.as_deref(), Some(logical::DECIMAL));
    assert_eq!(
        amount.parameters,
        vec![
            ("scale".into(), "4".into()),
            ("connect.decimal.precision".into(), "18".into()),
            ("connect.fixed.size".into(), "8".into()),
        ]
    );
    assert_eq!(f("counts").keys.as_deref(), Some(&Schema::string()));
    let n = f("n");
    assert_eq!(n.default, Some(Value::Int32(5)));
    assert_eq!(
        n.parameter("io.confluent.connect.avro.field.default"),
        Some("true")
    );
    assert_eq!(f("j").parameter("avro.java.string"), Some("String"));
    assert!(f("self").optional);

    let value = Avro::Record(vec![
        ("color".into(), Avro::Enum(1, "GREEN".into())),
        ("hash".into(), Avro::Fixed(4, vec![1, 2, 3, 4])),
        (
            "either".into(),
            Avro::Union(3, Box::new(Avro::Enum(0, "RED".into()))),
        ),
        (
            "two".into(),
            Avro::Union(1, Box::new(Avro::String("s".into()))),
        ),
        ("ts".into(), Avro::TimestampMillis(1_000)),
        ("tsmicros".into(), Avro::TimestampMicros(1_000_000)),
        ("d".into(), Avro::Date(-1)),
        (
            "amount".into(),
            Avro::Fixed(8, vec![0, 0, 0, 0, 0, 0, 0x30, 0x39]),
        ),
        ("uuid".into(), Avro::String("u".into())),
        (
            "counts".into(),
            Avro::Map([("a".to_owned(), Avro::Long(1))].into_iter().collect()),
        ),
        ("n".into(), Avro::Int(6)),
        ("j".into(), Avro::String("j".into())),
        ("self".into(), Avro::Union(0, Box::new(Avro::Null))),
    ]);
    let got = r.read(&encode(&schema, value)).unwrap();
    assert_eq!(
        got,
        Value::Struct(vec![
            Value::from("GREEN"),
            Value::Bytes(vec![1, 2, 3, 4]),
            Value::Struct(vec![Value::Null, Value::Null, Value::from("RED")]),
            Value::Struct(vec![Value::Null, Value::from("s")]),
            Value::Int64(1_000),
            Value::Int64(1_000_000),
            Value::Int32(-1),
            Value::Bytes(vec![0, 0, 0, 0, 0, 0, 0x30, 0x39]),
            Value::from("u"),
            Value::Map(vec![(Value::from("a"), Value::Int64(1))]),
            Value::Int32(6),
            Value::from("j"),
            Value::Null,
        ])
    );
}

#[test]
fn names_resolve_through_namespaces_and_map_entries_by_name() {
    let schema = json!({
        "type": "record", "name": "a.b.Outer", "fields": [
            {"name": "x", "type": {"type": "record", "name": "Inner", "fields": [{"name": "v", "type": "int"}]}},
            {"name": "y", "type": "Inner"},
            {"name": "z", "type": "a.b.Inner"},
            {"name": "m", "type": {"type": "array", "items": {"type": "record", "name": "MapEntry",
                "namespace": "io.confluent.connect.avro",
                "fields": [{"name": "value", "type": "string"}, {"name": "key", "type": "long"}]}}},
            {"name": "u", "type": ["null", "string"], "default": null}
        ]
    });
    let r = parse(schema.clone());
    let s = r.schema();
    for f in &s.fields[..3] {
        assert_eq!(f.schema.name.as_deref(), Some("a.b.Inner"));
    }
    let m = &s.fields[3].schema;
    assert_eq!(m.kind, SchemaType::Map);
    assert_eq!(m.keys.as_deref(), Some(&Schema::int64()));
    assert_eq!(m.items.as_deref(), Some(&Schema::string()));
    assert!(
        s.fields[4].schema.parameters.is_empty(),
        "a null default is not flagged"
    );
    let value = Avro::Record(vec![
        ("x".into(), Avro::Record(vec![("v".into(), Avro::Int(1))])),
        ("y".into(), Avro::Record(vec![("v".into(), Avro::Int(2))])),
        ("z".into(), Avro::Record(vec![("v".into(), Avro::Int(3))])),
        (
            "m".into(),
            Avro::Array(vec![Avro::Record(vec![
                ("value".into(), Avro::String("v".into())),
                ("key".into(), Avro::Long(-5)),
            ])]),
        ),
        (
            "u".into(),
            Avro::Union(1, Box::new(Avro::String("u".into()))),
        ),
    ]);
    assert_eq!(
        r.read(&encode(&schema, value)).unwrap(),
        Value::Struct(vec![
            Value::Struct(vec![Value::Int32(1)]),
            Value::Struct(vec![Value::Int32(2)]),
            Value::Struct(vec![Value::Int32(3)]),
            Value::Map(vec![(Value::Int64(-5), Value::from("v"))]),
            Value::from("u"),
        ])
    );
    // Top-level primitives, with and without quotes; the version of a top-level schema.
    assert_eq!(
        ReaderSchema::parse("string").unwrap().schema().as_ref(),
        &Schema::string()
    );
    assert_eq!(
        ReaderSchema::parse("\"long\"").unwrap().read(&[3]).unwrap(),
        Value::Int64(-2)
    );
    let versioned = ReaderSchema::from_json(
        &json!({"type": "record", "name": "R", "fields": []}),
        Some(4),
    )
    .unwrap();
    assert_eq!(versioned.schema().version, Some(4));
    assert_eq!(versioned.schema().name.as_deref(), Some("R"));
}

#[test]
fn schemas_without_a_connect_equivalent_are_refused_with_a_reason() {
    for (schema, expect) in [
        (json!("null"), "standalone null"),
        (
            json!({"type": "record", "name": "L", "fields": [{"name": "next", "type": ["null", "L"]}]}),
            "recursive",
        ),
        (
            json!({"type": "bytes", "logicalType": "decimal", "precision": "x"}),
            "precision",
        ),
        (json!({"type": "int", "connect.type": "int64"}), "int64"),
        (
            json!({"type": "int", "logicalType": "date", "connect.name": "other.Name"}),
            "mismatched names",
        ),
        (
            json!({"type": "int", "logicalType": "date", "connect.version": 2}),
            "mismatched versions",
        ),
        // AvroData names a fixed by its full name, which then clashes with the Decimal's.
        (
            json!({"type": "fixed", "name": "Amount", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 4}),
            "mismatched names",
        ),
        (
            json!({"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]}),
            "undefined",
        ),
        (
            json!({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}]}),
            "two fields",
        ),
        (json!(["int", ["string"]]), "union"),
        (
            json!(["int", {"type": "int", "connect.type": "int8"}]),
            "multiple union",
        ),
        (
            json!({"type": "string", "connect.parameters": {"a": 1}}),
            "strings",
        ),
        (
            json!({"type": "array", "items": {"type": "record", "name": "MapEntry", "namespace": "io.confluent.connect.avro", "fields": []}}),
            "key-value",
        ),
        (
            json!({"type": "record", "name": "1bad", "fields": []}),
            "invalid name",
        ),
        (json!(42), "not a schema"),
    ] {
        let err = ReaderSchema::from_json(&schema, None)
            .unwrap_err()
            .to_string();
        assert!(err.to_lowercase().contains(expect), "{schema}: {err}");
    }
    assert!(ReaderSchema::parse("{").is_err());
    // Deep nesting is refused, not a stack overflow.
    let mut deep = json!("int");
    for _ in 0..(MAX_SCHEMA_DEPTH + 5) {
        deep = json!({"type": "array", "items": deep});
    }
    assert!(ReaderSchema::from_json(&deep, None).is_err());
}

// --- bad datums ------------------------------------------------------------------------------

#[test]
fn bad_datums_are_errors_naming_the_path() {
    let r = reader(&row_schema());
    let mut out = Vec::new();
    write_datum(&mut out, &row_schema(), &row_value(1, false)).unwrap();
    let mut longer = out.clone();
    longer.push(0);
    let err = r.read(&longer).unwrap_err().to_string();
    assert!(err.contains("1 bytes are left"), "{err}");
    let err = r.read(&out[..out.len() - 1]).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    let s = reader(
        &Schema::structure("t.V")
            .field("a", Schema::int8())
            .field("b", Schema::string().optional())
            .field("c", Schema::boolean()),
    );
    let datum_error = |bytes: &[u8]| match s.read(bytes) {
        Err(AvroReadError::Datum { path, reason }) => (path, reason),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        datum_error(&[0x80, 0x02]).0,
        "a",
        "256 is out of int8's range"
    );
    assert!(datum_error(&[0x80, 0x02]).1.contains("int8"));
    assert_eq!(
        datum_error(&[0, 4]).1,
        "union branch 2 is out of range (2 branches)"
    );
    assert_eq!(
        datum_error(&[0, 2, 2, 0xff]).1,
        "a string is not valid UTF-8"
    );
    assert_eq!(datum_error(&[0, 2, 2, 0xff]).0, "b");
    assert_eq!(datum_error(&[0, 0, 2]).1, "invalid boolean byte");
    assert_eq!(datum_error(&[0, 2, 1]).1, "negative length");
    assert!(datum_error(&[0xff; 11]).1.contains("long encoding"));

    // Counts that claim more than the bytes hold; zero-byte items without end.
    let arr = parse(json!({"type": "array", "items": "long"}));
    assert!(arr.read(&[0xfe, 0xff, 0xff, 0xff, 0x0f, 0]).is_err());
    let empty =
        parse(json!({"type": "array", "items": {"type": "record", "name": "E", "fields": []}}));
    assert_eq!(
        empty.read(&[4, 0]).unwrap(),
        Value::Array(vec![Value::Struct(vec![]), Value::Struct(vec![])])
    );
    let err = empty
        .read(&[0xfe, 0xff, 0xff, 0xff, 0x0f, 0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("zero-byte"), "{err}");
    // Negative block counts carry a byte size, as Avro allows.
    assert_eq!(
        arr.read(&[1, 2, 4, 0]).unwrap(),
        Value::Array(vec![Value::Int64(2)])
    );
    // A repeated map key keeps the last value.
    let map = parse(json!({"type": "map", "values": "int"}));
    assert_eq!(
        map.read(&[4, 2, b'k', 2, 2, b'k', 4, 0]).unwrap(),
        Value::Map(vec![(Value::from("k"), Value::Int32(2))])
    );
}

/// xorshift64*: reproducible garbage.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn garbage_datums_and_mutated_datums_never_panic() {
    let schemas = [envelope(), row_schema(), source_schema(), key_schema()];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for schema in &schemas {
        let r = reader(schema);
        for _ in 0..2_000 {
            let len = (rng.next() % 200) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = r.read(&bytes);
        }
    }
    let r = reader(&envelope());
    let value = envelope_value(
        Op::Update,
        Some(row_value(1, false)),
        Some(row_value(2, true)),
        source_value(None),
        None,
        ProcessingTime { nanos: 5 },
    );
    let mut good = Vec::new();
    write_datum(&mut good, &envelope(), &value).unwrap();
    for _ in 0..20_000 {
        let mut bytes = good.clone();
        for _ in 0..=(rng.next() % 4) {
            let at = (rng.next() as usize) % bytes.len();
            bytes[at] = rng.next() as u8;
        }
        let _ = r.read(&bytes);
    }
}

#[test]
fn garbage_schemas_never_panic() {
    let mut rng = Rng(7);
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"type\"",
        "\"record\"",
        "\"name\"",
        "\"R\"",
        "\"fields\"",
        "\"int\"",
        "\"null\"",
        "\"array\"",
        "\"items\"",
        "\"map\"",
        "\"values\"",
        "\"enum\"",
        "\"symbols\"",
        "\"fixed\"",
        "\"size\"",
        "3",
        "-1",
        "\"logicalType\"",
        "\"decimal\"",
        "\"connect.default\"",
        "\"default\"",
        "null",
        "\"MapEntry\"",
        "\"key\"",
        "\"value\"",
    ];
    let mut parsed = 0;
    for _ in 0..50_000 {
        let n = 1 + rng.next() % 24;
        let text: String = (0..n)
            .map(|_| pieces[(rng.next() as usize) % pieces.len()])
            .collect();
        if let Ok(r) = ReaderSchema::parse(&text) {
            parsed += 1;
            let _ = r.read(&[2, 4, 6, 0, 1]);
        }
    }
    assert!(parsed > 0);
}
