//! Single message transforms against Kafka Connect's own: every case of `cases.json` (written by
//! `gen_cases.py`) goes through the real Java transforms (Kafka Connect 4.3's, Debezium 3.6.1's
//! `ExtractNewRecordState`; `scripts/lib/smt-harness.sh` runs `SmtHarness.java`) and through our
//! `transforms::Chain`, and the outputs are compared record by record.
//!
//! `expected.json` is what the Java harness produced (a golden file is what the reference
//! produced, never what we produced). The test runs the harness live and checks it still
//! produces `expected.json`, so the golden file stays honest; after changing the cases,
//! regenerate it with
//!
//! ```text
//! python3 tests/transforms/gen_cases.py
//! TRIBUTARY_SMT_REGENERATE=1 cargo nextest run -E 'test(smt_outputs_equal)'
//! ```
//!
//! Keys and values are compared as JsonConverter writes them (in the case's `schemas.enable`),
//! as JSON: struct fields in order, map entries in any order (Java's HashMap order is arbitrary,
//! schemaless maps included), schema objects' keys in any order. Where Java failed, only that we
//! failed too is checked (both messages are printed). `TRIBUTARY_WRITE_SMT_TABLE=1` writes the
//! table of results to `docs/transforms-differential.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use base64::Engine as _;
use cdc_core::{ConfigMap, Data, JsonConverter, JsonReader, SchemaAndValue, Value};
use serde_json::{json, Map, Value as Json};

/// The classes being implemented: a case all of whose classes are here must be implemented
/// (a case naming any other class may report "not implemented" without failing the test).
const IMPLEMENTED: &[&str] = &[
    "org.apache.kafka.connect.transforms.RegexRouter",
    "org.apache.kafka.connect.transforms.ReplaceField$Key",
    "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "org.apache.kafka.connect.transforms.InsertField$Key",
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.MaskField$Key",
    "org.apache.kafka.connect.transforms.MaskField$Value",
    "org.apache.kafka.connect.transforms.Cast$Key",
    "org.apache.kafka.connect.transforms.Cast$Value",
    "org.apache.kafka.connect.transforms.TimestampConverter$Key",
    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "org.apache.kafka.connect.transforms.HeaderFrom$Key",
    "org.apache.kafka.connect.transforms.HeaderFrom$Value",
    "org.apache.kafka.connect.transforms.HoistField$Key",
    "org.apache.kafka.connect.transforms.HoistField$Value",
    "org.apache.kafka.connect.transforms.ExtractField$Key",
    "org.apache.kafka.connect.transforms.ExtractField$Value",
    "org.apache.kafka.connect.transforms.Flatten$Key",
    "org.apache.kafka.connect.transforms.Flatten$Value",
    "org.apache.kafka.connect.transforms.ValueToKey",
    "org.apache.kafka.connect.transforms.Filter",
    "org.apache.kafka.connect.transforms.DropHeaders",
    "org.apache.kafka.connect.transforms.InsertHeader",
    "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
    "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
    "org.apache.kafka.connect.transforms.TimestampRouter",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "io.debezium.transforms.ExtractNewRecordState",
    "io.debezium.transforms.outbox.EventRouter",
    "io.debezium.transforms.ExtractChangedRecordState",
    "io.debezium.transforms.HeaderToValue",
    "io.debezium.transforms.TimezoneConverter",
    "io.debezium.transforms.ByLogicalTableRouter",
    "io.debezium.transforms.partitions.PartitionRouting",
    "io.debezium.transforms.SchemaChangeEventFilter",
    "io.debezium.transforms.ContentBasedRouter",
    "io.debezium.transforms.Filter",
];

