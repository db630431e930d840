//! Arrays (NULL elements, multi-dimensional), enums, domains, hstore, ltree, citext.

use super::*;

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
async fn int2vector_is_an_array_of_required_int16() {
    let db = PgFixture::start("convert_int2vector").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v int2vector); INSERT INTO t VALUES (1, '1 2 3'), (2, '');")
        .await;
    let (schema, values) = golden(&db, "t", "v", &modes()).await;
    assert_eq!(
        schema,
        json!({"type": "array", "items": {"type": "int16", "optional": false}, "optional": true})
    );
    assert_eq!(values, [json!({"v": [1, 2, 3]}), json!({"v": []})]);
}
