//! Confluent Schema Registry's REST API (the subset for Avro) over a [`Registry`]: the paths,
//! JSON shapes, status codes and `error_code`s Confluent's clients expect.
//!
//! ```text
//! GET    /  /schemas/types  /subjects[?deleted=true]
//! GET    /subjects/{s}/versions[?deleted=true]      /subjects/{s}/versions/{v}[/schema]
//! POST   /subjects/{s}/versions {"schema": ...}     → {"id": N}
//! POST   /subjects/{s} {"schema": ...}              → {"subject","version","id","schema"}
//! DELETE /subjects/{s}[?permanent=true]             /subjects/{s}/versions/{v}[?permanent=true]
//! GET    /schemas/ids/{id}  /schemas/ids/{id}/schema  /schemas/ids/{id}/versions  /schemas/ids/{id}/subjects
//! POST   /compatibility/subjects/{s}/versions/{v}   /compatibility/subjects/{s}/versions
//! GET|PUT /config  GET|PUT|DELETE /config/{s}       GET /mode  GET /mode/{s} (always READWRITE)
//! ```

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as Json};

use super::{Level, Registry, RegistryError, VersionRef};

/// Confluent's response content type.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

type Params = Query<HashMap<String, String>>;

fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn ok(status: StatusCode, body: Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let (status, code) = self.codes();
        ok(
            status,
            json!({"error_code": code, "message": self.to_string()}),
        )
    }
}

type Answer = Result<Response, RegistryError>;

/// Runs a registry call on the blocking pool (writes are fsynced).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, RegistryError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RegistryError::Storage(e.to_string()))?
}

/// The schema in a request body `{"schema": "...", "schemaType": "AVRO"}`.
fn schema_of(body: &[u8]) -> Result<String, RegistryError> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| RegistryError::BadRequest(format!("the body is not JSON: {e}")))?;
    if let Some(t) = json.get("schemaType").and_then(Json::as_str) {
        if !t.eq_ignore_ascii_case("AVRO") {
            return Err(RegistryError::InvalidSchema(format!(
                "schemaType {t} is not supported by the embedded registry; only AVRO is"
            )));
        }
    }
    if json
        .get("references")
        .and_then(Json::as_array)
        .is_some_and(|r| !r.is_empty())
    {
        return Err(RegistryError::InvalidSchema(
            "schema references are not supported by the embedded registry".into(),
        ));
    }
    json.get("schema")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| RegistryError::BadRequest("the body has no \"schema\" string".into()))
}

/// The registry's routes, to be served on their own listener.
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/", get(|| async { ok(StatusCode::OK, json!({})) }))
        .route(
            "/schemas/types",
            get(|| async { ok(StatusCode::OK, json!(["AVRO"])) }),
        )
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(version_schema),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/versions", get(id_versions))
        .route("/schemas/ids/{id}/subjects", get(id_subjects))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility_version),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility_all),
        )
        .route("/config", get(global_config).put(set_global_config))
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(set_subject_config)
                .delete(delete_subject_config),
        )
        .route("/mode", get(mode).put(set_mode))
        .route("/mode/{subject}", get(mode).put(set_mode))
        .fallback(|| async {
            ok(
                StatusCode::NOT_FOUND,
                json!({"error_code": 404, "message": "HTTP 404 Not Found"}),
            )
        })
        .with_state(registry)
}

async fn subjects(State(r): State<Registry>, Query(q): Params) -> Answer {
    Ok(ok(StatusCode::OK, json!(r.subjects(flag(&q, "deleted")))))
}

async fn versions(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(q): Params,
) -> Answer {
    Ok(ok(
        StatusCode::OK,
        json!(r.versions(&subject, flag(&q, "deleted"))?),
    ))
}

fn version_json(v: &super::SubjectVersion) -> Json {
    json!({"subject": v.subject, "version": v.version, "id": v.id, "schema": &*v.schema})
}

async fn version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let v = r.version(&subject, VersionRef::parse(&version)?, flag(&q, "deleted"))?;
    Ok(ok(StatusCode::OK, version_json(&v)))
}

async fn version_schema(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let v = r.version(&subject, VersionRef::parse(&version)?, flag(&q, "deleted"))?;
    Ok(ok(StatusCode::OK, raw(&v.schema)))
}