/// Cases where we differ from Java on purpose, each with why (docs/compat.md, "Transforms").
const DELIBERATE: &[(&str, &str)] = &[
    (
        "ExtractChangedRecordState/bytes-column",
        "Java compares a bytes field's two arrays by identity and so reports every non-null bytes field as changed; compared by content here",
    ),
    (
        "ByLogicalTableRouter/avro-names",
        "Java caches the new key and envelope schemas by the old schema alone, so a second shard with an equal schema routed to another topic gets the first topic's schema names; derived per topic here",
    ),
    (
        "TimestampConverter$Value/schemaless",
        "a schemaless value converted to Timestamp is its epoch milliseconds here; Java makes it a java.util.Date, which its JsonConverter then cannot write",
    ),
    (
        "EventRouter/legacy-payload-name",
        "Debezium 1.x's table.field.payload, which Debezium 3 ignores (routing the payload column whatever it names): refused",
    ),
    (
        "EventRouter/legacy-error-on-missing-false",
        "Debezium 3.5's table.fields.additional.error.on.missing, renamed table.field.additional.missing in 3.6, which accepts and ignores the old name (failing on the missing field the config meant to skip): refused",
    ),
    (
        "ExtractNewRecordState/drop-fields-delete-to-tombstone-keep-true",
        "a delete made a tombstone (delete-to-tombstone) whose drop-fields header lists fields: Java reads the fields of the tombstone's null schema and fails with a NullPointerException; the tombstone passes here, there being nothing to drop",
    ),
    (
        "ReplaceField$Value/blacklist",
        "removed in Kafka 4.0, where Connect accepts and ignores it (writing the fields it meant to drop): refused",
    ),
    (
        "ReplaceField$Value/whitelist",
        "removed in Kafka 4.0, where Connect accepts and ignores it (writing the fields it meant to leave out): refused",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The Java harness's outputs for `cases`: fails (never skips) when Java, Maven or the jars are
/// missing.
fn run_java_harness(cases: &Path) -> (String, Json) {
    let script = root().join("scripts/lib/smt-harness.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(cases)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Java SMT harness failed ({}): Java 17 and Maven are needed (scripts/test.sh installs \
         them; scripts/lib/smt-harness.sh fetches the jars); its stderr:\n{stderr}",
        out.status
    );
    let text = String::from_utf8(out.stdout).expect("the harness writes UTF-8");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the harness wrote no JSON ({e}); its stderr:\n{stderr}"));
    (text, json)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Equal,
    Differs,
    /// Differs, as `DELIBERATE` says it should.
    Deliberate,
    NotImplemented,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Equal => "equal",
            Outcome::Differs => "differs",
            Outcome::Deliberate => "differs on purpose",
            Outcome::NotImplemented => "not implemented",
        }
    }
}

struct CaseResult {
    transform: String,
    case: String,
    outcome: Outcome,
    /// What differs (or the messages of both failures, for equal error cases).
    notes: Vec<String>,
    /// Every class of the case is in IMPLEMENTED.
    expected_implemented: bool,
}

