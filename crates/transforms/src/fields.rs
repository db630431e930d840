//! Connect's field transforms, each with its `$Key` and `$Value` variant: `ReplaceField`,
//! `MaskField`, `InsertField`, `HoistField`, `ExtractField`, `SetSchemaMetadata`, and
//! `ValueToKey` (no variants). Semantics as Kafka 4.x: a null key or value passes unchanged
//! (except where noted), schemaless values must be maps, values with a schema must be structs,
//! `replace.null.with.default` (default true) reads a null field as its default.

use std::collections::HashMap;
use std::sync::Arc;

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaAndValue, SchemaType, Value};

use crate::chain::Props;
use crate::row_plan::{FieldFrom, RowShape, RowValue};
use crate::structs::{
    field_value, map_get, map_put, require_map, require_struct, struct_basics, take_struct,
    SchemaMemo, Side,
};
use crate::{ConnectRecord, Transform};

const PKG: &str = "org.apache.kafka.connect.transforms.";

pub const CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.ExtractField$Key",
    "org.apache.kafka.connect.transforms.Flatten$Key",
    "org.apache.kafka.connect.transforms.Flatten$Value",
    "org.apache.kafka.connect.transforms.ExtractField$Value",
    "org.apache.kafka.connect.transforms.HeaderFrom$Key",
    "org.apache.kafka.connect.transforms.HeaderFrom$Value",
    "org.apache.kafka.connect.transforms.HoistField$Key",
    "org.apache.kafka.connect.transforms.HoistField$Value",
    "org.apache.kafka.connect.transforms.InsertField$Key",
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.MaskField$Key",
    "org.apache.kafka.connect.transforms.MaskField$Value",
    "org.apache.kafka.connect.transforms.ReplaceField$Key",
    "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
    "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
    "org.apache.kafka.connect.transforms.ValueToKey",
];

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    let name = class.strip_prefix(PKG)?;
    let mut p = Props::new(config, prefix);
    if name == "ValueToKey" {
        let fields = p.list("fields");
        if fields.is_empty() {
            p.problem(
                "fields",
                "Missing required configuration \"fields\" which has no default value.",
            );
        }
        let replace = p.bool("replace.null.with.default", true);
        return Some(
            p.finish()
                .map(|()| Box::new(ValueToKey { fields, replace }) as Box<dyn Transform>),
        );
    }
    let (base, side) = Side::split(name)?;
    let t: Box<dyn Transform> = match base {
        "ReplaceField" => {
            let exclude = p.list("exclude");
            let include = p.list("include");
            // Removed in Kafka 4.0, where Connect accepts and ignores them: refused here, as
            // ignoring them would write the fields they meant to drop.
            for (old, new) in [("blacklist", "exclude"), ("whitelist", "include")] {
                if p.optional_string(old).is_some() {
                    p.problem(
                        old,
                        format!("was removed in Kafka 4.0 (which ignores it); use {new}"),
                    );
                }
            }
            let mut renames = Vec::new();
            for mapping in p.list("renames") {
                // Java's String.split(":"), which drops trailing empty parts.
                let mut parts: Vec<&str> = mapping.split(':').collect();
                while parts.last() == Some(&"") {
                    parts.pop();
                }
                match parts[..] {
                    [from, to] => renames.push((from.to_owned(), to.to_owned())),
                    _ => p.problem("renames", format!("Invalid rename mapping: {mapping}")),
                }
            }
            let replace = p.bool("replace.null.with.default", true);
            Box::new(ReplaceField {
                side,
                schemas: SchemaMemo::default(),
                exclude,
                include,
                renames,
                replace,
            })
        }
        "MaskField" => {
            let fields = p.list("fields");
            if fields.is_empty() {
                p.problem(
                    "fields",
                    "Missing required configuration \"fields\" which has no default value.",
                );
            }
            let replacement = p.raw(config, "replacement");
            if replacement.as_deref() == Some("") {
                p.problem("replacement", "String must be non-empty");
            }
            let replace = p.bool("replace.null.with.default", true);
            Box::new(MaskField {
                side,
                fields,
                replacement,
                replace,
            })
        }
        "InsertField" => {
            let spec = |p: &mut Props<'_>, n: &str| p.optional_string(n).map(|s| Spec::parse(&s));
            let t = InsertField {
                side,
                schemas: SchemaMemo::default(),
                topic: spec(&mut p, "topic.field"),
                partition: spec(&mut p, "partition.field"),
                offset: spec(&mut p, "offset.field"),
                timestamp: spec(&mut p, "timestamp.field"),
                static_field: spec(&mut p, "static.field"),
                static_value: p.raw(config, "static.value"),
                replace: p.bool("replace.null.with.default", true),
            };
            if let (Some(field), None) = (&t.static_field, &t.static_value) {
                p.problem(
                    "static.value",
                    format!("No value specified for static field: {}", field.name),
                );
            }
            Box::new(t)
        }
        "Flatten" => {
            let delimiter = p.raw(config, "delimiter").unwrap_or_else(|| ".".into());
            Box::new(Flatten {
                side,
                delimiter,
                schemas: SchemaMemo::default(),
            })
        }
        "HeaderFrom" => {
            let fields = p.list("fields");
            let headers = p.list("headers");
            if fields.len() != headers.len() {
                p.problem(
                    "headers",
                    "'fields' config must have the same number of elements as 'headers' config.",
                );
            }
            let operation = p.raw(config, "operation").unwrap_or_default();
            let moving = match operation.as_str() {
                "move" => true,
                "copy" => false,
                _ => {
                    p.problem("operation", "Invalid value, must be one of [move, copy]");
                    false
                }
            };
            let replace = p.bool("replace.null.with.default", true);
            Box::new(HeaderFrom {
                side,
                pairs: fields.into_iter().zip(headers).collect(),
                moving,
                replace,
                schemas: SchemaMemo::default(),
            })
        }
        "HoistField" => {
            let field = p.required_string("field");
            Box::new(HoistField { side, field })
        }
        "ExtractField" => {
            let field = p.raw(config, "field").unwrap_or_default();
            if field.is_empty() {
                p.problem(
                    "field",
                    "Missing required configuration \"field\" which has no default value.",
                );
            }
            let version = p.one_of("field.syntax.version", "v1", &["v1", "v2"]);
            let path = if version == "v2" {
                field_path(&field).unwrap_or_else(|e| {
                    p.problem("field", e);
                    Vec::new()
                })
            } else {
                vec![field.clone()]
            };
            let replace = p.bool("replace.null.with.default", true);
            Box::new(ExtractField {
                side,
                field,
                path,
                replace,
            })
        }
        "SetSchemaMetadata" => {
            let name = p.optional_string("schema.name");
            let version =
                p.optional_string("schema.version")
                    .and_then(|v| match v.parse::<i32>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            p.problem("schema.version", "Expected value to be a 32-bit integer");
                            None
                        }
                    });
            let replace = p.bool("replace.null.with.default", true);
            if name.is_none() && version.is_none() {
                p.problem("schema.name", "Neither schema name nor version configured");
            }
            Box::new(SetSchemaMetadata {
                side,
                name,
                version,
                replace,
            })
        }
        _ => return None,
    };
    Some(p.finish().map(|()| t))
}

