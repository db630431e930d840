//! TLS to databases: rustls client configs built from PEM files, with libpq's levels of
//! verification (`require`: encrypt only; `verify-ca`: the chain; `verify-full`: the chain and
//! the host name).
//!
//! Both the PostgreSQL connector and the JDBC sink build their configs here, so a file is read,
//! and a problem with it reported, the same way everywhere. Errors name the property that
//! pointed at the file. Only PEM is read: a JKS or PKCS12 store is refused by name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Encrypt, but accept any certificate (libpq `require` without a root file, MySQL
    /// `required`). The handshake signature is still checked against the certificate's key.
    None,
    /// The chain must lead to a trusted root; the host name is not checked (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`, MySQL `verify_identity`).
    Full,
}

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// Mozilla's roots (webpki-roots), for servers with publicly trusted certificates (libpq's
    /// `sslrootcert=system`, the JVM's default truststore for MySQL).
    BuiltIn,
    /// Certificates from a PEM file, named by `property`.
    Pem { property: String, path: PathBuf },
}

/// A client certificate chain and its private key, both PEM (they may be the same file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub cert_property: String,
    pub cert: PathBuf,
    pub key_property: String,
    pub key: PathBuf,
    /// The password of an encrypted key (`database.sslpassword`), if any.
    pub key_password: Option<crate::Secret>,
}

/// What a TLS connection to a database uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    pub verify: Verify,
    pub roots: Roots,
    pub identity: Option<Identity>,
}

/// A TLS file that cannot be used, named by the property that pointed at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {message}")]
pub struct TlsError {
    pub property: String,
    pub message: String,
}

impl TlsError {
    fn new(property: &str, message: impl Into<String>) -> Self {
        TlsError {
            property: property.to_owned(),
            message: message.into(),
        }
    }
}

impl ClientTls {
    /// Reads every file and reports every problem, without connecting: for config validation.
    pub fn check(&self) -> Vec<TlsError> {
        let mut problems = Vec::new();
        if let Roots::Pem { property, path } = &self.roots {
            if let Err(e) = read_certs(property, path) {
                problems.push(e);
            }
        }
        if let Some(id) = &self.identity {
            if let Err(e) = read_certs(&id.cert_property, &id.cert) {
                problems.push(e);
            }
            if let Err(e) = read_key_with(&id.key_property, &id.key, id.key_password.as_ref()) {
                problems.push(e);
            }
        }
        problems
    }

    /// Reads the files and builds the rustls config (ring, TLS 1.2 and 1.3).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        match &self.roots {
            Roots::BuiltIn => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Roots::Pem { property, path } => {
                for cert in read_certs(property, path)? {
                    roots
                        .add(cert)
                        .map_err(|e| TlsError::new(property, format!("{}: {e}", path.display())))?;
                }
            }
        }
        let roots = Arc::new(roots);
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::new("tls", e.to_string()))?;
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| {
                let property = match &self.roots {
                    Roots::Pem { property, .. } => property.as_str(),
                    Roots::BuiltIn => "tls",
                };
                TlsError::new(property, e.to_string())
            })?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.verify {
            Verify::Full => webpki,
            Verify::Chain => Arc::new(ChainOnly(webpki)),
            Verify::None => Arc::new(AnyCertificate(provider)),
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some(id) => {
                let chain = read_certs(&id.cert_property, &id.cert)?;
                let key = read_key_with(&id.key_property, &id.key, id.key_password.as_ref())?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TlsError::new(&id.key_property, e.to_string()))?
            }
        };
        Ok(Arc::new(config))
    }
}

/// The name to verify and to send as SNI: an IP address or a DNS name.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| TlsError::new("database.hostname", format!("{host:?}: {e}")))
}

