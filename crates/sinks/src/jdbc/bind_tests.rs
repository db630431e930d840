use super::*;
use cdc_core::decimal::parse_decimal;

fn ctx(dialect: Dialect) -> BindContext {
    BindContext {
        dialect,
        time_zone: TimeZone::UTC,
        replace_null_with_default: true,
    }
}

fn pg(schema: &Schema, value: Value) -> SqlValue {
    to_sql(schema, &value, &ctx(Dialect::Postgres)).unwrap()
}

fn my(schema: &Schema, value: Value) -> SqlValue {
    to_sql(schema, &value, &ctx(Dialect::MySql)).unwrap()
}

fn named(s: Schema, name: &str) -> Schema {
    s.named(name)
}

#[test]
fn primitives() {
    assert_eq!(pg(&Schema::int8(), Value::Int8(-3)), SqlValue::I16(-3));
    assert_eq!(pg(&Schema::int16(), Value::Int16(7)), SqlValue::I16(7));
    assert_eq!(pg(&Schema::int32(), Value::Int32(7)), SqlValue::I32(7));
    assert_eq!(pg(&Schema::int64(), Value::Int64(7)), SqlValue::I64(7));
    assert_eq!(
        pg(&Schema::float32(), Value::Float32(1.5)),
        SqlValue::F32(1.5)
    );
    assert_eq!(
        pg(&Schema::float64(), Value::Float64(2.5)),
        SqlValue::F64(2.5)
    );
    assert_eq!(
        pg(&Schema::boolean(), Value::Boolean(true)),
        SqlValue::Bool(true)
    );
    assert_eq!(
        pg(&Schema::string(), "x".into()),
        SqlValue::Text("x".into())
    );
    assert_eq!(
        pg(&Schema::bytes(), Value::Bytes(vec![1])),
        SqlValue::Bytes(vec![1])
    );
}

#[test]
fn nulls_defaults_and_required_fields() {
    assert_eq!(pg(&Schema::int32().optional(), Value::Null), SqlValue::Null);
    let with_default = Schema::int32().optional().default_value(Value::Int32(9));
    assert_eq!(pg(&with_default, Value::Null), SqlValue::I32(9));
    let keep_null = BindContext {
        replace_null_with_default: false,
        ..ctx(Dialect::Postgres)
    };
    assert_eq!(
        to_sql(&with_default, &Value::Null, &keep_null),
        Ok(SqlValue::Null)
    );
    assert_eq!(
        to_sql(&Schema::int32(), &Value::Null, &ctx(Dialect::Postgres)),
        Err(BindError::NullInRequired)
    );
}

#[test]
fn decimals_keep_every_digit() {
    let (bytes, scale) = parse_decimal("-12345678901234567890.123").unwrap();
    let dec = named(Schema::bytes(), logical::DECIMAL).param("scale", scale.to_string());
    assert_eq!(
        pg(&dec, Value::Bytes(bytes.clone())),
        SqlValue::Numeric("-12345678901234567890.123".into())
    );
    let vsd = named(
        Schema::structure("x")
            .field("scale", Schema::int32())
            .field("value", Schema::bytes()),
        logical::VARIABLE_SCALE_DECIMAL,
    );
    assert_eq!(
        my(
            &vsd,
            Value::Struct(vec![Value::Int32(3), Value::Bytes(bytes)])
        ),
        SqlValue::Numeric("-12345678901234567890.123".into())
    );
}

