//! Pure text of replication commands and parsing of their result rows.
//!
//! The replication grammar takes double-quoted identifiers (`""` escapes a quote) and
//! single-quoted string constants (`''` escapes a quote; backslashes are literal).

use crate::lsn::Lsn;

use super::{ReplicationError, SlotCreated, SystemInfo};

/// PostgreSQL's NAMEDATALEN - 1.
const MAX_SLOT_NAME_LEN: usize = 63;

/// `"name"` with embedded double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'value'` with embedded single quotes doubled.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Checks a slot name as the server does: 1 to 63 lowercase letters, digits and underscores.
pub fn validate_slot_name(name: &str) -> Result<(), ReplicationError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_SLOT_NAME_LEN {
        "it is longer than 63 bytes"
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        "only lowercase letters, digits and underscores are allowed"
    } else {
        return Ok(());
    };
    Err(ReplicationError::InvalidArgument {
        what: format!("replication slot name {name:?}"),
        reason: reason.to_owned(),
    })
}

fn reject_nul(what: &str, value: &str) -> Result<(), ReplicationError> {
    if value.contains('\0') {
        return Err(ReplicationError::InvalidArgument {
            what: what.to_owned(),
            reason: "it contains a NUL byte".to_owned(),
        });
    }
    Ok(())
}

/// The major version from the `server_version` parameter: `15.18 (Debian ...)` → 15,
/// `9.6.24` → 9, `17devel` → 17.
pub fn server_major_version(server_version: &str) -> Option<u32> {
    let digits: &str = {
        let end = server_version
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(server_version.len());
        &server_version[..end]
    };
    digits.parse().ok()
}

/// CREATE_REPLICATION_SLOT for a pgoutput slot: PostgreSQL 15's option list, or the older
/// `EXPORT_SNAPSHOT`/`NOEXPORT_SNAPSHOT` keywords (10 to 14) when the server is known to be older.
pub fn create_logical_slot(
    name: &str,
    export_snapshot: bool,
    server_major: Option<u32>,
) -> Result<String, ReplicationError> {
    validate_slot_name(name)?;
    let slot = quote_ident(name);
    let legacy = server_major.is_some_and(|major| major < 15);
    Ok(match (legacy, export_snapshot) {
        (false, true) => {
            format!("CREATE_REPLICATION_SLOT {slot} LOGICAL pgoutput (SNAPSHOT 'export')")
        }
        (false, false) => {
            format!("CREATE_REPLICATION_SLOT {slot} LOGICAL pgoutput (SNAPSHOT 'nothing')")
        }
        (true, true) => format!("CREATE_REPLICATION_SLOT {slot} LOGICAL pgoutput EXPORT_SNAPSHOT"),
        (true, false) => {
            format!("CREATE_REPLICATION_SLOT {slot} LOGICAL pgoutput NOEXPORT_SNAPSHOT")
        }
    })
}

pub fn drop_slot(name: &str, wait: bool) -> Result<String, ReplicationError> {
    validate_slot_name(name)?;
    let wait = if wait { " WAIT" } else { "" };
    Ok(format!("DROP_REPLICATION_SLOT {}{wait}", quote_ident(name)))
}

/// `START_REPLICATION SLOT "slot" LOGICAL 0/0 ("name" 'value', ...)`.
pub fn start_logical_replication(
    slot: &str,
    start: Lsn,
    options: &[(&str, &str)],
) -> Result<String, ReplicationError> {
    validate_slot_name(slot)?;
    let mut cmd = format!(
        "START_REPLICATION SLOT {} LOGICAL {start}",
        quote_ident(slot)
    );
    for (i, (name, value)) in options.iter().enumerate() {
        reject_nul(&format!("replication option name {name:?}"), name)?;
        reject_nul(&format!("value of replication option {name:?}"), value)?;
        if name.is_empty() {
            return Err(ReplicationError::InvalidArgument {
                what: "replication option name".to_owned(),
                reason: "it is empty".to_owned(),
            });
        }
        cmd.push_str(if i == 0 { " (" } else { ", " });
        cmd.push_str(&quote_ident(name));
        cmd.push(' ');
        cmd.push_str(&quote_literal(value));
    }
    if !options.is_empty() {
        cmd.push(')');
    }
    Ok(cmd)
}

type Rows = [Vec<Option<String>>];

/// The one row of IDENTIFY_SYSTEM: systemid, timeline, xlogpos, dbname.
pub fn parse_system_info(rows: &Rows) -> Result<SystemInfo, String> {
    let row = single_row("IDENTIFY_SYSTEM", rows, 4)?;
    Ok(SystemInfo {
        system_id: required("IDENTIFY_SYSTEM", "systemid", &row[0])?.to_owned(),
        timeline: parse("IDENTIFY_SYSTEM", "timeline", &row[1])?,
        xlog_pos: parse("IDENTIFY_SYSTEM", "xlogpos", &row[2])?,
        dbname: row[3].clone(),
    })
}

/// The one row of CREATE_REPLICATION_SLOT: slot_name, consistent_point, snapshot_name,
/// output_plugin.
pub fn parse_slot_created(rows: &Rows) -> Result<SlotCreated, String> {
    let row = single_row("CREATE_REPLICATION_SLOT", rows, 4)?;
    Ok(SlotCreated {
        slot_name: required("CREATE_REPLICATION_SLOT", "slot_name", &row[0])?.to_owned(),
        consistent_point: parse("CREATE_REPLICATION_SLOT", "consistent_point", &row[1])?,
        snapshot_name: row[2].clone(),
        output_plugin: required("CREATE_REPLICATION_SLOT", "output_plugin", &row[3])?.to_owned(),
    })
}

