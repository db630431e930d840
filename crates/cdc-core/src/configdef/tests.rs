use std::io::Write;

use serde_json::json;

use super::*;
use crate::properties::parse_properties;

use crate::config_map as map;

fn sample_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(
                "database.hostname",
                ConfigType::String,
                "Host to connect to.",
            )
            .required()
            .importance(Importance::High)
            .group("CONNECTION", 1)
            .width(Width::Medium)
            .display_name("Hostname"),
        )
        .define(
            ConfigKey::new("database.port", ConfigType::Int, "Port.")
                .default_value("5432")
                .group("CONNECTION", 2),
        )
        .define(
            ConfigKey::new("database.password", ConfigType::Password, "Password.")
                .group("CONNECTION", 3),
        )
        .define(
            ConfigKey::new("snapshot.mode", ConfigType::String, "When to snapshot.")
                .default_value("initial")
                .allowed(&["initial", "no_data"])
                .group("CONNECTOR_SNAPSHOT", 1),
        )
        .define(
            ConfigKey::new("heartbeat.interval.ms", ConfigType::Int, "Heartbeats.")
                .default_value("0")
                .unsupported(),
        )
}

fn entry<'a>(infos: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == name)
        .unwrap_or_else(|| panic!("no config entry {name}"))
}

#[test]
fn definition_json_has_connects_field_names_and_framework_keys_after_the_plugins() {
    let body = definition_json(&sample_def());
    let keys = body.as_array().unwrap();
    assert_eq!(
        keys[0],
        json!({
            "name": "database.hostname",
            "type": "STRING",
            "required": true,
            "default_value": null,
            "importance": "HIGH",
            "documentation": "Host to connect to.",
            "group": "CONNECTION",
            "order": 1,
            "width": "MEDIUM",
            "display_name": "Hostname",
            "dependents": [],
        })
    );
    assert_eq!(keys[1]["default_value"], "5432");
    assert_eq!(keys[2]["type"], "PASSWORD");
    assert!(keys[4]["documentation"]
        .as_str()
        .unwrap()
        .starts_with(UNSUPPORTED_PREFIX));
    assert_eq!(keys[4]["group"], serde_json::Value::Null);
    let names: Vec<&str> = keys.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names[5..8], ["name", "connector.class", "tasks.max"]);
    assert!(names.contains(&"errors.tolerance") && names.contains(&"exactly.once.support"));
}

#[test]
fn validate_has_connects_shape_with_framework_keys_first_and_counts_error_messages() {
    let config = map(&[
        ("name", "inventory"),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        ),
        ("tasks.max", "two"),
        ("database.port", "x"),
        ("snapshot.mode", "sometimes"),
    ]);
    let problems = vec![ConfigProblem {
        property: "database.hostname".into(),
        value: None,
        message: "a value is required and none was given".into(),
    }];
    let infos = validate(
        &sample_def(),
        "io.debezium.connector.postgresql.PostgresConnector",
        &config,
        &problems,
    );
    assert_eq!(
        infos["name"],
        "io.debezium.connector.postgresql.PostgresConnector"
    );
    // tasks.max (type), database.hostname (connector's problem), database.port (type),
    // snapshot.mode (not allowed).
    assert_eq!(infos["error_count"], 4, "{infos:#}");
    let groups: Vec<&str> = infos["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(groups[0], "Common");
    assert!(
        groups.contains(&"Error Handling")
            && groups.ends_with(&["CONNECTION", "CONNECTOR_SNAPSHOT"])
    );
    assert_eq!(infos["configs"][0]["definition"]["name"], "name");

    let tasks = entry(&infos, "tasks.max");
    assert_eq!(
        tasks["value"]["errors"],
        json!(["Invalid value two for configuration tasks.max: Not a number of type INT"])
    );
    let host = entry(&infos, "database.hostname");
    assert_eq!(
        host["value"],
        json!({
            "name": "database.hostname",
            "value": null,
            "recommended_values": [],
            "errors": ["a value is required and none was given"],
            "visible": true,
        })
    );
    assert_eq!(host["definition"]["order"], 1);
    assert_eq!(entry(&infos, "snapshot.mode")["value"]["errors"][0], "Invalid value sometimes for configuration snapshot.mode: String must be one of: initial, no_data");
    // Defaults fill unset values, as Connect's ConfigValue does.
    assert_eq!(entry(&infos, "errors.tolerance")["value"]["value"], "none");
    assert_eq!(
        entry(&infos, "key.converter")["value"]["value"],
        serde_json::Value::Null
    );
}

