//! Golden tests of the type mapping against the real server: each column is read back in the
//! binary format (RawValue) and as text (simple query protocol), both decodings must give the same value,
//! and schema and payload are asserted as the JSON Debezium documents.

use std::sync::Arc;

use cdc_core::json::{schema_json, JsonConverter};
use cdc_core::record::Data;
use cdc_core::{Schema, Value};
use pg_wal::convert::{
    binary_supported, column_schema, decode_binary, decode_text, BinaryHandling, ConvertError,
    DecimalHandling, HstoreHandling, IntervalHandling, PgTypeKind, RawValue, TimePrecision,
    TypeModes, TypeRegistry,
};
use serde_json::{json, Value as Json};
use tokio_postgres::SimpleQueryMessage;

use crate::support::PgFixture;

/// One column read back both ways.
struct Column {
    name: String,
    schema: Schema,
    values: Vec<Value>,
}

impl Column {
    /// The schema as JsonConverter writes it.
    fn schema(&self) -> Json {
        schema_json(&self.schema)
    }

    /// Each row's payload, as a one-field struct without schemas.
    fn payloads(&self) -> Vec<Json> {
        let record = Arc::new(Schema::structure("v").field(self.name.clone(), self.schema.clone()));
        let converter = JsonConverter {
            schemas_enable: false,
            ..Default::default()
        };
        self.values
            .iter()
            .map(|v| converter.to_json(&Data::new(record.clone(), Value::Struct(vec![v.clone()]))))
            .collect()
    }
}

/// Reads `col` of every row of `table` (ordered by `id`) in binary and in text, decodes both and
/// checks they agree. `None` when the column is skipped (no schema).
async fn read(db: &PgFixture, table: &str, col: &str, modes: &TypeModes) -> Option<Column> {
    let registry = TypeRegistry::load(&db.client).await.expect("load types");
    let meta = db
        .client
        .query_one(
            "SELECT atttypid, atttypmod, NOT attnotnull FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attname = $2",
            &[&table, &col],
        )
        .await
        .expect("column metadata");
    let (oid, typmod, nullable): (u32, i32, bool) = (meta.get(0), meta.get(1), meta.get(2));
    let ty = registry.resolve(oid).expect("type in registry");
    let schema = column_schema(ty, typmod, nullable, modes)?;

    // The simple query protocol returns each value in its output function's text form: what
    // pgoutput sends without `binary` (a `::text` cast would trim bpchar's padding).
    let text: Vec<Value> =
        db.client
            .simple_query(&format!("SELECT {col} FROM {table} ORDER BY id"))
            .await
            .expect("text query")
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(match row.get(0) {
                    Some(s) => decode_text(ty, typmod, s, modes)
                        .unwrap_or_else(|e| panic!("{col} text: {e}")),
                    None => Value::Null,
                }),
                _ => None,
            })
            .collect();

    let column = Column {
        name: col.to_owned(),
        schema,
        values: text,
    };
    if binary_supported(ty, typmod, modes) {
        let rows = db
            .client
            .query(&format!("SELECT {col} FROM {table} ORDER BY id"), &[])
            .await
            .expect("binary query");
        let binary = Column {
            values: rows
                .iter()
                .map(|r| match r.get::<_, Option<RawValue>>(0) {
                    Some(raw) => decode_binary(ty, typmod, raw.0, modes)
                        .unwrap_or_else(|e| panic!("{col} binary: {e}")),
                    None => Value::Null,
                })
                .collect(),
            name: column.name.clone(),
            schema: column.schema.clone(),
        };
        // Compared as JSON, where NaN equals NaN.
        assert_eq!(
            binary.payloads(),
            column.payloads(),
            "{col}: binary and text decodings differ"
        );
    }
    Some(column)
}

/// Reads a column and returns (schema JSON, payload JSONs).
async fn golden(db: &PgFixture, table: &str, col: &str, modes: &TypeModes) -> (Json, Vec<Json>) {
    let c = read(db, table, col, modes)
        .await
        .unwrap_or_else(|| panic!("{col} has no schema"));
    (c.schema(), c.payloads())
}

fn modes() -> TypeModes {
    TypeModes::default()
}

#[tokio::test]
async fn integers_floats_and_oids() {
    let db = PgFixture::start("convert_numbers").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, si int2, i int4 NOT NULL, bi int8, o oid, r float4, d float8, b bool);
         INSERT INTO t VALUES
           (1, -32768, 2147483647, -9223372036854775808, 4000000000, 3.3, 4.44, true),
           (2, NULL, 0, NULL, NULL, 'NaN', 'NaN', false),
           (3, 1, 1, 1, 0, 'Infinity', '-Infinity', NULL),
           (4, 1, -1, 1, 1, '-0', 1e-300, NULL);",
    )
    .await;
    let m = modes();
    let (schema, values) = golden(&db, "t", "si", &m).await;
    assert_eq!(schema, json!({"type": "int16", "optional": true}));
    assert_eq!(
        values,
        [
            json!({"si": -32768}),
            json!({"si": null}),
            json!({"si": 1}),
            json!({"si": 1})
        ]
    );
    let (schema, values) = golden(&db, "t", "i", &m).await;
    assert_eq!(schema, json!({"type": "int32", "optional": false}));
    assert_eq!(values[0], json!({"i": 2147483647}));
    let (schema, values) = golden(&db, "t", "bi", &m).await;
    assert_eq!(schema, json!({"type": "int64", "optional": true}));
    assert_eq!(values[0], json!({"bi": i64::MIN}));
    let (schema, values) = golden(&db, "t", "o", &m).await;
    assert_eq!(schema, json!({"type": "int64", "optional": true}));
    assert_eq!(values[0], json!({"o": 4_000_000_000u32}));
    let (schema, values) = golden(&db, "t", "r", &m).await;
    assert_eq!(schema, json!({"type": "float", "optional": true}));
    assert_eq!(
        values,
        [
            json!({"r": 3.3}),
            json!({"r": "NaN"}),
            json!({"r": "Infinity"}),
            json!({"r": -0.0})
        ]
    );
    let (schema, values) = golden(&db, "t", "d", &m).await;
    assert_eq!(schema, json!({"type": "double", "optional": true}));
    assert_eq!(
        values,
        [
            json!({"d": 4.44}),
            json!({"d": "NaN"}),
            json!({"d": "-Infinity"}),
            json!({"d": 1e-300})
        ]
    );
    let (schema, values) = golden(&db, "t", "b", &m).await;
    assert_eq!(schema, json!({"type": "boolean", "optional": true}));
    assert_eq!(
        values,
        [
            json!({"b": true}),
            json!({"b": false}),
            json!({"b": null}),
            json!({"b": null})
        ]
    );
}

