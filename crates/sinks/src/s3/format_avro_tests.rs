use std::sync::Arc;

use cdc_core::decimal::parse_decimal;
use cdc_core::schema::logical;
use cdc_core::{SchemaAndValue, SchemaType, Value};
use serde_json::{json, Value as Json};

use super::*;

// ---- fixtures shared with format_parquet's tests ----

pub(crate) fn record(offset: u64, schema: &Arc<Schema>, value: Value) -> SinkRecord {
    SinkRecord {
        topic: Arc::from("server1.public.all_types"),
        partition: 0,
        offset,
        timestamp_ms: None,
        key: None,
        value: Some(SchemaAndValue {
            schema: Some(schema.clone()),
            value,
        }),
        headers: Vec::new(),
        origin: None,
    }
}

fn decimal(scale: i32, precision: Option<u32>) -> Schema {
    let s = Schema::bytes()
        .named(logical::DECIMAL)
        .version(1)
        .param("scale", scale.to_string());
    match precision {
        Some(p) => s.param("connect.decimal.precision", p.to_string()),
        None => s,
    }
}

pub(crate) fn dec(text: &str) -> Value {
    Value::Bytes(parse_decimal(text).map(|(b, _)| b).unwrap_or_default())
}

pub(crate) fn s(text: &str) -> Value {
    Value::from(text)
}

/// A table with every Connect type and the logical names Debezium uses; arrays without
/// optional items (parquet-avro's two-level lists).
pub(crate) fn all_types_schema() -> Arc<Schema> {
    let address = Schema::structure("server1.public.all_types.Address")
        .optional()
        .field("street", Schema::string())
        .field("zip", Schema::int32().optional());
    let point = Schema::structure("server1.public.all_types.Point")
        .field("x", Schema::float64())
        .field("y", Schema::float64());
    Arc::new(
        Schema::structure("server1.public.all_types.Value")
            .field("id", Schema::int32())
            .field("tiny", Schema::int8())
            .field("small", Schema::int16().optional())
            .field("big", Schema::int64())
            .field("f32", Schema::float32())
            .field("f64", Schema::float64())
            .field("flag", Schema::boolean())
            .field("name", Schema::string().optional())
            .field("data", Schema::bytes().optional())
            .field("amount", decimal(2, Some(10)).optional())
            .field("wide", decimal(3, None))
            .field(
                "day",
                Schema::int32().named(logical::CONNECT_DATE).version(1),
            )
            .field(
                "at",
                Schema::int64().named(logical::CONNECT_TIMESTAMP).version(1),
            )
            .field(
                "clock",
                Schema::int32().named(logical::CONNECT_TIME).version(1),
            )
            .field(
                "micros",
                Schema::int64()
                    .named(logical::MICRO_TIMESTAMP)
                    .version(1)
                    .optional(),
            )
            .field("address", address)
            .field("tags", Schema::array(Schema::string()))
            .field(
                "attrs",
                Schema::map(Schema::string(), Schema::int64().optional()).optional(),
            )
            .field("by_id", Schema::map(Schema::int32(), Schema::string()))
            .field("points", Schema::array(point))
            .field("nested", Schema::array(Schema::array(Schema::int32()))),
    )
}

