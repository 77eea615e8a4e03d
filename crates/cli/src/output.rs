//! Output formatting: tables and text for people, JSON and CSV for machines.

use std::io::Write;
use std::path::Path;
use tgscope_engine::entities::Recognizer;

use serde::Serialize;
use tgscope_engine::export::CsvTable;
use tgscope_engine::{
    ChangeRecord, ChannelSummary, IngestReport, PostDetail, PostsPage, QueryCounts, SearchPage,
    Stats, VersionRecord,
};

use crate::args::ReportFmt;

type Out<'a> = &'a mut dyn Write;

/// Writes any value as pretty JSON.
pub fn json<T: Serialize>(out: Out<'_>, value: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The summary of an ingest run.
pub fn ingest_report(out: Out<'_>, report: &IngestReport, format: ReportFmt) -> anyhow::Result<()> {
    if let ReportFmt::Json = format {
        // Totals first; then what happened to each input (`inputs`) and what was skipped and why
        // (`skipped_inputs`).
        #[derive(Serialize)]
        struct Summary<'a> {
            captures: usize,
            posts_new: u64,
            posts_updated: u64,
            posts_unchanged: u64,
            warnings: usize,
            skipped: usize,
            inputs: &'a [tgscope_engine::CaptureReport],
            skipped_inputs: &'a [tgscope_engine::Skipped],
            passed_over: &'a [tgscope_engine::Skipped],
        }
        return json(
            out,
            &Summary {
                captures: report.captures.len(),
                posts_new: report.posts_new(),
                posts_updated: report.posts_updated(),
                posts_unchanged: report.posts_unchanged(),
                warnings: report.warnings(),
                skipped: report.skipped.len(),
                inputs: &report.captures,
                skipped_inputs: &report.skipped,
                passed_over: &report.passed_over,
            },
        );
    }
    for c in &report.captures {
        let what = if c.already_archived {
            "already archived, nothing to add".to_string()
        } else {
            format!(
                "{} new, {} updated, {} unchanged{}",
                c.posts_new,
                c.posts_updated,
                c.posts_unchanged,
                if c.resumed {
                    " (resumed an interrupted ingest)"
                } else {
                    ""
                }
            )
        };
        writeln!(
            out,
            "{}: {} as {} into channel \"{}\": {}",
            c.path.display(),
            &c.sha256[..12],
            c.format,
            c.channel,
            what
        )?;
        // When the capture was made, where the user or the file said (the ingest time of a
        // capture that says nothing of itself is in `captures`).
        if let Some(t) = &c.captured
            && !c.already_archived
            && t.basis != tgscope_engine::model::CaptureTimeBasis::Ingested
        {
            writeln!(out, "  captured {}", capture_time_text(t))?;
        }
        for w in &c.warnings {
            writeln!(out, "  warning: {w}")?;
        }
    }
    for s in &report.skipped {
        writeln!(out, "skipped {}: {}", s.path.display(), s.reason)?;
    }
    for s in &report.passed_over {
        writeln!(out, "passed over {}: {}", s.path.display(), s.reason)?;
    }
    writeln!(
        out,
        "captures: {}; posts: {} new, {} updated, {} unchanged; warnings: {}; skipped: {}",
        report.captures.len(),
        report.posts_new(),
        report.posts_updated(),
        report.posts_unchanged(),
        report.warnings(),
        report.skipped.len()
    )?;
    if !report.passed_over.is_empty() {
        writeln!(
            out,
            "passed over: {} of the folders (not captures, or links leading out of the folder \
             named; name a file to read it anyway)",
            match report.passed_over.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            }
        )?;
    }
    Ok(())
}

/// When a capture was made, and how that is known: `2023-05-14T09:30:00Z (file: saved date:
/// ...)`.
fn capture_time_text(t: &tgscope_engine::model::CaptureTime) -> String {
    match &t.evidence {
        Some(e) => format!("{} ({}: {e})", t.at, t.basis.as_str()),
        None => format!("{} ({})", t.at, t.basis.as_str()),
    }
}

