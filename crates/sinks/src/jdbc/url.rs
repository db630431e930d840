//! JDBC URLs: `jdbc:postgresql://host:port/db?k=v&...`, `jdbc:mysql://...`, `jdbc:mariadb://...`.
//!
//! Every query parameter is either mapped to a setting we act on, or accepted as having no
//! effect on what is written (and listed in [`JdbcUrl::ignored`]), or refused by name: no
//! parameter is silently dropped. Errors never contain the URL or a password; they name the
//! parameter and, for non-secret parameters, its value.
//!
//! TLS modes per driver (pgjdbc 42.x, MySQL Connector/J 8+, MariaDB Connector/J 3):
//!
//! | parameter | meaning here |
//! |---|---|
//! | pg `sslmode` | `disable`, `allow`, `prefer` (default), `require`, `verify-ca`, `verify-full` |
//! | pg `ssl=true` | `verify-full` unless `sslmode` says otherwise (pgjdbc's rule) |
//! | mysql `sslMode` | `DISABLED`, `PREFERRED` (default), `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY` |
//! | mysql `useSSL` | `false` → `DISABLED`, `true` → `REQUIRED` |
//! | mariadb `sslMode` | `disable` (default), `trust` (TLS without verification), `verify-ca`, `verify-full` |
//! | mariadb `useSsl`/`useSSL` | `true` → `verify-full` (Connector/J 3's legacy alias; **unconfirmed**) |

use std::collections::BTreeMap;

use cdc_core::Secret;

use super::dialect::Dialect;

/// How the writer must use TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    /// pgjdbc `allow`: plain first, TLS if the server insists.
    Allow,
    /// TLS when the server offers it, plain otherwise.
    Prefer,
    /// TLS without certificate verification.
    Require,
    /// TLS, the certificate chain verified, not the host name.
    VerifyCa,
    /// TLS, chain and host name verified.
    VerifyFull,
}

/// A parsed JDBC URL.
#[derive(Debug, Clone, PartialEq)]
pub struct JdbcUrl {
    pub dialect: Dialect,
    pub host: String,
    pub port: u16,
    /// The database (PostgreSQL defaults to the user's name when absent; MySQL connects to none).
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub tls: TlsMode,
    /// A CA certificate file (`sslrootcert`, `serverSslCert`, `trustCertificateKeyStoreUrl` is refused).
    pub tls_root_cert: Option<String>,
    /// PostgreSQL `currentSchema`: the search path unqualified tables resolve in.
    pub current_schema: Option<String>,
    /// PostgreSQL `ApplicationName`.
    pub application_name: Option<String>,
    /// `connectTimeout` in milliseconds (pgjdbc gives seconds; converted).
    pub connect_timeout_ms: Option<u64>,
    /// Parameters accepted although they change nothing we write (e.g. `reWriteBatchedInserts`:
    /// our inserts are always multi-row), for a warning at start.
    pub ignored: Vec<String>,
}

/// What is wrong with a JDBC URL. No variant carries the URL or a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must start with jdbc:postgresql:, jdbc:mysql: or jdbc:mariadb:")]
    Scheme,
    #[error("credentials before the host (user:password@host) are not supported; use the user and password parameters or properties")]
    UserInfo,
    #[error("multiple hosts (failover or load balancing) are not supported; give one host")]
    MultipleHosts,
    #[error("the port {0:?} is not a number between 1 and 65535")]
    Port(String),
    #[error("the host is empty")]
    EmptyHost,
    #[error("an IPv6 host must be closed with ']'")]
    Ipv6,
    #[error("the URL has a malformed percent escape")]
    Escape,
    #[error("the URL parameter {name} is not supported{hint}")]
    UnknownParameter { name: String, hint: String },
    #[error("the URL parameter {name} has the value {value:?}; valid values: {valid}")]
    BadValue {
        name: String,
        value: String,
        valid: &'static str,
    },
    #[error("the URL parameter password is malformed")]
    BadPassword,
    #[error("the URL gives the parameter {0} twice")]
    Duplicate(String),
}

