//! mysql-binlog scenarios against the real MariaDB started by `scripts/test.sh`.

mod support;

mod capture;
mod consistency;
mod ddl;
mod privileges;
mod safety;
mod tls;
mod types;