pub(crate) fn all_types_records() -> Vec<SinkRecord> {
    let schema = all_types_schema();
    let point = |x: f64, y: f64| Value::Struct(vec![Value::Float64(x), Value::Float64(y)]);
    let ints = |v: &[i32]| Value::Array(v.iter().map(|&i| Value::Int32(i)).collect());
    let rows = vec![
        vec![
            Value::Int32(1),
            Value::Int8(-128),
            Value::Int16(32767),
            Value::Int64(i64::MIN),
            Value::Float32(1.5),
            Value::Float64(f64::NAN),
            Value::Boolean(true),
            s("héllo 🌊 日本"),
            Value::Bytes(vec![0, 255, 16]),
            dec("123.45"),
            dec("-0.001"),
            Value::Int32(18690),
            Value::Int64(1_614_834_367_891),
            Value::Int32(45_296_789),
            Value::Int64(1_614_834_367_891_234),
            Value::Struct(vec![s("Main St"), Value::Int32(12345)]),
            Value::Array(vec![s("a"), s("ß")]),
            Value::Map(vec![(s("x"), Value::Int64(1)), (s("y"), Value::Null)]),
            Value::Map(vec![
                (Value::Int32(1), s("one")),
                (Value::Int32(-2), s("minus two")),
            ]),
            Value::Array(vec![point(1.0, -2.5)]),
            Value::Array(vec![ints(&[1, 2]), ints(&[]), ints(&[3])]),
        ],
        vec![
            Value::Int32(2),
            Value::Int8(0),
            Value::Null,
            Value::Int64(i64::MAX),
            Value::Float32(-0.0),
            Value::Float64(f64::INFINITY),
            Value::Boolean(false),
            Value::Null,
            Value::Null,
            Value::Null,
            dec("0.000"),
            Value::Int32(-1),
            Value::Int64(-1),
            Value::Int32(0),
            Value::Null,
            Value::Null,
            Value::Array(vec![]),
            Value::Null,
            Value::Map(vec![]),
            Value::Array(vec![]),
            Value::Array(vec![]),
        ],
        vec![
            Value::Int32(3),
            Value::Int8(127),
            Value::Int16(-1),
            Value::Int64(0),
            Value::Float32(f32::MAX),
            Value::Float64(-1e-300),
            Value::Boolean(true),
            s(""),
            Value::Bytes(vec![]),
            dec("-1.50"),
            dec("12345678901234567890.123"),
            Value::Int32(0),
            Value::Int64(0),
            Value::Int32(86_399_999),
            Value::Int64(0),
            Value::Struct(vec![s(""), Value::Null]),
            Value::Array(vec![s("x")]),
            Value::Map(vec![]),
            Value::Map(vec![(Value::Int32(0), s(""))]),
            Value::Array(vec![point(0.0, 0.0), point(1e10, -1e10)]),
            Value::Array(vec![ints(&[])]),
        ],
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, v)| record(100 + i as u64, &schema, Value::Struct(v)))
        .collect()
}

