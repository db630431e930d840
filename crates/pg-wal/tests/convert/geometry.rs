//! Geometric types and ranges.

use super::*;

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