#[tokio::test]
async fn numerics_and_money_in_every_decimal_mode() {
    let db = PgFixture::start("convert_numeric").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, d numeric(3,2), dzs numeric(4), dvs numeric, big numeric,
                         neg numeric(5,-2), m money);
         INSERT INTO t VALUES
           (1, 1.1, 10, 10.1111, 1234567890123456789012345678901234567890, 12345, '$1,234.11'),
           (2, -1.1, -10, -100.000, -0.000000000000000000001, NULL, '-$1,234.11'),
           (3, 0, 0, 0.000, NULL, NULL, 0);",
    )
    .await;
    let precise = modes();
    let (schema, values) = golden(&db, "t", "d", &precise).await;
    assert_eq!(
        schema,
        json!({"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
               "parameters": {"scale": "2", "connect.decimal.precision": "3"}})
    );
    assert_eq!(
        values,
        [
            json!({"d": "bg=="}),
            json!({"d": "kg=="}),
            json!({"d": "AA=="})
        ]
    );
    let (_, values) = golden(&db, "t", "dzs", &precise).await;
    assert_eq!(
        values,
        [
            json!({"dzs": "Cg=="}),
            json!({"dzs": "9g=="}),
            json!({"dzs": "AA=="})
        ]
    );
    let (schema, values) = golden(&db, "t", "dvs", &precise).await;
    assert_eq!(
        schema,
        json!({"type": "struct", "fields": [
                  {"type": "int32", "optional": false, "field": "scale"},
                  {"type": "bytes", "optional": false, "field": "value"}],
               "optional": true, "name": "io.debezium.data.VariableScaleDecimal", "version": 1,
               "doc": "Variable scaled decimal"})
    );
    // Trailing zeros stripped (BigDecimal.stripTrailingZeros), never a negative scale.
    assert_eq!(
        values,
        [
            json!({"dvs": {"scale": 4, "value": "AYr3"}}),
            json!({"dvs": {"scale": 0, "value": "nA=="}}),
            json!({"dvs": {"scale": 0, "value": "AA=="}})
        ]
    );
    let (_, values) = golden(&db, "t", "big", &precise).await;
    assert_eq!(
        values,
        [
            json!({"big": {"scale": 0, "value": "A6DJIHXA2/O4rLxfls4/CtI="}}),
            json!({"big": {"scale": 21, "value": "/w=="}}),
            json!({"big": null})
        ]
    );
    // PostgreSQL 15's negative scale: an exact integer at scale 0 (see mapping.rs).
    let (schema, values) = golden(&db, "t", "neg", &precise).await;
    assert_eq!(
        schema["parameters"],
        json!({"scale": "0", "connect.decimal.precision": "5"})
    );
    assert_eq!(values[0], json!({"neg": "MAw="}));
    let (schema, values) = golden(&db, "t", "m", &precise).await;
    assert_eq!(
        schema,
        json!({"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
               "parameters": {"scale": "2"}})
    );
    assert_eq!(
        values,
        [
            json!({"m": "AeIT"}),
            json!({"m": "/h3t"}),
            json!({"m": "AA=="})
        ]
    );

    let string = TypeModes {
        decimal: DecimalHandling::String,
        ..modes()
    };
    for (col, expected) in [
        ("d", ["1.10", "-1.10", "0.00"]),
        ("dzs", ["10", "-10", "0"]),
        ("dvs", ["10.1111", "-100.000", "0.000"]),
        ("m", ["1234.11", "-1234.11", "0.00"]),
    ] {
        let (schema, values) = golden(&db, "t", col, &string).await;
        assert_eq!(schema, json!({"type": "string", "optional": true}));
        let expected: Vec<Json> = expected.iter().map(|v| json!({ col: v })).collect();
        assert_eq!(values, expected);
    }
    let (_, values) = golden(&db, "t", "big", &string).await;
    assert_eq!(values[1], json!({"big": "-0.000000000000000000001"}));

    let double = TypeModes {
        decimal: DecimalHandling::Double,
        ..modes()
    };
    let (schema, values) = golden(&db, "t", "dvs", &double).await;
    assert_eq!(schema, json!({"type": "double", "optional": true}));
    assert_eq!(
        values,
        [
            json!({"dvs": 10.1111}),
            json!({"dvs": -100.0}),
            json!({"dvs": 0.0})
        ]
    );
    let (_, values) = golden(&db, "t", "big", &double).await;
    assert_eq!(values[0], json!({"big": 1.2345678901234568e39}));
    let (_, values) = golden(&db, "t", "m", &double).await;
    assert_eq!(values[1], json!({"m": -1234.11}));
}

#[tokio::test]
async fn numeric_nan_and_infinity_need_string_or_double_mode() {
    let db = PgFixture::start("convert_numeric_special").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v numeric, c numeric(10,2));
         INSERT INTO t VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', 1), (3, '-Infinity', 2);",
    )
    .await;
    let string = TypeModes {
        decimal: DecimalHandling::String,
        ..modes()
    };
    let (_, values) = golden(&db, "t", "v", &string).await;
    // SpecialValueDecimal.toString(): the enum constant names.
    assert_eq!(
        values,
        [
            json!({"v": "NAN"}),
            json!({"v": "POSITIVE_INFINITY"}),
            json!({"v": "NEGATIVE_INFINITY"})
        ]
    );
    let (_, values) = golden(&db, "t", "c", &string).await;
    assert_eq!(values[0], json!({"c": "NAN"}));
    let double = TypeModes {
        decimal: DecimalHandling::Double,
        ..modes()
    };
    let (_, values) = golden(&db, "t", "v", &double).await;
    assert_eq!(
        values,
        [
            json!({"v": "NaN"}),
            json!({"v": "Infinity"}),
            json!({"v": "-Infinity"})
        ]
    );

    // Precise mode cannot carry them: Debezium fails the connector; we return an error.
    let registry = TypeRegistry::load(&db.client).await.unwrap();
    let numeric = registry.resolve(1700).unwrap();
    let err = decode_text(numeric, -1, "NaN", &modes()).unwrap_err();
    assert!(matches!(err, ConvertError::SpecialNumeric { .. }), "{err}");
    let row = db
        .client
        .query_one("SELECT v FROM t WHERE id = 2", &[])
        .await
        .unwrap();
    let raw: RawValue = row.get(0);
    let err = decode_binary(numeric, -1, raw.0, &modes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "numeric value is NaN or infinite, which decimal.handling.mode=precise cannot represent; \
         set decimal.handling.mode to 'string' or 'double'"
    );
}

