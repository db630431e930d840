//! The REST listeners: plain HTTP, HTTPS with PEM keystores as Kafka writes them, client
//! certificates, basic auth (Connect's JAAS file and Tributary's users file), and the binary's
//! `--config` and `standalone worker.properties` forms.

mod binary;

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use tributary::connector_file::parse_properties;
use tributary::listener::{self, RestServer};
use tributary::worker_config::{Scheme, WorkerConfig};

/// A temporary directory for worker files.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A self-signed server certificate for localhost and 127.0.0.1.
struct ServerCert {
    cert_pem: String,
    key_pem: String,
}

fn server_cert() -> ServerCert {
    let c =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    ServerCert {
        cert_pem: c.cert.pem(),
        key_pem: c.signing_key.serialize_pem(),
    }
}

/// Kafka's inline PEM style: the value continued over lines with a trailing backslash.
fn continued(pem: &str) -> String {
    pem.trim_end().lines().collect::<Vec<_>>().join(" \\\n  ")
}

async fn start(properties: &str) -> (RestServer, CancellationToken) {
    let cfg = WorkerConfig::from_map(parse_properties(properties), None).unwrap();
    listener::check(&cfg).unwrap();
    let stop = CancellationToken::new();
    let server = listener::serve(listener::placeholder_router(), &cfg, stop.clone())
        .await
        .unwrap();
    (server, stop)
}

fn https_client(ca_pem: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
}

