//! One connection to one broker: size-prefixed frames, a correlation id per request, and each
//! API at the highest version both this client and the broker speak.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::GroupError;
use crate::security::{nonce, Mechanism, Sasl, Scram, Security};

/// A plain or TLS byte stream.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Stream for T {}

/// The largest response accepted (Kafka's default `socket.request.max.bytes` is 100 MiB; group
/// responses are far smaller).
const MAX_RESPONSE: usize = 100 << 20;

/// A connection to one broker.
pub struct Connection {
    addr: String,
    stream: Box<dyn Stream>,
    client_id: StrBytes,
    correlation: i32,
    /// The broker's version range per API key.
    versions: HashMap<i16, (i16, i16)>,
    /// How long one request may take (its answer included).
    timeout: Duration,
    /// A request failed or timed out midway: the stream's state is unknown.
    broken: bool,
}

/// How long connecting (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's default time limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Connection {
    /// Connects to `addr` (`host:port`) as `security` says (TLS, then SASL after ApiVersions)
    /// and asks which API versions the broker speaks.
    pub async fn connect(
        addr: &str,
        client_id: &str,
        security: &Security,
    ) -> Result<Connection, GroupError> {
        let connect_error = |source| GroupError::Connect {
            addr: addr.to_owned(),
            source,
        };
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                connect_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
                ))
            })?
            .map_err(connect_error)?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match &security.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name =
                    rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| {
                        GroupError::Protocol {
                            what: "TLS",
                            reason: format!("{host:?} is not a name TLS can verify: {e}"),
                        }
                    })?;
                let handshake = tokio_rustls::TlsConnector::from(tls.clone()).connect(name, tcp);
                let tls = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
                    .await
                    .map_err(|_| GroupError::Protocol {
                        what: "TLS",
                        reason: format!(
                            "no TLS handshake with {addr} within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        ),
                    })?
                    .map_err(|e| GroupError::Protocol {
                        what: "TLS",
                        reason: format!("the TLS handshake with {addr} failed: {e}"),
                    })?;
                Box::new(tls)
            }
        };
        let mut conn = Connection {
            addr: addr.to_owned(),
            stream,
            client_id: StrBytes::from_string(client_id.to_owned()),
            correlation: 0,
            versions: HashMap::new(),
            timeout: REQUEST_TIMEOUT,
            broken: false,
        };
        // ApiVersions v3 (Kafka 2.4+) carries the client's name; brokers answer any version.
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("tributary"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let answer = conn.send(&request, 3).await?;
        if answer.error_code != 0 {
            return Err(GroupError::Broker {
                what: "ApiVersions",
                code: answer.error_code,
                message: None,
            });
        }
        conn.versions = answer
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        if let Some(sasl) = &security.sasl {
            conn.authenticate(sasl).await?;
        }
        Ok(conn)
    }

    /// SaslHandshake, then SaslAuthenticate rounds for `sasl`'s mechanism.
    async fn authenticate(&mut self, sasl: &Sasl) -> Result<(), GroupError> {
        let addr = self.addr.clone();
        let refused = move |reason: String| GroupError::Authentication {
            addr: addr.clone(),
            reason,
        };
        let handshake = SaslHandshakeRequest::default()
            .with_mechanism(StrBytes::from_static_str(sasl.mechanism.name()));
        let answer = self.request(&handshake).await?;
        if answer.error_code != 0 {
            let offered: Vec<String> = answer.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(refused(format!(
                "the broker does not offer SASL mechanism {} (it offers {})",
                sasl.mechanism.name(),
                offered.join(", ")
            )));
        }
        match sasl.mechanism {
            Mechanism::Plain => {
                let token = format!("\0{}\0{}", sasl.username, sasl.password);
                self.sasl_round(token.into_bytes()).await?;
            }
            Mechanism::ScramSha256 | Mechanism::ScramSha512 => {
                let mut scram =
                    Scram::new(sasl.mechanism, &sasl.username, &sasl.password, &nonce());
                let first = self.sasl_round(scram.client_first().into_bytes()).await?;
                let first = String::from_utf8_lossy(&first).into_owned();
                let last = scram
                    .client_final(&first)
                    .map_err(|e| refused(e.to_string()))?;
                let server_final = self.sasl_round(last.into_bytes()).await?;
                scram
                    .verify_server_final(&String::from_utf8_lossy(&server_final))
                    .map_err(|e| refused(e.to_string()))?;
            }
        }
        tracing::debug!(addr = %self.addr, mechanism = sasl.mechanism.name(), "authenticated");
        Ok(())
    }

    /// One SaslAuthenticate round: our bytes, the server's.
    async fn sasl_round(&mut self, bytes: Vec<u8>) -> Result<Bytes, GroupError> {
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes));
        let answer = self.request(&request).await?;
        if answer.error_code != 0 {
            return Err(GroupError::Authentication {
                addr: self.addr.clone(),
                reason: answer
                    .error_message
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("Kafka error {}", answer.error_code)),
            });
        }
        Ok(answer.auth_bytes)
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// How long each request may take from now on (a JoinGroup waits up to the rebalance
    /// timeout for the other members).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Whether a request failed midway (the connection must not be used again).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Sends `request` at the highest version both sides speak and reads its response.
    pub async fn request<R: Request>(&mut self, request: &R) -> Result<R::Response, GroupError> {
        let api = api_name(R::KEY);
        let (broker_min, broker_max) =
            self.versions
                .get(&R::KEY)
                .copied()
                .ok_or_else(|| GroupError::Unsupported {
                    addr: self.addr.clone(),
                    api,
                    ours: R::VERSIONS.to_string(),
                })?;
        let version = broker_max.min(R::VERSIONS.max);
        if version < broker_min.max(R::VERSIONS.min) {
            return Err(GroupError::Unsupported {
                addr: self.addr.clone(),
                api,
                ours: R::VERSIONS.to_string(),
            });
        }
        self.send(request, version).await
    }

    /// The version the broker and this client agree on for `R`.
    pub fn version_of<R: Request>(&self) -> Option<i16> {
        let (min, max) = self.versions.get(&R::KEY).copied()?;
        let v = max.min(R::VERSIONS.max);
        (v >= min.max(R::VERSIONS.min)).then_some(v)
    }

    /// [`Connection::exchange`] within the connection's time limit; a failure or a timeout
    /// leaves the connection broken.
    async fn send<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, GroupError> {
        if self.broken {
            return Err(GroupError::Io {
                addr: self.addr.clone(),
                source: std::io::Error::other("an earlier request on this connection failed"),
            });
        }
        let limit = self.timeout;
        let result = match tokio::time::timeout(limit, self.exchange(request, version)).await {
            Ok(r) => r,
            Err(_) => Err(GroupError::Io {
                addr: self.addr.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} ms", limit.as_millis()),
                ),
            }),
        };
        if matches!(
            result,
            Err(GroupError::Io { .. } | GroupError::Protocol { .. })
        ) {
            self.broken = true;
        }
        result
    }

    async fn exchange<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, GroupError> {
        let api = api_name(R::KEY);
        let protocol = |reason: String| GroupError::Protocol { what: api, reason };
        self.correlation = self.correlation.wrapping_add(1);
        let correlation = self.correlation;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(self.client_id.clone()));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .map_err(|e| protocol(format!("encoding the request header: {e}")))?;
        request
            .encode(&mut body, version)
            .map_err(|e| protocol(format!("encoding the request: {e}")))?;
        let mut frame = Vec::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        let io = |source| GroupError::Io {
            addr: self.addr.clone(),
            source,
        };
        self.stream.write_all(&frame).await.map_err(io)?;
        let mut size = [0u8; 4];
        self.stream
            .read_exact(&mut size)
            .await
            .map_err(|source| GroupError::Io {
                addr: self.addr.clone(),
                source,
            })?;
        let size = i32::from_be_bytes(size);
        if size < 4 || size as usize > MAX_RESPONSE {
            return Err(protocol(format!("a response of {size} bytes")));
        }
        let mut buf = vec![0u8; size as usize];
        self.stream
            .read_exact(&mut buf)
            .await
            .map_err(|source| GroupError::Io {
                addr: self.addr.clone(),
                source,
            })?;
        let mut buf = bytes::Bytes::from(buf);
        let header = ResponseHeader::decode(&mut buf, R::Response::header_version(version))
            .map_err(|e| protocol(format!("decoding the response header: {e}")))?;
        if header.correlation_id != correlation {
            return Err(protocol(format!(
                "the response is for request {}, not {correlation}",
                header.correlation_id
            )));
        }
        let response = R::Response::decode(&mut buf, version)
            .map_err(|e| protocol(format!("decoding the response (version {version}): {e}")))?;
        if buf.has_remaining() {
            tracing::debug!(api, left = buf.remaining(), "bytes left after a response");
        }
        Ok(response)
    }
}

fn api_name(key: i16) -> &'static str {
    match ApiKey::try_from(key) {
        Ok(ApiKey::ApiVersions) => "ApiVersions",
        Ok(ApiKey::FindCoordinator) => "FindCoordinator",
        Ok(ApiKey::JoinGroup) => "JoinGroup",
        Ok(ApiKey::SyncGroup) => "SyncGroup",
        Ok(ApiKey::Heartbeat) => "Heartbeat",
        Ok(ApiKey::LeaveGroup) => "LeaveGroup",
        Ok(ApiKey::SaslHandshake) => "SaslHandshake",
        Ok(ApiKey::SaslAuthenticate) => "SaslAuthenticate",
        _ => "a Kafka API",
    }
}