#[tokio::test]
async fn character_types_and_bytea_in_every_binary_mode() {
    use base64::Engine as _;

    let db = PgFixture::start("convert_strings").await;
    db.exec(
        r#"CREATE EXTENSION citext;
           CREATE TABLE t (id int PRIMARY KEY, vc varchar(4), ch char(5), tx text, n name, c "char", ci citext,
                           b bytea);
           INSERT INTO t VALUES
             (1, 'žš', 'ab', 'clef 𝄞, smile 😀', 'nm', 'x', 'Hello',
              (SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i), 'hex')
                 FROM generate_series(0, 255) i)),
             (2, '', '', '', '', chr(233)::"char", '', ''::bytea),
             (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"#,
    )
    .await;
    let m = modes();
    for (col, first, second) in [
        ("vc", "žš", ""),
        ("ch", "ab   ", "     "),
        ("tx", "clef 𝄞, smile 😀", ""),
        ("n", "nm", ""),
        // "char" prints bytes above 127 in octal, whichever way it is read.
        ("c", "x", "\\303"),
        ("ci", "Hello", ""),
    ] {
        let (schema, values) = golden(&db, "t", col, &m).await;
        assert_eq!(schema, json!({"type": "string", "optional": true}), "{col}");
        assert_eq!(
            values,
            [
                json!({ col: first }),
                json!({ col: second }),
                json!({ col: null })
            ],
            "{col}"
        );
    }

    let all: Vec<u8> = (0..=255).collect();
    let (schema, values) = golden(&db, "t", "b", &m).await;
    assert_eq!(schema, json!({"type": "bytes", "optional": true}));
    let b64 = base64::engine::general_purpose::STANDARD.encode(&all);
    assert_eq!(
        values,
        [json!({"b": b64}), json!({"b": ""}), json!({"b": null})]
    );
    for (mode, expected) in [
        (BinaryHandling::Base64, b64.clone()),
        (
            BinaryHandling::Base64UrlSafe,
            base64::engine::general_purpose::URL_SAFE.encode(&all),
        ),
        (
            BinaryHandling::Hex,
            all.iter().map(|b| format!("{b:02x}")).collect(),
        ),
    ] {
        let (schema, values) = golden(
            &db,
            "t",
            "b",
            &TypeModes {
                binary: mode,
                ..modes()
            },
        )
        .await;
        assert_eq!(schema, json!({"type": "string", "optional": true}));
        assert_eq!(
            values,
            [
                json!({ "b": expected }),
                json!({"b": ""}),
                json!({"b": null})
            ],
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn temporal_types_in_adaptive_mode_with_infinities_and_bc() {
    let db = PgFixture::start("convert_temporal").await;
    db.exec(
        "SET TimeZone = 'UTC';
         CREATE TABLE t (id int PRIMARY KEY, d date, ti time, tip time(3), ti0 time(0), ttz timetz,
                         ts timestamp, ts3 timestamp(3), tz timestamptz, tz3 timestamptz(3), tz0 timestamptz(0),
                         it interval);
         INSERT INTO t VALUES
           (1, '2016-11-04', '13:51:30', '13:51:30.123', '13:51:30.6', '13:51:30.123789+02:00',
            '2016-11-04T13:51:30.123456', '2016-11-04T13:51:30.123456', '2016-11-04T13:51:30.123456+02:00',
            '2016-11-04T13:51:30.123456+02:00', '2016-11-04T13:51:30.123456+02:00', 'P1Y2M3DT4H5M6.78S'),
           (2, 'infinity', '24:00:00', '24:00:00', '24:00:00', '24:00:00+00', 'infinity', 'infinity',
            'infinity', 'infinity', 'infinity', '-1 years -2 mons +3 days -04:05:06.78'),
           (3, '-infinity', '00:00:00', '00:00:00', '00:00:00', '00:00:00-05:30', '-infinity', '-infinity',
            '-infinity', '-infinity', '-infinity', '0'),
           (4, '0044-03-15 BC', NULL, NULL, NULL, NULL, '4713-12-31T23:59:59.999999 BC',
            '4713-12-31T23:59:59.999999 BC', '4714-12-31T23:59:59.999999Z BC',
            '21016-11-04T13:51:30.000000+07:00', '21016-11-04T13:51:30.000000+07:00', '1 day 25:00:00');",
    )
    .await;
    let m = modes();
    let (schema, values) = golden(&db, "t", "d", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "io.debezium.time.Date", "version": 1})
    );
    // Debezium's infinity dates are -5877611-06-21 (+infinity) and -5877611-06-22 (-infinity).
    assert_eq!(
        values,
        [
            json!({"d": 17109}),
            json!({"d": -2147472692}),
            json!({"d": -2147472691}),
            json!({"d": -735160})
        ]
    );
    let (schema, values) = golden(&db, "t", "ti", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroTime", "version": 1})
    );
    assert_eq!(
        &values[..3],
        [
            json!({"ti": 49890000000i64}),
            json!({"ti": 86400000000i64}),
            json!({"ti": 0})
        ]
    );
    let (schema, values) = golden(&db, "t", "tip", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "io.debezium.time.Time", "version": 1})
    );
    assert_eq!(
        &values[..2],
        [json!({"tip": 49890123}), json!({"tip": 86400000})]
    );
    let (_, values) = golden(&db, "t", "ti0", &m).await;
    assert_eq!(values[0], json!({"ti0": 49891000}));
    let (schema, values) = golden(&db, "t", "ttz", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.ZonedTime", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"ttz": "11:51:30.123789Z"}),
            json!({"ttz": "24:00:00Z"}),
            json!({"ttz": "05:30:00Z"}),
            json!({"ttz": null})
        ]
    );
    let (schema, values) = golden(&db, "t", "ts", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroTimestamp", "version": 1})
    );
    // PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY for the infinities.
    assert_eq!(
        values,
        [
            json!({"ts": 1478267490123456i64}),
            json!({"ts": 9223372036825200000i64}),
            json!({"ts": -9223372036832400000i64}),
            json!({"ts": -210831897600000001i64})
        ]
    );
    let (schema, values) = golden(&db, "t", "ts3", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.Timestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"ts3": 1478267490123i64}),
            json!({"ts3": 9223372036825200i64}),
            json!({"ts3": -9223372036832400i64}),
            json!({"ts3": -210831897600000i64})
        ]
    );
    let (schema, values) = golden(&db, "t", "tz", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.ZonedTimestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"tz": "2016-11-04T11:51:30.123456Z"}),
            json!({"tz": "infinity"}),
            json!({"tz": "-infinity"}),
            json!({"tz": "-4713-12-31T23:59:59.999999Z"})
        ]
    );
    let (_, values) = golden(&db, "t", "tz3", &m).await;
    assert_eq!(values[0], json!({"tz3": "2016-11-04T11:51:30.123Z"}));
    assert_eq!(values[3], json!({"tz3": "+21016-11-04T06:51:30.000Z"}));
    let (_, values) = golden(&db, "t", "tz0", &m).await;
    assert_eq!(values[0], json!({"tz0": "2016-11-04T11:51:30Z"}));
    let (schema, values) = golden(&db, "t", "it", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroDuration", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"it": 37091106780000i64}),
            json!({"it": -36572706780000i64}),
            json!({"it": 0}),
            json!({"it": 176400000000i64})
        ]
    );
    let strings = TypeModes {
        interval: IntervalHandling::String,
        ..modes()
    };
    let (schema, values) = golden(&db, "t", "it", &strings).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.Interval", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"it": "P1Y2M3DT4H5M6.78S"}),
            json!({"it": "P-1Y-2M3DT-4H-5M-6.78S"}),
            json!({"it": "P0Y0M0DT0H0M0S"}),
            json!({"it": "P0Y0M1DT25H0M0S"})
        ]
    );
}

