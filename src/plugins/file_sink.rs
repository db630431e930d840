//! Kafka Connect's `FileStreamSinkConnector`: each record's value, as Java's `toString` writes
//! it, on a line of `file`. Connect's demo sink, and the smallest real user of the sink
//! runtime: its `flush` is an fsync, so a committed position means the lines are on disk.
//!
//! Values print as Connect's data classes do: strings as they are, numbers and booleans as
//! Java prints them, `null`, a struct as `Struct{a=1,b=x}` (null fields left out), a map as
//! `{k=v, k2=v2}`, an array as `[1, 2]`. Java prints bytes and dates by identity or in the
//! worker's time zone; here bytes are their base64 text and Connect's Date/Time/Timestamp
//! their numbers (docs/compat.md).

use std::path::PathBuf;

use async_trait::async_trait;
use base64::Engine as _;
use cdc_core::{
    ConfigErrors, ConfigMap, ConfigReader, ConnectorError, Positions, Refused, Schema,
    SchemaAndValue, SinkRecord, SinkTask, TopicPartition, Value,
};
use tokio::io::AsyncWriteExt;

#[derive(Debug)]
pub struct FileStreamSink {
    file: PathBuf,
    out: Option<tokio::fs::File>,
    /// Lines accepted and not yet written.
    buffer: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}")]
struct FileError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

impl FileStreamSink {
    /// Reads `file` (required here: writing to the worker's standard output is not supported).
    pub fn from_config(config: &ConfigMap) -> Result<Self, ConfigErrors> {
        let mut r = ConfigReader::new(config);
        let file = r.optional_string("file");
        if file.is_none() {
            r.problem(
                "file",
                "a file is required: writing to the worker's standard output is not supported",
            );
        }
        r.finish()?;
        Ok(FileStreamSink {
            file: PathBuf::from(file.unwrap_or_default()),
            out: None,
            buffer: Vec::new(),
        })
    }

    fn error(&self, source: std::io::Error) -> ConnectorError {
        // A full disk or a missing directory needs a person; Connect fails the task too.
        ConnectorError::fatal(FileError {
            path: self.file.clone(),
            source,
        })
    }
}

#[async_trait]
impl SinkTask for FileStreamSink {
    async fn open(&mut self, _: &[TopicPartition]) -> Result<Option<Positions>, ConnectorError> {
        let out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .await
            .map_err(|e| self.error(e))?;
        self.out = Some(out);
        Ok(None)
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        for r in records {
            let mut line = String::new();
            match &r.value {
                None => line.push_str("null"),
                Some(v) => java_string(v, &mut line),
            }
            line.push('\n');
            self.buffer.extend_from_slice(line.as_bytes());
        }
        Ok(Vec::new())
    }

    async fn flush(&mut self) -> Result<(), ConnectorError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let written = async {
            out.write_all(&self.buffer).await?;
            out.sync_data().await
        }
        .await;
        written.map_err(|e| self.error(e))?;
        self.buffer.clear();
        Ok(())
    }
}

/// A value as Java's `toString` of Connect's data writes it.
pub fn java_string(v: &SchemaAndValue, out: &mut String) {
    write_value(v.schema.as_deref(), &v.value, out);
}

fn write_value(schema: Option<&Schema>, value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(n) => write!(out, "{n}").unwrap_or_default(),
        Value::Int16(n) => write!(out, "{n}").unwrap_or_default(),
        Value::Int32(n) => write!(out, "{n}").unwrap_or_default(),
        Value::Int64(n) => write!(out, "{n}").unwrap_or_default(),
        Value::Float32(f) => out.push_str(&java_double(f64::from(*f))),
        Value::Float64(f) => out.push_str(&java_double(*f)),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => {
            out.push('[');
            let item_schema = schema.and_then(|s| s.items.as_deref());
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item_schema, item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            let key_schema = schema.and_then(|s| s.keys.as_deref());
            let value_schema = schema.and_then(|s| s.items.as_deref());
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(key_schema, k, out);
                out.push('=');
                write_value(value_schema, v, out);
            }
            out.push('}');
        }
        Value::Struct(values) => {
            out.push_str("Struct{");
            let mut first = true;
            for (i, v) in values.iter().enumerate() {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                let field = schema.and_then(|s| s.fields.get(i));
                out.push_str(field.map_or("?", |f| f.name.as_str()));
                out.push('=');
                write_value(field.map(|f| &*f.schema), v, out);
            }
            out.push('}');
        }
    }
}

/// Java's `Double.toString` for the common cases: `1.0`, `0.5`, `NaN`, `Infinity`, and
/// scientific notation outside [10^-3, 10^7).
fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{f:E}");
        // Rust writes 1.5E7 / 1E-5; Java writes 1.5E7 / 1.0E-5.
        match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use cdc_core::JsonReader;

    fn read(json: &str, schemas: bool) -> SchemaAndValue {
        JsonReader::new(schemas)
            .to_connect("t", Some(json.as_bytes()))
            .unwrap()
            .unwrap()
    }

    fn text(v: &SchemaAndValue) -> String {
        let mut s = String::new();
        java_string(v, &mut s);
        s
    }

    #[test]
    fn values_print_as_javas_to_string() {
        let env = r#"{"schema":{"type":"struct","fields":[
            {"field":"id","type":"int32"},{"field":"name","type":"string","optional":true},
            {"field":"note","type":"string","optional":true},{"field":"w","type":"double"}]},
            "payload":{"id":1,"name":"x","note":null,"w":2}}"#;
        assert_eq!(text(&read(env, true)), "Struct{id=1,name=x,w=2.0}");
        assert_eq!(
            text(&read(r#"{"a":1,"b":[true,null]}"#, false)),
            "{a=1, b=[true, null]}"
        );
        assert_eq!(text(&read(r#""plain""#, false)), "plain");
        let s = SchemaAndValue {
            schema: Some(Arc::new(Schema::float64())),
            value: Value::Float64(1.5e7),
        };
        assert_eq!(text(&s), "1.5E7");
        assert_eq!(java_double(1e-5), "1.0E-5");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(f64::NAN), "NaN");
    }

    #[tokio::test]
    async fn lines_reach_the_file_on_flush() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.txt");
        let config: ConfigMap = [("file".to_owned(), file.display().to_string())]
            .into_iter()
            .collect();
        let mut sink = FileStreamSink::from_config(&config).unwrap();
        sink.open(&[]).await.unwrap();
        let record = |v: Option<SchemaAndValue>| SinkRecord {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: None,
            value: v,
            headers: Vec::new(),
            origin: None,
        };
        let refused = sink
            .put(&[record(Some(read(r#""a""#, false))), record(None)])
            .await
            .unwrap();
        assert!(refused.is_empty());
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "",
            "accepted, not yet written"
        );
        sink.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\nnull\n");
        let missing = FileStreamSink::from_config(&ConfigMap::new()).unwrap_err();
        assert_eq!(missing.0[0].property, "file");
    }
}
