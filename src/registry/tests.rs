//! The registry's rules (ids, versions, deletes, compatibility, durability) on a real log, and
//! its REST contract (paths, bodies, Confluent's error codes) over a real HTTP connection.

use serde_json::{json, Value as Json};

use super::*;

fn open() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path()).unwrap();
    (dir, Registry::open(log).unwrap())
}

fn record(fields: Json) -> String {
    json!({"type": "record", "name": "Value", "namespace": "p.public.t", "fields": fields})
        .to_string()
}

fn v1() -> String {
    record(json!([{"name": "id", "type": "int"}]))
}

/// A new optional column: Debezium's schema change.
fn v2_added_optional() -> String {
    record(json!([{"name": "id", "type": "int"},
                  {"name": "note", "type": ["null", "string"], "default": null}]))
}

/// A new required column without a default: not backward compatible.
fn v2_added_required() -> String {
    record(json!([{"name": "id", "type": "int"}, {"name": "n", "type": "long"}]))
}

#[test]
fn ids_are_global_and_registration_is_idempotent() {
    let (_d, r) = open();
    let a = r.register("t-value", &v1()).unwrap();
    assert_eq!(a, 1);
    assert_eq!(
        r.register("t-value", &v1()).unwrap(),
        a,
        "same schema, same id"
    );
    assert_eq!(r.versions("t-value", false).unwrap(), vec![1]);
    assert_eq!(
        r.register("other-value", &v1()).unwrap(),
        a,
        "shared across subjects"
    );
    let b = r.register("t-value", &v2_added_optional()).unwrap();
    assert_eq!(b, 2);
    assert_eq!(r.versions("t-value", false).unwrap(), vec![1, 2]);
    let latest = r.version("t-value", VersionRef::Latest, false).unwrap();
    assert_eq!((latest.version, latest.id), (2, 2));
    let found = r.lookup("t-value", &v1(), false).unwrap();
    assert_eq!((found.version, found.id), (1, 1));
    assert_eq!(
        r.id_versions(1, false).unwrap(),
        vec![("other-value".into(), 1), ("t-value".into(), 1)]
    );
}

#[test]
fn backward_rejects_a_required_field_without_default_and_none_accepts_it() {
    let (_d, r) = open();
    r.register("t-value", &v1()).unwrap();
    let err = r.register("t-value", &v2_added_required()).unwrap_err();
    assert!(matches!(err, RegistryError::Incompatible { .. }), "{err}");
    assert_eq!(err.codes().1, 409);
    r.set_subject_level("t-value", Level::None).unwrap();
    assert_eq!(r.register("t-value", &v2_added_required()).unwrap(), 2);
}

#[test]
fn forward_and_full_check_the_other_direction() {
    let (_d, r) = open();
    r.set_global_level(Level::Forward).unwrap();
    r.register("t-value", &v2_added_optional()).unwrap();
    // Removing a field: old readers (with a default for it) can read; fine for FORWARD.
    assert!(r
        .test_compatibility("t-value", None, &v1())
        .unwrap()
        .is_empty());
    // Adding a required field is forward compatible (old readers ignore it)...
    assert!(r
        .test_compatibility("t-value", None, &v2_added_required())
        .unwrap()
        .is_empty());
    // ... but not FULL (the new reader has no default for data written before).
    r.set_subject_level("t-value", Level::Full).unwrap();
    assert!(!r
        .test_compatibility("t-value", None, &v2_added_required())
        .unwrap()
        .is_empty());
    // A type change string → int is incompatible both ways.
    let changed = record(json!([{"name": "id", "type": "string"}]));
    assert!(!r
        .test_compatibility("t-value", Some(VersionRef::Latest), &changed)
        .unwrap()
        .is_empty());
}

