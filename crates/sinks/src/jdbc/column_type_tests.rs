use super::*;
use cdc_core::schema::logical;

fn ty(d: Dialect, schema: &Schema) -> String {
    let ctx = TypeContext {
        dialect: d,
        is_key: false,
        postgis_schema: "public",
    };
    column_type(schema, &ctx).unwrap().ddl
}

fn key_ty(d: Dialect, schema: &Schema) -> String {
    let ctx = TypeContext {
        dialect: d,
        is_key: true,
        postgis_schema: "public",
    };
    column_type(schema, &ctx).unwrap().ddl
}

fn named(kind: Schema, name: &str) -> Schema {
    kind.named(name)
}

/// (schema, PostgreSQL, MySQL, MariaDB)
fn table() -> Vec<(Schema, &'static str, &'static str, &'static str)> {
    vec![
        (Schema::int8(), "smallint", "tinyint", "tinyint"),
        (Schema::int16(), "smallint", "smallint", "smallint"),
        (Schema::int32(), "integer", "int", "int"),
        (Schema::int64(), "bigint", "bigint", "bigint"),
        (Schema::float32(), "real", "float", "float"),
        (Schema::float64(), "double precision", "double", "double"),
        (Schema::boolean(), "boolean", "boolean", "boolean"),
        (Schema::string(), "text", "longtext", "longtext"),
        (Schema::bytes(), "bytea", "longblob", "longblob"),
        (
            named(Schema::bytes(), logical::DECIMAL)
                .param("scale", "2")
                .param("connect.decimal.precision", "10"),
            "numeric(10,2)",
            "decimal(10,2)",
            "decimal(10,2)",
        ),
        (
            named(Schema::bytes(), logical::DECIMAL).param("scale", "4"),
            "numeric(38,4)",
            "decimal(38,4)",
            "decimal(38,4)",
        ),
        (
            named(Schema::structure("x"), logical::VARIABLE_SCALE_DECIMAL),
            "numeric",
            "decimal(65,30)",
            "decimal(65,30)",
        ),
        (
            named(Schema::int32(), logical::DATE),
            "date",
            "date",
            "date",
        ),
        (
            named(Schema::int32(), logical::CONNECT_DATE),
            "date",
            "date",
            "date",
        ),
        (
            named(Schema::int32(), logical::TIME),
            "time(6)",
            "time(6)",
            "time(6)",
        ),
        (
            named(Schema::int32(), logical::CONNECT_TIME),
            "time(6)",
            "time(6)",
            "time(6)",
        ),
        (
            named(Schema::int64(), logical::MICRO_TIME),
            "time(6)",
            "time(6)",
            "time(6)",
        ),
        (
            named(Schema::int64(), logical::NANO_TIME),
            "time(6)",
            "time(6)",
            "time(6)",
        ),
        (
            named(Schema::int64(), logical::MICRO_TIME)
                .param("__debezium.source.column.length", "3"),
            "time(3)",
            "time(3)",
            "time(3)",
        ),
        (
            named(Schema::int64(), logical::TIMESTAMP),
            "timestamp(6)",
            "datetime(6)",
            "datetime(6)",
        ),
        (
            named(Schema::int64(), logical::CONNECT_TIMESTAMP),
            "timestamp(6)",
            "datetime(6)",
            "datetime(6)",
        ),
        (
            named(Schema::int64(), logical::MICRO_TIMESTAMP),
            "timestamp(6)",
            "datetime(6)",
            "datetime(6)",
        ),
        (
            named(Schema::int64(), logical::NANO_TIMESTAMP)
                .param("__debezium.source.column.length", "9"),
            "timestamp(6)",
            "datetime(6)",
            "datetime(6)",
        ),
        (
            named(Schema::string(), logical::ZONED_TIMESTAMP),
            "timestamp(6) with time zone",
            "datetime(6)",
            "datetime(6)",
        ),
        (
            named(Schema::string(), logical::ZONED_TIME),
            "time(6) with time zone",
            "time(6)",
            "time(6)",
        ),
        (
            named(Schema::int64(), logical::MICRO_DURATION),
            "interval",
            "bigint",
            "bigint",
        ),
        (
            named(Schema::string(), logical::INTERVAL),
            "interval",
            "varchar(64)",
            "varchar(64)",
        ),
        (
            named(Schema::int32(), logical::YEAR),
            "integer",
            "year",
            "year",
        ),
        (
            named(Schema::string(), logical::JSON),
            "json",
            "json",
            "json",
        ),
        (
            named(Schema::string(), logical::JSON).param("__debezium.source.column.type", "JSONB"),
            "jsonb",
            "json",
            "json",
        ),
        (
            named(Schema::string(), logical::UUID),
            "uuid",
            "char(36)",
            "char(36)",
        ),
        (
            named(Schema::string(), logical::XML),
            "xml",
            "longtext",
            "longtext",
        ),
        (
            named(Schema::string(), logical::LTREE),
            "ltree",
            "longtext",
            "longtext",
        ),
        (
            named(Schema::string(), logical::ENUM).param("allowed", "a,b'c"),
            "text",
            "enum('a','b''c')",
            "enum('a','b''c')",
        ),
        (
            named(Schema::string(), logical::ENUM_SET).param("allowed", "x,y"),
            "text",
            "set('x','y')",
            "set('x','y')",
        ),
        (
            named(Schema::bytes(), logical::BITS).param("length", "12"),
            "bit(12)",
            "bit(12)",
            "bit(12)",
        ),
        (
            named(Schema::bytes(), logical::BITS)
                .param("length", "12")
                .param("__debezium.source.column.type", "VARBIT"),
            "bit varying",
            "bit(12)",
            "bit(12)",
        ),
        (
            named(Schema::structure("g"), logical::GEOMETRY),
            "\"public\".geometry",
            "geometry",
            "geometry",
        ),
        (
            named(Schema::structure("g"), GEOGRAPHY),
            "\"public\".geography",
            "geometry",
            "geometry",
        ),
        (
            named(Schema::structure("p"), logical::POINT),
            "point",
            "point",
            "point",
        ),
        (
            Schema::string()
                .param("__debezium.source.column.type", "VARCHAR")
                .param("__debezium.source.column.length", "40"),
            "varchar(40)",
            "varchar(40)",
            "varchar(40)",
        ),
        (
            Schema::string()
                .param("__debezium.source.column.type", "BPCHAR")
                .param("__debezium.source.column.length", "3"),
            "char(3)",
            "char(3)",
            "char(3)",
        ),
        (Schema::array(Schema::int32()), "integer[]", "json", "json"),
        (
            Schema::array(named(Schema::string(), logical::UUID)),
            "uuid[]",
            "json",
            "json",
        ),
        (
            Schema::map(Schema::string(), Schema::int32()),
            "jsonb",
            "json",
            "json",
        ),
    ]
}