impl JdbcUrl {
    /// What a TLS connection to the target uses (PostgreSQL), `None` for plaintext. libpq's and
    /// pgjdbc's rule: `require` with a root file verifies like `verify-ca`. Without a root file,
    /// `verify-*` trust the built-in public roots (pgjdbc would read `~/.postgresql/root.crt`).
    pub fn client_tls(&self) -> Option<cdc_core::tls::ClientTls> {
        use cdc_core::tls::{ClientTls, Roots, Verify};
        let verify = match self.tls {
            TlsMode::Disable => return None,
            TlsMode::VerifyFull => Verify::Full,
            TlsMode::VerifyCa => Verify::Chain,
            TlsMode::Require if self.tls_root_cert.is_some() => Verify::Chain,
            TlsMode::Allow | TlsMode::Prefer | TlsMode::Require => Verify::None,
        };
        let roots = match self.tls_root_cert.as_deref() {
            None | Some("system") => Roots::BuiltIn,
            Some(path) => Roots::Pem {
                property: format!("connection.url {}", root_cert_param(self.dialect)),
                path: path.into(),
            },
        };
        Some(ClientTls {
            verify,
            roots,
            identity: None,
        })
    }

    /// Must the connection be encrypted (`require` and stricter)?
    pub fn tls_required(&self) -> bool {
        matches!(
            self.tls,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull
        )
    }

    pub fn parse(url: &str) -> Result<JdbcUrl, UrlError> {
        let url = url.trim();
        let (dialect, rest) = if let Some(r) = url.strip_prefix("jdbc:postgresql:") {
            (Dialect::Postgres, r)
        } else if let Some(r) = url.strip_prefix("jdbc:mysql:") {
            (Dialect::MySql, r)
        } else if let Some(r) = url.strip_prefix("jdbc:mariadb:") {
            (Dialect::MariaDb, r)
        } else {
            return Err(UrlError::Scheme);
        };
        let (location, query) = match rest.split_once('?') {
            Some((l, q)) => (l, Some(q)),
            None => (rest, None),
        };
        let default_port = match dialect {
            Dialect::Postgres => 5432,
            Dialect::MySql | Dialect::MariaDb => 3306,
        };
        let (host, port, database) = match location.strip_prefix("//") {
            Some(authority_and_path) => {
                let (authority, path) = match authority_and_path.split_once('/') {
                    Some((a, p)) => (a, Some(p)),
                    None => (authority_and_path, None),
                };
                let (host, port) = host_port(authority, default_port)?;
                (host, port, path.map(decode).transpose()?)
            }
            // `jdbc:postgresql:db` and `jdbc:postgresql:/`: the local server.
            None if dialect == Dialect::Postgres => (
                "localhost".to_owned(),
                default_port,
                Some(decode(location.trim_start_matches('/'))?),
            ),
            None => return Err(UrlError::Scheme),
        };
        let mut out = JdbcUrl {
            dialect,
            host,
            port,
            database: database.filter(|d| !d.is_empty()),
            user: None,
            password: None,
            tls: match dialect {
                Dialect::Postgres | Dialect::MySql => TlsMode::Prefer,
                Dialect::MariaDb => TlsMode::Disable,
            },
            tls_root_cert: None,
            current_schema: None,
            application_name: None,
            connect_timeout_ms: None,
            ignored: Vec::new(),
        };
        let params = parameters(query.unwrap_or(""))?;
        out.apply(params)?;
        Ok(out)
    }

