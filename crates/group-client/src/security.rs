//! How a connection to the brokers is secured, as Kafka's `security.protocol` says: TLS (a
//! rustls config the caller builds from its properties) and SASL (`PLAIN`, `SCRAM-SHA-256`,
//! `SCRAM-SHA-512`: the `SaslHandshake` then `SaslAuthenticate` exchange Kafka's clients make
//! after `ApiVersions`).
//!
//! SCRAM is RFC 5802 (with RFC 7677 for SHA-256), as Kafka's `ScramSaslClient`: no channel
//! binding (`n,,`), the server's final message checked so that a server that does not know the
//! password cannot pass.

use std::num::NonZeroU32;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ring::{digest, hmac, pbkdf2};

const MIN_ITERATIONS: u32 = 4096;
const MAX_ITERATIONS: u32 = 1_000_000;

/// A SASL mechanism Kafka's brokers offer that this client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    /// Kafka's name (`sasl.mechanism`), case-insensitive; `None` for one this client lacks.
    pub fn parse(name: &str) -> Option<Mechanism> {
        match name.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Some(Mechanism::Plain),
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(Mechanism::ScramSha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// SASL credentials.
#[derive(Clone)]
pub struct Sasl {
    pub mechanism: Mechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Sasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sasl")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[hidden]")
            .finish()
    }
}

/// What a connection uses: TLS when `tls` is set, SASL when `sasl` is.
#[derive(Clone, Default)]
pub struct Security {
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub sasl: Option<Sasl>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("tls", &self.tls.is_some())
            .field("sasl", &self.sasl)
            .finish()
    }
}

/// `saslname` of RFC 5802: `=` and `,` escaped.
fn sasl_name(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

/// The client's side of one SCRAM exchange.
pub struct Scram {
    algorithm: (
        pbkdf2::Algorithm,
        hmac::Algorithm,
        &'static digest::Algorithm,
    ),
    password: String,
    nonce: String,
    client_first_bare: String,
    /// Set by [`Scram::client_final`]: the server key and the message the server must sign.
    server_check: Option<(hmac::Key, String)>,
}

/// Why a SCRAM exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SCRAM: {0}")]
pub struct ScramError(pub String);

fn field(message: &str, name: char) -> Option<&str> {
    message
        .split(',')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

impl Scram {
    /// Starts an exchange with `nonce` (random, printable, no comma).
    pub fn new(mechanism: Mechanism, username: &str, password: &str, nonce: &str) -> Scram {
        let algorithm = match mechanism {
            Mechanism::ScramSha512 => (
                pbkdf2::PBKDF2_HMAC_SHA512,
                hmac::HMAC_SHA512,
                &digest::SHA512,
            ),
            _ => (
                pbkdf2::PBKDF2_HMAC_SHA256,
                hmac::HMAC_SHA256,
                &digest::SHA256,
            ),
        };
        Scram {
            algorithm,
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            client_first_bare: format!("n={},r={nonce}", sasl_name(username)),
            server_check: None,
        }
    }

    /// `client-first-message`.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// `client-final-message` for the server's first message.
    pub fn client_final(&mut self, server_first: &str) -> Result<String, ScramError> {
        if let Some(e) = field(server_first, 'e') {
            return Err(ScramError(format!("the server refused: {e}")));
        }
        let nonce = field(server_first, 'r').ok_or_else(|| ScramError("no nonce".into()))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(ScramError("the server's nonce does not extend ours".into()));
        }
        let salt = field(server_first, 's')
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| ScramError("no salt".into()))?;
        let iterations = field(server_first, 'i')
            .and_then(|i| i.parse::<u32>().ok())
            .and_then(NonZeroU32::new)
            .ok_or_else(|| ScramError("no iteration count".into()))?;
        // Kafka's ScramSaslClient refuses fewer than 4096 (a cheap proof to attack offline);
        // a bound above keeps a hostile server from holding the thread for hours.
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations.get()) {
            return Err(ScramError(format!(
                "the server asks for {iterations} iterations; {MIN_ITERATIONS} to {MAX_ITERATIONS} are accepted"
            )));
        }
        let (kdf, mac, hash) = self.algorithm;
        let mut salted = vec![0u8; hash.output_len()];
        pbkdf2::derive(
            kdf,
            iterations,
            &salt,
            self.password.as_bytes(),
            &mut salted,
        );
        let salted_key = hmac::Key::new(mac, &salted);
        let client_key = hmac::sign(&salted_key, b"Client Key");
        let stored_key = digest::digest(hash, client_key.as_ref());
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = hmac::sign(
            &hmac::Key::new(mac, stored_key.as_ref()),
            auth_message.as_bytes(),
        );
        let proof: Vec<u8> = client_key
            .as_ref()
            .iter()
            .zip(client_signature.as_ref())
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = hmac::sign(&salted_key, b"Server Key");
        self.server_check = Some((hmac::Key::new(mac, server_key.as_ref()), auth_message));
        Ok(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks the server's final message (its signature proves it knows the password).
    pub fn verify_server_final(&self, server_final: &str) -> Result<(), ScramError> {
        if let Some(e) = field(server_final, 'e') {
            return Err(ScramError(format!("the server refused: {e}")));
        }
        let got = field(server_final, 'v')
            .and_then(|v| B64.decode(v).ok())
            .ok_or_else(|| ScramError("no server signature".into()))?;
        let (key, message) = self
            .server_check
            .as_ref()
            .ok_or_else(|| ScramError("out of order".into()))?;
        if hmac::verify(key, message.as_bytes(), &got).is_err() {
            return Err(ScramError(
                "the server's signature is wrong: it does not know the password".into(),
            ));
        }
        Ok(())
    }
}

/// A nonce of 24 random bytes, base64.
pub fn nonce() -> String {
    let mut bytes = [0u8; 24];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's SCRAM-SHA-256 example.
    #[test]
    fn scram_sha_256_matches_rfc_7677() {
        let mut s = Scram::new(
            Mechanism::ScramSha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        assert_eq!(s.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        assert_eq!(
            s.client_final(server_first).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(s
            .verify_server_final("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .is_err());
    }

    #[test]
    fn a_server_nonce_that_does_not_extend_ours_is_refused() {
        let mut s = Scram::new(Mechanism::ScramSha512, "u", "p", "abc");
        assert!(s.client_final("r=xyz123,s=AAAA,i=4096").is_err());
        assert!(s.client_final("e=invalid-proof").is_err());
        assert!(
            s.client_final("r=abcdef,s=AAAA,i=1").is_err(),
            "too few iterations"
        );
        assert_eq!(
            Scram::new(Mechanism::ScramSha256, "a=b,c", "p", "n").client_first(),
            "n,,n=a=3Db=2Cc,r=n"
        );
    }
}
