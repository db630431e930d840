use std::sync::Arc;

use cdc_core::Schema;
use serde_json::{json, Value as Json};

use super::super::format_avro::tests::{all_types_records, all_types_schema, read_back, record, s};
use super::*;

#[test]
fn codecs_and_extensions_are_parquet_mrs() {
    let cases = [
        ("none", ".parquet"),
        ("snappy", ".snappy.parquet"),
        ("gzip", ".gz.parquet"),
        ("zstd", ".zstd.parquet"),
        ("lz4", ".lz4hadoop.parquet"),
        ("lz4_raw", ".lz4raw.parquet"),
        ("brotli", ".br.parquet"),
    ];
    for (name, ext) in cases {
        let codec = ParquetCodec::parse(name).unwrap();
        assert_eq!(ParquetFormat::new(codec).extension(), ext);
    }
    assert_eq!(ParquetFormat::default().extension(), ".snappy.parquet");
    assert_eq!(ParquetCodec::parse("lzo"), Err(UnknownParquetCodec::Lzo));
    assert!(ParquetCodec::parse("uncompressed").is_err());
}

#[test]
fn schema_is_parquet_avros_with_two_level_lists() {
    let plan = Plan::new(&all_types_schema()).unwrap();
    let expected = "message server1.public.all_types.Value {
  REQUIRED INT32 id;
  REQUIRED INT32 tiny;
  OPTIONAL INT32 small;
  REQUIRED INT64 big;
  REQUIRED FLOAT f32;
  REQUIRED DOUBLE f64;
  REQUIRED BOOLEAN flag;
  OPTIONAL BYTE_ARRAY name (STRING);
  OPTIONAL BYTE_ARRAY data;
  OPTIONAL BYTE_ARRAY amount (DECIMAL(10,2));
  REQUIRED BYTE_ARRAY wide (DECIMAL(64,3));
  REQUIRED INT32 day (DATE);
  REQUIRED INT64 at (TIMESTAMP(MILLIS,true));
  REQUIRED INT32 clock (TIME(MILLIS,true));
  OPTIONAL INT64 micros;
  OPTIONAL group address {
    REQUIRED BYTE_ARRAY street (STRING);
    OPTIONAL INT32 zip;
  }
  REQUIRED group tags (LIST) {
    REPEATED BYTE_ARRAY array (STRING);
  }
  OPTIONAL group attrs (MAP) {
    REPEATED group key_value {
      REQUIRED BYTE_ARRAY key (STRING);
      OPTIONAL INT64 value;
    }
  }
  REQUIRED group by_id (LIST) {
    REPEATED group array {
      REQUIRED INT32 key;
      REQUIRED BYTE_ARRAY value (STRING);
    }
  }
  REQUIRED group points (LIST) {
    REPEATED group array {
      REQUIRED DOUBLE x;
      REQUIRED DOUBLE y;
    }
  }
  REQUIRED group nested (LIST) {
    REPEATED group array (LIST) {
      REPEATED INT32 array;
    }
  }
}
";
    assert_eq!(plan.schema_text(), expected);
}

fn optional_items_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure("t.Value")
            .field("id", Schema::int32())
            .field(
                "scores",
                Schema::array(Schema::int32().optional()).optional(),
            )
            .field("tags", Schema::array(Schema::string()))
            .field(
                "by_id",
                Schema::map(Schema::int64(), Schema::string().optional()),
            ),
    )
}

#[test]
fn an_array_of_optional_items_makes_every_list_three_level() {
    let plan = Plan::new(&optional_items_schema()).unwrap();
    let expected = "message t.Value {
  REQUIRED INT32 id;
  OPTIONAL group scores (LIST) {
    REPEATED group list {
      OPTIONAL INT32 element;
    }
  }
  REQUIRED group tags (LIST) {
    REPEATED group list {
      REQUIRED BYTE_ARRAY element (STRING);
    }
  }
  REQUIRED group by_id (LIST) {
    REPEATED group list {
      REQUIRED group element {
        REQUIRED INT64 key;
        OPTIONAL BYTE_ARRAY value (STRING);
      }
    }
  }
}
";
    assert_eq!(plan.schema_text(), expected);
}

#[test]
fn only_structs_are_written() {
    let schema = Arc::new(Schema::string());
    let err = ParquetFormat::default()
        .encode(&[record(1, &schema, s("x"))])
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("only records with a struct schema"),
        "{err}"
    );
}

#[test]
fn same_records_give_the_same_bytes() {
    let records = all_types_records();
    for codec in ["none", "snappy", "gzip", "zstd", "lz4", "lz4_raw", "brotli"] {
        let f = ParquetFormat::new(ParquetCodec::parse(codec).unwrap());
        let a = f.encode(&records).unwrap();
        assert_eq!(a, f.encode(&records).unwrap(), "{codec}");
        assert_eq!(&a[..4], b"PAR1");
    }
    assert!(ParquetFormat::default().encode(&[]).unwrap().is_empty());
}

