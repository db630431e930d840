//! Secrets at rest: the secret properties of stored connector configs (passwords, secret keys,
//! `basic.auth.user.info`, ... — what the REST API masks) are encrypted before they reach the
//! data directory, with a key the worker keeps outside it. A copy of the data directory without
//! the key reveals no password. See `docs/secrets.md`.
//!
//! * The key: 32 random bytes, from `TRIBUTARY_SECRETS_KEY` (64 hex digits) or the worker
//!   property `secrets.key.file`, by default the file `<data dir>.key` beside the data directory
//!   (created 0600 on first start). A file holds the key as 64 hex digits.
//! * A stored secret: `tributary:enc:v1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`,
//!   AES-256-GCM with a random 96-bit nonce; the connector and property names are the
//!   associated data, so a value moved to another property does not decrypt. The key id
//!   (the first 8 bytes of SHA-256 of the key, in hex) names the key a value needs.
//! * Rotation: start with the new key and the old one as `secrets.previous.key.file` (or
//!   `TRIBUTARY_SECRETS_PREVIOUS_KEY`); every stored config is read with whichever key wrote it
//!   and written again with the new one. Then the old key can go.
//! * Migration: plaintext secrets stored by an older version are encrypted on start.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use cdc_core::ConfigMap;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

/// What a stored encrypted value starts with.
const PREFIX: &str = "tributary:enc:v1:";
/// The worker properties and environment variables naming the keys.
pub const KEY_FILE_PROPERTY: &str = "secrets.key.file";
pub const PREVIOUS_KEY_FILE_PROPERTY: &str = "secrets.previous.key.file";
pub const KEY_ENV: &str = "TRIBUTARY_SECRETS_KEY";
pub const PREVIOUS_KEY_ENV: &str = "TRIBUTARY_SECRETS_PREVIOUS_KEY";

/// Why secrets cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read the secrets key file {path}: {source}; it holds the key of the passwords stored in the data directory (see docs/secrets.md)")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the secrets key file {path}: {source}")]
    CreateKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{source_name} does not hold a secrets key: expected 64 hex digits (32 bytes)")]
    BadKey { source_name: String },
    #[error("the stored secret {property} of connector {connector} was encrypted with key {needed}, but the worker has {have}: start it with that key (secrets.key.file or TRIBUTARY_SECRETS_KEY), or with it as secrets.previous.key.file to rotate")]
    UnknownKey {
        connector: String,
        property: String,
        needed: String,
        have: String,
    },
    #[error("the stored secret {property} of connector {connector} does not decrypt with key {key} (damaged, or moved from another property)")]
    Damaged {
        connector: String,
        property: String,
        key: String,
    },
    #[error("no random bytes for a nonce")]
    Random,
}

/// A 32-byte AES-256-GCM key and its id.
struct Key {
    key: LessSafeKey,
    id: String,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Key {
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let id = hex(&digest.as_ref()[..8]);
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("a 32-byte key"));
        Key { key, id }
    }
}

/// The worker's keys: the current one, and the previous one while rotating.
pub struct Secrets {
    current: Key,
    previous: Option<Key>,
    random: SystemRandom,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("key", &self.current.id)
            .field("previous", &self.previous.as_ref().map(|k| &k.id))
            .finish()
    }
}

/// The default key file: `<data dir>.key`, beside the data directory.
pub fn default_key_file(data_dir: &Path) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "tributary-data".into());
    name.push(".key");
    data_dir.with_file_name(name)
}