/// Rebuilds a struct with `schema` from `(name, value)` pairs looked up in `from`.
fn rebuild(schema: &Arc<Schema>, values: impl Iterator<Item = Value>) -> SchemaAndValue {
    SchemaAndValue {
        schema: Some(schema.clone()),
        value: Value::Struct(values.collect()),
    }
}

struct ReplaceField {
    side: Side,
    schemas: SchemaMemo,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: Vec<(String, String)>,
    replace: bool,
}

impl ReplaceField {
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'n>(&'n self, name: &'n str) -> &'n str {
        self.renames
            .iter()
            .rev()
            .find(|(from, _)| from == name)
            .map_or(name, |(_, to)| to.as_str())
    }
}

impl Transform for ReplaceField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "field replacement";
        // Taken out of the record, so the kept values move rather than copy.
        let current = match self.side.take(&mut record) {
            Some(c) if !c.value.is_null() => c,
            other => {
                self.side.set(&mut record, other);
                return Ok(Some(record));
            }
        };
        let updated = match current.schema {
            None => {
                let entries = require_map(&current.value, PURPOSE)?;
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let Value::String(name) = k else {
                        return Err(format!(
                            "class {} cannot be cast to class java.lang.String",
                            crate::structs::java_class(k, None)
                        ));
                    };
                    if self.keeps(name) {
                        map_put(&mut out, self.renamed(name), v.clone());
                    }
                }
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(_) => {
                let (schema, values) = take_struct(current, PURPOSE, self.replace)?;
                let updated = self.schemas.get_or(&schema, || {
                    let mut updated = struct_basics(&schema);
                    updated.fields = schema
                        .fields
                        .iter()
                        .filter(|f| self.keeps(&f.name))
                        .map(|f| Field {
                            name: self.renamed(&f.name).to_owned(),
                            schema: f.schema.clone(),
                        })
                        .collect();
                    updated
                });
                let kept = schema
                    .fields
                    .iter()
                    .zip(values)
                    .filter(|(f, _)| self.keeps(&f.name))
                    .map(|(_, v)| v);
                rebuild(&updated, kept)
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }

    fn row_plan(&self, mut shape: RowShape) -> Option<RowShape> {
        let (Side::Value, RowValue::Struct(fields)) = (&self.side, &mut shape.value) else {
            return None;
        };
        fields.retain(|(name, _)| self.keeps(name));
        for (name, _) in fields.iter_mut() {
            *name = self.renamed(name).to_owned();
        }
        Some(shape)
    }
}

