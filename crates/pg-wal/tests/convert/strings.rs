//! Character types, bytea in every binary.handling.mode, json, xml, uuid, network types, bits, tsvector.

use super::*;

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
