//! The per-post queries of tgscope's export walk (`post_record` and `version_record` in
//! crates/store/src/query.rs, copied here as they stand at 7d479a2), run over every post of an
//! archive three ways, each on a fresh read-only connection with the store's page cache and
//! statement cache sizes: through `prepare_cached` as the store runs them; the same with
//! SQLite's query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) on; and with the
//! statements prepared once for the whole walk. Prints the wall and CPU seconds of each (and the
//! first way again, last). It reads every value of every row and builds nothing, so it measures
//! the queries alone.
//!
//! It shows that the store's cached statements are compiled again at each execution: rusqlite's
//! statement cache calls `sqlite3_clear_bindings` when a statement goes back to the cache, and
//! that expires every statement SQLite marked as depending on a parameter's value.
use rusqlite::{Connection, OpenFlags, config::DbConfig, params};
use std::time::Instant;

const SQL: &[&str] = &[
    "SELECT p.channel_id, c.tg_id, c.username, c.title, p.message_id, p.current_version_id,
            (SELECT COUNT(*) FROM versions v WHERE v.post_id = p.id), c.kind
     FROM posts p JOIN channels c ON c.id = p.channel_id WHERE p.id = ?1",
    "SELECT c.sha256 FROM captures c WHERE c.id IN (
         SELECT s.capture_id FROM sightings s JOIN versions v ON v.id = s.version_id
         WHERE v.post_id = ?1)
     ORDER BY c.id",
    "SELECT v.id, v.seq, v.content_key, v.text, v.raw_text, v.date, v.date_inferred,
            v.date_basis, v.date_evidence, v.date_detail, v.edited, v.views, v.author,
            v.unviewable, c.sha256, v.created_at, v.edited_at, v.sender_name, v.sender_id,
            v.reply_to_message_id, v.reply_to_chat_id, v.via_bot, v.saved_from
     FROM versions v JOIN captures c ON c.id = v.capture_id WHERE v.id = ?1",
    "SELECT title, username, message_id, date, sender_id FROM forwards WHERE version_id = ?1",
    "SELECT kind, placeholder, label, file_name, mime_type, size, duration, width, height,
            path, sha256, attrs, poll
     FROM media WHERE version_id = ?1 ORDER BY ord",
    "SELECT url, label, span_start, span_end FROM links WHERE version_id = ?1 ORDER BY ord",
    "SELECT kind, emoji, document_id, count FROM reactions WHERE version_id = ?1 ORDER BY ord",
    "SELECT kind, span_start, span_end, attrs FROM entities WHERE version_id = ?1 ORDER BY ord",
    "SELECT tag, span_start, span_end FROM hashtags WHERE version_id = ?1 ORDER BY ord",
    "SELECT username, span_start, span_end FROM mentions WHERE version_id = ?1 ORDER BY ord",
    "SELECT code, span_start, span_end FROM countries WHERE version_id = ?1 ORDER BY ord",
];

fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn open(path: &str, qpsg: bool) -> Connection {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.pragma_update(None, "cache_size", -65536).unwrap();
    c.set_prepared_statement_cache_capacity(64);
    if qpsg {
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .unwrap();
    }
    c
}

fn walk(c: &Connection, ids: &[(i64, i64)], once: bool) -> u64 {
    let mut cells = 0u64;
    let mut run = |stmt: &mut rusqlite::Statement<'_>, i: usize, post: i64, ver: i64| {
        let key = if i <= 1 { post } else { ver };
        let n = stmt.column_count();
        let mut rows = stmt.query(params![key]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for k in 0..n {
                let _ = r.get_ref(k).unwrap();
                cells += 1;
            }
        }
    };
    if once {
        let mut stmts: Vec<_> = SQL.iter().map(|s| c.prepare(s).unwrap()).collect();
        for &(p, v) in ids {
            for (i, s) in stmts.iter_mut().enumerate() {
                run(s, i, p, v);
            }
        }
    } else {
        for &(p, v) in ids {
            for (i, s) in SQL.iter().enumerate() {
                let mut st = c.prepare_cached(s).unwrap();
                run(&mut st, i, p, v);
            }
        }
    }
    cells
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let c = open(&path, false);
    let ids: Vec<(i64, i64)> = c
        .prepare("SELECT id, current_version_id FROM posts ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(c);
    for (name, qpsg, once) in [
        ("prepare_cached (as the store)", false, false),
        ("prepare_cached + QPSG", true, false),
        ("prepared once for the walk", false, true),
        ("prepare_cached (as the store), again", false, false),
    ] {
        let c = open(&path, qpsg);
        let (t, u) = (Instant::now(), cpu());
        let cells = walk(&c, &ids, once);
        println!(
            "{name}: {} posts, {cells} cells, wall {:.2} s, cpu {:.2} s",
            ids.len(),
            t.elapsed().as_secs_f64(),
            cpu() - u
        );
    }
}
