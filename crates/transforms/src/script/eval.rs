//! Evaluating a parsed expression on one record's bindings, with Groovy's or JavaScript's
//! meaning of each operator. Every failure is an `Err` (the record fails), never a panic; the
//! recursion is as deep as the expression, which the parser bounds.

use std::borrow::Cow;
use std::cmp::Ordering;

use cdc_core::{Schema, SchemaType, Value};

use super::parser::{BinOp, Binding, Expr};
use super::value::{Dec, Header, Val};
use super::{Language, Regexes};

/// What the expression sees of a record.
pub struct Bindings<'a> {
    pub key: Val<'a>,
    pub value: Val<'a>,
    pub key_schema: Val<'a>,
    pub value_schema: Val<'a>,
    pub topic: &'a str,
    pub headers: &'a [Header],
}

pub struct Eval<'s> {
    pub lang: Language,
    pub regexes: &'s Regexes,
}

type R<'a> = Result<Val<'a>, String>;

impl Eval<'_> {
    fn groovy(&self) -> bool {
        self.lang == Language::Groovy
    }

    pub fn eval<'a>(&self, e: &'a Expr, b: &Bindings<'a>) -> R<'a> {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Binding(which) => Ok(match which {
                Binding::Key => b.key.clone(),
                Binding::Value => b.value.clone(),
                Binding::KeySchema => b.key_schema.clone(),
                Binding::ValueSchema => b.value_schema.clone(),
                Binding::Topic => Val::Str(Cow::Borrowed(b.topic)),
                Binding::Header => Val::Headers(b.headers),
            }),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, b)?);
                }
                Ok(Val::List(out))
            }
            Expr::Member { obj, name, safe } => {
                let o = self.eval(obj, b)?;
                self.member(o, name, *safe)
            }
            Expr::Index { obj, index } => {
                let o = self.eval(obj, b)?;
                let i = self.eval(index, b)?;
                self.index(o, i)
            }
            Expr::Call {
                obj,
                method,
                args,
                safe,
            } => {
                let o = self.eval(obj, b)?;
                if *safe && o.is_nullish() {
                    return Ok(self.absent());
                }
                let mut a = Vec::with_capacity(args.len());
                for x in args {
                    a.push(self.eval(x, b)?);
                }
                self.call(o, method, a)
            }
            Expr::Not(x) => Ok(Val::Bool(!self.truth(&self.eval(x, b)?))),
            Expr::Neg(x) => self.negate(self.eval(x, b)?),
            Expr::Pos(x) => {
                let v = self.eval(x, b)?;
                if self.groovy() {
                    match v {
                        Val::Int(_)
                        | Val::Long(_)
                        | Val::Float(_)
                        | Val::Double(_)
                        | Val::Decimal(_) => Ok(v),
                        other => Err(format!("unary plus on a {}", other.class())),
                    }
                } else {
                    Ok(Val::Double(v.js_number()?))
                }
            }
            Expr::And(l, r) => {
                let lv = self.eval(l, b)?;
                if self.groovy() {
                    Ok(Val::Bool(
                        lv.groovy_truth() && self.eval(r, b)?.groovy_truth(),
                    ))
                } else if lv.js_truth() {
                    self.eval(r, b)
                } else {
                    Ok(lv)
                }
            }
            Expr::Or(l, r) => {
                let lv = self.eval(l, b)?;
                if self.groovy() {
                    Ok(Val::Bool(
                        lv.groovy_truth() || self.eval(r, b)?.groovy_truth(),
                    ))
                } else if lv.js_truth() {
                    Ok(lv)
                } else {
                    self.eval(r, b)
                }
            }
            Expr::Cond(c, x, y) => {
                if self.truth(&self.eval(c, b)?) {
                    self.eval(x, b)
                } else {
                    self.eval(y, b)
                }
            }
            Expr::Elvis(x, y) => {
                let v = self.eval(x, b)?;
                if v.groovy_truth() {
                    Ok(v)
                } else {
                    self.eval(y, b)
                }
            }
            Expr::Nullish(x, y) => {
                let v = self.eval(x, b)?;
                if v.is_nullish() {
                    self.eval(y, b)
                } else {
                    Ok(v)
                }
            }
            Expr::Bin { op, l, r } => {
                let lv = self.eval(l, b)?;
                let rv = self.eval(r, b)?;
                self.binary(*op, lv, rv)
            }
        }
    }

    fn truth(&self, v: &Val) -> bool {
        if self.groovy() {
            v.groovy_truth()
        } else {
            v.js_truth()
        }
    }

    fn absent<'a>(&self) -> Val<'a> {
        if self.groovy() {
            Val::Null
        } else {
            Val::Undefined
        }
    }

    fn member<'a>(&self, o: Val<'a>, name: &str, safe: bool) -> R<'a> {
        if o.is_nullish() {
            if safe {
                return Ok(self.absent());
            }
            return Err(if self.groovy() {
                format!(
                    "java.lang.NullPointerException: Cannot get property '{name}' on null object"
                )
            } else {
                format!(
                    "TypeError: Cannot read property '{name}' of {}",
                    o.js_type()
                )
            });
        }
        let groovy = self.groovy();
        match o {
            Val::NullProxy => Err(format!(
                "java.lang.NullPointerException: reading '{name}' of a null key or value"
            )),
            Val::Struct(schema, values) => match field(schema, values, name) {
                Some((v, s)) => Ok(Val::from_connect(v, Some(s), self.lang)),
                None if groovy => Err(format!(
                    "org.apache.kafka.connect.errors.DataException: {name} is not a valid field name"
                )),
                None => Ok(Val::Undefined),
            },
            Val::Map(entries, schema) if groovy => Ok(map_get(entries, schema, name, self.lang)),
            Val::Headers(headers) => Ok(headers
                .iter()
                .rev()
                .find(|h| h.name == name)
                .map_or_else(|| self.absent(), Val::Header)),
            Val::Header(h) => match name {
                "value" => Ok(Val::from_connect(&h.value, h.schema.as_ref(), self.lang)),
                "schema" => Ok(h.schema.as_ref().map_or(Val::Null, Val::Schema)),
                _ if groovy => Err(format!(
                    "groovy.lang.MissingPropertyException: No such property: {name} for class: \
                     io.debezium.transforms.scripting.RecordHeader"
                )),
                _ => Ok(Val::Undefined),
            },
            Val::Schema(s) if groovy => match name {
                "name" => Ok(s.name.as_deref().map_or(Val::Null, |n| Val::Str(n.into()))),
                "version" => Ok(s.version.map_or(Val::Null, Val::Int)),
                "doc" => Ok(s.doc.as_deref().map_or(Val::Null, |n| Val::Str(n.into()))),
                "optional" => Ok(Val::Bool(s.optional)),
                _ => Err(format!(
                    "the property {name} of a schema is not supported by this interpreter"
                )),
            },
            Val::Str(s) if !groovy && name == "length" => {
                Ok(Val::Double(s.encode_utf16().count() as f64))
            }
            Val::Str(_) | Val::Bool(_) | Val::Double(_) if !groovy => Ok(Val::Undefined),
            other => Err(if groovy {
                format!(
                    "groovy.lang.MissingPropertyException: No such property: {name} for class: {}",
                    other.class()
                )
            } else {
                format!(
                    "reading '{name}' of a {} is not supported by this interpreter",
                    other.class()
                )
            }),
        }
    }

    fn index<'a>(&self, o: Val<'a>, i: Val<'a>) -> R<'a> {
        match (&o, &i) {
            (Val::Struct(..) | Val::Headers(_) | Val::Header(_) | Val::Schema(_), Val::Str(n)) => {
                let n = n.clone().into_owned();
                self.member(o, &n, false)
            }
            (Val::Map(entries, schema), _) if self.groovy() => {
                Ok(map_lookup(entries, *schema, &i, self.lang))
            }
            (Val::Array(items, schema), Val::Int(n)) if self.groovy() => {
                let at = list_index(items.len(), i64::from(*n));
                Ok(at
                    .and_then(|k| items.get(k))
                    .map_or(Val::Null, |v| Val::from_connect(v, *schema, self.lang)))
            }
            (Val::List(items), Val::Int(n)) if self.groovy() => {
                let at = list_index(items.len(), i64::from(*n));
                Ok(at.and_then(|k| items.get(k)).cloned().unwrap_or(Val::Null))
            }
            (Val::List(items), Val::Double(x)) if !self.groovy() => {
                Ok(if x.fract() == 0.0 && *x >= 0.0 {
                    items.get(*x as usize).cloned().unwrap_or(Val::Undefined)
                } else {
                    Val::Undefined
                })
            }
            (Val::Str(s), Val::Int(n)) if self.groovy() => {
                let units: Vec<u16> = s.encode_utf16().collect();
                match list_index(units.len(), i64::from(*n)) {
                    Some(k) if k < units.len() => {
                        Ok(Val::Str(String::from_utf16_lossy(&units[k..=k]).into()))
                    }
                    _ => Err(format!(
                        "java.lang.StringIndexOutOfBoundsException: index {n} out of bounds for length {}",
                        units.len()
                    )),
                }
            }
            (Val::Str(s), Val::Double(x)) if !self.groovy() => {
                let units: Vec<u16> = s.encode_utf16().collect();
                Ok(
                    if x.fract() == 0.0 && *x >= 0.0 && (*x as usize) < units.len() {
                        let k = *x as usize;
                        Val::Str(String::from_utf16_lossy(&units[k..=k]).into())
                    } else {
                        Val::Undefined
                    },
                )
            }
            _ if o.is_nullish() => Err(if self.groovy() {
                "java.lang.NullPointerException: Cannot invoke method getAt() on null object"
                    .to_owned()
            } else {
                "TypeError: Cannot read property of null or undefined".to_owned()
            }),
            (Val::NullProxy, _) => Err(
                "java.lang.NullPointerException: reading a member of a null key or value"
                    .to_owned(),
            ),
            _ if !self.groovy() && matches!(o, Val::Struct(..) | Val::Headers(_)) => {
                let n = i.js_string()?.into_owned();
                self.member(o, &n, false)
            }
            _ => Err(format!(
                "indexing a {} with a {} is not supported by this interpreter",
                o.class(),
                i.class()
            )),
        }
    }

    fn negate<'a>(&self, v: Val<'a>) -> R<'a> {
        if !self.groovy() {
            return Ok(Val::Double(-v.js_number()?));
        }
        Ok(match v {
            Val::Int(n) => Val::Int(n.wrapping_neg()),
            Val::Long(n) => Val::Long(n.wrapping_neg()),
            Val::Float(x) => Val::Float(-x),
            Val::Double(x) => Val::Double(-x),
            Val::Decimal(d) => Val::Decimal(Dec::int(0).sub(d)?),
            other => {
                return Err(format!(
                    "groovy.lang.MissingMethodException: No signature of method: {}.negative()",
                    other.class()
                ))
            }
        })
    }

    fn binary<'a>(&self, op: BinOp, l: Val<'a>, r: Val<'a>) -> R<'a> {
        if self.groovy() {
            self.groovy_binary(op, l, r)
        } else {
            js_binary(op, l, r)
        }
    }

    fn groovy_binary<'a>(&self, op: BinOp, l: Val<'a>, r: Val<'a>) -> R<'a> {
        Ok(match op {
            BinOp::Eq => Val::Bool(groovy_eq(&l, &r)?),
            BinOp::Ne => Val::Bool(!groovy_eq(&l, &r)?),
            BinOp::StrictEq | BinOp::StrictNe => {
                return Err("identity comparison in Groovy".to_owned())
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = groovy_cmp(&l, &r)?;
                Val::Bool(match op {
                    BinOp::Lt => ord == Ordering::Less,
                    BinOp::Le => ord != Ordering::Greater,
                    BinOp::Gt => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                })
            }
            BinOp::In => Val::Bool(match &r {
                Val::Null => l.is_nullish(),
                Val::List(items) => {
                    let mut found = false;
                    for i in items {
                        if java_equals(i, &l)? {
                            found = true;
                            break;
                        }
                    }
                    found
                }
                Val::Array(items, schema) => {
                    let mut found = false;
                    for i in *items {
                        if java_equals(&Val::from_connect(i, *schema, self.lang), &l)? {
                            found = true;
                            break;
                        }
                    }
                    found
                }
                Val::Map(entries, schema) => {
                    map_lookup_entry(entries, *schema, &l, self.lang).is_some()
                }
                Val::Headers(h) => matches!(&l, Val::Str(n) if h.iter().any(|x| x.name == **n)),
                other => {
                    return Err(format!(
                        "the in operator on a {} is not supported by this interpreter",
                        other.class()
                    ))
                }
            }),
            BinOp::RegexMatch => {
                if l.is_nullish() || r.is_nullish() {
                    Val::Bool(false)
                } else {
                    let text = l.java_string()?;
                    let pattern = r.java_string()?;
                    Val::Bool(self.regexes.whole_match(&pattern, &text)?)
                }
            }
            BinOp::Add => match (&l, &r) {
                (Val::Str(a), _) => {
                    let mut s = a.clone().into_owned();
                    s.push_str(&r.groovy_string()?);
                    Val::Str(s.into())
                }
                (Val::Null, Val::Str(b)) => Val::Str(format!("null{b}").into()),
                (_, Val::Str(b)) if is_number(&l) => {
                    Val::Str(format!("{}{b}", l.groovy_string()?).into())
                }
                _ => arith(op, &l, &r)?,
            },
            BinOp::Sub => match (&l, &r) {
                (Val::Str(a), _) if !r.is_nullish() => {
                    let t = r.groovy_string()?;
                    Val::Str(a.replacen(t.as_ref(), "", 1).into())
                }
                _ => arith(op, &l, &r)?,
            },
            BinOp::Mul | BinOp::Div | BinOp::Rem => arith(op, &l, &r)?,
        })
    }

    fn call<'a>(&self, o: Val<'a>, method: &str, a: Vec<Val<'a>>) -> R<'a> {
        let groovy = self.groovy();
        let arg = |i: usize| a.get(i).cloned().unwrap_or(Val::Undefined);
        let no_method = |o: &Val| {
            if groovy {
                format!(
                    "groovy.lang.MissingMethodException: No signature of method: {}.{method}() is \
                     applicable",
                    o.class()
                )
            } else {
                format!("TypeError: {method} is not a function of a {}", o.js_type())
            }
        };
        // A string argument where Java wants one (`startsWith(CharSequence)`); JavaScript
        // converts anything.
        let text_arg = |v: &Val<'a>| -> Result<Cow<'a, str>, String> {
            match v {
                Val::Str(s) => Ok(s.clone()),
                _ if !groovy => v.js_string(),
                Val::Null => Err(format!(
                    "java.lang.NullPointerException: {method}() of a null argument"
                )),
                other => Err(format!(
                    "groovy.lang.MissingMethodException: No signature of method: \
                     java.lang.String.{method}() is applicable for argument types: ({})",
                    other.class()
                )),
            }
        };
        match (&o, method) {
            (Val::Null, "toString") if groovy => return Ok(Val::Str("null".into())),
            (Val::Null, "equals") if groovy => return Ok(Val::Bool(arg(0).is_nullish())),
            _ if o.is_nullish() => {
                return Err(if groovy {
                    format!(
                        "java.lang.NullPointerException: Cannot invoke method {method}() on null \
                         object"
                    )
                } else {
                    format!(
                        "TypeError: Cannot read property '{method}' of {}",
                        o.js_type()
                    )
                })
            }
            (Val::NullProxy, _) => {
                return Err(format!(
                    "java.lang.NullPointerException: calling {method}() on a null key or value"
                ))
            }
            _ => {}
        }
        let int = |n: usize| -> Val<'a> {
            if groovy {
                Val::Int(i32::try_from(n).unwrap_or(i32::MAX))
            } else {
                Val::Double(n as f64)
            }
        };
        let int_or_minus = |n: Option<usize>| -> Val<'a> {
            match n {
                Some(n) => int(n),
                None if groovy => Val::Int(-1),
                None => Val::Double(-1.0),
            }
        };
        if let Val::Str(s) = &o {
            let s = s.clone();
            return Ok(match method {
                "startsWith" => Val::Bool(s.starts_with(text_arg(&arg(0))?.as_ref())),
                "endsWith" => Val::Bool(s.ends_with(text_arg(&arg(0))?.as_ref())),
                "contains" | "includes" => Val::Bool(s.contains(text_arg(&arg(0))?.as_ref())),
                "toUpperCase" => Val::Str(s.to_uppercase().into()),
                "toLowerCase" => Val::Str(s.to_lowercase().into()),
                "trim" if groovy => Val::Str(s.trim_matches(|c: char| c <= ' ').to_owned().into()),
                "trim" => Val::Str(s.trim().to_owned().into()),
                "toString" => Val::Str(s),
                "length" | "size" => int(s.encode_utf16().count()),
                "isEmpty" => Val::Bool(s.is_empty()),
                "equals" => Val::Bool(matches!(arg(0), Val::Str(t) if t == s)),
                "equalsIgnoreCase" => Val::Bool(matches!(arg(0), Val::Str(t) if
                    t.chars().flat_map(char::to_lowercase).eq(s.chars().flat_map(char::to_lowercase)))),
                "matches" => {
                    let p = text_arg(&arg(0))?;
                    Val::Bool(self.regexes.whole_match(&p, &s)?)
                }
                "indexOf" => {
                    let t = text_arg(&arg(0))?;
                    int_or_minus(s.find(t.as_ref()).map(|b| s[..b].encode_utf16().count()))
                }
                "replace" => {
                    let from = text_arg(&arg(0))?;
                    let to = text_arg(&arg(1))?;
                    if groovy {
                        Val::Str(s.replace(from.as_ref(), &to).into())
                    } else {
                        Val::Str(s.replacen(from.as_ref(), &to, 1).into())
                    }
                }
                "substring" => self.substring(&s, &a)?,
                _ => return Err(no_method(&o)),
            });
        }
        match (&o, method) {
            (_, "toString") if groovy => Ok(Val::Str(o.groovy_string()?)),
            (Val::Double(_) | Val::Bool(_), "toString") => Ok(Val::Str(o.js_string()?)),
            (_, "equals") if groovy => Ok(Val::Bool(java_equals(&o, &arg(0))?)),
            (Val::Struct(schema, values), _) if groovy => {
                self.struct_method(schema, values, method, &arg(0))
            }
            (Val::Schema(s), "name") => {
                Ok(s.name.as_deref().map_or(Val::Null, |n| Val::Str(n.into())))
            }
            (Val::Schema(s), "version") => Ok(match s.version {
                None => Val::Null,
                Some(v) if groovy => Val::Int(v),
                Some(v) => Val::Double(f64::from(v)),
            }),
            (Val::Schema(s), "doc") => {
                Ok(s.doc.as_deref().map_or(Val::Null, |n| Val::Str(n.into())))
            }
            (Val::List(items), "size") if groovy => Ok(int(items.len())),
            (Val::Array(items, _), "size") if groovy => Ok(int(items.len())),
            (Val::Map(entries, _), "size") if groovy => Ok(int(entries.len())),
            (Val::Headers(h), "size") if groovy => Ok(int(distinct_headers(h))),
            (Val::List(items), "isEmpty") if groovy => Ok(Val::Bool(items.is_empty())),
            (Val::Array(items, _), "isEmpty") if groovy => Ok(Val::Bool(items.is_empty())),
            (Val::Map(entries, _), "isEmpty") if groovy => Ok(Val::Bool(entries.is_empty())),
            (Val::Headers(h), "isEmpty") if groovy => Ok(Val::Bool(h.is_empty())),
            (Val::List(_) | Val::Array(..), "contains") if groovy => {
                self.groovy_binary(BinOp::In, arg(0), o.clone())
            }
            (Val::List(items), "includes") if !groovy => {
                let needle = arg(0);
                let mut found = false;
                for i in items {
                    if js_same_value_zero(i, &needle)? {
                        found = true;
                        break;
                    }
                }
                Ok(Val::Bool(found))
            }
            (Val::Map(..) | Val::Headers(_), "containsKey") if groovy => {
                self.groovy_binary(BinOp::In, arg(0), o.clone())
            }
            (Val::Map(entries, schema), "get") if groovy => {
                Ok(map_lookup(entries, *schema, &arg(0), self.lang))
            }
            (Val::Headers(_), "get") if groovy => match arg(0) {
                Val::Str(n) => {
                    let n = n.into_owned();
                    self.member(o, &n, false)
                }
                _ => Ok(Val::Null),
            },
            (Val::List(items), "get") if groovy => match arg(0) {
                Val::Int(n) if n >= 0 && (n as usize) < items.len() => {
                    Ok(items[n as usize].clone())
                }
                other => Err(format!(
                    "java.lang.IndexOutOfBoundsException: index {} for length {}",
                    other.java_string()?,
                    items.len()
                )),
            },
            (Val::Array(items, schema), "get") if groovy => match arg(0) {
                Val::Int(n) if n >= 0 && (n as usize) < items.len() => {
                    Ok(Val::from_connect(&items[n as usize], *schema, self.lang))
                }
                other => Err(format!(
                    "java.lang.IndexOutOfBoundsException: index {} for length {}",
                    other.java_string()?,
                    items.len()
                )),
            },
            _ => Err(no_method(&o)),
        }
    }

    fn substring<'a>(&self, s: &str, a: &[Val<'a>]) -> R<'a> {
        let units: Vec<u16> = s.encode_utf16().collect();
        let len = units.len();
        let (from, to) = if self.groovy() {
            let idx = |v: Option<&Val>| -> Result<Option<i64>, String> {
                match v {
                    None => Ok(None),
                    Some(Val::Int(n)) => Ok(Some(i64::from(*n))),
                    Some(Val::Long(n)) => Ok(Some(*n)),
                    Some(other) => Err(format!(
                        "groovy.lang.MissingMethodException: No signature of method: \
                         java.lang.String.substring() is applicable for argument types: ({})",
                        other.class()
                    )),
                }
            };
            let from = idx(a.first())?.unwrap_or(0);
            let to = idx(a.get(1))?.unwrap_or(len as i64);
            if from < 0 || to > len as i64 || from > to {
                return Err(format!(
                    "java.lang.StringIndexOutOfBoundsException: begin {from}, end {to}, length {len}"
                ));
            }
            (from as usize, to as usize)
        } else {
            let clamp = |v: Option<&Val>, dflt: usize| -> Result<usize, String> {
                match v {
                    None | Some(Val::Undefined) => Ok(dflt),
                    Some(v) => {
                        let x = v.js_number()?;
                        Ok(if x.is_nan() || x < 0.0 {
                            0
                        } else {
                            (x.trunc().min(len as f64)) as usize
                        })
                    }
                }
            };
            let f = clamp(a.first(), 0)?;
            let t = clamp(a.get(1), len)?;
            (f.min(t), f.max(t))
        };
        Ok(Val::Str(String::from_utf16_lossy(&units[from..to]).into()))
    }

    fn struct_method<'a>(
        &self,
        schema: &'a Schema,
        values: &'a [Value],
        method: &str,
        name: &Val<'a>,
    ) -> R<'a> {
        if method == "schema" {
            return Ok(Val::Schema(schema));
        }
        let Val::Str(name) = name else {
            return Err(format!(
                "groovy.lang.MissingMethodException: No signature of method: \
                 org.apache.kafka.connect.data.Struct.{method}() is applicable for argument \
                 types: ({})",
                name.class()
            ));
        };
        let Some(index) = schema.fields.iter().position(|f| f.name == **name) else {
            return Err(format!(
                "org.apache.kafka.connect.errors.DataException: {name} is not a valid field name"
            ));
        };
        let f = &schema.fields[index];
        let expected = match method {
            "getStruct" => Some(SchemaType::Struct),
            "getString" => Some(SchemaType::String),
            "getBoolean" => Some(SchemaType::Boolean),
            "getInt8" => Some(SchemaType::Int8),
            "getInt16" => Some(SchemaType::Int16),
            "getInt32" => Some(SchemaType::Int32),
            "getInt64" => Some(SchemaType::Int64),
            "getFloat32" => Some(SchemaType::Float32),
            "getFloat64" => Some(SchemaType::Float64),
            "getArray" => Some(SchemaType::Array),
            "getMap" => Some(SchemaType::Map),
            "get" | "getWithoutDefault" => None,
            _ => {
                return Err(format!(
                    "groovy.lang.MissingMethodException: No signature of method: \
                     org.apache.kafka.connect.data.Struct.{method}() is applicable"
                ))
            }
        };
        if let Some(t) = expected {
            if f.schema.kind != t {
                return Err(format!(
                    "org.apache.kafka.connect.errors.DataException: Field '{name}' is not of type \
                     {}",
                    format!("{t:?}").to_ascii_uppercase()
                ));
            }
        }
        let raw = values.get(index).unwrap_or(&Value::Null);
        let v = match (&f.schema.default, raw, method) {
            (Some(d), Value::Null, m) if m != "getWithoutDefault" => d,
            _ => raw,
        };
        Ok(Val::from_connect(v, Some(&f.schema), self.lang))
    }
}