#[test]
fn a_connectors_problem_about_an_undefined_property_is_listed_without_definition() {
    let problems = vec![ConfigProblem {
        property: "column.mask.with.5.chars".into(),
        value: Some("x".into()),
        message: "bad".into(),
    }];
    let infos = validate(&sample_def(), "C", &ConfigMap::new(), &problems);
    let first = &infos["configs"][0];
    assert_eq!(first["definition"], serde_json::Value::Null);
    assert_eq!(
        first["value"]["errors"][0],
        "Invalid value x for configuration column.mask.with.5.chars: bad"
    );
    // That one, plus the missing required name, connector.class and database.hostname.
    assert_eq!(infos["error_count"], 4, "{infos:#}");
}

#[test]
fn a_secret_never_appears_in_validate_output() {
    let config = map(&[
        ("database.password", "hunter2"),
        ("database.sslpassword", "hunter3"),
        ("my.api.secret", "hunter4"),
    ]);
    let problems = vec![ConfigProblem {
        property: "database.password".into(),
        value: Some(HIDDEN.into()),
        message: "wrong".into(),
    }];
    let infos = validate(&sample_def(), "C", &config, &problems);
    let text = infos.to_string();
    assert!(!text.contains("hunter"), "{text}");
    assert_eq!(entry(&infos, "database.password")["value"]["value"], HIDDEN);
}

