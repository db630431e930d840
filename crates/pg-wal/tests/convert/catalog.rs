//! Unknown types and include.unknown.datatypes; the type registry.

use super::*;

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

#[tokio::test]
async fn isbn_is_text_only() {
    let db = PgFixture::start("convert_isbn").await;
    db.exec("CREATE EXTENSION isn; CREATE TABLE t (id int PRIMARY KEY, i isbn); INSERT INTO t VALUES (1, '978-0-393-04002-9');")
        .await;
    let (schema, values) = golden(&db, "t", "i", &modes()).await;
    assert_eq!(schema, json!({"type": "string", "optional": true}));
    assert_eq!(values, [json!({"i": "0-393-04002-X"})]);
    let registry = TypeRegistry::load(&db.client).await.unwrap();
    assert!(!binary_supported(
        registry.by_name("isbn").unwrap(),
        -1,
        &modes()
    ));
}
