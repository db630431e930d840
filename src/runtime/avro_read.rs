//! The reading half of Confluent's `io.confluent.connect.avro.AvroConverter`
//! (`toConnectData`), for sink tasks: Confluent's wire format (magic byte 0, the writer
//! schema's id big-endian, the Avro datum) back into Connect data.
//!
//! The writer schema comes by id from the registry the converter's settings name
//! (`schema.registry.url` with its basic auth, else the worker's embedded registry), once per
//! id: it is read into a Connect schema and a decoding plan ([`ReaderSchema`]) that every
//! later record with that id reuses, so records of one schema share one `Arc<Schema>`.
//!
//! Differences from Confluent's converter: a top-level schema without `connect.version` gets
//! no version (Confluent looks up the subject's version of the schema, one more registry call
//! per id, and sets it); errors are refused where AvroData is lax (see
//! `cdc_core::avro::read`).

use std::collections::HashMap;
use std::sync::Arc;

use cdc_core::avro::{self, ReaderSchema};
use cdc_core::SchemaAndValue;

use super::avro::AvroSettings;
use super::sink::ReadConverter;
use crate::registry::client::{HttpRegistry, RegistryClient};
use crate::registry::{Registry, RegistryError};

/// Schemas kept by id before the cache starts over (Connect's `schemas.cache.size` default).
const SCHEMA_CACHE_ENTRIES: usize = 1000;

/// One side (key or value) of an AvroConverter reading for a sink.
pub struct AvroReader {
    settings: AvroSettings,
    is_key: bool,
    embedded: Option<Registry>,
    client: Option<Arc<dyn RegistryClient>>,
    schemas: HashMap<u32, Arc<ReaderSchema>>,
}

impl AvroReader {
    pub fn new(settings: AvroSettings, is_key: bool) -> Self {
        AvroReader {
            settings,
            is_key,
            embedded: None,
            client: None,
            schemas: HashMap::new(),
        }
    }

    /// Gives the reader the worker's embedded registry (used when it has no URL).
    pub fn with_embedded_registry(mut self, registry: Registry) -> Self {
        self.embedded = Some(registry);
        self
    }

    fn side(&self) -> &'static str {
        if self.is_key {
            "key"
        } else {
            "value"
        }
    }

    fn client(&mut self) -> Result<Arc<dyn RegistryClient>, String> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c: Arc<dyn RegistryClient> = if self.settings.registry_urls.is_empty() {
            Arc::new(self.embedded.clone().ok_or(
                "the AvroConverter has no schema.registry.url and this worker has no embedded schema registry",
            )?)
        } else {
            Arc::new(HttpRegistry::new(
                self.settings.registry_urls.clone(),
                self.settings.auth.clone(),
            ))
        };
        self.client = Some(c.clone());
        Ok(c)
    }

    /// The writer schema with this id, read for Connect: from the cache, else the registry.
    fn schema(&mut self, id: u32) -> Result<Arc<ReaderSchema>, String> {
        if let Some(s) = self.schemas.get(&id) {
            return Ok(s.clone());
        }
        let client = self.client()?;
        let side = self.side();
        let text = fetch(&client, id).map_err(|e| {
            format!(
                "Error retrieving Avro {side} schema for id {id} from {}: {e}",
                client.describe()
            )
        })?;
        let schema = ReaderSchema::parse(&text)
            .map(Arc::new)
            .map_err(|e| format!("Avro {side} schema {id}: {e}"))?;
        if self.schemas.len() >= SCHEMA_CACHE_ENTRIES {
            self.schemas.clear();
        }
        self.schemas.insert(id, schema.clone());
        Ok(schema)
    }

    /// Reads wire-format bytes (Confluent's `AvroConverter.toConnectData`).
    pub fn to_connect(&mut self, topic: &str, bytes: &[u8]) -> Result<SchemaAndValue, String> {
        let failed = |cause: String| {
            format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error of topic {topic}: {cause}"
            )
        };
        let (id, datum) = match avro::split_header(bytes) {
            Some(split) => split,
            None => {
                let side = self.side();
                return Err(failed(match bytes.first() {
                    Some(&avro::MAGIC_BYTE) => format!(
                        "the {side} has {} bytes, fewer than the wire format's 5-byte header (magic byte 0, schema id)",
                        bytes.len()
                    ),
                    Some(b) => format!(
                        "Unknown magic byte! The {side} starts with 0x{b:02x}; AvroConverter reads Confluent's wire format, which starts with 0 (was it written by another converter?)"
                    ),
                    None => format!("Unknown magic byte! The {side} is empty"),
                }));
            }
        };
        let schema = self.schema(id).map_err(failed)?;
        let value = schema
            .read(datum)
            .map_err(|e| failed(format!("schema id {id}: {e}")))?;
        Ok(SchemaAndValue {
            schema: Some(schema.schema().clone()),
            value,
        })
    }
}