#[tokio::test]
async fn temporal_types_in_the_other_precision_modes() {
    let db = PgFixture::start("convert_temporal_modes").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, d date, ti time, ts timestamp(3), tsu timestamp);
         INSERT INTO t VALUES
           (1, '2016-11-04', '13:51:30.5', '2016-11-04T13:51:30.123', '1969-12-31T23:59:59.999999'),
           (2, 'infinity', '24:00:00', 'infinity', '-infinity');",
    )
    .await;
    let mode = |time_precision| TypeModes {
        time_precision,
        ..modes()
    };

    let connect = mode(TimePrecision::Connect);
    let (schema, values) = golden(&db, "t", "d", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Date", "version": 1})
    );
    assert_eq!(values[0], json!({"d": 17109}));
    let (schema, values) = golden(&db, "t", "ti", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Time", "version": 1})
    );
    assert_eq!(values, [json!({"ti": 49890500}), json!({"ti": 86400000})]);
    let (schema, values) = golden(&db, "t", "tsu", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1})
    );
    assert_eq!(values[0], json!({"tsu": -1}));

    let iso = mode(TimePrecision::IsoString);
    let (schema, values) = golden(&db, "t", "d", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoDate", "version": 1})
    );
    assert_eq!(
        values,
        [json!({"d": "2016-11-04Z"}), json!({"d": "-5877611-06-21Z"})]
    );
    let (schema, values) = golden(&db, "t", "ti", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoTime", "version": 1})
    );
    assert_eq!(
        values,
        [json!({"ti": "13:51:30.5Z"}), json!({"ti": "00:00:00Z"})]
    );
    let (schema, values) = golden(&db, "t", "tsu", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoTimestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"tsu": "1969-12-31T23:59:59.999999Z"}),
            json!({"tsu": "-290308-12-21T19:59:27.6Z"})
        ]
    );
    let (_, values) = golden(&db, "t", "ts", &iso).await;
    assert_eq!(values[1], json!({"ts": "+294247-01-10T04:00:25.2Z"}));

    let micro = mode(TimePrecision::Microseconds);
    let (schema, values) = golden(&db, "t", "ts", &micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.MicroTimestamp"));
    assert_eq!(values[0], json!({"ts": 1478267490123000i64}));
    let (schema, values) = golden(&db, "t", "ti", &micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.MicroTime"));
    assert_eq!(values[0], json!({"ti": 49890500000i64}));

    let nano = mode(TimePrecision::Nanoseconds);
    let (schema, values) = golden(&db, "t", "ts", &nano).await;
    assert_eq!(schema["name"], json!("io.debezium.time.NanoTimestamp"));
    assert_eq!(
        values,
        [
            json!({"ts": 1478267490123000000i64}),
            json!({"ts": i64::MAX})
        ]
    );
    let (_, values) = golden(&db, "t", "tsu", &nano).await;
    assert_eq!(values[1], json!({"tsu": i64::MIN}));
    let (schema, values) = golden(&db, "t", "ti", &nano).await;
    assert_eq!(schema["name"], json!("io.debezium.time.NanoTime"));
    assert_eq!(values[0], json!({"ti": 49890500000000i64}));

    let adaptive_micro = mode(TimePrecision::AdaptiveTimeMicroseconds);
    let (schema, _) = golden(&db, "t", "ts", &adaptive_micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.Timestamp"));
}

#[tokio::test]
async fn json_xml_uuid_network_bits_and_tsvector() {
    let db = PgFixture::start("convert_misc").await;
    db.exec(
        r#"CREATE TABLE t (id int PRIMARY KEY, j json, jb jsonb, x xml, u uuid, i inet, c cidr, m macaddr,
                          m8 macaddr8, b1 bit, b2 bit(2), b7 bit(7), b24 bit(24), vb1 varbit(1), vb varbit,
                          tv tsvector);
           INSERT INTO t VALUES
             (1, '{"bar": "baz"}', '{"bar": "baz", "a": [1, 2.50]}', '<foo>bar</foo><foo>bar</foo>',
              'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.2.0/12', '192.168.100.128/25', '08:00:2b:01:02:03',
              '08:00:2b:01:02:03:04:05', '1', '11', '1'::bit(7), '000000110000001000000001', '1', '101',
              'a fat cat sat on a mat and ate a fat rat'),
             (2, 'null', '"ž"', '<a/>', '00000000-0000-0000-0000-000000000000', '::ffff:1.2.3.4', '2001:db8::/32',
              'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00', '0', '00', '0000000', '000000000000000000000000',
              '0', '111011010001000110000001000000001', $$'it''s':2A,4 'rat':3$$),
             (3, NULL, NULL, NULL, NULL, '10.0.0.1', '10.0.0.1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '',
              '');"#,
    )
    .await;
    let m = modes();
    let named =
        |name: &str| json!({"type": "string", "optional": true, "name": name, "version": 1});
    let (schema, values) = golden(&db, "t", "j", &m).await;
    assert_eq!(schema, named("io.debezium.data.Json"));
    assert_eq!(
        values,
        [
            json!({"j": "{\"bar\": \"baz\"}"}),
            json!({"j": "null"}),
            json!({"j": null})
        ]
    );
    let (schema, values) = golden(&db, "t", "jb", &m).await;
    assert_eq!(schema, named("io.debezium.data.Json"));
    assert_eq!(
        values[..2],
        [
            json!({"jb": "{\"a\": [1, 2.50], \"bar\": \"baz\"}"}),
            json!({"jb": "\"ž\""})
        ]
    );
    let (schema, values) = golden(&db, "t", "x", &m).await;
    assert_eq!(schema, named("io.debezium.data.Xml"));
    assert_eq!(values[0], json!({"x": "<foo>bar</foo><foo>bar</foo>"}));
    let (schema, values) = golden(&db, "t", "u", &m).await;
    assert_eq!(schema, named("io.debezium.data.Uuid"));
    assert_eq!(
        values[0],
        json!({"u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"})
    );
    for (col, expected) in [
        ("i", ["192.168.2.0/12", "::ffff:1.2.3.4", "10.0.0.1"]),
        ("c", ["192.168.100.128/25", "2001:db8::/32", "10.0.0.1/32"]),
    ] {
        let (schema, values) = golden(&db, "t", col, &m).await;
        assert_eq!(schema, json!({"type": "string", "optional": true}));
        let expected: Vec<Json> = expected.iter().map(|v| json!({ col: v })).collect();
        assert_eq!(values, expected);
    }
    let (_, values) = golden(&db, "t", "m", &m).await;
    assert_eq!(
        values[..2],
        [
            json!({"m": "08:00:2b:01:02:03"}),
            json!({"m": "ff:ff:ff:ff:ff:ff"})
        ]
    );
    let (_, values) = golden(&db, "t", "m8", &m).await;
    assert_eq!(values[0], json!({"m8": "08:00:2b:01:02:03:04:05"}));

    // bit(1) and varbit(1) are booleans; longer bit strings io.debezium.data.Bits, little-endian.
    for col in ["b1", "vb1"] {
        let (schema, values) = golden(&db, "t", col, &m).await;
        assert_eq!(schema, json!({"type": "boolean", "optional": true}));
        assert_eq!(
            values,
            [
                json!({ col: true }),
                json!({ col: false }),
                json!({ col: null })
            ]
        );
    }
    let bits = |length: &str| {
        json!({"type": "bytes", "optional": true, "name": "io.debezium.data.Bits", "version": 1,
               "parameters": {"length": length}})
    };
    let (schema, values) = golden(&db, "t", "b2", &m).await;
    assert_eq!(schema, bits("2"));
    assert_eq!(values[..2], [json!({"b2": "Aw=="}), json!({"b2": ""})]);
    let (schema, values) = golden(&db, "t", "b7", &m).await;
    assert_eq!(schema, bits("7"));
    assert_eq!(values[0], json!({"b7": "QA=="}));
    let (_, values) = golden(&db, "t", "b24", &m).await;
    assert_eq!(values[0], json!({"b24": "AQID"}));
    let (schema, values) = golden(&db, "t", "vb", &m).await;
    assert_eq!(schema, bits("2147483647"));
    assert_eq!(
        values,
        [
            json!({"vb": "BQ=="}),
            json!({"vb": "AQIj2gE="}),
            json!({"vb": ""})
        ]
    );

    let (schema, values) = golden(&db, "t", "tv", &m).await;
    assert_eq!(schema, named("io.debezium.data.Tsvector"));
    assert_eq!(
        values,
        [
            json!({"tv": "'a' 'and' 'ate' 'cat' 'fat' 'mat' 'on' 'rat' 'sat'"}),
            json!({"tv": "'it''s':2A,4 'rat':3"}),
            json!({"tv": ""})
        ]
    );
}

#[tokio::test]
async fn geometric_types() {
    let db = PgFixture::start("convert_geometry").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, p point, pn point NOT NULL, l line, s lseg, b box, pa path, po polygon,
                         c circle);
         INSERT INTO t VALUES
           (1, '(1,1)', '(-1.5,2e300)', '{1,-1,0}', '[(0,0),(1,1)]', '(3,4),(1,2)', '[(0,0),(1,1),(2,0)]',
            '((0,0),(0,1),(1,1))', '<(1,2),3>'),
           (2, NULL, '(0,0)', NULL, NULL, NULL, '((0,0),(1,1))', NULL, NULL);",
    )
    .await;
    let m = modes();
    let wkb_point = |x: f64, y: f64| {
        let mut wkb = vec![1, 1, 0, 0, 0];
        wkb.extend_from_slice(&x.to_le_bytes());
        wkb.extend_from_slice(&y.to_le_bytes());
        b64(&wkb)
    };
    let point_schema = |optional: bool| {
        json!({"type": "struct", "fields": [
                  {"type": "double", "optional": false, "field": "x"},
                  {"type": "double", "optional": false, "field": "y"},
                  {"type": "bytes", "optional": true, "field": "wkb"},
                  {"type": "int32", "optional": true, "field": "srid"}],
               "optional": optional, "name": "io.debezium.data.geometry.Point", "version": 1,
               "doc": "Geometry (POINT)"})
    };
    let (schema, values) = golden(&db, "t", "p", &m).await;
    assert_eq!(schema, point_schema(true));
    assert_eq!(
        values,
        [
            json!({"p": {"x": 1.0, "y": 1.0, "wkb": wkb_point(1.0, 1.0), "srid": null}}),
            json!({"p": null})
        ]
    );
    let (schema, values) = golden(&db, "t", "pn", &m).await;
    assert_eq!(schema, point_schema(false));
    assert_eq!(values[0]["pn"]["y"], json!(2e300));

    let (schema, values) = golden(&db, "t", "l", &m).await;
    assert_eq!(
        schema,
        json!({"type": "struct", "fields": [
                  {"type": "double", "optional": false, "field": "a"},
                  {"type": "double", "optional": false, "field": "b"},
                  {"type": "double", "optional": false, "field": "c"}],
               "optional": true, "name": "io.debezium.data.geometry.Line", "version": 1, "doc": "Geometry (LINE)"})
    );
    assert_eq!(values[0], json!({"l": {"a": 1.0, "b": -1.0, "c": 0.0}}));

    let (schema, values) = golden(&db, "t", "c", &m).await;
    assert_eq!(schema["name"], json!("io.debezium.data.geometry.Circle"));
    assert_eq!(schema["fields"][0], {
        let mut center = point_schema(false);
        center["field"] = json!("center");
        center
    });
    assert_eq!(
        values[0],
        json!({"c": {"center": {"x": 1.0, "y": 2.0, "wkb": wkb_point(1.0, 2.0), "srid": null}, "radius": 3.0}})
    );

    // Geometry structs are optional even for NOT NULL columns, as Debezium's builder makes them.
    let geometry_schema = json!({"type": "struct", "fields": [
            {"type": "bytes", "optional": false, "field": "wkb"},
            {"type": "int32", "optional": true, "field": "srid"},
            {"type": "map", "keys": {"type": "string", "optional": false},
             "values": {"type": "string", "optional": false}, "optional": true, "field": "extensions"}],
        "optional": true, "name": "io.debezium.data.geometry.Geometry", "version": 2, "doc": "Geometry"});
    let line_string = |points: &[(f64, f64)]| {
        let mut wkb = vec![1, 2, 0, 0, 0];
        wkb.extend_from_slice(&(points.len() as u32).to_le_bytes());
        for (x, y) in points {
            wkb.extend_from_slice(&x.to_le_bytes());
            wkb.extend_from_slice(&y.to_le_bytes());
        }
        b64(&wkb)
    };
    let polygon = |points: &[(f64, f64)]| {
        let mut wkb = vec![1, 3, 0, 0, 0, 1, 0, 0, 0];
        wkb.extend_from_slice(&(points.len() as u32).to_le_bytes());
        for (x, y) in points {
            wkb.extend_from_slice(&x.to_le_bytes());
            wkb.extend_from_slice(&y.to_le_bytes());
        }
        b64(&wkb)
    };
    let (schema, values) = golden(&db, "t", "s", &m).await;
    assert_eq!(schema, geometry_schema);
    assert_eq!(
        values[0],
        json!({"s": {"wkb": line_string(&[(0.0, 0.0), (1.0, 1.0)]), "srid": null, "extensions": {"type": "lseg"}}})
    );
    let (_, values) = golden(&db, "t", "b", &m).await;
    let ring = [(3.0, 4.0), (3.0, 2.0), (1.0, 2.0), (1.0, 4.0), (3.0, 4.0)];
    assert_eq!(
        values[0],
        json!({"b": {"wkb": polygon(&ring), "srid": null, "extensions": {"type": "box"}}})
    );
    let (_, values) = golden(&db, "t", "pa", &m).await;
    assert_eq!(
        values,
        [
            json!({"pa": {"wkb": line_string(&[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]), "srid": null,
                          "extensions": {"type": "path", "closed": "false"}}}),
            json!({"pa": {"wkb": line_string(&[(0.0, 0.0), (1.0, 1.0)]), "srid": null,
                          "extensions": {"type": "path", "closed": "true"}}})
        ]
    );
    let (_, values) = golden(&db, "t", "po", &m).await;
    let ring = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)];
    assert_eq!(
        values[0],
        json!({"po": {"wkb": polygon(&ring), "srid": null, "extensions": {"type": "polygon"}}})
    );
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn range_types_as_postgres_prints_them() {
    let db = PgFixture::start("convert_ranges").await;
    db.exec(
        "SET TimeZone = 'UTC';
         CREATE TABLE t (id int PRIMARY KEY, r4 int4range, r8 int8range, rn numrange, rts tsrange, rtz tstzrange,
                         rd daterange);
         INSERT INTO t VALUES
           (1, '[1000,6000)', '[1000000,6000000)', '[5.3,6.3)', '[2019-03-31 15:30:00, infinity)',
            '[2017-06-05 11:29:12.549426+00,)', '[2019-03-31, infinity)'),
           (2, '(,5]', 'empty', '(,)', '[2019-03-31 15:30:00, 2019-04-30 15:30:00]',
            '[2017-06-05 11:29:12.549426+00, 2017-06-05 12:34:56.789012+00]', '[0044-03-15 BC, 2019-04-30)'),
           (3, NULL, NULL, '[-1.50,NaN]', NULL, NULL, NULL);",
    )
    .await;
    let m = modes();
    for (col, expected) in [
        ("r4", [json!("[1000,6000)"), json!("(,6)"), Json::Null]),
        (
            "r8",
            [json!("[1000000,6000000)"), json!("empty"), Json::Null],
        ),
        (
            "rn",
            [json!("[5.3,6.3)"), json!("(,)"), json!("[-1.50,NaN]")],
        ),
        (
            "rts",
            [
                json!("[\"2019-03-31 15:30:00\",infinity)"),
                json!("[\"2019-03-31 15:30:00\",\"2019-04-30 15:30:00\"]"),
                Json::Null,
            ],
        ),
        (
            "rtz",
            [
                json!("[\"2017-06-05 11:29:12.549426+00\",)"),
                json!("[\"2017-06-05 11:29:12.549426+00\",\"2017-06-05 12:34:56.789012+00\"]"),
                Json::Null,
            ],
        ),
        (
            "rd",
            [
                json!("[2019-03-31,infinity)"),
                json!("[\"0044-03-15 BC\",2019-04-30)"),
                Json::Null,
            ],
        ),
    ] {
        let (schema, values) = golden(&db, "t", col, &m).await;
        assert_eq!(schema, json!({"type": "string", "optional": true}));
        let expected: Vec<Json> = expected.into_iter().map(|v| json!({ col: v })).collect();
        assert_eq!(values, expected, "{col}");
    }
}

