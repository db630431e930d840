//! HTTP basic authentication for the REST API, with Connect's configuration.
//!
//! Connect's `BasicAuthSecurityRestExtension` reads a JAAS file whose `KafkaConnect` entry names
//! `PropertyFileLoginModule` with a `file` option: a properties file of `user=password` lines.
//! [`jaas_credentials_file`] reads exactly that much of JAAS. `tributary.rest.basic.auth.users.file`
//! names such a file directly.
//!
//! Differences from Connect, all on the safe side: an empty credentials file is a configuration
//! error (Connect then lets every request through); `POST /connectors/{name}/tasks` is
//! authenticated too (Connect exempts it for distributed-mode forwarding, which Tributary does not
//! do); the 401 carries `WWW-Authenticate` and Connect's JSON error body instead of plain text.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use cdc_core::{ConfigErrors, ConfigProblem, Secret};
use subtle::ConstantTimeEq;
use tracing::{debug, warn};

use crate::connector_file::parse_properties;
use crate::worker_config::{BasicAuthSettings, JAAS_CONFIG, USERS_FILE};

/// Connect's message for a request that failed authentication.
pub const UNAUTHORIZED_MESSAGE: &str = "User cannot access the resource.";
/// The challenge sent with every 401.
pub const CHALLENGE: &str = "Basic realm=\"Tributary\", charset=\"UTF-8\"";
/// The JAAS entry Connect's extension logs in with.
const JAAS_ENTRY: &str = "KafkaConnect";
const LOGIN_MODULE: &str = "PropertyFileLoginModule";

/// The users allowed to call the REST API. Cloning is cheap.
#[derive(Clone)]
pub struct BasicAuth {
    users: Arc<BTreeMap<String, Secret>>,
    /// The credentials file, when loaded from one.
    file: Option<PathBuf>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicAuth({} user(s))", self.users.len())
    }
}

impl BasicAuth {
    /// Reads the credentials file the settings name (through the JAAS file for Connect's way).
    pub fn load(settings: &BasicAuthSettings) -> Result<BasicAuth, ConfigErrors> {
        let (property, shown, credentials) = match settings {
            BasicAuthSettings::UsersFile { path } => (USERS_FILE, path.clone(), path.clone()),
            BasicAuthSettings::Jaas { jaas_file } => {
                let fail = |message: String| {
                    ConfigErrors(vec![ConfigProblem {
                        property: JAAS_CONFIG.into(),
                        value: Some(jaas_file.display().to_string()),
                        message,
                    }])
                };
                let text = std::fs::read_to_string(jaas_file)
                    .map_err(|e| fail(format!("cannot read the JAAS file: {e}")))?;
                let file = jaas_credentials_file(&text).map_err(fail)?;
                (JAAS_CONFIG, jaas_file.clone(), file.into())
            }
        };
        let fail = |message: String| {
            ConfigErrors(vec![ConfigProblem {
                property: property.into(),
                value: Some(shown.display().to_string()),
                message,
            }])
        };
        let text = std::fs::read_to_string(&credentials).map_err(|e| {
            fail(format!(
                "cannot read the credentials file {}: {e}",
                credentials.display()
            ))
        })?;
        let users: BTreeMap<String, Secret> = parse_properties(&text)
            .into_iter()
            .map(|(user, password)| (user, Secret::new(password)))
            .collect();
        if users.is_empty() {
            return Err(fail(format!(
                "the credentials file {} has no user: Connect would then let every request \
                 through, Tributary refuses to start; add user=password lines",
                credentials.display()
            )));
        }
        Ok(BasicAuth {
            users: Arc::new(users),
            file: Some(credentials),
        })
    }

    pub fn from_users(users: impl IntoIterator<Item = (String, Secret)>) -> BasicAuth {
        BasicAuth {
            users: Arc::new(users.into_iter().collect()),
            file: None,
        }
    }

