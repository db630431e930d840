//! The reader is checked against our writer (`json.rs`: whatever it writes must read back as
//! the same schema and value) and against Connect's reading rules on hand-written documents.

use std::sync::Arc;

use super::*;
use crate::json::DecimalFormat;
use crate::record::Data;
use crate::schema::logical;

mod arbitrary;
mod debezium;

fn with_schemas() -> JsonConverter {
    JsonConverter::default()
}

fn numeric() -> JsonConverter {
    JsonConverter {
        decimal_format: DecimalFormat::Numeric,
        ..JsonConverter::default()
    }
}

fn schemaless_converter() -> JsonConverter {
    JsonConverter {
        schemas_enable: false,
        ..JsonConverter::default()
    }
}

/// Writes `value` with `conv`, reads it back with `conv`'s reader, and checks both halves.
fn round_trip(conv: JsonConverter, schema: Schema, value: Value) {
    let schema = Arc::new(schema);
    let bytes = conv
        .to_bytes(Some(&Data::new(schema.clone(), value.clone())))
        .expect("bytes");
    let read = conv
        .reader()
        .to_connect("t", Some(&bytes))
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)))
        .expect("a value");
    assert_eq!(read.schema.as_deref(), Some(&*schema), "schema");
    assert_eq!(read.value, value, "{}", String::from_utf8_lossy(&bytes));
}

fn read(conv: JsonConverter, json: &str) -> Result<Option<SchemaAndValue>, JsonReadError> {
    conv.reader().to_connect("t", Some(json.as_bytes()))
}

fn read_value(conv: JsonConverter, json: &str) -> Value {
    read(conv, json).expect("readable").expect("not null").value
}