#[test]
fn transitive_levels_check_every_live_version() {
    let (_d, r) = open();
    r.set_global_level(Level::None).unwrap();
    r.register(
        "t-value",
        &record(json!([{"name": "id", "type": "int"}, {"name": "x", "type": "string"}])),
    )
    .unwrap();
    r.register("t-value", &v1()).unwrap();
    // Re-adding x as int: compatible with v2 (no x) when it has a default, but not with v1
    // (x was a string).
    let again =
        record(json!([{"name": "id", "type": "int"}, {"name": "x", "type": "int", "default": 0}]));
    r.set_global_level(Level::Backward).unwrap();
    assert!(r
        .test_compatibility("t-value", None, &again)
        .unwrap()
        .is_empty());
    r.set_global_level(Level::BackwardTransitive).unwrap();
    assert!(!r
        .test_compatibility("t-value", None, &again)
        .unwrap()
        .is_empty());
}

#[test]
fn soft_then_permanent_deletes_follow_confluent() {
    let (_d, r) = open();
    r.register("t-value", &v1()).unwrap();
    r.register("t-value", &v2_added_optional()).unwrap();
    let e = r
        .delete_version("t-value", VersionRef::Number(1), true)
        .unwrap_err();
    assert_eq!(e.codes().1, 40407);
    assert_eq!(
        r.delete_version("t-value", VersionRef::Number(1), false)
            .unwrap(),
        1
    );
    assert_eq!(r.versions("t-value", false).unwrap(), vec![2]);
    assert_eq!(r.versions("t-value", true).unwrap(), vec![1, 2]);
    assert_eq!(
        r.schema(1).unwrap().as_ref(),
        serde_json::from_str::<Json>(&v1()).unwrap().to_string()
    );
    let e = r.delete_subject("t-value", true).unwrap_err();
    assert_eq!(e.codes().1, 40405);
    assert_eq!(r.delete_subject("t-value", false).unwrap(), vec![2]);
    assert_eq!(
        r.delete_subject("t-value", false).unwrap_err().codes().1,
        40404
    );
    assert_eq!(r.versions("t-value", false).unwrap_err().codes().1, 40401);
    assert!(r.subjects(false).is_empty());
    assert_eq!(r.subjects(true), vec!["t-value".to_owned()]);
    assert_eq!(r.delete_subject("t-value", true).unwrap(), vec![1, 2]);
    assert!(r.subjects(true).is_empty());
    assert_eq!(r.schema(1).unwrap_err().codes().1, 40403);
    // Versions continue after a soft delete: registering again makes version 1 of a fresh
    // subject only after the permanent delete.
    assert_eq!(r.register("t-value", &v1()).unwrap(), 1);
    assert_eq!(r.versions("t-value", false).unwrap(), vec![1]);
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let r = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        r.register("t-value", &v1()).unwrap();
        r.register("t-value", &v2_added_optional()).unwrap();
        r.set_global_level(Level::Full).unwrap();
        r.set_subject_level("t-value", Level::None).unwrap();
        r.delete_version("t-value", VersionRef::Number(1), false)
            .unwrap();
    }
    let r = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
    assert_eq!(r.versions("t-value", true).unwrap(), vec![1, 2]);
    assert_eq!(r.versions("t-value", false).unwrap(), vec![2]);
    assert_eq!(r.global_level(), Level::Full);
    assert_eq!(r.subject_level("t-value"), Some(Level::None));
    assert_eq!(
        r.register("u-value", &v1()).unwrap(),
        1,
        "ids come back with their text"
    );
    let fresh = record(json!([{"name": "z", "type": "string"}]));
    assert_eq!(
        r.register("w-value", &fresh).unwrap(),
        3,
        "ids continue after the last"
    );
}

#[test]
fn invalid_schemas_and_versions_have_confluent_codes() {
    let (_d, r) = open();
    assert_eq!(
        r.register("s", "{\"type\": \"recrod\"}")
            .unwrap_err()
            .codes()
            .1,
        42201
    );
    assert_eq!(
        r.register("s", "not json at all {").unwrap_err().codes().1,
        42201
    );
    assert_eq!(VersionRef::parse("0").unwrap_err().codes().1, 42202);
    assert_eq!(VersionRef::parse("x").unwrap_err().codes().1, 42202);
    assert_eq!(Level::parse("SIDEWAYS").unwrap_err().codes().1, 42203);
    assert_eq!(
        r.register("s", "\"string\"").unwrap(),
        1,
        "primitive schemas are fine"
    );
}

