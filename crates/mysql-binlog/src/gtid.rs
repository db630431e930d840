//! GTIDs and GTID sets in MariaDB's form (`domain-server-seq`, one per domain) and MySQL's
//! (`uuid:interval[:interval]`, kept as the server reports it).

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
}
