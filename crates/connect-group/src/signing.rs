//! Signed internal requests between workers (KIP-507, `connect.protocol=sessioned`): the
//! sender puts `X-Connect-Authorization: base64(HMAC(session key, body))` and
//! `X-Connect-Request-Signature-Algorithm` on the request; the receiver recomputes over the raw
//! body and compares in constant time. What a receiver answers when the check fails is
//! Connect's ([`Verdict`]).

use base64::Engine as _;
use ring::hmac;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The algorithm header.
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

fn algorithm(name: &str) -> Option<hmac::Algorithm> {
    match name {
        "HmacSHA256" => Some(hmac::HMAC_SHA256),
        "HmacSHA384" => Some(hmac::HMAC_SHA384),
        "HmacSHA512" => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// The two headers of a request whose body is `body`; `None` for an algorithm this worker does
/// not have (settings are validated before, see [`crate::HMAC_ALGORITHMS`]).
pub fn sign(key: &[u8], algorithm_name: &str, body: &[u8]) -> Option<[(&'static str, String); 2]> {
    let alg = algorithm(algorithm_name)?;
    let tag = hmac::sign(&hmac::Key::new(alg, key), body);
    Some([
        (
            SIGNATURE_HEADER,
            base64::engine::general_purpose::STANDARD.encode(tag.as_ref()),
        ),
        (ALGORITHM_HEADER, algorithm_name.to_owned()),
    ])
}

/// What the receiver of an internal request answers (`DistributedHerder.requestNotSignedProperly`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// 400: no signature, or an algorithm not in `inter.worker.verification.algorithms`, or a
    /// signature that is not base64.
    BadRequest(String),
    /// 503: no session key has been read yet.
    NoKeyYet,
    /// 403: the signature does not match.
    Forbidden,
}

/// Checks a request's headers against `key` (`None` before the worker read a session key).
pub fn verify(
    key: Option<&[u8]>,
    allowed: &[String],
    signature: Option<&str>,
    algorithm_name: Option<&str>,
    body: &[u8],
) -> Verdict {
    let (Some(signature), Some(name)) = (signature, algorithm_name) else {
        return Verdict::BadRequest(format!(
            "internal request is missing the {SIGNATURE_HEADER} or {ALGORITHM_HEADER} header"
        ));
    };
    let alg = match algorithm(name) {
        Some(a) if allowed.iter().any(|a| a == name) => a,
        _ => {
            return Verdict::BadRequest(format!(
                "signature algorithm {name:?} is not allowed (inter.worker.verification.algorithms: {})",
                allowed.join(", ")
            ))
        }
    };
    let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return Verdict::BadRequest("the request signature is not base64".into());
    };
    let Some(key) = key else {
        return Verdict::NoKeyYet;
    };
    match hmac::verify(&hmac::Key::new(alg, key), body, &tag) {
        Ok(()) => Verdict::Valid,
        Err(_) => Verdict::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let key = [7u8; 32];
        let body = br#"[{"task.class":"T"}]"#;
        let [(h1, sig), (h2, alg)] = sign(&key, "HmacSHA256", body).unwrap();
        assert_eq!((h1, h2), (SIGNATURE_HEADER, ALGORITHM_HEADER));
        let allowed = vec!["HmacSHA256".to_owned()];
        assert_eq!(
            verify(Some(&key), &allowed, Some(&sig), Some(&alg), body),
            Verdict::Valid
        );
        assert_eq!(
            verify(Some(&key), &allowed, Some(&sig), Some(&alg), b"[]"),
            Verdict::Forbidden
        );
        assert_eq!(
            verify(None, &allowed, Some(&sig), Some(&alg), body),
            Verdict::NoKeyYet
        );
        assert!(matches!(
            verify(Some(&key), &allowed, None, Some(&alg), body),
            Verdict::BadRequest(_)
        ));
        assert!(matches!(
            verify(Some(&key), &allowed, Some(&sig), Some("HmacSHA512"), body),
            Verdict::BadRequest(_)
        ));
    }
}