/// MySQL `verify_ca` for a driver that can only verify against a host name (mysql_async): opens
/// a TLS session the MySQL way (the server's greeting, an SSLRequest, the handshake), verifies
/// the server's chain with `tls` (host name not checked), and returns a DNS name the verified
/// certificate carries (a wildcard's `*` replaced by a label), for the real connection to verify
/// the chain and that name. `None` when the certificate names no DNS host. The server sees a
/// client that leaves after the handshake. Errors: connecting, a server without TLS
/// (`Unsupported`), a refused certificate (`InvalidData`).
pub async fn mysql_certificate_name(
    host: &str,
    port: u16,
    tls: &ClientTls,
) -> std::io::Result<Option<String>> {
    use std::io::{Error, ErrorKind};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const CLIENT_PROTOCOL_41: u32 = 0x0200;
    const CLIENT_SSL: u32 = 0x0800;
    const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
    let config = tls
        .client_config()
        .map_err(|e| Error::new(ErrorKind::InvalidInput, e))?;
    let name = server_name(host).map_err(|e| Error::new(ErrorKind::InvalidInput, e))?;
    let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
    // The greeting: a 4-byte header (length, sequence), protocol 10, the server version (NUL
    // terminated), the connection id (4), 8 bytes of scramble, a filler, capabilities (2, low).
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await?;
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let mut greeting = vec![0u8; len];
    stream.read_exact(&mut greeting).await?;
    let bad = || Error::new(ErrorKind::InvalidData, "not a MySQL server greeting");
    if greeting.first() != Some(&10) {
        return Err(bad());
    }
    let version_end = greeting
        .iter()
        .skip(1)
        .position(|b| *b == 0)
        .ok_or_else(bad)?
        + 1;
    let caps_at = version_end + 1 + 4 + 8 + 1;
    let caps = greeting.get(caps_at..caps_at + 2).ok_or_else(bad)?;
    if u32::from(u16::from_le_bytes([caps[0], caps[1]])) & CLIENT_SSL == 0 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "the server does not offer TLS",
        ));
    }
    // SSLRequest: capabilities, max packet size, character set (utf8mb4_general_ci), 23 zeros.
    let mut request = vec![32, 0, 0, header[3].wrapping_add(1)];
    let flags = CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION;
    request.extend_from_slice(&flags.to_le_bytes());
    request.extend_from_slice(&(16u32 << 20).to_le_bytes());
    request.push(45);
    request.extend_from_slice(&[0; 23]);
    stream.write_all(&request).await?;
    let session = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await?;
    let (_, conn) = session.get_ref();
    let names = conn
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| {
            webpki::EndEntityCert::try_from(leaf).ok().map(|cert| {
                cert.valid_dns_names()
                    .map(|n| n.replacen('*', "tributary-verify-ca", 1))
                    .next()
            })
        })
        .flatten();
    Ok(names)
}

/// Every certificate in a PEM file.
pub fn read_certs(property: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(property, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(property, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsError::new(
            property,
            not_pem(path, &bytes, "certificate"),
        ));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn read_key(property: &str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    read_key_with(property, path, None)
}

/// The first private key in a PEM file; an encrypted PKCS#8 key (`ENCRYPTED PRIVATE KEY`,
/// PBES2 as OpenSSL writes it) is decrypted with `password`.
pub fn read_key_with(
    property: &str,
    path: &Path,
    password: Option<&crate::Secret>,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(property, path)?;
    if String::from_utf8_lossy(&bytes).contains("Proc-Type: 4,ENCRYPTED") {
        return Err(TlsError::new(
            property,
            not_pem(path, &bytes, "private key"),
        ));
    }
    if let Some(der) = encrypted_pkcs8(&bytes) {
        let Some(password) = password else {
            return Err(TlsError::new(
                property,
                format!("{} holds an encrypted private key: give its password ({}), or decrypt it (openssl pkey -in key.pem -out plain.pem) and keep the file readable only by the worker", path.display(), password_property(property)),
            ));
        };
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| TlsError::new(property, format!("{}: {e}", path.display())))?;
        let plain = info.decrypt(password.expose()).map_err(|e| {
            TlsError::new(
                property,
                format!(
                    "cannot decrypt the private key in {} with {}: the password is wrong or the encryption is not PBES2 with AES-CBC ({e})",
                    path.display(),
                    password_property(property)
                ),
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()));
    }
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(TlsError::new(
            property,
            not_pem(path, &bytes, "private key"),
        )),
        Err(e) => Err(TlsError::new(property, format!("{}: {e}", path.display()))),
    }
}

/// For clients that read key files themselves (mysql_async): when `path` holds an encrypted
/// PKCS#8 key, the key decrypted with `password` as PEM (`PRIVATE KEY`), to hand over in
/// memory; `None` when the key is not encrypted.
pub fn decrypted_key_pem(
    property: &str,
    path: &Path,
    password: Option<&crate::Secret>,
) -> Result<Option<String>, TlsError> {
    if encrypted_pkcs8(&read(property, path)?).is_none() {
        return Ok(None);
    }
    let key = read_key_with(property, path, password)?;
    pkcs8::der::pem::encode_string("PRIVATE KEY", pkcs8::LineEnding::LF, key.secret_der())
        .map(Some)
        .map_err(|e| TlsError::new(property, e.to_string()))
}

/// The DER of the first `ENCRYPTED PRIVATE KEY` PEM section, if any.
fn encrypted_pkcs8(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let begin = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
    let start = text.find(begin)?;
    let end = start + text[start..].find("-----END ENCRYPTED PRIVATE KEY-----")?;
    let section = &text[start..end + "-----END ENCRYPTED PRIVATE KEY-----".len()];
    let (label, der) = pkcs8::der::pem::decode_vec(section.as_bytes()).ok()?;
    (label == "ENCRYPTED PRIVATE KEY").then_some(der)
}

/// The property that holds the password of the key `property` names.
fn password_property(property: &str) -> String {
    match property {
        "database.sslkey" => "database.sslpassword".to_owned(),
        p => format!("{p}.password"),
    }
}

fn read(property: &str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path)
        .map_err(|e| TlsError::new(property, format!("cannot read {}: {e}", path.display())))
}

