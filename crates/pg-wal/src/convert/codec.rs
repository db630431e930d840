//! A column's mapping resolved once, for the per-value hot path of snapshots and streams.

use cdc_core::json::DecimalFormat;
use cdc_core::{Schema, Value};

use super::catalog::PgType;
use super::mapping::{self, Mapping};
use super::modes::TypeModes;
use super::{binary, convert_error, schema, text, ConvertError, WireFormat};

/// How one column's values are decoded: [`column_schema`](super::column_schema),
/// [`decode_binary`](super::decode_binary) and [`decode_text`](super::decode_text) with the
/// Debezium mapping decided up front instead of per value.
#[derive(Debug, Clone)]
pub struct ColumnCodec {
    ty: PgType,
    mapping: Mapping,
    modes: TypeModes,
}

impl ColumnCodec {
    /// `None` when Debezium skips the column (see [`column_schema`](super::column_schema)).
    pub fn new(ty: &PgType, typmod: i32, modes: &TypeModes) -> Option<ColumnCodec> {
        Some(ColumnCodec {
            mapping: mapping::resolve(ty, typmod, modes)?,
            ty: ty.clone(),
            modes: modes.clone(),
        })
    }

    pub fn schema(&self, optional: bool) -> Schema {
        let s = schema::schema(&self.mapping, &self.modes);
        if optional {
            s.optional()
        } else {
            s
        }
    }

    pub fn decode_binary(&self, raw: &[u8]) -> Result<Value, ConvertError> {
        binary::decode(&self.mapping, raw, &self.modes)
            .map_err(|f| convert_error(&self.ty, WireFormat::Binary, f))
    }

    /// Appends the JsonConverter payload (`schemas.enable=false`) of one non-NULL binary value
    /// whose field schema is `schema`: the bytes the converter writes for `decode_binary(raw)`.
    pub fn write_json_binary(
        &self,
        raw: &[u8],
        decimal: DecimalFormat,
        schema: &Schema,
        out: &mut Vec<u8>,
    ) -> Result<(), ConvertError> {
        binary::write_json(&self.mapping, raw, &self.modes, decimal, schema, out)
            .map_err(|f| convert_error(&self.ty, WireFormat::Binary, f))
    }

    pub fn decode_text(&self, raw: &str) -> Result<Value, ConvertError> {
        text::decode(&self.mapping, raw, &self.modes)
            .map_err(|f| convert_error(&self.ty, WireFormat::Text, f))
    }

    pub fn type_name(&self) -> &str {
        &self.ty.name
    }
}
