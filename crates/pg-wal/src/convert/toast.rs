//! The value of an unchanged TOASTed column, which pgoutput does not send
//! (`UnchangedToastedPlaceholder` and `UnchangedToastedReplicationMessageColumn`).

use cdc_core::Value;
use md5::{Digest, Md5};

use super::bytea;
use super::catalog::PgType;
use super::hstore;
use super::mapping::{self, Mapping};
use super::modes::{BinaryHandling, TypeModes};
use super::network::format_uuid;

/// `unavailable.value.placeholder` as bytes: `hex:` introduces hex-encoded bytes.
fn placeholder_bytes(placeholder: &str) -> Vec<u8> {
    placeholder
        .strip_prefix("hex:")
        .and_then(|hex| bytea::unhex(hex.as_bytes()))
        .unwrap_or_else(|| placeholder.as_bytes().to_vec())
}

/// Java's `UUID.nameUUIDFromBytes`: an MD5 (version 3) name-based UUID.
fn name_uuid(bytes: &[u8]) -> String {
    let mut hash: [u8; 16] = Md5::digest(bytes).into();
    hash[6] = (hash[6] & 0x0f) | 0x30;
    hash[8] = (hash[8] & 0x3f) | 0x80;
    format_uuid(&hash)
}

/// The value Debezium puts in place of an unchanged TOASTed column of type `ty`.
///
/// Debezium chooses by the column's type *name* (so a domain over `text[]` gets the plain
/// string): `text[]`, `varchar[]`, `bpchar[]`, `json[]`, `jsonb[]` → a one-element list with the
/// placeholder; `bytea[]` → a list with its bytes; `int4[]` and `date[]` → the placeholder's
/// (signed) byte values as int32; `int8[]` → as int64; `uuid[]` → a list with the name-based
/// UUID of the placeholder; `hstore` → `{placeholder: placeholder}`. bytea and unknown types
/// go through the binary mode: the bytes, the placeholder string in `hex` mode, and null in
/// the base64 modes (Debezium's converters return null for the marker there). Every other
/// type, arrays and NUMERIC included, gets the placeholder string, whatever its schema.
pub fn unavailable_value(ty: &PgType, typmod: i32, placeholder: &str, modes: &TypeModes) -> Value {
    let bytes = placeholder_bytes(placeholder);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match ty.name.as_str() {
        "_text" | "_varchar" | "_bpchar" | "_json" | "_jsonb" => {
            Value::Array(vec![Value::String(text.into())])
        }
        // Debezium puts the raw bytes even when binary.handling.mode makes the element a string,
        // which Connect rejects; we encode them as the mode says.
        "_bytea" => Value::Array(vec![bytea::binary_value(&bytes, modes.binary)]),
        "_int4" | "_date" => Value::Array(
            bytes
                .iter()
                .map(|&b| Value::Int32(i32::from(b as i8)))
                .collect(),
        ),
        "_int8" => Value::Array(
            bytes
                .iter()
                .map(|&b| Value::Int64(i64::from(b as i8)))
                .collect(),
        ),
        "_uuid" => Value::Array(vec![Value::String(name_uuid(&bytes).into())]),
        // A map in map mode, its JSON in json mode.
        "hstore" => hstore::value(vec![(text.clone(), Some(text))], modes),
        _ => match mapping::resolve(ty, typmod, modes) {
            Some(Mapping::Bytea | Mapping::Unknown) => match modes.binary {
                BinaryHandling::Bytes => Value::Bytes(bytes),
                BinaryHandling::Hex => Value::String(text.into()),
                BinaryHandling::Base64 | BinaryHandling::Base64UrlSafe => Value::Null,
            },
            _ => Value::String(text.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::catalog::TypeRegistry;

    const PLACEHOLDER: &str = "__debezium_unavailable_value";

    #[test]
    fn placeholders_by_type() {
        let reg = TypeRegistry::builtin();
        let modes = TypeModes::default();
        let of = |oid: u32| unavailable_value(reg.resolve(oid).unwrap(), -1, PLACEHOLDER, &modes);
        assert_eq!(of(25), Value::String(PLACEHOLDER.into()));
        assert_eq!(of(17), Value::Bytes(PLACEHOLDER.as_bytes().to_vec()));
        assert_eq!(
            of(1009),
            Value::Array(vec![Value::String(PLACEHOLDER.into())])
        );
        let Value::Array(ints) = of(1007) else {
            unreachable!()
        };
        assert_eq!(ints.len(), PLACEHOLDER.len());
        assert_eq!(ints.first(), Some(&Value::Int32(95)));
        assert_eq!(of(1700), Value::String(PLACEHOLDER.into()));
        // UUID.nameUUIDFromBytes("__debezium_unavailable_value".getBytes())
        assert_eq!(
            of(2951),
            Value::Array(vec![Value::String(
                "b68a35a7-17ad-35b3-af2a-ae46edb4545a".into()
            )])
        );
        let hstore = PgType::new(90_000, "hstore", crate::convert::PgTypeKind::Base);
        assert_eq!(
            unavailable_value(&hstore, -1, "p", &modes),
            Value::String(r#"{"p":"p"}"#.into())
        );
        let base64 = TypeModes {
            binary: BinaryHandling::Base64,
            ..TypeModes::default()
        };
        assert_eq!(
            unavailable_value(reg.resolve(17).unwrap(), -1, "p", &base64),
            Value::Null
        );
        assert_eq!(
            unavailable_value(reg.resolve(1001).unwrap(), -1, "p", &base64),
            Value::Array(vec![Value::String("cA==".into())])
        );
        let hex = TypeModes {
            binary: BinaryHandling::Hex,
            ..TypeModes::default()
        };
        assert_eq!(
            unavailable_value(reg.resolve(17).unwrap(), -1, "p", &hex),
            Value::String("p".into())
        );
        assert_eq!(
            unavailable_value(reg.resolve(25).unwrap(), -1, "hex:6869", &modes),
            Value::String("hi".into())
        );
    }
}
