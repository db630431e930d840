//! Avro → Connect: the reading half of Confluent's AvroData (`toConnectSchema`,
//! `toConnectData`), the exact inverse of [`super::avro_schema`] and [`super::write_datum`].
//!
//! [`ReaderSchema::parse`] turns a writer schema (the registry's text for a schema id) into a
//! Connect schema and a decoding plan, once; [`ReaderSchema::read`] decodes each Avro binary
//! datum by that plan straight into a Connect [`Value`] (no intermediate Avro tree). Pure, and
//! never panics on input: a bad schema or datum is an [`AvroReadError`].
//!
//! The mapping follows `io.confluent.connect.avro.AvroData` (schema-registry 7.x, with the
//! converter's defaults: `connect.meta.data=true`, `enhanced.avro.schema.support=false`,
//! `generalized.sum.type.support=false`, `discard.type.doc.default=false`):
//!
//! * a record is a struct, its fields in order; its name is `connect.name`, else the record's
//!   full name, dropped when it starts with `io.confluent.connect.avro.ConnectDefault`;
//!   `connect.version`, `connect.doc` and `connect.parameters` become the version, doc and
//!   parameters; Avro `doc`s become the parameters `io.confluent.connect.avro.record.doc` and
//!   `io.confluent.connect.avro.field.doc.<field>` of the record (not Connect docs);
//! * a field's Avro default, else `connect.default`, is the default; a field whose default is
//!   only Avro's gets the parameter `io.confluent.connect.avro.field.default=true`;
//! * a union of null and one type is that type, optional (either order; the field default of
//!   such a union is not carried over, its `connect.default` is); any other union is a struct
//!   named `io.confluent.connect.avro.Union` with one optional field per branch (named by the
//!   branch's short name or type name), optional when null is a branch;
//! * `int` is int32, or int8/int16 by `connect.type`; `date` and `time-millis` ints are
//!   Connect's Date and Time, `timestamp-millis` longs its Timestamp, and `decimal` bytes or
//!   fixed its Decimal (`scale`, and `connect.decimal.precision` unless the precision is 64),
//!   all with version 1 as Connect's builders make them; other logical types (micros, uuid,
//!   ...) are their underlying types. Debezium's names ride in `connect.name` and come back;
//! * a fixed `decimal` must carry `connect.name` (the Decimal's): otherwise its full name and
//!   the Decimal's clash, and AvroData (hence this reader) refuses the schema;
//! * an enum is a string with the parameters `io.confluent.connect.avro.Enum` (its full name)
//!   and `io.confluent.connect.avro.Enum.<symbol>` for every symbol; a fixed is bytes with
//!   `connect.fixed.size`, named by its full name;
//! * a map is a map with string keys; an array of `io.confluent.connect.avro.MapEntry` records
//!   (or records marked `connect.internal.type: MapEntry`) is a map with the entries' key and
//!   value schemas;
//! * properties whose name starts with `avro` become parameters.
//!
//! Where AvroData is lax this reader refuses, so a bad record goes to the dead-letter queue
//! rather than into a target wrong: an int8/int16 out of range (AvroData truncates), a string
//! that is not UTF-8 (Java replaces the bad bytes), bytes left after the datum (ignored by
//! Confluent's deserializer). Recursive records, which Connect's schema model here cannot hold,
//! are refused when the schema is read. Error messages name the field path and what was
//! expected, never row data.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::schema::{logical, Field, Schema, SchemaType};
use crate::value::Value;

use super::schema::{DEFAULT_DECIMAL_PRECISION, NAMESPACE};

/// The struct name AvroData gives general unions.
pub const UNION_NAME: &str = "io.confluent.connect.avro.Union";
/// The parameter naming an enum's Avro full name (and, suffixed, its symbols).
pub const ENUM_PARAMETER: &str = "io.confluent.connect.avro.Enum";
/// The parameter carrying a fixed's size.
pub const FIXED_SIZE_PARAMETER: &str = "connect.fixed.size";
const DEFAULT_NAME_PREFIX: &str = "io.confluent.connect.avro.ConnectDefault";
const RECORD_DOC_PARAMETER: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
const ENUM_DOC_PREFIX: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT_PREFIX: &str = "io.confluent.connect.avro.enum.default.";

/// Deepest nesting of schema types read (records in arrays in unions...).
pub const MAX_SCHEMA_DEPTH: usize = 100;
/// Most items of a zero-byte type (a record without fields) one datum may hold: such items
/// cost no input, so their count alone would let a few bytes claim any amount of memory.
pub const MAX_EMPTY_ITEMS: usize = 1 << 16;

/// Why an Avro schema or datum could not be read as Connect data. Always definite: the record
/// (or its schema) is bad, not a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvroReadError {
    /// The writer schema is not valid Avro, or has no Connect equivalent.
    #[error("the Avro schema cannot be read as a Connect schema: {0}")]
    Schema(String),
    /// The datum does not decode by its writer schema (truncated, bad union branch, ...).
    #[error("the Avro datum does not match its schema at {path}: {reason}")]
    Datum { path: String, reason: String },
}

/// A writer schema read for Connect: the Connect schema and the plan decoding its datums.
/// Build once per schema id; share it (its schema is an `Arc`, so every record read with it
/// carries the same schema).
#[derive(Debug, Clone)]
pub struct ReaderSchema {
    schema: Arc<Schema>,
    plan: Plan,
}

