//! ParquetFormat's column shredding: records into leaf columns with their definition and
//! repetition levels (Dremel-style), and a row group's columns written with the `parquet`
//! crate's column writers. The plan (which leaves, at which levels) is `format_parquet.rs`'s.

use cdc_core::avro::AvroDataError;
use cdc_core::{SchemaType, Value};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::writer::SerializedFileWriter;

use super::{parquet_error, EncodeError, LeafSpec, Node};

pub(super) fn write_row_group(
    writer: &mut SerializedFileWriter<crate::s3::spool::Spool>,
    columns: Vec<Column>,
) -> Result<(), EncodeError> {
    let mut group = writer.next_row_group().map_err(parquet_error)?;
    let mut columns = columns.into_iter();
    while let Some(mut out) = group.next_column().map_err(parquet_error)? {
        let Some(c) = columns.next() else {
            return Err(parquet_error(ParquetError::General(
                "more Parquet columns than planned".into(),
            )));
        };
        let defs = (c.max_def > 0).then_some(c.defs.as_slice());
        let reps = (c.max_rep > 0).then_some(c.reps.as_slice());
        let written = match (out.untyped(), &c.values) {
            (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => w.write_batch(v, defs, reps),
            (ColumnWriter::Int32ColumnWriter(w), Values::Int32(v)) => w.write_batch(v, defs, reps),
            (ColumnWriter::Int64ColumnWriter(w), Values::Int64(v)) => w.write_batch(v, defs, reps),
            (ColumnWriter::FloatColumnWriter(w), Values::Float(v)) => w.write_batch(v, defs, reps),
            (ColumnWriter::DoubleColumnWriter(w), Values::Double(v)) => {
                w.write_batch(v, defs, reps)
            }
            (ColumnWriter::ByteArrayColumnWriter(w), Values::Bytes(v)) => {
                w.write_batch(v, defs, reps)
            }
            _ => Err(ParquetError::General(
                "a column's planned type differs from the schema's".into(),
            )),
        };
        written.map_err(parquet_error)?;
        out.close().map_err(parquet_error)?;
    }
    group.close().map_err(parquet_error)?;
    Ok(())
}

/// One leaf column's values and levels for a row group.
pub(super) struct Column {
    values: Values,
    kind: SchemaType,
    max_def: i16,
    max_rep: i16,
    defs: Vec<i16>,
    reps: Vec<i16>,
}

pub(super) enum Values {
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    Bytes(Vec<ByteArray>),
}

impl Column {
    /// An empty column for a planned leaf.
    pub(super) fn new(leaf: &LeafSpec) -> Column {
        Column {
            values: match leaf.kind {
                SchemaType::Boolean => Values::Bool(Vec::new()),
                SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => {
                    Values::Int32(Vec::new())
                }
                SchemaType::Int64 => Values::Int64(Vec::new()),
                SchemaType::Float32 => Values::Float(Vec::new()),
                SchemaType::Float64 => Values::Double(Vec::new()),
                _ => Values::Bytes(Vec::new()),
            },
            kind: leaf.kind,
            max_def: leaf.max_def,
            max_rep: leaf.max_rep,
            defs: Vec::new(),
            reps: Vec::new(),
        }
    }

    pub(super) fn mark(&self) -> (usize, usize, usize) {
        let values = match &self.values {
            Values::Bool(v) => v.len(),
            Values::Int32(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Double(v) => v.len(),
            Values::Bytes(v) => v.len(),
        };
        (values, self.defs.len(), self.reps.len())
    }

    pub(super) fn rewind(&mut self, (values, defs, reps): (usize, usize, usize)) {
        match &mut self.values {
            Values::Bool(v) => v.truncate(values),
            Values::Int32(v) => v.truncate(values),
            Values::Int64(v) => v.truncate(values),
            Values::Float(v) => v.truncate(values),
            Values::Double(v) => v.truncate(values),
            Values::Bytes(v) => v.truncate(values),
        }
        self.defs.truncate(defs);
        self.reps.truncate(reps);
    }

    fn levels(&mut self, def: i16, rep: i16) {
        if self.max_def > 0 {
            self.defs.push(def);
        }
        if self.max_rep > 0 {
            self.reps.push(rep);
        }
    }

    fn push(&mut self, value: &Value, def: i16, rep: i16) -> Result<(), AvroDataError> {
        match (&mut self.values, self.kind, value) {
            (Values::Bool(v), SchemaType::Boolean, Value::Boolean(b)) => v.push(*b),
            (Values::Int32(v), SchemaType::Int8, Value::Int8(i)) => v.push(i32::from(*i)),
            (Values::Int32(v), SchemaType::Int16, Value::Int16(i)) => v.push(i32::from(*i)),
            (Values::Int32(v), SchemaType::Int32, Value::Int32(i)) => v.push(*i),
            (Values::Int64(v), SchemaType::Int64, Value::Int64(i)) => v.push(*i),
            (Values::Float(v), SchemaType::Float32, Value::Float32(f)) => v.push(*f),
            (Values::Double(v), SchemaType::Float64, Value::Float64(f)) => v.push(*f),
            (Values::Bytes(v), SchemaType::String, Value::String(s)) => {
                v.push(ByteArray::from(s.as_bytes().to_vec()))
            }
            (Values::Bytes(v), SchemaType::Bytes, Value::Bytes(b)) => {
                v.push(ByteArray::from(b.clone()))
            }
            (_, kind, other) => return Err(mismatch(kind.json_name(), other)),
        }
        self.levels(def, rep);
        Ok(())
    }
}

fn mismatch(expected: &str, found: &Value) -> AvroDataError {
    AvroDataError {
        path: String::new(),
        expected: expected.to_owned(),
        found: format!("a {} value", found.kind()),
    }
}

fn nest(mut e: AvroDataError, segment: &str) -> AvroDataError {
    e.path = if e.path.is_empty() {
        segment.to_owned()
    } else {
        format!("{segment}.{}", e.path)
    };
    e
}

/// Record shredding: each value goes to its leaf columns with its definition level (how many
/// optional or repeated levels above it are present) and repetition level (at which repeated
/// level it starts a new entry; 0 for a new row).
pub(super) struct Shred<'c> {
    pub(super) columns: &'c mut [Column],
}

impl Shred<'_> {
    pub(super) fn fields(
        &mut self,
        fields: &[(String, Node)],
        value: &Value,
        def: i16,
        rep: i16,
    ) -> Result<(), AvroDataError> {
        let Value::Struct(values) = value else {
            return Err(mismatch("struct", value));
        };
        if values.len() != fields.len() {
            return Err(AvroDataError {
                path: String::new(),
                expected: format!("struct of {} fields", fields.len()),
                found: format!("struct of {} values", values.len()),
            });
        }
        for ((name, f), v) in fields.iter().zip(values) {
            self.value(f, v, def, rep).map_err(|e| nest(e, name))?;
        }
        Ok(())
    }

    fn value(
        &mut self,
        node: &Node,
        value: &Value,
        def: i16,
        rep: i16,
    ) -> Result<(), AvroDataError> {
        if value.is_null() {
            if node.optional() {
                self.nulls(node, def, rep);
                return Ok(());
            }
            return Err(mismatch("a required value", value));
        }
        let def = if node.optional() { def + 1 } else { def };
        match node {
            Node::Leaf { column, .. } => self.columns[*column].push(value, def, rep),
            Node::Struct { fields, .. } => self.fields(fields, value, def, rep),
            Node::List {
                item,
                rep: item_rep,
                ..
            } => {
                let Value::Array(items) = value else {
                    return Err(mismatch("array", value));
                };
                if items.is_empty() {
                    self.nulls(item, def, rep);
                }
                for (i, v) in items.iter().enumerate() {
                    let r = if i == 0 { rep } else { *item_rep };
                    self.value(item, v, def + 1, r)
                        .map_err(|e| nest(e, &i.to_string()))?;
                }
                Ok(())
            }
            Node::Map {
                key,
                value: value_node,
                rep: entry_rep,
                ..
            } => {
                let Value::Map(entries) = value else {
                    return Err(mismatch("map", value));
                };
                if entries.is_empty() {
                    self.nulls(key, def, rep);
                    self.nulls(value_node, def, rep);
                }
                for (i, (k, v)) in entries.iter().enumerate() {
                    let r = if i == 0 { rep } else { *entry_rep };
                    self.value(key, k, def + 1, r).map_err(|e| nest(e, "key"))?;
                    self.value(value_node, v, def + 1, r)
                        .map_err(|e| nest(e, "value"))?;
                }
                Ok(())
            }
        }
    }

    /// A null (or an empty list or map) at `node`: every leaf below gets the levels and no value.
    fn nulls(&mut self, node: &Node, def: i16, rep: i16) {
        match node {
            Node::Leaf { column, .. } => self.columns[*column].levels(def, rep),
            Node::Struct { fields, .. } => {
                for (_, f) in fields {
                    self.nulls(f, def, rep);
                }
            }
            Node::List { item, .. } => self.nulls(item, def, rep),
            Node::Map { key, value, .. } => {
                self.nulls(key, def, rep);
                self.nulls(value, def, rep);
            }
        }
    }
}
