//! Dates, times and timestamps in every time.precision.mode, with infinities and BC dates; intervals.

use super::*;

#[tokio::test]
async fn temporal_types_in_adaptive_mode_with_infinities_and_bc() {
    let db = PgFixture::start("convert_temporal").await;
    db.exec(
        "SET TimeZone = 'UTC';
         CREATE TABLE t (id int PRIMARY KEY, d date, ti time, tip time(3), ti0 time(0), ttz timetz,
                         ts timestamp, ts3 timestamp(3), tz timestamptz, tz3 timestamptz(3), tz0 timestamptz(0),
                         it interval);
         INSERT INTO t VALUES
           (1, '2016-11-04', '13:51:30', '13:51:30.123', '13:51:30.6', '13:51:30.123789+02:00',
            '2016-11-04T13:51:30.123456', '2016-11-04T13:51:30.123456', '2016-11-04T13:51:30.123456+02:00',
            '2016-11-04T13:51:30.123456+02:00', '2016-11-04T13:51:30.123456+02:00', 'P1Y2M3DT4H5M6.78S'),
           (2, 'infinity', '24:00:00', '24:00:00', '24:00:00', '24:00:00+00', 'infinity', 'infinity',
            'infinity', 'infinity', 'infinity', '-1 years -2 mons +3 days -04:05:06.78'),
           (3, '-infinity', '00:00:00', '00:00:00', '00:00:00', '00:00:00-05:30', '-infinity', '-infinity',
            '-infinity', '-infinity', '-infinity', '0'),
           (4, '0044-03-15 BC', NULL, NULL, NULL, NULL, '4713-12-31T23:59:59.999999 BC',
            '4713-12-31T23:59:59.999999 BC', '4714-12-31T23:59:59.999999Z BC',
            '21016-11-04T13:51:30.000000+07:00', '21016-11-04T13:51:30.000000+07:00', '1 day 25:00:00');",
    )
    .await;
    let m = modes();
    let (schema, values) = golden(&db, "t", "d", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "io.debezium.time.Date", "version": 1})
    );
    // Debezium's infinity dates are -5877611-06-21 (+infinity) and -5877611-06-22 (-infinity).
    assert_eq!(
        values,
        [
            json!({"d": 17109}),
            json!({"d": -2147472692}),
            json!({"d": -2147472691}),
            json!({"d": -735160})
        ]
    );
    let (schema, values) = golden(&db, "t", "ti", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroTime", "version": 1})
    );
    assert_eq!(
        &values[..3],
        [
            json!({"ti": 49890000000i64}),
            json!({"ti": 86400000000i64}),
            json!({"ti": 0})
        ]
    );
    let (schema, values) = golden(&db, "t", "tip", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "io.debezium.time.Time", "version": 1})
    );
    assert_eq!(
        &values[..2],
        [json!({"tip": 49890123}), json!({"tip": 86400000})]
    );
    let (_, values) = golden(&db, "t", "ti0", &m).await;
    assert_eq!(values[0], json!({"ti0": 49891000}));
    let (schema, values) = golden(&db, "t", "ttz", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.ZonedTime", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"ttz": "11:51:30.123789Z"}),
            json!({"ttz": "24:00:00Z"}),
            json!({"ttz": "05:30:00Z"}),
            json!({"ttz": null})
        ]
    );
    let (schema, values) = golden(&db, "t", "ts", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroTimestamp", "version": 1})
    );
    // PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY for the infinities.
    assert_eq!(
        values,
        [
            json!({"ts": 1478267490123456i64}),
            json!({"ts": 9223372036825200000i64}),
            json!({"ts": -9223372036832400000i64}),
            json!({"ts": -210831897600000001i64})
        ]
    );
    let (schema, values) = golden(&db, "t", "ts3", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.Timestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"ts3": 1478267490123i64}),
            json!({"ts3": 9223372036825200i64}),
            json!({"ts3": -9223372036832400i64}),
            json!({"ts3": -210831897600000i64})
        ]
    );
    let (schema, values) = golden(&db, "t", "tz", &m).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.ZonedTimestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"tz": "2016-11-04T11:51:30.123456Z"}),
            json!({"tz": "infinity"}),
            json!({"tz": "-infinity"}),
            json!({"tz": "-4713-12-31T23:59:59.999999Z"})
        ]
    );
    let (_, values) = golden(&db, "t", "tz3", &m).await;
    assert_eq!(values[0], json!({"tz3": "2016-11-04T11:51:30.123Z"}));
    assert_eq!(values[3], json!({"tz3": "+21016-11-04T06:51:30.000Z"}));
    let (_, values) = golden(&db, "t", "tz0", &m).await;
    assert_eq!(values[0], json!({"tz0": "2016-11-04T11:51:30Z"}));
    let (schema, values) = golden(&db, "t", "it", &m).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "io.debezium.time.MicroDuration", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"it": 37091106780000i64}),
            json!({"it": -36572706780000i64}),
            json!({"it": 0}),
            json!({"it": 176400000000i64})
        ]
    );
    let strings = TypeModes {
        interval: IntervalHandling::String,
        ..modes()
    };
    let (schema, values) = golden(&db, "t", "it", &strings).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.Interval", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"it": "P1Y2M3DT4H5M6.78S"}),
            json!({"it": "P-1Y-2M3DT-4H-5M-6.78S"}),
            json!({"it": "P0Y0M0DT0H0M0S"}),
            json!({"it": "P0Y0M1DT25H0M0S"})
        ]
    );
}
#[tokio::test]
async fn temporal_types_in_the_other_precision_modes() {
    let db = PgFixture::start("convert_temporal_modes").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, d date, ti time, ts timestamp(3), tsu timestamp);
         INSERT INTO t VALUES
           (1, '2016-11-04', '13:51:30.5', '2016-11-04T13:51:30.123', '1969-12-31T23:59:59.999999'),
           (2, 'infinity', '24:00:00', 'infinity', '-infinity');",
    )
    .await;
    let mode = |time_precision| TypeModes {
        time_precision,
        ..modes()
    };

    let connect = mode(TimePrecision::Connect);
    let (schema, values) = golden(&db, "t", "d", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Date", "version": 1})
    );
    assert_eq!(values[0], json!({"d": 17109}));
    let (schema, values) = golden(&db, "t", "ti", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Time", "version": 1})
    );
    assert_eq!(values, [json!({"ti": 49890500}), json!({"ti": 86400000})]);
    let (schema, values) = golden(&db, "t", "tsu", &connect).await;
    assert_eq!(
        schema,
        json!({"type": "int64", "optional": true, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1})
    );
    assert_eq!(values[0], json!({"tsu": -1}));

    let iso = mode(TimePrecision::IsoString);
    let (schema, values) = golden(&db, "t", "d", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoDate", "version": 1})
    );
    assert_eq!(
        values,
        [json!({"d": "2016-11-04Z"}), json!({"d": "-5877611-06-21Z"})]
    );
    let (schema, values) = golden(&db, "t", "ti", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoTime", "version": 1})
    );
    assert_eq!(
        values,
        [json!({"ti": "13:51:30.5Z"}), json!({"ti": "00:00:00Z"})]
    );
    let (schema, values) = golden(&db, "t", "tsu", &iso).await;
    assert_eq!(
        schema,
        json!({"type": "string", "optional": true, "name": "io.debezium.time.IsoTimestamp", "version": 1})
    );
    assert_eq!(
        values,
        [
            json!({"tsu": "1969-12-31T23:59:59.999999Z"}),
            json!({"tsu": "-290308-12-21T19:59:27.6Z"})
        ]
    );
    let (_, values) = golden(&db, "t", "ts", &iso).await;
    assert_eq!(values[1], json!({"ts": "+294247-01-10T04:00:25.2Z"}));

    let micro = mode(TimePrecision::Microseconds);
    let (schema, values) = golden(&db, "t", "ts", &micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.MicroTimestamp"));
    assert_eq!(values[0], json!({"ts": 1478267490123000i64}));
    let (schema, values) = golden(&db, "t", "ti", &micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.MicroTime"));
    assert_eq!(values[0], json!({"ti": 49890500000i64}));

    let nano = mode(TimePrecision::Nanoseconds);
    let (schema, values) = golden(&db, "t", "ts", &nano).await;
    assert_eq!(schema["name"], json!("io.debezium.time.NanoTimestamp"));
    assert_eq!(
        values,
        [
            json!({"ts": 1478267490123000000i64}),
            json!({"ts": i64::MAX})
        ]
    );
    let (_, values) = golden(&db, "t", "tsu", &nano).await;
    assert_eq!(values[1], json!({"tsu": i64::MIN}));
    let (schema, values) = golden(&db, "t", "ti", &nano).await;
    assert_eq!(schema["name"], json!("io.debezium.time.NanoTime"));
    assert_eq!(values[0], json!({"ti": 49890500000000i64}));

    let adaptive_micro = mode(TimePrecision::AdaptiveTimeMicroseconds);
    let (schema, _) = golden(&db, "t", "ts", &adaptive_micro).await;
    assert_eq!(schema["name"], json!("io.debezium.time.Timestamp"));
}
