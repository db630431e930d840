//! REST differential: the same requests, in the same order, to the reference Kafka Connect
//! worker (`TRIBUTARY_CONNECT_URL`: Apache Kafka Connect with Debezium's PostgresConnector, which
//! `scripts/test.sh` starts) and to a Tributary worker this test starts, comparing status codes
//! and JSON bodies: object keys (and their order, except in maps Connect keeps unordered:
//! connector configs, offsets, the `expand` and logger maps), value types, and values.
//!
//! Both sides run a connector of the same name on the same PostgreSQL database, each with its own
//! slot, publication and topic prefix, and a sink (Connect's `FileStreamSinkConnector`, which
//! `scripts/lib/java/kafka-pom.xml` puts on the reference's classpath) reading that topic into a
//! file of its own. Values that differ only because they name one side's own things (slot,
//! publication, topic prefix, sink file, the worker's REST address as `worker_id`) are replaced
//! by placeholders before comparing. Every other difference must be in [`ALLOWED`],
//! with its reason; anything else fails the test, listed with Connect's and Tributary's values.
//! Connect applies pause, resume, stop and restarts asynchronously: both sides are polled until
//! their states settle before the next comparison.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::client::{self, Resp, Worker};
use crate::support::PgFixture;

/// Differences that are deliberate or instance-specific: (request label, JSON path, reason).
///
/// Labels and paths are globs: `*` matches any run of characters (in a path, within one
/// segment), `**` any run of characters. A path is a JSON pointer into the body; `#status` is
/// the HTTP status, `#location` the Location header, `<object>#order` an object's key order,
/// `<array>#len` an array's length.
const ALLOWED: &[(&str, &str, &str)] = &[
    // Instance-specific.
    ("GET /", "/version", "each implementation's own version"),
    ("GET /", "/commit", "each implementation's own build commit"),
    (
        "GET /",
        "/kafka_cluster_id",
        "null: Tributary's worker in this test writes to its embedded log, not a Kafka cluster",
    ),
    (
        "*",
        "**/version",
        "plugin versions (plugin lists; connector and task statuses, KIP-891): Debezium's release on Connect, Tributary's own version on Tributary",
    ),
    (
        "GET /admin/loggers*",
        "**/last_modified",
        "when the level was set, by each worker's clock",
    ),
    // Deliberate or known differences, each with a row in docs/compat.md (REST API, Sink connectors).
    (
        "*",
        "**/database.password",
        "secrets are [hidden] in every Tributary response; Connect returns the stored plaintext",
    ),
    (
        "POST /connectors",
        "/tasks#len",
        "Connect answers a create before the new connector has generated its task configs (tasks: []); Tributary's task config exists when it answers",
    ),
    (
        "POST /connectors",
        "#location",
        "Tributary's Location is the path /connectors/<name>; Connect (Jersey) makes it absolute from the request's Host",
    ),
    (
        "GET /connectors/{name}/offsets (*)",
        "/offsets/0/offset/*",
        "offset contents: Debezium stores its last event's position (messageType INSERT, no lsn_commit before the commit is processed); Tributary the last durable transaction's (messageType COMMIT, lsn_commit its end) plus lsn_events_processed and system_id (docs/compat.md, Offsets)",
    ),
    (
        "PUT /connector-plugins/{class}/config/validate*",
        "/warnings",
        "Tributary's extra list of properties it accepts but does not act on",
    ),
    (
        "PUT /connector-plugins/{class}/config/validate*",
        "/configs/*/definition/order*",
        "ConfigKeyInfo's position key: Kafka 4.x writes order_in_group, Connect up to 3.9 wrote order, which Tributary keeps",
    ),
    (
        "PUT /connector-plugins/{class}/config/validate*",
        "/configs/*/value/value",
        "Debezium's validators leave value null for the connector's own properties; Tributary echoes each value (secrets as [hidden])",
    ),
    (
        "PUT /connector-plugins/{class}/config/validate*",
        "/configs/*/value/recommended_values#len",
        "Tributary lists no recommended values; Debezium lists the allowed values of enumerated properties (snapshot.mode, plugin.name)",
    ),
    (
        "POST /connectors (sink)",
        "/tasks#len",
        "Connect answers a create before the new connector has generated its task configs (tasks: []); Tributary's task config exists when it answers",
    ),
    (
        "POST /connectors (sink)",
        "#location",
        "Tributary's Location is the path /connectors/<name>; Connect (Jersey) makes it absolute from the request's Host",
    ),
    (
        "PUT /connector-plugins/{sink}/config/validate*",
        "/configs/*/definition/order*",
        "ConfigKeyInfo's position key: Kafka 4.x writes order_in_group, Connect up to 3.9 wrote order, which Tributary keeps",
    ),
    (
        "PUT /connector-plugins/{sink}/config/validate*",
        "/warnings",
        "Tributary's extra list of properties it accepts but does not act on (docs/compat.md, Sink connectors)",
    ),
    (
        "POST /connectors (invalid snapshot.mode)",
        "**",
        "Connect with Debezium 3.6.1 answers 500 (a NullPointerException building the error list: Debezium's validate returns a ConfigInfo without a value); Tributary answers Connect's documented 400 with the list of errors",
    ),
    (
        "POST /connectors (unknown connector.class)",
        "/message",
        "wording: Connect lists its plugin descriptors, Tributary the accepted class names and aliases",
    ),
    (
        "POST /connectors (malformed JSON)",
        "**",
        "Connect answers 500 with Jackson's parser message; Tributary 400 with its parser's",
    ),
];

/// A glob: `**` matches any run of characters, `*` any run without a `/` when `one_segment`.
fn glob(pattern: &[u8], s: &[u8], one_segment: bool) -> bool {
    match pattern {
        [] => s.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| glob(rest, &s[i..], one_segment)),
        [b'*', rest @ ..] => {
            for i in 0..=s.len() {
                if i > 0 && one_segment && s[i - 1] == b'/' {
                    break;
                }
                if glob(rest, &s[i..], one_segment) {
                    return true;
                }
            }
            false
        }
        [c, rest @ ..] => s.first() == Some(c) && glob(rest, &s[1..], one_segment),
    }
}