impl ReaderSchema {
    /// Reads a writer schema from its JSON text (as a registry returns it). A bare primitive
    /// name without JSON quotes (`string`) is accepted, as the registry accepts it.
    pub fn parse(text: &str) -> Result<ReaderSchema, AvroReadError> {
        let json: Json = serde_json::from_str(text)
            .or_else(|e| {
                let bare = text.trim();
                if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    Ok(Json::String(bare.to_owned()))
                } else {
                    Err(e)
                }
            })
            .map_err(|e| AvroReadError::Schema(format!("not JSON: {e}")))?;
        ReaderSchema::from_json(&json, None)
    }

    /// Reads a writer schema. `version` is the version AvroData gives the top-level schema
    /// when it has no `connect.version` (the converter passes the subject's version; `None`
    /// leaves it unset).
    pub fn from_json(json: &Json, version: Option<i32>) -> Result<ReaderSchema, AvroReadError> {
        let mut parser = Parser::default();
        let root = parser.parse(json, None, 0).map_err(AvroReadError::Schema)?;
        let mut conv = Converter {
            types: &parser.types,
            visiting: HashSet::new(),
        };
        let (schema, plan) = conv
            .convert(root, false, None, version, 0)
            .map_err(AvroReadError::Schema)?;
        Ok(ReaderSchema {
            schema: Arc::new(schema),
            plan,
        })
    }

    /// The Connect schema of the data this schema's datums hold.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Decodes one Avro binary datum (all of `datum`: bytes left over are an error).
    pub fn read(&self, datum: &[u8]) -> Result<Value, AvroReadError> {
        let mut cur = Cursor {
            buf: datum,
            pos: 0,
            empty_items: 0,
        };
        let value = decode(&self.plan, &mut cur).map_err(DatumError::finish)?;
        if cur.pos != datum.len() {
            return Err(AvroReadError::Datum {
                path: "<root>".into(),
                reason: format!("{} bytes are left after the datum", datum.len() - cur.pos),
            });
        }
        Ok(value)
    }
}

// --- Avro schema JSON → a table of types ---------------------------------------------------

type TyId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prim {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Prim {
    fn from_name(name: &str) -> Option<Prim> {
        Some(match name {
            "null" => Prim::Null,
            "boolean" => Prim::Boolean,
            "int" => Prim::Int,
            "long" => Prim::Long,
            "float" => Prim::Float,
            "double" => Prim::Double,
            "bytes" => Prim::Bytes,
            "string" => Prim::String,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Prim::Null => "null",
            Prim::Boolean => "boolean",
            Prim::Int => "int",
            Prim::Long => "long",
            Prim::Float => "float",
            Prim::Double => "double",
            Prim::Bytes => "bytes",
            Prim::String => "string",
        }
    }
}

#[derive(Debug)]
struct AvroField<'a> {
    name: String,
    ty: TyId,
    default: Option<&'a Json>,
    doc: Option<&'a str>,
}

#[derive(Debug)]
enum Ty<'a> {
    Prim(Prim, Option<&'a Map<String, Json>>),
    Record {
        full: String,
        doc: Option<&'a str>,
        fields: Vec<AvroField<'a>>,
        props: &'a Map<String, Json>,
    },
    Enum {
        full: String,
        symbols: Vec<Arc<str>>,
        doc: Option<&'a str>,
        default: Option<&'a str>,
        props: &'a Map<String, Json>,
    },
    Fixed {
        full: String,
        size: usize,
        props: &'a Map<String, Json>,
    },
    Array {
        items: TyId,
        props: &'a Map<String, Json>,
    },
    Map {
        values: TyId,
        props: &'a Map<String, Json>,
    },
    Union(Vec<TyId>),
}

impl Ty<'_> {
    fn props(&self) -> Option<&Map<String, Json>> {
        match self {
            Ty::Prim(_, p) => *p,
            Ty::Record { props, .. }
            | Ty::Enum { props, .. }
            | Ty::Fixed { props, .. }
            | Ty::Array { props, .. }
            | Ty::Map { props, .. } => Some(props),
            Ty::Union(_) => None,
        }
    }
}

#[derive(Default)]
struct Parser<'a> {
    types: Vec<Ty<'a>>,
    names: HashMap<String, TyId>,
}

/// The short name of a full name (after its last dot).
fn short_name(full: &str) -> &str {
    full.rsplit_once('.').map_or(full, |(_, n)| n)
}

