//! Debezium's column mappers (`io.debezium.relational.mapping`): the connector properties that
//! mask, hash or truncate column values, or carry a column's source type into its schema.
//!
//! * `column.truncate.to.<n>.chars`: strings (in UTF-16 code units, as Java counts) and byte
//!   values cut to `n`, on columns whose length is unknown or greater than `n`; the field schema
//!   gets `truncateLength`.
//! * `column.mask.with.<n>.chars`: the values of character columns replaced by `n` asterisks
//!   (NULL included, as Debezium does); the field schema gets `masked=true`.
//! * `column.mask.hash[.v2].<algorithm>.with.salt.<salt>`: the values of character columns
//!   replaced by the hex digest of the salt and the value (v1: the value as Java serializes a
//!   `String`; v2: its UTF-8 bytes), cut to the column's length; NULL stays NULL.
//! * `column.propagate.source.type` / `datatype.propagate.source.type`: the field schema gets
//!   `__debezium.source.column.type`, `.length`, `.scale`, `.comment` and `.name`.
//!
//! Each property's value lists regular expressions matched, whole and ignoring case, against
//! `<table id>.<column>` (or `<table id>.<type name>` for `datatype.*`). A column takes the first
//! rule that matches, in Debezium's order: truncation, masking, propagation by column, by data
//! type, hashing, hashing v2. Key fields are never mapped: Debezium maps only the value.

use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use crate::config::{ConfigErrors, ConfigMap, ConfigReader};
use crate::schema::{Schema, SchemaType};
use crate::value::Value;

/// Debezium's schema parameter names (`PropagateSourceMetadataToSchemaParameter`).
pub const TYPE_NAME_PARAMETER: &str = "__debezium.source.column.type";
pub const TYPE_LENGTH_PARAMETER: &str = "__debezium.source.column.length";
pub const TYPE_SCALE_PARAMETER: &str = "__debezium.source.column.scale";
pub const COMMENT_PARAMETER: &str = "__debezium.source.column.comment";
pub const COLUMN_NAME_PARAMETER: &str = "__debezium.source.column.name";

/// A digest Java's `MessageDigest` offers, by the names it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl Digest {
    /// The digest Java's `MessageDigest.getInstance(name)` returns (names ignore case).
    pub fn from_java_name(name: &str) -> Option<Digest> {
        Some(match name.to_ascii_uppercase().as_str() {
            "MD5" => Digest::Md5,
            "SHA" | "SHA1" | "SHA-1" => Digest::Sha1,
            "SHA224" | "SHA-224" => Digest::Sha224,
            "SHA256" | "SHA-256" => Digest::Sha256,
            "SHA384" | "SHA-384" => Digest::Sha384,
            "SHA512" | "SHA-512" => Digest::Sha512,
            "SHA512/224" | "SHA-512/224" => Digest::Sha512_224,
            "SHA512/256" | "SHA-512/256" => Digest::Sha512_256,
            "SHA3-224" => Digest::Sha3_224,
            "SHA3-256" => Digest::Sha3_256,
            "SHA3-384" => Digest::Sha3_384,
            "SHA3-512" => Digest::Sha3_512,
            _ => return None,
        })
    }

    fn digest(self, salt: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<D: sha2::Digest>(salt: &[u8], data: &[u8]) -> Vec<u8> {
            let mut d = D::new();
            d.update(salt);
            d.update(data);
            d.finalize().to_vec()
        }
        match self {
            Digest::Md5 => run::<md5::Md5>(salt, data),
            Digest::Sha1 => run::<sha1::Sha1>(salt, data),
            Digest::Sha224 => run::<sha2::Sha224>(salt, data),
            Digest::Sha256 => run::<sha2::Sha256>(salt, data),
            Digest::Sha384 => run::<sha2::Sha384>(salt, data),
            Digest::Sha512 => run::<sha2::Sha512>(salt, data),
            Digest::Sha512_224 => run::<sha2::Sha512_224>(salt, data),
            Digest::Sha512_256 => run::<sha2::Sha512_256>(salt, data),
            Digest::Sha3_224 => run::<sha3::Sha3_224>(salt, data),
            Digest::Sha3_256 => run::<sha3::Sha3_256>(salt, data),
            Digest::Sha3_384 => run::<sha3::Sha3_384>(salt, data),
            Digest::Sha3_512 => run::<sha3::Sha3_512>(salt, data),
        }
    }
}