#[test]
fn unknown_and_unsupported_properties_are_warnings_not_errors() {
    let config = map(&[
        ("name", "n"),
        ("connector.class", "C"),
        ("database.hostname", "h"),
        ("heartbeat.interval.ms", "1000"),
        ("no.such.property", "1"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("value.converter.schemas.enable", "false"),
        ("producer.override.linger.ms", "5"),
    ]);
    let infos = validate(&sample_def(), "C", &config, &[]);
    assert_eq!(infos["error_count"], 0, "{infos:#}");
    assert_eq!(
        infos["warnings"],
        json!([
            "heartbeat.interval.ms is not supported yet by Tributary and is ignored",
            "no.such.property is not a property Tributary knows for C and is ignored",
        ])
    );
}

#[test]
fn list_values_are_shown_as_connect_normalises_them() {
    let config = map(&[("transforms", " unwrap , route ")]);
    let infos = validate(&ConfigDef::new(), "C", &config, &[]);
    assert_eq!(
        entry(&infos, "transforms")["value"]["value"],
        "unwrap,route"
    );
}

#[test]
fn mask_secrets_hides_password_keys_and_secret_names_but_not_references() {
    let def = ConfigDef::new().define(ConfigKey::new("db.credential", ConfigType::Password, "x"));
    let config = map(&[
        ("database.password", "p1"),
        ("db.credential", "p2"),
        ("sasl.jaas.config", "p3"),
        ("database.user", "postgres"),
        ("other.password", "${file:/etc/secrets.properties:pw}"),
    ]);
    let masked = mask_secrets(&config, Some(&def));
    assert_eq!(masked["database.password"], HIDDEN);
    assert_eq!(masked["db.credential"], HIDDEN);
    assert_eq!(masked["sasl.jaas.config"], HIDDEN);
    assert_eq!(masked["database.user"], "postgres");
    assert_eq!(
        masked["other.password"],
        "${file:/etc/secrets.properties:pw}"
    );
    assert_eq!(mask_secrets(&config, None)["db.credential"], "p2");
}

#[test]
fn keep_hidden_restores_stored_secrets_only() {
    let stored = map(&[("database.password", "p1"), ("database.user", "u")]);
    let mut new = map(&[
        ("database.password", HIDDEN),
        ("database.user", HIDDEN),
        ("other.password", HIDDEN),
    ]);
    keep_hidden(&mut new, &stored);
    assert_eq!(new["database.password"], "p1");
    // Not a secret: the literal value stays; no stored value: nothing to restore.
    assert_eq!(new["database.user"], HIDDEN);
    assert_eq!(new["other.password"], HIDDEN);
}

fn worker(pairs: &[(&str, &str)]) -> ConfigProviders {
    ConfigProviders::from_worker(&map(pairs)).unwrap()
}

const FILE: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const ENV: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
const DIR: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

#[test]
fn providers_resolve_env_file_and_directory_references() {
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("db.properties");
    std::fs::File::create(&props)
        .unwrap()
        .write_all(b"# secrets\ndb.password = s3cr=t\nuser: app\n")
        .unwrap();
    std::fs::write(dir.path().join("token"), "tok").unwrap();
    std::env::set_var("TRIBUTARY_CONFIGDEF_TEST_HOST", "db.internal");
    let providers = worker(&[
        ("config.providers", "env, file,dir"),
        ("config.providers.env.class", ENV),
        ("config.providers.file.class", FILE),
        ("config.providers.dir.class", DIR),
    ]);
    let p = props.display();
    let d = dir.path().display();
    let config = map(&[
        ("database.hostname", "${env:TRIBUTARY_CONFIGDEF_TEST_HOST}"),
        ("database.password", &format!("${{file:{p}:db.password}}")),
        ("database.user", &format!("pre-${{file:{p}:user}}-post")),
        ("token", &format!("${{dir:{d}:token}}")),
        ("plain", "no reference"),
    ]);
    let resolved = providers.resolve(&config).unwrap();
    assert_eq!(resolved["database.hostname"], "db.internal");
    assert_eq!(resolved["database.password"], "s3cr=t");
    assert_eq!(resolved["database.user"], "pre-app-post");
    assert_eq!(resolved["token"], "tok");
    assert_eq!(resolved["plain"], "no reference");
}

#[test]
fn a_provider_the_worker_does_not_allow_is_refused_naming_property_and_provider() {
    let providers = worker(&[
        ("config.providers", "env"),
        ("config.providers.env.class", ENV),
    ]);
    let config = map(&[("database.password", "${file:/etc/passwd:root}")]);
    let err = providers.resolve(&config).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].property, "database.password");
    let text = err.to_string();
    assert!(
        text.contains("\"file\"") && text.contains("allows env"),
        "{text}"
    );
    let err = ConfigProviders::none().resolve(&config).unwrap_err();
    assert!(err.to_string().contains("allows no config providers"));
}

#[test]
fn unknown_keys_files_and_variables_are_errors_without_resolved_values() {
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("db.properties");
    std::fs::write(&props, "db.password=topsecret\n").unwrap();
    let providers = worker(&[
        ("config.providers", "file,env,dir"),
        ("config.providers.file.class", FILE),
        ("config.providers.env.class", ENV),
        ("config.providers.dir.class", DIR),
    ]);
    let p = props.display();
    let d = dir.path().display();
    let config = map(&[
        ("a", &format!("${{file:{p}:no.such.key}}")),
        ("b", "${file:/no/such/file.properties:k}"),
        ("c", "${env:TRIBUTARY_CONFIGDEF_TEST_UNSET}"),
        ("d", &format!("${{dir:{d}:../escape}}")),
        (
            "e",
            &format!("${{file:{p}:db.password}} and ${{env:TRIBUTARY_CONFIGDEF_TEST_UNSET}}"),
        ),
    ]);
    let err = providers.resolve(&config).unwrap_err();
    let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
    assert_eq!(props, ["a", "b", "c", "d", "e"]);
    let text = err.to_string();
    assert!(!text.contains("topsecret"), "{text}");
    assert!(text.contains("no key \"no.such.key\""), "{text}");
    assert!(
        text.contains("TRIBUTARY_CONFIGDEF_TEST_UNSET is not set"),
        "{text}"
    );
}

