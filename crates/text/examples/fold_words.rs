//! Times word folding on real post text: `cargo run --release -p tgscope-text --example
//! fold_words [FILE...]`.
//!
//! Each file is a plain text or a Telethon JSON dump (its `"text"` fields are taken). The text is
//! folded with `fold::words` (segmentation and folding) and, word by word, with `fold::fold_word`
//! alone; each is repeated until about a second has passed, and the best round is reported in
//! nanoseconds per word. A checksum of every folded word is printed too, so that two builds can
//! be checked to fold the same text the same way. `--words-only` times `fold::words` alone.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::time::{Duration, Instant};

use tgscope_text::fold;

const DEFAULT_FILES: &[&str] = &[
    "/work/shared/samples/text/mfa-cis-channel.txt",
    "/work/shared/samples/text/newsclassifier_naked-science_ru_telethon-dump.json",
    "/work/shared/samples/text/newsclassifier_moscow-news_ru_telethon-dump.json",
];

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--words-only`: time `fold::words` alone (for a profiler).
    let words_only = args.first().is_some_and(|a| a == "--words-only");
    if words_only {
        args.remove(0);
    }
    let files: Vec<String> = if args.is_empty() {
        DEFAULT_FILES.iter().map(|f| (*f).to_owned()).collect()
    } else {
        args
    };
    let mut text = String::new();
    for file in &files {
        let content = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        if file.ends_with(".json") {
            text.push_str(&json_texts(&content));
        } else {
            text.push_str(&content);
        }
        text.push('\n');
    }
    let raw_words: Vec<&str> = fold::words(&text).map(|w| w.raw).collect();
    let word_count = raw_words.len();

    let mut checksum = DefaultHasher::new();
    for w in fold::words(&text) {
        (w.start, w.position, &w.folded).hash(&mut checksum);
    }
    for w in &raw_words {
        fold::fold_word(w).hash(&mut checksum);
    }
    println!(
        "{} bytes, {word_count} words, checksum {:016x}",
        text.len(),
        checksum.finish()
    );

    let words_ns = best_round_ns(|| {
        let mut bytes = 0;
        for w in fold::words(black_box(&text)) {
            bytes += w.folded.len();
        }
        black_box(bytes);
    });
    println!(
        "fold::words:     {:.1} ns per word",
        words_ns / word_count as f64
    );
    if words_only {
        return;
    }
    let fold_ns = best_round_ns(|| {
        let mut bytes = 0;
        for w in black_box(&raw_words) {
            bytes += fold::fold_word(w).len();
        }
        black_box(bytes);
    });
    println!(
        "fold::fold_word: {:.1} ns per word",
        fold_ns / word_count as f64
    );
    let segment_ns = best_round_ns(|| {
        let mut count = 0;
        for w in unicode_segmentation::UnicodeSegmentation::unicode_word_indices(black_box(
            text.as_str(),
        )) {
            count += w.1.len();
        }
        black_box(count);
    });
    println!(
        "unicode_word_indices alone: {:.1} ns per word",
        segment_ns / word_count as f64
    );
}

/// The fastest of the rounds of `round` run in about a second, in nanoseconds.
fn best_round_ns(mut round: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut best = Duration::MAX;
    while started.elapsed() < Duration::from_secs(1) {
        let t = Instant::now();
        round();
        best = best.min(t.elapsed());
    }
    best.as_nanos() as f64
}

/// The `"text"` fields of a Telethon JSON dump (one a line), with `\n`, `\"` and `\\` unescaped.
fn json_texts(json: &str) -> String {
    let mut out = String::new();
    for line in json.lines() {
        let Some(rest) = line.trim_start().strip_prefix("\"text\": \"") else {
            continue;
        };
        let body = rest.trim_end().trim_end_matches(',').trim_end_matches('"');
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out.push_str("\n\n");
    }
    out
}