fn namespace_of(full: &str) -> Option<&str> {
    full.rsplit_once('.').map(|(ns, _)| ns)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'a> Parser<'a> {
    fn push(&mut self, ty: Ty<'a>) -> TyId {
        self.types.push(ty);
        self.types.len() - 1
    }

    fn parse(&mut self, json: &'a Json, ns: Option<&str>, depth: usize) -> Result<TyId, String> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!("types nest deeper than {MAX_SCHEMA_DEPTH} levels"));
        }
        match json {
            Json::String(name) => match Prim::from_name(name) {
                Some(p) => Ok(self.push(Ty::Prim(p, None))),
                None => self.lookup(name, ns),
            },
            Json::Array(members) => {
                let mut ids = Vec::with_capacity(members.len());
                for m in members {
                    let id = self.parse(m, ns, depth + 1)?;
                    if matches!(self.types[id], Ty::Union(_)) {
                        return Err("a union may not immediately contain another union".into());
                    }
                    ids.push(id);
                }
                Ok(self.push(Ty::Union(ids)))
            }
            Json::Object(o) => self.parse_object(o, ns, depth),
            other => Err(format!("{} is not a schema", kind(other))),
        }
    }

    fn lookup(&self, name: &str, ns: Option<&str>) -> Result<TyId, String> {
        let qualified = match ns {
            Some(ns) if !name.contains('.') && !ns.is_empty() => Some(format!("{ns}.{name}")),
            _ => None,
        };
        qualified
            .and_then(|q| self.names.get(&q))
            .or_else(|| self.names.get(name))
            .copied()
            .ok_or_else(|| format!("undefined name: {name:?}"))
    }

    /// The full name a named type defines.
    fn full_name(o: &Map<String, Json>, ns: Option<&str>) -> Result<String, String> {
        let name = o
            .get("name")
            .and_then(Json::as_str)
            .ok_or("a named type has no \"name\"")?;
        let full = if name.contains('.') {
            name.to_owned()
        } else {
            let ns = match o.get("namespace") {
                Some(Json::String(n)) => Some(n.as_str()),
                Some(Json::Null) | None => ns,
                Some(_) => return Err("\"namespace\" is not a string".into()),
            };
            match ns {
                Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
                _ => name.to_owned(),
            }
        };
        if !full.split('.').all(valid_name) {
            return Err(format!("invalid name: {full:?}"));
        }
        Ok(full)
    }

    fn define(&mut self, full: &str, id: TyId) -> Result<(), String> {
        if Prim::from_name(full).is_some() || self.names.insert(full.to_owned(), id).is_some() {
            return Err(format!("the name {full:?} is defined twice"));
        }
        Ok(())
    }

    fn parse_object(
        &mut self,
        o: &'a Map<String, Json>,
        ns: Option<&str>,
        depth: usize,
    ) -> Result<TyId, String> {
        let ty = match o.get("type") {
            Some(Json::String(t)) => t.as_str(),
            // {"type": {...}} or {"type": [...]}: the inner schema.
            Some(inner @ (Json::Object(_) | Json::Array(_))) => {
                return self.parse(inner, ns, depth + 1)
            }
            _ => return Err("an object schema has no \"type\" string".into()),
        };
        match ty {
            "record" | "error" => {
                let full = Self::full_name(o, ns)?;
                let id = self.push(Ty::Record {
                    full: full.clone(),
                    doc: o.get("doc").and_then(Json::as_str),
                    fields: Vec::new(),
                    props: o,
                });
                self.define(&full, id)?;
                let inner_ns = namespace_of(&full).map(str::to_owned);
                let fields_json = o
                    .get("fields")
                    .and_then(Json::as_array)
                    .ok_or_else(|| format!("record {full:?} has no \"fields\" array"))?;
                let mut fields = Vec::with_capacity(fields_json.len());
                let mut seen = HashSet::new();
                for f in fields_json {
                    let f = f
                        .as_object()
                        .ok_or_else(|| format!("a field of record {full:?} is not an object"))?;
                    let name = f
                        .get("name")
                        .and_then(Json::as_str)
                        .ok_or_else(|| format!("a field of record {full:?} has no name"))?;
                    if !valid_name(name) {
                        return Err(format!("invalid field name {name:?} in record {full:?}"));
                    }
                    if !seen.insert(name) {
                        return Err(format!("record {full:?} has two fields named {name:?}"));
                    }
                    let t = f.get("type").ok_or_else(|| {
                        format!("field {name:?} of record {full:?} has no \"type\"")
                    })?;
                    let ty = self.parse(t, inner_ns.as_deref(), depth + 1)?;
                    fields.push(AvroField {
                        name: name.to_owned(),
                        ty,
                        default: f.get("default"),
                        doc: f.get("doc").and_then(Json::as_str),
                    });
                }
                if let Some(Ty::Record { fields: slot, .. }) = self.types.get_mut(id) {
                    *slot = fields;
                }
                Ok(id)
            }
            "enum" => {
                let full = Self::full_name(o, ns)?;
                let symbols = o
                    .get("symbols")
                    .and_then(Json::as_array)
                    .ok_or_else(|| format!("enum {full:?} has no \"symbols\" array"))?;
                let mut out: Vec<Arc<str>> = Vec::with_capacity(symbols.len());
                for s in symbols {
                    let s = s
                        .as_str()
                        .filter(|s| valid_name(s))
                        .ok_or_else(|| format!("enum {full:?} has an invalid symbol"))?;
                    if out.iter().any(|x| &**x == s) {
                        return Err(format!("enum {full:?} has a duplicate symbol"));
                    }
                    out.push(s.into());
                }
                let id = self.push(Ty::Enum {
                    full: full.clone(),
                    symbols: out,
                    doc: o.get("doc").and_then(Json::as_str),
                    default: o.get("default").and_then(Json::as_str),
                    props: o,
                });
                self.define(&full, id)?;
                Ok(id)
            }
            "fixed" => {
                let full = Self::full_name(o, ns)?;
                let size = o
                    .get("size")
                    .and_then(Json::as_u64)
                    .and_then(|s| usize::try_from(s).ok())
                    .filter(|s| *s <= i32::MAX as usize)
                    .ok_or_else(|| format!("fixed {full:?} has no valid \"size\""))?;
                let id = self.push(Ty::Fixed {
                    full: full.clone(),
                    size,
                    props: o,
                });
                self.define(&full, id)?;
                Ok(id)
            }
            "array" => {
                let items = o.get("items").ok_or("an array has no \"items\"")?;
                let items = self.parse(items, ns, depth + 1)?;
                Ok(self.push(Ty::Array { items, props: o }))
            }
            "map" => {
                let values = o.get("values").ok_or("a map has no \"values\"")?;
                let values = self.parse(values, ns, depth + 1)?;
                Ok(self.push(Ty::Map { values, props: o }))
            }
            other => match Prim::from_name(other) {
                Some(p) => Ok(self.push(Ty::Prim(p, Some(o)))),
                // {"type": "some.Named"}: a reference.
                None => self.lookup(other, ns),
            },
        }
    }
}

