//! How `tributary topics tail` shows a stored key or value: JSON as stored; Confluent
//! wire-format Avro decoded to JSON with its schema from a registry; or hex (`--hex`). A record
//! whose schema cannot be had prints as `{"schema_id": N, "avro_hex": "..."}` with the reason on
//! stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use tributary::log::{EmbeddedLog, LogError};
use tributary::registry::client::{HttpRegistry, RegistryClient};
use tributary::registry::decode::WireDecoder;
use tributary::registry::{listener, stored_schema};

type SchemaFetch = Box<dyn FnMut(u32) -> Result<String, String>>;

pub struct Shown {
    hex: bool,
    decoder: WireDecoder<SchemaFetch>,
    /// Keeps the runtime the HTTP client blocks on alive.
    _runtime: Option<tokio::runtime::Runtime>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Shown {
    pub fn new(dir: &Path, hex: bool, url: Option<String>) -> anyhow::Result<Shown> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let dir: PathBuf = dir.to_owned();
        let default_url = listener::DEFAULT.to_owned();
        let mut http: Option<HttpRegistry> = None;
        let fetch: SchemaFetch = Box::new(move |id| {
            let _entered = handle.enter();
            if url.is_none() {
                match EmbeddedLog::open_read_only(&dir) {
                    Ok(log) => {
                        return stored_schema(&log, id)
                            .map_err(|e| e.to_string())?
                            .ok_or_else(|| {
                                format!(
                                    "schema {id} is not in the embedded registry of {}",
                                    dir.display()
                                )
                            });
                    }
                    Err(LogError::Locked { .. }) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
            let client = http.get_or_insert_with(|| {
                HttpRegistry::new(
                    vec![url.clone().unwrap_or_else(|| default_url.clone())],
                    None,
                )
            });
            client.schema(id).map_err(|e| e.to_string())
        });
        Ok(Shown {
            hex,
            decoder: WireDecoder::new(fetch),
            _runtime: Some(runtime),
        })
    }

    pub fn write(&mut self, out: &mut impl Write, bytes: Option<&[u8]>) -> std::io::Result<()> {
        let Some(bytes) = bytes else {
            return out.write_all(b"null");
        };
        if self.hex {
            return out.write_all(hex(bytes).as_bytes());
        }
        match self.decoder.decode(bytes) {
            None => out.write_all(bytes),
            Some(Ok(json)) => out.write_all(json.to_string().as_bytes()),
            Some(Err(e)) => {
                eprintln!("cannot decode an Avro record: {e}");
                let id = cdc_core::avro::split_header(bytes).map_or(0, |(id, _)| id);
                let shown = serde_json::json!({"schema_id": id, "avro_hex": hex(&bytes[5.min(bytes.len())..])});
                out.write_all(shown.to_string().as_bytes())
            }
        }
    }
}
