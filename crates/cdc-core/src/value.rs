//! Typed Connect values. A struct value is positional: its fields follow its schema's fields.

/// A Connect value. `Struct` holds one value per schema field, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    /// Shared, so constants (source block fields, `op`) are cloned without copying text.
    String(std::sync::Arc<str>),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in insertion order (keys may be any value, as in Connect).
    Map(Vec<(Value, Value)>),
    Struct(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value's kind as Connect names its types (`int32`, `struct`, ...), for messages that
    /// must not show the value itself.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Int8(_) => "int8",
            Value::Int16(_) => "int16",
            Value::Int32(_) => "int32",
            Value::Int64(_) => "int64",
            Value::Float32(_) => "float32",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Struct(_) => "struct",
        }
    }

    /// A rough size in bytes, used for byte-bounded queues.
    pub fn approx_size(&self) -> usize {
        match self {
            Value::Null | Value::Boolean(_) | Value::Int8(_) => 1,
            Value::Int16(_) => 2,
            Value::Int32(_) | Value::Float32(_) => 4,
            Value::Int64(_) | Value::Float64(_) => 8,
            Value::String(s) => s.len() + 8,
            Value::Bytes(b) => b.len() + 8,
            Value::Array(items) | Value::Struct(items) => {
                8 + items.iter().map(Value::approx_size).sum::<usize>()
            }
            Value::Map(entries) => {
                8 + entries
                    .iter()
                    .map(|(k, v)| k.approx_size() + v.approx_size())
                    .sum::<usize>()
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
