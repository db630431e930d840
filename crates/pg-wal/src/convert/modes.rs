//! The connector properties that change how Debezium maps Postgres values.

use cdc_core::ConfigReader;

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalHandling {
    /// `org.apache.kafka.connect.data.Decimal` (or `VariableScaleDecimal` for unconstrained NUMERIC).
    #[default]
    Precise,
    Double,
    String,
}

/// `time.precision.mode`. Debezium's `structured` mode is not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimePrecision {
    /// The PostgreSQL connector's default.
    #[default]
    Adaptive,
    AdaptiveTimeMicroseconds,
    Connect,
    IsoString,
    Microseconds,
    Nanoseconds,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryHandling {
    #[default]
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// `interval.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalHandling {
    /// `io.debezium.time.MicroDuration`.
    #[default]
    Numeric,
    /// `io.debezium.time.Interval` (ISO-8601 string).
    String,
}

/// `hstore.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HstoreHandling {
    /// `io.debezium.data.Json` string.
    #[default]
    Json,
    /// A Connect `map<string, optional string>`.
    Map,
}

/// Every property that affects the type mapping, with Debezium's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeModes {
    pub decimal: DecimalHandling,
    pub time_precision: TimePrecision,
    pub binary: BinaryHandling,
    pub interval: IntervalHandling,
    pub hstore: HstoreHandling,
    /// `money.fraction.digits`: the scale of MONEY in precise mode, and of MONEY's binary form.
    pub money_fraction_digits: u8,
    /// `include.unknown.datatypes`: unknown types become the binary-mode form of their text.
    pub include_unknown_datatypes: bool,
}

impl Default for TypeModes {
    fn default() -> Self {
        TypeModes {
            decimal: DecimalHandling::default(),
            time_precision: TimePrecision::default(),
            binary: BinaryHandling::default(),
            interval: IntervalHandling::default(),
            hstore: HstoreHandling::default(),
            money_fraction_digits: 2,
            include_unknown_datatypes: false,
        }
    }
}

impl TypeModes {
    /// Reads the Debezium properties; invalid values are recorded in `reader` and the default is used.
    pub fn from_config(reader: &mut ConfigReader<'_>) -> TypeModes {
        let decimal = match reader
            .one_of(
                "decimal.handling.mode",
                "precise",
                &["precise", "double", "string"],
            )
            .as_str()
        {
            "double" => DecimalHandling::Double,
            "string" => DecimalHandling::String,
            _ => DecimalHandling::Precise,
        };
        let time_precision = match reader
            .one_of(
                "time.precision.mode",
                "adaptive",
                &[
                    "adaptive",
                    "adaptive_time_microseconds",
                    "connect",
                    "isostring",
                    "microseconds",
                    "nanoseconds",
                ],
            )
            .as_str()
        {
            "adaptive_time_microseconds" => TimePrecision::AdaptiveTimeMicroseconds,
            "connect" => TimePrecision::Connect,
            "isostring" => TimePrecision::IsoString,
            "microseconds" => TimePrecision::Microseconds,
            "nanoseconds" => TimePrecision::Nanoseconds,
            _ => TimePrecision::Adaptive,
        };
        let binary = match reader
            .one_of(
                "binary.handling.mode",
                "bytes",
                &["bytes", "base64", "base64-url-safe", "hex"],
            )
            .as_str()
        {
            "base64" => BinaryHandling::Base64,
            "base64-url-safe" => BinaryHandling::Base64UrlSafe,
            "hex" => BinaryHandling::Hex,
            _ => BinaryHandling::Bytes,
        };
        let interval = match reader
            .one_of("interval.handling.mode", "numeric", &["numeric", "string"])
            .as_str()
        {
            "string" => IntervalHandling::String,
            _ => IntervalHandling::Numeric,
        };
        let hstore = match reader
            .one_of("hstore.handling.mode", "json", &["json", "map"])
            .as_str()
        {
            "map" => HstoreHandling::Map,
            _ => HstoreHandling::Json,
        };
        let money_fraction_digits =
            u8::try_from(reader.int("money.fraction.digits", 2, 0, 255)).unwrap_or(2);
        let include_unknown_datatypes = reader.bool("include.unknown.datatypes", false);
        TypeModes {
            decimal,
            time_precision,
            binary,
            interval,
            hstore,
            money_fraction_digits,
            include_unknown_datatypes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdc_core::ConfigMap;

    #[test]
    fn defaults_match_debezium() {
        let map = ConfigMap::new();
        let mut reader = ConfigReader::new(&map);
        assert_eq!(TypeModes::from_config(&mut reader), TypeModes::default());
        assert!(reader.finish().is_ok());
    }

    #[test]
    fn reads_every_property_case_insensitively() {
        let map: ConfigMap = [
            ("decimal.handling.mode", "STRING"),
            ("time.precision.mode", "connect"),
            ("binary.handling.mode", "base64-url-safe"),
            ("interval.handling.mode", "string"),
            ("hstore.handling.mode", "map"),
            ("money.fraction.digits", "4"),
            ("include.unknown.datatypes", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut reader = ConfigReader::new(&map);
        let modes = TypeModes::from_config(&mut reader);
        assert!(reader.finish().is_ok());
        assert_eq!(
            modes,
            TypeModes {
                decimal: DecimalHandling::String,
                time_precision: TimePrecision::Connect,
                binary: BinaryHandling::Base64UrlSafe,
                interval: IntervalHandling::String,
                hstore: HstoreHandling::Map,
                money_fraction_digits: 4,
                include_unknown_datatypes: true,
            }
        );
    }

    #[test]
    fn invalid_values_name_the_property_and_the_allowed_values() {
        let map: ConfigMap = [("time.precision.mode", "structured")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut reader = ConfigReader::new(&map);
        let modes = TypeModes::from_config(&mut reader);
        assert_eq!(modes.time_precision, TimePrecision::Adaptive);
        let errors = reader.finish().unwrap_err().to_string();
        assert!(errors.contains("time.precision.mode"), "{errors}");
        assert!(errors.contains("adaptive_time_microseconds"), "{errors}");
    }
}