#[test]
fn provider_params_limit_paths_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.properties"), "k=v\n").unwrap();
    std::env::set_var("TRIBUTARY_CONFIGDEF_TEST_OTHER", "x");
    let root = dir.path().display().to_string();
    let providers = worker(&[
        ("config.providers", "file,env"),
        ("config.providers.file.class", FILE),
        ("config.providers.file.param.allowed.paths", &root),
        ("config.providers.env.class", ENV),
        ("config.providers.env.param.allowlist.pattern", "DB_.*"),
    ]);
    let inside = map(&[("a", &format!("${{file:{root}/ok.properties:k}}"))]);
    assert_eq!(providers.resolve(&inside).unwrap()["a"], "v");
    let outside = map(&[
        ("a", &format!("${{file:{root}/../x.properties:k}}")),
        ("b", "${env:TRIBUTARY_CONFIGDEF_TEST_OTHER}"),
    ]);
    let text = providers.resolve(&outside).unwrap_err().to_string();
    assert!(
        text.contains("outside the provider's allowed.paths"),
        "{text}"
    );
    assert!(text.contains("allowlist.pattern"), "{text}");
}

#[test]
fn worker_provider_config_errors_are_reported() {
    let err = ConfigProviders::from_worker(&map(&[
        ("config.providers", "vault,file"),
        (
            "config.providers.vault.class",
            "com.example.VaultConfigProvider",
        ),
    ]))
    .unwrap_err();
    let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
    assert_eq!(
        props,
        [
            "config.providers.vault.class",
            "config.providers.file.class"
        ]
    );
}

#[test]
fn java_properties_are_parsed_with_separators_continuations_and_escapes() {
    let parsed = parse_properties(
        "# comment\n! other\n  a=1\nb : 2\nc 3\nd=multi\\\n    line\ne=tab\\there\nf=\\u0041\ng\n",
    );
    assert_eq!(parsed["a"], "1");
    assert_eq!(parsed["b"], "2");
    assert_eq!(parsed["c"], "3");
    assert_eq!(parsed["d"], "multiline");
    assert_eq!(parsed["e"], "tab\there");
    assert_eq!(parsed["f"], "A");
    assert_eq!(parsed["g"], "");
    assert_eq!(parsed.len(), 7);
}

#[test]
fn a_password_inside_a_jdbc_url_is_masked_and_kept_when_sent_back() {
    let stored = map(&[
        (
            "connection.url",
            "jdbc:postgresql://h:5432/db?user=u&password=s3cret&ssl=false",
        ),
        ("other", "jdbc:mysql://h/db;password=p2"),
        ("plain", "no url"),
    ]);
    let shown = mask_secrets(&stored, None);
    assert_eq!(
        shown["connection.url"],
        "jdbc:postgresql://h:5432/db?user=u&password=[hidden]&ssl=false"
    );
    assert_eq!(shown["other"], "jdbc:mysql://h/db;password=[hidden]");
    assert_eq!(shown["plain"], "no url");
    let mut sent_back = shown.clone();
    keep_hidden(&mut sent_back, &stored);
    assert_eq!(sent_back, stored);
    let mut changed = map(&[("connection.url", "jdbc:postgresql://h/db?password=new")]);
    keep_hidden(&mut changed, &stored);
    assert_eq!(
        changed["connection.url"],
        "jdbc:postgresql://h/db?password=new"
    );
}