struct MaskField {
    side: Side,
    fields: Vec<String>,
    replacement: Option<String>,
    replace: bool,
}

impl MaskField {
    /// `MaskField.masked`: the type's zero ("" for strings, empty lists and maps), or the
    /// replacement parsed as the value's type.
    fn masked(&self, value: &Value, schema: Option<&Schema>) -> Result<Value, String> {
        let class = crate::structs::java_class(value, schema);
        let decimal = schema.and_then(|s| s.name.as_deref()) == Some(crate::structs::DECIMAL);
        let Some(replacement) = &self.replacement else {
            return Ok(match value {
                Value::Null => Value::Null,
                Value::Boolean(_) => Value::Boolean(false),
                Value::Int8(_) => Value::Int8(0),
                Value::Int16(_) => Value::Int16(0),
                Value::Int32(_) => Value::Int32(0),
                Value::Int64(_) => Value::Int64(0),
                Value::Float32(_) => Value::Float32(0.0),
                Value::Float64(_) => Value::Float64(0.0),
                Value::String(_) => Value::String("".into()),
                Value::Bytes(_) if decimal => decimal_of(schema, "0")?,
                Value::Array(_) => Value::Array(Vec::new()),
                Value::Map(_) => Value::Map(Vec::new()),
                _ => return Err(format!("Cannot mask value of type: class {class}")),
            });
        };
        let bad =
            || format!("Unable to mask value of type class {class} with replacement {replacement}");
        let r = replacement.as_str();
        Ok(match value {
            Value::Null => Value::Null,
            Value::String(_) => Value::String(r.into()),
            Value::Bytes(_) if decimal => decimal_of(schema, r).map_err(|_| bad())?,
            Value::Int8(_) => Value::Int8(r.parse().map_err(|_| bad())?),
            Value::Int16(_) => Value::Int16(r.parse().map_err(|_| bad())?),
            Value::Int32(_) if class == "java.lang.Integer" => {
                Value::Int32(r.parse().map_err(|_| bad())?)
            }
            Value::Int64(_) if class == "java.lang.Long" => {
                Value::Int64(r.parse().map_err(|_| bad())?)
            }
            Value::Float32(_) => Value::Float32(r.parse().map_err(|_| bad())?),
            Value::Float64(_) => Value::Float64(r.parse().map_err(|_| bad())?),
            _ => {
                return Err(format!(
                    "Cannot mask value of type class {class} with custom replacement."
                ))
            }
        })
    }
}

