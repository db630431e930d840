//! The expression grammar (precedence from loosest):
//!
//! ```text
//! expr     = nullish [ "?" expr ":" expr | "?:" expr ]        (Groovy's elvis, right-assoc)
//! nullish  = or { "??" or }                                   (JavaScript)
//! or       = and { "||" and }
//! and      = equality { "&&" equality }
//! equality = relation { ("==" | "!=" | "===" | "!==" | "==~") relation }
//! relation = additive { ("<" | "<=" | ">" | ">=" | "in") additive }   ("in": Groovy)
//! additive = term { ("+" | "-") term }
//! term     = unary { ("*" | "/" | "%") unary }
//! unary    = ("!" | "-" | "+") unary | postfix
//! postfix  = primary { ("." | "?.") name [ "(" args ")" ] | "[" expr "]" }
//! primary  = literal | binding | "(" expr ")" | "[" [ expr { "," expr } ] "]"
//! ```
//!
//! Names are the six bindings; a call is a method (of the list in [`METHODS`]) on a value.
//! Anything else is refused with its position.

use super::lexer::{Tok, Token};
use super::value::{Dec, Val};
use super::{Language, Unsupported};

/// How deep expressions may nest (parentheses, operators, calls) as written.
pub const MAX_DEPTH: usize = 64;

/// How deep the parsed tree may be (evaluation recurses that deep).
pub const MAX_TREE_DEPTH: usize = 64;