#[tokio::test]
async fn arrays_enums_domains_and_extension_types() {
    let db = PgFixture::start("convert_arrays").await;
    db.exec(
        r#"SET TimeZone = 'UTC';
           CREATE EXTENSION hstore; CREATE EXTENSION ltree; CREATE EXTENSION citext;
           CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
           CREATE DOMAIN posint AS int CHECK (VALUE > 0);
           CREATE DOMAIN price AS numeric(10,2);
           CREATE TABLE t (id int PRIMARY KEY, ia int4[], ta text[], ca char(3)[], na numeric(10,2)[], vna numeric[],
                           da date[], tsa timestamp[], tza timestamptz[], ja jsonb[], ina inet[], ra int4range[],
                           bya bytea[], fa float8[], oa oid[], cta citext[], lta ltree[], hsa hstore[], ea mood[],
                           boxa box[], ia2 int4[], e mood, dm posint NOT NULL, dn price, hs hstore, lt ltree,
                           dma posint[], ma money[]);
           INSERT INTO t VALUES
             (1, '{1,NULL,3}', '{one,"NULL",NULL,"a,b","q\"uote"}', '{a,bb}', '{1.2,NULL,5.6}',
              '{1.1,2.22,3.333}', '{2016-11-04,NULL}', '{"2020-04-01 00:01:02"}', '{"2020-04-01 11:51:02+00"}',
              ARRAY['{"bar": "baz"}'::jsonb, NULL], '{192.168.2.0/12,::1}', '{"[1,6)",empty}',
              ARRAY['\x000102'::bytea, NULL], '{NaN,1.5}', '{3,4000000000}', '{Four,five}', '{Ship.Frigate,Top}',
              ARRAY['"key4"=>"val4","key5"=>NULL'::hstore, '"key6"=>"val6"'], '{sad,happy}',
              '{(1,1),(0,0);(3,4),(1,2)}', '{{1,2},{3,4}}', 'ok', 5, 12.5, '"key1"=>"val1","key2"=>NULL',
              'Top.Collections', '{1,2}', '{1}'),
             (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
              '{}', '{}', '{}', NULL, 1, NULL, '', NULL, NULL, NULL);"#,
    )
    .await;
    let m = modes();
    let array_of = |items: Json| json!({"type": "array", "items": items, "optional": true});
    let optional = |kind: &str| json!({"type": kind, "optional": true});
    let cases = [
        ("ia", array_of(optional("int32")), json!([1, null, 3])),
        (
            "ta",
            array_of(optional("string")),
            json!(["one", "NULL", null, "a,b", "q\"uote"]),
        ),
        ("ca", array_of(optional("string")), json!(["a  ", "bb "])),
        (
            "na",
            array_of(
                json!({"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal",
                            "version": 1, "parameters": {"scale": "2", "connect.decimal.precision": "10"}}),
            ),
            json!(["eA==", null, "AjA="]),
        ),
        (
            "vna",
            array_of(json!({"type": "struct", "fields": [
                {"type": "int32", "optional": false, "field": "scale"},
                {"type": "bytes", "optional": false, "field": "value"}],
                "optional": true, "name": "io.debezium.data.VariableScaleDecimal", "version": 1,
                "doc": "Variable scaled decimal"})),
            json!([{"scale": 1, "value": "Cw=="}, {"scale": 2, "value": "AN4="}, {"scale": 3, "value": "DQU="}]),
        ),
        (
            "da",
            array_of(
                json!({"type": "int32", "optional": true, "name": "io.debezium.time.Date", "version": 1}),
            ),
            json!([17109, null]),
        ),
        (
            "tsa",
            array_of(
                json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroTimestamp", "version": 1}),
            ),
            json!([1585699262000000i64]),
        ),
        (
            "tza",
            array_of(
                json!({"type": "string", "optional": true, "name": "io.debezium.time.ZonedTimestamp", "version": 1}),
            ),
            json!(["2020-04-01T11:51:02.000000Z"]),
        ),
        (
            "ja",
            array_of(
                json!({"type": "string", "optional": true, "name": "io.debezium.data.Json", "version": 1}),
            ),
            json!(["{\"bar\": \"baz\"}", null]),
        ),
        (
            "ina",
            array_of(optional("string")),
            json!(["192.168.2.0/12", "::1"]),
        ),
        (
            "ra",
            array_of(optional("string")),
            json!(["[1,6)", "empty"]),
        ),
        ("bya", array_of(optional("bytes")), json!(["AAEC", null])),
        ("fa", array_of(optional("double")), json!(["NaN", 1.5])),
        ("oa", array_of(optional("int64")), json!([3, 4000000000u32])),
        ("cta", array_of(optional("string")), json!(["Four", "five"])),
        (
            "lta",
            array_of(
                json!({"type": "string", "optional": true, "name": "io.debezium.data.Ltree", "version": 1}),
            ),
            json!(["Ship.Frigate", "Top"]),
        ),
        (
            "hsa",
            array_of(
                json!({"type": "string", "optional": true, "name": "io.debezium.data.Json", "version": 1}),
            ),
            json!(["{\"key5\":null,\"key4\":\"val4\"}", "{\"key6\":\"val6\"}"]),
        ),
        // Enum elements are required in Debezium's array schema.
        (
            "ea",
            array_of(
                json!({"type": "string", "optional": false, "name": "io.debezium.data.Enum", "version": 1,
                            "parameters": {"allowed": "sad,ok,happy"}}),
            ),
            json!(["sad", "happy"]),
        ),
        // Multi-dimensional arrays: one null per row, as Debezium's element converters give.
        ("ia2", array_of(optional("int32")), json!([null, null])),
    ];
    for (col, schema, first) in cases {
        let (actual_schema, values) = golden(&db, "t", col, &m).await;
        assert_eq!(actual_schema, schema, "{col}");
        assert_eq!(values, [json!({ col: first }), json!({ col: [] })], "{col}");
    }
    let (schema, values) = golden(&db, "t", "boxa", &m).await;
    assert_eq!(
        schema["items"]["name"],
        json!("io.debezium.data.geometry.Geometry")
    );
    assert_eq!(values[0]["boxa"][1]["extensions"], json!({"type": "box"}));

    let (schema, values) = golden(&db, "t", "e", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": 1,
               "parameters": {"allowed": "sad,ok,happy"}})
    );
    assert_eq!(values, [json!({"e": "ok"}), json!({"e": null})]);
    // Domains map as their base type, with the domain's typmod.
    let (schema, values) = golden(&db, "t", "dm", &m).await;
    assert_eq!(schema, json!({"type": "int32", "optional": false}));
    assert_eq!(values, [json!({"dm": 5}), json!({"dm": 1})]);
    let (schema, values) = golden(&db, "t", "dn", &m).await;
    assert_eq!(
        schema["parameters"],
        json!({"scale": "2", "connect.decimal.precision": "10"})
    );
    assert_eq!(values[0], json!({"dn": "BOI="}));
    let (schema, values) = golden(&db, "t", "hs", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.data.Json", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"hs": "{\"key1\":\"val1\",\"key2\":null}"}),
            json!({"hs": "{}"})
        ]
    );
    let map = TypeModes {
        hstore: HstoreHandling::Map,
        ..modes()
    };
    let (schema, values) = golden(&db, "t", "hs", &map).await;
    assert_eq!(
        schema,
        json!({"type": "map", "keys": {"type": "string", "optional": false},
               "values": {"type": "string", "optional": true}, "optional": true})
    );
    assert_eq!(
        values,
        [
            json!({"hs": {"key1": "val1", "key2": null}}),
            json!({"hs": {}})
        ]
    );
    let (schema, values) = golden(&db, "t", "lt", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.data.Ltree", "version": 1})
    );
    assert_eq!(values[0], json!({"lt": "Top.Collections"}));

    // Debezium has no mapping for arrays of domains (nor money[], ...): the columns are skipped,
    // except that include.unknown.datatypes keeps domain arrays as the binary form of each element's text.
    assert!(read(&db, "t", "dma", &m).await.is_none());
    assert!(read(&db, "t", "ma", &m).await.is_none());
    let unknown = TypeModes {
        include_unknown_datatypes: true,
        ..modes()
    };
    assert!(read(&db, "t", "ma", &unknown).await.is_none());
    let (schema, values) = golden(&db, "t", "dma", &unknown).await;
    assert_eq!(
        schema,
        json!({"type": "array", "items": {"type": "bytes", "optional": false}, "optional": true})
    );
    assert_eq!(values[0], json!({"dma": ["MQ==", "Mg=="]}));
}