fn allowed(label: &str, path: &str) -> Option<usize> {
    ALLOWED.iter().position(|(l, p, _)| {
        glob(l.as_bytes(), label.as_bytes(), false) && glob(p.as_bytes(), path.as_bytes(), true)
    })
}

/// One difference: where, and each side's value (compact JSON, `(absent)` when missing).
#[derive(Debug)]
struct Diff {
    path: String,
    connect: String,
    tributary: String,
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 300 {
                format!("{}...", s.chars().take(300).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// Compares `c` (Connect) with `t` (Tributary) below `path`; objects at paths matching an
/// `unordered` glob are compared without their key order.
fn compare(path: &str, c: &Value, t: &Value, unordered: &[&str], out: &mut Vec<Diff>) {
    let diff = |out: &mut Vec<Diff>, p: String, c: Option<&Value>, t: Option<&Value>| {
        out.push(Diff {
            path: p,
            connect: show(c),
            tributary: show(t),
        })
    };
    match (c, t) {
        (Value::Object(co), Value::Object(to)) => {
            for (k, cv) in co {
                let p = format!("{path}/{k}");
                match to.get(k) {
                    Some(tv) => compare(&p, cv, tv, unordered, out),
                    None => diff(out, p, Some(cv), None),
                }
            }
            for (k, tv) in to {
                if !co.contains_key(k) {
                    diff(out, format!("{path}/{k}"), None, Some(tv));
                }
            }
            let ordered = !unordered
                .iter()
                .any(|u| glob(u.as_bytes(), path.as_bytes(), true));
            if ordered {
                let ck: Vec<&String> = co.keys().filter(|k| to.contains_key(*k)).collect();
                let tk: Vec<&String> = to.keys().filter(|k| co.contains_key(*k)).collect();
                if ck != tk {
                    let keys =
                        |k: Vec<&String>| Value::from(k.into_iter().cloned().collect::<Vec<_>>());
                    diff(
                        out,
                        format!("{path}#order"),
                        Some(&keys(ck)),
                        Some(&keys(tk)),
                    );
                }
            }
        }
        (Value::Array(ca), Value::Array(ta)) => {
            if ca.len() != ta.len() {
                diff(
                    out,
                    format!("{path}#len"),
                    Some(&ca.len().into()),
                    Some(&ta.len().into()),
                );
            }
            for (i, (cv, tv)) in ca.iter().zip(ta).enumerate() {
                compare(&format!("{path}/{i}"), cv, tv, unordered, out);
            }
        }
        _ if c == t => {}
        _ => diff(out, path.to_owned(), Some(c), Some(t)),
    }
}

/// A value's shape: its type names in place of scalars; an array's distinct element shapes.
fn shape(v: &Value) -> Value {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(a) => {
            let mut out: Vec<Value> = Vec::new();
            for e in a.iter().map(shape) {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            Value::Array(out)
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

/// One worker under test.
struct Side {
    addr: String,
    /// (this side's own value, placeholder), longest value first.
    own: Vec<(String, String)>,
}

impl Side {
    fn new(addr: &str, slot: &str, publication: &str, prefix: &str, file: &str) -> Side {
        let mut own = vec![
            (addr.to_owned(), "<worker>".to_owned()),
            (slot.to_owned(), "<slot>".to_owned()),
            (publication.to_owned(), "<publication>".to_owned()),
            (prefix.to_owned(), "<topic.prefix>".to_owned()),
            (file.to_owned(), "<sink.file>".to_owned()),
        ];
        own.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        Side {
            addr: addr.to_owned(),
            own,
        }
    }

    /// A request body or path with the placeholders replaced by this side's values.
    fn fill(&self, template: &str) -> String {
        self.own
            .iter()
            .fold(template.to_owned(), |s, (v, p)| s.replace(p, v))
    }

    fn placeholders(&self, s: &str) -> String {
        self.own
            .iter()
            .fold(s.to_owned(), |s, (v, p)| s.replace(v, p))
    }

    /// `v` with this side's own values replaced by placeholders (in keys and strings).
    fn normalize(&self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.placeholders(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|e| self.normalize(e)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| (self.placeholders(&k), self.normalize(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &str) -> Resp {
        client::request(
            &self.addr,
            method,
            &self.fill(path),
            content_type,
            self.fill(body).as_bytes(),
        )
    }

    fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, "")
    }
}

type Project = Box<dyn Fn(&mut Value, &mut Value)>;

/// One request of the sequence and how to compare its answers.
struct Req {
    label: String,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: String,
    unordered: Vec<&'static str>,
    shape_only: bool,
    project: Option<Project>,
}

impl Req {
    fn new(label: &str, method: &'static str, path: &str) -> Req {
        Req {
            label: label.to_owned(),
            method,
            path: path.to_owned(),
            content_type: None,
            body: String::new(),
            unordered: Vec::new(),
            shape_only: false,
            project: None,
        }
    }

    fn get(label: &str, path: &str) -> Req {
        Req::new(label, "GET", path)
    }

    fn json(mut self, body: &Value) -> Req {
        self.content_type = Some("application/json");
        self.body = body.to_string();
        self
    }

    fn raw(mut self, content_type: &'static str, body: &str) -> Req {
        self.content_type = Some(content_type);
        self.body = body.to_owned();
        self
    }

    fn unordered(mut self, paths: &[&'static str]) -> Req {
        self.unordered.extend_from_slice(paths);
        self
    }

    fn shape_only(mut self) -> Req {
        self.shape_only = true;
        self
    }

    fn project(mut self, f: impl Fn(&mut Value, &mut Value) + 'static) -> Req {
        self.project = Some(Box::new(f));
        self
    }
}

/// The two workers and what was found so far.
struct Differ {
    c: Side,
    t: Side,
    requests: usize,
    equal: usize,
    allowed: usize,
    /// Requests with at least one difference not allowed, and those differences.
    unexpected_requests: usize,
    unexpected: Vec<(String, Diff)>,
    used: BTreeSet<usize>,
}

fn body_json(r: &Resp) -> Option<Value> {
    if r.body.trim().is_empty() {
        return None;
    }
    Some(
        serde_json::from_str(&r.body)
            .unwrap_or_else(|_| Value::String(format!("(not JSON) {}", r.body))),
    )
}

impl Differ {
    /// Sends `req` to both workers, compares the answers and records the outcome.
    fn run(&mut self, req: Req) {
        let c = self
            .c
            .request(req.method, &req.path, req.content_type, &req.body);
        let t = self
            .t
            .request(req.method, &req.path, req.content_type, &req.body);
        let mut diffs = Vec::new();
        if c.status != t.status {
            diffs.push(Diff {
                path: "#status".into(),
                connect: c.status.to_string(),
                tributary: t.status.to_string(),
            });
        }
        let location = |side: &Side, r: &Resp| r.header("location").map(|l| side.placeholders(l));
        let (cl, tl) = (location(&self.c, &c), location(&self.t, &t));
        if cl != tl {
            diffs.push(Diff {
                path: "#location".into(),
                connect: format!("{cl:?}"),
                tributary: format!("{tl:?}"),
            });
        }
        match (body_json(&c), body_json(&t)) {
            (None, None) => {}
            (cb, tb) => {
                let mut cb = cb.map(|v| self.c.normalize(v)).unwrap_or(Value::Null);
                let mut tb = tb.map(|v| self.t.normalize(v)).unwrap_or(Value::Null);
                if let Some(p) = &req.project {
                    p(&mut cb, &mut tb);
                }
                if req.shape_only {
                    cb = shape(&cb);
                    tb = shape(&tb);
                }
                compare("", &cb, &tb, &req.unordered, &mut diffs);
            }
        }
        self.requests += 1;
        let mut unexpected = false;
        for d in diffs.iter() {
            match allowed(&req.label, &d.path) {
                Some(i) => {
                    self.used.insert(i);
                    println!(
                        "  allowed  {}  {}: connect {} / tributary {} ({})",
                        req.label, d.path, d.connect, d.tributary, ALLOWED[i].2
                    );
                }
                None => unexpected = true,
            }
        }
        if diffs.is_empty() {
            self.equal += 1;
            println!("equal      {}", req.label);
        } else if !unexpected {
            self.allowed += 1;
            println!("allowed    {}", req.label);
        } else {
            self.unexpected_requests += 1;
            println!("UNEXPECTED {}", req.label);
            for d in diffs {
                if allowed(&req.label, &d.path).is_none() {
                    println!(
                        "  {}: connect {} / tributary {}",
                        d.path, d.connect, d.tributary
                    );
                    self.unexpected.push((req.label.clone(), d));
                }
            }
        }
    }

    /// Polls both workers' status of `name` until `ok` holds on both.
    fn settle(&self, name: &str, what: &str, ok: impl Fn(&Value) -> bool) {
        let start = Instant::now();
        let path = format!("/connectors/{name}/status");
        loop {
            let (c, t) = (self.c.get(&path), self.t.get(&path));
            let parse = |r: &Resp| (r.status == 200).then(|| r.json());
            let (cs, ts) = (parse(&c), parse(&t));
            let failed = |s: &Option<Value>| -> Option<String> {
                let tasks = s.as_ref()?["tasks"].as_array()?.clone();
                let task = tasks.into_iter().find(|t| t["state"] == "FAILED")?;
                let trace = task["trace"].as_str().unwrap_or("").lines().take(3);
                Some(trace.collect::<Vec<_>>().join("\n"))
            };
            if let Some(trace) = failed(&cs) {
                panic!(
                    "the reference Kafka Connect worker's task FAILED while waiting for {what}: \
                     the reference environment cannot run the connector (Debezium's or Connect's \
                     FileStream), so the REST differential cannot compare (not a Tributary problem):\n{trace}"
                );
            }
            if let Some(trace) = failed(&ts) {
                panic!("Tributary's task FAILED while waiting for {what}:\n{trace}");
            }
            if cs.as_ref().is_some_and(&ok) && ts.as_ref().is_some_and(&ok) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "waiting for {what}: Connect {} {}, Tributary {} {}",
                c.status,
                c.body,
                t.status,
                t.body
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Polls `path` on both workers until `ok` holds on both.
    fn wait_both(&self, path: &str, what: &str, ok: impl Fn(&Value) -> bool) {
        let start = Instant::now();
        loop {
            let (c, t) = (self.c.get(path), self.t.get(path));
            let good = |r: &Resp| r.status == 200 && ok(&r.json());
            if good(&c) && good(&t) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "waiting for {what}: Connect {} {}, Tributary {} {}",
                c.status,
                c.body,
                t.status,
                t.body
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `(connector state, task states)` of a ConnectorStateInfo.
fn states(s: &Value) -> (String, Vec<String>) {
    (
        s["connector"]["state"].as_str().unwrap_or("").to_owned(),
        s["tasks"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| t["state"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn is(connector: &'static str, tasks: &'static [&'static str]) -> impl Fn(&Value) -> bool {
    move |s| {
        let (c, t) = states(s);
        c == connector && t == tasks
    }
}

/// Keeps only `keys` in an object (both sides).
fn keep_keys(keys: Vec<String>) -> impl Fn(&mut Value, &mut Value) {
    move |c, t| {
        for v in [c, t] {
            if let Value::Object(o) = v {
                o.retain(|k, _| keys.contains(k));
            }
        }
    }
}

/// A ConfigInfos answer reduced to what both implementations share: the top level, the groups'
/// shape, and for `keys` (plus every key with errors on either side) each definition's name and
/// type with the shape of the rest, and each value's name, shape and number of errors.
fn validate_view(keys: Vec<String>) -> impl Fn(&mut Value, &mut Value) {
    move |c, t| {
        let by_name = |v: &Value| -> Map<String, Value> {
            v["configs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    // Tributary lists errors about properties it does not define with a null
                    // definition: by the value's name.
                    let name = e["definition"]["name"]
                        .as_str()
                        .or_else(|| e["value"]["name"].as_str())?;
                    Some((name.to_owned(), e.clone()))
                })
                .collect()
        };
        let (cm, tm) = (by_name(c), by_name(t));
        let has_errors = |e: &Value| {
            e["value"]["errors"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        };
        let mut selected: Vec<String> = keys.clone();
        for (k, e) in cm.iter().chain(tm.iter()) {
            if has_errors(e) && !selected.contains(k) {
                selected.push(k.clone());
            }
        }
        let view = |m: &Map<String, Value>| -> Value {
            let mut out = Map::new();
            for k in &selected {
                let Some(e) = m.get(k) else { continue };
                let mut def = shape(&e["definition"]);
                if def.is_object() {
                    def["name"] = e["definition"]["name"].clone();
                    def["type"] = e["definition"]["type"].clone();
                }
                let mut value = shape(&e["value"]);
                if e["value"].is_object() {
                    value["name"] = e["value"]["name"].clone();
                    value["errors"] = e["value"]["errors"]
                        .as_array()
                        .map_or(0, |a| a.len())
                        .into();
                }
                out.insert(k.clone(), json!({"definition": def, "value": value}));
            }
            Value::Object(out)
        };
        let (cv, tv) = (view(&cm), view(&tm));
        for (v, configs) in [(c, cv), (t, tv)] {
            if v.get("configs").is_some() {
                v["configs"] = configs;
            }
            if let Some(g) = v.get("groups") {
                v["groups"] = shape(g);
            }
        }
    }
}

/// Deletes the connector on the reference worker, stops ours, drops both slots and the test
/// database, also when the test fails half-way.
struct Cleanup {
    rt: tokio::runtime::Runtime,
    db: Option<PgFixture>,
    connect: String,
    names: Vec<String>,
    slots: Vec<String>,
    worker: Option<Worker>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = client::request(
                &self.connect,
                "DELETE",
                &format!("/connectors/{name}"),
                None,
                b"",
            );
        }
        drop(self.worker.take());
        let Some(db) = self.db.take() else { return };
        let slots = self.slots.clone();
        self.rt.block_on(async move {
            let start = Instant::now();
            let admin = db.server.connect("postgres").await;
            loop {
                // A slot stays active for a moment after its connector is gone.
                let _ = admin
                    .query(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                         WHERE slot_name = ANY($1) AND NOT active",
                        &[&slots],
                    )
                    .await;
                let remaining: i64 = admin
                    .query_one(
                        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ANY($1)",
                        &[&slots],
                    )
                    .await
                    .map(|r| r.get(0))
                    .unwrap_or(0);
                if remaining == 0 || start.elapsed() > Duration::from_secs(60) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let dbname = db.dbname.clone();
            drop(db);
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
                .await;
        });
    }
}

/// A sink's consumed positions with each `kafka_offset` as its shape: how many records each
/// side's topic holds is up to each side's source connector (Debezium may deliver a change
/// again after its offsets were reset), not the REST API.
fn consumed(c: &mut Value, t: &mut Value) {
    for v in [c, t] {
        for o in v["offsets"].as_array_mut().into_iter().flatten() {
            if let Some(offset) = o["offset"].get_mut("kafka_offset") {
                *offset = shape(offset);
            }
        }
    }
}

/// A sink: Connect's `FileStreamSinkConnector` on both workers, reading the source connector's
/// topic (`<topic.prefix>.public.items`, one record: on the reference's Kafka, on Tributary's
/// embedded log) into a file of each side's own. Status, config, tasks, active topics, stop,
/// offsets in Connect's sink shape (read, altered, every malformed body Connect rejects, reset),
/// validation and delete.
fn sink_connector(d: &mut Differ, sink: &str) {
    let conn = |p: &str| format!("/connectors/{sink}{p}");
    let topic = "<topic.prefix>.public.items";
    let config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "file": "<sink.file>",
    });
    let only_sink = || keep_keys(vec![sink.to_owned()]);

    d.run(
        Req::new("POST /connectors (sink)", "POST", "/connectors")
            .json(&json!({"name": sink, "config": config}))
            .unordered(&["/config"]),
    );
    d.settle(sink, "the sink RUNNING", is("RUNNING", &["RUNNING"]));
    // Both have delivered the topic's record and committed its position.
    d.wait_both(&conn("/topics"), "the sink's topic on both sides", |o| {
        o[sink]["topics"].as_array().is_some_and(|a| !a.is_empty())
    });
    d.wait_both(&conn("/offsets"), "the sink's offset on both sides", |o| {
        o["offsets"][0]["offset"]["kafka_offset"]
            .as_u64()
            .is_some_and(|n| n > 0)
    });
    d.run(
        Req::get(
            "GET /connectors?expand=status&expand=info (sink)",
            "/connectors?expand=status&expand=info",
        )
        .project(only_sink())
        .unordered(&["", "/*", "/*/info/config"]),
    );
    d.run(Req::get("GET /connectors/{sink}", &conn("")).unordered(&["/config"]));
    d.run(Req::get("GET /connectors/{sink}/status", &conn("/status")));
    d.run(Req::get("GET /connectors/{sink}/config", &conn("/config")).unordered(&[""]));
    d.run(Req::get("GET /connectors/{sink}/tasks", &conn("/tasks")).unordered(&["/*/config"]));
    d.run(Req::get("GET /connectors/{sink}/topics", &conn("/topics")));
    d.run(
        Req::get(
            "GET /connectors/{sink}/offsets (running)",
            &conn("/offsets"),
        )
        .project(consumed),
    );
    let at = |offset: Value| {
        json!({"offsets": [{
            "partition": {"kafka_topic": topic, "kafka_partition": 0},
            "offset": offset,
        }]})
    };
    d.run(
        Req::new(
            "PATCH /connectors/{sink}/offsets (running)",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&at(json!({"kafka_offset": 0}))),
    );
    d.run(Req::new(
        "DELETE /connectors/{sink}/offsets (running)",
        "DELETE",
        &conn("/offsets"),
    ));
    d.run(Req::new(
        "PUT /connectors/{sink}/topics/reset",
        "PUT",
        &conn("/topics/reset"),
    ));
    // Connect forgets the topics asynchronously (tombstones on its status topic, read back).
    d.wait_both(&conn("/topics"), "the sink's topics forgotten", |o| {
        o[sink]["topics"].as_array().is_some_and(|a| a.is_empty())
    });
    d.run(Req::get(
        "GET /connectors/{sink}/topics (reset)",
        &conn("/topics"),
    ));

    // Stop; offsets while STOPPED.
    d.run(Req::new(
        "PUT /connectors/{sink}/stop",
        "PUT",
        &conn("/stop"),
    ));
    d.settle(sink, "the sink STOPPED", is("STOPPED", &[]));
    d.run(Req::get(
        "GET /connectors/{sink}/status (stopped)",
        &conn("/status"),
    ));
    d.run(
        Req::get(
            "GET /connectors/{sink}/offsets (stopped)",
            &conn("/offsets"),
        )
        .project(consumed),
    );
    let offsets = |label: &str, body: Value| {
        Req::new(
            &format!("PATCH /connectors/{{sink}}/offsets ({label})"),
            "PATCH",
            &conn("/offsets"),
        )
        .json(&body)
    };
    let entry = |partition: Value, offset: Value| json!({"offsets": [{"partition": partition, "offset": offset}]});
    for (label, body) in [
        ("empty", json!({"offsets": []})),
        ("no offsets", json!({})),
        (
            "partition null",
            entry(Value::Null, json!({"kafka_offset": 1})),
        ),
        (
            "no kafka_topic",
            entry(json!({"kafka_partition": 0}), json!({"kafka_offset": 1})),
        ),
        (
            "no kafka_partition",
            entry(json!({"kafka_topic": topic}), json!({"kafka_offset": 1})),
        ),
        (
            "kafka_topic null",
            entry(
                json!({"kafka_topic": null, "kafka_partition": 0}),
                json!({"kafka_offset": 1}),
            ),
        ),
        (
            "kafka_partition not a number",
            entry(
                json!({"kafka_topic": topic, "kafka_partition": "zero"}),
                json!({"kafka_offset": 1}),
            ),
        ),
        (
            "kafka_partition null",
            entry(
                json!({"kafka_topic": topic, "kafka_partition": null}),
                json!({"kafka_offset": 1}),
            ),
        ),
        (
            "kafka_offset not a number",
            entry(
                json!({"kafka_topic": topic, "kafka_partition": 0}),
                json!({"kafka_offset": "one"}),
            ),
        ),
        (
            "kafka_offset null",
            entry(
                json!({"kafka_topic": topic, "kafka_partition": 0}),
                json!({"kafka_offset": null}),
            ),
        ),
        (
            "source-shaped",
            entry(
                json!({"server": "<topic.prefix>"}),
                json!({"lsn": 100, "txId": 5}),
            ),
        ),
        (
            "source-shaped offset",
            entry(
                json!({"kafka_topic": topic, "kafka_partition": 0}),
                json!({"lsn": 100}),
            ),
        ),
    ] {
        d.run(offsets(label, body));
    }
    d.run(offsets("valid", at(json!({"kafka_offset": 0}))));
    d.run(Req::get(
        "GET /connectors/{sink}/offsets (altered)",
        &conn("/offsets"),
    ));
    d.run(offsets(
        "string numbers",
        entry(
            json!({"kafka_topic": topic, "kafka_partition": "0"}),
            json!({"kafka_offset": "1"}),
        ),
    ));
    d.run(Req::get(
        "GET /connectors/{sink}/offsets (altered again)",
        &conn("/offsets"),
    ));
    d.run(offsets("offset null", at(Value::Null)));
    d.run(Req::get(
        "GET /connectors/{sink}/offsets (partition reset)",
        &conn("/offsets"),
    ));
    d.run(offsets("valid, again", at(json!({"kafka_offset": 1}))));
    d.run(Req::new(
        "DELETE /connectors/{sink}/offsets",
        "DELETE",
        &conn("/offsets"),
    ));
    d.run(Req::get(
        "GET /connectors/{sink}/offsets (reset)",
        &conn("/offsets"),
    ));

    // Validation.
    let validate = "/connector-plugins/FileStreamSinkConnector/config/validate";
    let mut good = config.clone();
    good["name"] = json!("validated-sink");
    let keys: Vec<String> = good.as_object().unwrap().keys().cloned().collect();
    let mut no_topics = good.clone();
    no_topics.as_object_mut().unwrap().remove("topics");
    let mut both = good.clone();
    both["topics.regex"] = json!("rd.*");
    for (label, body) in [
        ("", &good),
        (" (no topics)", &no_topics),
        (" (topics and topics.regex)", &both),
    ] {
        d.run(
            Req::new(
                &format!("PUT /connector-plugins/{{sink}}/config/validate{label}"),
                "PUT",
                validate,
            )
            .json(body)
            .project(validate_view(keys.clone())),
        );
    }

    d.run(Req::new("DELETE /connectors/{sink}", "DELETE", &conn("")));
    d.run(Req::get("GET /connectors/{sink} (deleted)", &conn("")));
}

#[test]
fn rest_api_matches_kafka_connect() {
    let url = std::env::var("TRIBUTARY_CONNECT_URL").unwrap_or_else(|_| {
        panic!(
            "TRIBUTARY_CONNECT_URL is not set: the REST differential needs the reference Kafka \
             Connect worker; run the tests through scripts/test.sh (or source the env file of a \
             running one)"
        )
    });
    let connect = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    if let Err(e) = std::net::TcpStream::connect(&connect) {
        panic!("the reference Kafka Connect worker at {url} (TRIBUTARY_CONNECT_URL) does not answer: {e}");
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = PgFixture::start("rest_diff").await;
        db.exec("CREATE TABLE items (id int PRIMARY KEY, v text)")
            .await;
        db
    });
    let name = format!("rest-diff-{}", std::process::id());
    let own = |side: &str| {
        let u = format!("{}_{side}", db.dbname);
        (
            format!("rdslot_{u}"),
            format!("rdpub_{u}"),
            format!("rdtopic_{u}"),
        )
    };
    let (c_slot, c_pub, c_prefix) = own("c");
    let (t_slot, t_pub, t_prefix) = own("t");
    // Both connectors run as the least-privileged user: the superuser creates their
    // publications (`FOR ALL TABLES` needs one).
    rt.block_on(async {
        db.create_publication(&c_pub).await;
        db.create_publication(&t_pub).await;
    });
    let logger = format!("tributary.rest.differential{}", std::process::id());
    let config = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": db.server.host,
        "database.port": db.server.port.to_string(),
        "database.user": db.server.cdc_user,
        "database.password": db.server.cdc_password,
        "database.dbname": db.dbname,
        "topic.prefix": "<topic.prefix>",
        "slot.name": "<slot>",
        "publication.name": "<publication>",
        "plugin.name": "pgoutput",
        "snapshot.mode": "no_data",
        "tasks.max": "1",
    });

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let sink = format!("{name}-sink");
    let sink_file = |side: &str| dir.path().join(format!("sink_{side}.txt"));
    let mut cleanup = Cleanup {
        rt,
        db: Some(db),
        connect: connect.clone(),
        names: vec![name.clone(), sink.clone()],
        slots: vec![c_slot.clone(), t_slot.clone()],
        worker: None,
    };
    let worker = Worker::serve(&dir.path().join("data"));
    let tributary = worker.addr.clone();
    cleanup.worker = Some(worker);
    // Connectors of these names left on the reference worker by an interrupted run.
    for n in [&name, &sink] {
        client::request(&connect, "DELETE", &format!("/connectors/{n}"), None, b"");
    }
    let (c_file, t_file) = (sink_file("c"), sink_file("t"));
    let mut d = Differ {
        c: Side::new(
            &connect,
            &c_slot,
            &c_pub,
            &c_prefix,
            &c_file.display().to_string(),
        ),
        t: Side::new(
            &tributary,
            &t_slot,
            &t_pub,
            &t_prefix,
            &t_file.display().to_string(),
        ),
        requests: 0,
        equal: 0,
        allowed: 0,
        unexpected_requests: 0,
        unexpected: Vec::new(),
        used: BTreeSet::new(),
    };
    let n = name.as_str();
    let conn = |p: &str| format!("/connectors/{n}{p}");
    let only_ours = |prefix_only: bool| {
        let name = name.clone();
        move |c: &mut Value, t: &mut Value| {
            for v in [c, t] {
                if let Value::Array(a) = v {
                    a.retain(|e| {
                        e.as_str().is_some_and(|s| {
                            s == name || prefix_only && s.starts_with(name.as_str())
                        })
                    });
                }
            }
        }
    };
    let ours = || keep_keys(vec![name.clone()]);

    // The worker and its plugins.
    d.run(Req::get("GET /", "/"));
    d.run(
        Req::get("GET /connector-plugins", "/connector-plugins").project(|c, t| {
            // Tributary may offer more connectors: compare those the reference has.
            let classes: Vec<Value> = c
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["class"].clone())
                .collect();
            if let Value::Array(a) = t {
                a.retain(|p| classes.contains(&p["class"]));
            }
        }),
    );
    d.run(
        Req::get(
            "GET /connector-plugins?connectorsOnly=false",
            "/connector-plugins?connectorsOnly=false",
        )
        .shape_only(),
    );

    // Create, and wait until both connectors and their tasks run.
    d.run(
        Req::new("POST /connectors", "POST", "/connectors")
            .json(&json!({"name": n, "config": config}))
            .unordered(&["/config"]),
    );
    d.settle(n, "RUNNING after create", is("RUNNING", &["RUNNING"]));
    // One change captured by both, so both have committed an offset.
    let slots = vec![c_slot.clone(), t_slot.clone()];
    cleanup.rt.block_on(async {
        let db = cleanup.db.as_ref().unwrap();
        let start = Instant::now();
        loop {
            let ready: i64 = db
                .client
                .query_one(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ANY($1) \
                     AND active AND confirmed_flush_lsn IS NOT NULL",
                    &[&slots],
                )
                .await
                .unwrap()
                .get(0);
            if ready == 2 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "both replication slots active"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        db.exec("INSERT INTO items VALUES (1, 'one')").await;
    });
    d.wait_both(&conn("/offsets"), "an offset on both sides", |o| {
        o["offsets"][0]["offset"]["txId"].is_number()
    });
    d.wait_both(&conn("/topics"), "the table's topic on both sides", |o| {
        o[n]["topics"].as_array().is_some_and(|a| !a.is_empty())
    });

    // Reads.
    d.run(Req::get("GET /connectors", "/connectors").project(only_ours(false)));
    d.run(
        Req::get("GET /connectors?expand=status", "/connectors?expand=status")
            .project(ours())
            .unordered(&["", "/*"]),
    );
    d.run(
        Req::get("GET /connectors?expand=info", "/connectors?expand=info")
            .project(ours())
            .unordered(&["", "/*", "/*/info/config"]),
    );
    d.run(
        Req::get(
            "GET /connectors?expand=status&expand=info",
            "/connectors?expand=status&expand=info",
        )
        .project(ours())
        .unordered(&["", "/*", "/*/info/config"]),
    );
    d.run(Req::get("GET /connectors/{name}", &conn("")).unordered(&["/config"]));
    d.run(Req::get("GET /connectors/{name}/status", &conn("/status")));
    d.run(Req::get(
        "GET /connectors/{name}/tasks/0/status",
        &conn("/tasks/0/status"),
    ));
    d.run(Req::get("GET /connectors/{name}/tasks", &conn("/tasks")).unordered(&["/*/config"]));
    d.run(Req::get("GET /connectors/{name}/config", &conn("/config")).unordered(&[""]));
    d.run(Req::get("GET /connectors/{name}/topics", &conn("/topics")));
    d.run(
        Req::get(
            "GET /connectors/{name}/offsets (running)",
            &conn("/offsets"),
        )
        .unordered(&["/offsets/*/partition", "/offsets/*/offset"]),
    );

    // A sink on the source's topic, while it holds the source's one record.
    sink_connector(&mut d, &sink);

    // Offsets cannot change while the connector runs.
    d.run(
        Req::new(
            "PATCH /connectors/{name}/offsets (running)",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&json!({"offsets": [{"partition": {"server": "<topic.prefix>"}, "offset": null}]})),
    );
    d.run(Req::new(
        "DELETE /connectors/{name}/offsets (running)",
        "DELETE",
        &conn("/offsets"),
    ));

    // Config: replace, merge-patch.
    let mut replaced = config.clone();
    replaced["max.batch.size"] = json!("1024");
    d.run(
        Req::new("PUT /connectors/{name}/config", "PUT", &conn("/config"))
            .json(&replaced)
            .unordered(&["/config"]),
    );
    d.settle(n, "RUNNING after PUT config", is("RUNNING", &["RUNNING"]));
    d.run(
        Req::new("PATCH /connectors/{name}/config", "PATCH", &conn("/config"))
            .json(&json!({"max.batch.size": null, "max.queue.size": "4096"}))
            .unordered(&["/config"]),
    );
    d.settle(n, "RUNNING after PATCH config", is("RUNNING", &["RUNNING"]));
    d.run(Req::get("GET /connectors/{name}/config (patched)", &conn("/config")).unordered(&[""]));

    // Pause, resume.
    d.run(Req::new(
        "PUT /connectors/{name}/pause",
        "PUT",
        &conn("/pause"),
    ));
    d.settle(n, "PAUSED", is("PAUSED", &["PAUSED"]));
    d.run(Req::get(
        "GET /connectors/{name}/status (paused)",
        &conn("/status"),
    ));
    d.run(Req::new(
        "PUT /connectors/{name}/resume",
        "PUT",
        &conn("/resume"),
    ));
    d.settle(n, "RUNNING after resume", is("RUNNING", &["RUNNING"]));
    d.run(Req::get(
        "GET /connectors/{name}/status (resumed)",
        &conn("/status"),
    ));

    // Restarts.
    d.run(Req::new(
        "POST /connectors/{name}/restart",
        "POST",
        &conn("/restart"),
    ));
    d.settle(n, "RUNNING after restart", is("RUNNING", &["RUNNING"]));
    // The onlyFailed restarts restart nothing here and answer with the current states, so they
    // come while both sides are settled: Connect's plain restart above is synchronous, but the
    // includeTasks one below is not (202, then the herder restarts on its next tick), and its
    // RESTARTING states can outlive a status read that still shows RUNNING.
    d.run(Req::new(
        "POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true",
        "POST",
        &conn("/restart?includeTasks=true&onlyFailed=true"),
    ));
    d.run(Req::new(
        "POST /connectors/{name}/restart?onlyFailed=true",
        "POST",
        &conn("/restart?onlyFailed=true"),
    ));
    d.run(Req::new(
        "POST /connectors/{name}/restart?includeTasks=true&onlyFailed=false",
        "POST",
        &conn("/restart?includeTasks=true&onlyFailed=false"),
    ));
    d.settle(
        n,
        "RUNNING after restart with tasks",
        is("RUNNING", &["RUNNING"]),
    );
    d.run(Req::new(
        "POST /connectors/{name}/tasks/0/restart",
        "POST",
        &conn("/tasks/0/restart"),
    ));
    d.settle(
        n,
        "RUNNING after the task restart",
        is("RUNNING", &["RUNNING"]),
    );

    // Stop; offsets while STOPPED.
    d.run(Req::new(
        "PUT /connectors/{name}/stop",
        "PUT",
        &conn("/stop"),
    ));
    d.settle(n, "STOPPED", is("STOPPED", &[]));
    d.run(Req::new(
        "PUT /connectors/{name}/stop (again)",
        "PUT",
        &conn("/stop"),
    ));
    d.run(Req::get(
        "GET /connectors/{name}/status (stopped)",
        &conn("/status"),
    ));
    d.run(Req::get(
        "GET /connectors/{name}/tasks (stopped)",
        &conn("/tasks"),
    ));
    d.run(Req::get("GET /connectors/{name} (stopped)", &conn("")).unordered(&["/config"]));
    d.run(
        Req::get(
            "GET /connectors/{name}/offsets (stopped)",
            &conn("/offsets"),
        )
        .unordered(&["/offsets/*/partition", "/offsets/*/offset"]),
    );
    let altered = json!({"offsets": [{
        "partition": {"server": "<topic.prefix>"},
        "offset": {"lsn": 100, "txId": 5, "ts_usec": 1},
    }]});
    d.run(
        Req::new(
            "PATCH /connectors/{name}/offsets",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&altered),
    );
    d.run(
        Req::get(
            "GET /connectors/{name}/offsets (altered)",
            &conn("/offsets"),
        )
        .unordered(&["/offsets/*/partition", "/offsets/*/offset"]),
    );
    d.run(
        Req::new(
            "PATCH /connectors/{name}/offsets (offset null)",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&json!({"offsets": [{"partition": {"server": "<topic.prefix>"}, "offset": null}]})),
    );
    d.run(Req::get(
        "GET /connectors/{name}/offsets (partition reset)",
        &conn("/offsets"),
    ));
    d.run(
        Req::new(
            "PATCH /connectors/{name}/offsets (empty)",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&json!({"offsets": []})),
    );
    d.run(
        Req::new(
            "PATCH /connectors/{name}/offsets (again)",
            "PATCH",
            &conn("/offsets"),
        )
        .json(&altered),
    );
    d.run(Req::new(
        "DELETE /connectors/{name}/offsets",
        "DELETE",
        &conn("/offsets"),
    ));
    d.run(Req::get(
        "GET /connectors/{name}/offsets (reset)",
        &conn("/offsets"),
    ));
    d.run(Req::new(
        "PUT /connectors/{name}/resume (from STOPPED)",
        "PUT",
        &conn("/resume"),
    ));
    d.settle(
        n,
        "RUNNING after resuming from STOPPED",
        is("RUNNING", &["RUNNING"]),
    );

    // Validation.
    let mut good = config.clone();
    good["name"] = json!("validated");
    let keys: Vec<String> = good.as_object().unwrap().keys().cloned().collect();
    let validate = "/connector-plugins/PostgresConnector/config/validate";
    d.run(
        Req::new(
            "PUT /connector-plugins/{class}/config/validate",
            "PUT",
            validate,
        )
        .json(&good)
        .project(validate_view(keys.clone())),
    );
    let mut bad = good.clone();
    bad["snapshot.mode"] = json!("bogus");
    d.run(
        Req::new(
            "PUT /connector-plugins/{class}/config/validate (invalid snapshot.mode)",
            "PUT",
            validate,
        )
        .json(&bad)
        .project(validate_view(keys.clone())),
    );
    let mut no_tasks = good.clone();
    no_tasks["tasks.max"] = json!("0");
    d.run(
        Req::new(
            "PUT /connector-plugins/{class}/config/validate (tasks.max=0)",
            "PUT",
            validate,
        )
        .json(&no_tasks)
        .project(validate_view(keys.clone())),
    );
    d.run(
        Req::new(
            "PUT /connector-plugins/{class}/config/validate (class mismatch)",
            "PUT",
            "/connector-plugins/MySqlConnector/config/validate",
        )
        .json(&good),
    );

    // Loggers (KIP-495): a logger of this run's own, so the shared reference keeps its levels.
    let loggers = || keep_keys(vec!["root".to_owned(), logger.clone()]);
    d.run(
        Req::get("GET /admin/loggers", "/admin/loggers")
            .project(loggers())
            .unordered(&[""]),
    );
    d.run(
        Req::new(
            "PUT /admin/loggers/{logger}",
            "PUT",
            &format!("/admin/loggers/{logger}"),
        )
        .json(&json!({"level": "DEBUG"})),
    );
    d.run(Req::get(
        "GET /admin/loggers/{logger}",
        &format!("/admin/loggers/{logger}"),
    ));
    d.run(
        Req::get("GET /admin/loggers (after PUT)", "/admin/loggers")
            .project(loggers())
            .unordered(&[""]),
    );
    d.run(
        Req::new(
            "PUT /admin/loggers/{logger} (no level)",
            "PUT",
            &format!("/admin/loggers/{logger}"),
        )
        .json(&json!({})),
    );
    d.run(
        Req::new(
            "PUT /admin/loggers/{logger} (unknown level)",
            "PUT",
            &format!("/admin/loggers/{logger}"),
        )
        .json(&json!({"level": "LOUD"})),
    );
    d.run(Req::get(
        "GET /admin/loggers/{never set}",
        &format!("/admin/loggers/{logger}.never.set"),
    ));

    // Errors.
    for (label, method, path) in [
        ("GET /connectors/{unknown}", "GET", "/connectors/nope"),
        (
            "GET /connectors/{unknown}/config",
            "GET",
            "/connectors/nope/config",
        ),
        (
            "GET /connectors/{unknown}/status",
            "GET",
            "/connectors/nope/status",
        ),
        (
            "GET /connectors/{unknown}/tasks",
            "GET",
            "/connectors/nope/tasks",
        ),
        (
            "GET /connectors/{unknown}/offsets",
            "GET",
            "/connectors/nope/offsets",
        ),
        ("DELETE /connectors/{unknown}", "DELETE", "/connectors/nope"),
        (
            "PUT /connectors/{unknown}/pause",
            "PUT",
            "/connectors/nope/pause",
        ),
        (
            "PUT /connectors/{unknown}/resume",
            "PUT",
            "/connectors/nope/resume",
        ),
        (
            "PUT /connectors/{unknown}/stop",
            "PUT",
            "/connectors/nope/stop",
        ),
        (
            "POST /connectors/{unknown}/restart",
            "POST",
            "/connectors/nope/restart",
        ),
        (
            "POST /connectors/{unknown}/tasks/0/restart",
            "POST",
            "/connectors/nope/tasks/0/restart",
        ),
        (
            "GET /connectors/{unknown}/tasks/0/status",
            "GET",
            "/connectors/nope/tasks/0/status",
        ),
        (
            "POST /connectors/{name}/tasks/3/restart",
            "POST",
            &conn("/tasks/3/restart"),
        ),
        (
            "GET /connectors/{name}/tasks/3/status",
            "GET",
            &conn("/tasks/3/status"),
        ),
        (
            "POST /connectors/{unknown}/restart?includeTasks=true",
            "POST",
            "/connectors/nope/restart?includeTasks=true",
        ),
        ("GET /{no such path}", "GET", "/no/such/path"),
        ("DELETE /connectors (405)", "DELETE", "/connectors"),
        (
            "PUT /connectors/{name}/status (405)",
            "PUT",
            &conn("/status"),
        ),
    ] {
        d.run(Req::new(label, method, path));
    }
    d.run(
        Req::new("POST /connectors (duplicate)", "POST", "/connectors")
            .json(&json!({"name": n, "config": config})),
    );
    let mut invalid = config.clone();
    invalid["snapshot.mode"] = json!("bogus");
    d.run(
        Req::new(
            "POST /connectors (invalid snapshot.mode)",
            "POST",
            "/connectors",
        )
        .json(&json!({"name": format!("{n}-invalid"), "config": invalid})),
    );
    let mut unknown_class = config.clone();
    unknown_class["connector.class"] = json!("com.example.NoSuchConnector");
    d.run(
        Req::new(
            "POST /connectors (unknown connector.class)",
            "POST",
            "/connectors",
        )
        .json(&json!({"name": format!("{n}-unknown"), "config": unknown_class})),
    );
    let mut other_name = config.clone();
    other_name["name"] = json!("other");
    d.run(
        Req::new(
            "PUT /connectors/{name}/config (name mismatch)",
            "PUT",
            &conn("/config"),
        )
        .json(&other_name),
    );
    d.run(
        Req::new("POST /connectors (text/plain)", "POST", "/connectors").raw(
            "text/plain",
            &json!({"name": n, "config": config}).to_string(),
        ),
    );
    d.run(
        Req::new("POST /connectors (malformed JSON)", "POST", "/connectors")
            .raw("application/json", "{\"name\": "),
    );
    d.run(Req::get("GET /connectors (nothing created)", "/connectors").project(only_ours(true)));

    // Delete.
    d.run(Req::new("DELETE /connectors/{name}", "DELETE", &conn("")));
    d.run(Req::get("GET /connectors/{name} (deleted)", &conn("")));

    let line = format!(
        "rest differential: {} requests, {} equal, {} allowed, {} unexpected",
        d.requests, d.equal, d.allowed, d.unexpected_requests
    );
    println!("{line}");
    crate::differential::record_summary_line(&line);
    let unused: Vec<String> = ALLOWED
        .iter()
        .enumerate()
        .filter(|(i, _)| !d.used.contains(i))
        .map(|(_, (l, p, _))| format!("{l} {p}"))
        .collect();
    if !unused.is_empty() {
        println!("allow-list entries that matched nothing this run: {unused:?}");
    }
    drop(cleanup);
    assert!(
        d.unexpected.is_empty(),
        "{} unexpected differences between Kafka Connect and Tributary:\n{}",
        d.unexpected.len(),
        d.unexpected
            .iter()
            .map(|(label, x)| format!(
                "  {label}  {}: connect {} / tributary {}",
                x.path, x.connect, x.tributary
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
