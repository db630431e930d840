//! A small JSON parser for the reader: keeps each number's text (so decimals and 64-bit
//! integers convert exactly, and floats round once, correctly), the byte span of each object
//! member's value (the schema cache's key), and refuses nesting deeper than [`MAX_DEPTH`].
//!
//! It reads what Jackson's `ObjectMapper`, as Connect's `JsonDeserializer` configures it, reads:
//! RFC 8259 JSON plus leading zeros in numbers (`ALLOW_LEADING_ZEROS_FOR_NUMBERS`), a repeated
//! object key keeping its first position and its last value (Jackson's `ObjectNode.replace`),
//! and an empty document as a missing (null) value. Unlike Jackson it refuses trailing content.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

/// Deepest nesting of arrays and objects accepted (Jackson 2.16 allows 1000; Debezium's deepest
/// schemas nest about 8). Bounds the recursion here and in the conversion that walks the tree.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value borrowing from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// The number's text, already checked against the JSON number grammar.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
    /// A value checked against the grammar but not built: a top-level member named in
    /// [`parse_skipping`]. Its text is the member's span.
    Skipped,
}

/// One object member: its key, its value and the value's byte span in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    pub value: Node<'a>,
    pub span: Range<usize>,
}

impl<'a> Node<'a> {
    /// The member named `key`.
    pub fn get(members: &'a [Member<'a>], key: &str) -> Option<&'a Node<'a>> {
        members.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    /// What kind of JSON value this is, for error messages (never the value itself: it may be
    /// row data).
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(text) if is_integral(text) => "an integer",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
            Node::Skipped => "a value",
        }
    }
}

/// Whether a number's text has no fraction and no exponent (Jackson's `isIntegralNumber`).
pub fn is_integral(text: &str) -> bool {
    !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// Why the input is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses a whole document. An empty (or all-whitespace) document is `None`.
pub fn parse(text: &str) -> Result<Option<Node<'_>>, SyntaxError> {
    parse_skipping(text, None)
}

/// A top-level member whose value [`parse_skipping`] checks but does not build.
#[derive(Debug, Clone, Copy)]
pub struct Skip<'s> {
    pub key: &'s str,
    /// A complete object or array seen before (the last record's schema): a value starting
    /// with its text is that text, and is not scanned again (a JSON object or array ends where
    /// its text ends, whatever follows).
    pub known: Option<&'s str>,
}

/// [`parse`], except that when the document is an object, the value of its member named by
/// `skip` is only checked against the grammar and becomes [`Node::Skipped`] (a literal `null`
/// stays [`Node::Null`]). The JSON converter's envelope uses it for the schema, which is read
/// from the cache by its text: building its tree for every record cost more than the payload.
pub fn parse_skipping<'a>(
    text: &'a str,
    skip: Option<Skip<'_>>,
) -> Result<Option<Node<'a>>, SyntaxError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        skip,
    };
    // A UTF-8 byte order mark, which Jackson skips.
    if p.bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        p.pos = 3;
    }
    p.skip_ws();
    if p.pos == p.bytes.len() {
        return Ok(None);
    }
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("trailing characters after the JSON value"));
    }
    Ok(Some(node))
}

struct Parser<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The top-level member whose value is checked, not built.
    skip: Option<Skip<'s>>,
}

impl<'a> Parser<'a, '_> {
    fn error(&self, reason: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static str, node: Node<'a>) -> Result<Node<'a>, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays and objects nested too deeply"));
        }
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays and objects nested too deeply"));
        }
        self.pos += 1; // {
        let mut members: Vec<Member<'a>> = Vec::new();
        // Index of keys once an object is large enough for linear search to matter.
        let mut index: Option<HashMap<Cow<'a, str>, usize>> = None;
        // Which (length, first byte) classes of keys the object has had so far.
        let mut seen = 0u64;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key in an object"));
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "expected ':' after an object key")?;
            self.skip_ws();
            let start = self.pos;
            let value = match self.skip {
                Some(skip) if depth == 1 && key == skip.key && self.peek() != Some(b'n') => {
                    match skip.known {
                        Some(known)
                            if matches!(known.as_bytes().first(), Some(b'{' | b'['))
                                && self.bytes[self.pos..].starts_with(known.as_bytes()) =>
                        {
                            self.pos += known.len()
                        }
                        _ => self.skip_value(depth)?,
                    }
                    Node::Skipped
                }
                _ => self.value(depth)?,
            };
            let span = start..self.pos;
            // A key seen before is looked for only when its length and first byte were seen
            // before: most objects have no repeated key, and a linear search per member made
            // parsing quadratic in an object's size.
            let bit = 1u64
                << ((key.len() as u64 ^ u64::from(key.as_bytes().first().copied().unwrap_or(0)))
                    % 64);
            let maybe_seen = seen & bit != 0;
            seen |= bit;
            let existing = match &index {
                Some(index) => index.get(&key).copied(),
                None if maybe_seen => members.iter().position(|m| m.key == key),
                None => None,
            };
            match existing {
                Some(i) => {
                    members[i].value = value;
                    members[i].span = span;
                }
                None => {
                    if let Some(index) = &mut index {
                        index.insert(key.clone(), members.len());
                    }
                    members.push(Member { key, value, span });
                    if index.is_none() && members.len() > 16 {
                        index = Some(
                            members
                                .iter()
                                .enumerate()
                                .map(|(i, m)| (m.key.clone(), i))
                                .collect(),
                        );
                    }
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    /// Checks one value against the grammar, as [`Parser::value`] would, building nothing.
    fn skip_value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        let close = match self.peek() {
            Some(b'{') => b'}',
            Some(b'[') => b']',
            _ => return self.value(depth).map(drop),
        };
        if depth + 1 > MAX_DEPTH {
            return Err(self.error("arrays and objects nested too deeply"));
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if close == b'}' {
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a string key in an object"));
                }
                self.string()?;
                self.skip_ws();
                self.expect(b':', "expected ':' after an object key")?;
                self.skip_ws();
            }
            self.skip_value(depth + 1)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ if close == b'}' => return Err(self.error("expected ',' or '}' in an object")),
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn number(&mut self) -> Result<Node<'a>, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if !self.digits() {
            return Err(self.error("expected digits in a number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.digits() {
                return Err(self.error("expected digits after '.' in a number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.digits() {
                return Err(self.error("expected digits in a number's exponent"));
            }
        }
        Ok(Node::Number(&self.text[start..self.pos]))
    }

    /// Skips ASCII digits; whether there was at least one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos > start
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Fast path: no escapes, borrow the text.
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => {
                    // Copy the run up to the next quote, escape or control character.
                    let run = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run..self.pos]);
                }
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&high) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(self.error("unpaired surrogate in a \\u escape"));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xdc00..0xe000).contains(&low) {
                return Err(self.error("unpaired surrogate in a \\u escape"));
            }
            0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate in a \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("expected four hex digits in a \\u escape"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }
}
