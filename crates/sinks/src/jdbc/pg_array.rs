//! A `text[]` parameter rendered into one buffer. The PostgreSQL writer's multi-row statements
//! bind one array per column (`unnest($1::text[], ...)`); building each as a
//! `Vec<Option<String>>` cost an allocation per value, this costs two per column.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

use super::bind::SqlValue;
use super::pg_text::pg_text_into;

/// One column's values in PostgreSQL's text input format, bound as a one-dimensional `text[]`.
#[derive(Debug, Default, Clone)]
pub struct TextArray {
    text: String,
    /// Each element's end in `text` (its start is the previous element's end), `None` for NULL.
    ends: Vec<Option<usize>>,
}

impl TextArray {
    pub fn with_capacity(elements: usize) -> Self {
        TextArray {
            text: String::with_capacity(elements * 16),
            ends: Vec::with_capacity(elements),
        }
    }

    /// Appends a value's text ([`pg_text_into`]).
    pub fn push(&mut self, v: &SqlValue) {
        let end = pg_text_into(v, &mut self.text).then_some(self.text.len());
        self.ends.push(end);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> {
        let mut start = 0;
        self.ends.iter().map(move |end| {
            let end = (*end)?;
            let item = &self.text[start..end];
            start = end;
            Some(item)
        })
    }
}

fn length(n: usize, what: &str) -> Result<i32, Box<dyn Error + Sync + Send>> {
    i32::try_from(n)
        .map_err(|_| format!("{what} of {n} is too large for a PostgreSQL array").into())
}

impl ToSql for TextArray {
    /// The array's binary form: dimensions, null flag and element type, then each element's
    /// length (-1 for NULL) and bytes, as `array_send` writes it.
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.put_i32(1);
        out.put_i32(i32::from(self.ends.iter().any(Option::is_none)));
        out.put_u32(Type::TEXT.oid());
        out.put_i32(length(self.ends.len(), "an array length")?);
        out.put_i32(1);
        for item in self.iter() {
            match item {
                None => out.put_i32(-1),
                Some(text) => {
                    out.put_i32(length(text.len(), "an element length")?);
                    out.put_slice(text.as_bytes());
                }
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TEXT_ARRAY
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: &dyn ToSql) -> BytesMut {
        let mut out = BytesMut::new();
        v.to_sql_checked(&Type::TEXT_ARRAY, &mut out).unwrap();
        out
    }

    #[test]
    fn encodes_as_tokio_postgres_encodes_a_vec_of_optional_strings() {
        let values = [
            SqlValue::I32(7),
            SqlValue::Null,
            SqlValue::Text("a,b \"c\"\t{}".into()),
            SqlValue::Text(String::new()),
            SqlValue::Bool(true),
        ];
        let mut array = TextArray::with_capacity(values.len());
        for v in &values {
            array.push(v);
        }
        let expected: Vec<Option<String>> =
            values.iter().map(super::super::pg_text::pg_text).collect();
        assert_eq!(
            array
                .iter()
                .map(|s| s.map(str::to_owned))
                .collect::<Vec<_>>(),
            expected
        );
        assert_eq!(encoded(&array), encoded(&expected));
        let empty = TextArray::default();
        assert!(empty.is_empty());
        assert_eq!(encoded(&empty), encoded(&Vec::<Option<String>>::new()));
    }
}
