use super::*;

const HOSTILE: &str = "a\"; drop table x; --";

fn id(d: Dialect, n: &str) -> Ident {
    d.ident(n).unwrap()
}

fn table(d: Dialect, n: &str) -> TableName {
    TableName {
        database: None,
        schema: None,
        name: id(d, n),
    }
}

#[test]
fn insert_is_multi_row_with_numbered_parameters() {
    let d = Dialect::Postgres;
    let (k, v) = (id(d, "id"), id(d, "doc"));
    let cols = [
        Param::new(&k),
        Param {
            name: &v,
            cast: Some("jsonb"),
        },
    ];
    assert_eq!(
        insert(d, &table(d, "t"), &cols, 2).unwrap(),
        "INSERT INTO \"t\" (\"id\", \"doc\") VALUES ($1, $2::jsonb), ($3, $4::jsonb)"
    );
    let d = Dialect::MySql;
    let (k, v) = (id(d, "id"), id(d, "doc"));
    let cols = [
        Param::new(&k),
        Param {
            name: &v,
            cast: Some("json"),
        },
    ];
    assert_eq!(
        insert(d, &table(d, "t"), &cols, 2).unwrap(),
        "INSERT INTO `t` (`id`, `doc`) VALUES (?, ?), (?, ?)"
    );
}

#[test]
fn postgres_upsert_updates_non_key_columns_or_does_nothing() {
    let d = Dialect::Postgres;
    let (a, b, v) = (id(d, "a"), id(d, "b"), id(d, "v"));
    let t = TableName {
        database: None,
        schema: Some(id(d, "public")),
        name: id(d, "t"),
    };
    assert_eq!(
        upsert(d, &t, &[Param::new(&a), Param::new(&b)], &[Param::new(&v)], 1).unwrap(),
        "INSERT INTO \"public\".\"t\" (\"a\", \"b\", \"v\") VALUES ($1, $2, $3) ON CONFLICT (\"a\", \"b\") DO UPDATE SET \"v\" = EXCLUDED.\"v\""
    );
    assert_eq!(
        upsert(d, &t, &[Param::new(&a)], &[], 2).unwrap(),
        "INSERT INTO \"public\".\"t\" (\"a\") VALUES ($1), ($2) ON CONFLICT (\"a\") DO NOTHING"
    );
}

#[test]
fn mysql_and_mariadb_upsert_use_values() {
    for d in [Dialect::MySql, Dialect::MariaDb] {
        let (a, v, w) = (id(d, "a"), id(d, "v"), id(d, "w"));
        assert_eq!(
            upsert(d, &table(d, "t"), &[Param::new(&a)], &[Param::new(&v), Param::new(&w)], 2)
                .unwrap(),
            "INSERT INTO `t` (`a`, `v`, `w`) VALUES (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE `v` = VALUES(`v`), `w` = VALUES(`w`)"
        );
        assert_eq!(
            upsert(d, &table(d, "t"), &[Param::new(&a)], &[], 1).unwrap(),
            "INSERT INTO `t` (`a`) VALUES (?) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)"
        );
    }
}

#[test]
fn update_sets_values_then_matches_the_key() {
    let d = Dialect::Postgres;
    let (k, v, w) = (id(d, "k"), id(d, "v"), id(d, "w"));
    assert_eq!(
        update(
            d,
            &table(d, "t"),
            &[Param::new(&v), Param::new(&w)],
            &[Param::new(&k)]
        )
        .unwrap(),
        "UPDATE \"t\" SET \"v\" = $1, \"w\" = $2 WHERE \"k\" = $3"
    );
    let d = Dialect::MariaDb;
    let (k, j, v) = (id(d, "k"), id(d, "j"), id(d, "v"));
    assert_eq!(
        update(
            d,
            &table(d, "t"),
            &[Param::new(&v)],
            &[Param::new(&k), Param::new(&j)]
        )
        .unwrap(),
        "UPDATE `t` SET `v` = ? WHERE `k` = ? AND `j` = ?"
    );
    assert_eq!(
        update(d, &table(d, "t"), &[Param::new(&v)], &[]),
        Err(StatementError::NoKey("an update"))
    );
    assert_eq!(
        update(d, &table(d, "t"), &[], &[Param::new(&k)]),
        Err(StatementError::NothingToSet)
    );
}