/// The date of a version for a table: observed, or inferred marked with `~`.
fn short_date(v: &VersionRecord) -> String {
    match (&v.date, &v.date_inferred) {
        (Some(d), _) => d.chars().take(16).collect::<String>().replace('T', " "),
        (None, Some(d)) => format!("~{}", d.date.replace('T', " ")),
        (None, None) => "-".to_string(),
    }
}

/// One line of text, cut to `width` characters.
fn one_line(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        flat
    } else {
        let mut cut: String = flat.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Posts as a table.
pub fn posts_table(out: Out<'_>, page: &PostsPage) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<18}  {:<17}  {:<18}  TEXT",
        "ID", "CHANNEL", "DATE (~inferred)", "FORWARDED FROM"
    )?;
    for p in &page.posts {
        let v = &p.current;
        let from = v
            .forward
            .as_ref()
            .and_then(|f| f.username.clone().or_else(|| f.title.clone()))
            .unwrap_or_else(|| "-".to_string());
        let text = if v.unviewable {
            "[only viewable in Telegram]".to_string()
        } else {
            one_line(&v.text, 70)
        };
        writeln!(
            out,
            "{:>6}  {:<18}  {:<17}  {:<18}  {}",
            p.id,
            one_line(&p.channel.name(), 18),
            short_date(v),
            one_line(&from, 18),
            text
        )?;
    }
    let total = page.count.matching;
    let shown = page.posts.len() as u64;
    if total == 0 {
        writeln!(out, "(no posts match)")?;
    } else if shown == 0 {
        writeln!(
            out,
            "({total} posts match; none after --offset {})",
            page.offset
        )?;
    } else {
        let first = page.offset + 1;
        let last = page.offset + shown;
        write!(out, "{}", plural(total, "post matches", "posts match"))?;
        write!(out, "; showing {first}-{last}")?;
        if page.remaining() > 0 {
            write!(
                out,
                "; the next {}: --offset {last} (--limit N for more at once; --format jsonl or csv \
                 gives every match)",
                page.remaining().min(shown.max(1))
            )?;
        }
        writeln!(out)?;
    }
    if page.count.undated_left_out > 0 {
        writeln!(
            out,
            "{} left out by the date range: no date, observed or inferred",
            plural(
                page.count.undated_left_out,
                "undated post is",
                "undated posts are"
            )
        )?;
    }
    Ok(())
}

/// `1 post`, `2 posts`: the count with the noun for it.
fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Posts' clusters and relations to their clusters' first posts, by post id.
pub use tgscope_engine::CopyRelations;

/// A page of posts as one JSON object: how many match, the page's place, and its records.
pub fn posts_json(
    page: &PostsPage,
    limit: Option<u64>,
    records: Vec<tgscope_engine::export::ExportRecord>,
) -> serde_json::Value {
    serde_json::json!({
        "total": page.count.matching,
        "offset": page.offset,
        "limit": limit,
        "returned": page.posts.len(),
        "undated_left_out": page.count.undated_left_out,
        "posts": records,
    })
}