/// How many binary operators may follow each other (`a + b + ...`).
const MAX_CHAIN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Key,
    Value,
    KeySchema,
    ValueSchema,
    Topic,
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    RegexMatch,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Lit(Val<'static>),
    Binding(Binding),
    List(Vec<Expr>),
    Member {
        obj: Box<Expr>,
        name: String,
        safe: bool,
    },
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
    },
    Call {
        obj: Box<Expr>,
        method: String,
        args: Vec<Expr>,
        safe: bool,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Pos(Box<Expr>),
    Bin {
        op: BinOp,
        l: Box<Expr>,
        r: Box<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Elvis(Box<Expr>, Box<Expr>),
    Nullish(Box<Expr>, Box<Expr>),
}

/// The methods an expression may call, by language, with how many arguments each takes. Which
/// receivers have them is decided when evaluating (as Groovy and JavaScript decide).
pub const METHODS: &[(&str, &[usize], Lang)] = &[
    ("startsWith", &[1], Lang::Both),
    ("endsWith", &[1], Lang::Both),
    ("toUpperCase", &[0], Lang::Both),
    ("toLowerCase", &[0], Lang::Both),
    ("substring", &[1, 2], Lang::Both),
    ("trim", &[0], Lang::Both),
    ("indexOf", &[1], Lang::Both),
    ("toString", &[0], Lang::Both),
    ("replace", &[2], Lang::Both),
    ("includes", &[1], Lang::Js),
    ("contains", &[1], Lang::Groovy),
    ("equals", &[1], Lang::Groovy),
    ("equalsIgnoreCase", &[1], Lang::Groovy),
    ("matches", &[1], Lang::Groovy),
    ("length", &[0], Lang::Groovy),
    ("size", &[0], Lang::Groovy),
    ("isEmpty", &[0], Lang::Groovy),
    ("containsKey", &[1], Lang::Groovy),
    ("get", &[1], Lang::Groovy),
    ("getWithoutDefault", &[1], Lang::Groovy),
    ("getStruct", &[1], Lang::Groovy),
    ("getString", &[1], Lang::Groovy),
    ("getBoolean", &[1], Lang::Groovy),
    ("getInt8", &[1], Lang::Groovy),
    ("getInt16", &[1], Lang::Groovy),
    ("getInt32", &[1], Lang::Groovy),
    ("getInt64", &[1], Lang::Groovy),
    ("getFloat32", &[1], Lang::Groovy),
    ("getFloat64", &[1], Lang::Groovy),
    ("getArray", &[1], Lang::Groovy),
    ("getMap", &[1], Lang::Groovy),
    ("schema", &[0], Lang::Groovy),
    ("name", &[0], Lang::Both),
    ("version", &[0], Lang::Both),
    ("doc", &[0], Lang::Both),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Both,
    Groovy,
    Js,
}

pub fn parse(tokens: &[Token], lang: Language, src_len: usize) -> Result<Expr, Unsupported> {
    let mut p = Parser {
        tokens,
        at: 0,
        lang,
        depth: 0,
        end: src_len,
    };
    if tokens.is_empty() {
        return Err(Unsupported::new(0, "an empty expression"));
    }
    let e = p.expr()?;
    if tree_depth(&e) > MAX_TREE_DEPTH {
        return Err(Unsupported::new(
            0,
            format!("an expression nested deeper than {MAX_TREE_DEPTH} operations"),
        ));
    }
    if let Some(t) = p.peek() {
        return Err(Unsupported::new(
            t.pos,
            format!("{} after a complete expression", describe(&t.tok)),
        ));
    }
    Ok(e)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    lang: Language,
    depth: usize,
    end: usize,
}

/// The depth of the tree, without recursing.
fn tree_depth<'a>(e: &'a Expr) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&'a Expr, usize)> = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        if max > MAX_TREE_DEPTH {
            break;
        }
        let mut push = |c: &'a Expr| stack.push((c, d + 1));
        match e {
            Expr::Lit(_) | Expr::Binding(_) => {}
            Expr::List(items) => items.iter().for_each(push),
            Expr::Member { obj, .. } => push(obj),
            Expr::Index { obj, index } => {
                push(obj);
                push(index);
            }
            Expr::Call { obj, args, .. } => {
                push(obj);
                args.iter().for_each(push);
            }
            Expr::Not(x) | Expr::Neg(x) | Expr::Pos(x) => push(x),
            Expr::Bin { l, r, .. }
            | Expr::And(l, r)
            | Expr::Or(l, r)
            | Expr::Elvis(l, r)
            | Expr::Nullish(l, r) => {
                push(l);
                push(r);
            }
            Expr::Cond(c, a, b) => {
                push(c);
                push(a);
                push(b);
            }
        }
    }
    max
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("the name {s:?}"),
        Tok::Int(s, _) | Tok::Decimal(s) => format!("the number {s}"),
        Tok::Str(_) => "a string".to_owned(),
        Tok::Punct(p) => format!("{p:?}"),
    }
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.at)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(q), .. }) if *q == p) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), Unsupported> {
        if self.punct(p) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(t) => Unsupported::new(
                t.pos,
                format!("{} where {p:?} was expected", describe(&t.tok)),
            ),
            None => Unsupported::new(
                self.end,
                format!("the end of the expression where {p:?} was expected"),
            ),
        })
    }

    fn enter(&mut self) -> Result<(), Unsupported> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsupported::new(
                self.pos(),
                format!("nesting deeper than {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, Unsupported> {
        self.enter()?;
        let c = self.nullish()?;
        let e = if self.punct("?") {
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            Expr::Cond(Box::new(c), Box::new(a), Box::new(b))
        } else if self.punct("?:") {
            let b = self.expr()?;
            Expr::Elvis(Box::new(c), Box::new(b))
        } else {
            c
        };
        self.depth -= 1;
        Ok(e)
    }

    fn nullish(&mut self) -> Result<Expr, Unsupported> {
        let mut l = self.or()?;
        let mut n = 0;
        while self.punct("??") {
            self.chain(&mut n)?;
            let r = self.or()?;
            l = Expr::Nullish(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn or(&mut self) -> Result<Expr, Unsupported> {
        let mut l = self.and()?;
        let mut n = 0;
        while self.punct("||") {
            self.chain(&mut n)?;
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, Unsupported> {
        let mut l = self.binary(0)?;
        let mut n = 0;
        while self.punct("&&") {
            self.chain(&mut n)?;
            let r = self.binary(0)?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    /// Levels 0 (equality) to 3 (multiplicative).
    fn binary(&mut self, level: usize) -> Result<Expr, Unsupported> {
        if level == 4 {
            return self.unary();
        }
        let mut l = self.binary(level + 1)?;
        let mut n = 0;
        while let Some(t) = self.peek() {
            let op = match (&t.tok, level) {
                (Tok::Punct("=="), 0) => BinOp::Eq,
                (Tok::Punct("!="), 0) => BinOp::Ne,
                (Tok::Punct("==="), 0) => BinOp::StrictEq,
                (Tok::Punct("!=="), 0) => BinOp::StrictNe,
                (Tok::Punct("==~"), 0) => BinOp::RegexMatch,
                (Tok::Punct("<"), 1) => BinOp::Lt,
                (Tok::Punct("<="), 1) => BinOp::Le,
                (Tok::Punct(">"), 1) => BinOp::Gt,
                (Tok::Punct(">="), 1) => BinOp::Ge,
                (Tok::Ident(w), 1) if w == "in" => {
                    if self.lang == Language::JavaScript {
                        return Err(Unsupported::new(t.pos, "the in operator (in JavaScript)"));
                    }
                    BinOp::In
                }
                (Tok::Ident(w), 1) if w == "instanceof" => {
                    return Err(Unsupported::new(t.pos, "instanceof"));
                }
                (Tok::Punct("+"), 2) => BinOp::Add,
                (Tok::Punct("-"), 2) => BinOp::Sub,
                (Tok::Punct("*"), 3) => BinOp::Mul,
                (Tok::Punct("/"), 3) => BinOp::Div,
                (Tok::Punct("%"), 3) => BinOp::Rem,
                _ => break,
            };
            self.at += 1;
            self.chain(&mut n)?;
            let r = self.binary(level + 1)?;
            l = Expr::Bin {
                op,
                l: Box::new(l),
                r: Box::new(r),
            };
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Expr, Unsupported> {
        self.enter()?;
        let e = if self.punct("!") {
            Expr::Not(Box::new(self.unary()?))
        } else if self.punct("-") {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.punct("+") {
            Expr::Pos(Box::new(self.unary()?))
        } else {
            self.postfix()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn postfix(&mut self) -> Result<Expr, Unsupported> {
        let mut e = self.primary()?;
        let mut links = 0;
        loop {
            let safe = if self.punct(".") {
                false
            } else if self.punct("?.") {
                true
            } else if self.punct("[") {
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::Index {
                    obj: Box::new(e),
                    index: Box::new(index),
                };
                links += 1;
                self.limit(links)?;
                continue;
            } else {
                break;
            };
            let pos = self.pos();
            let name = match self.peek() {
                Some(Token {
                    tok: Tok::Ident(n), ..
                }) => n.clone(),
                Some(Token {
                    tok: Tok::Str(s), ..
                }) if self.lang == Language::Groovy => s.clone(),
                Some(t) => {
                    return Err(Unsupported::new(
                        t.pos,
                        format!("{} after \".\"", describe(&t.tok)),
                    ))
                }
                None => return Err(Unsupported::new(self.end, "an expression ending in \".\"")),
            };
            self.at += 1;
            links += 1;
            self.limit(links)?;
            if self.punct("(") {
                let args = self.args()?;
                let Some((_, arities, lang)) = METHODS.iter().find(|(m, _, _)| *m == name) else {
                    return Err(Unsupported::new(pos, format!("the method {name}()")));
                };
                let for_lang = match lang {
                    Lang::Both => true,
                    Lang::Groovy => self.lang == Language::Groovy,
                    Lang::Js => self.lang == Language::JavaScript,
                };
                if !for_lang {
                    return Err(Unsupported::new(
                        pos,
                        format!("the method {name}() (in {})", self.lang.name()),
                    ));
                }
                if !arities.contains(&args.len()) {
                    return Err(Unsupported::new(
                        pos,
                        format!("{name}() with {} argument(s)", args.len()),
                    ));
                }
                e = Expr::Call {
                    obj: Box::new(e),
                    method: name,
                    args,
                    safe,
                };
            } else {
                e = Expr::Member {
                    obj: Box::new(e),
                    name,
                    safe,
                };
            }
        }
        if let Some(t) = self.peek() {
            if matches!(t.tok, Tok::Punct("(")) {
                return Err(Unsupported::new(
                    t.pos,
                    "calling something other than a method",
                ));
            }
        }
        Ok(e)
    }

    fn chain(&self, n: &mut usize) -> Result<(), Unsupported> {
        *n += 1;
        if *n > MAX_CHAIN {
            return Err(Unsupported::new(
                self.pos(),
                format!("more than {MAX_CHAIN} operators in a row"),
            ));
        }
        Ok(())
    }

    fn limit(&self, links: usize) -> Result<(), Unsupported> {
        if links > MAX_DEPTH {
            return Err(Unsupported::new(
                self.pos(),
                format!("a chain of more than {MAX_DEPTH} property accesses and calls"),
            ));
        }
        Ok(())
    }

    fn args(&mut self) -> Result<Vec<Expr>, Unsupported> {
        let mut args = Vec::new();
        if self.punct(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.punct(")") {
                return Ok(args);
            }
            self.expect(",")?;
            if args.len() > 8 {
                return Err(Unsupported::new(self.pos(), "more than 8 arguments"));
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, Unsupported> {
        let Some(t) = self.peek() else {
            return Err(Unsupported::new(self.end, "an incomplete expression"));
        };
        self.at += 1;
        let pos = t.pos;
        Ok(match &t.tok {
            Tok::Str(s) => Expr::Lit(Val::Str(s.clone().into())),
            Tok::Int(digits, long) => Expr::Lit(self.int(digits, *long, pos)?),
            Tok::Decimal(text) => Expr::Lit(self.decimal(text, pos)?),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                e
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.punct("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.punct("]") {
                            break;
                        }
                        self.expect(",")?;
                        if items.len() >= 256 {
                            return Err(Unsupported::new(
                                self.pos(),
                                "a list of more than 256 items",
                            ));
                        }
                    }
                }
                Expr::List(items)
            }
            Tok::Ident(w) => match (w.as_str(), self.lang) {
                ("null", _) => Expr::Lit(Val::Null),
                ("true", _) => Expr::Lit(Val::Bool(true)),
                ("false", _) => Expr::Lit(Val::Bool(false)),
                ("undefined", Language::JavaScript) => Expr::Lit(Val::Undefined),
                ("key", _) => Expr::Binding(Binding::Key),
                ("value", _) => Expr::Binding(Binding::Value),
                ("keySchema", _) => Expr::Binding(Binding::KeySchema),
                ("valueSchema", _) => Expr::Binding(Binding::ValueSchema),
                ("topic", _) => Expr::Binding(Binding::Topic),
                ("header", _) => Expr::Binding(Binding::Header),
                (
                    "new" | "import" | "def" | "var" | "let" | "const" | "function" | "class"
                    | "return" | "if" | "else" | "for" | "while" | "do" | "switch" | "try"
                    | "catch" | "throw" | "delete" | "typeof" | "void" | "this" | "super" | "yield"
                    | "await" | "with" | "assert" | "synchronized",
                    _,
                ) => return Err(Unsupported::new(pos, format!("the keyword {w}"))),
                _ => {
                    return Err(Unsupported::new(
                        pos,
                        format!(
                            "the name {w:?} (only key, value, keySchema, valueSchema, topic and \
                             header are bound)"
                        ),
                    ))
                }
            },
            other => {
                return Err(Unsupported::new(
                    pos,
                    format!("{} where a value was expected", describe(other)),
                ))
            }
        })
    }

    fn int(&self, digits: &str, long: bool, pos: usize) -> Result<Val<'static>, Unsupported> {
        if self.lang == Language::JavaScript {
            return Ok(Val::Double(digits.parse::<f64>().unwrap_or(f64::INFINITY)));
        }
        let Ok(n) = digits.parse::<i64>() else {
            return Err(Unsupported::new(
                pos,
                "an integer literal beyond a long (a BigInteger)",
            ));
        };
        Ok(match i32::try_from(n) {
            Ok(i) if !long => Val::Int(i),
            _ => Val::Long(n),
        })
    }

    fn decimal(&self, text: &str, pos: usize) -> Result<Val<'static>, Unsupported> {
        if self.lang == Language::JavaScript {
            return Ok(Val::Double(text.parse::<f64>().unwrap_or(f64::INFINITY)));
        }
        Dec::parse(text)
            .map(Val::Decimal)
            .ok_or_else(|| Unsupported::new(pos, "a decimal literal out of range"))
    }
}