#[test]
fn smt_outputs_equal_kafka_connects_java_transforms() {
    let dir = root().join("tests/transforms");
    let cases_path = dir.join("cases.json");
    let expected_path = dir.join("expected.json");
    let cases = read_json(&cases_path);
    let cases = cases.as_array().expect("cases.json is an array of cases");

    // The golden file must be what the reference produces today.
    let (live_text, live) = run_java_harness(&cases_path);
    if std::env::var_os("TRIBUTARY_SMT_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&expected_path, &live_text).expect("write expected.json");
        eprintln!("regenerated {}", expected_path.display());
    }
    let expected = read_json(&expected_path);
    let expected = expected.as_array().expect("expected.json is an array");
    let live = live.as_array().expect("the harness writes an array");
    assert_eq!(
        expected.len(),
        cases.len(),
        "expected.json has {} cases, cases.json {}: regenerate it (TRIBUTARY_SMT_REGENERATE=1)",
        expected.len(),
        cases.len()
    );
    let stale: Vec<&str> = expected
        .iter()
        .zip(live)
        .filter(|(e, l)| e != l)
        .map(|(e, _)| e["name"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        stale.is_empty(),
        "the Java harness no longer produces expected.json for {} case(s): {stale:?}; if \
         cases.json or the reference versions changed on purpose, regenerate it with \
         TRIBUTARY_SMT_REGENERATE=1",
        stale.len()
    );

    let results: Vec<CaseResult> = cases
        .iter()
        .zip(expected)
        .map(|(case, expected)| {
            assert_eq!(
                case["name"], expected["name"],
                "cases and outputs out of step"
            );
            let mut r = run_case(case, expected);
            if let Some((_, why)) = DELIBERATE.iter().find(|(c, _)| *c == r.case) {
                match r.outcome {
                    Outcome::Differs => {
                        r.outcome = Outcome::Deliberate;
                        r.notes.insert(0, format!("on purpose: {why}"));
                    }
                    _ => r
                        .notes
                        .insert(0, "listed in DELIBERATE but does not differ".into()),
                }
            }
            r
        })
        .collect();

    let table = render_table(&results);
    println!("{table}");
    if std::env::var_os("TRIBUTARY_WRITE_SMT_TABLE").is_some_and(|v| v == "1") {
        let path = root().join("docs/transforms-differential.md");
        std::fs::write(&path, &table).expect("write docs/transforms-differential.md");
        eprintln!("wrote {}", path.display());
    }

    let mut failures = String::new();
    for r in &results {
        let fails = match r.outcome {
            Outcome::Equal => DELIBERATE.iter().any(|(c, _)| *c == r.case),
            Outcome::Deliberate => false,
            Outcome::Differs => true,
            Outcome::NotImplemented => r.expected_implemented,
        };
        if fails {
            let _ = writeln!(failures, "\n{} ({}):", r.case, r.outcome.label());
            for n in &r.notes {
                let _ = writeln!(failures, "    {n}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "our transforms differ from Kafka Connect's (Java's outputs: tests/transforms/expected.json):{failures}"
    );
}

fn case_classes(config: &Map<String, Json>) -> Vec<String> {
    config
        .iter()
        .filter(|(k, _)| {
            (k.starts_with("transforms.") || k.starts_with("predicates.")) && k.ends_with(".type")
        })
        .filter_map(|(_, v)| v.as_str().map(|s| s.trim().to_owned()))
        .collect()
}

fn run_case(case: &Json, expected: &Json) -> CaseResult {
    let name = case["name"].as_str().expect("a case has a name").to_owned();
    let transform = name.split('/').next().unwrap_or(&name).to_owned();
    let config_json = case["config"].as_object().expect("a case has a config");
    let classes = case_classes(config_json);
    let expected_implemented = classes.iter().all(|c| IMPLEMENTED.contains(&c.as_str()));
    let schemas = case["schemas"].as_bool().unwrap_or(true);
    let source = case["source"].as_bool().unwrap_or(false);
    let mut result = CaseResult {
        transform,
        case: name,
        outcome: Outcome::Equal,
        notes: Vec::new(),
        expected_implemented,
    };

    let config: ConfigMap = config_json
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let chain = match ::transforms::Chain::from_config(&config) {
        Ok(chain) => chain,
        Err(e) => {
            if let Some(java) = expected.get("config_error") {
                result
                    .notes
                    .push(format!("both refused the config: Java {java}; ours: {e}"));
            } else if e.0.iter().any(|p| p.property.ends_with(".type")) {
                result.outcome = Outcome::NotImplemented;
                result
                    .notes
                    .push(format!("our chain refused the class: {e}"));
            } else {
                result.outcome = Outcome::Differs;
                result
                    .notes
                    .push(format!("Java accepted the config, we refused it: {e}"));
            }
            return result;
        }
    };
    if let Some(java) = expected.get("config_error") {
        result.outcome = Outcome::Differs;
        result
            .notes
            .push(format!("Java refused the config ({java}), we accepted it"));
        return result;
    }

    let key_reader = JsonReader::new(schemas);
    let value_reader = JsonReader::new(schemas);
    let outputs = expected["outputs"].as_array().expect("outputs");
    let records = case["records"].as_array().expect("records");
    assert_eq!(outputs.len(), records.len(), "{}: outputs", result.case);
    for (i, (input, java)) in records.iter().zip(outputs).enumerate() {
        let ours = match to_record(input, source, &key_reader, &value_reader) {
            Err(e) => Err(format!("decoding the input: {e}")),
            Ok(record) => match chain.apply(record) {
                Err(e) => Err(e.to_string()),
                Ok(None) => Ok(Json::Null),
                Ok(Some(r)) => from_record(&r, schemas),
            },
        };
        let java_error = java.get("error").and_then(Json::as_str);
        match (java_error, ours) {
            (Some(j), Err(o)) => result
                .notes
                .push(format!("record {i}: both failed: Java {j:?}; ours {o:?}")),
            (Some(j), Ok(o)) => {
                result.outcome = Outcome::Differs;
                result.notes.push(format!(
                    "record {i}: Java failed ({j}), ours succeeded with {}",
                    clip(&o.to_string())
                ));
            }
            (None, Err(o)) => {
                result.outcome = Outcome::Differs;
                result.notes.push(format!(
                    "record {i}: ours failed ({o}), Java produced {}",
                    clip(&java.to_string())
                ));
            }
            (None, Ok(o)) => {
                if let Err(diff) = same_output(java, &o, schemas) {
                    result.outcome = Outcome::Differs;
                    result.notes.push(format!("record {i}: {diff}"));
                }
            }
        }
    }
    result
}

fn clip(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn json_bytes(j: &Json) -> Option<Vec<u8>> {
    match j {
        Json::Null => None,
        other => Some(serde_json::to_vec(other).expect("JSON")),
    }
}

fn to_record(
    input: &Json,
    source: bool,
    key_reader: &JsonReader,
    value_reader: &JsonReader,
) -> Result<::transforms::ConnectRecord, String> {
    let topic = input["topic"].as_str().expect("topic");
    let key = key_reader
        .to_connect(topic, json_bytes(&input["key"]).as_deref())
        .map_err(|e| format!("key: {e}"))?;
    let value = value_reader
        .to_connect(topic, json_bytes(&input["value"]).as_deref())
        .map_err(|e| format!("value: {e}"))?;
    let headers = input["headers"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h[0].as_str().expect("header name").to_owned(),
                        h[1].as_str().map(|s| s.as_bytes().to_vec()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(::transforms::ConnectRecord {
        topic: Arc::from(topic),
        // A source record (`"source": true` cases) has neither, as Debezium's.
        partition: (!source).then(|| input["partition"].as_i64().unwrap_or(0) as i32),
        offset: (!source).then(|| input["offset"].as_u64().unwrap_or(0)),
        timestamp_ms: input["timestamp"].as_i64(),
        key,
        value,
        headers,
    })
}

/// A record as the harness writes one: key and value through JsonConverter, headers as strings.
fn from_record(r: &::transforms::ConnectRecord, schemas: bool) -> Result<Json, String> {
    let headers: Vec<Json> = r
        .headers
        .iter()
        .map(|(name, v)| {
            json!([
                name,
                v.as_ref().map(|b| String::from_utf8_lossy(b).into_owned())
            ])
        })
        .collect();
    Ok(json!({
        "topic": &*r.topic,
        "partition": r.partition,
        "offset": r.offset,
        "timestamp": r.timestamp_ms,
        "key": encode(r.key.as_ref(), schemas).map_err(|e| format!("writing the key: {e}"))?,
        "value": encode(r.value.as_ref(), schemas).map_err(|e| format!("writing the value: {e}"))?,
        "headers": headers,
    }))
}

/// What JsonConverter.fromConnectData writes, as JSON: null for a null schema and value.
fn encode(data: Option<&SchemaAndValue>, schemas: bool) -> Result<Json, String> {
    let Some(data) = data else {
        return Ok(Json::Null);
    };
    match &data.schema {
        None if data.value.is_null() => Ok(Json::Null),
        None => {
            let payload = schemaless_json(&data.value)?;
            Ok(if schemas {
                json!({"schema": null, "payload": payload})
            } else {
                payload
            })
        }
        Some(schema) => {
            let converter = JsonConverter {
                schemas_enable: schemas,
                ..JsonConverter::default()
            };
            let bytes = converter
                .to_bytes(Some(&Data::new(schema.clone(), data.value.clone())))
                .unwrap_or_default();
            serde_json::from_slice(&bytes).map_err(|e| format!("JsonConverter wrote bad JSON: {e}"))
        }
    }
}

/// JsonConverter's output for a value without a schema.
fn schemaless_json(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int8(n) => json!(n),
        Value::Int16(n) => json!(n),
        Value::Int32(n) => json!(n),
        Value::Int64(n) => json!(n),
        Value::Float32(f) => json!(cdc_core::json::float32_as_written(*f)),
        Value::Float64(f) => json!(f),
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(schemaless_json)
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                let mut m = Map::new();
                for (k, v) in entries {
                    if let Value::String(k) = k {
                        m.insert(k.to_string(), schemaless_json(v)?);
                    }
                }
                Json::Object(m)
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| Ok(json!([schemaless_json(k)?, schemaless_json(v)?])))
                        .collect::<Result<_, String>>()?,
                )
            }
        }
        Value::Struct(_) => return Err("a struct without a schema".into()),
    })
}

