//! TLS for the `https` listeners: PEM material → a rustls `ServerConfig`, and a listener that
//! hands axum only connections whose handshake finished.
//!
//! rustls through `tokio-rustls` (the rustls project's own tokio adapter) rather than
//! `axum-server`: axum 0.8's `serve` accepts any [`axum::serve::Listener`], so a small TLS
//! listener keeps axum's own connection handling and graceful shutdown, and adds no server crate.
//! The crypto provider is `ring`, chosen explicitly (no process-wide default is relied upon).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigProblem};
use futures::stream::{FuturesUnordered, StreamExt};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error};

use crate::worker_config::{ClientAuth, PemSource, TlsSettings};

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; beyond it, new TCP connections wait in the backlog.
const MAX_HANDSHAKES: usize = 256;

/// Builds the rustls server config, reporting every problem with the property that caused it.
pub fn server_config(settings: &TlsSettings) -> Result<Arc<ServerConfig>, ConfigErrors> {
    let mut problems = Vec::new();
    let chain = read_pem(&settings.certificate_chain, &mut problems).and_then(|bytes| {
        certificates(
            &bytes,
            &settings.certificate_chain,
            "certificate",
            &mut problems,
        )
    });
    let key = read_pem(&settings.private_key, &mut problems)
        .and_then(|bytes| private_key(&bytes, &settings.private_key, &mut problems));
    let roots = match &settings.truststore {
        Some(source) => read_pem(source, &mut problems)
            .and_then(|bytes| certificates(&bytes, source, "CA certificate", &mut problems))
            .and_then(|certs| {
                let mut roots = RootCertStore::empty();
                for cert in certs {
                    if let Err(e) = roots.add(cert) {
                        problem(
                            &mut problems,
                            source,
                            format!("a CA certificate is invalid: {e}"),
                        );
                        return None;
                    }
                }
                Some(roots)
            }),
        None => None,
    };
    let (Some(chain), Some(key)) = (chain, key) else {
        return Err(ConfigErrors(problems));
    };
    if !problems.is_empty() {
        return Err(ConfigErrors(problems));
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            one(
                &settings.certificate_chain,
                format!("TLS setup failed: {e}"),
            )
        })?;
    let builder = match (settings.client_auth, roots) {
        (ClientAuth::None, _) | (_, None) => builder.with_no_client_auth(),
        (mode, Some(roots)) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            let verifier = if mode == ClientAuth::Requested {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier.build().map_err(|e| {
                let source = settings.truststore.as_ref().expect("roots come from it");
                one(source, format!("cannot verify client certificates: {e}"))
            })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        one(
            &settings.private_key,
            format!("the private key does not fit the certificate chain: {e}"),
        )
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn one(source: &PemSource, message: String) -> ConfigErrors {
    let mut problems = Vec::new();
    problem(&mut problems, source, message);
    ConfigErrors(problems)
}

/// The value is never echoed: it may be a private key.
fn problem(problems: &mut Vec<ConfigProblem>, source: &PemSource, message: String) {
    let value = match source {
        PemSource::Inline { .. } => None,
        PemSource::File { path, .. } => Some(path.display().to_string()),
    };
    problems.push(ConfigProblem {
        property: source.property().to_owned(),
        value,
        message,
    });
}

fn read_pem(source: &PemSource, problems: &mut Vec<ConfigProblem>) -> Option<Vec<u8>> {
    match source {
        PemSource::Inline { pem, .. } => Some(normalize_inline_pem(pem.expose()).into_bytes()),
        PemSource::File { path, .. } => match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                problem(problems, source, format!("cannot read the file: {e}"));
                None
            }
        },
    }
}

