//! Arrays: both wire formats parsed into elements; the element decoding is the caller's.
//!
//! Debezium converts each element of `PgArray.getArray()` with the element converter. For a
//! multi-dimensional array those elements are themselves arrays, which the converters cannot
//! handle and turn into null: a 2-D array becomes a list of nulls, one per row. We do the same.

use super::wire::{Decoded, Fault, Wire};

const MAXDIM: i32 = 6;
const BAD: Fault = Fault::Malformed("not an array");

/// A binary array: its dimensions and its elements in row-major order (`None` for NULL).
pub(crate) struct BinaryArray<'a> {
    pub(crate) dims: Vec<usize>,
    pub(crate) elements: Vec<Option<&'a [u8]>>,
}

/// `array_send`: ndim, has-nulls flag, element OID, (length, lower bound) per dimension, then
/// each element length-prefixed.
pub(crate) fn parse_binary(raw: &[u8]) -> Decoded<BinaryArray<'_>> {
    let mut w = Wire::new(raw);
    let ndim = w.i32()?;
    let _has_nulls = w.i32()?;
    let _element_oid = w.u32()?;
    if !(0..=MAXDIM).contains(&ndim) {
        return Err(Fault::Malformed("invalid array dimension count"));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    let mut count: usize = if ndim == 0 { 0 } else { 1 };
    for _ in 0..ndim {
        let len =
            usize::try_from(w.i32()?).map_err(|_| Fault::Malformed("negative array length"))?;
        let _lower = w.i32()?;
        count = count.checked_mul(len).ok_or(BAD)?;
        dims.push(len);
    }
    // Each element takes at least its 4-byte length.
    if count > w.remaining() / 4 {
        return Err(super::wire::TRUNCATED);
    }
    let mut elements = Vec::with_capacity(count);
    for _ in 0..count {
        elements.push(w.field()?);
    }
    w.finish()?;
    Ok(BinaryArray { dims, elements })
}

/// An element of a text array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Null,
    Text(String),
    Sub(Vec<Node>),
}

/// `array_out`'s text: `{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`, `[0:1]={1,2}`.
pub(crate) fn parse_text(s: &str, delimiter: char) -> Decoded<Vec<Node>> {
    let mut body = s.trim();
    if body.starts_with('[') {
        let eq = body.find('=').ok_or(BAD)?;
        body = body.get(eq + 1..).ok_or(BAD)?.trim_start();
    }
    let mut chars = body.chars().peekable();
    if chars.next() != Some('{') {
        return Err(BAD);
    }
    let nodes = parse_level(&mut chars, delimiter, 1)?;
    if chars.any(|c| !c.is_whitespace()) {
        return Err(BAD);
    }
    Ok(nodes)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Elements up to and including the closing `}` of a level whose `{` was consumed.
fn parse_level(chars: &mut Chars<'_>, delimiter: char, depth: i32) -> Decoded<Vec<Node>> {
    if depth > MAXDIM {
        return Err(BAD);
    }
    let mut nodes = Vec::new();
    loop {
        skip_whitespace(chars);
        match chars.peek().copied() {
            None => return Err(BAD),
            Some('}') if nodes.is_empty() => {
                chars.next();
                return Ok(nodes);
            }
            Some('{') => {
                chars.next();
                nodes.push(Node::Sub(parse_level(chars, delimiter, depth + 1)?));
            }
            Some('"') => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(BAD),
                        Some('"') => break,
                        Some('\\') => text.push(chars.next().ok_or(BAD)?),
                        Some(c) => text.push(c),
                    }
                }
                nodes.push(Node::Text(text));
            }
            Some(_) => {
                let mut text = String::new();
                let mut escaped_any = false;
                while let Some(&c) = chars.peek() {
                    if c == delimiter || c == '}' {
                        break;
                    }
                    chars.next();
                    if c == '\\' {
                        text.push(chars.next().ok_or(BAD)?);
                        escaped_any = true;
                    } else {
                        text.push(c);
                    }
                }
                let text = text.trim_end().to_owned();
                if !escaped_any && text.eq_ignore_ascii_case("NULL") {
                    nodes.push(Node::Null);
                } else {
                    nodes.push(Node::Text(text));
                }
            }
        }
        skip_whitespace(chars);
        match chars.next() {
            Some('}') => return Ok(nodes),
            Some(c) if c == delimiter => {}
            _ => return Err(BAD),
        }
    }
}

fn skip_whitespace(chars: &mut Chars<'_>) {
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Node {
        Node::Text(s.to_owned())
    }

    #[test]
    fn parses_array_out() {
        assert_eq!(parse_text("{}", ',').unwrap(), vec![]);
        assert_eq!(
            parse_text(r#"{1,NULL,"NULL","a \"b\"",c\,d}"#, ',').unwrap(),
            vec![
                text("1"),
                Node::Null,
                text("NULL"),
                text("a \"b\""),
                text("c,d")
            ]
        );
        assert_eq!(
            parse_text("[0:1]={{1,2},{3,4}}", ',').unwrap(),
            vec![
                Node::Sub(vec![text("1"), text("2")]),
                Node::Sub(vec![text("3"), text("4")])
            ]
        );
        assert_eq!(
            parse_text("{(1,2),(0,0);(3,3),(2,2)}", ';').unwrap().len(),
            2
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            "",
            "{",
            "{1,",
            "{1}x",
            "{\"a}",
            "1,2",
            "{1,,2}x",
            "{{{{{{{1}}}}}}}",
        ] {
            assert!(parse_text(bad, ',').is_err(), "{bad}");
        }
        assert!(parse_binary(&[0, 0, 0, 1]).is_err());
        // one dimension of 2^31-1 elements and no data
        let mut raw = vec![
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1,
        ];
        assert!(parse_binary(&raw).is_err());
        raw[0..4].copy_from_slice(&7i32.to_be_bytes());
        assert!(parse_binary(&raw).is_err());
    }
}