impl Transform for MaskField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "mask fields";
        // A null is not passed over: Connect's MaskField fails on it.
        let null = SchemaAndValue {
            schema: None,
            value: Value::Null,
        };
        let current = self.side.get(&record).unwrap_or(&null);
        let updated = match &current.schema {
            None => {
                let entries = require_map(&current.value, PURPOSE)?;
                let mut out = entries.to_vec();
                for f in &self.fields {
                    let v = map_get(entries, f).cloned().unwrap_or(Value::Null);
                    let masked = self.masked(&v, None)?;
                    map_put(&mut out, f, masked);
                }
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(_) => {
                let (schema, values) = require_struct(current, PURPOSE)?;
                let mut out = Vec::with_capacity(values.len());
                for (field, value) in schema.fields.iter().zip(values) {
                    let v = field_value(field, value, self.replace);
                    out.push(if self.fields.contains(&field.name) {
                        self.masked(&v, Some(&field.schema))?
                    } else {
                        v
                    });
                }
                rebuild(schema, out.into_iter())
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}

/// `new BigDecimal(text)` as a value of Decimal `schema`, which Connect refuses when the scales
/// differ.
fn decimal_of(schema: Option<&Schema>, text: &str) -> Result<Value, String> {
    let scale: i32 = schema
        .and_then(|s| s.parameters.iter().find(|(k, _)| k == "scale"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let (bytes, value_scale) = cdc_core::decimal::parse_decimal(text)
        .ok_or_else(|| format!("Character array is not a valid decimal: {text}"))?;
    if value_scale != scale {
        return Err(format!(
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value has scale {value_scale}."
        ));
    }
    Ok(Value::Bytes(bytes))
}

/// An `InsertField` field: its name and whether it is optional (the default, `?`) or required
/// (`!`).
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: &str) -> Spec {
        if let Some(n) = spec.strip_suffix('?') {
            Spec {
                name: n.to_owned(),
                optional: true,
            }
        } else if let Some(n) = spec.strip_suffix('!') {
            Spec {
                name: n.to_owned(),
                optional: false,
            }
        } else {
            Spec {
                name: spec.to_owned(),
                optional: true,
            }
        }
    }
}

/// A field to insert: its spec, its schema, and its value (`None`: the record has none).
type Insert<'s> = (&'s Spec, Schema, Option<Value>);

struct InsertField {
    side: Side,
    schemas: SchemaMemo,
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    static_value: Option<String>,
    replace: bool,
}

impl InsertField {
    /// The fields to insert for `record`: (spec, schema, value or `None` when the record has
    /// none).
    fn inserts(&self, record: &ConnectRecord) -> Result<Vec<Insert<'_>>, String> {
        let mut out = Vec::new();
        let with = |s: Schema, optional: bool| if optional { s.optional() } else { s };
        if let Some(s) = &self.topic {
            out.push((
                s,
                with(Schema::string(), s.optional),
                Some(Value::String(record.topic.to_string().into())),
            ));
        }
        if let Some(s) = &self.partition {
            out.push((
                s,
                with(Schema::int32(), s.optional),
                record.partition.map(Value::Int32),
            ));
        }
        if let Some(s) = &self.offset {
            let Some(offset) = record.offset else {
                return Err("Offset insertion is only supported for sink connectors, record is of type: class org.apache.kafka.connect.source.SourceRecord".into());
            };
            out.push((
                s,
                with(Schema::int64(), s.optional),
                Some(Value::Int64(offset as i64)),
            ));
        }
        if let Some(s) = &self.timestamp {
            let mut schema = with(Schema::int64(), s.optional);
            schema.name = Some("org.apache.kafka.connect.data.Timestamp".into());
            schema.version = Some(1);
            out.push((s, schema, record.timestamp_ms.map(Value::Int64)));
        }
        if let Some(s) = &self.static_field {
            out.push((
                s,
                with(Schema::string(), s.optional),
                self.static_value
                    .as_deref()
                    .map(|v| Value::String(v.into())),
            ));
        }
        Ok(out)
    }
}