impl Secrets {
    /// The keys the worker config and environment name; the current key file is created
    /// (0600) when neither names an existing key.
    pub fn load(
        worker: &ConfigMap,
        data_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secrets, SecretsError> {
        let random = SystemRandom::new();
        let current = match env(KEY_ENV) {
            Some(v) => parse_key(&v, KEY_ENV)?,
            None => {
                let path = worker
                    .get(KEY_FILE_PROPERTY)
                    .map(PathBuf::from)
                    .unwrap_or_else(|| default_key_file(data_dir));
                read_or_create(&path, &random)?
            }
        };
        let previous = match (
            env(PREVIOUS_KEY_ENV),
            worker.get(PREVIOUS_KEY_FILE_PROPERTY),
        ) {
            (Some(v), _) => Some(parse_key(&v, PREVIOUS_KEY_ENV)?),
            (None, Some(path)) => Some(read_key(Path::new(path))?),
            (None, None) => None,
        };
        Ok(Secrets {
            current: Key::new(&current),
            previous: previous.map(|k| Key::new(&k)),
            random,
        })
    }

    /// A key given directly (tests).
    pub fn from_key(key: [u8; 32]) -> Secrets {
        Secrets {
            current: Key::new(&key),
            previous: None,
            random: SystemRandom::new(),
        }
    }

    /// The current key's id.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// `config` with every secret property (what the REST API masks) encrypted.
    pub fn seal(&self, connector: &str, config: &ConfigMap) -> Result<ConfigMap, SecretsError> {
        let masked = crate::herder::mask(config);
        let mut out = config.clone();
        for (property, value) in config {
            if masked.get(property) == Some(value) || value.starts_with(PREFIX) {
                continue;
            }
            let mut nonce = [0u8; NONCE_LEN];
            self.random
                .fill(&mut nonce)
                .map_err(|_| SecretsError::Random)?;
            let mut sealed = value.as_bytes().to_vec();
            self.current
                .key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad(connector, property)),
                    &mut sealed,
                )
                .map_err(|_| SecretsError::Random)?;
            let mut blob = nonce.to_vec();
            blob.extend_from_slice(&sealed);
            out.insert(
                property.clone(),
                format!(
                    "{PREFIX}{}:{}",
                    self.current.id,
                    base64::engine::general_purpose::STANDARD.encode(blob)
                ),
            );
        }
        Ok(out)
    }

    /// `stored` with its encrypted values decrypted, and whether it must be written again
    /// (a plaintext secret, or one under the previous key).
    pub fn open(
        &self,
        connector: &str,
        stored: &ConfigMap,
    ) -> Result<(ConfigMap, bool), SecretsError> {
        let masked = crate::herder::mask(stored);
        let mut out = stored.clone();
        let mut rewrite = false;
        for (property, value) in stored {
            let Some(rest) = value.strip_prefix(PREFIX) else {
                // A plaintext secret, stored before secrets were encrypted.
                rewrite |= masked.get(property) != Some(value);
                continue;
            };
            let (id, blob) = rest.split_once(':').unwrap_or(("", rest));
            let key = if id == self.current.id {
                &self.current
            } else if let Some(previous) = self.previous.as_ref().filter(|k| k.id == id) {
                rewrite = true;
                previous
            } else {
                return Err(SecretsError::UnknownKey {
                    connector: connector.to_owned(),
                    property: property.clone(),
                    needed: id.to_owned(),
                    have: self.current.id.clone(),
                });
            };
            let damaged = || SecretsError::Damaged {
                connector: connector.to_owned(),
                property: property.clone(),
                key: key.id.clone(),
            };
            let mut bytes = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .map_err(|_| damaged())?;
            if bytes.len() < NONCE_LEN {
                return Err(damaged());
            }
            let mut sealed = bytes.split_off(NONCE_LEN);
            let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| damaged())?;
            let plain = key
                .key
                .open_in_place(nonce, Aad::from(aad(connector, property)), &mut sealed)
                .map_err(|_| damaged())?;
            let plain = String::from_utf8(plain.to_vec()).map_err(|_| damaged())?;
            out.insert(property.clone(), plain);
        }
        Ok((out, rewrite))
    }
}

