//! What a chain does to the rows of a snapshot, worked out once per table instead of per row.
//!
//! A snapshot's rows reach the converter raw ([`cdc_core::DeferredRows`]): without transforms
//! they are written to JSON straight from their bytes. Most chains users put on a source only
//! pick the row out of the envelope (ExtractNewRecordState), keep, drop or rename its fields
//! (ReplaceField), add constant fields or the record's timestamp (InsertField) and rename the
//! topic (RegexRouter). For such a chain every row of a table becomes the same struct shape,
//! each field either one of the row's own fields, a constant, or the record's timestamp, on one
//! topic: a [`RowShape`]. A transform that can say so implements [`crate::Transform::row_plan`];
//! any other transform, or any predicate, makes the chain's plan `None` and the rows go through
//! the chain record by record. The runtime checks a plan against the chain's real output on a
//! table's first row before it uses it.

use std::sync::Arc;

use cdc_core::Value;

/// Where a field of the transformed value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldFrom {
    /// Field `i` of the row (the envelope's `after` struct).
    Row(usize),
    /// The same value for every row.
    Constant(Value),
    /// The record's timestamp (epoch milliseconds, Connect's `Timestamp`).
    Timestamp,
}

/// The value of a snapshot row's record, as far as the chain got.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    /// The read event's envelope as the source built it, its row's fields named so.
    Envelope { row_fields: Vec<String> },
    /// A struct of these fields, in order.
    Struct(Vec<(String, FieldFrom)>),
}

/// The records of a table's snapshot rows: their topic and value shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RowShape {
    pub topic: Arc<str>,
    pub value: RowValue,
}