    /// Warns when the credentials file is readable by every user of the machine.
    pub fn warn_if_readable_by_others(&self) {
        use std::os::unix::fs::PermissionsExt;
        let Some(path) = &self.file else { return };
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o004 != 0 {
                warn!(file = %path.display(),
                    "the basic-auth credentials file is readable by every user; chmod o-r it");
            }
        }
    }

    /// Wraps every route of `router` (and its fallback): a request without valid credentials gets
    /// 401 with `WWW-Authenticate` and `{"error_code":401,"message":"..."}`.
    pub fn protect(self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(
            self,
            require_credentials,
        ))
    }

    /// Whether an `Authorization` header value carries a known user and its password.
    pub fn verify_header(&self, authorization: Option<&HeaderValue>) -> Result<(), Rejection> {
        let value = authorization.ok_or(Rejection::Missing)?;
        let value = value.to_str().map_err(|_| Rejection::Malformed)?;
        let (method, encoded) = value.split_once(' ').ok_or(Rejection::Malformed)?;
        if !method.eq_ignore_ascii_case("basic") {
            return Err(Rejection::OtherScheme);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| Rejection::Malformed)?;
        let decoded = String::from_utf8(decoded).map_err(|_| Rejection::Malformed)?;
        match decoded.split_once(':') {
            Some((user, password)) if !user.is_empty() => {
                if self.verify(user, password) {
                    Ok(())
                } else {
                    Err(Rejection::Wrong)
                }
            }
            _ => Err(Rejection::Malformed),
        }
    }

    /// Compares in constant time with respect to the password; an unknown user costs the same
    /// comparison against a dummy.
    fn verify(&self, user: &str, password: &str) -> bool {
        const DUMMY: &[u8] = b"tributary-no-such-user-dummy-password";
        let (stored, known) = match self.users.get(user) {
            Some(p) => (p.expose().as_bytes(), true),
            None => (DUMMY, false),
        };
        constant_time_eq(password.as_bytes(), stored) & known
    }
}

/// Equal bytes, taking time that depends only on the stored value's length.
fn constant_time_eq(given: &[u8], stored: &[u8]) -> bool {
    let mut equal = given.len().ct_eq(&stored.len());
    for (i, s) in stored.iter().enumerate() {
        equal &= given.get(i).copied().unwrap_or(0).ct_eq(s);
    }
    equal.into()
}

/// Why a request was refused (logged at debug; never the credentials themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    Malformed,
    OtherScheme,
    Wrong,
}

async fn require_credentials(
    State(auth): State<BasicAuth>,
    request: Request,
    next: Next,
) -> Response {
    match auth.verify_header(request.headers().get(header::AUTHORIZATION)) {
        Ok(()) => next.run(request).await,
        Err(why) => {
            debug!(reason = ?why, method = %request.method(), path = %request.uri().path(),
                "request failed authentication");
            unauthorized()
        }
    }
}

/// 401 with Connect's error body.
pub fn unauthorized() -> Response {
    let body = serde_json::json!({"error_code": 401, "message": UNAUTHORIZED_MESSAGE});
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    response
}

/// The `file` option of the `PropertyFileLoginModule` in the `KafkaConnect` entry of a JAAS file:
///
/// ```text
/// KafkaConnect {
///   org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
///   file="/etc/kafka/connect.password";
/// };
/// ```
pub fn jaas_credentials_file(text: &str) -> Result<String, String> {
    let tokens = jaas_tokens(text)?;
    let mut i = 0;
    let mut found = Vec::new();
    while i < tokens.len() {
        let Jaas::Word(name) = &tokens[i] else {
            return Err(format!("expected an entry name, found {}", tokens[i]));
        };
        if tokens.get(i + 1) != Some(&Jaas::Punct('{')) {
            return Err(format!("expected {{ after the entry name {name}"));
        }
        i += 2;
        let mut modules = Vec::new();
        loop {
            match tokens.get(i) {
                Some(Jaas::Punct('}')) => {
                    i += 1;
                    if tokens.get(i) == Some(&Jaas::Punct(';')) {
                        i += 1;
                    }
                    break;
                }
                Some(Jaas::Word(class)) => {
                    let flag = match tokens.get(i + 1) {
                        Some(Jaas::Word(f)) => f.clone(),
                        _ => return Err(format!("the login module {class} has no control flag (required, requisite, sufficient, optional)")),
                    };
                    i += 2;
                    let mut options = Vec::new();
                    loop {
                        match (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2)) {
                            (Some(Jaas::Punct(';')), ..) => {
                                i += 1;
                                break;
                            }
                            (
                                Some(Jaas::Word(k)),
                                Some(Jaas::Punct('=')),
                                Some(Jaas::Word(v) | Jaas::Quoted(v)),
                            ) => {
                                options.push((k.clone(), v.clone()));
                                i += 3;
                            }
                            _ => {
                                return Err(format!(
                                    "the options of the login module {class} must be key=\"value\" pairs ending with ;"
                                ))
                            }
                        }
                    }
                    modules.push((class.clone(), flag, options));
                }
                Some(other) => return Err(format!("expected a login module class, found {other}")),
                None => return Err(format!("the entry {name} is not closed with }};")),
            }
        }
        if name == JAAS_ENTRY {
            found = modules;
        }
    }
    if found.is_empty() {
        return Err(format!(
            "the JAAS file has no {JAAS_ENTRY} entry with a login module"
        ));
    }
    for (class, _, options) in &found {
        if class.rsplit('.').next() != Some(LOGIN_MODULE) {
            return Err(format!(
                "the login module {class} is not supported: only \
                 org.apache.kafka.connect.rest.basic.auth.extension.{LOGIN_MODULE}"
            ));
        }
        if let Some((_, file)) = options.iter().find(|(k, _)| k == "file") {
            if !file.trim().is_empty() {
                return Ok(file.clone());
            }
        }
    }
    Err(format!(
        "the {LOGIN_MODULE} of the {JAAS_ENTRY} entry has no file=\"...\" option naming the credentials file"
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Jaas {
    Word(String),
    Quoted(String),
    Punct(char),
}

impl std::fmt::Display for Jaas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Jaas::Word(w) => write!(f, "{w}"),
            Jaas::Quoted(q) => write!(f, "{q:?}"),
            Jaas::Punct(c) => write!(f, "{c}"),
        }
    }
}

