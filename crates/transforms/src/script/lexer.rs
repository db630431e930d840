//! Tokens of a scripting transform's expression, in Groovy's or JavaScript's spelling. Anything
//! that would start a construct we do not evaluate (assignment, blocks, closures, templates,
//! bit operators) is refused here with its position.

use super::{Language, Unsupported};

/// The longest expression accepted, in bytes.
pub const MAX_SOURCE: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// An integer literal's digits (and whether it ends in `L`).
    Int(String, bool),
    /// A decimal literal's text (`1.5`, `2e3`).
    Decimal(String),
    Str(String),
    Punct(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// Character offset in the expression (from 0).
    pub pos: usize,
}

/// Longest first, so `===` wins over `==`.
const PUNCT: &[&str] = &[
    "===", "!==", "==~", "?.", "?:", "??", "==", "!=", "<=", ">=", "&&", "||", ".", "[", "]", "(",
    ")", ",", "?", ":", "<", ">", "!", "+", "-", "*", "/", "%",
];

/// Spellings we refuse, each with what it is.
const REFUSED: &[(&str, &str)] = &[
    ("<=>", "the <=> operator"),
    ("=~", "the =~ operator"),
    ("**", "the ** operator"),
    ("++", "increment"),
    ("--", "decrement"),
    ("+=", "assignment"),
    ("-=", "assignment"),
    ("*=", "assignment"),
    ("/=", "assignment"),
    ("%=", "assignment"),
    ("=>", "an arrow function"),
    ("->", "a closure"),
    ("*.", "the spread operator"),
    (".&", "a method reference"),
    (".@", "direct field access"),
    ("::", "a method reference"),
    ("<<", "a shift operator"),
    (">>", "a shift operator"),
    ("...", "spread"),
    ("..", "a range"),
    ("=", "assignment"),
    ("{", "a block or closure"),
    ("}", "a block or closure"),
    (";", "more than one statement"),
    ("`", "a template literal"),
    ("&", "a bit operator"),
    ("|", "a bit operator"),
    ("^", "a bit operator"),
    ("~", "a bit operator"),
    ("@", "an annotation"),
    ("#", "a private name"),
    ("\\", "a backslash"),
];