/// One mapper a rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mapper {
    Truncate(usize),
    Mask(Arc<str>),
    Hash {
        digest: Digest,
        salt: Vec<u8>,
        v2: bool,
    },
    Propagate,
}

#[derive(Debug, Clone)]
struct Rule {
    patterns: Vec<Regex>,
    by_datatype: bool,
    mapper: Mapper,
}

/// What Debezium knows of a column: what rules match and what propagation writes.
#[derive(Debug, Clone, Copy)]
pub struct SourceColumn<'a> {
    /// Debezium's table id: `schema.table` (PostgreSQL) or `database.table` (MySQL).
    pub table_id: &'a str,
    pub name: &'a str,
    /// The type name as the connector reports it (`varchar`, `int4`, `VARCHAR`).
    pub type_name: &'a str,
    /// Debezium's `Column.length()`; `None` when unset.
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub comment: Option<&'a str>,
    /// A character column by its JDBC type (CHAR, VARCHAR, LONGVARCHAR, CLOB, N*): the only
    /// ones masking and hashing change.
    pub character: bool,
}

/// The mappers a connector's properties configure.
#[derive(Debug, Clone, Default)]
pub struct ColumnMappers {
    rules: Vec<Rule>,
}

/// How one column's values change, resolved once per table schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMap {
    Mask(Arc<str>),
    /// Strings cut to that many UTF-16 units; plain bytes (not a decimal or other logical
    /// type) too when `bytes`, as Debezium cuts only `ByteBuffer`s.
    Truncate {
        max: usize,
        bytes: bool,
    },
    Hash {
        digest: Digest,
        salt: Vec<u8>,
        v2: bool,
        /// The column's length: the hex digest is cut to it.
        cut_to: Option<usize>,
    },
}

/// A column's mapping: parameters its field schema gets, and how its values change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    pub parameters: Vec<(String, String)>,
    pub values: Option<ValueMap>,
}