fn kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

// --- types → Connect schemas and decoding plans ----------------------------------------------

/// How a datum is decoded, mirroring the Connect schema built beside it.
#[derive(Debug, Clone)]
enum Plan {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Bytes,
    String,
    Fixed(usize),
    Enum(Vec<Arc<str>>),
    Array {
        items: Box<Plan>,
        min: usize,
    },
    /// An Avro map: string keys.
    Map {
        values: Box<Plan>,
        min: usize,
    },
    /// An array of key/value records read as a Connect map.
    Entries {
        key: Box<Plan>,
        value: Box<Plan>,
        key_first: bool,
        min: usize,
    },
    Record(Vec<(String, Plan)>),
    /// A union of null and one type.
    Optional {
        null_index: i64,
        inner: Box<Plan>,
    },
    /// Any other union: a struct with one field per non-null branch (`None` for null).
    Union {
        branches: Vec<Option<Plan>>,
        fields: usize,
    },
}

impl Plan {
    /// Fewest bytes a datum of this plan takes.
    fn min_size(&self) -> usize {
        match self {
            Plan::Boolean
            | Plan::Int8
            | Plan::Int16
            | Plan::Int32
            | Plan::Int64
            | Plan::Bytes
            | Plan::String
            | Plan::Enum(_)
            | Plan::Array { .. }
            | Plan::Map { .. }
            | Plan::Entries { .. }
            | Plan::Optional { .. }
            | Plan::Union { .. } => 1,
            Plan::Float32 => 4,
            Plan::Float64 => 8,
            Plan::Fixed(n) => *n,
            Plan::Record(fields) => fields
                .iter()
                .fold(0usize, |acc, (_, p)| acc.saturating_add(p.min_size())),
        }
    }
}

struct Converter<'t, 'a> {
    types: &'t [Ty<'a>],
    /// Records being converted (a reference to one of them is a cycle).
    visiting: HashSet<TyId>,
}

/// Java's `Number.intValue()` of a JSON number.
fn int_value(j: &Json) -> Option<i32> {
    match j {
        Json::Number(n) => n
            .as_i64()
            .map(|v| v as i32)
            .or_else(|| n.as_f64().map(|f| f as i32)),
        _ => None,
    }
}

fn set_param(s: &mut Schema, key: &str, value: String) {
    match s.parameters.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => s.parameters.push((key.to_owned(), value)),
    }
}

fn logical_builder(kind: SchemaType, name: &str) -> Schema {
    Schema::new(kind).named(name).version(1)
}

impl<'t, 'a> Converter<'t, 'a> {
    fn ty(&self, id: TyId) -> Result<&'t Ty<'a>, String> {
        self.types
            .get(id)
            .ok_or_else(|| "internal: unknown type".to_owned())
    }

    fn is_null(&self, id: TyId) -> bool {
        matches!(self.types.get(id), Some(Ty::Prim(Prim::Null, _)))
    }