#[tokio::test]
async fn unknown_types_are_skipped_or_sent_as_their_text() {
    let db = PgFixture::start("convert_unknown").await;
    db.exec(
        "CREATE TYPE pair AS (a int, b text);
         CREATE TABLE t (id int PRIMARY KEY, tsq tsquery, lsn pg_lsn, mr int4multirange, p pair);
         INSERT INTO t VALUES (1, 'fat <-> cat', '16/B374D848', '{[1,3), [5,7)}', ROW(1, 'x y'));",
    )
    .await;
    for col in ["tsq", "lsn", "mr", "p"] {
        assert!(read(&db, "t", col, &modes()).await.is_none(), "{col}");
    }
    let unknown = TypeModes {
        include_unknown_datatypes: true,
        ..modes()
    };
    let (schema, values) = golden(&db, "t", "tsq", &unknown).await;
    assert_eq!(schema, json!({"type": "bytes", "optional": true}));
    assert_eq!(values, [json!({"tsq": "J2ZhdCcgPC0+ICdjYXQn"})]);
    let hex = TypeModes {
        binary: BinaryHandling::Hex,
        ..unknown.clone()
    };
    let (schema, values) = golden(&db, "t", "tsq", &hex).await;
    assert_eq!(schema, json!({"type": "string", "optional": true}));
    assert_eq!(values, [json!({"tsq": "2766617427203c2d3e202763617427"})]);
    let (_, values) = golden(&db, "t", "p", &hex).await;
    assert_eq!(values, [json!({"p": "28312c227820792229"})]);

    // Their binary form cannot be decoded: callers read them as text.
    let registry = TypeRegistry::load(&db.client).await.unwrap();
    let lsn = registry.by_name("pg_lsn").unwrap();
    assert!(!binary_supported(lsn, -1, &unknown));
    let err = decode_binary(lsn, -1, &[0; 8], &unknown).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pg_lsn values cannot be decoded from the binary format; read them as text"
    );
    let err = decode_text(lsn, -1, "0/0", &modes()).unwrap_err();
    assert!(matches!(err, ConvertError::Unsupported { .. }), "{err}");
}