/// A struct's field by name, its default standing in for null (`Struct.get`).
fn field<'a>(
    schema: &'a Schema,
    values: &'a [Value],
    name: &str,
) -> Option<(&'a Value, &'a Schema)> {
    let i = schema.fields.iter().position(|f| f.name == name)?;
    let f = &schema.fields[i];
    let v = values.get(i)?;
    let v = match (&f.schema.default, v) {
        (Some(d), Value::Null) => d,
        _ => v,
    };
    Some((v, &f.schema))
}

fn map_get<'a>(
    entries: &'a [(Value, Value)],
    schema: Option<&'a Schema>,
    name: &str,
    lang: Language,
) -> Val<'a> {
    map_lookup(entries, schema, &Val::Str(name.into()), lang)
}

fn map_lookup_entry<'a>(
    entries: &'a [(Value, Value)],
    schema: Option<&'a Schema>,
    key: &Val,
    lang: Language,
) -> Option<&'a Value> {
    let key_schema = schema.and_then(|s| s.keys.as_deref());
    entries
        .iter()
        .rev()
        .find(|(k, _)| java_equals(&Val::from_connect(k, key_schema, lang), key).unwrap_or(false))
        .map(|(_, v)| v)
}

fn map_lookup<'a>(
    entries: &'a [(Value, Value)],
    schema: Option<&'a Schema>,
    key: &Val,
    lang: Language,
) -> Val<'a> {
    let value_schema = schema.and_then(|s| s.items.as_deref());
    map_lookup_entry(entries, schema, key, lang)
        .map_or(Val::Null, |v| Val::from_connect(v, value_schema, lang))
}

