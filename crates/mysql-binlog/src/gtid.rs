//! GTIDs and GTID sets in MariaDB's form (`domain-server-seq`, one per domain) and MySQL's
//! (`uuid:interval[:interval],...`, the executed set: [`MySqlGtidSet`]).

use std::collections::BTreeMap;
use std::fmt;

/// One MariaDB GTID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

impl std::str::FromStr for Gtid {
    type Err = String;
    fn from_str(s: &str) -> Result<Gtid, String> {
        let mut p = s.trim().split('-');
        let bad = || format!("{s:?} is not a MariaDB GTID (domain-server-sequence)");
        let domain = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let server = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let seq = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        if p.next().is_some() {
            return Err(bad());
        }
        Ok(Gtid {
            domain,
            server,
            seq,
        })
    }
}

/// MariaDB's GTID position: the last GTID of each replication domain
/// (`@@gtid_binlog_pos`, `@slave_connect_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MariaGtidSet {
    by_domain: BTreeMap<u32, Gtid>,
}

impl MariaGtidSet {
    pub fn parse(s: &str) -> Result<MariaGtidSet, String> {
        let mut set = MariaGtidSet::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            set.add(part.parse()?);
        }
        Ok(set)
    }

    /// Records a GTID as the latest of its domain.
    pub fn add(&mut self, g: Gtid) {
        self.by_domain.insert(g.domain, g);
    }

    pub fn is_empty(&self) -> bool {
        self.by_domain.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Gtid> {
        self.by_domain.values()
    }
}

impl fmt::Display for MariaGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.by_domain.values().map(Gtid::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// MySQL's GTID set (`@@gtid_executed`, `Executed_Gtid_Set`): per source UUID (and tag, MySQL
/// 8.4's `uuid:tag:n`), closed intervals of transaction numbers. Restart sends it in
/// COM_BINLOG_DUMP_GTID ([`MySqlGtidSet::sids`]), and the server streams what it lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MySqlGtidSet {
    /// `uuid` or `uuid:tag` (lower case) → sorted, disjoint, non-adjacent closed intervals.
    by_source: BTreeMap<String, Vec<(u64, u64)>>,
}

impl MySqlGtidSet {
    /// Parses the server's text form; whitespace and newlines (as `@@gtid_executed` prints
    /// them) are ignored. Errors name the part that is wrong.
    pub fn parse(s: &str) -> Result<MySqlGtidSet, String> {
        let mut set = MySqlGtidSet::default();
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        for part in compact.split(',').filter(|p| !p.is_empty()) {
            let bad = |why: &str| format!("{part:?} is not a MySQL GTID set entry ({why})");
            let mut fields = part.split(':');
            let uuid = fields.next().unwrap_or_default().to_ascii_lowercase();
            if !is_uuid(&uuid) {
                return Err(bad("expected a UUID first"));
            }
            let mut source = uuid;
            let mut any = false;
            for f in fields {
                if f.is_empty() {
                    return Err(bad("empty interval"));
                }
                if f.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    // A tag starts a new group of intervals for the same UUID.
                    source = format!(
                        "{}:{}",
                        &source[..36.min(source.len())],
                        f.to_ascii_lowercase()
                    );
                    continue;
                }
                let (a, b) = match f.split_once('-') {
                    Some((a, b)) => (a, b),
                    None => (f, f),
                };
                let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) else {
                    return Err(bad("intervals are n or n-m"));
                };
                if a == 0 || b < a {
                    return Err(bad("intervals start at 1 and do not run backwards"));
                }
                set.add_interval(&source, a, b);
                any = true;
            }
            if !any {
                return Err(bad("no interval"));
            }
        }
        Ok(set)
    }

    /// Adds one transaction `source:gno`.
    pub fn add(&mut self, source: &str, gno: u64) {
        if gno > 0 {
            self.add_interval(&source.to_ascii_lowercase(), gno, gno);
        }
    }

    fn add_interval(&mut self, source: &str, a: u64, b: u64) {
        let v = self.by_source.entry(source.to_owned()).or_default();
        v.push((a, b));
        v.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(v.len());
        for &(a, b) in v.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *v = merged;
    }

    pub fn is_empty(&self) -> bool {
        self.by_source.is_empty()
    }

    /// Whether `source:gno` is in the set.
    pub fn contains(&self, source: &str, gno: u64) -> bool {
        self.by_source
            .get(&source.to_ascii_lowercase())
            .is_some_and(|v| v.iter().any(|&(a, b)| a <= gno && gno <= b))
    }

    /// The set as COM_BINLOG_DUMP_GTID's SID blocks (intervals there are half-open).
    pub fn sids(&self) -> Result<Vec<mysql_common::packets::Sid<'static>>, String> {
        self.by_source
            .iter()
            .map(|(source, intervals)| {
                let mut text = source.clone();
                for (a, b) in intervals {
                    text.push_str(&format!(":{a}-{b}"));
                }
                text.parse::<mysql_common::packets::Sid<'static>>()
                    .map_err(|e| format!("GTID set entry {text:?}: {e}"))
            })
            .collect()
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

impl fmt::Display for MySqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (source, intervals) in &self.by_source {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(source)?;
            for &(a, b) in intervals {
                if a == b {
                    write!(f, ":{a}")?;
                } else {
                    write!(f, ":{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_keep_the_last_gtid_per_domain() {
        let mut s = MariaGtidSet::parse("0-1-5, 1-2-9").unwrap();
        s.add("0-1-6".parse().unwrap());
        assert_eq!(s.to_string(), "0-1-6,1-2-9");
        assert!(MariaGtidSet::parse("0-1").is_err());
        assert!(MariaGtidSet::parse("").unwrap().is_empty());
    }

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "4f22fb58-82db-22f2-af44-d91bba53a673";

    #[test]
    fn mysql_sets_parse_merge_and_print() {
        let s = MySqlGtidSet::parse(&format!("{A}:1-5:7,\n{B}:3")).unwrap();
        assert_eq!(s.to_string(), format!("{A}:1-5:7,{B}:3"));
        let mut s2 = s.clone();
        s2.add(A, 6);
        s2.add(&B.to_uppercase(), 4);
        assert_eq!(s2.to_string(), format!("{A}:1-7,{B}:3-4"));
        assert!(s2.contains(A, 6) && !s.contains(A, 6));
        assert!(MySqlGtidSet::parse("").unwrap().is_empty());
        for bad in [
            "nope:1",
            A,
            &format!("{A}:0"),
            &format!("{A}:5-3"),
            &format!("{A}:x"),
        ] {
            assert!(MySqlGtidSet::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn mysql_sets_become_half_open_sid_blocks() {
        let s = MySqlGtidSet::parse(&format!("{A}:1-5:7")).unwrap();
        let sids = s.sids().unwrap();
        assert_eq!(sids.len(), 1);
        let iv: Vec<(u64, u64)> = sids[0]
            .intervals()
            .iter()
            .map(|i| (i.start(), i.end()))
            .collect();
        assert_eq!(iv, vec![(1, 6), (7, 8)]);
        assert_eq!(sids[0].uuid()[..2], [0x3e, 0x11]);
    }
}