fn single_row<'a>(
    command: &str,
    rows: &'a Rows,
    columns: usize,
) -> Result<&'a [Option<String>], String> {
    match rows {
        [row] if row.len() == columns => Ok(row),
        [row] => Err(format!(
            "{command} returned {} columns, expected {columns}",
            row.len()
        )),
        _ => Err(format!(
            "{command} returned {} rows, expected 1",
            rows.len()
        )),
    }
}

fn required<'a>(command: &str, column: &str, value: &'a Option<String>) -> Result<&'a str, String> {
    value
        .as_deref()
        .ok_or_else(|| format!("{command} returned a null {column}"))
}

fn parse<T: std::str::FromStr>(
    command: &str,
    column: &str,
    value: &Option<String>,
) -> Result<T, String> {
    let text = required(command, column, value)?;
    text.parse()
        .map_err(|_| format!("{command} returned an invalid {column} {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_owned)).collect()
    }

    #[test]
    fn options_are_quoted_and_escaped() {
        let cmd = start_logical_replication(
            "slot_1",
            "16/B374D848".parse().unwrap(),
            &[
                ("proto_version", "1"),
                ("publication_names", "\"pub\",\"it's\""),
                ("we\"ird", "a\\b"),
            ],
        )
        .unwrap();
        assert_eq!(
            cmd,
            r#"START_REPLICATION SLOT "slot_1" LOGICAL 16/B374D848 ("proto_version" '1', "publication_names" '"pub","it''s"', "we""ird" 'a\b')"#
        );
        assert_eq!(
            start_logical_replication("s", Lsn::ZERO, &[]).unwrap(),
            r#"START_REPLICATION SLOT "s" LOGICAL 0/0"#
        );
        assert!(start_logical_replication("s", Lsn::ZERO, &[("a", "b\0")]).is_err());
        assert!(start_logical_replication("s", Lsn::ZERO, &[("", "b")]).is_err());
    }

    #[test]
    fn slot_names_are_checked_before_use() {
        assert!(validate_slot_name("debezium_01").is_ok());
        for bad in ["", "Upper", "has space", "quo\"te", &"x".repeat(64)] {
            let err = validate_slot_name(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid replication slot name"),
                "{err}"
            );
        }
    }

    #[test]
    fn create_slot_uses_the_syntax_of_the_server_version() {
        assert_eq!(
            create_logical_slot("s", true, Some(15)).unwrap(),
            r#"CREATE_REPLICATION_SLOT "s" LOGICAL pgoutput (SNAPSHOT 'export')"#
        );
        assert_eq!(
            create_logical_slot("s", false, None).unwrap(),
            r#"CREATE_REPLICATION_SLOT "s" LOGICAL pgoutput (SNAPSHOT 'nothing')"#
        );
        assert_eq!(
            create_logical_slot("s", true, Some(14)).unwrap(),
            r#"CREATE_REPLICATION_SLOT "s" LOGICAL pgoutput EXPORT_SNAPSHOT"#
        );
        assert_eq!(
            create_logical_slot("s", false, Some(10)).unwrap(),
            r#"CREATE_REPLICATION_SLOT "s" LOGICAL pgoutput NOEXPORT_SNAPSHOT"#
        );
        assert_eq!(
            drop_slot("s", true).unwrap(),
            r#"DROP_REPLICATION_SLOT "s" WAIT"#
        );
        assert_eq!(
            drop_slot("s", false).unwrap(),
            r#"DROP_REPLICATION_SLOT "s""#
        );
    }

    #[test]
    fn server_versions_parse_to_their_major() {
        assert_eq!(
            server_major_version("15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(server_major_version("9.6.24"), Some(9));
        assert_eq!(server_major_version("17devel"), Some(17));
        assert_eq!(server_major_version("devel"), None);
    }

    #[test]
    fn identify_system_rows_parse() {
        let info = parse_system_info(&[row(&[
            Some("7710560917375389922"),
            Some("1"),
            Some("0/39E9868"),
            None,
        ])])
        .unwrap();
        assert_eq!(info.system_id, "7710560917375389922");
        assert_eq!(info.timeline, 1);
        assert_eq!(info.xlog_pos.to_string(), "0/39E9868");
        assert_eq!(info.dbname, None);
        assert!(parse_system_info(&[]).is_err());
        assert!(parse_system_info(&[row(&[Some("1"), Some("x"), Some("0/0"), None])]).is_err());
        assert!(parse_system_info(&[row(&[Some("1"), Some("1")])]).is_err());
    }

    #[test]
    fn create_slot_rows_parse() {
        let slot = parse_slot_created(&[row(&[
            Some("s"),
            Some("0/15C3A08"),
            Some("00000003-00000002-1"),
            Some("pgoutput"),
        ])])
        .unwrap();
        assert_eq!(slot.consistent_point.to_string(), "0/15C3A08");
        assert_eq!(slot.snapshot_name.as_deref(), Some("00000003-00000002-1"));
        assert!(parse_slot_created(&[row(&[Some("s"), None, None, Some("pgoutput")])]).is_err());
    }
}