fn distinct_headers(h: &[Header]) -> usize {
    let mut names: Vec<&str> = h.iter().map(|x| x.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// Groovy's `list[i]`: negative from the end; `None` out of range.
fn list_index(len: usize, i: i64) -> Option<usize> {
    let k = if i < 0 { len as i64 + i } else { i };
    (k >= 0 && (k as usize) < len).then_some(k as usize)
}

fn is_number(v: &Val) -> bool {
    matches!(
        v,
        Val::Int(_) | Val::Long(_) | Val::Float(_) | Val::Double(_) | Val::Decimal(_)
    )
}

/// Java's `equals` (no numeric widening: `Long 1` is not `Integer 1`).
pub fn java_equals(a: &Val, b: &Val) -> Result<bool, String> {
    Ok(match (a, b) {
        (x, y) if x.is_nullish() || y.is_nullish() => x.is_nullish() && y.is_nullish(),
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Long(x), Val::Long(y)) => x == y,
        (Val::Float(x), Val::Float(y)) => x.to_bits() == y.to_bits(),
        (Val::Double(x), Val::Double(y)) => x.to_bits() == y.to_bits(),
        (Val::Decimal(x), Val::Decimal(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Struct(s1, v1), Val::Struct(s2, v2)) => s1 == s2 && v1 == v2,
        (Val::Schema(x), Val::Schema(y)) => x == y,
        (Val::List(_) | Val::Array(..), Val::List(_) | Val::Array(..)) => {
            let xs = list_items(a);
            let ys = list_items(b);
            if xs.len() != ys.len() {
                return Ok(false);
            }
            for (x, y) in xs.iter().zip(ys.iter()) {
                if !java_equals(x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        (Val::Opaque(_) | Val::Map(..) | Val::Header(_) | Val::Headers(_), _)
        | (_, Val::Opaque(_) | Val::Map(..) | Val::Header(_) | Val::Headers(_)) => {
            return Err(format!(
                "comparing a {} with a {} is not supported by this interpreter",
                a.class(),
                b.class()
            ))
        }
        _ => false,
    })
}

fn list_items<'a>(v: &Val<'a>) -> Vec<Val<'a>> {
    match v {
        Val::List(items) => items.clone(),
        Val::Array(items, schema) => items
            .iter()
            .map(|i| Val::from_connect(i, *schema, Language::Groovy))
            .collect(),
        _ => Vec::new(),
    }
}

/// Groovy's `==` (`DefaultTypeTransformation.compareEqual`): numbers by value whatever their
/// types, lists item by item, else `equals`.
fn groovy_eq(a: &Val, b: &Val) -> Result<bool, String> {
    if let Some((x, y)) = numbers_or_chars(a, b) {
        return Ok(num_cmp(&x, &y)? == Ordering::Equal);
    }
    if let (Val::List(_) | Val::Array(..), Val::List(_) | Val::Array(..)) = (a, b) {
        let xs = list_items(a);
        let ys = list_items(b);
        if xs.len() != ys.len() {
            return Ok(false);
        }
        for (x, y) in xs.iter().zip(ys.iter()) {
            if !groovy_eq(x, y)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    java_equals(a, b)
}

/// Groovy's `<` and friends: null first, numbers by value, strings and booleans by
/// `compareTo`; anything else cannot be compared.
fn groovy_cmp(a: &Val, b: &Val) -> Result<Ordering, String> {
    match (a, b) {
        (x, y) if x.is_nullish() && y.is_nullish() => Ok(Ordering::Equal),
        (x, _) if x.is_nullish() => Ok(Ordering::Less),
        (_, y) if y.is_nullish() => Ok(Ordering::Greater),
        (Val::Str(x), Val::Str(y)) => Ok(x.encode_utf16().cmp(y.encode_utf16())),
        (Val::Bool(x), Val::Bool(y)) => Ok(x.cmp(y)),
        _ if numbers_or_chars(a, b).is_some() => {
            let (x, y) = numbers_or_chars(a, b).unwrap_or((Val::Null, Val::Null));
            num_cmp(&x, &y)
        }
        _ => Err(format!(
            "java.lang.IllegalArgumentException: Cannot compare {} with value '{}' and {} with \
             value '{}'",
            a.class(),
            a.java_string().unwrap_or_default(),
            b.class(),
            b.java_string().unwrap_or_default()
        )),
    }
}

/// Both numbers, or a number and a one-character string, which Groovy compares as a `char`
/// (`DefaultTypeTransformation`: `'r' > 1` is true).
fn numbers_or_chars<'a>(a: &Val<'a>, b: &Val<'a>) -> Option<(Val<'a>, Val<'a>)> {
    let as_char = |v: &Val<'a>| -> Option<Val<'a>> {
        match v {
            Val::Str(s) => {
                let mut units = s.encode_utf16();
                match (units.next(), units.next()) {
                    (Some(u), None) => Some(Val::Int(i32::from(u))),
                    _ => None,
                }
            }
            _ if is_number(v) => Some(v.clone()),
            _ => None,
        }
    };
    if !is_number(a) && !is_number(b) {
        return None;
    }
    Some((as_char(a)?, as_char(b)?))
}

#[derive(Clone, Copy)]
enum Num {
    I(i32),
    L(i64),
    F(f64),
    D(Dec),
}

fn num(v: &Val) -> Option<Num> {
    Some(match v {
        Val::Int(n) => Num::I(*n),
        Val::Long(n) => Num::L(*n),
        Val::Float(x) => Num::F(f64::from(*x)),
        Val::Double(x) => Num::F(*x),
        Val::Decimal(d) => Num::D(*d),
        _ => return None,
    })
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => f64::from(i),
        Num::L(l) => l as f64,
        Num::F(x) => x,
        Num::D(d) => d.to_f64(),
    }
}

fn as_dec(n: Num) -> Dec {
    match n {
        Num::I(i) => Dec::int(i64::from(i)),
        Num::L(l) => Dec::int(l),
        Num::D(d) => d,
        Num::F(x) => Dec::parse(&format!("{x:e}")).unwrap_or(Dec::int(0)),
    }
}

fn as_i64(n: Num) -> i64 {
    match n {
        Num::I(i) => i64::from(i),
        Num::L(l) => l,
        _ => 0,
    }
}

fn num_cmp(a: &Val, b: &Val) -> Result<Ordering, String> {
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return Err("comparing non-numbers".to_owned());
    };
    Ok(match (x, y) {
        (Num::F(_), _) | (_, Num::F(_)) => {
            as_f64(x).partial_cmp(&as_f64(y)).unwrap_or(Ordering::Less)
        }
        (Num::D(_), _) | (_, Num::D(_)) => as_dec(x).cmp(as_dec(y)),
        _ => as_i64(x).cmp(&as_i64(y)),
    })
}

/// Groovy's `+ - * / %` on numbers (`NumberMath`): double if either is floating, else
/// BigDecimal if either is, else long if either is, else int; `/` on integers is BigDecimal.
fn arith<'a>(op: BinOp, l: &Val<'a>, r: &Val<'a>) -> R<'a> {
    let (Some(x), Some(y)) = (num(l), num(r)) else {
        let name = match op {
            BinOp::Add => "plus",
            BinOp::Sub => "minus",
            BinOp::Mul => "multiply",
            BinOp::Div => "div",
            _ => "mod",
        };
        if l.is_nullish() {
            return Err(format!(
                "java.lang.NullPointerException: Cannot invoke method {name}() on null object"
            ));
        }
        return Err(format!(
            "groovy.lang.MissingMethodException: No signature of method: {}.{name}() is \
             applicable for argument types: ({})",
            l.class(),
            r.class()
        ));
    };
    let zero = || "java.lang.ArithmeticException: Division by zero".to_owned();
    Ok(match (x, y) {
        (Num::F(_), _) | (_, Num::F(_)) => {
            let (a, b) = (as_f64(x), as_f64(y));
            Val::Double(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                _ => a % b,
            })
        }
        _ if op == BinOp::Div => Val::Decimal(as_dec(x).div(as_dec(y))?),
        (Num::D(_), _) | (_, Num::D(_)) => {
            let (a, b) = (as_dec(x), as_dec(y));
            Val::Decimal(match op {
                BinOp::Add => a.add(b)?,
                BinOp::Sub => a.sub(b)?,
                BinOp::Mul => a.mul(b)?,
                _ => a.rem(b)?,
            })
        }
        (Num::I(a), Num::I(b)) => Val::Int(match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            _ => {
                if b == 0 {
                    return Err(zero());
                }
                a.wrapping_rem(b)
            }
        }),
        _ => {
            let (a, b) = (as_i64(x), as_i64(y));
            Val::Long(match op {
                BinOp::Add => a.wrapping_add(b),
                BinOp::Sub => a.wrapping_sub(b),
                BinOp::Mul => a.wrapping_mul(b),
                _ => {
                    if b == 0 {
                        return Err(zero());
                    }
                    a.wrapping_rem(b)
                }
            })
        }
    })
}