impl Transform for InsertField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "field insertion";
        // Taken out of the record, so the existing values move rather than copy.
        let current = match self.side.take(&mut record) {
            Some(c) if !c.value.is_null() => c,
            other => {
                self.side.set(&mut record, other);
                return Ok(Some(record));
            }
        };
        let inserts = self.inserts(&record)?;
        let updated = match current.schema {
            None => {
                let mut out = require_map(&current.value, PURPOSE)?.to_vec();
                for (spec, _, value) in inserts {
                    if let Some(v) = value {
                        map_put(&mut out, &spec.name, v);
                    }
                }
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(_) => {
                let (schema, mut out) = take_struct(current, PURPOSE, self.replace)?;
                for (spec, field_schema, value) in &inserts {
                    if let Some(f) = schema.fields.iter().find(|f| f.name == spec.name) {
                        return Err(format!(
                            "Cannot create field because of field name duplication {}",
                            f.name
                        ));
                    }
                    if value.is_none() && !spec.optional {
                        return Err(format!(
                            "Invalid value: null used for required field: \"{}\", schema type: {}",
                            spec.name,
                            type_name(field_schema.kind)
                        ));
                    }
                }
                let updated = self.schemas.get_or(&schema, || {
                    let mut updated = struct_basics(&schema);
                    updated.fields = schema.fields.clone();
                    for (spec, field_schema, _) in &inserts {
                        updated.fields.push(Field {
                            name: spec.name.clone(),
                            schema: Arc::new(field_schema.clone()),
                        });
                    }
                    updated
                });
                out.extend(
                    inserts
                        .into_iter()
                        .map(|(_, _, v)| v.unwrap_or(Value::Null)),
                );
                rebuild(&updated, out.into_iter())
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }

    /// Constant fields (the topic, the static value) and the record's timestamp; a source
    /// record has no partition or offset to insert.
    fn row_plan(&self, mut shape: RowShape) -> Option<RowShape> {
        if self.partition.is_some() || self.offset.is_some() {
            return None;
        }
        let Side::Value = self.side else { return None };
        let topic = shape.topic.clone();
        let RowValue::Struct(fields) = &mut shape.value else {
            return None;
        };
        if let Some(s) = &self.topic {
            fields.push((
                s.name.clone(),
                FieldFrom::Constant(Value::String(topic.to_string().into())),
            ));
        }
        if let Some(s) = &self.timestamp {
            fields.push((s.name.clone(), FieldFrom::Timestamp));
        }
        if let Some(s) = &self.static_field {
            let value = self
                .static_value
                .as_deref()
                .map_or(Value::Null, |v| Value::String(v.into()));
            fields.push((s.name.clone(), FieldFrom::Constant(value)));
        }
        Some(shape)
    }
}

fn type_name(kind: SchemaType) -> &'static str {
    match kind {
        SchemaType::Int8 => "INT8",
        SchemaType::Int16 => "INT16",
        SchemaType::Int32 => "INT32",
        SchemaType::Int64 => "INT64",
        SchemaType::Float32 => "FLOAT32",
        SchemaType::Float64 => "FLOAT64",
        SchemaType::Boolean => "BOOLEAN",
        SchemaType::String => "STRING",
        SchemaType::Bytes => "BYTES",
        SchemaType::Array => "ARRAY",
        SchemaType::Map => "MAP",
        SchemaType::Struct => "STRUCT",
    }
}

/// Nested structs (maps, schemaless) as one level, names joined by `delimiter`; a nested
/// field is optional when any struct above it is, and takes its default from theirs.
struct Flatten {
    side: Side,
    delimiter: String,
    schemas: SchemaMemo,
}

impl Flatten {
    fn name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    fn schema(
        &self,
        schema: &Schema,
        prefix: &str,
        out: &mut Schema,
        optional: bool,
        parent_default: Option<&Value>,
    ) -> Result<(), String> {
        for (i, f) in schema.fields.iter().enumerate() {
            let name = self.name(prefix, &f.name);
            let optional = optional || f.schema.optional;
            let default = f.schema.default.clone().or_else(|| match parent_default {
                Some(Value::Struct(v)) => v.get(i).cloned().filter(|v| !v.is_null()),
                _ => None,
            });
            match f.schema.kind {
                SchemaType::Struct => {
                    self.schema(&f.schema, &name, out, optional, default.as_ref())?;
                }
                SchemaType::Map => {
                    return Err(format!(
                        "Flatten transformation does not support {} for record with schemas (for field {name}).",
                        type_name(f.schema.kind)
                    ))
                }
                _ => {
                    let mut copy = (*f.schema).clone();
                    copy.optional = optional;
                    copy.default = default;
                    out.fields.push(Field {
                        name,
                        schema: Arc::new(copy),
                    });
                }
            }
        }
        Ok(())
    }