#[tokio::test]
async fn registry_loads_builtins_and_user_types() {
    let db = PgFixture::start("convert_registry").await;
    db.exec(
        "CREATE EXTENSION hstore;
         CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE DOMAIN price AS numeric(10,2);
         CREATE DOMAIN prices AS price[];
         CREATE TYPE floatrange AS RANGE (subtype = float8);",
    )
    .await;
    let loaded = TypeRegistry::load(&db.client).await.unwrap();
    // The static table of built-ins agrees with the server.
    let builtin = TypeRegistry::builtin();
    assert!(builtin.len() > 150);
    for ty in builtin.types() {
        assert_eq!(loaded.resolve(ty.oid), Some(ty), "built-in {}", ty.name);
    }
    let mood = loaded.by_name("mood").unwrap();
    assert_eq!(
        mood.kind,
        PgTypeKind::Enum {
            labels: vec!["sad".into(), "ok".into(), "happy".into()]
        }
    );
    let mood_array = loaded.by_name("_mood").unwrap();
    assert_eq!(mood_array.element(), Some(mood));
    let prices = loaded.by_name("prices").unwrap();
    let PgTypeKind::Domain { base, base_typmod } = &prices.kind else {
        panic!("prices is a domain: {prices:?}");
    };
    assert_eq!(*base_typmod, -1);
    let price = base.element().unwrap();
    assert!(
        matches!(&price.kind, PgTypeKind::Domain { base, base_typmod }
        if base.name == "numeric" && *base_typmod == (10 << 16 | 2) + 4)
    );
    assert_eq!(loaded.by_name("hstore").unwrap().kind, PgTypeKind::Base);
    let floatrange = loaded.by_name("floatrange").unwrap();
    assert!(matches!(&floatrange.kind, PgTypeKind::Range { subtype } if subtype.name == "float8"));
    // A user range Debezium does not know: skipped.
    assert_eq!(column_schema(floatrange, -1, true, &modes()), None);
}
