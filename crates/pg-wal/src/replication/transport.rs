//! The byte transport under the protocol: TCP, or TLS over it, split into owned halves.
//!
//! TLS is negotiated as libpq does: an SSLRequest, then `S` (go on with a TLS handshake) or `N`
//! (the server has no TLS: plaintext, unless the mode requires TLS). Nothing above this module
//! names a socket type.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::config::PgTls;

/// The SSLRequest message: length 8, then the request code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Why the transport could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The TCP connection, or the I/O of the negotiation.
    Io(io::Error),
    /// The TLS settings cannot be used (a file went missing or bad since validation).
    Config(cdc_core::tls::TlsError),
    /// The server answered the SSLRequest with `N` and the mode requires TLS.
    Refused,
    /// The TLS handshake failed: a certificate not trusted, not for this host, a protocol error.
    Handshake(io::Error),
}

/// Connects with Nagle off, so status updates leave at once; negotiates TLS per `tls`.
pub(crate) async fn open(
    host: &str,
    port: u16,
    tls: &PgTls,
) -> Result<(ReadHalf, WriteHalf), OpenError> {
    let mut stream = TcpStream::connect((host, port))
        .await
        .map_err(OpenError::Io)?;
    stream.set_nodelay(true).map_err(OpenError::Io)?;
    let Some(client) = &tls.client else {
        let (read, write) = stream.into_split();
        return Ok((ReadHalf::Tcp(read), WriteHalf::Tcp(write)));
    };
    // Build the config before sending anything, so a bad file is not mistaken for the server.
    let config = client.client_config().map_err(OpenError::Config)?;
    let name = cdc_core::tls::server_name(host).map_err(OpenError::Config)?;
    stream
        .write_all(&SSL_REQUEST)
        .await
        .map_err(OpenError::Io)?;
    match stream.read_u8().await.map_err(OpenError::Io)? {
        b'S' => {
            let tls_stream = TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(OpenError::Handshake)?;
            let (read, write) = tokio::io::split(tls_stream);
            Ok((ReadHalf::Tls(read), WriteHalf::Tls(write)))
        }
        b'N' if !tls.required() => {
            let (read, write) = stream.into_split();
            Ok((ReadHalf::Tcp(read), WriteHalf::Tcp(write)))
        }
        b'N' => Err(OpenError::Refused),
        other => Err(OpenError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected answer {other:#04x} to SSLRequest"),
        ))),
    }
}

pub(crate) enum ReadHalf {
    Tcp(OwnedReadHalf),
    Tls(tokio::io::ReadHalf<TlsStream<TcpStream>>),
}

pub(crate) enum WriteHalf {
    Tcp(OwnedWriteHalf),
    Tls(tokio::io::WriteHalf<TlsStream<TcpStream>>),
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Tcp(read) => Pin::new(read).poll_read(cx, buf),
            ReadHalf::Tls(read) => Pin::new(read).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(write) => Pin::new(write).poll_write(cx, buf),
            WriteHalf::Tls(write) => Pin::new(write).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(write) => Pin::new(write).poll_flush(cx),
            WriteHalf::Tls(write) => Pin::new(write).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(write) => Pin::new(write).poll_shutdown(cx),
            WriteHalf::Tls(write) => Pin::new(write).poll_shutdown(cx),
        }
    }
}