fn aad(connector: &str, property: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(connector.len() + property.len() + 1);
    a.extend_from_slice(connector.as_bytes());
    a.push(0);
    a.extend_from_slice(property.as_bytes());
    a
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_key(text: &str, source_name: &str) -> Result<[u8; 32], SecretsError> {
    let text = text.trim();
    let bad = || SecretsError::BadKey {
        source_name: source_name.to_owned(),
    };
    if text.len() != 64 || !text.is_ascii() {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(key)
}

fn read_key(path: &Path) -> Result<[u8; 32], SecretsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretsError::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    parse_key(&text, &path.display().to_string())
}

fn read_or_create(path: &Path, random: &SystemRandom) -> Result<[u8; 32], SecretsError> {
    match std::fs::metadata(path) {
        Ok(_) => read_key(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            random.fill(&mut key).map_err(|_| SecretsError::Random)?;
            let create = |source| SecretsError::CreateKey {
                path: path.to_owned(),
                source,
            };
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(create)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(create)?;
            std::io::Write::write_all(&mut file, format!("{}\n", hex(&key)).as_bytes())
                .map_err(create)?;
            file.sync_all().map_err(create)?;
            Ok(key)
        }
        Err(source) => Err(SecretsError::ReadKey {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfigMap {
        [
            ("database.hostname", "db"),
            ("database.password", "s3cr3t-pw"),
            ("aws.secret.access.key", "AKIA/secret"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn secrets_are_sealed_and_opened_and_nothing_else_changes() {
        let s = Secrets::from_key([7; 32]);
        let sealed = s.seal("c", &config()).unwrap();
        assert_eq!(sealed["database.hostname"], "db");
        for p in ["database.password", "aws.secret.access.key"] {
            assert!(sealed[p].starts_with(PREFIX), "{p}: {}", sealed[p]);
            assert!(!sealed[p].contains("s3cr3t") && !sealed[p].contains("AKIA"));
        }
        let (opened, rewrite) = s.open("c", &sealed).unwrap();
        assert_eq!(opened, config());
        assert!(!rewrite);
        // Sealing twice gives other bytes (a fresh nonce) and leaves sealed values alone.
        assert_ne!(s.seal("c", &config()).unwrap(), sealed);
        assert_eq!(s.seal("c", &sealed).unwrap(), sealed);
    }

    #[test]
    fn another_key_another_connector_or_property_cannot_open() {
        let s = Secrets::from_key([7; 32]);
        let sealed = s.seal("c", &config()).unwrap();
        let other = Secrets::from_key([8; 32]);
        let err = other.open("c", &sealed).unwrap_err().to_string();
        assert!(
            err.contains(s.key_id()) && err.contains("secrets.previous.key.file"),
            "{err}"
        );
        assert!(matches!(
            s.open("d", &sealed),
            Err(SecretsError::Damaged { .. })
        ));
        let mut moved = sealed.clone();
        moved.insert(
            "database.sslpassword".into(),
            sealed["database.password"].clone(),
        );
        assert!(matches!(
            s.open("c", &moved),
            Err(SecretsError::Damaged { .. })
        ));
    }

    #[test]
    fn plaintext_and_previous_key_values_are_opened_and_marked_for_rewrite() {
        let old = Secrets::from_key([1; 32]);
        let sealed = old.seal("c", &config()).unwrap();
        let mut new = Secrets::from_key([2; 32]);
        new.previous = Some(Key::new(&[1; 32]));
        let (opened, rewrite) = new.open("c", &sealed).unwrap();
        assert_eq!(opened, config());
        assert!(rewrite);
        let (opened, rewrite) = new.open("c", &config()).unwrap();
        assert_eq!(opened, config());
        assert!(rewrite, "a plaintext secret is rewritten sealed");
    }

    #[test]
    fn the_key_file_is_created_private_beside_the_data_directory_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let none = |_: &str| None;
        let a = Secrets::load(&ConfigMap::new(), &data, &none).unwrap();
        let file = dir.path().join("data.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = Secrets::load(&ConfigMap::new(), &data, &none).unwrap();
        assert_eq!(a.key_id(), b.key_id());
        let env = |n: &str| (n == KEY_ENV).then(|| "ab".repeat(32));
        let c = Secrets::load(&ConfigMap::new(), &data, &env).unwrap();
        assert_ne!(c.key_id(), a.key_id());
        let bad = |n: &str| (n == KEY_ENV).then(|| "xyz".to_owned());
        let err = Secrets::load(&ConfigMap::new(), &data, &bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(KEY_ENV) && err.contains("64 hex digits"),
            "{err}"
        );
    }
}
