//! `PUT /connector-plugins/{plugin}/config/validate` with transform chains, against what the
//! reference Kafka Connect 4.3 worker (Debezium 3.6.1 on its plugin path) answers for the same
//! configs: the `Transforms: <alias>` / `Predicates: <alias>` groups, each `transforms.*` and
//! `predicates.*` definition (name, type, required, default, importance, documentation, group,
//! order, width, display name, dependents), its value and its errors; and
//! `GET /connector-plugins/{class}/config` of a few transformations and a predicate.
//!
//! Connect's answers are kept in `validate_transforms.json`, so the test needs no Java.
//! `TRIBUTARY_BLESS=connect` rewrites that file from the reference worker at
//! `TRIBUTARY_CONNECT_URL` (scripts/lib/connect.sh starts one).

use serde_json::{json, Map, Value};

use super::client::{self, Worker};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/rest/validate_transforms.json"
);

/// Differences that are deliberate: (case, property, part, reason). `part` is `definition`,
/// `value` or `errors`.
const ALLOWED: &[(&str, &str, &str, &str)] = &[
    (
        "*",
        "*.plugin.version",
        "definition",
        "the default is the installed plugin's version: Tributary's own, Connect's 4.3.0 or Debezium's 3.6.1.Final",
    ),
    (
        "*",
        "*.plugin.version",
        "value",
        "the default is the installed plugin's version: Tributary's own, Connect's 4.3.0 or Debezium's 3.6.1.Final",
    ),
    (
        "errors",
        "transforms.nope.type",
        "value",
        "Connect shows null for a class it cannot load; Tributary echoes the value",
    ),
    (
        "errors",
        "transforms.nope.type",
        "errors",
        "wording: Connect says the class could not be found, Tributary that it does not implement it, listing what it does",
    ),
    (
        "errors",
        "transforms.route.regex",
        "errors",
        "wording: Connect's message names the property without its prefix and quotes java.util.regex's parser; Tributary's names the full property and its own parser's reason",
    ),
    (
        "errors",
        "transforms.undef.predicate",
        "errors",
        "Tributary refuses a predicate alias missing from `predicates` at validation; Connect accepts it there and fails when the task starts",
    ),
];

/// Where Connect adds a second message from the class's own validator (MaskField's "values
/// must not be null", TopicNameMatches' regex check of a null pattern, a NullPointerException's
/// text): Tributary's one message is Connect's first. (case, property).
const FIRST_MESSAGE_ONLY: &[(&str, &str)] = &[
    ("errors", "transforms.mask.fields"),
    ("errors", "predicates.isT.pattern"),
];

/// The cases: (name, plugin, config).
fn cases() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            // The chain of issue 15 on a PostgreSQL connector.
            "issue",
            "PostgresConnector",
            json!({
                "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                "name": "inv",
                "topic.prefix": "inv",
                "database.hostname": "127.0.0.1",
                "database.port": "5432",
                "database.user": "u",
                "database.password": "p",
                "database.dbname": "d",
                "transforms": "unwrap,dropField,route,addTimestamp,maskSSN",
                "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                "transforms.unwrap.drop.tombstones": "false",
                "transforms.unwrap.delete.handling.mode": "rewrite",
                "transforms.dropField.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
                "transforms.dropField.exclude": "internal_notes",
                "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                "transforms.route.regex": "inv\\.public\\.(.*)",
                "transforms.route.replacement": "prod.$1",
                "transforms.addTimestamp.type": "org.apache.kafka.connect.transforms.InsertField$Value",
                "transforms.addTimestamp.timestamp.field": "processed_at",
                "transforms.maskSSN.type": "org.apache.kafka.connect.transforms.MaskField$Value",
                "transforms.maskSSN.fields": "ssn",
            }),
        ),
        (
            // Configuration errors of the chain, and predicates, on a file source.
            "errors",
            "FileStreamSourceConnector",
            json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "name": "x",
                "topic": "t",
                "transforms": "mask,nope,notype,neg,undef,route,outbox",
                "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
                "transforms.nope.type": "com.example.Nope",
                "transforms.neg.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.neg.negate": "true",
                "transforms.undef.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.undef.predicate": "missing",
                "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                "transforms.route.regex": "(",
                "transforms.route.replacement": "x",
                "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
                "predicates": "isT,hasH",
                "predicates.isT.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "predicates.hasH.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
                "predicates.hasH.name": "h",
            }),
        ),
        (
            // A sink connector's chain.
            "sink",
            "FileStreamSinkConnector",
            json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "name": "s",
                "topics": "t",
                "transforms": "hoist,cast,ts",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "line",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Key",
                "transforms.cast.spec": "int32",
                "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                "transforms.ts.target.type": "Timestamp",
                "transforms.ts.predicate": "tomb",
                "transforms.ts.negate": "true",
                "predicates": "tomb",
                "predicates.tomb.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            }),
        ),
    ]
}