fn same_output(java: &Json, ours: &Json, schemas: bool) -> Result<(), String> {
    match (java, ours) {
        (Json::Null, Json::Null) => return Ok(()),
        (Json::Null, o) => {
            return Err(format!(
                "Java dropped it, ours kept {}",
                clip(&o.to_string())
            ))
        }
        (j, Json::Null) => {
            return Err(format!(
                "ours dropped it, Java kept {}",
                clip(&j.to_string())
            ))
        }
        _ => {}
    }
    let mut diffs = Vec::new();
    for f in ["topic", "partition", "offset", "timestamp", "headers"] {
        if java[f] != ours[f] {
            diffs.push(format!("{f}: Java {} / ours {}", java[f], ours[f]));
        }
    }
    for f in ["key", "value"] {
        if let Err(d) = same_data(&java[f], &ours[f], schemas) {
            diffs.push(format!("{f}: {d}"));
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

fn same_data(java: &Json, ours: &Json, schemas: bool) -> Result<(), String> {
    if !schemas {
        return same_payload(None, java, ours, "");
    }
    match (java, ours) {
        (Json::Null, Json::Null) => Ok(()),
        (Json::Object(j), Json::Object(o)) => {
            // Schema JSON: objects in any key order (serde_json's maps compare so), arrays
            // (struct fields) in order.
            let (js, os) = (
                j.get("schema").unwrap_or(&Json::Null),
                o.get("schema").unwrap_or(&Json::Null),
            );
            if js != os {
                return Err(format!("schema{}", first_difference(js, os, "")));
            }
            let schema = j.get("schema").filter(|s| !s.is_null());
            same_payload(
                schema,
                j.get("payload").unwrap_or(&Json::Null),
                o.get("payload").unwrap_or(&Json::Null),
                "payload",
            )
        }
        _ => Err(format!(
            "Java {} / ours {}",
            clip(&java.to_string()),
            clip(&ours.to_string())
        )),
    }
}

/// Payloads compared under their schema: struct fields in order, maps (and schemaless objects)
/// in any order, everything else exactly.
fn same_payload(schema: Option<&Json>, java: &Json, ours: &Json, path: &str) -> Result<(), String> {
    let kind = schema.and_then(|s| s.get("type")).and_then(Json::as_str);
    let differ = || {
        Err(format!(
            "{}: Java {} / ours {}",
            if path.is_empty() { "(root)" } else { path },
            clip(&java.to_string()),
            clip(&ours.to_string())
        ))
    };
    match (kind, java, ours) {
        (Some("struct"), Json::Object(j), Json::Object(o)) => {
            let jk: Vec<&String> = j.keys().collect();
            let ok: Vec<&String> = o.keys().collect();
            if jk != ok {
                return Err(format!("{path}: fields Java {jk:?} / ours {ok:?}"));
            }
            let fields = schema
                .and_then(|s| s.get("fields"))
                .and_then(Json::as_array);
            for (k, jv) in j {
                let field_schema = fields.and_then(|fs| fs.iter().find(|f| f["field"] == **k));
                same_payload(field_schema, jv, &o[k], &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Some("array"), Json::Array(j), Json::Array(o)) => {
            if j.len() != o.len() {
                return differ();
            }
            let items = schema.and_then(|s| s.get("items"));
            for (i, (jv, ov)) in j.iter().zip(o).enumerate() {
                same_payload(items, jv, ov, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Some("map"), Json::Object(_), Json::Object(_)) => {
            same_map(schema.and_then(|s| s.get("values")), java, ours, path)
        }
        (Some("map"), Json::Array(j), Json::Array(o)) => {
            // Non-string keys: [key, value] pairs, in HashMap order on Java's side.
            let mut left: Vec<&Json> = o.iter().collect();
            for pair in j {
                match left.iter().position(|p| *p == pair) {
                    Some(at) => {
                        left.remove(at);
                    }
                    None => return differ(),
                }
            }
            if left.is_empty() && j.len() == o.len() {
                Ok(())
            } else {
                differ()
            }
        }
        (None, Json::Object(_), Json::Object(_)) => same_map(None, java, ours, path),
        (None, Json::Array(j), Json::Array(o)) => {
            if j.len() != o.len() {
                return differ();
            }
            for (i, (jv, ov)) in j.iter().zip(o).enumerate() {
                same_payload(None, jv, ov, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if java == ours => Ok(()),
        _ => differ(),
    }
}

/// Where two schemas first differ: a path and both sides there.
fn first_difference(java: &Json, ours: &Json, path: &str) -> String {
    match (java, ours) {
        (Json::Object(j), Json::Object(o)) => {
            for (k, jv) in j {
                match o.get(k) {
                    Some(ov) if ov == jv => {}
                    Some(ov) => return first_difference(jv, ov, &format!("{path}.{k}")),
                    None => {
                        return format!("{path}.{k}: Java {} / ours absent", clip(&jv.to_string()))
                    }
                }
            }
            let extra: Vec<&String> = o.keys().filter(|k| !j.contains_key(*k)).collect();
            format!("{path}: ours has {extra:?} besides Java's keys")
        }
        (Json::Array(j), Json::Array(o)) => {
            for (i, (jv, ov)) in j.iter().zip(o).enumerate() {
                if jv != ov {
                    let name = jv.get("field").and_then(Json::as_str).unwrap_or("");
                    return first_difference(jv, ov, &format!("{path}[{i}]{name}"));
                }
            }
            format!(
                "{path}: Java has {} elements, ours {} (Java {} / ours {})",
                j.len(),
                o.len(),
                clip(&java.to_string()),
                clip(&ours.to_string())
            )
        }
        _ => format!(
            "{path}: Java {} / ours {}",
            clip(&java.to_string()),
            clip(&ours.to_string())
        ),
    }
}

fn same_map(values: Option<&Json>, java: &Json, ours: &Json, path: &str) -> Result<(), String> {
    let (Json::Object(j), Json::Object(o)) = (java, ours) else {
        unreachable!("maps are objects here")
    };
    let mut jk: Vec<&String> = j.keys().collect();
    let mut ok: Vec<&String> = o.keys().collect();
    jk.sort();
    ok.sort();
    if jk != ok {
        return Err(format!("{path}: map keys Java {jk:?} / ours {ok:?}"));
    }
    for (k, jv) in j {
        same_payload(values, jv, &o[k], &format!("{path}.{k}"))?;
    }
    Ok(())
}

fn render_table(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Single message transforms: ours against Kafka Connect's\n\n\
         Written by `tests/transforms/mod.rs` (`TRIBUTARY_WRITE_SMT_TABLE=1`): each case of\n\
         `tests/transforms/cases.json` through Kafka Connect 4.3's transforms and Debezium 3.6.1's\n\
         `ExtractNewRecordState` (`scripts/lib/smt-harness.sh`, outputs in\n\
         `tests/transforms/expected.json`) and through `transforms::Chain`. Equal: every output\n\
         record equal as JsonConverter writes it (or both sides failed the record or refused the\n\
         config).\n"
    );
    let mut per_transform: Vec<(String, [usize; 3])> = Vec::new();
    for r in results {
        let at = match per_transform.iter().position(|(t, _)| *t == r.transform) {
            Some(at) => at,
            None => {
                per_transform.push((r.transform.clone(), [0; 3]));
                per_transform.len() - 1
            }
        };
        let slot = match r.outcome {
            Outcome::Equal => 0,
            Outcome::Differs | Outcome::Deliberate => 1,
            Outcome::NotImplemented => 2,
        };
        per_transform[at].1[slot] += 1;
    }
    let _ = writeln!(
        out,
        "| transform | cases | equal | differs | not implemented |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: |");
    let mut total = [0; 3];
    for (t, [e, d, n]) in &per_transform {
        let _ = writeln!(out, "| `{t}` | {} | {e} | {d} | {n} |", e + d + n);
        total[0] += e;
        total[1] += d;
        total[2] += n;
    }
    let _ = writeln!(
        out,
        "| all | {} | {} | {} | {} |\n",
        total.iter().sum::<usize>(),
        total[0],
        total[1],
        total[2]
    );
    let _ = writeln!(out, "| transform | case | result |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for r in results {
        let case = r
            .case
            .strip_prefix(&format!("{}/", r.transform))
            .unwrap_or(&r.case);
        let why = match r.outcome {
            Outcome::Deliberate => format!(" ({})", r.notes[0]),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {}{why} |",
            r.transform,
            case,
            r.outcome.label()
        );
    }
    out
}