    /// AvroData's `toConnectSchema(schema, forceOptional, fieldDefaultVal, docDefaultVal,
    /// version)`.
    fn convert(
        &mut self,
        id: TyId,
        force_optional: bool,
        field_default: Option<&'a Json>,
        version: Option<i32>,
        depth: usize,
    ) -> Result<(Schema, Plan), String> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!("types nest deeper than {MAX_SCHEMA_DEPTH} levels"));
        }
        let ty = self.ty(id)?;
        let props = ty.props();
        let prop = |k: &str| props.and_then(|p| p.get(k));
        let prop_str = |k: &str| prop(k).and_then(Json::as_str);
        let logical_type = prop_str("logicalType");
        let is_logical = |name: &str| logical_type.is_some_and(|l| l.eq_ignore_ascii_case(name));

        let (mut s, plan) = match ty {
            Ty::Prim(Prim::Null, _) => {
                return Err("standalone null schemas are not supported by this converter".into())
            }
            Ty::Prim(Prim::Boolean, _) => (Schema::boolean(), Plan::Boolean),
            Ty::Prim(Prim::Bytes, _) | Ty::Fixed { .. } => {
                let mut s = if is_logical("decimal") {
                    let scale = prop("scale").and_then(int_value).unwrap_or(0);
                    let mut s = logical_builder(SchemaType::Bytes, logical::DECIMAL)
                        .param("scale", scale.to_string());
                    if let Some(p) = prop("precision") {
                        let p = int_value(p).ok_or(
                            "precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal",
                        )?;
                        if p != DEFAULT_DECIMAL_PRECISION as i32 {
                            s = s.param("connect.decimal.precision", p.to_string());
                        }
                    }
                    s
                } else {
                    Schema::bytes()
                };
                let plan = match ty {
                    Ty::Fixed { size, .. } => {
                        s = s.param(FIXED_SIZE_PARAMETER, size.to_string());
                        Plan::Fixed(*size)
                    }
                    _ => Plan::Bytes,
                };
                (s, plan)
            }
            Ty::Prim(Prim::Double, _) => (Schema::float64(), Plan::Float64),
            Ty::Prim(Prim::Float, _) => (Schema::float32(), Plan::Float32),
            Ty::Prim(Prim::Int, _) => match (prop_str("connect.type"), logical_type) {
                (None, None) => (Schema::int32(), Plan::Int32),
                (_, Some(_)) if is_logical("date") => (
                    logical_builder(SchemaType::Int32, logical::CONNECT_DATE),
                    Plan::Int32,
                ),
                (_, Some(_)) if is_logical("time-millis") => (
                    logical_builder(SchemaType::Int32, logical::CONNECT_TIME),
                    Plan::Int32,
                ),
                (_, Some(_)) => (Schema::int32(), Plan::Int32),
                (Some("int8"), None) => (Schema::int8(), Plan::Int8),
                (Some("int16"), None) => (Schema::int16(), Plan::Int16),
                (Some(other), None) => {
                    return Err(format!(
                        "unknown Connect type annotation {other:?} for an Avro int"
                    ))
                }
            },
            Ty::Prim(Prim::Long, _) => {
                if is_logical("timestamp-millis") {
                    (
                        logical_builder(SchemaType::Int64, logical::CONNECT_TIMESTAMP),
                        Plan::Int64,
                    )
                } else {
                    (Schema::int64(), Plan::Int64)
                }
            }
            Ty::Prim(Prim::String, _) => (Schema::string(), Plan::String),
            Ty::Array { items, .. } => match self.map_entry(*items)? {
                Some((key_ty, value_ty, key_first)) => {
                    let (ks, kp) = self.convert(key_ty, false, None, None, depth + 1)?;
                    let (vs, vp) = self.convert(value_ty, false, None, None, depth + 1)?;
                    let min = kp.min_size().saturating_add(vp.min_size());
                    (
                        Schema::map(ks, vs),
                        Plan::Entries {
                            key: Box::new(kp),
                            value: Box::new(vp),
                            key_first,
                            min,
                        },
                    )
                }
                None => {
                    let (is, ip) = self.convert(*items, false, None, None, depth + 1)?;
                    let min = ip.min_size();
                    (
                        Schema::array(is),
                        Plan::Array {
                            items: Box::new(ip),
                            min,
                        },
                    )
                }
            },
            Ty::Map { values, .. } => {
                let (vs, vp) = self.convert(*values, false, None, None, depth + 1)?;
                let min = 1usize.saturating_add(vp.min_size());
                (
                    Schema::map(Schema::string(), vs),
                    Plan::Map {
                        values: Box::new(vp),
                        min,
                    },
                )
            }
            Ty::Record {
                full, doc, fields, ..
            } => {
                if !self.visiting.insert(id) {
                    return Err(format!(
                        "record {full:?} contains itself; recursive schemas cannot be read as Connect schemas"
                    ));
                }
                let mut s = Schema::new(SchemaType::Struct);
                if let Some(doc) = doc {
                    set_param(&mut s, RECORD_DOC_PARAMETER, (*doc).to_owned());
                }
                let mut plans = Vec::with_capacity(fields.len());
                for f in fields {
                    if let Some(doc) = f.doc {
                        set_param(
                            &mut s,
                            &format!("{FIELD_DOC_PREFIX}{}", f.name),
                            doc.to_owned(),
                        );
                    }
                    let (fs, fp) = self.convert(f.ty, false, f.default, None, depth + 1)?;
                    s.fields.push(Field {
                        name: f.name.clone(),
                        schema: Arc::new(fs),
                    });
                    plans.push((f.name.clone(), fp));
                }
                self.visiting.remove(&id);
                (s, Plan::Record(plans))
            }
            Ty::Enum {
                full,
                symbols,
                doc,
                default,
                ..
            } => {
                let mut s = Schema::string();
                let short = short_name(full);
                if let Some(doc) = doc {
                    set_param(
                        &mut s,
                        &format!("{ENUM_DOC_PREFIX}{short}"),
                        (*doc).to_owned(),
                    );
                }
                if let Some(d) = default {
                    set_param(
                        &mut s,
                        &format!("{ENUM_DEFAULT_PREFIX}{short}"),
                        (*d).to_owned(),
                    );
                }
                set_param(&mut s, ENUM_PARAMETER, full.clone());
                for sym in symbols {
                    set_param(&mut s, &format!("{ENUM_PARAMETER}.{sym}"), sym.to_string());
                }
                (s, Plan::Enum(symbols.clone()))
            }
            Ty::Union(members) => {
                if members.len() == 2 {
                    if let Some(null_at) = members.iter().position(|m| self.is_null(*m)) {
                        let other = members[1 - null_at];
                        if !self.is_null(other) {
                            let (s, p) = self.convert(other, true, None, None, depth + 1)?;
                            return Ok((
                                s,
                                Plan::Optional {
                                    null_index: null_at as i64,
                                    inner: Box::new(p),
                                },
                            ));
                        }
                    }
                }
                let mut s = Schema::new(SchemaType::Struct).named(UNION_NAME);
                let mut branches = Vec::with_capacity(members.len());
                for m in members {
                    if self.is_null(*m) {
                        s.optional = true;
                        branches.push(None);
                        continue;
                    }
                    let name = self.member_field_name(*m)?;
                    if s.fields.iter().any(|f| f.name == name) {
                        return Err(
                            "multiple union schemas map to the Connect union field name".into()
                        );
                    }
                    let (ms, mp) = self.convert(*m, true, None, None, depth + 1)?;
                    s.fields.push(Field {
                        name,
                        schema: Arc::new(ms),
                    });
                    branches.push(Some(mp));
                }
                let fields = s.fields.len();
                (s, Plan::Union { branches, fields })
            }
        };

        if let Some(doc) = prop_str("connect.doc") {
            s.doc = Some(doc.to_owned());
        }
        let version = match prop("connect.version") {
            Some(v) => Some(int_value(v).ok_or("invalid Connect version (not a number)")?),
            None => version,
        };
        if let Some(v) = version.filter(|v| *v >= 0) {
            match s.version {
                Some(b) if b != v => {
                    return Err(format!(
                        "mismatched versions: the logical type's version ({b}) differs from the schema's ({v})"
                    ))
                }
                Some(_) => {}
                None => s.version = Some(v),
            }
        }
        match prop("connect.parameters") {
            None => {}
            Some(Json::Object(params)) => {
                for (k, v) in params {
                    let v = v
                        .as_str()
                        .ok_or("expected schema parameter values to be strings")?;
                    set_param(&mut s, k, v.to_owned());
                }
            }
            Some(_) => return Err("expected a JSON object for schema parameters".into()),
        }
        if let Some(props) = props {
            for (k, v) in props {
                if k.starts_with("avro") {
                    let text = match v {
                        Json::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    set_param(&mut s, k, text);
                }
            }
        }
        let connect_default = prop("connect.default");
        let default = match field_default {
            None => connect_default,
            Some(d) => {
                if connect_default.is_none() {
                    set_param(&mut s, FIELD_DEFAULT_FLAG, "true".into());
                }
                Some(d)
            }
        };
        if let Some(d) = default {
            // An invalid default is ignored, as AvroData ignores it (with a warning).
            if let Ok(v) = self.default_value(&s, id, d, depth) {
                if !v.is_null() {
                    s.default = Some(v);
                }
            }
        }
        let name = match prop("connect.name") {
            Some(Json::String(n)) => Some(n.clone()),
            Some(_) => return Err("invalid schema name: connect.name is not a string".into()),
            None => match ty {
                Ty::Record { full, .. } | Ty::Enum { full, .. } | Ty::Fixed { full, .. } => {
                    Some(full.clone())
                }
                _ => None,
            },
        };
        if let Some(n) = name.filter(|n| !n.starts_with(DEFAULT_NAME_PREFIX)) {
            match &s.name {
                Some(b) if *b != n => {
                    return Err(format!(
                    "mismatched names: the logical type {b:?} differs from the schema's name {n:?}"
                ))
                }
                Some(_) => {}
                None => s.name = Some(n),
            }
        }
        if force_optional {
            s.optional = true;
        }
        Ok((s, plan))
    }

    /// The key and value types of an array item that is a map entry (AvroData's `isMapEntry`),
    /// and whether the key comes first.
    fn map_entry(&self, items: TyId) -> Result<Option<(TyId, TyId, bool)>, String> {
        let Ty::Record {
            full,
            fields,
            props,
            ..
        } = self.ty(items)?
        else {
            return Ok(None);
        };
        let by_name = namespace_of(full) == Some(NAMESPACE) && short_name(full) == "MapEntry";
        let marked = props.get("connect.internal.type").and_then(Json::as_str) == Some("MapEntry");
        if !by_name && !marked {
            return Ok(None);
        }
        let find = |n: &str| fields.iter().find(|f| f.name == n);
        match (fields.len(), find("key"), find("value")) {
            (2, Some(k), Some(v)) => Ok(Some((k.ty, v.ty, fields[0].name == "key"))),
            _ => Err("found a map encoded as an array of key-value pairs, but the array elements do not match the expected format".into()),
        }
    }

    fn member_field_name(&self, id: TyId) -> Result<String, String> {
        Ok(match self.ty(id)? {
            Ty::Record { full, .. } | Ty::Enum { full, .. } | Ty::Fixed { full, .. } => {
                short_name(full).to_owned()
            }
            Ty::Prim(p, _) => p.name().to_owned(),
            Ty::Array { .. } => "array".into(),
            Ty::Map { .. } => "map".into(),
            Ty::Union(_) => "union".into(),
        })
    }

    /// AvroData's `defaultValueFromAvro`: a default in Avro's JSON form as a Connect value of
    /// `schema` (built from type `id`).
    fn default_value(
        &self,
        schema: &Schema,
        id: TyId,
        json: &Json,
        depth: usize,
    ) -> Result<Value, String> {
        if json.is_null() {
            return Ok(Value::Null);
        }
        if depth > MAX_SCHEMA_DEPTH {
            return Err("default nests too deep".into());
        }
        let bad = || {
            format!(
                "{} is not a default for {}",
                kind(json),
                schema.kind.json_name()
            )
        };
        let int = || -> Result<i64, String> {
            json.as_i64()
                .or_else(|| json.as_f64().map(|f| f as i64))
                .ok_or_else(bad)
        };
        Ok(match self.ty(id)? {
            Ty::Prim(Prim::Null, _) => Value::Null,
            Ty::Prim(Prim::Int, _) => match schema.kind {
                SchemaType::Int8 => Value::Int8(int()? as i8),
                SchemaType::Int16 => Value::Int16(int()? as i16),
                _ => Value::Int32(int()? as i32),
            },
            Ty::Prim(Prim::Long, _) => Value::Int64(int()?),
            Ty::Prim(Prim::Float, _) => Value::Float32(json.as_f64().ok_or_else(bad)? as f32),
            Ty::Prim(Prim::Double, _) => Value::Float64(json.as_f64().ok_or_else(bad)?),
            Ty::Prim(Prim::Boolean, _) => Value::Boolean(json.as_bool().ok_or_else(bad)?),
            Ty::Prim(Prim::String, _) | Ty::Enum { .. } => {
                Value::String(json.as_str().ok_or_else(bad)?.into())
            }
            Ty::Prim(Prim::Bytes, _) | Ty::Fixed { .. } => {
                let text = json.as_str().ok_or_else(bad)?;
                // Avro's JSON form of bytes: one char per byte (ISO-8859-1).
                Value::Bytes(
                    text.chars()
                        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                        .collect(),
                )
            }
            Ty::Array { items, .. } => {
                let elems = json.as_array().ok_or_else(bad)?;
                match (schema.kind, self.map_entry(*items)?) {
                    (SchemaType::Map, Some((kt, vt, _))) => {
                        let (ks, vs) = (schema.keys.as_deref(), schema.items.as_deref());
                        let (Some(ks), Some(vs)) = (ks, vs) else {
                            return Err(bad());
                        };
                        let mut out = Vec::with_capacity(elems.len());
                        for e in elems {
                            let e = e.as_object().ok_or_else(bad)?;
                            let k = e.get("key").unwrap_or(&Json::Null);
                            let v = e.get("value").unwrap_or(&Json::Null);
                            out.push((
                                self.default_value(ks, kt, k, depth + 1)?,
                                self.default_value(vs, vt, v, depth + 1)?,
                            ));
                        }
                        Value::Map(out)
                    }
                    _ => {
                        let is = schema.items.as_deref().ok_or_else(bad)?;
                        let mut out = Vec::with_capacity(elems.len());
                        for e in elems {
                            out.push(self.default_value(is, *items, e, depth + 1)?);
                        }
                        Value::Array(out)
                    }
                }
            }
            Ty::Map { values, .. } => {
                let o = json.as_object().ok_or_else(bad)?;
                let vs = schema.items.as_deref().ok_or_else(bad)?;
                let mut out = Vec::with_capacity(o.len());
                for (k, v) in o {
                    out.push((
                        Value::String(k.as_str().into()),
                        self.default_value(vs, *values, v, depth + 1)?,
                    ));
                }
                Value::Map(out)
            }
            Ty::Record { fields, .. } => {
                let o = json.as_object().ok_or_else(bad)?;
                let mut out = Vec::with_capacity(fields.len());
                for (f, cf) in fields.iter().zip(&schema.fields) {
                    let v = match o.get(&f.name) {
                        Some(j) => self.default_value(&cf.schema, f.ty, j, depth + 1)?,
                        None => cf.schema.default.clone().unwrap_or(Value::Null),
                    };
                    if v.is_null() && !cf.schema.optional {
                        return Err(bad());
                    }
                    out.push(v);
                }
                Value::Struct(out)
            }
            Ty::Union(members) => {
                // A union's default is of its first branch.
                match members.first() {
                    None => return Err(bad()),
                    Some(m) if self.is_null(*m) => Value::Null,
                    Some(m) => {
                        let first = schema.fields.first().ok_or_else(bad)?;
                        let v = self.default_value(&first.schema, *m, json, depth + 1)?;
                        let mut out = vec![Value::Null; schema.fields.len()];
                        out[0] = v;
                        Value::Struct(out)
                    }
                }
            }
        })
    }
}