#[test]
fn every_mapping_per_dialect() {
    for (schema, pg, my, maria) in table() {
        assert_eq!(ty(Dialect::Postgres, &schema), pg, "{schema:?}");
        assert_eq!(ty(Dialect::MySql, &schema), my, "{schema:?}");
        assert_eq!(ty(Dialect::MariaDb, &schema), maria, "{schema:?}");
    }
}

#[test]
fn keys_get_indexable_types_on_mysql() {
    assert_eq!(key_ty(Dialect::MySql, &Schema::string()), "varchar(255)");
    assert_eq!(key_ty(Dialect::MariaDb, &Schema::bytes()), "varbinary(255)");
    assert_eq!(key_ty(Dialect::Postgres, &Schema::string()), "text");
}

#[test]
fn postgres_casts_for_typed_parameters() {
    let ctx = TypeContext {
        dialect: Dialect::Postgres,
        is_key: false,
        postgis_schema: "gis",
    };
    let cast = |s: &Schema| column_type(s, &ctx).unwrap().cast;
    assert_eq!(
        cast(&named(Schema::string(), logical::UUID)).as_deref(),
        Some("uuid")
    );
    assert_eq!(
        cast(&named(Schema::string(), logical::JSON)).as_deref(),
        Some("json")
    );
    assert_eq!(
        cast(&named(Schema::int64(), logical::MICRO_DURATION)).as_deref(),
        Some("interval")
    );
    assert_eq!(
        cast(&Schema::array(named(Schema::string(), logical::UUID))).as_deref(),
        Some("uuid[]")
    );
    assert_eq!(cast(&Schema::int32()), None);
    assert_eq!(
        column_type(&named(Schema::structure("g"), logical::GEOMETRY), &ctx)
            .unwrap()
            .ddl,
        "\"gis\".geometry"
    );
}