/// A stored schema as a JSON value (`/schema` endpoints return the schema itself).
fn raw(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

async fn register(State(r): State<Registry>, Path(subject): Path<String>, body: Bytes) -> Answer {
    let schema = schema_of(&body)?;
    let id = blocking(move || r.register(&subject, &schema)).await?;
    Ok(ok(StatusCode::OK, json!({"id": id})))
}

async fn lookup(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Answer {
    let schema = schema_of(&body)?;
    let v = r.lookup(&subject, &schema, flag(&q, "deleted"))?;
    Ok(ok(StatusCode::OK, version_json(&v)))
}

async fn delete_subject(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(q): Params,
) -> Answer {
    let permanent = flag(&q, "permanent");
    let deleted = blocking(move || r.delete_subject(&subject, permanent)).await?;
    Ok(ok(StatusCode::OK, json!(deleted)))
}

async fn delete_version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let permanent = flag(&q, "permanent");
    let v = VersionRef::parse(&version)?;
    let deleted = blocking(move || r.delete_version(&subject, v, permanent)).await?;
    Ok(ok(StatusCode::OK, json!(deleted)))
}

fn parse_id(id: &str) -> Result<u32, RegistryError> {
    id.parse()
        .map_err(|_| RegistryError::SchemaNotFound(id.to_owned()))
}

async fn schema_by_id(State(r): State<Registry>, Path(id): Path<String>) -> Answer {
    let schema = r.schema(parse_id(&id)?)?;
    Ok(ok(StatusCode::OK, json!({"schema": &*schema})))
}

async fn raw_schema_by_id(State(r): State<Registry>, Path(id): Path<String>) -> Answer {
    let schema = r.schema(parse_id(&id)?)?;
    Ok(ok(StatusCode::OK, raw(&schema)))
}

async fn id_versions(
    State(r): State<Registry>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Answer {
    let pairs = r.id_versions(parse_id(&id)?, flag(&q, "deleted"))?;
    let body: Vec<Json> = pairs
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(ok(StatusCode::OK, Json::Array(body)))
}

async fn id_subjects(
    State(r): State<Registry>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Answer {
    let mut subjects: Vec<String> = r
        .id_versions(parse_id(&id)?, flag(&q, "deleted"))?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    subjects.dedup();
    Ok(ok(StatusCode::OK, json!(subjects)))
}

fn compatibility_answer(messages: Vec<String>, verbose: bool) -> Response {
    let mut body = json!({"is_compatible": messages.is_empty()});
    if verbose {
        body["messages"] = json!(messages);
    }
    ok(StatusCode::OK, body)
}

async fn compatibility_version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
    body: Bytes,
) -> Answer {
    let schema = schema_of(&body)?;
    let v = VersionRef::parse(&version)?;
    let messages = r.test_compatibility(&subject, Some(v), &schema)?;
    Ok(compatibility_answer(messages, flag(&q, "verbose")))
}

async fn compatibility_all(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Answer {
    let schema = schema_of(&body)?;
    let messages = r.test_compatibility(&subject, None, &schema)?;
    Ok(compatibility_answer(messages, flag(&q, "verbose")))
}

/// The level in a `PUT /config` body `{"compatibility": "FULL"}`.
fn level_of(body: &[u8]) -> Result<Level, RegistryError> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| RegistryError::BadRequest(format!("the body is not JSON: {e}")))?;
    let level = json
        .get("compatibility")
        .or_else(|| json.get("compatibilityLevel"))
        .and_then(Json::as_str)
        .ok_or(RegistryError::InvalidCompatibility)?;
    Level::parse(level)
}

async fn global_config(State(r): State<Registry>) -> Answer {
    Ok(ok(
        StatusCode::OK,
        json!({"compatibilityLevel": r.global_level().as_str()}),
    ))
}

async fn set_global_config(State(r): State<Registry>, body: Bytes) -> Answer {
    let level = level_of(&body)?;
    blocking(move || r.set_global_level(level)).await?;
    Ok(ok(StatusCode::OK, json!({"compatibility": level.as_str()})))
}

async fn subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(q): Params,
) -> Answer {
    let level = match r.subject_level(&subject) {
        Some(l) => l,
        None if flag(&q, "defaultToGlobal") => r.global_level(),
        None => return Err(RegistryError::SubjectLevelNotConfigured(subject)),
    };
    Ok(ok(
        StatusCode::OK,
        json!({"compatibilityLevel": level.as_str()}),
    ))
}

async fn set_subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    body: Bytes,
) -> Answer {
    let level = level_of(&body)?;
    blocking(move || r.set_subject_level(&subject, level)).await?;
    Ok(ok(StatusCode::OK, json!({"compatibility": level.as_str()})))
}

async fn delete_subject_config(State(r): State<Registry>, Path(subject): Path<String>) -> Answer {
    let old = blocking(move || r.delete_subject_level(&subject)).await?;
    Ok(ok(
        StatusCode::OK,
        json!({"compatibilityLevel": old.as_str()}),
    ))
}

async fn mode() -> Answer {
    Ok(ok(StatusCode::OK, json!({"mode": "READWRITE"})))
}

/// The mode is read-only: setting READWRITE is accepted (nothing changes), anything else is
/// refused.
async fn set_mode(body: Bytes) -> Answer {
    let json: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    match json.get("mode").and_then(Json::as_str) {
        Some(m) if m.eq_ignore_ascii_case("READWRITE") => {
            Ok(ok(StatusCode::OK, json!({"mode": "READWRITE"})))
        }
        _ => Err(RegistryError::InvalidMode),
    }
}