impl ColumnMappers {
    /// The mappers of a connector config; every malformed property is reported.
    pub fn from_config(config: &ConfigMap) -> Result<ColumnMappers, ConfigErrors> {
        let mut reader = ConfigReader::new(config);
        let mut keys: Vec<&String> = config.keys().collect();
        keys.sort();
        let mut truncate = Vec::new();
        let mut mask = Vec::new();
        let mut propagate = Vec::new();
        let mut by_type = Vec::new();
        let mut hash = Vec::new();
        let mut hash_v2 = Vec::new();
        for key in keys {
            let (list, mapper) = if let Some(n) = number_in(key, "column.truncate.to.", ".chars") {
                (&mut truncate, n.map(Mapper::Truncate))
            } else if let Some(n) = number_in(key, "column.mask.with.", ".chars") {
                (&mut mask, n.map(|n| Mapper::Mask(Arc::from("*".repeat(n)))))
            } else if key == "column.propagate.source.type" {
                (&mut propagate, Ok(Mapper::Propagate))
            } else if key == "datatype.propagate.source.type" {
                (&mut by_type, Ok(Mapper::Propagate))
            } else if let Some(rest) = key.strip_prefix("column.mask.hash.v2.") {
                (&mut hash_v2, hash_mapper(rest, true))
            } else if let Some(rest) = key.strip_prefix("column.mask.hash.") {
                (&mut hash, hash_mapper(rest, false))
            } else {
                continue;
            };
            match mapper {
                Ok(mapper) => {
                    let patterns = patterns(&mut reader, key);
                    list.push(Rule {
                        patterns,
                        by_datatype: key == "datatype.propagate.source.type",
                        mapper,
                    });
                }
                Err(message) => reader.problem(key, message),
            }
        }
        reader.finish()?;
        let rules = [truncate, mask, propagate, by_type, hash, hash_v2].concat();
        Ok(ColumnMappers { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The mapping of `column`, whose field schema is `schema`; `None` when no rule matches it.
    pub fn mapping(&self, column: &SourceColumn<'_>, schema: &Schema) -> Option<ColumnMapping> {
        if self.rules.is_empty() {
            return None;
        }
        let by_name = format!("{}.{}", column.table_id, column.name);
        let by_type = format!("{}.{}", column.table_id, column.type_name);
        let rule = self.rules.iter().find(|r| {
            let subject = if r.by_datatype { &by_type } else { &by_name };
            r.patterns.iter().any(|p| p.is_match(subject))
        })?;
        Some(match &rule.mapper {
            Mapper::Truncate(n) => {
                let possible = column.length.is_none_or(|l| l < 0 || l as i64 > *n as i64);
                ColumnMapping {
                    parameters: if possible {
                        vec![("truncateLength".into(), n.to_string())]
                    } else {
                        Vec::new()
                    },
                    values: possible.then_some(ValueMap::Truncate {
                        max: *n,
                        bytes: schema.kind == SchemaType::Bytes && schema.name.is_none(),
                    }),
                }
            }
            Mapper::Mask(mask) => ColumnMapping {
                parameters: vec![("masked".into(), "true".into())],
                values: column.character.then(|| ValueMap::Mask(mask.clone())),
            },
            Mapper::Hash { digest, salt, v2 } => ColumnMapping {
                parameters: vec![("masked".into(), "true".into())],
                values: column.character.then(|| ValueMap::Hash {
                    digest: *digest,
                    salt: salt.clone(),
                    v2: *v2,
                    cut_to: column.length.filter(|l| *l > 0).map(|l| l as usize),
                }),
            },
            Mapper::Propagate => {
                let mut p = vec![(
                    TYPE_NAME_PARAMETER.to_owned(),
                    column.type_name.to_uppercase(),
                )];
                if let Some(l) = column.length {
                    p.push((TYPE_LENGTH_PARAMETER.to_owned(), l.to_string()));
                }
                if let Some(s) = column.scale {
                    p.push((TYPE_SCALE_PARAMETER.to_owned(), s.to_string()));
                }
                if let Some(c) = column.comment.filter(|c| !c.is_empty()) {
                    p.push((COMMENT_PARAMETER.to_owned(), c.to_owned()));
                }
                p.push((COLUMN_NAME_PARAMETER.to_owned(), column.name.to_owned()));
                ColumnMapping {
                    parameters: p,
                    values: None,
                }
            }
        })
    }
}

/// `Some(Ok(n))` when `key` is `<prefix><n><suffix>`; `Some(Err)` for a malformed number.
fn number_in(key: &str, prefix: &str, suffix: &str) -> Option<Result<usize, String>> {
    let digits = key.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<i32>().map(|n| n as usize).map_err(|_| {
        format!("{digits} is not a number of characters Debezium accepts (at most 2147483647)")
    }))
}

fn hash_mapper(rest: &str, v2: bool) -> Result<Mapper, String> {
    let Some((algorithm, salt)) = rest.split_once(".with.salt.") else {
        return Err(
            "expected column.mask.hash[.v2].<algorithm>.with.salt.<salt>, e.g. column.mask.hash.SHA-256.with.salt.CzQMA0cB5K"
                .into(),
        );
    };
    let digest = Digest::from_java_name(algorithm).ok_or_else(|| {
        format!(
            "{algorithm} is not a hash algorithm Tributary implements; valid: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256, SHA3-224, SHA3-256, SHA3-384, SHA3-512"
        )
    })?;
    Ok(Mapper::Hash {
        digest,
        salt: salt.as_bytes().to_vec(),
        v2,
    })
}

/// The property's comma-separated regular expressions, whole-match and case-insensitive
/// (Debezium's `Predicates.includes`).
fn patterns(reader: &mut ConfigReader<'_>, key: &str) -> Vec<Regex> {
    let mut out = Vec::new();
    for item in reader.list(key) {
        match RegexBuilder::new(&format!("^(?:{item})$"))
            .case_insensitive(true)
            .build()
        {
            Ok(r) => out.push(r),
            Err(e) => reader.problem(
                key,
                format!("{item:?} is not a valid regular expression: {e}"),
            ),
        }
    }
    out
}

impl ValueMap {
    /// The value a column's converted value becomes.
    pub fn apply(&self, value: Value) -> Value {
        match self {
            ValueMap::Mask(mask) => Value::String(mask.clone()),
            ValueMap::Truncate { max, bytes } => match value {
                Value::String(s) => match utf16_cut(&s, *max) {
                    Some(end) => Value::String(Arc::from(&s[..end])),
                    None => Value::String(s),
                },
                Value::Bytes(mut b) if *bytes => {
                    b.truncate(*max);
                    Value::Bytes(b)
                }
                v => v,
            },
            ValueMap::Hash {
                digest,
                salt,
                v2,
                cut_to,
            } => {
                let data = match &value {
                    Value::Null => return Value::Null,
                    Value::String(s) if !v2 => java_serialized_string(s),
                    Value::String(s) => s.as_bytes().to_vec(),
                    // Character columns convert to strings; anything else is not hashed.
                    _ => return value,
                };
                let mut hex = hex(&digest.digest(salt, &data));
                if let Some(n) = cut_to {
                    hex.truncate(*n);
                }
                Value::String(Arc::from(hex))
            }
        }
    }
}

/// The byte length of the longest prefix of `s` of at most `max` UTF-16 code units, or `None`
/// when all of `s` fits. A character Java would split in two is left out whole.
fn utf16_cut(s: &str, max: usize) -> Option<usize> {
    if s.len() <= max {
        return None;
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return Some(i);
        }
    }
    None
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// What `ObjectOutputStream.writeObject(s)` writes for a `String`: the stream header, then
/// `TC_STRING` with a 16-bit length (or `TC_LONGSTRING` with a 64-bit one) and the string in
/// Java's modified UTF-8 (NUL as two bytes, characters beyond the BMP as two surrogates).
fn java_serialized_string(s: &str) -> Vec<u8> {
    let mut utf = Vec::with_capacity(s.len() + 8);
    for c in s.chars() {
        let mut units = [0u16; 2];
        for &u in c.encode_utf16(&mut units).iter() {
            match u {
                1..=0x7f => utf.push(u as u8),
                0 | 0x80..=0x7ff => {
                    utf.push(0xc0 | (u >> 6) as u8);
                    utf.push(0x80 | (u & 0x3f) as u8);
                }
                _ => {
                    utf.push(0xe0 | (u >> 12) as u8);
                    utf.push(0x80 | ((u >> 6) & 0x3f) as u8);
                    utf.push(0x80 | (u & 0x3f) as u8);
                }
            }
        }
    }
    let mut out = vec![0xac, 0xed, 0x00, 0x05];
    if utf.len() <= 0xffff {
        out.push(0x74);
        out.extend_from_slice(&(utf.len() as u16).to_be_bytes());
    } else {
        out.push(0x7c);
        out.extend_from_slice(&(utf.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(&utf);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn column<'a>(name: &'a str, length: Option<i32>, character: bool) -> SourceColumn<'a> {
        SourceColumn {
            table_id: "public.customers",
            name,
            type_name: "varchar",
            length,
            scale: None,
            comment: None,
            character,
        }
    }

    impl ColumnMappers {
        fn mapping_for_test(&self, column: &SourceColumn<'_>) -> Option<ColumnMapping> {
            self.mapping(column, &Schema::string())
        }
    }

    #[test]
    fn rules_match_whole_names_ignoring_case_in_debeziums_order() {
        let m = ColumnMappers::from_config(&cfg(&[
            (
                "column.mask.with.3.chars",
                "public\\.customers\\.(ssn|email)",
            ),
            ("column.truncate.to.2.chars", "PUBLIC.CUSTOMERS.EMAIL"),
            ("column.propagate.source.type", ".*\\.name"),
        ]))
        .unwrap();
        // Truncation comes first, whatever the property order.
        let email = m
            .mapping_for_test(&column("email", Some(255), true))
            .unwrap();
        assert_eq!(
            email.values,
            Some(ValueMap::Truncate {
                max: 2,
                bytes: false
            })
        );
        let ssn = m.mapping_for_test(&column("ssn", Some(11), true)).unwrap();
        assert_eq!(ssn.values, Some(ValueMap::Mask(Arc::from("***"))));
        assert_eq!(ssn.parameters, vec![("masked".into(), "true".into())]);
        assert!(m.mapping_for_test(&column("ssn_2", None, true)).is_none());
        let name = m.mapping_for_test(&column("name", Some(40), true)).unwrap();
        assert_eq!(name.values, None);
        assert_eq!(
            name.parameters,
            vec![
                (TYPE_NAME_PARAMETER.into(), "VARCHAR".into()),
                (TYPE_LENGTH_PARAMETER.into(), "40".into()),
                (COLUMN_NAME_PARAMETER.into(), "name".into()),
            ]
        );
    }

    #[test]
    fn masking_leaves_non_character_columns_alone_but_marks_their_schema() {
        let m = ColumnMappers::from_config(&cfg(&[("column.mask.with.3.chars", ".*")])).unwrap();
        let id = m.mapping_for_test(&column("id", Some(10), false)).unwrap();
        assert_eq!(id.values, None);
        assert_eq!(id.parameters, vec![("masked".into(), "true".into())]);
        let ssn = m.mapping_for_test(&column("ssn", None, true)).unwrap();
        assert_eq!(
            ssn.values.unwrap().apply(Value::Null),
            Value::String(Arc::from("***"))
        );
    }

    #[test]
    fn truncation_counts_utf16_units_and_cuts_bytes() {
        let t = ValueMap::Truncate {
            max: 3,
            bytes: true,
        };
        assert_eq!(
            t.apply(Value::String(Arc::from("a😀bc"))),
            Value::String(Arc::from("a😀"))
        );
        assert_eq!(
            t.apply(Value::String(Arc::from("ab😀"))),
            Value::String(Arc::from("ab"))
        );
        assert_eq!(
            t.apply(Value::String(Arc::from("abc"))),
            Value::String(Arc::from("abc"))
        );
        assert_eq!(
            t.apply(Value::Bytes(vec![1, 2, 3, 4])),
            Value::Bytes(vec![1, 2, 3])
        );
        assert_eq!(t.apply(Value::Int32(123456)), Value::Int32(123456));
        // Not possible on a column no longer than the cut: no parameter, no change.
        let m = ColumnMappers::from_config(&cfg(&[("column.truncate.to.5.chars", ".*")])).unwrap();
        assert_eq!(
            m.mapping_for_test(&column("c", Some(5), true)).unwrap(),
            ColumnMapping::default()
        );
    }

    #[test]
    fn hashes_are_javas() {
        // Debezium's MaskStringsTest: SHA-256, salt "salt", v1, value "hello world".
        let v1 = ValueMap::Hash {
            digest: Digest::Sha256,
            salt: b"salt".to_vec(),
            v2: false,
            cut_to: None,
        };
        let v2 = ValueMap::Hash {
            digest: Digest::Sha256,
            salt: b"salt".to_vec(),
            v2: true,
            cut_to: Some(10),
        };
        let java_bytes = java_serialized_string("hello world");
        assert_eq!(&java_bytes[..7], &[0xac, 0xed, 0, 5, 0x74, 0, 11]);
        assert_eq!(
            java_serialized_string("\0"),
            vec![0xac, 0xed, 0, 5, 0x74, 0, 2, 0xc0, 0x80]
        );
        assert_eq!(
            java_serialized_string("😀")[7..],
            [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]
        );
        let Value::String(h) = v1.apply(Value::String(Arc::from("hello world"))) else {
            panic!()
        };
        assert_eq!(h.len(), 64);
        // sha256("salt" + "hello world"), cut to 10.
        assert_eq!(
            v2.apply(Value::String(Arc::from("hello world"))),
            Value::String(Arc::from("544f860190"))
        );
        assert_eq!(v1.apply(Value::Null), Value::Null);
    }

    #[test]
    fn malformed_properties_are_named() {
        let e = ColumnMappers::from_config(&cfg(&[
            ("column.mask.hash.MD2.with.salt.x", "a.b.c"),
            ("column.mask.hash.SHA-256.salt.x", "a.b.c"),
            ("column.mask.with.3.chars", "a.b.(c"),
        ]))
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("column.mask.hash.MD2.with.salt.x"), "{text}");
        assert!(text.contains("MD2 is not a hash algorithm"), "{text}");
        assert!(text.contains("column.mask.hash.SHA-256.salt.x"), "{text}");
        assert!(text.contains("column.mask.with.3.chars"), "{text}");
    }
}
