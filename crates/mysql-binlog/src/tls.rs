//! TLS to MySQL/MariaDB: `database.ssl.mode` and Debezium's truststore and keystore properties,
//! given as PEM files, turned into `mysql_async`'s TLS options (rustls).
//!
//! Modes, as Debezium's (MySQL Connector/J's `sslMode`): `disabled`; `preferred` (the default:
//! TLS when the server offers it, without verification, else plaintext); `required` (TLS or no
//! connection, without verification); `verify_ca` (the chain must lead to the truststore's CAs,
//! or to the built-in public roots without one); `verify_identity` (the chain and the host name).

use std::path::PathBuf;

use cdc_core::config::ConfigReader;
use mysql_async::{ClientIdentity, SslOpts};

/// `database.ssl.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

/// TLS settings of the connector's connections (binlog, snapshot, queries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MySqlTls {
    pub mode: SslMode,
    /// `database.ssl.truststore`: PEM CA certificates.
    pub truststore: Option<PathBuf>,
    /// `database.ssl.keystore`: PEM client certificate chain and private key (one file).
    pub keystore: Option<PathBuf>,
    /// `database.ssl.keystore.password`: the password of an encrypted (PKCS#8) key in the
    /// keystore file.
    pub keystore_password: Option<cdc_core::Secret>,
}

impl MySqlTls {
    pub const DISABLED: MySqlTls = MySqlTls {
        mode: SslMode::Disabled,
        truststore: None,
        keystore: None,
        keystore_password: None,
    };

    /// Reads the mode and the files, checking each file (a JKS or PKCS12 store, an encrypted
    /// key, a missing file fail naming the property).
    pub fn read(r: &mut ConfigReader<'_>) -> MySqlTls {
        let mode = match r
            .one_of(
                "database.ssl.mode",
                "preferred",
                &[
                    "disabled",
                    "preferred",
                    "required",
                    "verify_ca",
                    "verify_identity",
                ],
            )
            .as_str()
        {
            "disabled" => SslMode::Disabled,
            "required" => SslMode::Required,
            "verify_ca" => SslMode::VerifyCa,
            "verify_identity" => SslMode::VerifyIdentity,
            _ => SslMode::Preferred,
        };
        let truststore = r
            .optional_string("database.ssl.truststore")
            .map(PathBuf::from);
        let keystore = r
            .optional_string("database.ssl.keystore")
            .map(PathBuf::from);
        // A PEM truststore has no password; the keystore's decrypts an encrypted PKCS#8 key.
        let _ = r.secret("database.ssl.truststore.password");
        let keystore_password = r.secret("database.ssl.keystore.password");
        if let Some(path) = &truststore {
            if let Err(e) = cdc_core::tls::read_certs("database.ssl.truststore", path) {
                r.problem(&e.property, e.message);
            }
        }
        if let Some(path) = &keystore {
            let checks = [
                cdc_core::tls::read_certs("database.ssl.keystore", path).err(),
                cdc_core::tls::read_key_with(
                    "database.ssl.keystore",
                    path,
                    keystore_password.as_ref(),
                )
                .err(),
            ];
            if let Some(e) = checks.into_iter().flatten().next() {
                r.problem(&e.property, e.message);
            }
        }
        MySqlTls {
            mode,
            truststore,
            keystore,
            keystore_password,
        }
    }

    /// The TLS options to connect with; `None` for plaintext. `preferred` is tried with TLS
    /// first; see [`MySqlTls::falls_back`].
    pub fn ssl_opts(&self) -> Option<SslOpts> {
        if self.mode == SslMode::Disabled {
            return None;
        }
        let mut opts = SslOpts::default();
        if let Some(path) = &self.truststore {
            opts = opts
                .with_root_certs(vec![path.clone().into()])
                .with_disable_built_in_roots(true);
        }
        if let Some(path) = &self.keystore {
            // mysql_async reads key files itself and cannot decrypt: an encrypted key is handed
            // over decrypted, in memory. (A key that cannot be decrypted failed validation.)
            let key = match cdc_core::tls::decrypted_key_pem(
                "database.ssl.keystore",
                path,
                self.keystore_password.as_ref(),
            ) {
                Ok(Some(pem)) => pem.into_bytes().into(),
                _ => path.clone().into(),
            };
            opts = opts.with_client_identity(Some(ClientIdentity::new(path.clone().into(), key)));
        }
        Some(match self.mode {
            SslMode::VerifyIdentity => opts,
            SslMode::VerifyCa => opts.with_danger_skip_domain_validation(true),
            _ => opts.with_danger_accept_invalid_certs(true),
        })
    }