// --- the REST contract, over HTTP -------------------------------------------------------------

struct Server {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn serve() -> Server {
    let (dir, registry) = open();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api::router(registry)).await });
    Server {
        base,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Server {
    async fn call(&self, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("Content-Type", api::CONTENT_TYPE)
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(ct.as_deref(), Some(api::CONTENT_TYPE), "{method} {path}");
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Json::String(text)),
        )
    }
}

#[tokio::test]
async fn the_rest_api_registers_looks_up_and_serves_schemas() {
    let s = serve().await;
    let (st, body) = s
        .call(
            "POST",
            "/subjects/t-value/versions",
            Some(json!({"schema": v1()})),
        )
        .await;
    assert_eq!((st, body), (200, json!({"id": 1})));
    let (st, body) = s
        .call(
            "POST",
            "/subjects/t-value/versions",
            Some(json!({"schema": v2_added_optional(), "schemaType": "AVRO"})),
        )
        .await;
    assert_eq!((st, body), (200, json!({"id": 2})));
    assert_eq!(
        s.call("GET", "/subjects", None).await,
        (200, json!(["t-value"]))
    );
    assert_eq!(
        s.call("GET", "/subjects/t-value/versions", None).await,
        (200, json!([1, 2]))
    );
    let (st, v) = s
        .call("GET", "/subjects/t-value/versions/latest", None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        (v["subject"].clone(), v["version"].clone(), v["id"].clone()),
        (json!("t-value"), json!(2), json!(2))
    );
    let (_, schema) = s
        .call("GET", "/subjects/t-value/versions/1/schema", None)
        .await;
    assert_eq!(schema["name"], "Value");
    let (st, by_id) = s.call("GET", "/schemas/ids/2", None).await;
    assert_eq!(st, 200);
    assert_eq!(
        serde_json::from_str::<Json>(by_id["schema"].as_str().unwrap()).unwrap(),
        serde_json::from_str::<Json>(&v2_added_optional()).unwrap()
    );
    assert_eq!(
        s.call("GET", "/schemas/ids/1/versions", None).await,
        (200, json!([{"subject": "t-value", "version": 1}]))
    );
    assert_eq!(
        s.call("GET", "/schemas/ids/1/subjects", None).await,
        (200, json!(["t-value"]))
    );
    let (st, found) = s
        .call("POST", "/subjects/t-value", Some(json!({"schema": v1()})))
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        (found["version"].clone(), found["id"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        s.call("GET", "/mode", None).await,
        (200, json!({"mode": "READWRITE"}))
    );
    assert_eq!(
        s.call("GET", "/schemas/types", None).await,
        (200, json!(["AVRO"]))
    );
}

#[tokio::test]
async fn the_rest_api_answers_with_confluents_error_codes() {
    let s = serve().await;
    let code = |r: (u16, Json)| (r.0, r.1["error_code"].clone());
    assert_eq!(
        code(s.call("GET", "/subjects/nope/versions", None).await),
        (404, json!(40401))
    );
    s.call(
        "POST",
        "/subjects/t-value/versions",
        Some(json!({"schema": v1()})),
    )
    .await;
    assert_eq!(
        code(s.call("GET", "/subjects/t-value/versions/7", None).await),
        (404, json!(40402))
    );
    assert_eq!(
        code(s.call("GET", "/schemas/ids/99", None).await),
        (404, json!(40403))
    );
    assert_eq!(
        code(
            s.call(
                "POST",
                "/subjects/t-value",
                Some(json!({"schema": v2_added_optional()}))
            )
            .await
        ),
        (404, json!(40403))
    );
    assert_eq!(
        code(
            s.call(
                "POST",
                "/subjects/t-value/versions",
                Some(json!({"schema": "{\"type\":"}))
            )
            .await
        ),
        (422, json!(42201))
    );
    assert_eq!(
        code(s.call("GET", "/subjects/t-value/versions/zero", None).await),
        (422, json!(42202))
    );
    assert_eq!(
        code(
            s.call("PUT", "/config", Some(json!({"compatibility": "SIDEWAYS"})))
                .await
        ),
        (422, json!(42203))
    );
    let (st, body) = s
        .call(
            "POST",
            "/subjects/t-value/versions",
            Some(json!({"schema": v2_added_required()})),
        )
        .await;
    assert_eq!((st, body["error_code"].clone()), (409, json!(409)));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Schema being registered is incompatible with an earlier schema for subject \"t-value\""),
        "{body}"
    );
    assert_eq!(
        code(s.call("GET", "/config/t-value", None).await),
        (404, json!(40408))
    );
    assert_eq!(
        code(
            s.call("DELETE", "/subjects/t-value?permanent=true", None)
                .await
        ),
        (404, json!(40405))
    );
    assert_eq!(
        s.call("DELETE", "/subjects/t-value", None).await,
        (200, json!([1]))
    );
    assert_eq!(
        code(s.call("DELETE", "/subjects/t-value", None).await),
        (404, json!(40404))
    );
    assert_eq!(
        code(
            s.call("PUT", "/mode", Some(json!({"mode": "READONLY"})))
                .await
        ),
        (422, json!(42204))
    );
}