    fn apply(&mut self, mut params: BTreeMap<String, String>) -> Result<(), UrlError> {
        if let Some(pw) = params.remove("password") {
            self.password = Some(Secret::new(pw));
        }
        if let Some(user) = params.remove("user") {
            self.user = Some(user);
        }
        // pgjdbc: `ssl=true` means verify-full unless sslmode is given.
        let ssl_flag = match self.dialect {
            Dialect::Postgres => params.remove("ssl"),
            Dialect::MySql => params.remove("useSSL"),
            Dialect::MariaDb => params.remove("useSsl").or_else(|| params.remove("useSSL")),
        };
        if let Some(flag) = ssl_flag {
            let on = boolean(ssl_param_name(self.dialect), &flag)?;
            self.tls = match (self.dialect, on) {
                (_, false) => TlsMode::Disable,
                (Dialect::MySql, true) => TlsMode::Require,
                (_, true) => TlsMode::VerifyFull,
            };
        }
        if let Some(mode) = params.remove(ssl_mode_name(self.dialect)) {
            self.tls = tls_mode(self.dialect, &mode)?;
        }
        self.tls_root_cert = params.remove(root_cert_param(self.dialect));
        if self.dialect == Dialect::Postgres {
            self.current_schema = params.remove("currentSchema");
            self.application_name = params
                .remove("ApplicationName")
                .or_else(|| params.remove("applicationName"));
        }
        if let Some(t) = params.remove("connectTimeout") {
            let n: u64 = t.parse().map_err(|_| UrlError::BadValue {
                name: "connectTimeout".into(),
                value: t.clone(),
                valid: "a whole number",
            })?;
            // pgjdbc counts seconds, the MySQL and MariaDB drivers milliseconds.
            self.connect_timeout_ms = Some(match self.dialect {
                Dialect::Postgres => n.saturating_mul(1000),
                Dialect::MySql | Dialect::MariaDb => n,
            });
        }
        let batching = match self.dialect {
            Dialect::Postgres => "reWriteBatchedInserts",
            Dialect::MySql | Dialect::MariaDb => "rewriteBatchedStatements",
        };
        if let Some(v) = params.remove(batching) {
            boolean(batching, &v)?;
            self.ignored.push(batching.to_owned());
        }
        if let Some((name, _)) = params.into_iter().next() {
            let hint = match name.as_str() {
                "serverTimezone" | "connectionTimeZone" | "sessionVariables" | "options" => {
                    "; it changes how values are written: set use.time.zone / db.timezone instead"
                }
                _ => "; remove it from connection.url",
            };
            return Err(UrlError::UnknownParameter {
                name,
                hint: hint.into(),
            });
        }
        Ok(())
    }
}

/// The parameter naming the CA certificate file.
fn root_cert_param(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "sslrootcert",
        Dialect::MySql | Dialect::MariaDb => "serverSslCert",
    }
}

fn ssl_param_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "ssl",
        Dialect::MySql => "useSSL",
        Dialect::MariaDb => "useSsl",
    }
}

fn ssl_mode_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "sslmode",
        Dialect::MySql | Dialect::MariaDb => "sslMode",
    }
}

fn tls_mode(d: Dialect, v: &str) -> Result<TlsMode, UrlError> {
    let mode = match (d, v.to_ascii_lowercase().replace('_', "-").as_str()) {
        (Dialect::Postgres, "disable") | (Dialect::MySql, "disabled") => TlsMode::Disable,
        (Dialect::MariaDb, "disable") => TlsMode::Disable,
        (Dialect::Postgres, "allow") => TlsMode::Allow,
        (Dialect::Postgres, "prefer") | (Dialect::MySql, "preferred") => TlsMode::Prefer,
        (Dialect::Postgres, "require") | (Dialect::MySql, "required") => TlsMode::Require,
        (Dialect::MariaDb, "trust") => TlsMode::Require,
        (Dialect::Postgres | Dialect::MariaDb, "verify-ca") | (Dialect::MySql, "verify-ca") => {
            TlsMode::VerifyCa
        }
        (Dialect::Postgres | Dialect::MariaDb, "verify-full")
        | (Dialect::MySql, "verify-identity") => TlsMode::VerifyFull,
        _ => {
            return Err(UrlError::BadValue {
                name: ssl_mode_name(d).into(),
                value: v.into(),
                valid: match d {
                    Dialect::Postgres => "disable, allow, prefer, require, verify-ca, verify-full",
                    Dialect::MySql => "DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY",
                    Dialect::MariaDb => "disable, trust, verify-ca, verify-full",
                },
            })
        }
    };
    Ok(mode)
}

fn boolean(name: &str, v: &str) -> Result<bool, UrlError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(UrlError::BadValue {
            name: name.into(),
            value: v.into(),
            valid: "true, false",
        }),
    }
}