// --- datums --------------------------------------------------------------------------------

struct Cursor<'d> {
    buf: &'d [u8],
    pos: usize,
    /// Zero-byte items read so far (see [`MAX_EMPTY_ITEMS`]).
    empty_items: usize,
}

/// A datum error on its way up: the path is built from the innermost segment out.
struct DatumError {
    segments: Vec<String>,
    reason: String,
}

impl DatumError {
    fn new(reason: impl Into<String>) -> Self {
        DatumError {
            segments: Vec::new(),
            reason: reason.into(),
        }
    }

    fn at(mut self, segment: impl Into<String>) -> Self {
        self.segments.push(segment.into());
        self
    }

    fn finish(self) -> AvroReadError {
        let path = if self.segments.is_empty() {
            "<root>".to_owned()
        } else {
            let mut s: Vec<String> = self.segments;
            s.reverse();
            s.join(".")
        };
        AvroReadError::Datum {
            path,
            reason: self.reason,
        }
    }
}

const TRUNCATED: &str = "the datum is truncated";

impl<'d> Cursor<'d> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'d [u8], DatumError> {
        if n > self.remaining() {
            return Err(DatumError::new(TRUNCATED));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, DatumError> {
        Ok(self.take(1)?[0])
    }

    /// Avro's zig-zag varint long (at most 10 bytes).
    fn long(&mut self) -> Result<i64, DatumError> {
        let mut n: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            if i == 9 && b > 1 {
                return Err(DatumError::new("invalid long encoding (too many bytes)"));
            }
            n |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(((n >> 1) as i64) ^ -((n & 1) as i64));
            }
        }
        Err(DatumError::new("invalid long encoding (too many bytes)"))
    }

    fn int(&mut self) -> Result<i32, DatumError> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| DatumError::new("an int is out of the 32-bit range"))
    }

    fn len(&mut self) -> Result<usize, DatumError> {
        let n = self.long()?;
        if n < 0 {
            return Err(DatumError::new("negative length"));
        }
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(DatumError::new(TRUNCATED)),
        }
    }

    fn bytes(&mut self) -> Result<&'d [u8], DatumError> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<Arc<str>, DatumError> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(Arc::from)
            .map_err(|_| DatumError::new("a string is not valid UTF-8"))
    }

    /// The item count of the next array or map block (0 at the end), checked against what is
    /// left: each item of `min` bytes must fit.
    fn block(&mut self, min: usize) -> Result<usize, DatumError> {
        let mut count = self.long()?;
        if count < 0 {
            count = count
                .checked_neg()
                .ok_or_else(|| DatumError::new("invalid block count"))?;
            // The block's size in bytes follows a negative count.
            let size = self.long()?;
            if size < 0 {
                return Err(DatumError::new("negative block size"));
            }
        }
        let count = usize::try_from(count).map_err(|_| DatumError::new(TRUNCATED))?;
        if min == 0 {
            self.empty_items = self.empty_items.saturating_add(count);
            if self.empty_items > MAX_EMPTY_ITEMS {
                return Err(DatumError::new(format!(
                    "more than {MAX_EMPTY_ITEMS} items of a zero-byte type"
                )));
            }
        } else if count.saturating_mul(min) > self.remaining() {
            return Err(DatumError::new(TRUNCATED));
        }
        Ok(count)
    }
}