#[test]
fn dates_times_and_timestamps() {
    assert_eq!(
        pg(&named(Schema::int32(), logical::DATE), Value::Int32(19_000)),
        SqlValue::Date(19_000)
    );
    assert_eq!(
        pg(
            &named(Schema::int32(), logical::CONNECT_DATE),
            Value::Int32(-1)
        ),
        SqlValue::Date(-1)
    );
    assert_eq!(
        pg(&named(Schema::int32(), logical::TIME), Value::Int32(1500)),
        SqlValue::Time(1_500_000)
    );
    assert_eq!(
        pg(
            &named(Schema::int32(), logical::CONNECT_TIME),
            Value::Int32(1)
        ),
        SqlValue::Time(1000)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::MICRO_TIME),
            Value::Int64(3_723_000_001)
        ),
        SqlValue::Time(3_723_000_001)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::NANO_TIME),
            Value::Int64(1_999)
        ),
        SqlValue::Time(1)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::TIMESTAMP),
            Value::Int64(-1)
        ),
        SqlValue::Timestamp(-1000)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::CONNECT_TIMESTAMP),
            Value::Int64(5)
        ),
        SqlValue::Timestamp(5000)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::MICRO_TIMESTAMP),
            Value::Int64(5)
        ),
        SqlValue::Timestamp(5)
    );
    assert_eq!(
        pg(
            &named(Schema::int64(), logical::NANO_TIMESTAMP),
            Value::Int64(-1)
        ),
        SqlValue::Timestamp(-1),
        "nanoseconds are floored to microseconds"
    );
    assert_eq!(
        to_sql(
            &named(Schema::int64(), logical::TIMESTAMP),
            &Value::Int64(i64::MAX),
            &ctx(Dialect::Postgres)
        ),
        Err(BindError::OutOfRange {
            schema: "timestamp"
        })
    );
}

#[test]
fn zoned_values_are_instants_on_postgres_and_local_in_the_zone_on_mysql() {
    let zts = named(Schema::string(), logical::ZONED_TIMESTAMP);
    assert_eq!(
        pg(&zts, "1970-01-01T01:00:00+01:00".into()),
        SqlValue::TimestampTz(0)
    );
    assert_eq!(
        my(&zts, "1970-01-01T01:00:00+01:00".into()),
        SqlValue::Timestamp(0)
    );
    let plus2 = BindContext {
        time_zone: TimeZone::parse("+02:00").unwrap(),
        ..ctx(Dialect::MariaDb)
    };
    assert_eq!(
        to_sql(&zts, &"1970-01-01T00:00:00Z".into(), &plus2),
        Ok(SqlValue::Timestamp(7_200_000_000))
    );
    assert_eq!(pg(&zts, "infinity".into()), SqlValue::TimestampTz(i64::MAX));
    assert_eq!(
        to_sql(&zts, &"yesterday".into(), &ctx(Dialect::Postgres)),
        Err(BindError::BadText {
            schema: logical::ZONED_TIMESTAMP,
            value: "yesterday".into()
        })
    );
    let zt = named(Schema::string(), logical::ZONED_TIME);
    assert_eq!(
        pg(&zt, "01:00:00+01:00".into()),
        SqlValue::TimeTz {
            micros: 3_600_000_000,
            offset_seconds: 3600
        }
    );
    assert_eq!(
        my(&zt, "00:30:00+01:00".into()),
        SqlValue::Time(84_600_000_000)
    );
}

#[test]
fn debezium_text_types() {
    assert_eq!(
        pg(&named(Schema::string(), logical::JSON), "{\"a\":1}".into()),
        SqlValue::Json("{\"a\":1}".into())
    );
    let uuid = "0e4b1a1c-5f6e-4c7a-9d2b-3f1e2d3c4b5a";
    assert_eq!(
        pg(&named(Schema::string(), logical::UUID), uuid.into()),
        SqlValue::Uuid(uuid.into())
    );
    assert_eq!(
        my(&named(Schema::string(), logical::UUID), uuid.into()),
        SqlValue::Text(uuid.into())
    );
    assert_eq!(
        pg(&named(Schema::string(), logical::ENUM), "a".into()),
        SqlValue::Text("a".into())
    );
    assert_eq!(
        pg(&named(Schema::string(), logical::XML), "<a/>".into()),
        SqlValue::Text("<a/>".into())
    );
    assert_eq!(
        pg(&named(Schema::int32(), logical::YEAR), Value::Int32(2024)),
        SqlValue::I32(2024)
    );
}

