//! How the schema spreads over a Citus cluster: the post-level tables are distributed by
//! channel (hash of `channel_id`, all co-located with `posts`), the small tables are reference
//! tables (a copy on every node). `docs/team.md` quotes [`statements`]; `tests/citus.rs`
//! checks on the catalog that the schema keeps the rules that distribution needs.

/// The distribution column of every distributed table.
pub const DISTRIBUTION_COLUMN: &str = "channel_id";

/// The distributed table every other one is co-located with.
pub const COLOCATE_WITH: &str = "posts";

/// The reference tables, each after the tables it references (the order in which Citus can
/// turn them into reference tables).
pub const REFERENCE: &[&str] = &[
    "schema_migrations",
    "channels",
    "channel_aliases",
    "captures",
    "fetches",
    "collect_runs",
    "settings",
    "narratives",
    "narrative_versions",
    "accounts",
    "sessions",
    "api_tokens",
    "audit_log",
    "saved_searches",
];

/// The tables distributed by [`DISTRIBUTION_COLUMN`], [`COLOCATE_WITH`] first and each after
/// the tables it references.
pub const DISTRIBUTED: &[&str] = &[
    "posts",
    "versions",
    "version_marks",
    "sightings",
    "absences",
    "events",
    "forwards",
    "media",
    "links",
    "hashtags",
    "mentions",
    "countries",
    "reactions",
    "entities",
];

/// The statements that distribute a migrated archive on a Citus cluster, run on the
/// coordinator in this order: the extension, every reference table, then every distributed
/// table (the first starts the co-location group, the others join it).
pub fn statements() -> Vec<String> {
    let mut out = vec!["CREATE EXTENSION IF NOT EXISTS citus;".to_string()];
    out.extend(
        REFERENCE
            .iter()
            .map(|table| format!("SELECT create_reference_table('{table}');")),
    );
    out.extend(DISTRIBUTED.iter().map(|&table| {
        if table == COLOCATE_WITH {
            format!("SELECT create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}');")
        } else {
            format!(
                "SELECT create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}', \
                 colocate_with => '{COLOCATE_WITH}');"
            )
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colocation_table_is_distributed_first() {
        assert_eq!(DISTRIBUTED.first(), Some(&COLOCATE_WITH));
    }

    #[test]
    fn statements_name_each_table_once() {
        let all = statements();
        assert_eq!(all.len(), 1 + REFERENCE.len() + DISTRIBUTED.len());
        for table in REFERENCE.iter().chain(DISTRIBUTED) {
            let quoted = format!("('{table}'");
            assert_eq!(
                all.iter().filter(|s| s.contains(&quoted)).count(),
                1,
                "{table}"
            );
        }
    }
}