#[test]
fn a_failed_record_leaves_the_encoder_as_it_was() {
    let schema = all_types_schema();
    let records = all_types_records();
    let f = ParquetFormat::default();
    let mut bad_fields = match &records[0].value.as_ref().unwrap().value {
        Value::Struct(v) => v.clone(),
        _ => unreachable!(),
    };
    bad_fields[20] = Value::Array(vec![Value::Array(vec![Value::Int32(1), s("x")])]);
    let bad = record(9, &schema, Value::Struct(bad_fields));
    let mut encoder = f.encoder();
    encoder.write(&records[0]).unwrap();
    let err = encoder.write(&bad).unwrap_err();
    assert!(err.to_string().contains("offset 9"), "{err}");
    let EncodeError::Data { source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(source.path, "nested.0.1");
    encoder.write(&records[1]).unwrap();
    assert_eq!(encoder.finish().unwrap(), f.encode(&records[..2]).unwrap());
}

#[test]
fn pyarrow_reads_every_value_and_type() {
    let records = all_types_records();
    for (codec, name) in [
        ("snappy", "SNAPPY"),
        ("none", "UNCOMPRESSED"),
        ("gzip", "GZIP"),
        ("zstd", "ZSTD"),
        // pyarrow has no name for the Hadoop-framed LZ4 it reads (Arrow's LZ4_HADOOP)
        ("lz4", "UNKNOWN"),
        ("lz4_raw", "LZ4"), // pyarrow calls LZ4_RAW "LZ4"
        ("brotli", "BROTLI"),
    ] {
        let f = ParquetFormat::new(ParquetCodec::parse(codec).unwrap());
        let bytes = f.encode(&records).unwrap();
        let read = read_back(&bytes, &format!("all_types{}", f.extension()));
        assert_eq!(read["codecs"], json!([name]));
        assert_eq!(read["created_by"], "tributary");
        assert_eq!(read["metadata"]["writer.model.name"], "avro");
        assert_eq!(
            read["metadata"]["parquet.avro.schema"],
            avro_schema(&all_types_schema()).to_string()
        );
        assert_eq!(read["schema"], expected_arrow_schema(), "{codec}");
        assert_eq!(read["rows"], expected_arrow_rows(), "{codec}");
    }
}

#[test]
fn pyarrow_reads_three_level_lists() {
    let schema = optional_items_schema();
    let ints = |v: Vec<Option<i32>>| {
        Value::Array(
            v.into_iter()
                .map(|i| i.map_or(Value::Null, Value::Int32))
                .collect(),
        )
    };
    let rows = [
        vec![
            Value::Int32(1),
            ints(vec![Some(1), None, Some(3)]),
            Value::Array(vec![s("a")]),
            Value::Map(vec![
                (Value::Int64(5), Value::Null),
                (Value::Int64(6), s("six")),
            ]),
        ],
        vec![
            Value::Int32(2),
            Value::Null,
            Value::Array(vec![]),
            Value::Map(vec![]),
        ],
        vec![
            Value::Int32(3),
            ints(vec![]),
            Value::Array(vec![s("b"), s("c")]),
            Value::Map(vec![]),
        ],
    ];
    let records: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, v)| record(i as u64, &schema, Value::Struct(v)))
        .collect();
    let bytes = ParquetFormat::default().encode(&records).unwrap();
    let read = read_back(&bytes, "lists.snappy.parquet");
    let int = |i: i64| json!({"int32": i});
    let st = |t: &str| json!({"string": t});
    assert_eq!(
        read["rows"],
        json!([
            {"id": int(1), "scores": {"list": [int(1), null, int(3)]}, "tags": {"list": [st("a")]},
             "by_id": {"list": [{"struct": {"key": {"int64": 5}, "value": null}},
                                {"struct": {"key": {"int64": 6}, "value": st("six")}}]}},
            {"id": int(2), "scores": null, "tags": {"list": []}, "by_id": {"list": []}},
            {"id": int(3), "scores": {"list": []}, "tags": {"list": [st("b"), st("c")]}, "by_id": {"list": []}},
        ])
    );
}

