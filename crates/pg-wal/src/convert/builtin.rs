//! The PostgreSQL 15 built-in types, known by OID without asking the server.
//!
//! Generated from `pg_type` (base, range and multirange types of `pg_catalog`); a test checks it
//! against the test server.

/// How a built-in type is shaped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum B {
    Base,
    /// An array (`typcategory = 'A'`) of this element OID.
    Array(u32),
    /// A range over this subtype OID.
    Range(u32),
    Multirange,
}

pub(crate) const BUILTIN_TYPES: &[(u32, &str, B)] = &[
    (16, "bool", B::Base),
    (17, "bytea", B::Base),
    (18, "char", B::Base),
    (19, "name", B::Base),
    (20, "int8", B::Base),
    (21, "int2", B::Base),
    (22, "int2vector", B::Array(21)),
    (23, "int4", B::Base),
    (24, "regproc", B::Base),
    (25, "text", B::Base),
    (26, "oid", B::Base),
    (27, "tid", B::Base),
    (28, "xid", B::Base),
    (29, "cid", B::Base),
    (30, "oidvector", B::Array(26)),
    (114, "json", B::Base),
    (142, "xml", B::Base),
    (143, "_xml", B::Array(142)),
    (194, "pg_node_tree", B::Base),
    (199, "_json", B::Array(114)),
    (271, "_xid8", B::Array(5069)),
    (600, "point", B::Base),
    (601, "lseg", B::Base),
    (602, "path", B::Base),
    (603, "box", B::Base),
    (604, "polygon", B::Base),
    (628, "line", B::Base),
    (629, "_line", B::Array(628)),
    (650, "cidr", B::Base),
    (651, "_cidr", B::Array(650)),
    (700, "float4", B::Base),
    (701, "float8", B::Base),
    (718, "circle", B::Base),
    (719, "_circle", B::Array(718)),
    (774, "macaddr8", B::Base),
    (775, "_macaddr8", B::Array(774)),
    (790, "money", B::Base),
    (791, "_money", B::Array(790)),
    (829, "macaddr", B::Base),
    (869, "inet", B::Base),
    (1000, "_bool", B::Array(16)),
    (1001, "_bytea", B::Array(17)),
    (1002, "_char", B::Array(18)),
    (1003, "_name", B::Array(19)),
    (1005, "_int2", B::Array(21)),
    (1006, "_int2vector", B::Array(22)),
    (1007, "_int4", B::Array(23)),
    (1008, "_regproc", B::Array(24)),
    (1009, "_text", B::Array(25)),
    (1010, "_tid", B::Array(27)),
    (1011, "_xid", B::Array(28)),
    (1012, "_cid", B::Array(29)),
    (1013, "_oidvector", B::Array(30)),
    (1014, "_bpchar", B::Array(1042)),
    (1015, "_varchar", B::Array(1043)),
    (1016, "_int8", B::Array(20)),
    (1017, "_point", B::Array(600)),
    (1018, "_lseg", B::Array(601)),
    (1019, "_path", B::Array(602)),
    (1020, "_box", B::Array(603)),
    (1021, "_float4", B::Array(700)),
    (1022, "_float8", B::Array(701)),
    (1027, "_polygon", B::Array(604)),
    (1028, "_oid", B::Array(26)),
    (1033, "aclitem", B::Base),
    (1034, "_aclitem", B::Array(1033)),
    (1040, "_macaddr", B::Array(829)),
    (1041, "_inet", B::Array(869)),
    (1042, "bpchar", B::Base),
    (1043, "varchar", B::Base),
    (1082, "date", B::Base),
    (1083, "time", B::Base),
    (1114, "timestamp", B::Base),
    (1115, "_timestamp", B::Array(1114)),
    (1182, "_date", B::Array(1082)),
    (1183, "_time", B::Array(1083)),
    (1184, "timestamptz", B::Base),
    (1185, "_timestamptz", B::Array(1184)),
    (1186, "interval", B::Base),
    (1187, "_interval", B::Array(1186)),
    (1231, "_numeric", B::Array(1700)),
    (1266, "timetz", B::Base),
    (1270, "_timetz", B::Array(1266)),
    (1560, "bit", B::Base),
    (1561, "_bit", B::Array(1560)),
    (1562, "varbit", B::Base),
    (1563, "_varbit", B::Array(1562)),
    (1700, "numeric", B::Base),
    (1790, "refcursor", B::Base),
    (2201, "_refcursor", B::Array(1790)),
    (2202, "regprocedure", B::Base),
    (2203, "regoper", B::Base),
    (2204, "regoperator", B::Base),
    (2205, "regclass", B::Base),
    (2206, "regtype", B::Base),
    (2207, "_regprocedure", B::Array(2202)),
    (2208, "_regoper", B::Array(2203)),
    (2209, "_regoperator", B::Array(2204)),
    (2210, "_regclass", B::Array(2205)),
    (2211, "_regtype", B::Array(2206)),
    (2949, "_txid_snapshot", B::Array(2970)),
    (2950, "uuid", B::Base),
    (2951, "_uuid", B::Array(2950)),
    (2970, "txid_snapshot", B::Base),
    (3220, "pg_lsn", B::Base),
    (3221, "_pg_lsn", B::Array(3220)),
    (3361, "pg_ndistinct", B::Base),
    (3402, "pg_dependencies", B::Base),
    (3614, "tsvector", B::Base),
    (3615, "tsquery", B::Base),
    (3642, "gtsvector", B::Base),
    (3643, "_tsvector", B::Array(3614)),
    (3644, "_gtsvector", B::Array(3642)),
    (3645, "_tsquery", B::Array(3615)),
    (3734, "regconfig", B::Base),
    (3735, "_regconfig", B::Array(3734)),
    (3769, "regdictionary", B::Base),
    (3770, "_regdictionary", B::Array(3769)),
    (3802, "jsonb", B::Base),
    (3807, "_jsonb", B::Array(3802)),
    (3904, "int4range", B::Range(23)),
    (3905, "_int4range", B::Array(3904)),
    (3906, "numrange", B::Range(1700)),
    (3907, "_numrange", B::Array(3906)),
    (3908, "tsrange", B::Range(1114)),
    (3909, "_tsrange", B::Array(3908)),
    (3910, "tstzrange", B::Range(1184)),
    (3911, "_tstzrange", B::Array(3910)),
    (3912, "daterange", B::Range(1082)),
    (3913, "_daterange", B::Array(3912)),
    (3926, "int8range", B::Range(20)),
    (3927, "_int8range", B::Array(3926)),
    (4072, "jsonpath", B::Base),
    (4073, "_jsonpath", B::Array(4072)),
    (4089, "regnamespace", B::Base),
    (4090, "_regnamespace", B::Array(4089)),
    (4096, "regrole", B::Base),
    (4097, "_regrole", B::Array(4096)),
    (4191, "regcollation", B::Base),
    (4192, "_regcollation", B::Array(4191)),
    (4451, "int4multirange", B::Multirange),
    (4532, "nummultirange", B::Multirange),
    (4533, "tsmultirange", B::Multirange),
    (4534, "tstzmultirange", B::Multirange),
    (4535, "datemultirange", B::Multirange),
    (4536, "int8multirange", B::Multirange),
    (4600, "pg_brin_bloom_summary", B::Base),
    (4601, "pg_brin_minmax_multi_summary", B::Base),
    (5017, "pg_mcv_list", B::Base),
    (5038, "pg_snapshot", B::Base),
    (5039, "_pg_snapshot", B::Array(5038)),
    (5069, "xid8", B::Base),
    (6150, "_int4multirange", B::Array(4451)),
    (6151, "_nummultirange", B::Array(4532)),
    (6152, "_tsmultirange", B::Array(4533)),
    (6153, "_tstzmultirange", B::Array(4534)),
    (6155, "_datemultirange", B::Array(4535)),
    (6157, "_int8multirange", B::Array(4536)),
];