pub fn lex(src: &str, lang: Language) -> Result<Vec<Token>, Unsupported> {
    if src.len() > MAX_SOURCE {
        return Err(Unsupported::new(
            0,
            format!("an expression longer than {MAX_SOURCE} bytes"),
        ));
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = i;
            i += 2;
            loop {
                if i + 1 >= chars.len() {
                    return Err(Unsupported::new(start, "an unterminated comment"));
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    break;
                }
                i += 1;
            }
            continue;
        }
        let pos = i;
        if c.is_alphabetic() || c == '_' || c == '$' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[pos..i].iter().collect();
            out.push(Token {
                tok: Tok::Ident(word),
                pos,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (tok, next) = number(&chars, i, lang)?;
            out.push(Token { tok, pos });
            i = next;
            continue;
        }
        if c == '\'' || c == '"' {
            let (s, next) = string(&chars, i, lang)?;
            out.push(Token {
                tok: Tok::Str(s),
                pos,
            });
            i = next;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        // Refused spellings that a longer accepted one does not cover (`==` is not `=`).
        let accepted = PUNCT.iter().find(|p| rest.starts_with(**p));
        let refused = REFUSED.iter().find(|(p, _)| rest.starts_with(*p));
        match (accepted, refused) {
            (Some(a), Some((r, what))) if r.len() > a.len() => {
                return Err(Unsupported::new(pos, *what))
            }
            (Some(a), _) => {
                if lang == Language::JavaScript && *a == "==~" {
                    return Err(Unsupported::new(pos, "the ==~ operator (Groovy only)"));
                }
                if lang == Language::Groovy && (*a == "===" || *a == "!==") {
                    return Err(Unsupported::new(
                        pos,
                        "identity comparison (=== and !== in Groovy)",
                    ));
                }
                if lang == Language::Groovy && *a == "??" {
                    return Err(Unsupported::new(pos, "the ?? operator (JavaScript only)"));
                }
                if lang == Language::JavaScript && *a == "?:" {
                    // `a ?: b` is not JavaScript; `c ? : x` is a syntax error there too.
                    return Err(Unsupported::new(pos, "the ?: operator (Groovy only)"));
                }
                out.push(Token {
                    tok: Tok::Punct(a),
                    pos,
                });
                i += a.chars().count();
            }
            (None, Some((_, what))) => return Err(Unsupported::new(pos, *what)),
            (None, None) => {
                return Err(Unsupported::new(pos, format!("the character {c:?}")));
            }
        }
    }
    Ok(out)
}

fn number(chars: &[char], start: usize, lang: Language) -> Result<(Tok, usize), Unsupported> {
    let mut i = start;
    if chars[i] == '0' && matches!(chars.get(i + 1), Some('x' | 'X' | 'b' | 'B' | 'o' | 'O')) {
        return Err(Unsupported::new(
            start,
            "a hexadecimal, octal or binary literal",
        ));
    }
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    let mut decimal = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        decimal = true;
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            decimal = true;
            i = j;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    let text: String = chars[start..i].iter().collect();
    if text.len() > 40 {
        return Err(Unsupported::new(
            start,
            "a numeric literal of more than 40 characters",
        ));
    }
    let mut long = false;
    if let Some(&suffix) = chars.get(i) {
        if suffix.is_alphanumeric() || suffix == '_' {
            if lang == Language::Groovy && !decimal && (suffix == 'L' || suffix == 'l') {
                long = true;
                i += 1;
                if chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    return Err(Unsupported::new(start, "a malformed numeric literal"));
                }
            } else {
                return Err(Unsupported::new(
                    start,
                    format!("the numeric literal suffix {suffix:?}"),
                ));
            }
        }
    }
    let tok = if decimal {
        Tok::Decimal(text)
    } else {
        Tok::Int(text, long)
    };
    Ok((tok, i))
}

fn string(chars: &[char], start: usize, lang: Language) -> Result<(String, usize), Unsupported> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    if triple && lang == Language::Groovy {
        return Err(Unsupported::new(start, "a triple-quoted string"));
    }
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(Unsupported::new(start, "an unterminated string"));
        };
        i += 1;
        if c == quote {
            return Ok((out, i));
        }
        match c {
            '\n' | '\r' => return Err(Unsupported::new(start, "an unterminated string")),
            '$' if quote == '"' && lang == Language::Groovy => {
                return Err(Unsupported::new(
                    i - 1,
                    "string interpolation (a GString; use 'single quotes' and +)",
                ))
            }
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return Err(Unsupported::new(start, "an unterminated string"));
                };
                i += 1;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    '0' if lang == Language::JavaScript
                        && !chars.get(i).is_some_and(char::is_ascii_digit) =>
                    {
                        out.push('\0')
                    }
                    '\\' | '\'' | '"' | '$' | '/' => out.push(e),
                    'u' => {
                        let hex: String = chars.get(i..i + 4).unwrap_or(&[]).iter().collect();
                        let code = (hex.len() == 4)
                            .then(|| u32::from_str_radix(&hex, 16).ok())
                            .flatten()
                            .and_then(char::from_u32);
                        match code {
                            Some(ch) => out.push(ch),
                            None => {
                                return Err(Unsupported::new(
                                    i - 2,
                                    "a \\u escape that is not four hex digits of one character",
                                ))
                            }
                        }
                        i += 4;
                    }
                    other => {
                        return Err(Unsupported::new(
                            i - 2,
                            format!("the escape \\{other} in a string"),
                        ))
                    }
                }
            }
            _ => out.push(c),
        }
    }
}