    /// For `verify_ca`: what the probe verifies the chain with (see [`connect_opts`]).
    pub fn verify_ca_probe(&self) -> Option<cdc_core::tls::ClientTls> {
        use cdc_core::tls::{ClientTls, Roots, Verify};
        (self.mode == SslMode::VerifyCa).then(|| ClientTls {
            verify: Verify::Chain,
            roots: match &self.truststore {
                Some(path) => Roots::Pem {
                    property: "database.ssl.truststore".into(),
                    path: path.clone(),
                },
                None => Roots::BuiltIn,
            },
            identity: None,
        })
    }

    /// Does this connect error mean "the server has no TLS", so that `preferred` retries in
    /// plaintext?
    pub fn falls_back(&self, err: &mysql_async::Error) -> bool {
        self.mode == SslMode::Preferred
            && matches!(
                err,
                mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
            )
    }
}

/// The TLS options for one connection. `verify_ca` should accept the CA's certificate whatever
/// host name it carries, but mysql_async 0.37 does not recognise rustls 0.23's name-mismatch
/// error, so a probe handshake first verifies the chain and reads a name from the certificate,
/// and the connection then verifies the chain and that name.
pub async fn connect_opts(
    tls: &MySqlTls,
    host: &str,
    port: u16,
) -> Result<Option<SslOpts>, std::io::Error> {
    let Some(opts) = tls.ssl_opts() else {
        return Ok(None);
    };
    let Some(probe) = tls.verify_ca_probe() else {
        return Ok(Some(opts));
    };
    Ok(Some(
        match cdc_core::tls::mysql_certificate_name(host, port, &probe).await? {
            Some(name) => opts
                .with_danger_skip_domain_validation(false)
                .with_danger_tls_hostname_override(Some(name)),
            None => opts,
        },
    ))
}

/// Did the connection fail for a TLS reason a person must fix (a refused certificate, a server
/// without TLS when the mode requires it, an unusable file)?
pub fn tls_refused(err: &mysql_async::Error) -> bool {
    match err {
        mysql_async::Error::Io(mysql_async::IoError::Tls(_)) => true,
        // rustls reports a refused certificate as InvalidData; the verify_ca probe a server
        // without TLS as Unsupported.
        mysql_async::Error::Io(mysql_async::IoError::Io(e)) => matches!(
            e.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::Unsupported
        ),
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdc_core::ConfigMap;

    fn read(pairs: &[(&str, &str)]) -> (MySqlTls, Vec<String>) {
        let map: ConfigMap = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut r = ConfigReader::new(&map);
        let tls = MySqlTls::read(&mut r);
        let problems = match r.finish() {
            Ok(()) => vec![],
            Err(e) => {
                e.0.into_iter()
                    .map(|p| format!("{}: {}", p.property, p.message))
                    .collect()
            }
        };
        (tls, problems)
    }

    #[test]
    fn preferred_is_the_default_and_disabled_has_no_tls() {
        let (tls, problems) = read(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(tls.mode, SslMode::Preferred);
        assert!(tls.ssl_opts().unwrap().accept_invalid_certs());
        let (tls, _) = read(&[("database.ssl.mode", "disabled")]);
        assert!(tls.ssl_opts().is_none());
    }

    #[test]
    fn verify_modes_check_what_debezium_checks() {
        let (ca, _) = read(&[("database.ssl.mode", "verify_ca")]);
        let opts = ca.ssl_opts().unwrap();
        assert!(!opts.accept_invalid_certs() && opts.skip_domain_validation());
        let (full, _) = read(&[("database.ssl.mode", "verify_identity")]);
        let opts = full.ssl_opts().unwrap();
        assert!(!opts.accept_invalid_certs() && !opts.skip_domain_validation());
        assert!(!opts.disable_built_in_roots());
    }

    #[test]
    fn a_java_keystore_fails_naming_the_property() {
        let dir = std::env::temp_dir().join(format!("mysql-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jks = dir.join("keystore.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let (_, problems) = read(&[
            ("database.ssl.mode", "verify_ca"),
            ("database.ssl.keystore", jks.to_str().unwrap()),
            ("database.ssl.truststore", "/nonexistent/ca.pem"),
        ]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("database.ssl.truststore: cannot read"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("database.ssl.keystore: "),
            "{problems:?}"
        );
        assert!(problems[1].contains("not a PEM file"), "{problems:?}");
    }
}
