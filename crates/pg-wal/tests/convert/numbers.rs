//! Integers, floats, oid, bool, NUMERIC and MONEY in every decimal.handling.mode.

use super::*;

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