/// Asks the registry for schema `id`. The embedded registry is called in place; an HTTP one
/// blocks on the runtime from a helper thread (the caller may be one of the runtime's own
/// threads, where blocking on it would panic).
fn fetch(client: &Arc<dyn RegistryClient>, id: u32) -> Result<String, RegistryError> {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return client.schema(id);
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let _entered = handle.enter();
            client.schema(id)
        })
        .join()
    })
    .unwrap_or_else(|_| {
        Err(RegistryError::Remote {
            url: client.describe(),
            message: "the request panicked".into(),
        })
    })
}

impl ReadConverter for AvroReader {
    fn class(&self) -> &'static str {
        super::AVRO_CONVERTER
    }

    fn read(
        &mut self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Option<SchemaAndValue>, String> {
        bytes.map(|b| self.to_connect(topic, b)).transpose()
    }

    fn needs_embedded_registry(&self) -> bool {
        self.settings.registry_urls.is_empty() && self.embedded.is_none()
    }

    fn use_embedded_registry(&mut self, registry: Registry) {
        self.embedded = Some(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EmbeddedLog;
    use crate::runtime::sink::SinkConverters;
    use crate::runtime::{Converters, RecordConverter, AVRO_CONVERTER};
    use cdc_core::{ConfigMap, Data, Schema, Value};

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn row(columns: usize, first: i32) -> Data {
        let mut s = Schema::structure("p.public.t.Value");
        let mut values = Vec::new();
        for i in 0..columns {
            s = s.field(format!("c{i}"), Schema::int32().optional());
            values.push(Value::Int32(first + i as i32));
        }
        Data::new(Arc::new(s), Value::Struct(values))
    }

    /// What a source's AvroConverter writes for `data` on topic `p.public.t`.
    fn written(registry: &Registry, data: &Data, is_key: bool) -> Vec<u8> {
        let side = if is_key { "key" } else { "value" };
        let c = Converters::from_config(
            &config(&[(&format!("{side}.converter"), AVRO_CONVERTER)]),
            &ConfigMap::new(),
        )
        .unwrap()
        .with_embedded_registry(registry.clone());
        let mut rc = RecordConverter::new(c);
        let topic: Arc<str> = "p.public.t".into();
        let out = if is_key {
            rc.key(&topic, Some(data))
        } else {
            rc.value(&topic, Some(data))
        };
        out.unwrap().unwrap()
    }

    #[test]
    fn sink_converters_read_what_source_converters_write_on_the_embedded_registry() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        let mut c = SinkConverters::from_config(
            &config(&[
                ("key.converter", AVRO_CONVERTER),
                ("value.converter", AVRO_CONVERTER),
            ]),
            &ConfigMap::new(),
        )
        .unwrap();
        assert!(c.key.needs_embedded_registry() && c.value.needs_embedded_registry());
        // Without the registry: a clear error, not a panic.
        let one = written(&registry, &row(1, 5), false);
        let err = c.value.read("p.public.t", Some(&one)).unwrap_err();
        assert!(err.contains("no embedded schema registry"), "{err}");
        c.key.use_embedded_registry(registry.clone());
        c.value.use_embedded_registry(registry.clone());
        assert!(!c.value.needs_embedded_registry());

        let got = c.value.read("p.public.t", Some(&one)).unwrap().unwrap();
        assert_eq!(got.value, Value::Struct(vec![Value::Int32(5)]));
        assert_eq!(got.schema.as_deref(), Some(row(1, 5).schema.as_ref()));
        let key = written(&registry, &row(1, 9), true);
        let got = c.key.read("p.public.t", Some(&key)).unwrap().unwrap();
        assert_eq!(got.value, Value::Struct(vec![Value::Int32(9)]));
        // Tombstones and null keys.
        assert_eq!(c.value.read("p.public.t", None).unwrap(), None);
        // Schema evolution: the second version's records read with their own schema; records of
        // one id share one schema.
        let two = written(&registry, &row(2, 1), false);
        let a = c.value.read("p.public.t", Some(&two)).unwrap().unwrap();
        let b = c.value.read("p.public.t", Some(&two)).unwrap().unwrap();
        assert_eq!(a.schema.as_ref().unwrap().fields.len(), 2);
        assert!(Arc::ptr_eq(
            a.schema.as_ref().unwrap(),
            b.schema.as_ref().unwrap()
        ));
        // Cached by id: the registry is not asked again, even once the subject is gone.
        registry.delete_subject("p.public.t-value", false).unwrap();
        registry.delete_subject("p.public.t-value", true).unwrap();
        assert!(c.value.read("p.public.t", Some(&two)).is_ok());
    }

    #[test]
    fn bad_wire_format_and_unknown_ids_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        let mut r = AvroReader::new(
            crate::runtime::avro::settings(
                &mut cdc_core::ConfigReader::new(&ConfigMap::new()),
                "value",
            ),
            false,
        )
        .with_embedded_registry(registry.clone());
        let err = r.to_connect("t", b"{\"a\":1}").unwrap_err();
        assert!(
            err.contains("Unknown magic byte!") && err.contains("0x7b") && err.contains("topic t"),
            "{err}"
        );
        assert!(r.to_connect("t", b"").unwrap_err().contains("empty"));
        assert!(r
            .to_connect("t", &[0, 0, 1])
            .unwrap_err()
            .contains("5-byte header"));
        let err = r.to_connect("t", &[0, 0, 0, 0, 42, 2]).unwrap_err();
        assert!(
            err.contains("Error retrieving Avro value schema for id 42"),
            "{err}"
        );
        let good = written(&registry, &row(1, 3), false);
        let err = r.to_connect("t", &good[..good.len() - 1]).unwrap_err();
        assert!(
            err.contains("truncated") && err.contains("schema id 1"),
            "{err}"
        );
        let mut long = good.clone();
        long.push(0);
        assert!(r.to_connect("t", &long).unwrap_err().contains("left after"));
        assert!(r.to_connect("t", &good).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_remote_registry_with_basic_auth_is_asked_once_per_id_even_from_a_runtime_thread() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        let router =
            crate::registry::api::router(registry.clone()).layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let counter = counter.clone();
                    async move {
                        let ok = req.headers().get("authorization").is_some_and(|v| {
                            v.as_bytes() == b"Basic ZnJlZDpzZWNyZXQ=" // fred:secret
                        });
                        if !ok {
                            return axum::response::IntoResponse::into_response(
                                axum::http::StatusCode::UNAUTHORIZED,
                            );
                        }
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        next.run(req).await
                    }
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });

        let bytes = written(&registry, &row(3, 1), false);
        let mut c = SinkConverters::from_config(
            &config(&[
                ("value.converter", AVRO_CONVERTER),
                ("value.converter.schema.registry.url", &url),
                ("value.converter.basic.auth.credentials.source", "USER_INFO"),
                ("value.converter.basic.auth.user.info", "fred:secret"),
            ]),
            &ConfigMap::new(),
        )
        .unwrap();
        assert!(!c.value.needs_embedded_registry());
        // On a runtime worker thread, as the sink's first batch is converted.
        for _ in 0..3 {
            let got = c.value.read("p.public.t", Some(&bytes)).unwrap().unwrap();
            assert_eq!(
                got.value,
                Value::Struct(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])
            );
        }
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Wrong credentials: the error names the id and the registry.
        let mut wrong = SinkConverters::from_config(
            &config(&[
                ("value.converter", AVRO_CONVERTER),
                ("value.converter.schema.registry.url", &url),
            ]),
            &ConfigMap::new(),
        )
        .unwrap();
        let err = wrong.value.read("p.public.t", Some(&bytes)).unwrap_err();
        assert!(err.contains("id 1") && err.contains("401"), "{err}");
    }
}
