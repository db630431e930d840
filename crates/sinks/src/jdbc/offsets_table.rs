//! The exactly-once bookkeeping table (issue 14 item 3, `tributary.exactly.once=true`): the
//! writer upserts the next offset of each topic partition in the same transaction as the rows,
//! and on open reads them back to resume from (they override the runtime's committed positions).
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS tributary_sink_offsets (
//!   connector varchar(255) NOT NULL, topic varchar(255) NOT NULL, partition integer NOT NULL,
//!   next_offset bigint NOT NULL, PRIMARY KEY (connector, topic, partition))
//! ```
//!
//! Kafka topic names have at most 249 characters; connector names are bounded to 255 here. On
//! MySQL/MariaDB with utf8mb4 the key is (255 + 255) × 4 + 4 bytes, within InnoDB's 3072.

use super::dialect::{Dialect, Ident, TableName};
use super::statement::{create_table, upsert, ColumnDef, Param, StatementError};

/// The bookkeeping table's statements for one table name.
#[derive(Debug, Clone)]
pub struct OffsetsTable {
    dialect: Dialect,
    table: TableName,
    connector: Ident,
    topic: Ident,
    partition: Ident,
    next_offset: Ident,
}

impl OffsetsTable {
    pub fn new(dialect: Dialect, table: TableName) -> Self {
        let ident = |n: &str| {
            dialect
                .ident(n)
                .unwrap_or_else(|_| unreachable!("fixed name"))
        };
        OffsetsTable {
            dialect,
            table,
            connector: ident("connector"),
            topic: ident("topic"),
            partition: ident("partition"),
            next_offset: ident("next_offset"),
        }
    }

    /// `CREATE TABLE IF NOT EXISTS ...`.
    pub fn create(&self) -> String {
        let int = if self.dialect == Dialect::Postgres {
            "integer"
        } else {
            "int"
        };
        let cols = [
            (&self.connector, "varchar(255)"),
            (&self.topic, "varchar(255)"),
            (&self.partition, int),
            (&self.next_offset, "bigint"),
        ]
        .map(|(name, ddl)| ColumnDef {
            name,
            ddl,
            nullable: false,
            default: None,
        });
        create_table(
            self.dialect,
            &self.table,
            &cols,
            &[&self.connector, &self.topic, &self.partition],
        )
        .unwrap_or_default()
    }

    /// Upserts `rows` positions; parameters per row: connector, topic, partition, next offset.
    pub fn store(&self, rows: usize) -> Result<String, StatementError> {
        upsert(
            self.dialect,
            &self.table,
            &[
                Param::new(&self.connector),
                Param::new(&self.topic),
                Param::new(&self.partition),
            ],
            &[Param::new(&self.next_offset)],
            rows,
        )
    }

    /// Reads a connector's positions; one parameter, the connector name. Rows: topic,
    /// partition, next offset.
    pub fn load(&self) -> String {
        let d = self.dialect;
        let mut q = String::from("SELECT ");
        d.write_quoted(&mut q, &self.topic);
        q.push_str(", ");
        d.write_quoted(&mut q, &self.partition);
        q.push_str(", ");
        d.write_quoted(&mut q, &self.next_offset);
        q.push_str(" FROM ");
        d.write_table(&mut q, &self.table);
        q.push_str(" WHERE ");
        d.write_quoted(&mut q, &self.connector);
        q.push_str(" = ");
        d.write_placeholder(&mut q, 1);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(d: Dialect) -> OffsetsTable {
        OffsetsTable::new(
            d,
            TableName {
                database: None,
                schema: None,
                name: d.ident("tributary_sink_offsets").unwrap(),
            },
        )
    }

    #[test]
    fn postgres_statements() {
        let t = table(Dialect::Postgres);
        assert_eq!(
            t.create(),
            "CREATE TABLE IF NOT EXISTS \"tributary_sink_offsets\" (\"connector\" varchar(255) NOT NULL, \"topic\" varchar(255) NOT NULL, \"partition\" integer NOT NULL, \"next_offset\" bigint NOT NULL, PRIMARY KEY (\"connector\", \"topic\", \"partition\"))"
        );
        assert_eq!(
            t.store(2).unwrap(),
            "INSERT INTO \"tributary_sink_offsets\" (\"connector\", \"topic\", \"partition\", \"next_offset\") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT (\"connector\", \"topic\", \"partition\") DO UPDATE SET \"next_offset\" = EXCLUDED.\"next_offset\""
        );
        assert_eq!(
            t.load(),
            "SELECT \"topic\", \"partition\", \"next_offset\" FROM \"tributary_sink_offsets\" WHERE \"connector\" = $1"
        );
    }

    #[test]
    fn mysql_statements() {
        let t = table(Dialect::MySql);
        assert!(
            t.create().contains("`partition` int NOT NULL"),
            "{}",
            t.create()
        );
        assert_eq!(
            t.store(1).unwrap(),
            "INSERT INTO `tributary_sink_offsets` (`connector`, `topic`, `partition`, `next_offset`) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `next_offset` = VALUES(`next_offset`)"
        );
        assert_eq!(
            t.load(),
            "SELECT `topic`, `partition`, `next_offset` FROM `tributary_sink_offsets` WHERE `connector` = ?"
        );
    }
}