fn expected_arrow_schema() -> Json {
    Json::String(
        [
            "id: int32 not null",
            "tiny: int32 not null",
            "small: int32",
            "big: int64 not null",
            "f32: float not null",
            "f64: double not null",
            "flag: bool not null",
            "name: string",
            "data: binary",
            "amount: decimal128(10, 2)",
            "wide: decimal256(64, 3) not null",
            "day: date32[day] not null",
            "at: timestamp[ms, tz=UTC] not null",
            "clock: time32[ms] not null",
            "micros: int64",
            "address: struct<street: string not null, zip: int32>",
            "  child 0, street: string not null",
            "  child 1, zip: int32",
            "tags: list<array: string not null> not null",
            "  child 0, array: string not null",
            "attrs: map<string, int64 ('attrs')>",
            "  child 0, attrs: struct<key: string not null, value: int64> not null",
            "      child 0, key: string not null",
            "      child 1, value: int64",
            "by_id: list<array: struct<key: int32 not null, value: string not null> not null> not null",
            "  child 0, array: struct<key: int32 not null, value: string not null> not null",
            "      child 0, key: int32 not null",
            "      child 1, value: string not null",
            "points: list<array: struct<x: double not null, y: double not null> not null> not null",
            "  child 0, array: struct<x: double not null, y: double not null> not null",
            "      child 0, x: double not null",
            "      child 1, y: double not null",
            "nested: list<array: list<array: int32 not null> not null> not null",
            "  child 0, array: list<array: int32 not null> not null",
            "      child 0, array: int32 not null",
        ]
        .join("\n"),
    )
}

fn expected_arrow_rows() -> Json {
    // checked by hand against all_types_records()
    serde_json::from_str(
        r#"[
{"id": {"int32": 1}, "tiny": {"int32": -128}, "small": {"int32": 32767}, "big": {"int64": -9223372036854775808}, "f32": {"float": "1.5"}, "f64": {"double": "NaN"}, "flag": {"bool": true}, "name": {"string": "héllo 🌊 日本"}, "data": {"binary": "00ff10"}, "amount": {"decimal128(10, 2)": "123.45"}, "wide": {"decimal256(64, 3)": "-0.001"}, "day": {"date32[day]": "2021-03-04"}, "at": {"timestamp[ms, tz=UTC]": "2021-03-04 05:06:07.891000+00:00"}, "clock": {"time32[ms]": "12:34:56.789000"}, "micros": {"int64": 1614834367891234}, "address": {"struct": {"street": {"string": "Main St"}, "zip": {"int32": 12345}}}, "tags": {"list": [{"string": "a"}, {"string": "ß"}]}, "attrs": {"map": [[{"string": "x"}, {"int64": 1}], [{"string": "y"}, null]]}, "by_id": {"list": [{"struct": {"key": {"int32": 1}, "value": {"string": "one"}}}, {"struct": {"key": {"int32": -2}, "value": {"string": "minus two"}}}]}, "points": {"list": [{"struct": {"x": {"double": "1.0"}, "y": {"double": "-2.5"}}}]}, "nested": {"list": [{"list": [{"int32": 1}, {"int32": 2}]}, {"list": []}, {"list": [{"int32": 3}]}]}},
{"id": {"int32": 2}, "tiny": {"int32": 0}, "small": null, "big": {"int64": 9223372036854775807}, "f32": {"float": "-0.0"}, "f64": {"double": "inf"}, "flag": {"bool": false}, "name": null, "data": null, "amount": null, "wide": {"decimal256(64, 3)": "0.000"}, "day": {"date32[day]": "1969-12-31"}, "at": {"timestamp[ms, tz=UTC]": "1969-12-31 23:59:59.999000+00:00"}, "clock": {"time32[ms]": "00:00:00"}, "micros": null, "address": null, "tags": {"list": []}, "attrs": null, "by_id": {"list": []}, "points": {"list": []}, "nested": {"list": []}},
{"id": {"int32": 3}, "tiny": {"int32": 127}, "small": {"int32": -1}, "big": {"int64": 0}, "f32": {"float": "3.4028234663852886e+38"}, "f64": {"double": "-1e-300"}, "flag": {"bool": true}, "name": {"string": ""}, "data": {"binary": ""}, "amount": {"decimal128(10, 2)": "-1.50"}, "wide": {"decimal256(64, 3)": "12345678901234567890.123"}, "day": {"date32[day]": "1970-01-01"}, "at": {"timestamp[ms, tz=UTC]": "1970-01-01 00:00:00+00:00"}, "clock": {"time32[ms]": "23:59:59.999000"}, "micros": {"int64": 0}, "address": {"struct": {"street": {"string": ""}, "zip": null}}, "tags": {"list": [{"string": "x"}]}, "attrs": {"map": []}, "by_id": {"list": [{"struct": {"key": {"int32": 0}, "value": {"string": ""}}}]}, "points": {"list": [{"struct": {"x": {"double": "0.0"}, "y": {"double": "0.0"}}}, {"struct": {"x": {"double": "10000000000.0"}, "y": {"double": "-10000000000.0"}}}]}, "nested": {"list": [{"list": []}]}}
]"#,
    )
    .unwrap()
}
