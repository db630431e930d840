use std::sync::Arc;

use cdc_core::{Field, Schema, SchemaAndValue, SchemaType, Value};

use super::{Language, Script};
use crate::ConnectRecord;

fn row_schema() -> Arc<Schema> {
    let mut after = Schema::new(SchemaType::Struct);
    after.optional = true;
    after.fields = vec![
        Field {
            name: "id".into(),
            schema: Arc::new(Schema::new(SchemaType::Int64)),
        },
        Field {
            name: "name".into(),
            schema: Arc::new(Schema::new(SchemaType::String)),
        },
    ];
    let mut env = Schema::new(SchemaType::Struct);
    env.name = Some("t.Envelope".into());
    env.fields = vec![
        Field {
            name: "op".into(),
            schema: Arc::new(Schema::new(SchemaType::String)),
        },
        Field {
            name: "after".into(),
            schema: Arc::new(after),
        },
    ];
    Arc::new(env)
}

fn record(op: &str, after: Option<(i64, &str)>) -> ConnectRecord {
    let after = match after {
        Some((id, name)) => Value::Struct(vec![Value::Int64(id), Value::String(name.into())]),
        None => Value::Null,
    };
    ConnectRecord {
        topic: "db.t".into(),
        partition: Some(0),
        offset: Some(1),
        timestamp_ms: None,
        key: Some(SchemaAndValue {
            schema: Some(Arc::new(Schema::new(SchemaType::String))),
            value: Value::String("k1".into()),
        }),
        value: Some(SchemaAndValue {
            schema: Some(row_schema()),
            value: Value::Struct(vec![Value::String(op.into()), after]),
        }),
        headers: vec![("h".into(), Some(b"42".to_vec()))],
    }
}

/// The expression's result on `r` as text (`Ok` of Groovy's/Java's text of it).
fn run(lang: Language, src: &str, r: &ConnectRecord) -> Result<String, String> {
    let s = Script::compile(src, lang).map_err(|e| format!("refused: {e}"))?;
    s.eval(r, |v| {
        Ok(match v {
            other if lang == Language::JavaScript => other.js_string()?.into_owned(),
            other => other.java_string()?.into_owned(),
        })
    })
}

fn groovy(src: &str) -> Result<String, String> {
    run(Language::Groovy, src, &record("c", Some((7, "bob"))))
}

fn js(src: &str) -> Result<String, String> {
    let mut r = record("c", Some((7, "bob")));
    r.key = None;
    run(Language::JavaScript, src, &r)
}

#[test]
fn groovy_expressions_evaluate_as_groovy_does() {
    for (src, want) in [
        ("value.op == 'd' ? 'deletes' : 'others'", "others"),
        ("'orders_' + value.after.name", "orders_bob"),
        ("value['after']['id'] + 1", "8"),
        ("value.after.get('id') == 7", "true"),
        ("value.getStruct('after').getString('name')", "bob"),
        ("value.after.id / 2", "3.5"),
        ("1 / 3", "0.3333333333"),
        ("7 % 4 + 2 * 3 - 1", "8"),
        ("'n' + 1.50", "n1.50"),
        ("value.after?.name?.toUpperCase()", "BOB"),
        ("value.op in ['c', 'u']", "true"),
        ("value.op ==~ 'c|u'", "true"),
        ("value.after.name.matches('b.b')", "true"),
        (
            "value.after.name.substring(1, 3) + value.after.name.length()",
            "ob3",
        ),
        ("!value.after ? 'none' : value.after.name ?: 'anon'", "bob"),
        ("header.h.value == 42", "true"),
        ("header.h.schema", "Schema{INT8}"),
        ("header.nope?.value", "null"),
        (
            "valueSchema.name + '|' + valueSchema.name()",
            "t.Envelope|t.Envelope",
        ),
        ("key + topic", "k1db.t"),
        ("'x' > 1", "true"),
        ("null < 1", "true"),
        ("'a' + null", "anull"),
        ("value.after", "Struct{id=7,name=bob}"),
        ("[1, 'a']", "[1, a]"),
        ("2147483647 + 1", "-2147483648"),
        ("1L + 1", "2"),
    ] {
        assert_eq!(groovy(src).as_deref(), Ok(want), "{src}");
    }
}