#[test]
fn delete_one_row_many_rows_and_composite_keys() {
    let d = Dialect::Postgres;
    let (a, b) = (id(d, "a"), id(d, "b"));
    let t = table(d, "t");
    assert_eq!(
        delete(d, &t, &[Param::new(&a)], 1).unwrap(),
        "DELETE FROM \"t\" WHERE \"a\" = $1"
    );
    assert_eq!(
        delete(d, &t, &[Param::new(&a)], 3).unwrap(),
        "DELETE FROM \"t\" WHERE \"a\" IN ($1, $2, $3)"
    );
    assert_eq!(
        delete(d, &t, &[Param::new(&a), Param::new(&b)], 2).unwrap(),
        "DELETE FROM \"t\" WHERE (\"a\", \"b\") IN (($1, $2), ($3, $4))"
    );
    let d = Dialect::MySql;
    let (a, b) = (id(d, "a"), id(d, "b"));
    assert_eq!(
        delete(d, &table(d, "t"), &[Param::new(&a), Param::new(&b)], 2).unwrap(),
        "DELETE FROM `t` WHERE (`a`, `b`) IN ((?, ?), (?, ?))"
    );
    assert_eq!(
        delete(d, &table(d, "t"), &[], 1),
        Err(StatementError::NoKey("a delete"))
    );
}

#[test]
fn truncate_per_dialect() {
    assert_eq!(
        truncate(Dialect::Postgres, &table(Dialect::Postgres, "t")),
        "TRUNCATE TABLE \"t\""
    );
    assert_eq!(
        truncate(Dialect::MariaDb, &table(Dialect::MariaDb, "t")),
        "TRUNCATE TABLE `t`"
    );
}

#[test]
fn create_table_with_nullability_defaults_and_key() {
    let d = Dialect::Postgres;
    let (k, v, n) = (id(d, "id"), id(d, "name"), id(d, "n"));
    let cols = [
        ColumnDef {
            name: &k,
            ddl: "integer",
            nullable: false,
            default: None,
        },
        ColumnDef {
            name: &v,
            ddl: "text",
            nullable: true,
            default: None,
        },
        ColumnDef {
            name: &n,
            ddl: "smallint",
            nullable: false,
            default: Some("5"),
        },
    ];
    assert_eq!(
        create_table(d, &table(d, "t"), &cols, &[&k]).unwrap(),
        "CREATE TABLE IF NOT EXISTS \"t\" (\"id\" integer NOT NULL, \"name\" text NULL, \"n\" smallint DEFAULT 5 NOT NULL, PRIMARY KEY (\"id\"))"
    );
    assert_eq!(
        create_table(d, &table(d, "t"), &cols[1..2], &[]).unwrap(),
        "CREATE TABLE IF NOT EXISTS \"t\" (\"name\" text NULL)"
    );
    assert_eq!(
        create_table(d, &table(d, "t"), &[], &[]),
        Err(StatementError::NoColumns)
    );
}

#[test]
fn add_columns_per_dialect() {
    for (d, expected) in [
        (
            Dialect::Postgres,
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"x\" smallint NULL, ADD COLUMN IF NOT EXISTS \"y\" text NOT NULL",
        ),
        // MariaDB as MySQL: its IF NOT EXISTS is MariaDB-only syntax that MySQL-dialect parsers
        // of the binlog (ours) refuse, and the writer checks the catalog first anyway.
        (
            Dialect::MariaDb,
            "ALTER TABLE `t` ADD COLUMN `x` smallint NULL, ADD COLUMN `y` text NOT NULL",
        ),
        (
            Dialect::MySql,
            "ALTER TABLE `t` ADD COLUMN `x` smallint NULL, ADD COLUMN `y` text NOT NULL",
        ),
    ] {
        let (x, y) = (id(d, "x"), id(d, "y"));
        let cols = [
            ColumnDef {
                name: &x,
                ddl: "smallint",
                nullable: true,
                default: None,
            },
            ColumnDef {
                name: &y,
                ddl: "text",
                nullable: false,
                default: None,
            },
        ];
        assert_eq!(add_columns(d, &table(d, "t"), &cols).unwrap(), expected);
    }
}

#[test]
fn hostile_names_never_leave_their_quotes() {
    let d = Dialect::Postgres;
    let (h, v) = (id(d, HOSTILE), id(d, "v"));
    let t = table(d, HOSTILE);
    let sql = upsert(d, &t, &[Param::new(&h)], &[Param::new(&v)], 1).unwrap();
    assert_eq!(
        sql,
        "INSERT INTO \"a\"\"; drop table x; --\" (\"a\"\"; drop table x; --\", \"v\") VALUES ($1, $2) ON CONFLICT (\"a\"\"; drop table x; --\") DO UPDATE SET \"v\" = EXCLUDED.\"v\""
    );
    let d = Dialect::MySql;
    let h = id(d, "a`; drop table x; --");
    let sql = delete(d, &table(d, "t"), &[Param::new(&h)], 1).unwrap();
    assert_eq!(sql, "DELETE FROM `t` WHERE `a``; drop table x; --` = ?");
}