/// OIDs of the built-in types Debezium maps explicitly.
pub(crate) mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const POINT: u32 = 600;
    pub const LSEG: u32 = 601;
    pub const PATH: u32 = 602;
    pub const BOX: u32 = 603;
    pub const POLYGON: u32 = 604;
    pub const LINE: u32 = 628;
    pub const CIDR: u32 = 650;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const CIRCLE: u32 = 718;
    pub const MACADDR8: u32 = 774;
    pub const MONEY: u32 = 790;
    pub const MACADDR: u32 = 829;
    pub const INET: u32 = 869;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const INTERVAL: u32 = 1186;
    pub const TIMETZ: u32 = 1266;
    pub const BIT: u32 = 1560;
    pub const VARBIT: u32 = 1562;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const TSVECTOR: u32 = 3614;
    pub const JSONB: u32 = 3802;
    pub const INT4RANGE: u32 = 3904;
    pub const NUMRANGE: u32 = 3906;
    pub const TSRANGE: u32 = 3908;
    pub const TSTZRANGE: u32 = 3910;
    pub const DATERANGE: u32 = 3912;
    pub const INT8RANGE: u32 = 3926;

    // Arrays Debezium lists by OID (PostgresValueConverter.schemaBuilder).
    pub const MONEY_ARRAY: u32 = 791;
    pub const NAME_ARRAY: u32 = 1003;
    pub const INTERVAL_ARRAY: u32 = 1187;
    pub const VARBIT_ARRAY: u32 = 1563;
    pub const XML_ARRAY: u32 = 143;
    pub const POINT_ARRAY: u32 = 1017;
    pub const REFCURSOR_ARRAY: u32 = 2201;
}
