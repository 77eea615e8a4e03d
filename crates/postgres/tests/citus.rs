//! The schema keeps what Citus needs to distribute it by channel, checked on the catalog of a
//! real PostgreSQL database with the migrations applied (no Citus server here: these are the
//! rules that would make `create_distributed_table` or `create_reference_table` fail):
//!
//! - every table is in exactly one of `citus::DISTRIBUTED` and `citus::REFERENCE`, and
//!   docs/team.md distributes each with the statements `citus::statements` gives;
//! - every distributed table has a NOT NULL bigint `channel_id`;
//! - every primary key, unique constraint, unique index and exclusion constraint of a
//!   distributed table includes `channel_id`;
//! - every foreign key between distributed tables pairs `channel_id` with `channel_id`;
//! - no reference table has a foreign key to a distributed table;
//! - the statements' order puts every referenced table before the tables that reference it;
//! - every sequence (and identity column) is bigint, as Citus needs for ids drawn on any node.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;
use tgscope_postgres::citus::{
    COLOCATE_WITH, DISTRIBUTED, DISTRIBUTION_COLUMN, REFERENCE, statements,
};
use tgscope_postgres::{migrate, testing};

/// A fresh database with every migration applied, or `None` when the test skips.
fn migrated() -> anyhow::Result<Option<Client>> {
    let Some(url) = testing::database()? else {
        return Ok(None);
    };
    let mut client = Client::connect(&url, postgres::NoTls)?;
    migrate(&mut client)?;
    Ok(Some(client))
}

/// A constraint of a table of the public schema.
#[derive(Debug)]
struct Constraint {
    table: String,
    name: String,
    /// p, u, f or x.
    kind: char,
    columns: Vec<String>,
    /// For a foreign key: the table and columns it references.
    references: Option<(String, Vec<String>)>,
}

fn constraints(client: &mut Client) -> anyhow::Result<Vec<Constraint>> {
    let rows = client.query(
        "SELECT con.conrelid::regclass::text, con.conname::text, con.contype::text,
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.ord),
                CASE WHEN con.contype = 'f' THEN con.confrelid::regclass::text END,
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.ord)
         FROM pg_constraint con
         JOIN pg_namespace n ON n.oid = con.connamespace
         WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f', 'x')
         ORDER BY 1, 2",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get(2);
            let references: Option<String> = r.get(4);
            Constraint {
                table: r.get(0),
                name: r.get(1),
                kind: kind.chars().next().unwrap_or('?'),
                columns: r.get(3),
                references: references.map(|t| (t, r.get(5))),
            }
        })
        .collect())
}

fn tables(client: &mut Client) -> anyhow::Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT c.relname::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

fn is_distributed(table: &str) -> bool {
    DISTRIBUTED.contains(&table)
}

#[test]
fn every_table_is_distributed_or_a_reference_table_exactly_once() -> anyhow::Result<()> {
    let Some(mut client) = migrated()? else {
        return Ok(());
    };
    let listed: Vec<&str> = REFERENCE.iter().chain(DISTRIBUTED).copied().collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "a table is listed twice: {listed:?}"
    );
    let schema: BTreeSet<String> = tables(&mut client)?.into_iter().collect();
    let listed: BTreeSet<String> = unique.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        schema.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "tables of the schema in neither list"
    );
    assert_eq!(
        listed.difference(&schema).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "listed tables the schema does not have"
    );
    assert!(DISTRIBUTED.contains(&COLOCATE_WITH));
    Ok(())
}