    fn values(&self, schema: &Schema, values: Option<&[Value]>, out: &mut Vec<Value>) {
        for (i, f) in schema.fields.iter().enumerate() {
            let v = values.and_then(|v| v.get(i));
            match f.schema.kind {
                SchemaType::Struct => {
                    let inner = match v {
                        Some(Value::Struct(inner)) => Some(&inner[..]),
                        _ => None,
                    };
                    self.values(&f.schema, inner, out);
                }
                _ => out.push(v.map_or(Value::Null, |v| field_value(f, v, true))),
            }
        }
    }

    fn schemaless(
        &self,
        entries: &[(Value, Value)],
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<(), String> {
        for (k, v) in entries {
            let key = match k {
                Value::String(s) => s.to_string(),
                other => format!("{other:?}"),
            };
            let name = self.name(prefix, &key);
            match v {
                Value::Map(inner) => self.schemaless(inner, &name, out)?,
                Value::Struct(_) => {
                    return Err(format!(
                        "Flatten transformation does not support class {} for record without schemas (for field {name}).",
                        crate::structs::java_class(v, None)
                    ))
                }
                other => map_put(out, &name, other.clone()),
            }
        }
        Ok(())
    }
}

impl Transform for Flatten {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "flattening";
        let Some(current) = self.side.get(&record).filter(|v| !v.value.is_null()) else {
            return Ok(Some(record));
        };
        let updated = match &current.schema {
            None => {
                let entries = require_map(&current.value, PURPOSE)?;
                let mut out = Vec::with_capacity(entries.len());
                self.schemaless(entries, "", &mut out)?;
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(_) => {
                let (schema, values) = require_struct(current, PURPOSE)?;
                let mut failed = None;
                let updated = self.schemas.get_or(schema, || {
                    let mut out = struct_basics(schema);
                    if let Err(e) = self.schema(
                        schema,
                        "",
                        &mut out,
                        schema.optional,
                        schema.default.as_ref(),
                    ) {
                        failed = Some(e);
                    }
                    out
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                let mut out = Vec::with_capacity(updated.fields.len());
                self.values(schema, Some(values), &mut out);
                rebuild(&updated, out.into_iter())
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}

/// Copies (or moves) fields into headers.
struct HeaderFrom {
    side: Side,
    /// (field, header).
    pairs: Vec<(String, String)>,
    moving: bool,
    replace: bool,
    schemas: SchemaMemo,
}

impl Transform for HeaderFrom {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let purpose = if self.moving {
            "header move"
        } else {
            "header copy"
        };
        let null = SchemaAndValue {
            schema: None,
            value: Value::Null,
        };
        // Taken out (not copied): a copy gives it back unchanged.
        let current = self.side.take(&mut record).unwrap_or(null);
        let moved = |name: &str| self.moving && self.pairs.iter().any(|(f, _)| f == name);
        let updated = match current.schema.is_none() {
            true => {
                let entries = require_map(&current.value, purpose)?;
                for (field, header) in &self.pairs {
                    let v = map_get(entries, field).cloned().unwrap_or(Value::Null);
                    record
                        .headers
                        .push((header.clone(), crate::structs::header_bytes(&v)));
                }
                let kept = entries
                    .iter()
                    .filter(|(k, _)| !matches!(k, Value::String(s) if moved(s)))
                    .cloned()
                    .collect();
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(kept),
                }
            }
            false => {
                let (schema, values) = require_struct(&current, purpose)?;
                for (field, header) in &self.pairs {
                    let v = crate::structs::field_index(schema, field)
                        .map(|i| field_value(&schema.fields[i], &values[i], self.replace))
                        .unwrap_or(Value::Null);
                    record
                        .headers
                        .push((header.clone(), crate::structs::header_bytes(&v)));
                }
                if !self.moving {
                    current
                } else {
                    let updated = self.schemas.get_or(schema, || {
                        let mut out = struct_basics(schema);
                        out.fields = schema
                            .fields
                            .iter()
                            .filter(|f| !moved(&f.name))
                            .cloned()
                            .collect();
                        out
                    });
                    let kept = schema
                        .fields
                        .iter()
                        .zip(values)
                        .filter(|(f, _)| !moved(&f.name))
                        .map(|(f, v)| field_value(f, v, self.replace));
                    rebuild(&updated, kept)
                }
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}

struct HoistField {
    side: Side,
    field: String,
}

impl Transform for HoistField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let current = self.side.get(&record).cloned();
        let updated = match current {
            // Schemaless (or a null with no schema): a one-entry map.
            None | Some(SchemaAndValue { schema: None, .. }) => {
                let value = current.map_or(Value::Null, |c| c.value);
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(vec![(Value::String(self.field.as_str().into()), value)]),
                }
            }
            Some(SchemaAndValue {
                schema: Some(schema),
                value,
            }) => {
                let updated = Schema::new(SchemaType::Struct).field(self.field.clone(), schema);
                SchemaAndValue {
                    schema: Some(Arc::new(updated)),
                    value: Value::Struct(vec![value]),
                }
            }
        };
        self.side.set(&mut record, Some(updated));
        Ok(Some(record))
    }
}

/// A V2 field path (KIP-821): names separated by dots; a name in backticks may hold dots, and a
/// backtick inside one is written twice.
fn field_path(path: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    loop {
        let mut name = String::new();
        if chars.peek() == Some(&'`') {
            chars.next();
            loop {
                match chars.next() {
                    Some('`') if chars.peek() == Some(&'`') => {
                        chars.next();
                        name.push('`');
                    }
                    Some('`') => break,
                    Some(c) => name.push(c),
                    None => return Err(format!("the field path {path} has an unclosed backtick")),
                }
            }
            match chars.next() {
                None => {
                    out.push(name);
                    return Ok(out);
                }
                Some('.') => out.push(name),
                Some(_) => {
                    return Err(format!(
                        "the field path {path} has text after a backtick-quoted name"
                    ))
                }
            }
            continue;
        }
        loop {
            match chars.next() {
                Some('.') => break,
                Some(c) => name.push(c),
                None => {
                    out.push(name);
                    return Ok(out);
                }
            }
        }
        out.push(name);
    }
}

struct ExtractField {
    side: Side,
    field: String,
    /// The names to follow (one for V1).
    path: Vec<String>,
    replace: bool,
}

impl Transform for ExtractField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "field extraction";
        let Some(current) = self.side.get(&record) else {
            return Ok(Some(record));
        };
        if current.value.is_null() {
            return Ok(Some(record));
        }
        let updated = match &current.schema {
            None => {
                let entries = require_map(&current.value, PURPOSE)?;
                // Follows the path through maps; a missing or null step is no value.
                let mut v = map_get(entries, &self.path[0]);
                for name in &self.path[1..] {
                    v = match v {
                        Some(Value::Map(inner)) => map_get(inner, name),
                        _ => None,
                    };
                }
                v.cloned().map(|value| SchemaAndValue {
                    schema: None,
                    value,
                })
            }
            Some(_) => {
                let (mut schema, values) = require_struct(current, PURPOSE)?;
                let mut values = Some(values);
                let mut found = None;
                for (depth, name) in self.path.iter().enumerate() {
                    let Some(i) = schema.fields.iter().position(|f| f.name == *name) else {
                        return Err(format!("Unknown field: {}", self.field));
                    };
                    let field = &schema.fields[i];
                    let value = values.and_then(|v| v.get(i));
                    if depth + 1 == self.path.len() {
                        found = Some((field, value));
                        break;
                    }
                    if field.schema.kind != SchemaType::Struct {
                        return Err(format!("Unknown field: {}", self.field));
                    }
                    schema = &field.schema;
                    values = match value {
                        Some(Value::Struct(inner)) => Some(&inner[..]),
                        _ => None,
                    };
                }
                let (field, value) =
                    found.ok_or_else(|| format!("Unknown field: {}", self.field))?;
                Some(SchemaAndValue {
                    schema: Some(field.schema.clone()),
                    value: value.map_or(Value::Null, |v| field_value(field, v, self.replace)),
                })
            }
        };
        self.side.set(&mut record, updated);
        Ok(Some(record))
    }
}

struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace: bool,
}

impl Transform for SetSchemaMetadata {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(current) = self.side.get(&record) else {
            return Ok(Some(record));
        };
        let Some(schema) = &current.schema else {
            return Err("Schema required for [updating schema metadata], found: null".into());
        };
        if schema.kind != SchemaType::Struct {
            return Err("Cannot list fields on non-struct type".into());
        }
        let mut updated = (**schema).clone();
        if let Some(n) = &self.name {
            updated.name = Some(n.clone());
        }
        if let Some(v) = self.version {
            updated.version = Some(v);
        }
        let _ = self.replace;
        let value = current.value.clone();
        self.side.set(
            &mut record,
            Some(SchemaAndValue {
                schema: Some(Arc::new(updated)),
                value,
            }),
        );
        Ok(Some(record))
    }
}