#[test]
fn parameter_limits() {
    let d = Dialect::Postgres;
    let a = id(d, "a");
    let cols = [Param::new(&a), Param::new(&a), Param::new(&a)];
    assert_eq!(max_rows(d, 3), 21_845);
    assert!(insert(d, &table(d, "t"), &cols, 21_845).is_ok());
    assert_eq!(
        insert(d, &table(d, "t"), &cols, 21_846),
        Err(StatementError::TooManyParameters {
            rows: 21_846,
            columns: 3,
            max: 65_535
        })
    );
    assert_eq!(
        insert(d, &table(d, "t"), &cols, 0),
        Err(StatementError::NoRows)
    );
}

#[test]
fn postgres_runs_bind_one_text_array_per_column() {
    let d = Dialect::Postgres;
    let (k, v, h) = (id(d, "id"), id(d, "doc"), id(d, HOSTILE));
    let t = TableName {
        database: None,
        schema: Some(id(d, "public")),
        name: id(d, "t"),
    };
    let key = [Param {
        name: &k,
        cast: Some("bigint"),
    }];
    let values = [
        Param {
            name: &v,
            cast: Some("jsonb"),
        },
        Param {
            name: &h,
            cast: Some("timestamp(6) with time zone"),
        },
    ];
    assert_eq!(
        pg_insert_rows(&t, &key, &values, true).unwrap(),
        "INSERT INTO \"public\".\"t\" (\"id\", \"doc\", \"a\"\"; drop table x; --\") \
         SELECT u.\"id\"::bigint, u.\"doc\"::jsonb, u.\"a\"\"; drop table x; --\"::timestamp(6) with time zone \
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(\"id\", \"doc\", \"a\"\"; drop table x; --\") \
         ON CONFLICT (\"id\") DO UPDATE SET \"doc\" = EXCLUDED.\"doc\", \"a\"\"; drop table x; --\" = EXCLUDED.\"a\"\"; drop table x; --\""
    );
    assert_eq!(
        pg_insert_rows(&t, &[], &values[..1], false).unwrap(),
        "INSERT INTO \"public\".\"t\" (\"doc\") SELECT u.\"doc\"::jsonb FROM unnest($1::text[]) AS u(\"doc\")"
    );
    assert_eq!(
        pg_insert_rows(&t, &key, &[], true).unwrap(),
        "INSERT INTO \"public\".\"t\" (\"id\") SELECT u.\"id\"::bigint FROM unnest($1::text[]) AS u(\"id\") ON CONFLICT (\"id\") DO NOTHING"
    );
    assert_eq!(
        pg_update_rows(&t, &values[..1], &key).unwrap(),
        "UPDATE \"public\".\"t\" SET \"doc\" = u.\"doc\"::jsonb FROM unnest($1::text[], $2::text[]) AS u(\"doc\", \"id\") \
         WHERE \"public\".\"t\".\"id\" = u.\"id\"::bigint"
    );
    assert_eq!(
        pg_delete_rows(&t, &key).unwrap(),
        "DELETE FROM \"public\".\"t\" WHERE (\"id\") IN (SELECT u.\"id\"::bigint FROM unnest($1::text[]) AS u(\"id\"))"
    );
    assert_eq!(
        pg_insert_rows(&t, &[], &values, true),
        Err(StatementError::NoKey("an upsert"))
    );
    assert_eq!(
        pg_update_rows(&t, &[], &key),
        Err(StatementError::NothingToSet)
    );
    assert_eq!(
        pg_delete_rows(&t, &[]),
        Err(StatementError::NoKey("a delete"))
    );
}

#[test]
fn copy_rows_escape_every_character_that_would_end_a_field_or_a_row() {
    let d = Dialect::Postgres;
    let (k, h) = (id(d, "id"), id(d, HOSTILE));
    let cols = [Param::new(&k), Param::new(&h)];
    assert_eq!(
        pg_copy(&table(d, "t"), &cols).unwrap(),
        "COPY \"t\" (\"id\", \"a\"\"; drop table x; --\") FROM STDIN"
    );
    let mut out = Vec::new();
    pg_copy_row(&mut out, [Some("1"), Some("a\tb\nc\rd\\e")].into_iter());
    pg_copy_row(&mut out, [Some("2"), None].into_iter());
    pg_copy_row(&mut out, [Some("3"), Some("\\.")].into_iter());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1\ta\\tb\\nc\\rd\\\\e\n2\t\\N\n3\t\\\\.\n"
    );
    assert_eq!(pg_copy(&table(d, "t"), &[]), Err(StatementError::NoColumns));
}
