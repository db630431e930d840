// The golden PostgreSQL type families: `name: setup SQL, column type, [values as SQL literals];`.
// `crates/pg-wal/tests/types.rs` captures each through Tributary (snapshot, binary and text
// streaming); `tests/differential/golden.rs` captures each through Debezium 3.6.1, whose output
// the golden files `crates/pg-wal/tests/data/types/<name>.json` are. Both expand this list with
// a macro of their own: `type_families!(their_macro)`.
macro_rules! type_families {
    ($m:ident) => {
        $m! {
            numeric_precise: "", "numeric(40, 5)", ["0", "-1.5", "123456789012345678901234567890.12345", "NULL"];
            numeric_variable_scale: "", "numeric", ["0.001", "-98765432109876543210.123", "1e20"];
            integers: "", "bigint", ["0", "-9223372036854775808", "9223372036854775807"];
            smallint: "", "smallint", ["-32768", "32767"];
            floats: "", "double precision", ["1.5", "'NaN'", "'Infinity'", "'-Infinity'", "-0.0"];
            real: "", "real", ["3.3", "'NaN'"];
            money: "", "money", ["12.34", "-0.01"];
            boolean: "", "boolean", ["true", "false", "NULL"];
            text_4byte: "", "text", ["'plain'", "'emoji 😀 𝄞'", "''", "'quote '' and \\\\ backslash'"];
            varchar: "", "varchar(20)", ["'abc'"];
            bpchar: "", "char(5)", ["'ab'"];
            bytea_all_bytes: "", "bytea", ["(SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea) FROM generate_series(0, 255) g)", "'\\x'"];
            date: "", "date", ["'2024-02-29'", "'1970-01-01'", "'0001-01-01'", "'infinity'", "'-infinity'"];
            time: "", "time(6)", ["'13:14:15.123456'", "'00:00:00'"];
            timetz: "", "timetz", ["'13:14:15.5+02'"];
            timestamp: "", "timestamp(6)", ["'2024-01-02 03:04:05.123456'", "'infinity'", "'-infinity'"];
            timestamp_ms: "", "timestamp(3)", ["'2024-01-02 03:04:05.123'"];
            timestamptz: "SET timezone = 'Europe/Paris'", "timestamptz", ["'2024-01-02 03:04:05.123456+00'", "'2024-07-01 00:00:00+05:30'", "'infinity'"];
            interval: "", "interval", ["'1 year 2 months 3 days 04:05:06.789'", "'-1 day'", "'0'"];
            json: "", "json", ["'{\"a\": [1, 2, null]}'"];
            jsonb: "", "jsonb", ["'{\"b\": 1, \"a\": \"x\"}'"];
            uuid: "", "uuid", ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"];
            network: "", "inet", ["'192.168.0.1/24'", "'::1'", "'10.0.0.1'"];
            cidr: "", "cidr", ["'10.1.0.0/16'"];
            macaddr: "", "macaddr", ["'08:00:2b:01:02:03'"];
            bits: "", "bit(10)", ["B'1010000001'"];
            varbit: "", "varbit", ["B'101'", "B''"];
            int_array_with_nulls: "", "int[]", ["'{1,NULL,3}'", "'{}'"];
            text_array: "", "text[]", ["ARRAY['a', NULL, 'c,d']"];
            enum_type: "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')", "mood", ["'happy'", "'sad'"];
            domain_type: "CREATE DOMAIN posint AS int CHECK (VALUE > 0)", "posint", ["7"];
            hstore: "CREATE EXTENSION IF NOT EXISTS hstore", "hstore", ["'a=>1, b=>NULL'"];
            ranges: "", "int4range", ["'[1,10)'", "'empty'"];
            tsrange: "", "tstzrange", ["'[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)'"];
            point: "", "point", ["'(1.5,-2)'"];
            xml: "", "xml", ["'<a>1</a>'"];
        }
    };
}
