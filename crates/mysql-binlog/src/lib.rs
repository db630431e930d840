//! MySQL and MariaDB change capture for Tributary.

pub mod catalog;
pub mod config;
pub mod configdef;
pub mod convert;
pub mod ddl;

pub use config::MySqlConfig;
pub use configdef::config_def;