/// The part of a ConfigInfos this test compares: the alias groups, and each `transforms.*` /
/// `predicates.*` entry's definition (the position under `order`, Connect 4.x's
/// `order_in_group` renamed), value and errors, recommended values left out.
/// Tributary's "Not supported yet" mark is taken off documentation before comparing.
fn view(infos: &Value) -> Value {
    let groups: Vec<Value> = infos["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            let g = g.as_str().unwrap_or_default();
            g.starts_with("Transforms: ") || g.starts_with("Predicates: ")
        })
        .cloned()
        .collect();
    let mut configs = Map::new();
    for c in infos["configs"].as_array().unwrap() {
        let name = c["value"]["name"]
            .as_str()
            .or(c["definition"]["name"].as_str())
            .unwrap_or_default();
        if !(name.starts_with("transforms.") || name.starts_with("predicates.")) {
            continue;
        }
        let mut definition = c["definition"].clone();
        if let Some(d) = definition.as_object_mut() {
            if let Some(order) = d.remove("order_in_group") {
                d.insert("order".into(), order);
            }
            // Tributary's mark on properties it accepts and does not act on (its unit tests
            // check which); the documentation after it is the class's.
            if let Some(doc) = d.get("documentation").and_then(Value::as_str) {
                let doc = doc
                    .strip_prefix(cdc_core::configdef::UNSUPPORTED_PREFIX)
                    .unwrap_or(doc)
                    .to_owned();
                d.insert("documentation".into(), Value::String(doc));
            }
        }
        configs.insert(
            name.to_owned(),
            json!({
                "definition": definition,
                "value": c["value"]["value"],
                "errors": c["value"]["errors"],
            }),
        );
    }
    json!({"groups": groups, "configs": configs})
}

/// Transformations and predicates whose `GET /connector-plugins/{class}/config` is compared
/// (both `$Key`/`$Value` variants of one).
const PLUGINS: &[&str] = &[
    "org.apache.kafka.connect.transforms.MaskField$Value",
    "org.apache.kafka.connect.transforms.MaskField$Key",
    "io.debezium.transforms.ExtractNewRecordState",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
];

/// A plugin's ConfigKeyInfo list with the position under `order` (see [`view`]).
fn plugin_view(keys: &Value) -> Value {
    Value::Array(
        keys.as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let mut k = k.clone();
                if let Some(d) = k.as_object_mut() {
                    if let Some(order) = d.remove("order_in_group") {
                        d.insert("order".into(), order);
                    }
                }
                k
            })
            .collect(),
    )
}

/// `*` at the start of a pattern matches any prefix.
fn matches(pattern: &str, s: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(rest) => s.ends_with(rest),
        None => pattern == s,
    }
}

fn allowed(case: &str, property: &str, part: &str) -> bool {
    ALLOWED
        .iter()
        .any(|(c, p, what, _)| matches(c, case) && matches(p, property) && *what == part)
}

fn validate(addr: &str, plugin: &str, config: &Value) -> Value {
    let resp = client::request(
        addr,
        "PUT",
        &format!("/connector-plugins/{plugin}/config/validate"),
        Some("application/json"),
        config.to_string().as_bytes(),
    );
    assert_eq!(resp.status, 200, "{plugin}: {}", resp.body);
    resp.json()
}

#[test]
fn validate_lists_transform_and_predicate_groups_as_kafka_connect_does() {
    if std::env::var("TRIBUTARY_BLESS").is_ok_and(|b| b == "connect") {
        let url = std::env::var("TRIBUTARY_CONNECT_URL")
            .expect("TRIBUTARY_BLESS=connect needs the reference worker at TRIBUTARY_CONNECT_URL");
        let connect = url.trim_start_matches("http://").trim_end_matches('/');
        let mut golden = Map::new();
        for (name, plugin, config) in cases() {
            golden.insert(name.into(), view(&validate(connect, plugin, &config)));
        }
        for class in PLUGINS {
            let resp = client::request(
                connect,
                "GET",
                &format!("/connector-plugins/{class}/config"),
                None,
                b"",
            );
            assert_eq!(resp.status, 200, "{class}: {}", resp.body);
            golden.insert(format!("GET {class}"), plugin_view(&resp.json()));
        }
        let text = serde_json::to_string_pretty(&Value::Object(golden)).unwrap();
        std::fs::write(GOLDEN, text + "\n").unwrap();
    }
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(GOLDEN).unwrap()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(dir.path());
    let mut differences = Vec::new();
    for (case, plugin, config) in cases() {
        let ours = view(&validate(&w.addr, plugin, &config));
        let theirs = &golden[case];
        if ours["groups"] != theirs["groups"] {
            differences.push(format!(
                "{case}: groups: Connect {} | Tributary {}",
                theirs["groups"], ours["groups"]
            ));
        }
        let names = |v: &Value| -> Vec<String> {
            v["configs"].as_object().unwrap().keys().cloned().collect()
        };
        if names(&ours) != names(theirs) {
            differences.push(format!(
                "{case}: properties: Connect {:?} | Tributary {:?}",
                names(theirs),
                names(&ours)
            ));
        }
        for (property, c) in theirs["configs"].as_object().unwrap() {
            let o = &ours["configs"][property];
            for part in ["definition", "value", "errors"] {
                if o[part] == c[part] || allowed(case, property, part) {
                    continue;
                }
                if part == "errors"
                    && FIRST_MESSAGE_ONLY.contains(&(case, property.as_str()))
                    && o[part].as_array().map(Vec::len) == Some(1)
                    && o[part][0] == c[part][0]
                {
                    continue;
                }
                differences.push(format!(
                    "{case}: {property} {part}: Connect {} | Tributary {}",
                    c[part], o[part]
                ));
            }
        }
    }
    for class in PLUGINS {
        let resp = w.get(&format!("/connector-plugins/{class}/config"));
        assert_eq!(resp.status, 200, "{class}: {}", resp.body);
        let ours = plugin_view(&resp.json());
        let theirs = &golden[format!("GET {class}")];
        if &ours != theirs {
            differences.push(format!("GET {class}: Connect {theirs} | Tributary {ours}"));
        }
    }
    w.stop();
    assert!(
        differences.is_empty(),
        "differences from Kafka Connect's validate:\n{}",
        differences.join("\n")
    );
}