#[tokio::test]
async fn plain_http_on_a_free_port_and_graceful_shutdown() {
    let (server, stop) = start("listeners=http://127.0.0.1:0\n").await;
    let addr = server.address(Scheme::Http).unwrap();
    assert_ne!(addr.port(), 0);
    let body: serde_json::Value = reqwest::get(format!("http://{addr}/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    stop.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(10), server.wait())
        .await
        .expect("stops promptly")
        .unwrap();
    assert!(reqwest::get(format!("http://{addr}/")).await.is_err());
}

#[tokio::test]
async fn https_from_a_pem_keystore_file_next_to_plain_http() {
    let dir = Dir::new();
    let cert = server_cert();
    let pem = dir.write("rest.pem", &format!("{}{}", cert.key_pem, cert.cert_pem));
    let (server, stop) = start(&format!(
        "listeners=https://127.0.0.1:0,http://127.0.0.1:0\n\
         listeners.https.ssl.keystore.type=PEM\n\
         listeners.https.ssl.keystore.location={}\n",
        pem.display()
    ))
    .await;
    let https = server.address(Scheme::Https).unwrap();
    let http = server.address(Scheme::Http).unwrap();
    let client = https_client(&cert.cert_pem).build().unwrap();
    let response = client
        .get(format!("https://localhost:{}/", https.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client
        .get(format!("https://{https}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the IP is in the SAN");
    assert_eq!(
        reqwest::get(format!("http://{http}/"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // A client that does not trust the certificate is refused; plain HTTP on the TLS port fails.
    let untrusting = https_client(&server_cert().cert_pem).build().unwrap();
    assert!(untrusting
        .get(format!("https://{https}/"))
        .send()
        .await
        .is_err());
    assert!(reqwest::get(format!("http://{https}/")).await.is_err());
    // The listener still serves after failed handshakes.
    assert!(client.get(format!("https://{https}/")).send().await.is_ok());
    stop.cancel();
    server.wait().await.unwrap();
}

#[tokio::test]
async fn https_from_inline_pem_continued_over_lines_as_kafka_writes_it() {
    let dir = Dir::new();
    let cert = server_cert();
    let path = dir.write(
        "worker.properties",
        &format!(
            "listeners=https://127.0.0.1:0\n\
             ssl.keystore.type=PEM\n\
             ssl.keystore.certificate.chain={}\n\
             ssl.keystore.key={}\n",
            continued(&cert.cert_pem),
            continued(&cert.key_pem)
        ),
    );
    let cfg = WorkerConfig::load(&path).unwrap();
    let stop = CancellationToken::new();
    let server = listener::serve(listener::placeholder_router(), &cfg, stop.clone())
        .await
        .unwrap();
    let https = server.address(Scheme::Https).unwrap();
    let client = https_client(&cert.cert_pem).build().unwrap();
    assert_eq!(
        client
            .get(format!("https://{https}/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    stop.cancel();
    server.wait().await.unwrap();
}

#[tokio::test]
async fn client_certificates_when_ssl_client_auth_is_required() {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert = CertificateParams::new(vec!["client".to_owned()])
        .unwrap()
        .signed_by(&client_key, &ca)
        .unwrap();
    let cert = server_cert();
    let (server, stop) = start(&format!(
        "listeners=https://127.0.0.1:0\n\
         listeners.https.ssl.keystore.certificate.chain={}\n\
         listeners.https.ssl.keystore.key={}\n\
         listeners.https.ssl.client.auth=required\n\
         listeners.https.ssl.truststore.type=PEM\n\
         listeners.https.ssl.truststore.certificates={}\n",
        continued(&cert.cert_pem),
        continued(&cert.key_pem),
        continued(&ca.pem()),
    ))
    .await;
    let url = format!("https://{}/", server.address(Scheme::Https).unwrap());
    let identity = reqwest::Identity::from_pem(
        format!("{}{}", client_cert.pem(), client_key.serialize_pem()).as_bytes(),
    )
    .unwrap();
    let with_cert = https_client(&cert.cert_pem)
        .identity(identity)
        .build()
        .unwrap();
    assert_eq!(
        with_cert.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let without = https_client(&cert.cert_pem).build().unwrap();
    assert!(without.get(&url).send().await.is_err());
    stop.cancel();
    server.wait().await.unwrap();
}

/// Asserts Connect's 401: the JSON error body and the Basic challenge.
async fn assert_unauthorized(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error_code": 401, "message": "User cannot access the resource."})
    );
}

#[tokio::test]
async fn basic_auth_from_a_users_file() {
    let dir = Dir::new();
    let users = dir.write(
        "users.properties",
        "# who may call\nadmin: hunter2\nops=0ps-pw\n",
    );
    let (server, stop) = start(&format!(
        "listeners=http://127.0.0.1:0\ntributary.rest.basic.auth.users.file={}\n",
        users.display()
    ))
    .await;
    let url = format!("http://{}/", server.address(Scheme::Http).unwrap());
    let client = reqwest::Client::new();
    assert_unauthorized(client.get(&url).send().await.unwrap()).await;
    assert_unauthorized(
        client
            .get(&url)
            .basic_auth("admin", Some("hunter3"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_unauthorized(
        client
            .get(&url)
            .basic_auth("nobody", Some("hunter2"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_unauthorized(
        client
            .get(format!("{url}no/such/path"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for (user, password) in [("admin", "hunter2"), ("ops", "0ps-pw")] {
        let ok = client
            .get(&url)
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "{user}");
    }
    stop.cancel();
    server.wait().await.unwrap();
}

/// Connect's way: the BasicAuthSecurityRestExtension, a JAAS file, a credentials file.
fn connect_basic_auth(dir: &Dir, credentials: &str) -> String {
    let users = dir.write("connect.password", credentials);
    let jaas = dir.write(
        "connect_jaas.conf",
        &format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            users.display()
        ),
    );
    format!(
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n\
         java.security.auth.login.config={}\n",
        jaas.display()
    )
}

#[tokio::test]
async fn basic_auth_from_connects_jaas_file_over_https() {
    let dir = Dir::new();
    let cert = server_cert();
    let auth = connect_basic_auth(&dir, "admin=correct horse\n");
    let (server, stop) = start(&format!(
        "listeners=https://127.0.0.1:0\n{auth}\
         ssl.keystore.type=PEM\nssl.keystore.certificate.chain={}\nssl.keystore.key={}\n",
        continued(&cert.cert_pem),
        continued(&cert.key_pem),
    ))
    .await;
    let url = format!("https://{}/", server.address(Scheme::Https).unwrap());
    let client = https_client(&cert.cert_pem).build().unwrap();
    assert_unauthorized(client.get(&url).send().await.unwrap()).await;
    let ok = client
        .get(&url)
        .basic_auth("admin", Some("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    stop.cancel();
    server.wait().await.unwrap();
}

#[test]
fn load_reports_every_problem_with_files_and_pem_at_once() {
    let dir = Dir::new();
    let not_pem = dir.write("garbage.pem", "hello");
    let empty_users = dir.write("users", "# nobody\n");
    let jks = dir.write(
        "worker.properties",
        &format!(
            "listeners=https://127.0.0.1:0\n\
             listeners.https.ssl.keystore.type=PEM\n\
             listeners.https.ssl.keystore.location={}\n\
             tributary.rest.basic.auth.users.file={}\n",
            not_pem.display(),
            empty_users.display()
        ),
    );
    let err = WorkerConfig::load(&jks).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems().len(), 3, "{text}");
    assert!(text.contains("holds no PEM certificate"), "{text}");
    assert!(text.contains("holds no PEM private key"), "{text}");
    assert!(text.contains("has no user"), "{text}");

    let missing = dir.write(
        "missing.properties",
        &format!(
            "listeners=https://127.0.0.1:0\nssl.keystore.type=PEM\n\
             ssl.keystore.location={}\n",
            Path::new("/nonexistent/rest.pem").display()
        ),
    );
    let text = WorkerConfig::load(&missing).unwrap_err().to_string();
    assert!(
        text.contains("ssl.keystore.location") && text.contains("cannot read the file"),
        "{text}"
    );

    let cert = server_cert();
    let secret_key = dir.write(
        "bad-key.properties",
        &format!(
            "listeners=https://127.0.0.1:0\nssl.keystore.certificate.chain={}\n\
             ssl.keystore.key=-----BEGIN PRIVATE KEY----- bm90IGEga2V5 -----END PRIVATE KEY-----\n",
            continued(&cert.cert_pem)
        ),
    );
    let text = WorkerConfig::load(&secret_key).unwrap_err().to_string();
    assert!(text.contains("ssl.keystore.key"), "{text}");
    assert!(
        !text.contains("bm90IGEga2V5"),
        "the key is never echoed: {text}"
    );
}