#[test]
fn durations() {
    let d = named(Schema::int64(), logical::MICRO_DURATION);
    assert_eq!(pg(&d, Value::Int64(90)), SqlValue::Interval(90));
    assert_eq!(my(&d, Value::Int64(90)), SqlValue::I64(90));
    let i = named(Schema::string(), logical::INTERVAL);
    assert_eq!(
        pg(&i, "P1Y2M".into()),
        SqlValue::IntervalText("P1Y2M".into())
    );
    assert_eq!(my(&i, "P1Y2M".into()), SqlValue::Text("P1Y2M".into()));
}

#[test]
fn bits_are_little_endian_bitsets_rendered_msb_first() {
    let b = named(Schema::bytes(), logical::BITS).param("length", "10");
    // bit 0 and bit 9 set: byte 0 = 0b0000_0001, byte 1 = 0b0000_0010
    assert_eq!(
        pg(&b, Value::Bytes(vec![0x01, 0x02])),
        SqlValue::Bits("1000000001".into())
    );
    // An unbounded varbit: the bits up to the highest one set (Debezium's BitSet.length()).
    let unbounded = named(Schema::bytes(), logical::BITS).param("length", "2147483647");
    assert_eq!(
        pg(&unbounded, Value::Bytes(vec![0b101])),
        SqlValue::Bits("101".into())
    );
    assert_eq!(
        pg(&unbounded, Value::Bytes(vec![0, 0b10, 0])),
        SqlValue::Bits("1000000000".into())
    );
    assert_eq!(
        pg(&unbounded, Value::Bytes(vec![])),
        SqlValue::Bits(String::new())
    );
    let short = named(Schema::bytes(), logical::BITS).param("length", "3");
    assert_eq!(
        my(&short, Value::Bytes(vec![0b110])),
        SqlValue::Bits("110".into())
    );
}

#[test]
fn geometry_carries_wkb_and_srid() {
    let g = named(
        Schema::structure("g")
            .field("wkb", Schema::bytes())
            .field("srid", Schema::int32().optional()),
        logical::GEOMETRY,
    );
    assert_eq!(
        pg(
            &g,
            Value::Struct(vec![Value::Bytes(vec![1, 2]), Value::Int32(4326)])
        ),
        SqlValue::Geometry {
            wkb: vec![1, 2],
            srid: Some(4326)
        }
    );
    assert_eq!(
        my(&g, Value::Struct(vec![Value::Bytes(vec![1]), Value::Null])),
        SqlValue::Geometry {
            wkb: vec![1],
            srid: None
        }
    );
}

#[test]
fn arrays_are_arrays_on_postgres_and_json_on_mysql() {
    let a = Schema::array(Schema::int32());
    let v = Value::Array(vec![Value::Int32(1), Value::Int32(2)]);
    assert_eq!(
        pg(&a, v.clone()),
        SqlValue::Array(vec![SqlValue::I32(1), SqlValue::I32(2)])
    );
    assert_eq!(my(&a, v), SqlValue::Json("[1,2]".into()));
    let m = Schema::map(Schema::string(), Schema::int32());
    let mv = Value::Map(vec![("k".into(), Value::Int32(1))]);
    assert_eq!(pg(&m, mv.clone()), SqlValue::Json("{\"k\":1}".into()));
    let parsed: serde_json::Value = match my(&m, mv) {
        SqlValue::Json(s) => serde_json::from_str(&s).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(parsed, serde_json::json!({"k": 1}));
}

#[test]
fn mismatches_name_schema_and_value_kind() {
    let err = to_sql(&Schema::int32(), &"x".into(), &ctx(Dialect::Postgres)).unwrap_err();
    assert_eq!(err.to_string(), "a int32 value was expected, found string");
    let err = to_sql(
        &named(Schema::int32(), logical::DATE),
        &Value::Int64(1),
        &ctx(Dialect::Postgres),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a int32 (io.debezium.time.Date) value was expected, found int64"
    );
    let nested = Schema::structure("srv.Nested").field("a", Schema::int32());
    let err = to_sql(
        &nested,
        &Value::Struct(vec![Value::Int32(1)]),
        &ctx(Dialect::Postgres),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no column type for schema struct (srv.Nested)"
    );
}