/// What the test venv's readers (fastavro, pyarrow) make of an object.
pub(crate) fn read_back(bytes: &[u8], name: &str) -> Json {
    let python = std::env::var("TRIBUTARY_PYTHON").unwrap_or_else(|_| {
        panic!("TRIBUTARY_PYTHON is not set: run through scripts/test.sh, which makes a venv with fastavro and pyarrow")
    });
    let dir = std::env::temp_dir().join(format!("tributary-s3-format-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/python/s3_format_read.py"
    );
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

// ---- AvroFormat ----

#[test]
fn codecs_are_confluents_four() {
    for name in ["null", "deflate", "snappy", "bzip2"] {
        assert_eq!(AvroCodec::parse(name).unwrap().name(), name);
    }
    for name in ["xz", "zstandard", "Snappy", ""] {
        let err = AvroCodec::parse(name).unwrap_err();
        assert!(err.to_string().contains("null, deflate, snappy or bzip2"));
    }
    assert_eq!(AvroFormat::default().extension(), ".avro");
}

#[test]
fn header_holds_the_connect_schema_and_codec() {
    let records = all_types_records();
    let bytes = AvroFormat::new(AvroCodec::Deflate)
        .encode(&records)
        .unwrap();
    assert_eq!(&bytes[..4], b"Obj\x01");
    let schema = avro_schema(&all_types_schema()).to_string();
    let mut header = vec![b'O', b'b', b'j', 1];
    write_long(&mut header, 2);
    write_bytes(&mut header, b"avro.schema");
    write_bytes(&mut header, schema.as_bytes());
    write_bytes(&mut header, b"avro.codec");
    write_bytes(&mut header, b"deflate");
    write_long(&mut header, 0);
    assert_eq!(&bytes[..header.len()], &header[..]);
    // connect.* properties survive (apache-avro's writer would drop them)
    assert!(schema.contains(r#""connect.type":"int8""#));
    assert!(
        schema.contains(r#""connect.parameters":{"scale":"2","connect.decimal.precision":"10"}"#)
    );
    assert!(schema.contains(r#""connect.name":"io.debezium.time.MicroTimestamp""#));
}

#[test]
fn every_codec_round_trips_through_apache_avro() {
    let records = all_types_records();
    for codec in [
        AvroCodec::Null,
        AvroCodec::Deflate,
        AvroCodec::Snappy,
        AvroCodec::Bzip2,
    ] {
        let bytes = AvroFormat::new(codec).encode(&records).unwrap();
        let reader = apache_avro::Reader::new(&bytes[..]).unwrap();
        let ids: Vec<i32> = reader
            .map(|v| match v.unwrap() {
                apache_avro::types::Value::Record(fields) => match &fields[0].1 {
                    apache_avro::types::Value::Int(i) => *i,
                    other => panic!("id is {other:?}"),
                },
                other => panic!("row is {other:?}"),
            })
            .collect();
        assert_eq!(ids, [1, 2, 3], "{codec:?}");
    }
}

#[test]
fn same_records_give_the_same_bytes_and_others_another_sync_marker() {
    let records = all_types_records();
    let f = AvroFormat::new(AvroCodec::Snappy);
    let a = f.encode(&records).unwrap();
    assert_eq!(a, f.encode(&records).unwrap());
    let b = f.encode(&records[..2]).unwrap();
    assert_ne!(a[a.len() - 16..], b[b.len() - 16..]);
    assert!(f.encode(&[]).unwrap().is_empty());
}

#[test]
fn large_objects_are_split_into_blocks_of_64000_bytes() {
    let schema = Arc::new(Schema::structure("t.Value").field("text", Schema::string()));
    let text = "x".repeat(1000);
    let records: Vec<SinkRecord> = (0..200)
        .map(|i| record(i, &schema, Value::Struct(vec![s(&text)])))
        .collect();
    let bytes = AvroFormat::new(AvroCodec::Null).encode(&records).unwrap();
    let sync = &bytes[bytes.len() - 16..];
    let markers = bytes.windows(16).filter(|w| *w == sync).count();
    assert_eq!(
        markers,
        1 + 4,
        "header + 3 full blocks of 63 records + the rest"
    );
    assert_eq!(apache_avro::Reader::new(&bytes[..]).unwrap().count(), 200);
}

#[test]
fn refusals_name_the_record() {
    let schema = all_types_schema();
    let mut records = all_types_records();
    let f = AvroFormat::default();

    let other = Arc::new(Schema::structure("t.Value").field("id", Schema::int32()));
    let changed = record(7, &other, Value::Struct(vec![Value::Int32(1)]));
    let err = f.encode(&[records[0].clone(), changed]).unwrap_err();
    assert!(
        matches!(err, EncodeError::SchemaChanged { offset: 7, .. }),
        "{err}"
    );

    let mut tombstone = records[0].clone();
    tombstone.value = None;
    let err = f.encode(&[tombstone]).unwrap_err();
    assert!(
        err.to_string()
            .contains("a null value; AvroFormat cannot write it (a tombstone"),
        "{err}"
    );

    let mut schemaless = records[0].clone();
    schemaless.value.as_mut().unwrap().schema = None;
    let err = f.encode(&[schemaless]).unwrap_err();
    assert!(err.to_string().contains("has no value schema"), "{err}");

    let mut bad = record(
        9,
        &schema,
        Value::Struct(vec![Value::Null; schema.fields.len()]),
    );
    let err = f.encode(&[bad.clone()]).unwrap_err();
    assert!(matches!(err, EncodeError::Data { offset: 9, .. }), "{err}");
    // a failed record leaves the encoder as it was
    let mut encoder = f.encoder();
    encoder.write(&records[0]).unwrap();
    assert!(encoder.write(&bad).is_err());
    encoder.write(&records[1]).unwrap();
    assert_eq!(encoder.finish().unwrap(), f.encode(&records[..2]).unwrap());

    bad.value = None;
    bad.key = records.remove(0).value;
    let keys = f.clone().with_view(View::Key).encode(&[bad]).unwrap();
    assert_eq!(apache_avro::Reader::new(&keys[..]).unwrap().count(), 1);
}

#[test]
fn fastavro_reads_every_value_and_type() {
    let records = all_types_records();
    for codec in [
        AvroCodec::Null,
        AvroCodec::Deflate,
        AvroCodec::Snappy,
        AvroCodec::Bzip2,
    ] {
        let bytes = AvroFormat::new(codec).encode(&records).unwrap();
        let read = read_back(&bytes, "all_types.avro");
        assert_eq!(read["codec"], json!(codec.name()));
        assert_eq!(read["rows"], expected_avro_rows(), "{codec:?}");
    }
}

fn expected_avro_rows() -> Json {
    let rec = |name: &str, fields: Json| json!({ format!("record {name}"): fields });
    let point = |x: &str, y: &str| {
        rec(
            "server1.public.all_types.Point",
            json!({"x": {"double": x}, "y": {"double": y}}),
        )
    };
    let ints =
        |v: &[i64]| json!({"array": v.iter().map(|i| json!({"int": i})).collect::<Vec<_>>()});
    json!([
        rec(
            "server1.public.all_types.Value",
            json!({
                "id": {"int": 1}, "tiny": {"int": -128}, "small": {"int": 32767},
                "big": {"long": i64::MIN}, "f32": {"float": "1.5"}, "f64": {"double": "NaN"},
                "flag": {"boolean": true}, "name": {"string": "héllo 🌊 日本"},
                "data": {"bytes": "00ff10"}, "amount": {"decimal(10,2)": "123.45"},
                "wide": {"decimal(64,3)": "-0.001"}, "day": {"date": "2021-03-04"},
                "at": {"timestamp-millis": "2021-03-04 05:06:07.891000+00:00"},
                "clock": {"time-millis": "12:34:56.789000"}, "micros": {"long": 1_614_834_367_891_234i64},
                "address": rec("server1.public.all_types.Address", json!({"street": {"string": "Main St"}, "zip": {"int": 12345}})),
                "tags": {"array": [{"string": "a"}, {"string": "ß"}]},
                "attrs": {"map": [["x", {"long": 1}], ["y", null]]},
                "by_id": {"array": [
                    rec("io.confluent.connect.avro.MapEntry", json!({"key": {"int": 1}, "value": {"string": "one"}})),
                    rec("io.confluent.connect.avro.MapEntry", json!({"key": {"int": -2}, "value": {"string": "minus two"}})),
                ]},
                "points": {"array": [point("1.0", "-2.5")]},
                "nested": {"array": [ints(&[1, 2]), ints(&[]), ints(&[3])]},
            })
        ),
        rec(
            "server1.public.all_types.Value",
            json!({
                "id": {"int": 2}, "tiny": {"int": 0}, "small": null,
                "big": {"long": i64::MAX}, "f32": {"float": "-0.0"}, "f64": {"double": "inf"},
                "flag": {"boolean": false}, "name": null, "data": null, "amount": null,
                "wide": {"decimal(64,3)": "0.000"}, "day": {"date": "1969-12-31"},
                "at": {"timestamp-millis": "1969-12-31 23:59:59.999000+00:00"},
                "clock": {"time-millis": "00:00:00"}, "micros": null, "address": null,
                "tags": {"array": []}, "attrs": null, "by_id": {"array": []},
                "points": {"array": []}, "nested": {"array": []},
            })
        ),
        rec(
            "server1.public.all_types.Value",
            json!({
                "id": {"int": 3}, "tiny": {"int": 127}, "small": {"int": -1},
                "big": {"long": 0}, "f32": {"float": "3.4028234663852886e+38"}, "f64": {"double": "-1e-300"},
                "flag": {"boolean": true}, "name": {"string": ""}, "data": {"bytes": ""},
                "amount": {"decimal(10,2)": "-1.50"}, "wide": {"decimal(64,3)": "12345678901234567890.123"},
                "day": {"date": "1970-01-01"}, "at": {"timestamp-millis": "1970-01-01 00:00:00+00:00"},
                "clock": {"time-millis": "23:59:59.999000"}, "micros": {"long": 0},
                "address": rec("server1.public.all_types.Address", json!({"street": {"string": ""}, "zip": null})),
                "tags": {"array": [{"string": "x"}]}, "attrs": {"map": []},
                "by_id": {"array": [rec("io.confluent.connect.avro.MapEntry", json!({"key": {"int": 0}, "value": {"string": ""}}))]},
                "points": {"array": [point("0.0", "0.0"), point("10000000000.0", "-10000000000.0")]},
                "nested": {"array": [ints(&[])]},
            })
        ),
    ])
}

#[test]
fn schema_types_for_the_connect_types() {
    // The schema is cdc-core's (the AvroConverter's); here only what the container needs.
    let schema = avro_schema(&all_types_schema());
    let field = |name: &str| {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["type"]
            .clone()
    };
    assert_eq!(field("tiny")["connect.type"], "int8");
    assert_eq!(field("day")["logicalType"], "date");
    assert_eq!(field("wide")["precision"], 64);
    assert_eq!(field("by_id")["items"]["name"], "MapEntry");
    assert_eq!(all_types_schema().kind, SchemaType::Struct);
}