/// Kafka's inline PEM values are often written with `\` line continuations, which join the lines:
/// `-----BEGIN PRIVATE KEY----- MIIE... -----END PRIVATE KEY-----`. Kafka accepts that; so do we,
/// by putting each marker on its own line and the base64 body, whitespace removed, between them.
fn normalize_inline_pem(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 64 + 64);
    for (i, part) in value.split("-----").enumerate() {
        if i % 2 == 1 {
            out.push_str("-----");
            out.push_str(part.trim());
            out.push_str("-----\n");
        } else {
            let body: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            for line in body.as_bytes().chunks(64) {
                out.push_str(std::str::from_utf8(line).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    out
}

fn certificates(
    bytes: &[u8],
    source: &PemSource,
    what: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Vec<CertificateDer<'static>>> {
    match CertificateDer::pem_slice_iter(bytes).collect::<Result<Vec<_>, _>>() {
        Ok(certs) if certs.is_empty() => {
            problem(
                problems,
                source,
                format!("holds no PEM {what} (-----BEGIN CERTIFICATE-----)"),
            );
            None
        }
        Ok(certs) => Some(certs),
        Err(e) => {
            problem(
                problems,
                source,
                format!("is not valid PEM: {}", pem_error(&e)),
            );
            None
        }
    }
}

fn private_key(
    bytes: &[u8],
    source: &PemSource,
    problems: &mut Vec<ConfigProblem>,
) -> Option<PrivateKeyDer<'static>> {
    if bytes
        .windows(b"ENCRYPTED PRIVATE KEY".len())
        .any(|w| w == b"ENCRYPTED PRIVATE KEY")
    {
        problem(
            problems,
            source,
            "holds an encrypted private key, which is not supported: store it unencrypted \
             (openssl pkcs8 -topk8 -nocrypt) and protect the file instead"
                .into(),
        );
        return None;
    }
    match PrivateKeyDer::from_pem_slice(bytes) {
        Ok(key) => Some(key),
        Err(pem::Error::NoItemsFound) => {
            problem(
                problems,
                source,
                "holds no PEM private key (PKCS#8, PKCS#1 or SEC1)".into(),
            );
            None
        }
        Err(e) => {
            problem(
                problems,
                source,
                format!("is not valid PEM: {}", pem_error(&e)),
            );
            None
        }
    }
}

/// Without the bytes of the offending line, which may be part of a key.
fn pem_error(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "it cannot be parsed",
    }
}

type Handshake =
    Pin<Box<dyn Future<Output = (io::Result<TlsStream<TcpStream>>, SocketAddr)> + Send>>;

/// A TCP listener whose connections axum receives after a completed TLS handshake. Handshakes run
/// concurrently inside `accept`, so one slow client does not hold up the others.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: FuturesUnordered<Handshake>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> Self {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: FuturesUnordered::new(),
        }
    }

    fn start_handshake(&mut self, stream: TcpStream, peer: SocketAddr) {
        let accept = self.acceptor.accept(stream);
        self.handshakes.push(Box::pin(async move {
            let result = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                Ok(r) => r,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "TLS handshake timed out",
                )),
            };
            (result, peer)
        }));
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_HANDSHAKES;
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((stream, peer)) => self.start_handshake(stream, peer),
                    Err(e) => accept_error(e).await,
                },
                Some((result, peer)) = self.handshakes.next(), if !self.handshakes.is_empty() => {
                    match result {
                        Ok(stream) => return (stream, peer),
                        Err(e) => debug!(%peer, error = %e, "TLS handshake failed"),
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// As axum's own TCP listener does: connection errors are the client's; others (EMFILE) are
/// logged and retried after a pause.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    error!(error = %e, "cannot accept a connection on the REST listener; retrying in 1s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_pem_joined_by_line_continuations_is_restored() {
        let body = "QUJD".repeat(20);
        let joined = format!(
            "-----BEGIN CERTIFICATE----- {} {} -----END CERTIFICATE-----",
            &body[..40],
            &body[40..]
        );
        let restored = normalize_inline_pem(&joined);
        assert_eq!(
            restored,
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n{}\n-----END CERTIFICATE-----\n",
                &body[..64],
                &body[64..]
            )
        );
        assert_eq!(normalize_inline_pem(&restored), restored);
    }
}
