use std::path::{Path, PathBuf};

use super::*;

fn map(text: &str) -> ConfigMap {
    parse_properties(text)
}

#[test]
fn empty_file_gives_loopback_8083() {
    let c = WorkerConfig::from_map(ConfigMap::new(), None).unwrap();
    assert_eq!(c.listeners.len(), 1);
    assert_eq!(c.listeners[0].to_string(), "http://127.0.0.1:8083");
    assert_eq!(c.data_dir, None);
    assert!(c.tls.is_none() && c.basic_auth.is_none());
    assert_eq!(c.advertised_url().unwrap(), "http://127.0.0.1:8083/");
}

#[test]
fn listeners_and_connect_properties() {
    let c = WorkerConfig::from_map(
        map("listeners=http://:8083, HTTPS://[::1]:8443\n\
             listeners.https.ssl.keystore.type=PEM\n\
             listeners.https.ssl.keystore.location=/etc/tributary/rest.pem\n\
             rest.advertised.host.name=connect-1\nrest.advertised.port=18083\n\
             rest.advertised.listener=https\n\
             offset.storage.file.filename=/var/lib/connect/connect.offsets\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             key.converter.schemas.enable=false\n\
             config.providers=file\n\
             config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n\
             plugin.path=/usr/share/java\nsomething.else=1\n"),
        None,
    )
    .unwrap();
    assert_eq!(c.listeners[0].bind_host(), "0.0.0.0");
    assert_eq!(c.listeners[1].scheme, Scheme::Https);
    assert_eq!(c.listeners[1].host, "::1");
    assert_eq!(c.listeners[1].to_string(), "https://[::1]:8443");
    assert_eq!(c.advertised_url().unwrap(), "https://connect-1:18083/");
    assert_eq!(c.data_dir, Some(PathBuf::from("/var/lib/connect")));
    assert_eq!(c.converters.key_schemas_enable, Some(false));
    assert_eq!(c.converters.value_schemas_enable, None);
    assert_eq!(c.config_providers.len(), 2);
    assert_eq!(c.raw["something.else"], "1");
    let tls = c.tls.unwrap();
    assert!(
        matches!(tls.private_key, PemSource::File { ref path, .. } if path == Path::new("/etc/tributary/rest.pem"))
    );
    assert_eq!(tls.client_auth, ClientAuth::None);
}

#[test]
fn tributary_data_dir_wins_and_plain_ssl_properties_apply_without_the_prefix() {
    let c = WorkerConfig::from_map(
        map(
            "tributary.data.dir=/data\noffset.storage.file.filename=/tmp/x.offsets\n\
             listeners=https://127.0.0.1:0\n\
             ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\n\
             ssl.keystore.key=-----BEGIN PRIVATE KEY-----\n\
             ssl.client.auth=required\nssl.truststore.type=PEM\n\
             ssl.truststore.location=/ca.pem\n",
        ),
        None,
    )
    .unwrap();
    assert_eq!(c.data_dir, Some(PathBuf::from("/data")));
    let tls = c.tls.unwrap();
    assert_eq!(tls.private_key.property(), "ssl.keystore.key");
    assert_eq!(tls.client_auth, ClientAuth::Required);
    assert_eq!(
        tls.truststore.unwrap().property(),
        "ssl.truststore.location"
    );
}

#[test]
fn every_problem_is_reported_at_once_and_keys_are_not_echoed() {
    let errors = WorkerConfig::from_map(
        map(
            "listeners=http://127.0.0.1:8083,ftp://x:1,https://h:99999,https://127.0.0.1:8443\n\
             listeners.https.ssl.keystore.type=JKS\n\
             listeners.https.ssl.keystore.location=/k.jks\n\
             listeners.https.ssl.key.password=sekrit\n\
             listeners.https.ssl.client.auth=sometimes\n\
             rest.advertised.port=0\nrest.advertised.listener=gopher\n\
             value.converter.schemas.enable=maybe\n\
             rest.extension.classes=com.example.Auth\n",
        ),
        None,
    )
    .unwrap_err();
    let text = errors
        .0
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for expected in [
        "\"ftp://x:1\" has a scheme other than http or https",
        "\"https://h:99999\" has a port outside 0-65535",
        "keystore type JKS is not supported, only PEM",
        "encrypted private keys are not supported",
        "listeners.https.ssl.client.auth: must be one of: none, requested, required",
        "rest.advertised.port: must be between 1 and 65535",
        "rest.advertised.listener: must be one of: http, https",
        "value.converter.schemas.enable: must be true or false",
        "com.example.Auth is not supported",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("sekrit"), "{text}");
    assert_eq!(errors.0.len(), 9, "{text}");
}