#[test]
fn groovy_runtime_errors_fail_the_record() {
    let deleted = record("d", None);
    for src in [
        "value.after.name",
        "value.nope",
        "value.getString('after')",
        "value > 1",
        "value.op.foo",
        "1 / 0",
        "value.op.substring(5)",
        "true + 'x'",
        "value.after.name.matches('(')",
    ] {
        assert!(run(Language::Groovy, src, &deleted).is_err(), "{src}");
    }
    assert_eq!(
        run(Language::Groovy, "value.after?.name", &deleted).as_deref(),
        Ok("null")
    );
}

#[test]
fn javascript_expressions_evaluate_as_graal_js_does() {
    for (src, want) in [
        ("value.op === 'c' ? 'creates' : 'others'", "creates"),
        ("'k' + value.after.id / 2", "k3.5"),
        ("value.after.id + 1 + 'x'", "8x"),
        ("value.nope", "undefined"),
        ("value.nope?.x", "undefined"),
        ("value.after.name.length", "3"),
        ("value.after.name.includes('o') && value.op", "c"),
        ("value.op || 'x'", "c"),
        ("value.after.id == '7'", "true"),
        ("value.after.id === '7'", "false"),
        ("header.h.value === 42", "true"),
        ("valueSchema.name()", "t.Envelope"),
        ("null ?? 'd'", "d"),
        ("topic.substring(5, 2)", ".t"),
        ("1e21 + ''", "1e+21"),
    ] {
        assert_eq!(js(src).as_deref(), Ok(want), "{src}");
    }
    // A null key is a proxy of null: not == null, and reading it fails.
    assert_eq!(js("key == null").as_deref(), Ok("false"));
    assert!(js("key.id").is_err());
    // A key that is not a Struct fails every record, as Debezium's cast does.
    let r = record("c", Some((7, "bob")));
    assert!(run(Language::JavaScript, "topic", &r).is_err());
}

/// What is refused at validation, each with what the message names.
#[test]
fn unsupported_constructs_are_refused_with_their_position() {
    for (lang, src, names) in [
        (
            Language::Groovy,
            "value.op = 'd'",
            "assignment at character 10",
        ),
        (Language::Groovy, "x = 1; x", "assignment"),
        (
            Language::Groovy,
            "value.op == 'c'; true",
            "more than one statement",
        ),
        (
            Language::Groovy,
            "[1,2].each { it }",
            "a block or closure at character 12",
        ),
        (Language::Groovy, "[1,2].each()", "the method each()"),
        (
            Language::Groovy,
            "{ -> true }",
            "a block or closure at character 1",
        ),
        (Language::Groovy, "new File('x').text", "the keyword new"),
        (
            Language::Groovy,
            "import java.io.File",
            "the keyword import",
        ),
        (Language::Groovy, "System.exit(0)", "the name \"System\""),
        (
            Language::Groovy,
            "Runtime.getRuntime().exec('ls')",
            "the name \"Runtime\"",
        ),
        (Language::Groovy, "evaluate('1')", "the name \"evaluate\""),
        (Language::Groovy, "this.class", "the keyword this"),
        (
            Language::Groovy,
            "value.getClass()",
            "the method getClass()",
        ),
        (
            Language::Groovy,
            "value.op.execute()",
            "the method execute()",
        ),
        (Language::Groovy, "\"x${value.op}\"", "string interpolation"),
        (Language::Groovy, "value.op === 'c'", "identity comparison"),
        (Language::Groovy, "1..3", "a range"),
        (Language::Groovy, "value.after*.id", "the spread operator"),
        (Language::Groovy, "value.op =~ 'c'", "the =~ operator"),
        (Language::Groovy, "for (i in 1) x", "the keyword for"),
        (Language::Groovy, "while (true) x", "the keyword while"),
        (Language::Groovy, "value.op ?? 'x'", "the ?? operator"),
        (Language::Groovy, "def x", "the keyword def"),
        (Language::Groovy, "1 << 2", "a shift operator"),
        (Language::Groovy, "0x1F", "a hexadecimal"),
        (Language::Groovy, "99999999999999999999", "beyond a long"),
        (Language::Groovy, "value.op(1)", "the method op()"),
        (
            Language::Groovy,
            "value.op.startsWith()",
            "startsWith() with 0 argument(s)",
        ),
        (
            Language::Groovy,
            "'abc",
            "an unterminated string at character 1",
        ),
        (Language::Groovy, "/* x", "an unterminated comment"),
        (
            Language::Groovy,
            "value.op ==",
            "an incomplete expression at character 12",
        ),
        (
            Language::Groovy,
            "(value.op",
            "the end of the expression where \")\" was expected",
        ),
        (Language::Groovy, "", "an empty expression"),
        (
            Language::Groovy,
            "value.op 'c'",
            "a string after a complete expression",
        ),
        (Language::JavaScript, "value.op in ['c']", "the in operator"),
        (Language::JavaScript, "`t${value.op}`", "a template literal"),
        (Language::JavaScript, "(() => 1)()", "an arrow function"),
        (Language::JavaScript, "function f()", "the keyword function"),
        (Language::JavaScript, "let x", "the keyword let"),
        (Language::JavaScript, "typeof value", "the keyword typeof"),
        (Language::JavaScript, "value.op ?: 'x'", "the ?: operator"),
        (
            Language::JavaScript,
            "value.after.get('id')",
            "the method get() (in JavaScript)",
        ),
        (
            Language::JavaScript,
            "value.op.contains('c')",
            "the method contains() (in JavaScript)",
        ),
        (Language::JavaScript, "value.op++", "increment"),
        (Language::JavaScript, "eval('1')", "the name \"eval\""),
        (
            Language::JavaScript,
            "Java.type('java.lang.System')",
            "the name \"Java\"",
        ),
    ] {
        match Script::compile(src, lang) {
            Ok(_) => panic!("{src:?} was accepted"),
            Err(e) => assert!(
                e.to_string().contains(names),
                "{src:?}: {e} does not name {names:?}"
            ),
        }
    }
}