#[tokio::test]
async fn the_rest_api_tests_and_configures_compatibility() {
    let s = serve().await;
    assert_eq!(
        s.call("GET", "/config", None).await,
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    s.call(
        "POST",
        "/subjects/t-value/versions",
        Some(json!({"schema": v1()})),
    )
    .await;
    let check = |schema: String| {
        let s = &s;
        async move {
            s.call(
                "POST",
                "/compatibility/subjects/t-value/versions/latest?verbose=true",
                Some(json!({"schema": schema})),
            )
            .await
        }
    };
    let (st, ok) = check(v2_added_optional()).await;
    assert_eq!((st, ok["is_compatible"].clone()), (200, json!(true)));
    let (_, bad) = check(v2_added_required()).await;
    assert_eq!(bad["is_compatible"], json!(false));
    assert!(!bad["messages"].as_array().unwrap().is_empty());
    assert_eq!(
        s.call(
            "PUT",
            "/config/t-value",
            Some(json!({"compatibility": "NONE"}))
        )
        .await,
        (200, json!({"compatibility": "NONE"}))
    );
    assert_eq!(
        s.call("GET", "/config/t-value", None).await,
        (200, json!({"compatibilityLevel": "NONE"}))
    );
    let (_, now) = check(v2_added_required()).await;
    assert_eq!(now["is_compatible"], json!(true));
    assert_eq!(
        s.call(
            "POST",
            "/compatibility/subjects/t-value/versions",
            Some(json!({"schema": v2_added_required()}))
        )
        .await,
        (200, json!({"is_compatible": true}))
    );
    assert_eq!(
        s.call("DELETE", "/config/t-value", None).await,
        (200, json!({"compatibilityLevel": "NONE"}))
    );
    assert_eq!(
        s.call("GET", "/config/t-value?defaultToGlobal=true", None)
            .await,
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
}

/// Debezium's numeric column (Connect Decimal as Avro bytes with the decimal logical type) and a
/// new optional column: backward compatible, as in Confluent's registry.
#[test]
fn a_schema_with_a_decimal_evolves_under_backward() {
    let price = json!({"name": "price", "type": ["null", {"type": "bytes", "scale": 2, "precision": 10,
        "connect.version": 1, "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
        "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}], "default": null});
    let v1 = record(json!([{"name": "id", "type": "int"}, price.clone()]));
    let v2 = record(json!([{"name": "id", "type": "int"}, price,
                  {"name": "note", "type": ["null", "string"], "default": null}]));
    let (_d, r) = open();
    assert_eq!(r.register("t-value", &v1).unwrap(), 1);
    assert_eq!(r.register("t-value", &v1).unwrap(), 1);
    assert_eq!(r.register("t-value", &v2).unwrap(), 2);
}