fn is_object(v: &Val) -> bool {
    !matches!(
        v,
        Val::Null | Val::Undefined | Val::Bool(_) | Val::Double(_) | Val::Str(_)
    )
}

fn js_binary<'a>(op: BinOp, l: Val<'a>, r: Val<'a>) -> R<'a> {
    Ok(match op {
        BinOp::StrictEq => Val::Bool(js_strict_eq(&l, &r)?),
        BinOp::StrictNe => Val::Bool(!js_strict_eq(&l, &r)?),
        BinOp::Eq => Val::Bool(js_loose_eq(&l, &r)?),
        BinOp::Ne => Val::Bool(!js_loose_eq(&l, &r)?),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            if let (Val::Str(a), Val::Str(b)) = (&l, &r) {
                let o = a.encode_utf16().cmp(b.encode_utf16());
                return Ok(Val::Bool(match op {
                    BinOp::Lt => o == Ordering::Less,
                    BinOp::Le => o != Ordering::Greater,
                    BinOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }));
            }
            let (a, b) = (l.js_number()?, r.js_number()?);
            Val::Bool(match op {
                BinOp::Lt => a < b,
                BinOp::Le => a <= b,
                BinOp::Gt => a > b,
                _ => a >= b,
            })
        }
        BinOp::Add => {
            if matches!(l, Val::Str(_))
                || matches!(r, Val::Str(_))
                || matches!(l, Val::Schema(_))
                || matches!(r, Val::Schema(_))
                || matches!(l, Val::List(_))
                || matches!(r, Val::List(_))
            {
                let mut s = l.js_string()?.into_owned();
                s.push_str(&r.js_string()?);
                Val::Str(s.into())
            } else {
                Val::Double(l.js_number()? + r.js_number()?)
            }
        }
        BinOp::Sub => Val::Double(l.js_number()? - r.js_number()?),
        BinOp::Mul => Val::Double(l.js_number()? * r.js_number()?),
        BinOp::Div => Val::Double(l.js_number()? / r.js_number()?),
        BinOp::Rem => Val::Double(l.js_number()? % r.js_number()?),
        BinOp::In | BinOp::RegexMatch => return Err("not a JavaScript operator".to_owned()),
    })
}

