//! Reading Confluent wire-format records back as JSON, for `tributary topics tail`: the schema
//! id picks the writer schema (from the registry), apache-avro decodes the datum, and the value
//! is shown as Connect's JsonConverter would show it without schemas (bytes and decimals as
//! base64, logical dates and timestamps as their numbers, unions unwrapped).

use std::collections::HashMap;

use apache_avro::types::Value as Avro;
use apache_avro::Schema as AvroSchema;
use base64::Engine as _;
use serde_json::{Map, Value as Json};

/// Why a record could not be shown decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("schema {id} is not valid Avro: {message}")]
    Schema { id: u32, message: String },
    #[error("the Avro datum does not match schema {id}: {message}")]
    Datum { id: u32, message: String },
}

/// Decodes wire-format bytes; `None` when `bytes` is not in Confluent's wire format.
/// `schema_of` fetches a schema's text by id (called once per id).
pub struct WireDecoder<F> {
    schema_of: F,
    schemas: HashMap<u32, AvroSchema>,
}

impl<F, E> WireDecoder<F>
where
    F: FnMut(u32) -> Result<String, E>,
    E: std::fmt::Display,
{
    pub fn new(schema_of: F) -> Self {
        WireDecoder {
            schema_of,
            schemas: HashMap::new(),
        }
    }

    pub fn decode(&mut self, bytes: &[u8]) -> Option<Result<Json, DecodeError>> {
        let (id, mut datum) = cdc_core::avro::split_header(bytes)?;
        if !self.schemas.contains_key(&id) {
            let parsed = (self.schema_of)(id)
                .map_err(|e| e.to_string())
                .and_then(|text| AvroSchema::parse_str(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(s) => {
                    self.schemas.insert(id, s);
                }
                Err(message) => return Some(Err(DecodeError::Schema { id, message })),
            }
        }
        let schema = self.schemas.get(&id)?;
        Some(
            apache_avro::from_avro_datum(schema, &mut datum, None)
                .map(|v| to_json(&v))
                .map_err(|e| DecodeError::Datum {
                    id,
                    message: e.to_string(),
                }),
        )
    }
}

fn b64(b: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(b))
}

/// An Avro value as JsonConverter (without schemas) would write its Connect value.
pub fn to_json(v: &Avro) -> Json {
    match v {
        Avro::Null => Json::Null,
        Avro::Boolean(b) => Json::Bool(*b),
        Avro::Int(i) | Avro::Date(i) | Avro::TimeMillis(i) => Json::from(*i),
        Avro::Long(l)
        | Avro::TimeMicros(l)
        | Avro::TimestampMillis(l)
        | Avro::TimestampMicros(l)
        | Avro::TimestampNanos(l)
        | Avro::LocalTimestampMillis(l)
        | Avro::LocalTimestampMicros(l)
        | Avro::LocalTimestampNanos(l) => Json::from(*l),
        Avro::Float(f) => Json::from(f64::from(*f)),
        Avro::Double(d) => Json::from(*d),
        Avro::Bytes(b) | Avro::Fixed(_, b) => b64(b),
        Avro::String(s) | Avro::Enum(_, s) => Json::String(s.clone()),
        Avro::Uuid(u) => Json::String(u.to_string()),
        Avro::Decimal(d) => b64(&Vec::<u8>::try_from(d.clone()).unwrap_or_default()),
        Avro::BigDecimal(d) => Json::String(d.to_string()),
        Avro::Union(_, inner) => to_json(inner),
        Avro::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Avro::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Avro::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Avro::Duration(d) => Json::String(format!("{d:?}")),
    }
}