#[test]
fn hostile_inputs_are_refused_without_panicking() {
    let deep = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
    assert!(Script::compile(&deep, Language::Groovy)
        .unwrap_err()
        .what
        .contains("nesting deeper"));
    let nots = format!("{}true", "!".repeat(5_000));
    assert!(Script::compile(&nots, Language::JavaScript).is_err());
    let chain = format!("value{}", ".a".repeat(1_000));
    assert!(Script::compile(&chain, Language::Groovy).is_err());
    let long = format!("'{}'", "x".repeat(100_000));
    assert!(Script::compile(&long, Language::Groovy)
        .unwrap_err()
        .what
        .contains("longer than"));
    let big = "9".repeat(39);
    assert!(Script::compile(&big, Language::Groovy).is_err());
    assert!(Script::compile(&format!("{big}.5"), Language::Groovy).is_err());
    for src in [
        "'",
        "\"",
        "'\\",
        "'\\u12",
        "\\",
        "\u{0}",
        "é",
        "value.",
        "value?.",
        "value[",
        "a ? b",
        "1e",
        "1.",
        ".5",
        "?.",
        "((((",
        "))))",
        "[,]",
        "'\\q'",
        "value.'op'",
        "\u{1F600}",
    ] {
        let _ = Script::compile(src, Language::Groovy);
        let _ = Script::compile(src, Language::JavaScript);
    }
    // Long sums are refused beyond the tree's depth, and evaluate within it.
    let sum = vec!["value.op"; 1000].join(" + ");
    assert!(Script::compile(&sum, Language::Groovy).is_err());
    let sum = vec!["value.op"; 50].join(" + ");
    let r = record("c", Some((1, "a")));
    assert_eq!(run(Language::Groovy, &sum, &r).map(|s| s.len()), Ok(50));
    // As deep as allowed, evaluation stays within a small thread's stack.
    let deepest = vec!["value.op"; 60].join(" + ");
    let small = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || run(Language::Groovy, &deepest, &r).map(|s| s.len()))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(small, Ok(60));
}