#[test]
fn a_keystore_file_without_a_type_is_jks_and_refused() {
    let errors = WorkerConfig::from_map(
        map("listeners=https://127.0.0.1:8443\nssl.keystore.location=/k.jks\n"),
        None,
    )
    .unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].property, "ssl.keystore.type");
    assert!(errors.0[0].message.contains("JKS"));
    let errors =
        WorkerConfig::from_map(map("listeners=https://127.0.0.1:8443\n"), None).unwrap_err();
    assert!(errors.0[0].message.contains("needs a certificate"));
    let errors = WorkerConfig::from_map(
        map("listeners=https://127.0.0.1:8443\nssl.keystore.certificate.chain=x\n"),
        None,
    )
    .unwrap_err();
    assert_eq!(errors.0[0].property, "ssl.keystore.key");
}

#[test]
fn basic_auth_from_jaas_or_users_file() {
    let ext = format!("rest.extension.classes={BASIC_AUTH_EXTENSION}\n");
    let c = WorkerConfig::from_map(
        map(&format!("{ext}{JAAS_CONFIG}=/etc/connect_jaas.conf\n")),
        None,
    )
    .unwrap();
    assert_eq!(
        c.basic_auth,
        Some(BasicAuthSettings::Jaas {
            jaas_file: "/etc/connect_jaas.conf".into()
        })
    );
    let c = WorkerConfig::from_map(
        map(&ext),
        Some("-Xmx1g -Djava.security.auth.login.config=\"/opt/jaas.conf\" -Dx=y"),
    )
    .unwrap();
    assert_eq!(
        c.basic_auth,
        Some(BasicAuthSettings::Jaas {
            jaas_file: "/opt/jaas.conf".into()
        })
    );
    let errors = WorkerConfig::from_map(map(&ext), None).unwrap_err();
    assert!(errors.0[0].message.contains("needs a JAAS file"));
    let c = WorkerConfig::from_map(map(&format!("{USERS_FILE}=/etc/users\n")), None).unwrap();
    assert_eq!(
        c.basic_auth,
        Some(BasicAuthSettings::UsersFile {
            path: "/etc/users".into()
        })
    );
}

#[test]
fn deprecated_rest_port() {
    let c = WorkerConfig::from_map(map("rest.port=9000\n"), None).unwrap();
    assert_eq!(c.listeners[0].to_string(), "http://127.0.0.1:9000");
}

#[test]
fn log_retention_properties_are_the_embedded_logs_defaults() {
    let c = WorkerConfig::from_map(ConfigMap::new(), None).unwrap();
    assert_eq!(c.retention.retention_ms, 604_800_000);
    assert_eq!(c.retention.retention_bytes, -1);
    let c = WorkerConfig::from_map(
        map("log.retention.hours=1\nlog.retention.bytes=1048576\nlog.retention.check.interval.ms=1000\n"),
        None,
    )
    .unwrap();
    assert_eq!(c.retention.retention_ms, 3_600_000);
    assert_eq!(c.retention.retention_bytes, 1 << 20);
    assert_eq!(
        c.retention.check_interval,
        std::time::Duration::from_secs(1)
    );
    let e = WorkerConfig::from_map(map("log.cleanup.policy=compact\n"), None).unwrap_err();
    assert_eq!(e.0[0].property, "log.cleanup.policy");
}

#[test]
fn a_distributed_workers_group_id_is_refused_outside_distributed_mode() {
    let map: ConfigMap = [
        ("group.id", "connect-cluster"),
        ("config.storage.topic", "connect-configs"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let err = WorkerConfig::from_map(map, None).unwrap_err();
    assert!(
        err.0.iter().any(|p| p.property == "group.id"
            && p.message.contains("tributary distributed")
            && p.message.contains("remove group.id")),
        "{err}"
    );
    let map: ConfigMap = [("group.id", "connect-cluster")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(WorkerConfig::from_map_as(map, None, true).is_ok());
}