#[test]
fn decimal_limits_are_clamped() {
    let big = named(Schema::bytes(), logical::DECIMAL)
        .param("scale", "40")
        .param("connect.decimal.precision", "80");
    assert_eq!(ty(Dialect::MySql, &big), "decimal(65,30)");
    assert_eq!(ty(Dialect::Postgres, &big), "numeric(80,40)");
    // A scale above the precision (PostgreSQL 15 allows numeric(2,5)) widens the precision
    // rather than rounding the fraction away.
    let small = named(Schema::bytes(), logical::DECIMAL)
        .param("scale", "5")
        .param("connect.decimal.precision", "2");
    assert_eq!(ty(Dialect::Postgres, &small), "numeric(5,5)");
    assert_eq!(ty(Dialect::MariaDb, &small), "decimal(5,5)");
    let negative = named(Schema::bytes(), logical::DECIMAL).param("scale", "-2");
    assert_eq!(ty(Dialect::Postgres, &negative), "numeric(38,0)");
    // Without a precision, Debezium's 38 (widened for a larger scale).
    let wide = named(Schema::bytes(), logical::DECIMAL).param("scale", "50");
    assert_eq!(ty(Dialect::Postgres, &wide), "numeric(50,50)");
}

#[test]
fn what_no_column_can_hold() {
    let ctx = TypeContext {
        dialect: Dialect::MySql,
        is_key: false,
        postgis_schema: "public",
    };
    let err = column_type(&Schema::structure("srv.Nested"), &ctx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no column type for schema struct (srv.Nested)"
    );
    // bit(n) holds 64 bits at most: longer bit strings are text.
    let bits = named(Schema::bytes(), logical::BITS).param("length", "65");
    assert_eq!(column_type(&bits, &ctx).unwrap().ddl, "longtext");
    let pg = TypeContext {
        dialect: Dialect::Postgres,
        ..ctx
    };
    assert!(column_type(&Schema::array(Schema::array(Schema::int32())), &pg).is_err());
}

#[test]
fn defaults_render_literals() {
    let d = Dialect::Postgres;
    assert_eq!(
        default_literal(
            &Schema::boolean().default_value(Value::Boolean(true)),
            "boolean",
            d
        ),
        Some("TRUE".into())
    );
    assert_eq!(
        default_literal(
            &Schema::boolean().default_value(Value::Boolean(false)),
            "boolean",
            Dialect::MySql
        ),
        Some("0".into())
    );
    assert_eq!(
        default_literal(
            &Schema::int32().default_value(Value::Int32(-3)),
            "integer",
            d
        ),
        Some("-3".into())
    );
    assert_eq!(
        default_literal(&Schema::string().default_value("it's".into()), "text", d),
        Some("'it''s'".into())
    );
    // MySQL text and blob columns cannot have a default.
    assert_eq!(
        default_literal(
            &Schema::string().default_value("x".into()),
            "longtext",
            Dialect::MySql
        ),
        None
    );
    assert_eq!(
        default_literal(
            &Schema::string().default_value("x".into()),
            "varchar(40)",
            Dialect::MySql
        ),
        Some("'x'".into())
    );
    // Logical types (temporal, decimal) get none.
    let date = Schema::int32()
        .named(logical::DATE)
        .default_value(Value::Int32(0));
    assert_eq!(default_literal(&date, "date", d), None);
    assert_eq!(default_literal(&Schema::int32(), "integer", d), None);
}