#[test]
fn every_distributed_table_has_a_not_null_bigint_channel_id() -> anyhow::Result<()> {
    let Some(mut client) = migrated()? else {
        return Ok(());
    };
    let columns: BTreeMap<String, (String, String)> = client
        .query(
            "SELECT table_name::text, data_type::text, is_nullable::text
             FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = $1",
            &[&DISTRIBUTION_COLUMN],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    for table in DISTRIBUTED {
        let Some((kind, nullable)) = columns.get(*table) else {
            panic!("{table} has no {DISTRIBUTION_COLUMN} column");
        };
        assert_eq!(kind, "bigint", "{table}.{DISTRIBUTION_COLUMN}");
        assert_eq!(nullable, "NO", "{table}.{DISTRIBUTION_COLUMN} may be NULL");
    }
    Ok(())
}

#[test]
fn every_key_of_a_distributed_table_includes_channel_id() -> anyhow::Result<()> {
    let Some(mut client) = migrated()? else {
        return Ok(());
    };
    let mut keys = 0;
    for c in constraints(&mut client)? {
        if is_distributed(&c.table) && matches!(c.kind, 'p' | 'u' | 'x') {
            keys += 1;
            assert!(
                c.columns.iter().any(|col| col == DISTRIBUTION_COLUMN),
                "{} of {} ({:?}) lacks {DISTRIBUTION_COLUMN}",
                c.name,
                c.table,
                c.columns
            );
        }
    }
    assert!(keys >= DISTRIBUTED.len(), "only {keys} keys found");

    // Unique indexes made without a constraint count too (an expression has attnum 0).
    let indexes = client.query(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
                      FROM unnest(i.indkey::int2[]) AS k(attnum)
                      LEFT JOIN pg_attribute a
                        ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND i.indisunique",
        &[],
    )?;
    for row in &indexes {
        let (table, index, columns): (String, String, Vec<String>) =
            (row.get(0), row.get(1), row.get(2));
        if is_distributed(&table) {
            assert!(
                columns.iter().any(|c| c == DISTRIBUTION_COLUMN),
                "unique index {index} of {table} ({columns:?}) lacks {DISTRIBUTION_COLUMN}"
            );
        }
    }
    Ok(())
}

#[test]
fn foreign_keys_keep_shards_together_and_point_only_the_allowed_way() -> anyhow::Result<()> {
    let Some(mut client) = migrated()? else {
        return Ok(());
    };
    let order: Vec<&str> = REFERENCE.iter().chain(DISTRIBUTED).copied().collect();
    let position = |t: &str| order.iter().position(|o| *o == t);
    let mut between_distributed = 0;
    for c in constraints(&mut client)? {
        let Some((target, target_columns)) = &c.references else {
            continue;
        };
        match (is_distributed(&c.table), is_distributed(target)) {
            (true, true) => {
                between_distributed += 1;
                let here = c.columns.iter().position(|x| x == DISTRIBUTION_COLUMN);
                let there = target_columns.iter().position(|x| x == DISTRIBUTION_COLUMN);
                assert!(
                    here.is_some() && here == there,
                    "{} of {} ({:?} -> {target} {:?}) does not pair {DISTRIBUTION_COLUMN} with \
                     {DISTRIBUTION_COLUMN}",
                    c.name,
                    c.table,
                    c.columns,
                    target_columns
                );
            }
            (false, true) => panic!(
                "{} of reference table {} points to distributed table {target}",
                c.name, c.table
            ),
            // Distributed to reference, and between reference tables: allowed.
            _ => {}
        }
        if c.table != *target {
            assert!(
                position(target) < position(&c.table),
                "{} of {}: {target} must be distributed or referenced before {}",
                c.name,
                c.table,
                c.table
            );
        }
    }
    // posts <- versions and posts <- absences (a version's parts and sightings have none since
    // migrations 5 and 8: `check` looks for orphans).
    assert!(
        between_distributed >= 2,
        "only {between_distributed} foreign keys between distributed tables"
    );
    Ok(())
}

#[test]
fn every_sequence_and_identity_column_is_bigint() -> anyhow::Result<()> {
    let Some(mut client) = migrated()? else {
        return Ok(());
    };
    let sequences = client.query(
        "SELECT s.seqrelid::regclass::text, format_type(s.seqtypid, NULL)
         FROM pg_sequence s",
        &[],
    )?;
    assert!(!sequences.is_empty());
    for row in &sequences {
        let (name, kind): (String, String) = (row.get(0), row.get(1));
        assert_eq!(kind, "bigint", "sequence {name}");
    }
    let identities = client.query(
        "SELECT table_name::text, column_name::text, data_type::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND is_identity = 'YES'",
        &[],
    )?;
    for row in &identities {
        let (table, column, kind): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(kind, "bigint", "identity column {table}.{column}");
    }
    Ok(())
}

#[test]
fn docs_team_md_distributes_every_table_with_the_crates_statements() -> anyhow::Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/team.md");
    let doc = std::fs::read_to_string(path)?;
    for statement in statements() {
        assert!(doc.contains(&statement), "docs/team.md lacks `{statement}`");
    }
    // And it distributes no other table (nor the same one otherwise).
    let mut named: Vec<(String, String)> = Vec::new();
    for (function, kind) in [
        ("create_reference_table('", "reference"),
        ("create_distributed_table('", "distributed"),
    ] {
        for (at, _) in doc.match_indices(function) {
            let rest = &doc[at + function.len()..];
            let table = rest.split('\'').next().unwrap_or_default();
            named.push((kind.to_string(), table.to_string()));
        }
    }
    let mut expected: Vec<(String, String)> = REFERENCE
        .iter()
        .map(|t| ("reference".to_string(), t.to_string()))
        .chain(
            DISTRIBUTED
                .iter()
                .map(|t| ("distributed".to_string(), t.to_string())),
        )
        .collect();
    named.sort();
    expected.sort();
    assert_eq!(named, expected, "the tables docs/team.md distributes");
    let reference_first = doc.find("create_reference_table(");
    let distributed_first = doc.find("create_distributed_table(");
    assert!(reference_first < distributed_first);
    Ok(())
}