fn js_strict_eq(a: &Val, b: &Val) -> Result<bool, String> {
    Ok(match (a, b) {
        (Val::Null, Val::Null) | (Val::Undefined, Val::Undefined) => true,
        (Val::Double(x), Val::Double(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (x, y) if is_object(x) && is_object(y) => {
            return Err("comparing two objects is not supported by this interpreter".to_owned())
        }
        _ => false,
    })
}

fn js_same_value_zero(a: &Val, b: &Val) -> Result<bool, String> {
    if let (Val::Double(x), Val::Double(y)) = (a, b) {
        return Ok(x == y || (x.is_nan() && y.is_nan()));
    }
    js_strict_eq(a, b)
}

fn js_loose_eq(a: &Val, b: &Val) -> Result<bool, String> {
    Ok(match (a, b) {
        (x, y) if x.is_nullish() || y.is_nullish() => x.is_nullish() && y.is_nullish(),
        (x, y) if is_object(x) || is_object(y) => {
            if is_object(x) && is_object(y) {
                return Err("comparing two objects is not supported by this interpreter".to_owned());
            }
            return Err(
                "comparing an object with a primitive is not supported by this interpreter"
                    .to_owned(),
            );
        }
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(_), _) | (_, Val::Bool(_)) | (Val::Str(_), _) | (_, Val::Str(_)) => {
            a.js_number()? == b.js_number()?
        }
        (Val::Double(x), Val::Double(y)) => x == y,
        _ => false,
    })
}