fn error(conv: JsonConverter, json: &str) -> String {
    read(conv, json).expect_err("an error").to_string()
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

#[test]
fn every_primitive_type_round_trips_with_its_extremes() {
    let schema = Schema::structure("p.public.t.Value")
        .optional()
        .version(3)
        .field("i8", Schema::int8())
        .field("i16", Schema::int16())
        .field("i32", Schema::int32())
        .field("i64", Schema::int64())
        .field("f32", Schema::float32())
        .field("f64", Schema::float64())
        .field("b", Schema::boolean())
        .field("s", Schema::string())
        .field("bytes", Schema::bytes())
        .field("opt", Schema::string().optional());
    for (i8v, i16v, i32v, i64v) in [
        (i8::MIN, i16::MIN, i32::MIN, i64::MIN),
        (i8::MAX, i16::MAX, i32::MAX, i64::MAX),
        (0, -1, 1, 0),
    ] {
        round_trip(
            with_schemas(),
            schema.clone(),
            Value::Struct(vec![
                Value::Int8(i8v),
                Value::Int16(i16v),
                Value::Int32(i32v),
                Value::Int64(i64v),
                Value::Float32(3.3),
                Value::Float64(-1.0e-300),
                Value::Boolean(true),
                s("quote \" backslash \\ tab \t nul \u{0} é 𝄞"),
                Value::Bytes(vec![0, 0xff, 0x80, 7]),
                Value::Null,
            ]),
        );
    }
}

#[test]
fn schema_attributes_round_trip() {
    let schema = Schema::structure("server.inventory.orders.Value")
        .version(7)
        .field(
            "status",
            Schema::string()
                .optional()
                .named(logical::ENUM)
                .version(1)
                .param("allowed", "new,paid,shipped")
                .default_value(s("new")),
        )
        .field(
            "flags",
            Schema::bytes()
                .named(logical::BITS)
                .param("length", "3")
                .default_value(Value::Bytes(vec![5])),
        )
        .field("n", Schema::int32().default_value(Value::Int32(42)));
    let mut schema = schema;
    schema.doc = Some("an order".into());
    round_trip(
        with_schemas(),
        schema,
        Value::Struct(vec![s("paid"), Value::Bytes(vec![1]), Value::Int32(1)]),
    );
}

#[test]
fn nested_arrays_maps_and_structs_round_trip() {
    let point = Arc::new(
        Schema::structure("point")
            .field("x", Schema::float64())
            .field("y", Schema::float64()),
    );
    let schema = Schema::structure("v")
        .field("tags", Schema::array(Schema::string()))
        .field(
            "attrs",
            Schema::map(Schema::string(), Schema::array(Schema::int64().optional())),
        )
        .field("by_id", Schema::map(Schema::int32(), point.clone()))
        .field("by_point", Schema::map(point.clone(), Schema::string()))
        .field("path", Schema::array(point.clone()).optional())
        .field("nested", Schema::array(Schema::array(Schema::bytes())))
        .field(
            "inner",
            Schema::structure("inner").optional().field("p", point),
        );
    let p = |x: f64, y: f64| Value::Struct(vec![Value::Float64(x), Value::Float64(y)]);
    round_trip(
        with_schemas(),
        schema.clone(),
        Value::Struct(vec![
            Value::Array(vec![s("a"), s("b")]),
            Value::Map(vec![
                (s("one"), Value::Array(vec![Value::Int64(1), Value::Null])),
                (s("none"), Value::Array(vec![])),
            ]),
            Value::Map(vec![(Value::Int32(7), p(1.5, -2.0))]),
            Value::Map(vec![(p(0.0, 1.0), s("origin-ish"))]),
            Value::Array(vec![p(1.0, 2.0), p(3.0, 4.0)]),
            Value::Array(vec![Value::Array(vec![Value::Bytes(vec![])])]),
            Value::Struct(vec![p(9.0, 9.0)]),
        ]),
    );
    round_trip(
        with_schemas(),
        schema,
        Value::Struct(vec![
            Value::Array(vec![]),
            Value::Map(vec![]),
            Value::Map(vec![]),
            Value::Map(vec![]),
            Value::Null,
            Value::Array(vec![]),
            Value::Null,
        ]),
    );
}

#[test]
fn tombstones_and_null_keys_are_none() {
    for conv in [with_schemas(), schemaless_converter()] {
        assert_eq!(conv.reader().to_connect("t", None), Ok(None));
    }
}

#[test]
fn a_null_schema_makes_the_payload_schemaless() {
    let read = read(
        with_schemas(),
        r#"{"schema":null,"payload":{"a":1,"b":[true,"x",1.5]}}"#,
    )
    .expect("readable")
    .expect("a value");
    assert_eq!(read.schema, None);
    assert_eq!(
        read.value,
        Value::Map(vec![
            (s("a"), Value::Int64(1)),
            (
                s("b"),
                Value::Array(vec![Value::Boolean(true), s("x"), Value::Float64(1.5)])
            ),
        ])
    );
    let read = super::tests::read(with_schemas(), r#"{"payload":null,"schema":null}"#)
        .expect("readable")
        .expect("a value");
    assert_eq!((read.schema, read.value), (None, Value::Null));
}

#[test]
fn schemaless_json_is_typed_by_its_kind() {
    let conv = schemaless_converter();
    assert_eq!(
        read_value(
            conv,
            r#"{"id":7,"big":-9223372036854775808,"f":1e3,"g":-0.5,"n":null,"o":{"k":[]}}"#
        ),
        Value::Map(vec![
            (s("id"), Value::Int64(7)),
            (s("big"), Value::Int64(i64::MIN)),
            (s("f"), Value::Float64(1000.0)),
            (s("g"), Value::Float64(-0.5)),
            (s("n"), Value::Null),
            (s("o"), Value::Map(vec![(s("k"), Value::Array(vec![]))])),
        ])
    );
    assert_eq!(
        read_value(conv, "[1, \"a\", false]"),
        Value::Array(vec![Value::Int64(1), s("a"), Value::Boolean(false)])
    );
    assert_eq!(read_value(conv, "null"), Value::Null);
    assert_eq!(
        read_value(conv, "  "),
        Value::Null,
        "an empty document is Jackson's missing node"
    );
    assert_eq!(
        read_value(conv, "007"),
        Value::Int64(7),
        "Connect allows leading zeros"
    );
    // An envelope is just an object to a reader without schemas.
    assert_eq!(
        read_value(conv, r#"{"schema":null,"payload":1}"#),
        Value::Map(vec![
            (s("schema"), Value::Null),
            (s("payload"), Value::Int64(1))
        ])
    );
    assert_eq!(
        error(conv, "18446744073709551616"),
        "payload: integer out of int64 range"
    );
}

#[test]
fn schemaless_writes_read_back_as_maps() {
    let schema = Arc::new(
        Schema::structure("v")
            .field("id", Schema::int32())
            .field("name", Schema::string().optional())
            .field("raw", Schema::bytes()),
    );
    let data = Data::new(
        schema,
        Value::Struct(vec![Value::Int32(1), Value::Null, Value::Bytes(vec![0xff])]),
    );
    let bytes = schemaless_converter().to_bytes(Some(&data)).expect("bytes");
    let read = schemaless_converter()
        .reader()
        .to_connect("t", Some(&bytes))
        .expect("readable")
        .expect("a value");
    assert_eq!(read.schema, None);
    assert_eq!(
        read.value,
        Value::Map(vec![
            (s("id"), Value::Int64(1)),
            (s("name"), Value::Null),
            (s("raw"), s("/w==")),
        ])
    );
}

#[test]
fn the_envelope_must_have_exactly_schema_and_payload() {
    let connect = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
    for json in [
        r#"{"payload":1}"#,
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"extra":2}"#,
        r#"{"schema":null,"extra":1}"#,
        r#"[1,2]"#,
        r#"1"#,
        r#"null"#,
        "",
    ] {
        assert_eq!(error(with_schemas(), json), connect, "{json}");
    }
    // A repeated key is one key (the last value wins), as in Jackson's tree.
    assert_eq!(
        read_value(with_schemas(), r#"{"schema":null,"payload":1,"payload":2}"#),
        Value::Int64(2)
    );
}

#[test]
fn decimals_read_from_base64_and_from_numbers_at_the_schema_scale() {
    let schema = |scale: &str| {
        format!(
            r#"{{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"{scale}"}}}}"#
        )
    };
    let read_decimal = |scale: &str, payload: &str| {
        read(
            with_schemas(),
            &format!(r#"{{"schema":{},"payload":{payload}}}"#, schema(scale)),
        )
    };
    let unscaled = |scale: &str, payload: &str| match read_decimal(scale, payload) {
        Ok(Some(SchemaAndValue {
            value: Value::Bytes(b),
            ..
        })) => crate::decimal::unscaled_to_string(&b, 0),
        other => panic!("{payload}: {other:?}"),
    };
    assert_eq!(unscaled("2", r#""MDk=""#), "12345");
    assert_eq!(unscaled("2", "123.45"), "12345");
    assert_eq!(unscaled("2", "1.5"), "150");
    assert_eq!(unscaled("2", "1.5000"), "150");
    assert_eq!(unscaled("2", "-0.01"), "-1");
    assert_eq!(unscaled("2", "7"), "700");
    assert_eq!(unscaled("0", "1e3"), "1000");
    assert_eq!(unscaled("7", "1e-7"), "1");
    assert_eq!(unscaled("2", "1.2E+2"), "12000");
    assert_eq!(unscaled("-2", "1200"), "12");
    assert_eq!(unscaled("3", "0e999999999"), "0");
    assert_eq!(unscaled("3", "-0.000"), "0");
    assert_eq!(
        unscaled("0", "123456789012345678901234567890"),
        "123456789012345678901234567890",
        "exact, not through a double"
    );
    assert_eq!(
        read_decimal("2", "1.234").unwrap_err().to_string(),
        "payload: decimal with more fractional digits than the schema's scale 2"
    );
    assert_eq!(
        read_decimal("0", "1e999999999").unwrap_err().to_string(),
        "payload: decimal with more than 10000 digits"
    );
    assert_eq!(
        read_decimal("0", "1e99999999999999999999")
            .unwrap_err()
            .to_string(),
        "payload: decimal exponent out of range"
    );
    assert_eq!(
        read_decimal("2", r#""not base64!""#)
            .unwrap_err()
            .to_string(),
        "payload: invalid base64 for a decimal"
    );
    assert_eq!(
        read_decimal("2", r#""""#).unwrap_err().to_string(),
        "payload: empty bytes for a decimal"
    );
    assert_eq!(
        read_decimal("2", "true").unwrap_err().to_string(),
        "payload: expected a decimal as base64 or a number, got a boolean"
    );
    assert_eq!(
        read_decimal("x", "1").unwrap_err().to_string(),
        "payload: decimal schema without an int32 scale parameter"
    );
}

#[test]
fn decimals_round_trip_in_both_formats() {
    let decimal = |scale: &str| {
        Schema::bytes()
            .named(logical::DECIMAL)
            .param("scale", scale)
    };
    for (text, scale) in [
        ("123.45", "2"),
        ("-0.0000001", "7"),
        ("0", "3"),
        ("-128", "0"),
        ("99999999999.9999", "4"),
    ] {
        let unscaled = crate::decimal::parse_decimal(text).expect("decimal").0;
        for conv in [with_schemas(), numeric()] {
            round_trip(conv, decimal(scale), Value::Bytes(unscaled.clone()));
        }
    }
}

#[test]
fn non_finite_floats_read_as_written() {
    let schema = Arc::new(
        Schema::structure("v")
            .field("d", Schema::array(Schema::float64()))
            .field("f", Schema::float32()),
    );
    let value = Value::Struct(vec![
        Value::Array(vec![
            Value::Float64(f64::NAN),
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(2.0),
        ]),
        Value::Float32(f32::NEG_INFINITY),
    ]);
    let bytes = with_schemas()
        .to_bytes(Some(&Data::new(schema, value)))
        .expect("bytes");
    let read = with_schemas()
        .reader()
        .to_connect("t", Some(&bytes))
        .expect("readable")
        .expect("a value");
    let Value::Struct(fields) = read.value else {
        panic!("a struct")
    };
    let Value::Array(d) = &fields[0] else {
        panic!("an array")
    };
    assert!(matches!(d[0], Value::Float64(v) if v.is_nan()));
    assert_eq!(
        &d[1..],
        &[
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(2.0)
        ]
    );
    assert_eq!(fields[1], Value::Float32(f32::NEG_INFINITY));
}

fn envelope(schema: &str, payload: &str) -> String {
    format!(r#"{{"schema":{schema},"payload":{payload}}}"#)
}

const ORDER: &str = r#"{"type":"struct","name":"v","optional":false,"fields":[
    {"type":"struct","field":"after","optional":true,"fields":[
        {"type":"int32","field":"qty","optional":false},
        {"type":"int8","field":"small","optional":true},
        {"type":"bytes","field":"raw","optional":true},
        {"type":"array","field":"list","optional":true,"items":{"type":"string","optional":false}},
        {"type":"map","field":"m","optional":true,"keys":{"type":"int32","optional":false},"values":{"type":"string","optional":true}},
        {"type":"map","field":"sm","optional":true,"keys":{"type":"string","optional":false},"values":{"type":"boolean","optional":false}}
    ]}
]}"#;

#[test]
fn wrong_values_are_errors_that_name_their_path() {
    let cases = [
        (r#"{"after":{"qty":"x"}}"#, "payload.after.qty: expected int32, got a string"),
        (r#"{"after":{"qty":2147483648}}"#, "payload.after.qty: integer out of int32 range"),
        (r#"{"after":{"qty":1.5}}"#, "payload.after.qty: expected int32, got a number with a fraction or exponent"),
        (r#"{"after":{"qty":1,"small":128}}"#, "payload.after.small: integer out of int8 range"),
        (r#"{"after":{"qty":null}}"#, "payload.after.qty: null for a required int32"),
        (r#"{"after":{}}"#, "payload.after.qty: null for a required int32"),
        (r#"{"after":{"qty":1,"raw":"@@@"}}"#, "payload.after.raw: invalid base64 for bytes"),
        (r#"{"after":{"qty":1,"raw":"AQ"}}"#, "payload.after.raw: invalid base64 for bytes"),
        (r#"{"after":{"qty":1,"list":["a",1]}}"#, "payload.after.list[1]: expected string, got an integer"),
        (r#"{"after":{"qty":1,"list":{}}}"#, "payload.after.list: expected array, got an object"),
        (r#"{"after":{"qty":1,"m":{"1":"a"}}}"#, "payload.after.m: a map with non-string keys is a JSON array of [key, value] arrays, got an object"),
        (r#"{"after":{"qty":1,"m":[[1]]}}"#, "payload.after.m[0]: expected a [key, value] array, got 1 items"),
        (r#"{"after":{"qty":1,"m":[1]}}"#, "payload.after.m[0]: expected a [key, value] array, got an integer"),
        (r#"{"after":{"qty":1,"m":[["k","v"]]}}"#, "payload.after.m[0][0]: expected int32, got a string"),
        (r#"{"after":{"qty":1,"sm":[]}}"#, "payload.after.sm: a map with string keys is a JSON object, got an array"),
        (r#"{"after":{"qty":1,"sm":{"a b":1}}}"#, "payload.after.sm.a b: expected boolean, got an integer"),
        (r#"{"after":[]}"#, "payload.after: expected struct, got an array"),
        (r#"7"#, "payload: expected struct, got an integer"),
    ];
    for (payload, message) in cases {
        assert_eq!(
            error(with_schemas(), &envelope(ORDER, payload)),
            message,
            "{payload}"
        );
    }
    // Unknown keys are ignored, as Connect ignores them.
    assert_eq!(
        read_value(
            with_schemas(),
            &envelope(ORDER, r#"{"after":{"qty":-1,"other":[1,{}]},"x":1}"#)
        ),
        Value::Struct(vec![Value::Struct(vec![
            Value::Int32(-1),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ])])
    );
}

#[test]
fn null_fields_take_their_default_unless_replace_null_with_default_is_false() {
    let schema = r#"{"type":"struct","optional":false,"fields":[
        {"type":"int32","field":"opt","optional":true,"default":5},
        {"type":"string","field":"req","optional":false,"default":"x"}
    ]}"#;
    let reader = with_schemas().reader();
    let read = |reader: &JsonReader, payload: &str| {
        reader
            .to_connect("t", Some(envelope(schema, payload).as_bytes()))
            .map(|r| r.map(|r| r.value))
    };
    let defaults = Ok(Some(Value::Struct(vec![Value::Int32(5), s("x")])));
    assert_eq!(read(&reader, r#"{"opt":null,"req":null}"#), defaults);
    assert_eq!(read(&reader, r#"{}"#), defaults);
    let reader = with_schemas().reader().replace_null_with_default(false);
    assert_eq!(
        read(&reader, r#"{"opt":null,"req":"y"}"#),
        Ok(Some(Value::Struct(vec![Value::Null, s("y")])))
    );
    assert_eq!(
        read(&reader, r#"{"opt":1}"#).unwrap_err().to_string(),
        "payload.req: null for a required string"
    );
    // A top-level null takes the schema's default too.
    assert_eq!(
        read_value(
            with_schemas(),
            r#"{"schema":{"type":"int64","optional":false,"default":9},"payload":null}"#
        ),
        Value::Int64(9)
    );
}

#[test]
fn bad_schemas_are_errors_that_name_their_path() {
    let cases = [
        (
            r#"{"optional":false}"#,
            "invalid schema at schema: schema must contain a 'type' field",
        ),
        (
            r#"{"type":"int128"}"#,
            "invalid schema at schema: unknown schema type \"int128\"",
        ),
        (
            r#"[]"#,
            "invalid schema at schema: expected a schema object, got an array",
        ),
        (
            r#"{"type":"array"}"#,
            "invalid schema at schema: array schema did not specify the element type",
        ),
        (
            r#"{"type":"map","keys":{"type":"string"}}"#,
            "invalid schema at schema: map schema did not specify the key and value types",
        ),
        (
            r#"{"type":"struct"}"#,
            "invalid schema at schema: struct schema's \"fields\" argument is not an array",
        ),
        (
            r#"{"type":"struct","fields":[{"type":"int8"}]}"#,
            "invalid schema at schema.fields[0]: struct schema's field name not specified properly",
        ),
        (
            r#"{"type":"struct","fields":[{"type":"int8","field":"a"},{"type":"int8","field":"a"}]}"#,
            "invalid schema at schema.fields[1]: duplicate field name \"a\"",
        ),
        (
            r#"{"type":"struct","fields":[{"type":"array","field":"a","items":{"type":"x"}}]}"#,
            "invalid schema at schema.fields[0].items: unknown schema type \"x\"",
        ),
        (
            r#"{"type":"string","parameters":{"length":3}}"#,
            "invalid schema at schema.parameters.length: schema parameters must have string values",
        ),
        (
            r#"{"type":"int8","default":300}"#,
            "schema.default: integer out of int8 range",
        ),
        (
            r#"{"type":"int8","default":null}"#,
            "schema.default: null for a required int8",
        ),
        (
            r#"{"type":"int8","version":4294967296}"#,
            "invalid schema at schema.version: version out of int32 range",
        ),
    ];
    for (schema, message) in cases {
        assert_eq!(
            error(with_schemas(), &envelope(schema, "1")),
            message,
            "{schema}"
        );
    }
    // Connect reads `optional` only when it is `true`, and ignores a mistyped name or doc.
    let read = read(
        with_schemas(),
        &envelope(
            r#"{"type":"int8","optional":"yes","name":1,"doc":[],"version":1.5}"#,
            "1",
        ),
    )
    .expect("readable")
    .expect("a value");
    assert_eq!(read.schema.as_deref(), Some(&Schema::int8()));
}

#[test]
fn malformed_json_is_a_syntax_error_with_its_offset() {
    let cases: [(&[u8], &str); 8] = [
        (b"{\"a\":", "unexpected end of input at byte 5"),
        (b"{\"a\" 1}", "expected ':' after an object key at byte 5"),
        (b"[1,]", "expected a JSON value at byte 3"),
        (b"1 2", "trailing characters after the JSON value at byte 2"),
        (b"\"\xff\"", "invalid UTF-8 at byte 1"),
        (
            b"\"\\ud800\"",
            "unpaired surrogate in a \\u escape at byte 7",
        ),
        (b"\"a\nb\"", "control character in a string at byte 2"),
        (b"-", "expected digits in a number at byte 1"),
    ];
    for (bytes, message) in cases {
        let err = schemaless_converter()
            .reader()
            .to_connect("t", Some(bytes))
            .expect_err("an error")
            .to_string();
        assert_eq!(
            err,
            format!("converting byte[] to Kafka Connect data failed: {message}")
        );
    }
    assert_eq!(
        read_value(
            schemaless_converter(),
            "\u{feff}\"\\ud834\\udd1e\\n\\u00e9\\/\""
        ),
        s("𝄞\né/")
    );
}

#[test]
fn deep_nesting_is_refused_before_it_can_overflow_the_stack() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(matches!(
        read_value(schemaless_converter(), &deep(MAX_DEPTH)),
        Value::Array(_)
    ));
    for n in [MAX_DEPTH + 1, 100_000] {
        assert_eq!(
            error(schemaless_converter(), &deep(n)),
            format!(
                "converting byte[] to Kafka Connect data failed: arrays and objects nested too deeply at byte {MAX_DEPTH}"
            )
        );
    }
    let objects = "{\"a\":".repeat(100_000);
    assert!(error(schemaless_converter(), &objects).contains("nested too deeply"));
    // A deep schema is read (and converted) within the same bound.
    let mut schema = Schema::int32();
    let mut value = Value::Int32(1);
    for i in 0..40 {
        schema = Schema::structure(format!("s{i}")).field("f", schema);
        value = Value::Struct(vec![value]);
    }
    round_trip(with_schemas(), schema, value);
}

#[test]
fn schemas_are_parsed_once_per_distinct_text() {
    let reader = with_schemas().reader().schema_cache_size(2);
    let doc = |schema: &str| envelope(schema, "1");
    let schema_of = |json: &str| {
        reader
            .to_connect("t", Some(json.as_bytes()))
            .expect("readable")
            .expect("a value")
            .schema
            .expect("a schema")
    };
    let a = r#"{"type":"int32","optional":false}"#;
    let b = r#"{"type":"int64","optional":false}"#;
    let c = r#"{"type":"int16","optional":false}"#;
    let first = schema_of(&doc(a));
    assert!(Arc::ptr_eq(&first, &schema_of(&doc(a))));
    schema_of(&doc(b));
    assert!(
        Arc::ptr_eq(&first, &schema_of(&doc(a))),
        "a was used last, b is evicted"
    );
    schema_of(&doc(c));
    assert_eq!(reader.cache.lock().expect("unpoisoned").len(), 2);
    assert!(Arc::ptr_eq(&first, &schema_of(&doc(a))));
    // With no cache, every record's schema is parsed.
    let uncached = with_schemas().reader().schema_cache_size(0);
    let one = uncached
        .to_connect("t", Some(doc(a).as_bytes()))
        .expect("ok")
        .expect("v");
    let two = uncached
        .to_connect("t", Some(doc(a).as_bytes()))
        .expect("ok")
        .expect("v");
    assert!(!Arc::ptr_eq(
        &one.schema.expect("schema"),
        &two.schema.expect("schema")
    ));
}

#[test]
fn errors_are_definite() {
    assert_eq!(JsonReadError::Envelope.retry(), Retry::Fatal);
}

#[test]
fn the_envelope_schema_is_checked_but_not_built() {
    use parse::{parse_skipping, Node, Skip};
    let schema = || {
        Some(Skip {
            key: "schema",
            known: None,
        })
    };
    let text = r#"{"schema": {"type": "struct", "fields": [{"type": "int32", "field": "a"}]}, "payload": {"a": 1}}"#;
    let Some(Node::Object(members)) = parse_skipping(text, schema()).unwrap() else {
        panic!("an object");
    };
    assert_eq!(members[0].value, Node::Skipped);
    assert_eq!(
        &text[members[0].span.clone()],
        r#"{"type": "struct", "fields": [{"type": "int32", "field": "a"}]}"#
    );
    assert!(matches!(members[1].value, Node::Object(_)));
    // Only the top-level member is skipped; a null schema stays null.
    let nested = r#"{"payload": {"schema": [1]}, "schema": null}"#;
    let Some(Node::Object(members)) = parse_skipping(nested, schema()).unwrap() else {
        panic!("an object");
    };
    assert!(
        matches!(&members[0].value, Node::Object(m) if m[0].value == Node::Array(vec![Node::Number("1")]))
    );
    assert_eq!(members[1].value, Node::Null);
    // The skipped value is held to the same grammar and depth limit as a parsed one.
    for bad in [
        r#"{"schema": {"type" "int32"}, "payload": 1}"#,
        r#"{"schema": {"type": "int32",}, "payload": 1}"#,
        r#"{"schema": [1 2], "payload": 1}"#,
        r#"{"schema": {"a": tru}, "payload": 1}"#,
        r#"{"schema": {"a": "\q"}, "payload": 1}"#,
        r#"{"schema": {"a": 01.}, "payload": 1}"#,
    ] {
        assert_eq!(
            parse_skipping(bad, schema()).map(drop),
            parse::parse(bad).map(drop),
            "{bad}"
        );
        assert!(parse::parse(bad).is_err(), "{bad}");
    }
    let deep = format!(
        r#"{{"schema": {}1{}, "payload": 1}}"#,
        "[".repeat(parse::MAX_DEPTH),
        "]".repeat(parse::MAX_DEPTH)
    );
    assert_eq!(
        parse_skipping(&deep, schema()).map(drop),
        parse::parse(&deep).map(drop)
    );
    assert!(parse::parse(&deep).is_err());
    let ok = format!(
        r#"{{"schema": {}1{}, "payload": 1}}"#,
        "[".repeat(parse::MAX_DEPTH - 1),
        "]".repeat(parse::MAX_DEPTH - 1)
    );
    assert!(parse_skipping(&ok, schema()).is_ok());
    assert!(parse::parse(&ok).is_ok());
}

#[test]
fn a_schema_seen_before_is_not_scanned_again() {
    use parse::{parse_skipping, Node, Skip};
    let known = r#"{"type": "int32"}"#;
    let skip = Some(Skip {
        key: "schema",
        known: Some(known),
    });
    let text = r#"{"schema": {"type": "int32"}, "payload": 1}"#;
    let Some(Node::Object(members)) = parse_skipping(text, skip).unwrap() else {
        panic!("an object");
    };
    assert_eq!(&text[members[0].span.clone()], known);
    assert_eq!(members[1].value, Node::Number("1"));
    // Another schema is scanned as usual, and held to the grammar.
    let other = r#"{"schema": {"type": "int64"}, "payload": 1}"#;
    let Some(Node::Object(members)) = parse_skipping(other, skip).unwrap() else {
        panic!("an object");
    };
    assert_eq!(&other[members[0].span.clone()], r#"{"type": "int64"}"#);
    assert!(parse_skipping(r#"{"schema": {"type": int32}, "payload": 1}"#, skip).is_err());

    // Through the reader: a second record with the same schema reads the same, from the cache.
    let reader = with_schemas().reader();
    let doc = |v: i32| format!(r#"{{"schema": {known}, "payload": {v}}}"#);
    for v in [1, 2] {
        let read = reader
            .to_connect("t", Some(doc(v).as_bytes()))
            .unwrap()
            .unwrap();
        assert_eq!(read.value, Value::Int32(v));
        assert_eq!(read.schema.unwrap().kind, crate::schema::SchemaType::Int32);
    }
}