fn decode(plan: &Plan, cur: &mut Cursor<'_>) -> Result<Value, DatumError> {
    Ok(match plan {
        Plan::Boolean => match cur.byte()? {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            _ => return Err(DatumError::new("invalid boolean byte")),
        },
        Plan::Int8 => Value::Int8(
            i8::try_from(cur.int()?).map_err(|_| DatumError::new("out of range for int8"))?,
        ),
        Plan::Int16 => Value::Int16(
            i16::try_from(cur.int()?).map_err(|_| DatumError::new("out of range for int16"))?,
        ),
        Plan::Int32 => Value::Int32(cur.int()?),
        Plan::Int64 => Value::Int64(cur.long()?),
        Plan::Float32 => {
            let b = cur.take(4)?;
            Value::Float32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Plan::Float64 => {
            let b = cur.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Value::Float64(f64::from_le_bytes(a))
        }
        Plan::Bytes => Value::Bytes(cur.bytes()?.to_vec()),
        Plan::Fixed(n) => Value::Bytes(cur.take(*n)?.to_vec()),
        Plan::String => Value::String(cur.string()?),
        Plan::Enum(symbols) => {
            let i = cur.int()?;
            let s = usize::try_from(i)
                .ok()
                .and_then(|i| symbols.get(i))
                .ok_or_else(|| {
                    DatumError::new(format!(
                        "enum symbol index {i} is out of range ({} symbols)",
                        symbols.len()
                    ))
                })?;
            Value::String(s.clone())
        }
        Plan::Array { items, min } => {
            let mut out = Vec::new();
            loop {
                let n = cur.block(*min)?;
                if n == 0 {
                    break;
                }
                out.reserve(n.min(cur.remaining() + 1));
                for _ in 0..n {
                    let at = out.len();
                    out.push(decode(items, cur).map_err(|e| e.at(at.to_string()))?);
                }
            }
            Value::Array(out)
        }
        Plan::Map { values, min } => {
            let mut out: Vec<(Value, Value)> = Vec::new();
            let mut index: HashMap<Arc<str>, usize> = HashMap::new();
            loop {
                let n = cur.block(*min)?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    let at = out.len();
                    let k = cur.string().map_err(|e| e.at(format!("[{at}]")))?;
                    let v = decode(values, cur).map_err(|e| e.at(format!("[{at}]")))?;
                    // A repeated key replaces the earlier entry (Java's HashMap).
                    match index.get(&k) {
                        Some(&i) => out[i].1 = v,
                        None => {
                            index.insert(k.clone(), out.len());
                            out.push((Value::String(k), v));
                        }
                    }
                }
            }
            Value::Map(out)
        }
        Plan::Entries {
            key,
            value,
            key_first,
            min,
        } => {
            let mut out = Vec::new();
            loop {
                let n = cur.block(*min)?;
                if n == 0 {
                    break;
                }
                out.reserve(n.min(cur.remaining() + 1));
                for _ in 0..n {
                    let at = out.len();
                    let seg = |e: DatumError, f: &str| e.at(f.to_owned()).at(format!("[{at}]"));
                    let (k, v) = if *key_first {
                        let k = decode(key, cur).map_err(|e| seg(e, "key"))?;
                        (k, decode(value, cur).map_err(|e| seg(e, "value"))?)
                    } else {
                        let v = decode(value, cur).map_err(|e| seg(e, "value"))?;
                        (decode(key, cur).map_err(|e| seg(e, "key"))?, v)
                    };
                    out.push((k, v));
                }
            }
            Value::Map(out)
        }
        Plan::Record(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for (name, p) in fields {
                out.push(decode(p, cur).map_err(|e| e.at(name.clone()))?);
            }
            Value::Struct(out)
        }
        Plan::Optional { null_index, inner } => {
            let i = cur.long()?;
            if i == *null_index {
                Value::Null
            } else if i == 1 - *null_index {
                decode(inner, cur)?
            } else {
                return Err(DatumError::new(format!(
                    "union branch {i} is out of range (2 branches)"
                )));
            }
        }
        Plan::Union { branches, fields } => {
            let i = cur.long()?;
            let branch = usize::try_from(i)
                .ok()
                .and_then(|i| branches.get(i))
                .ok_or_else(|| {
                    DatumError::new(format!(
                        "union branch {i} is out of range ({} branches)",
                        branches.len()
                    ))
                })?;
            match branch {
                None => Value::Null,
                Some(p) => {
                    // The struct's field for this branch: count the non-null branches before.
                    let at = branches[..i as usize]
                        .iter()
                        .filter(|b| b.is_some())
                        .count();
                    let mut out = vec![Value::Null; *fields];
                    out[at] = decode(p, cur)?;
                    Value::Struct(out)
                }
            }
        }
    })
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
