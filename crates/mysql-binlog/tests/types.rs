//! Column type families: the same row read by the snapshot and from the binlog gives the same
//! Debezium values.

use serde_json::json;

use crate::support::MyFixture;

#[tokio::test]
async fn every_type_family_snapshot_and_streaming_alike() {
    let mut db = MyFixture::start("types").await;
    db.exec(
        "CREATE TABLE ty (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, su SMALLINT UNSIGNED, \
         iu INT UNSIGNED, bi BIGINT, f FLOAT, d DOUBLE, dec1 DECIMAL(10,2), \
         dt DATE, tm TIME(6), dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP(3) NULL, yr YEAR, \
         b1 BIT(1), b16 BIT(16), e ENUM('small','large'), st SET('a','b','c'), j JSON, \
         vc VARCHAR(20), l1 VARCHAR(10) CHARACTER SET latin1, bin VARBINARY(4), bl BLOB, tx TEXT, zd DATETIME NULL)",
    )
    .await;
    let row = "(ID, -5, 200, 60000, 4000000000, -9000000000, 1.5, 2.25, -12.34, '2018-06-20', '-01:02:03.000004', \
               '2018-06-20 06:37:03', '2018-06-20 06:37:03.000005', '2018-06-20 06:37:03.120', 2024, \
               b'1', b'0000000100000010', 'large', 'a,c', '{\"k\": [1, 2]}', 'héllo ✓', 'café', x'DEADBEEF', x'0102', 'text', '0000-00-00 00:00:00')";
    db.exec("SET SESSION sql_mode = ''").await;
    db.exec("SET SESSION time_zone = '+00:00'").await;
    db.exec(&format!("INSERT INTO ty VALUES {}", row.replace("ID", "1")))
        .await;
    let mut cap = db.capture(&[]).await;
    let snap = cap.next_row().await;
    db.exec(&format!("INSERT INTO ty VALUES {}", row.replace("ID", "2")))
        .await;
    let stream = cap.next_row().await;
    assert_eq!(snap.value["op"], "r");
    assert_eq!(stream.value["op"], "c");
    let mut expected = json!({
        "id": 1, "ti": -5, "tu": 200, "su": 60000, "iu": 4000000000i64, "bi": -9000000000i64,
        "f": 1.5, "d": 2.25, "dec1": "+y4=",
        "dt": 17702, "tm": -3723000004i64, "dtm": 1529476623000i64, "dtm6": 1529476623000005i64,
        "ts": "2018-06-20T06:37:03.120Z", "yr": 2024, "b1": true, "b16": "AgE=",
        "e": "large", "st": "a,c", "j": "{\"k\": [1, 2]}", "vc": "héllo ✓", "l1": "café",
        "bin": "3q2+7w==", "bl": "AQI=", "tx": "text", "zd": null
    });
    assert_eq!(snap.value["after"], expected, "snapshot");
    expected["id"] = json!(2);
    assert_eq!(stream.value["after"], expected, "streaming");

    let fields = stream.value_with_schema["schema"]["fields"][1]["fields"]
        .as_array()
        .unwrap();
    let schema_of = |name: &str| fields.iter().find(|f| f["field"] == name).unwrap().clone();
    assert_eq!(schema_of("ti")["type"], "int16");
    assert_eq!(schema_of("iu")["type"], "int64");
    assert_eq!(
        schema_of("dec1")["name"],
        "org.apache.kafka.connect.data.Decimal"
    );
    assert_eq!(schema_of("dec1")["parameters"]["scale"], "2");
    assert_eq!(schema_of("tm")["name"], "io.debezium.time.MicroTime");
    assert_eq!(schema_of("dtm")["name"], "io.debezium.time.Timestamp");
    assert_eq!(schema_of("dtm6")["name"], "io.debezium.time.MicroTimestamp");
    assert_eq!(schema_of("ts")["name"], "io.debezium.time.ZonedTimestamp");
    assert_eq!(schema_of("yr")["name"], "io.debezium.time.Year");
    assert_eq!(schema_of("b16")["name"], "io.debezium.data.Bits");
    assert_eq!(schema_of("e")["parameters"]["allowed"], "small,large");
    assert_eq!(schema_of("st")["name"], "io.debezium.data.EnumSet");
    assert_eq!(schema_of("j")["name"], "io.debezium.data.Json");
    cap.stop().await.0.unwrap();
}

