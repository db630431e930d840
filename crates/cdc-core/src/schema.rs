//! The Kafka Connect schema model, with the logical type names Debezium puts in `name`.

use std::sync::Arc;

use crate::value::Value;

/// Connect's primitive and container types (`Schema.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// The name Connect's JsonConverter writes in `"type"`.
    pub fn json_name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }
}

/// One field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub schema: Arc<Schema>,
}

/// A Connect schema. Cheap to share: build once per table, hand out `Arc<Schema>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub kind: SchemaType,
    pub optional: bool,
    /// Logical or record name (`io.debezium.time.MicroTimestamp`, `server.public.t.Value`, ...).
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Ordered string parameters (`scale`, `connect.decimal.precision`, `allowed`, `length`).
    pub parameters: Vec<(String, String)>,
    pub default: Option<Value>,
    pub fields: Vec<Field>,
    /// Array items, or map values.
    pub items: Option<Arc<Schema>>,
    /// Map keys.
    pub keys: Option<Arc<Schema>>,
}

impl Schema {
    pub fn new(kind: SchemaType) -> Self {
        Schema {
            kind,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
            fields: Vec::new(),
            items: None,
            keys: None,
        }
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn required(mut self) -> Self {
        self.optional = false;
        self
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }

    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((key.into(), value.into()));
        self
    }

    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    pub fn field(mut self, name: impl Into<String>, schema: impl Into<Arc<Schema>>) -> Self {
        self.fields.push(Field {
            name: name.into(),
            schema: schema.into(),
        });
        self
    }

    pub fn array(items: impl Into<Arc<Schema>>) -> Self {
        let mut s = Schema::new(SchemaType::Array);
        s.items = Some(items.into());
        s
    }

    pub fn map(keys: impl Into<Arc<Schema>>, values: impl Into<Arc<Schema>>) -> Self {
        let mut s = Schema::new(SchemaType::Map);
        s.keys = Some(keys.into());
        s.items = Some(values.into());
        s
    }

    pub fn structure(name: impl Into<String>) -> Self {
        Schema::new(SchemaType::Struct).named(name)
    }

    /// Position of a field by name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    // Primitive constructors, all required; call `.optional()` for nullable.
    pub fn int8() -> Self {
        Schema::new(SchemaType::Int8)
    }
    pub fn int16() -> Self {
        Schema::new(SchemaType::Int16)
    }
    pub fn int32() -> Self {
        Schema::new(SchemaType::Int32)
    }
    pub fn int64() -> Self {
        Schema::new(SchemaType::Int64)
    }
    pub fn float32() -> Self {
        Schema::new(SchemaType::Float32)
    }
    pub fn float64() -> Self {
        Schema::new(SchemaType::Float64)
    }
    pub fn boolean() -> Self {
        Schema::new(SchemaType::Boolean)
    }
    pub fn string() -> Self {
        Schema::new(SchemaType::String)
    }
    pub fn bytes() -> Self {
        Schema::new(SchemaType::Bytes)
    }
}

/// Logical type names used by Connect and Debezium.
pub mod logical {
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    pub const CONNECT_DATE: &str = "org.apache.kafka.connect.data.Date";
    pub const CONNECT_TIME: &str = "org.apache.kafka.connect.data.Time";
    pub const CONNECT_TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
    pub const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";
    pub const DATE: &str = "io.debezium.time.Date";
    pub const TIME: &str = "io.debezium.time.Time";
    pub const MICRO_TIME: &str = "io.debezium.time.MicroTime";
    pub const NANO_TIME: &str = "io.debezium.time.NanoTime";
    pub const TIMESTAMP: &str = "io.debezium.time.Timestamp";
    pub const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
    pub const NANO_TIMESTAMP: &str = "io.debezium.time.NanoTimestamp";
    pub const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
    pub const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
    pub const MICRO_DURATION: &str = "io.debezium.time.MicroDuration";
    pub const INTERVAL: &str = "io.debezium.time.Interval";
    pub const YEAR: &str = "io.debezium.time.Year";
    pub const JSON: &str = "io.debezium.data.Json";
    pub const XML: &str = "io.debezium.data.Xml";
    pub const UUID: &str = "io.debezium.data.Uuid";
    pub const ENUM: &str = "io.debezium.data.Enum";
    pub const ENUM_SET: &str = "io.debezium.data.EnumSet";
    pub const BITS: &str = "io.debezium.data.Bits";
    pub const LTREE: &str = "io.debezium.data.Ltree";
    pub const POINT: &str = "io.debezium.data.geometry.Point";
    pub const GEOMETRY: &str = "io.debezium.data.geometry.Geometry";
}