fn host_port(authority: &str, default_port: u16) -> Result<(String, u16), UrlError> {
    if authority.contains('@') {
        return Err(UrlError::UserInfo);
    }
    if authority.contains(',') {
        return Err(UrlError::MultipleHosts);
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or(UrlError::Ipv6)?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(UrlError::Port(p.into())),
        },
    };
    Ok((decode(host)?, port))
}

/// Query parameters, percent-decoded. A password that does not decode is reported without
/// its text.
fn parameters(query: &str) -> Result<BTreeMap<String, String>, UrlError> {
    let mut out = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k)?;
        let v = match decode(v) {
            Ok(v) => v,
            Err(_) if k == "password" => return Err(UrlError::BadPassword),
            Err(e) => return Err(e),
        };
        if out.insert(k.clone(), v).is_some() {
            return Err(UrlError::Duplicate(k));
        }
    }
    Ok(out)
}

fn decode(s: &str) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(UrlError::Escape)?;
                let hex = std::str::from_utf8(hex).map_err(|_| UrlError::Escape)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| UrlError::Escape)?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::Escape)
}

/// The URL with every `password=` value, and anything before an `@` in the authority,
/// replaced by `[hidden]`, for messages that must show it.
pub fn redact(url: &str) -> String {
    let hidden = cdc_core::config::HIDDEN;
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let head = match head.split_once("//") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}//{hidden}{}", &rest[at..]),
                None => head.to_owned(),
            }
        }
        None => head.to_owned(),
    };
    let Some(query) = query else {
        return head;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                format!("{k}={}", cdc_core::config::HIDDEN)
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_url_with_defaults_and_parameters() {
        let u = JdbcUrl::parse(
            "jdbc:postgresql://db.example:6543/inventory?user=sink&password=p%40ss&sslmode=verify-full&currentSchema=dw&ApplicationName=tributary&connectTimeout=5",
        )
        .unwrap();
        assert_eq!(u.dialect, Dialect::Postgres);
        assert_eq!((u.host.as_str(), u.port), ("db.example", 6543));
        assert_eq!(u.database.as_deref(), Some("inventory"));
        assert_eq!(u.user.as_deref(), Some("sink"));
        assert_eq!(u.password.as_ref().unwrap().expose(), "p@ss");
        assert_eq!(u.tls, TlsMode::VerifyFull);
        assert_eq!(u.current_schema.as_deref(), Some("dw"));
        assert_eq!(u.application_name.as_deref(), Some("tributary"));
        assert_eq!(u.connect_timeout_ms, Some(5000));

        let u = JdbcUrl::parse("jdbc:postgresql://localhost/db").unwrap();
        assert_eq!((u.port, u.tls), (5432, TlsMode::Prefer));
        let u = JdbcUrl::parse("jdbc:postgresql:inventory").unwrap();
        assert_eq!(
            (u.host.as_str(), u.database.as_deref()),
            ("localhost", Some("inventory"))
        );
        let u = JdbcUrl::parse("jdbc:postgresql://[::1]:5433/").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.database), ("::1", 5433, None));
    }

    #[test]
    fn ssl_flags_follow_each_driver() {
        let mode = |url: &str| JdbcUrl::parse(url).unwrap().tls;
        assert_eq!(mode("jdbc:postgresql://h/d?ssl=true"), TlsMode::VerifyFull);
        assert_eq!(
            mode("jdbc:postgresql://h/d?ssl=true&sslmode=require"),
            TlsMode::Require
        );
        assert_eq!(mode("jdbc:postgresql://h/d?ssl=false"), TlsMode::Disable);
        assert_eq!(mode("jdbc:mysql://h/d"), TlsMode::Prefer);
        assert_eq!(mode("jdbc:mysql://h/d?useSSL=false"), TlsMode::Disable);
        assert_eq!(mode("jdbc:mysql://h/d?useSSL=true"), TlsMode::Require);
        assert_eq!(
            mode("jdbc:mysql://h/d?sslMode=VERIFY_IDENTITY"),
            TlsMode::VerifyFull
        );
        assert_eq!(mode("jdbc:mariadb://h/d"), TlsMode::Disable);
        assert_eq!(mode("jdbc:mariadb://h/d?sslMode=trust"), TlsMode::Require);
        assert_eq!(
            mode("jdbc:mariadb://h/d?sslMode=verify-ca"),
            TlsMode::VerifyCa
        );
    }

    #[test]
    fn mysql_and_mariadb_default_port_and_timeouts_in_ms() {
        let u = JdbcUrl::parse("jdbc:mysql://m1/shop?user=u&connectTimeout=2500").unwrap();
        assert_eq!((u.dialect, u.port), (Dialect::MySql, 3306));
        assert_eq!(u.connect_timeout_ms, Some(2500));
        let u = JdbcUrl::parse("jdbc:mariadb://m2:3307").unwrap();
        assert_eq!(
            (u.dialect, u.port, u.database),
            (Dialect::MariaDb, 3307, None)
        );
        let u = JdbcUrl::parse("jdbc:mariadb://m2/x?rewriteBatchedStatements=true").unwrap();
        assert_eq!(u.ignored, ["rewriteBatchedStatements"]);
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        let err = JdbcUrl::parse("jdbc:postgresql://h/d?prepareThreshold=0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the URL parameter prepareThreshold is not supported; remove it from connection.url"
        );
        let err = JdbcUrl::parse("jdbc:mysql://h/d?serverTimezone=UTC").unwrap_err();
        assert!(err.to_string().contains("use.time.zone"), "{err}");
        // currentSchema is PostgreSQL's.
        assert!(JdbcUrl::parse("jdbc:mysql://h/d?currentSchema=x").is_err());
    }

    #[test]
    fn errors_never_show_the_password() {
        for url in [
            "jdbc:postgresql://h/d?password=s3cret&bogus=1",
            "jdbc:postgresql://h/d?password=s3cret%zz",
            "jdbc:mysql://h:99999/d?password=s3cret",
            "jdbc:postgresql://h/d?password=s3cret&password=s3cret",
            "jdbc:postgresql://u:s3cret@h:5432/d",
            "jdbc:mysql://u:s3cret@h/d",
        ] {
            let err = JdbcUrl::parse(url).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
        }
        let u = JdbcUrl::parse("jdbc:postgresql://h/d?password=s3cret").unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
        assert_eq!(
            redact("jdbc:postgresql://h/d?user=u&password=s3cret&ssl=true"),
            "jdbc:postgresql://h/d?user=u&password=[hidden]&ssl=true"
        );
        assert_eq!(
            redact("jdbc:mysql://u:s3cret@h:3306/d?password=x"),
            "jdbc:mysql://[hidden]@h:3306/d?password=[hidden]"
        );
        assert_eq!(redact("jdbc:mysql://h/d"), "jdbc:mysql://h/d");
    }

    #[test]
    fn malformed_urls() {
        let err = |u: &str| JdbcUrl::parse(u).unwrap_err();
        assert_eq!(err("jdbc:oracle:thin:@h:1521/x"), UrlError::Scheme);
        assert_eq!(err("jdbc:mysql:shop"), UrlError::Scheme);
        assert_eq!(err("jdbc:postgresql://h1,h2/d"), UrlError::MultipleHosts);
        assert_eq!(err("jdbc:postgresql://h:0/d"), UrlError::Port("0".into()));
        assert_eq!(err("jdbc:postgresql://:5432/d"), UrlError::EmptyHost);
        assert_eq!(err("jdbc:postgresql://[::1/d"), UrlError::Ipv6);
        assert_eq!(err("jdbc:postgresql://h/d?user=%4"), UrlError::Escape);
        assert_eq!(
            err("jdbc:postgresql://h/d?sslmode=maybe").to_string(),
            "the URL parameter sslmode has the value \"maybe\"; valid values: disable, allow, prefer, require, verify-ca, verify-full"
        );
        assert_eq!(
            err("jdbc:postgresql://h/d?user=a&user=b"),
            UrlError::Duplicate("user".into())
        );
    }
}