/// Text in other character sets: binlog rows carry each column's bytes in its own character set
/// (a column without one has its table's), the snapshot gets them as utf8mb4; both read the same.
#[tokio::test]
async fn text_in_other_character_sets_reads_the_same_in_snapshot_and_binlog() {
    let mut db = MyFixture::start("charsets").await;
    db.exec("SET NAMES utf8mb4").await;
    db.exec(
        "CREATE TABLE cs (id INT PRIMARY KEY, \
         l1 VARCHAR(20) CHARACTER SET latin1, l2 VARCHAR(20) CHARACTER SET latin2, \
         ru VARCHAR(20) CHARACTER SET cp1251, ko VARCHAR(20) CHARACTER SET koi8r, \
         gr VARCHAR(20) CHARACTER SET greek, jp VARCHAR(20) CHARACTER SET sjis, \
         ej VARCHAR(20) CHARACTER SET ujis, cn VARCHAR(20) CHARACTER SET gbk, \
         tw VARCHAR(20) CHARACTER SET big5, kr VARCHAR(20) CHARACTER SET euckr, \
         u2 VARCHAR(20) CHARACTER SET ucs2, u16 VARCHAR(20) CHARACTER SET utf16, \
         u16le VARCHAR(20) CHARACTER SET utf16le, u32 VARCHAR(20) CHARACTER SET utf32, \
         tx TEXT CHARACTER SET cp1250) DEFAULT CHARSET=latin1",
    )
    .await;
    // A column with no character set of its own: the table's (latin1).
    db.exec("ALTER TABLE cs ADD COLUMN dflt VARCHAR(20)").await;
    let values = [
        ("l1", "café € ÿ"),
        ("l2", "Łódź žluťoučký"),
        ("ru", "Привет мир"),
        ("ko", "Съешь же"),
        ("gr", "Καλημέρα"),
        ("jp", "日本語テキスト"),
        ("ej", "ひらがな漢字"),
        ("cn", "中文字符"),
        ("tw", "繁體中文"),
        ("kr", "한국어"),
        ("u2", "Ünïcödé"),
        ("u16", "𝄞 clef"),
        ("u16le", "little é"),
        ("u32", "😀 wide"),
        ("tx", "Příliš žluťoučký"),
        ("dflt", "naïve ½"),
    ];
    let cols: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let row = |id: i32| {
        let texts: Vec<String> = values.iter().map(|(_, v)| format!("'{v}'")).collect();
        format!(
            "INSERT INTO cs (id, {}) VALUES ({id}, {})",
            cols.join(", "),
            texts.join(", ")
        )
    };
    db.exec(&row(1)).await;
    let mut cap = db.capture(&[]).await;
    let snap = cap.next_row().await;
    db.exec(&row(2)).await;
    let stream = cap.next_row().await;
    for (col, text) in values {
        assert_eq!(snap.value["after"][col], text, "snapshot, column {col}");
        assert_eq!(stream.value["after"][col], text, "binlog, column {col}");
    }
    cap.stop().await.0.unwrap();
}

/// A table created mid-stream without a character set takes its database's default (read when
/// the connector starts), so its binlog text decodes as the server wrote it.
#[tokio::test]
async fn a_table_created_mid_stream_takes_its_databases_character_set() {
    let mut db = MyFixture::start("dbcharset").await;
    db.exec("SET NAMES utf8mb4").await;
    db.exec(&format!("ALTER DATABASE `{}` CHARACTER SET cp1251", db.db))
        .await;
    db.exec("CREATE TABLE seed (id INT PRIMARY KEY)").await;
    let mut cap = db.capture(&[]).await;
    db.exec("CREATE TABLE m (id INT PRIMARY KEY, s VARCHAR(20))")
        .await;
    db.exec("INSERT INTO m VALUES (1, 'Привет, мир')").await;
    let row = cap.next_row().await;
    assert_eq!(row.value["after"]["s"], "Привет, мир");
    cap.stop().await.0.unwrap();
}