/// Words, quoted strings (with `\` escapes) and `{ } ; =`; `//` and `/* */` comments dropped.
fn jaas_tokens(text: &str) -> Result<Vec<Jaas>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        Some('/') if prev == '*' => break,
                        Some(c) => prev = c,
                        None => return Err("a /* comment is not closed".into()),
                    }
                }
            }
            '{' | '}' | ';' | '=' => out.push(Jaas::Punct(c)),
            '"' | '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some(e) => s.push(e),
                            None => return Err("a quoted value is not closed".into()),
                        },
                        Some(q) if q == c => break,
                        Some(other) => s.push(other),
                        None => return Err("a quoted value is not closed".into()),
                    }
                }
                out.push(Jaas::Quoted(s));
            }
            c => {
                let mut w = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '=' | '"' | '\'') {
                        break;
                    }
                    w.push(n);
                    chars.next();
                }
                out.push(Jaas::Word(w));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connects_jaas_file() {
        let text = r#"
            // Connect's REST basic auth
            KafkaClient { org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b"; };
            KafkaConnect {
              org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
              /* where the users are */
              file="/etc/kafka/connect.password";
            };
        "#;
        assert_eq!(
            jaas_credentials_file(text).unwrap(),
            "/etc/kafka/connect.password"
        );
        let other = "KafkaConnect { com.example.LdapLoginModule required url=\"ldap://x\"; };";
        assert!(jaas_credentials_file(other)
            .unwrap_err()
            .contains("not supported"));
        let no_file = "KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required; };";
        assert!(jaas_credentials_file(no_file)
            .unwrap_err()
            .contains("file="));
        assert!(jaas_credentials_file("Other { a required; };")
            .unwrap_err()
            .contains("no KafkaConnect"));
        assert!(jaas_credentials_file("KafkaConnect { a required file=\"x").is_err());
    }

    fn header(user_password: &str) -> HeaderValue {
        let b64 = base64::engine::general_purpose::STANDARD.encode(user_password);
        HeaderValue::from_str(&format!("Basic {b64}")).unwrap()
    }

    #[test]
    fn credentials_are_checked() {
        let auth = BasicAuth::from_users([
            ("admin".to_owned(), Secret::new("s3cret:with colon")),
            ("empty".to_owned(), Secret::new("")),
        ]);
        assert_eq!(auth.verify_header(None), Err(Rejection::Missing));
        assert_eq!(
            auth.verify_header(Some(&header("admin:s3cret:with colon"))),
            Ok(())
        );
        assert_eq!(auth.verify_header(Some(&header("empty:"))), Ok(()));
        assert_eq!(
            auth.verify_header(Some(&header("admin:s3cret"))),
            Err(Rejection::Wrong)
        );
        assert_eq!(
            auth.verify_header(Some(&header("admin:s3cret:with colonX"))),
            Err(Rejection::Wrong)
        );
        assert_eq!(
            auth.verify_header(Some(&header("nobody:s3cret:with colon"))),
            Err(Rejection::Wrong)
        );
        assert_eq!(
            auth.verify_header(Some(&header(":x"))),
            Err(Rejection::Malformed)
        );
        assert_eq!(
            auth.verify_header(Some(&HeaderValue::from_static("Basic !!!"))),
            Err(Rejection::Malformed)
        );
        assert_eq!(
            auth.verify_header(Some(&HeaderValue::from_static("Bearer abc"))),
            Err(Rejection::OtherScheme)
        );
        assert_eq!(
            auth.verify_header(Some(
                &HeaderValue::from_str(&format!(
                    "bAsIc  {}",
                    base64::engine::general_purpose::STANDARD.encode("empty:")
                ))
                .unwrap()
            )),
            Ok(())
        );
    }

    #[test]
    fn constant_time_comparison_is_plain_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abc\0", b"abc"));
        assert!(constant_time_eq(b"", b""));
    }
}