struct ValueToKey {
    fields: Vec<String>,
    replace: bool,
}

impl Transform for ValueToKey {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        const PURPOSE: &str = "copying fields from value to key";
        // A tombstone is not passed over: Connect's ValueToKey fails on it.
        let null = SchemaAndValue {
            schema: None,
            value: Value::Null,
        };
        let value = record.value.as_ref().unwrap_or(&null);
        let key = match &value.schema {
            None => {
                let entries = require_map(&value.value, PURPOSE)?;
                let mut out = Vec::with_capacity(self.fields.len());
                for f in &self.fields {
                    map_put(
                        &mut out,
                        f,
                        map_get(entries, f).cloned().unwrap_or(Value::Null),
                    );
                }
                SchemaAndValue {
                    schema: None,
                    value: Value::Map(out),
                }
            }
            Some(_) => {
                let (schema, values) = require_struct(value, PURPOSE)?;
                let by_name: HashMap<&str, usize> = schema
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.name.as_str(), i))
                    .collect();
                let mut key_schema = Schema::new(SchemaType::Struct);
                let mut out = Vec::with_capacity(self.fields.len());
                for f in &self.fields {
                    let Some(&i) = by_name.get(f.as_str()) else {
                        return Err(format!("Field does not exist: {f}"));
                    };
                    let field = &schema.fields[i];
                    key_schema.fields.push(field.clone());
                    out.push(field_value(field, &values[i], self.replace));
                }
                rebuild(&Arc::new(key_schema), out.into_iter())
            }
        };
        record.key = Some(key);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Chain;

    #[test]
    fn a_derived_schema_is_built_once_per_input_schema() {
        let config: ConfigMap = [
            ("transforms", "r,i"),
            (
                "transforms.r.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.r.exclude", "b"),
            (
                "transforms.i.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.i.topic.field", "t"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let chain = Chain::from_config(&config).unwrap();
        let schema = Arc::new(
            Schema::new(SchemaType::Struct)
                .field("a", Schema::int32())
                .field("b", Schema::int32()),
        );
        let record = |n: i32| ConnectRecord {
            topic: "t".into(),
            partition: None,
            offset: None,
            timestamp_ms: None,
            key: None,
            value: Some(SchemaAndValue {
                schema: Some(schema.clone()),
                value: Value::Struct(vec![Value::Int32(n), Value::Int32(-n)]),
            }),
            headers: Vec::new(),
        };
        let out = |n| chain.apply(record(n)).unwrap().unwrap().value.unwrap();
        let (one, two) = (out(1), out(2));
        assert!(Arc::ptr_eq(
            one.schema.as_ref().unwrap(),
            two.schema.as_ref().unwrap()
        ));
        assert_eq!(
            two.value,
            Value::Struct(vec![Value::Int32(2), Value::String("t".into())])
        );
    }
}