/// One post in full, for people.
pub fn show(out: Out<'_>, d: &PostDetail) -> anyhow::Result<()> {
    let p = &d.post;
    let v = &p.current;
    writeln!(out, "post {} in channel {}", p.id, p.channel.name())?;
    if let Some(id) = p.message_id {
        writeln!(out, "message id: {id}")?;
    }
    match (&v.date, &v.date_inferred) {
        (Some(date), _) => writeln!(out, "date: {date} (observed)")?,
        (None, Some(d)) => {
            writeln!(
                out,
                "date: {} (inferred: {}, from {:?})",
                d.date,
                d.basis.as_str(),
                d.evidence
            )?;
            if let Some(detail) = &d.detail {
                writeln!(out, "      {detail}")?;
            }
        }
        (None, None) => writeln!(out, "date: unknown (the capture gives none)")?,
    }
    if let Some(f) = &v.forward {
        let mut parts = Vec::new();
        if let Some(t) = &f.title {
            parts.push(t.clone());
        }
        if let Some(u) = &f.username {
            parts.push(format!("@{u}"));
        }
        if let Some(m) = f.message_id {
            parts.push(format!("post {m}"));
        }
        if let Some(d) = &f.date {
            parts.push(format!("of {d}"));
        }
        writeln!(out, "forwarded from: {}", parts.join(", "))?;
    }
    if let Some(sender) = &v.sender {
        let name = sender.name.as_deref().unwrap_or("(name not given)");
        match &sender.id {
            Some(id) => writeln!(out, "sender: {name} ({id})")?,
            None => writeln!(out, "sender: {name}")?,
        }
    }
    if let Some(a) = &v.author {
        writeln!(out, "author: {a}")?;
    }
    if let Some(r) = &v.reply_to {
        let target = r
            .message_id
            .map(|m| format!("message {m}"))
            .unwrap_or_else(|| "a message".to_string());
        match r.chat_id {
            Some(chat) => writeln!(out, "reply to: {target} in chat {chat}")?,
            None => writeln!(out, "reply to: {target}")?,
        }
    }
    if let Some(bot) = &v.via_bot {
        writeln!(out, "via bot: {bot}")?;
    }
    if let Some(from) = &v.saved_from {
        writeln!(out, "saved from: {from}")?;
    }
    if let Some(at) = &v.edited_at {
        writeln!(out, "edited at: {at}")?;
    }
    if !v.reactions.is_empty() {
        let list: Vec<String> = v
            .reactions
            .iter()
            .map(|r| {
                let what = r
                    .emoji
                    .clone()
                    .or_else(|| r.document_id.as_ref().map(|d| format!("custom {d}")))
                    .unwrap_or_else(|| r.kind.clone());
                format!("{what} {}", r.count)
            })
            .collect();
        writeln!(out, "reactions: {}", list.join(", "))?;
    }
    if let Some(views) = v.views {
        writeln!(out, "views: {views}")?;
    }
    if let Some(edited) = v.edited {
        writeln!(out, "edited mark: {}", if edited { "yes" } else { "no" })?;
    }
    if v.unviewable {
        writeln!(
            out,
            "only viewable in Telegram (the capture shows a placeholder)"
        )?;
    }
    for m in &v.media {
        let mut line = format!("media: {}", m.kind.as_str());
        if let Some(ph) = m.placeholder {
            line.push_str(&format!(" (placeholder: {})", ph.as_str()));
        }
        if let Some(label) = &m.label {
            line.push_str(&format!(" {label:?}"));
        }
        if let Some(name) = &m.file_name {
            line.push_str(&format!(" file {name}"));
        }
        if let Some(path) = &m.path {
            line.push_str(&format!(" at {path}"));
        }
        if let Some(sha) = &m.sha256 {
            line.push_str(&format!(
                " (kept as media/{}/{sha})",
                &sha[..2.min(sha.len())]
            ));
        }
        if let Some(poll) = &m.poll {
            let answers: Vec<String> = poll
                .answers
                .iter()
                .map(|a| match a.voters {
                    Some(n) => format!("{} ({n})", a.text),
                    None => a.text.clone(),
                })
                .collect();
            line.push_str(&format!(" {:?}: {}", poll.question, answers.join(" / ")));
        }
        writeln!(out, "{line}")?;
    }
    for l in &v.links {
        match &l.url {
            Some(url) => writeln!(out, "link: {url}")?,
            None => writeln!(out, "link: {:?} (target not in the capture)", l.label)?,
        }
    }
    let list = |tags: &[tgscope_engine::model::Tag], sigil: &str| {
        tags.iter()
            .map(|t| format!("{sigil}{}", t.value))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !v.hashtags.is_empty() {
        writeln!(out, "hashtags: {}", list(&v.hashtags, "#"))?;
    }
    if !v.mentions.is_empty() {
        writeln!(out, "mentions: {}", list(&v.mentions, "@"))?;
    }
    if !v.countries.is_empty() {
        let codes: Vec<&str> = v.countries.iter().map(|c| c.code.as_str()).collect();
        writeln!(out, "countries: {}", codes.join(" "))?;
    }
    writeln!(
        out,
        "\n--- clean text (version {} of {}) ---",
        v.seq, p.version_count
    )?;
    writeln!(out, "{}", v.text)?;
    writeln!(out, "\n--- raw text, as captured ---")?;
    writeln!(out, "{}", v.raw_text)?;
    if d.versions.len() > 1 {
        writeln!(out, "\n--- versions ---")?;
        for ver in &d.versions {
            writeln!(
                out,
                "version {}: first seen in capture {} (archived {}): {}",
                ver.seq,
                &ver.first_capture[..12.min(ver.first_capture.len())],
                ver.archived_at,
                one_line(&ver.text, 60)
            )?;
        }
    }
    writeln!(out, "\n--- sightings ---")?;
    for s in &d.sightings {
        let lines = match (s.line_start, s.line_end) {
            (Some(a), Some(b)) => format!("lines {a}-{b}"),
            _ => "-".to_string(),
        };
        let bytes = match (s.byte_start, s.byte_end) {
            (Some(a), Some(b)) => format!("bytes {a}-{b}"),
            _ => String::new(),
        };
        let lines = match &s.locator {
            Some(locator) if s.line_start == Some(0) => locator.clone(),
            Some(locator) => format!("{lines} {locator}"),
            None => lines,
        };
        writeln!(
            out,
            "version {} in {} ({}), {} {}, sha256 {}",
            s.version_seq, s.capture_source, s.format, lines, bytes, s.capture_sha256
        )?;
    }
    Ok(())
}

/// Channels as a table.
pub fn channels_table(out: Out<'_>, channels: &[ChannelSummary]) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>4}  {:<28}  {:>6}  {:>8}  {:>10}  {:<10}  {:<10}",
        "ID", "CHANNEL", "POSTS", "FORWARDS", "FWD'D FROM", "FIRST", "LAST"
    )?;
    for c in channels {
        writeln!(
            out,
            "{:>4}  {:<28}  {:>6}  {:>8}  {:>10}  {:<10}  {:<10}",
            c.channel.id,
            one_line(&c.channel.name(), 28),
            c.posts,
            c.forwards,
            c.forwarded_by_others,
            c.first_date.as_deref().unwrap_or("-"),
            c.last_date.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

/// Archive counts for people.
pub fn stats_table(out: Out<'_>, s: &Stats, dir: &Path) -> anyhow::Result<()> {
    writeln!(out, "archive: {}", dir.display())?;
    writeln!(out, "channels: {}", s.channels)?;
    writeln!(
        out,
        "posts: {} ({} forwards, {} only viewable in Telegram)",
        s.posts, s.forwards, s.unviewable
    )?;
    writeln!(
        out,
        "versions: {} ({} posts edited)",
        s.versions, s.edited_posts
    )?;
    writeln!(
        out,
        "dates: {} observed, {} inferred, {} unknown",
        s.dated_observed, s.dated_inferred, s.undated
    )?;
    writeln!(
        out,
        "captures: {} complete, {} partial; sightings: {}; service events: {}",
        s.captures_complete, s.captures_partial, s.sightings, s.events
    )?;
    let counted = |items: &[tgscope_engine::Counted]| {
        items
            .iter()
            .map(|c| format!("{} {}", c.name, c.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !s.media.is_empty() {
        writeln!(out, "media: {}", counted(&s.media))?;
    }
    if !s.top_hashtags.is_empty() {
        writeln!(out, "top hashtags: {}", counted(&s.top_hashtags))?;
    }
    if !s.top_forward_sources.is_empty() {
        writeln!(
            out,
            "top forward sources: {}",
            counted(&s.top_forward_sources)
        )?;
    }
    Ok(())
}

/// Captures as a table.
pub fn captures_table(
    out: Out<'_>,
    captures: &[tgscope_engine::export::CaptureRecord],
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>4}  {:<16}  {:<8}  {:>10}  {:>6}  {:<20}  {:<20}  {:<8}  SOURCE",
        "ID", "SHA256", "STATUS", "BYTES", "POSTS", "INGESTED", "CAPTURED", "BASIS"
    )?;
    for c in captures {
        writeln!(
            out,
            "{:>4}  {:<16}  {:<8}  {:>10}  {:>6}  {:<20}  {:<20}  {:<8}  {}",
            c.id,
            &c.sha256[..16.min(c.sha256.len())],
            c.status,
            c.size,
            c.posts_seen,
            c.ingested_at,
            c.captured_at.as_deref().unwrap_or("-"),
            c.captured_basis.as_deref().unwrap_or("-"),
            c.source
        )?;
    }
    Ok(())
}

/// A post's history: versions, every capture's view count and edited mark, and absences.
pub fn history(out: Out<'_>, d: &PostDetail) -> anyhow::Result<()> {
    let p = &d.post;
    let id = p
        .message_id
        .map(|m| format!(", message {m}"))
        .unwrap_or_default();
    writeln!(out, "post {} in channel {}{id}", p.id, p.channel.name())?;
    writeln!(out, "\n--- versions ---")?;
    for v in &d.versions {
        let first = d
            .sightings
            .iter()
            .filter(|s| s.version_seq == v.seq)
            .map(|s| s.observed_at.as_str())
            .min()
            .unwrap_or("-");
        let line = v.text.lines().next().unwrap_or_default();
        writeln!(out, "version {} first seen {first}: {line}", v.seq)?;
    }
    writeln!(out, "\n--- observed ---")?;
    writeln!(
        out,
        "{:<20}  {:>7}  {:>10}  {:<6}  capture",
        "when", "version", "views", "edited"
    )?;
    for s in &d.sightings {
        let views = s.views.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        let edited = match s.edited {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        writeln!(
            out,
            "{:<20}  {:>7}  {:>10}  {:<6}  {} {}",
            s.observed_at,
            s.version_seq,
            views,
            edited,
            &s.capture_sha256[..s.capture_sha256.len().min(12)],
            s.capture_source
        )?;
    }
    if !d.absences.is_empty() {
        writeln!(out, "\n--- absent ---")?;
        for a in &d.absences {
            writeln!(
                out,
                "{}  missing from a capture covering ids {}..{}: {} {}",
                a.observed_at,
                a.range.0,
                a.range.1,
                &a.capture_sha256[..a.capture_sha256.len().min(12)],
                a.capture_source
            )?;
        }
    }
    Ok(())
}

fn change_detail(c: &ChangeRecord) -> String {
    match (c.kind.as_str(), c.version_seq, c.seen_again) {
        ("edited", Some(seq), _) => format!("version {seq}"),
        ("deleted", _, Some(true)) => "seen again later".to_string(),
        ("deleted", _, _) => "not seen since".to_string(),
        _ => String::new(),
    }
}

/// Edits and deletions as a table.
pub fn changes_table(out: Out<'_>, changes: &[ChangeRecord]) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<20}  {:<7}  {:>6}  {:<24}  {:<16}  text",
        "observed", "change", "post", "channel/message", "detail"
    )?;
    for c in changes {
        let at = match c.message_id {
            Some(m) => format!("{}/{m}", c.channel),
            None => c.channel.clone(),
        };
        writeln!(
            out,
            "{:<20}  {:<7}  {:>6}  {:<24}  {:<16}  {}",
            c.observed_at,
            c.kind,
            c.post_id,
            at,
            change_detail(c),
            c.text
        )?;
    }
    if changes.is_empty() {
        writeln!(out, "(no edits or deletions observed)")?;
    }
    Ok(())
}

/// Edits and deletions as CSV.
pub fn changes_csv(out: Out<'_>, changes: &[ChangeRecord]) -> anyhow::Result<()> {
    let mut w = CsvTable::new(
        out,
        &[
            "observed_at",
            "change",
            "post_id",
            "channel",
            "message_id",
            "version_seq",
            "seen_again",
            "capture_sha256",
            "text",
        ],
    )?;
    for c in changes {
        w.row(&[
            c.observed_at.clone(),
            c.kind.clone(),
            c.post_id.to_string(),
            c.channel.clone(),
            c.message_id.map(|m| m.to_string()).unwrap_or_default(),
            c.version_seq.map(|m| m.to_string()).unwrap_or_default(),
            c.seen_again.map(|m| m.to_string()).unwrap_or_default(),
            c.capture_sha256.clone(),
            c.text.clone(),
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// The summary of a collection run.
pub fn collect_reports(
    out: Out<'_>,
    reports: &[tgscope_collect::CollectReport],
    format: ReportFmt,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Channel<'a> {
        channel: &'a str,
        resumed: bool,
        pages: u64,
        posts_new: u64,
        posts_updated: u64,
        posts_unchanged: u64,
        absent: &'a [i64],
        stop: &'static str,
        warnings: &'a [String],
    }
    let rows: Vec<Channel<'_>> = reports
        .iter()
        .map(|r| Channel {
            channel: &r.channel,
            resumed: r.resumed,
            pages: r.pages,
            posts_new: r.posts_new,
            posts_updated: r.posts_updated,
            posts_unchanged: r.posts_unchanged,
            absent: &r.absent,
            stop: r.stop.as_str(),
            warnings: &r.warnings,
        })
        .collect();
    if let ReportFmt::Json = format {
        return json(out, &rows);
    }
    for r in &rows {
        let resumed = if r.resumed { ", resumed" } else { "" };
        writeln!(
            out,
            "{}: {} pages{resumed}; posts: {} new, {} updated, {} unchanged; absent: {}; stopped: {}",
            r.channel,
            r.pages,
            r.posts_new,
            r.posts_updated,
            r.posts_unchanged,
            if r.absent.is_empty() {
                "none".to_string()
            } else {
                r.absent
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            r.stop.replace('_', " ")
        )?;
        for w in r.warnings {
            writeln!(out, "  warning: {w}")?;
        }
    }
    Ok(())
}

/// Search results as a table with marked snippets, with how many match and how to see the
/// rest.
pub fn search_table(out: Out<'_>, page: &SearchPage) -> anyhow::Result<()> {
    let shown = page.hits.len();
    let first = if shown == 0 { 0 } else { page.offset + 1 };
    let order = match (page.ranked, page.sort) {
        (true, _) => "best match first",
        (false, tgscope_engine::SortBy::Oldest) => "oldest first",
        (false, _) => "newest first",
    };
    writeln!(
        out,
        "{}; showing {first}-{}, {order}",
        plural(page.total, "post matches", "posts match"),
        page.offset + shown
    )?;
    if !page.ranked && page.sort != tgscope_engine::SortBy::Oldest {
        writeln!(
            out,
            "(sorted by date: the query has only filters, no words to rank the posts by)"
        )?;
    }
    for hit in &page.hits {
        let p = &hit.post;
        let date = p
            .current
            .date
            .clone()
            .or_else(|| {
                p.current
                    .date_inferred
                    .as_ref()
                    .map(|d| format!("~{}", d.date))
            })
            .unwrap_or_else(|| "-".into());
        if page.ranked {
            writeln!(
                out,
                "\n{:>6}  {}  {}  score {:.2}",
                p.id,
                p.channel.name(),
                date,
                hit.score
            )?;
        } else {
            writeln!(out, "\n{:>6}  {}  {}", p.id, p.channel.name(), date)?;
        }
        writeln!(
            out,
            "        {}",
            marked(&hit.snippet, &hit.highlights).replace('\n', " ")
        )?;
    }
    if page.remaining() > 0 {
        let last = page.offset + shown;
        writeln!(
            out,
            "\n{} more: --offset {last} for the next ones (--limit N for more at once; --format \
             jsonl or csv gives every match)",
            page.remaining()
        )?;
    }
    Ok(())
}

/// `text` with `[` `]` around each highlighted byte range.
fn marked(text: &str, highlights: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + 4 * highlights.len());
    let mut at = 0;
    for &(start, end) in highlights {
        let (Some(before), Some(word)) = (text.get(at..start), text.get(start..end)) else {
            continue;
        };
        out.push_str(before);
        out.push('[');
        out.push_str(word);
        out.push(']');
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

pub use tgscope_engine::export::SearchRecord;

/// Every hit of a page as a [`SearchRecord`] (with the hits' clusters).
pub fn search_records(
    page: &SearchPage,
    copies: &CopyRelations,
    recognizer: &Recognizer,
) -> Vec<SearchRecord> {
    page.hits
        .iter()
        .map(|h| SearchRecord::new(h, copies, recognizer))
        .collect()
}

/// A page of results as one JSON object: how many match, the page's place, its order and the
/// hits.
pub fn search_json(
    page: &SearchPage,
    limit: Option<usize>,
    copies: &CopyRelations,
    recognizer: &Recognizer,
) -> serde_json::Value {
    serde_json::json!({
        "total": page.total,
        "offset": page.offset,
        "limit": limit,
        "returned": page.hits.len(),
        "ranked": page.ranked,
        "index_catching_up": page.index_catching_up,
        "hits": search_records(page, copies, recognizer),
    })
}

/// Counts per period, with what they leave out.
pub fn counts(
    out: Out<'_>,
    query: &str,
    counts: &QueryCounts,
    format: crate::args::CountFmt,
) -> anyhow::Result<()> {
    match format {
        crate::args::CountFmt::Json => {
            let rows: Vec<serde_json::Value> = counts
                .counts
                .iter()
                .map(|c| serde_json::json!({"period": c.start, "count": c.count}))
                .collect();
            json(
                out,
                &serde_json::json!({
                    "query": query,
                    "by": counts.period.as_str(),
                    "by_chosen": counts.period_chosen,
                    "matching": counts.matching,
                    "dated": counts.dated,
                    "undated": counts.undated,
                    "index_catching_up": counts.index_catching_up,
                    "counts": rows,
                }),
            )
        }
        crate::args::CountFmt::Csv => {
            let mut table = CsvTable::new(out, &["period", "count"])?;
            for c in &counts.counts {
                table.row(&[c.start.clone(), c.count.to_string()])?;
            }
            table.finish()?;
            Ok(())
        }
        crate::args::CountFmt::Table => {
            let by = counts.period.as_str();
            write!(
                out,
                "{}; counted per {by}",
                plural(counts.matching, "post matches", "posts match")
            )?;
            if counts.period_chosen {
                write!(out, " (fits their span; --by day|week|month to choose)")?;
            }
            writeln!(out)?;
            let most = counts
                .counts
                .iter()
                .map(|c| c.count)
                .max()
                .unwrap_or(0)
                .max(1);
            for c in &counts.counts {
                let bar = "█".repeat(((c.count * 40).div_ceil(most)) as usize);
                writeln!(out, "{:<10}  {:>7}  {bar}", c.start, c.count)?;
            }
            if counts.counts.is_empty() && counts.matching > 0 {
                writeln!(out, "(no dated posts match)")?;
            }
            if counts.undated > 0 {
                writeln!(out, "{}", undated_note(counts))?;
            }
            Ok(())
        }
    }
}

/// What a count leaves out: `6 of the 17 matches have no date …`.
pub fn undated_note(counts: &QueryCounts) -> String {
    format!(
        "{} of the {} matches {} no date (observed or inferred) and {} not counted in any {}",
        counts.undated,
        counts.matching,
        if counts.undated == 1 { "has" } else { "have" },
        if counts.undated == 1 { "is" } else { "are" },
        counts.period.as_str()
    )
}