/// Why a file holds no PEM item of the kind wanted, in words a user can act on.
fn not_pem(path: &Path, bytes: &[u8], what: &str) -> String {
    let path = path.display();
    let text = String::from_utf8_lossy(bytes);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        format!("{path} holds a private key in OpenSSL's legacy encrypted format, which Tributary cannot read; convert it to encrypted PKCS#8 (openssl pkcs8 -topk8 -v2 aes256 -in key.pem -out key.p8.pem) or decrypt it (openssl pkey -in key.pem -out plain.pem)")
    } else if !text.contains("-----BEGIN ") {
        format!("{path} is not a PEM file (JKS and PKCS12 stores cannot be read; convert with `keytool -exportcert -rfc` or `openssl pkcs12 -nodes`)")
    } else {
        format!("{path} holds no PEM {what}")
    }
}

/// `Verify::Chain`: the chain must verify; a certificate for another host name is accepted.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last, so a name error means the chain held.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `Verify::None`: any certificate; the handshake must still be signed by its key.
struct AnyCertificate(Arc<CryptoProvider>);

impl fmt::Debug for AnyCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnyCertificate")
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn tls(roots: PathBuf) -> ClientTls {
        ClientTls {
            verify: Verify::Full,
            roots: Roots::Pem {
                property: "database.sslrootcert".into(),
                path: roots,
            },
            identity: None,
        }
    }

    #[test]
    fn a_missing_file_is_named_by_its_property() {
        let problems = tls("/nonexistent/root.crt".into()).check();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].property, "database.sslrootcert");
        assert!(problems[0]
            .message
            .contains("cannot read /nonexistent/root.crt"));
    }

    #[test]
    fn a_java_keystore_is_refused_as_not_pem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("truststore.jks");
        std::fs::write(&path, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let err = read_certs("database.ssl.truststore", &path).unwrap_err();
        assert_eq!(err.property, "database.ssl.truststore");
        assert!(err.message.contains("is not a PEM file"), "{err}");
        assert!(err.message.contains("JKS"), "{err}");
    }

    /// A new key, as PKCS#8 DER and as encrypted PKCS#8 PEM (PBES2, PBKDF2-SHA256, AES-256-CBC:
    /// what `openssl pkcs8 -topk8 -v2 aes256` writes).
    fn encrypted_key(password: &str) -> (Vec<u8>, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let der = key.serialize_der();
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[7; 16], &[9; 16])
                .unwrap();
        let encrypted = pkcs8::PrivateKeyInfo::try_from(der.as_slice())
            .unwrap()
            .encrypt_with_params(params, password)
            .unwrap();
        let pem = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
            .unwrap();
        (der, pem.to_string())
    }

    #[test]
    fn an_encrypted_key_is_decrypted_with_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let (der, pem) = encrypted_key("keypass");
        let path = write(dir.path(), "key.pem", &pem);
        let key = read_key_with(
            "database.sslkey",
            &path,
            Some(&crate::Secret::new("keypass")),
        )
        .unwrap();
        assert_eq!(key.secret_der(), der.as_slice());
    }

    #[test]
    fn an_encrypted_key_without_or_with_a_wrong_password_is_refused_naming_the_password_property() {
        let dir = tempfile::tempdir().unwrap();
        let (_, pem) = encrypted_key("keypass");
        let path = write(dir.path(), "key.pem", &pem);
        let err = read_key("database.sslkey", &path).unwrap_err();
        assert_eq!(err.property, "database.sslkey");
        assert!(err.message.contains("encrypted private key"), "{err}");
        assert!(err.message.contains("database.sslpassword"), "{err}");
        let wrong = crate::Secret::new("nope");
        let err = read_key_with("database.ssl.keystore", &path, Some(&wrong)).unwrap_err();
        assert!(
            err.message
                .contains("with database.ssl.keystore.password: the password is wrong"),
            "{err}"
        );
    }

    #[test]
    fn a_legacy_encrypted_key_is_refused_with_how_to_convert_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "key.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nMIIB\n-----END RSA PRIVATE KEY-----\n",
        );
        let err =
            read_key_with("database.sslkey", &path, Some(&crate::Secret::new("x"))).unwrap_err();
        assert!(err.message.contains("legacy encrypted format"), "{err}");
    }

    #[test]
    fn a_pem_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "x.pem",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
        );
        let err = read_certs("database.sslrootcert", &path).unwrap_err();
        assert!(err.message.contains("holds no PEM certificate"), "{err}");
    }

    #[test]
    fn built_in_roots_need_no_file() {
        let tls = ClientTls {
            verify: Verify::Chain,
            roots: Roots::BuiltIn,
            identity: None,
        };
        assert!(tls.check().is_empty());
        assert!(tls.client_config().is_ok());
    }

    #[test]
    fn server_names_take_addresses_and_host_names() {
        assert!(matches!(
            server_name("127.0.0.1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("db.example.com").unwrap(),
            ServerName::DnsName(_)
        ));
    }
}
