//! The README's console examples, run and compared with what they show (as lychee and trycmd
//! test their READMEs): a README that promises an output the binary no longer prints fails here.
//!
//! How README.md is read:
//!
//! - Every ` ```console ` block is a session: each `$ tgscope ARGS` line is a command, and the
//!   lines after it, up to the next `$` line or the end of the block, are what the terminal shows
//!   (stdout and stderr interleaved, as a terminal shows them). Blank lines at the end of an output
//!   only separate the commands and are not compared.
//! - Arguments are split as a POSIX shell splits them (single quotes, double quotes, backslashes);
//!   `> FILE` sends stdout to `FILE` (so the block shows only stderr), as a shell would.
//! - Every block runs in a new temporary working directory holding a copy of `examples/` (so the
//!   examples' paths resolve exactly as written, and the default archive `./tgscope-archive`,
//!   `brics.jsonl` and `posts.csv` are written there, not into the checkout), the inputs of the
//!   bad-input example ([`BAD_INPUTS`]), and the archive the README's first command makes (the
//!   first ` ```sh ` block, `cargo run --release -p tgscope-cli -- ...`, run with the test's
//!   binary): the tour below it assumes that archive.
//! - A marker in an HTML comment on the line just before a block changes that (the comment is
//!   invisible on a rendered page):
//!   - `<!-- readme-test: new archive -->`: the block starts without an archive;
//!   - `<!-- readme-test: commands only -->`: the block shows commands without their output: each
//!     must succeed, and its output is not compared;
//!   - `<!-- readme-test: skip: REASON -->`: the block is not run (it needs the network or a
//!     running server); the reason is required and printed.
//!
//!   A block whose commands are not `tgscope` must be skipped.
//!
//! What is normalised, and only that: spaces at the end of a line (a table pads its last column;
//! a terminal does not show them and a README does not keep them), and a time `YYYY-MM-DDTHH:MM:SSZ` printed by a command that
//! falls between the block's start and the end of the command (an ingest time, which changes on
//! every run) is compared as "some time" with the time the README shows at the same place. Paths,
//! hashes, ids, counts and dates are compared as they are: the working directory is the same
//! shape for every run, the bundled examples have fixed bytes, and a fresh archive numbers its
//! rows from 1.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, NaiveDateTime, Utc};

/// The inputs the README's bad-input example names (besides `missing.txt`, which must not exist),
/// written into every block's working directory: an empty file, Latin-1 text (`café`, the `é` at
/// byte 3 is not UTF-8), a file with a NUL byte at byte 2, and JSON that is no capture.
const BAD_INPUTS: &[(&str, &[u8])] = &[
    ("empty.txt", b""),
    ("latin1.txt", b"caf\xe9\n"),
    ("bin.dat", b"ab\0cd"),
    ("x.json", b"{\"a\": 1}\n"),
];

/// The placeholder a time made during the run becomes (as long as a time, so columns align).
const RUN_TIME: &str = "<time of the run>...";
const _: () = assert!(RUN_TIME.len() == "2024-03-12T10:00:00Z".len());

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a marker comment asks for.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Run from the first command's archive, compare output.
    Compare,
    /// Run without an archive, compare output.
    NewArchive,
    /// Run from the first command's archive; every command must succeed; no output compared.
    CommandsOnly,
    /// Not run, for this reason.
    Skip(String),
}

/// One `$ ...` line with the output shown under it.
#[derive(Debug)]
struct Example {
    /// The README line of the command (1-based).
    line: usize,
    /// The command as written, without `$ `.
    command: String,
    /// The output shown, trailing blank lines removed.
    expected: Vec<String>,
}

/// One ` ```console ` block.
#[derive(Debug)]
struct Block {
    /// The README line of the opening fence (1-based).
    line: usize,
    /// What its marker asks for.
    mode: Mode,
    /// Its commands.
    examples: Vec<Example>,
}

/// The README's console blocks and its first ` ```sh ` block's lines.
fn parse_readme(text: &str) -> (Vec<String>, Vec<Block>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut first_sh: Option<Vec<String>> = None;
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_end();
        let Some(info) = fence.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_end().starts_with("```") {
            body.push(lines[i]);
            i += 1;
        }
        i += 1; // the closing fence
        match info.trim() {
            "sh" if first_sh.is_none() => {
                first_sh = Some(body.iter().map(|l| l.to_string()).collect());
            }
            "console" => {
                let marker = start
                    .checked_sub(1)
                    .map(|p| lines[p].trim())
                    .and_then(|l| l.strip_prefix("<!-- readme-test:"))
                    .and_then(|l| l.strip_suffix("-->"))
                    .map(str::trim);
                let mode = match marker {
                    None => Mode::Compare,
                    Some("new archive") => Mode::NewArchive,
                    Some("commands only") => Mode::CommandsOnly,
                    Some(m) => match m.strip_prefix("skip:").map(str::trim) {
                        Some(reason) if !reason.is_empty() => Mode::Skip(reason.to_string()),
                        _ => panic!(
                            "README.md line {start}: unknown marker {m:?} (skip needs a reason: \
                             `skip: REASON`)"
                        ),
                    },
                };
                let mut examples: Vec<Example> = Vec::new();
                for (k, l) in body.iter().enumerate() {
                    if let Some(command) = l.strip_prefix("$ ") {
                        examples.push(Example {
                            line: start + 2 + k,
                            command: command.trim().to_string(),
                            expected: Vec::new(),
                        });
                    } else if let Some(example) = examples.last_mut() {
                        example.expected.push(l.to_string());
                    } else {
                        panic!(
                            "README.md line {}: a console block must start with a `$ ` command",
                            start + 2 + k
                        );
                    }
                }
                for e in &mut examples {
                    while e.expected.last().is_some_and(|l| l.trim().is_empty()) {
                        e.expected.pop();
                    }
                }
                blocks.push(Block {
                    line: start + 1,
                    mode,
                    examples,
                });
            }
            _ => {}
        }
    }
    (first_sh.expect("README.md has a ```sh block"), blocks)
}

/// Splits a command line as a POSIX shell does (quotes and backslashes; no variables, globs or
/// pipes: a README example that needs them fails here).
fn split_words(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("an unclosed ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("an unclosed \" quote".into()),
                        },
                        Some('$' | '`') => return Err("a shell expansion in \"...\"".into()),
                        Some(c) => word.push(c),
                        None => return Err("an unclosed \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or("a backslash at the end")?);
            }
            '|' | '&' | ';' | '<' | '$' | '`' | '*' | '?' => {
                return Err(format!(
                    "the shell syntax {c:?} (not supported by this test)"
                ));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A `tgscope` command: its arguments, and the file its stdout is redirected to.
struct Invocation {
    args: Vec<OsString>,
    stdout_to: Option<String>,
}

/// Parses `tgscope ARGS [> FILE]`.
fn invocation(command: &str) -> Result<Invocation, String> {
    let mut words = split_words(command)?.into_iter();
    match words.next().as_deref() {
        Some("tgscope") => {}
        other => {
            return Err(format!(
                "runs {other:?}, not tgscope: mark the block `<!-- readme-test: skip: REASON -->`"
            ));
        }
    }
    let mut args = Vec::new();
    let mut stdout_to = None;
    while let Some(w) = words.next() {
        if w == ">" {
            stdout_to = Some(words.next().ok_or("`>` without a file")?);
        } else if let Some(file) = w.strip_prefix('>') {
            stdout_to = Some(file.to_string());
        } else {
            args.push(OsString::from(w));
        }
    }
    Ok(Invocation { args, stdout_to })
}

/// What a run printed and how it ended.
struct Ran {
    /// Stdout and stderr, interleaved as a terminal shows them.
    output: String,
    /// Whether it exited with 0.
    success: bool,
    /// The exit code.
    code: Option<i32>,
}

/// Runs the binary in `dir` with a clean environment, stdout and stderr written to one file (so
/// they interleave as on a terminal), stdout to `stdout_to` instead when given.
fn run(dir: &Path, args: &[OsString], stdout_to: Option<&str>) -> Ran {
    let log = dir.join(".readme-test-output");
    let both = File::create(&log).expect("output file");
    let stdout = match stdout_to {
        Some(file) => File::create(dir.join(file)).expect("redirect target"),
        None => both.try_clone().expect("output file"),
    };
    let status = Command::new(assert_cmd::cargo::cargo_bin("tgscope"))
        .args(args)
        .current_dir(dir)
        .env_remove("TGSCOPE_ARCHIVE")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(both)
        .status()
        .expect("tgscope runs");
    let output = fs::read_to_string(&log).expect("output is UTF-8");
    fs::remove_file(&log).expect("output file removed");
    Ran {
        output,
        success: status.success(),
        code: status.code(),
    }
}

/// Copies a folder recursively.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("folder");
    for entry in fs::read_dir(from).expect("folder is readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("file copied");
        }
    }
}

/// The `tgscope` arguments of the README's first command: every `cargo run --release -p
/// tgscope-cli -- ARGS` joined by `&&` in the first ```sh block.
fn first_command(sh: &[String]) -> Vec<Vec<OsString>> {
    let line = sh.join(" ");
    line.split("&&")
        .map(|part| {
            let part = part.trim();
            let args = part
                .strip_prefix("cargo run --release -p tgscope-cli -- ")
                .unwrap_or_else(|| {
                    panic!("README.md's first command is not `cargo run ... -- ARGS`: {part}")
                });
            split_words(args)
                .unwrap_or_else(|e| panic!("README.md's first command: {e}"))
                .into_iter()
                .map(OsString::from)
                .collect()
        })
        .collect()
}

/// A new working directory for a block: `examples/`, the bad inputs, and (unless `new_archive`)
/// the archive the first command makes.
fn workdir(first: &[Vec<OsString>], new_archive: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_dir(&root().join("examples"), &dir.path().join("examples"));
    for (name, bytes) in BAD_INPUTS {
        fs::write(dir.path().join(name), bytes).expect("input written");
    }
    if !new_archive {
        for args in first {
            let ran = run(dir.path(), args, None);
            assert!(
                ran.success,
                "README.md's first command `tgscope {args:?}` failed ({:?}):\n{}",
                ran.code, ran.output
            );
        }
    }
    dir
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` at the start of `s`.
fn time_at(s: &str) -> Option<DateTime<Utc>> {
    let candidate = s.get(..20)?;
    NaiveDateTime::parse_from_str(candidate, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Replaces the times of `actual` made during the run (between `since` and `until`) with
/// [`RUN_TIME`], and the time `expected` shows at the same place with it too. Returns both
/// normalised.
fn normalise_times(
    expected: &str,
    actual: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> (String, String) {
    let mut actual_out = String::new();
    let mut expected_out = String::new();
    let expected_lines: Vec<&str> = expected.lines().collect();
    for (n, line) in actual.lines().enumerate() {
        let shown = expected_lines.get(n).copied().unwrap_or("");
        let mut a = String::new();
        let mut e = shown.to_string();
        let mut k = 0;
        while k < line.len() {
            if line.is_char_boundary(k)
                && let Some(t) = time_at(&line[k..])
                && t >= since
                && t <= until
            {
                a.push_str(RUN_TIME);
                if e.is_char_boundary(k)
                    && e.get(k..).and_then(time_at).is_some()
                    && e.is_char_boundary(k + 20)
                {
                    e.replace_range(k..k + 20, RUN_TIME);
                }
                k += 20;
                continue;
            }
            let c = line[k..].chars().next().expect("a char");
            a.push(c);
            k += c.len_utf8();
        }
        actual_out.push_str(&a);
        actual_out.push('\n');
        if n < expected_lines.len() {
            expected_out.push_str(&e);
            expected_out.push('\n');
        }
    }
    for line in expected_lines.iter().skip(actual.lines().count()) {
        expected_out.push_str(line);
        expected_out.push('\n');
    }
    (expected_out, actual_out)
}

/// The text without spaces at the ends of its lines and without blank lines at its end: a table's
/// last column is padded with spaces that a terminal does not show and a README does not keep.
fn trim_line_ends(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end_matches('\n').to_string()
}

/// A readable difference: the lines that differ, numbered.
fn difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for n in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(n), a.get(n));
        if x != y {
            out.push_str(&format!(
                "  line {}:\n    README: {}\n    binary: {}\n",
                n + 1,
                x.copied().unwrap_or("<nothing>"),
                y.copied().unwrap_or("<nothing>")
            ));
        }
    }
    out
}

#[test]
fn readme_console_examples_print_what_they_show() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
    let (sh, blocks) = parse_readme(&readme);
    let first = first_command(&sh);
    assert!(
        first
            .first()
            .is_some_and(|args| args.first().is_some_and(|a| a == "ingest")),
        "README.md's first command ingests the example: {first:?}"
    );

    let mut failures = Vec::new();
    let mut compared = 0;
    let mut ran_only = 0;
    for block in &blocks {
        if let Mode::Skip(reason) = &block.mode {
            eprintln!(
                "README.md line {}: console block not run: {reason}",
                block.line
            );
            continue;
        }
        assert!(
            !block.examples.is_empty(),
            "README.md line {}: a console block without commands",
            block.line
        );
        let since = Utc::now() - chrono::Duration::seconds(1);
        let dir = workdir(&first, block.mode == Mode::NewArchive);
        for example in &block.examples {
            let call = invocation(&example.command)
                .unwrap_or_else(|e| panic!("README.md line {}: {e}", example.line));
            let ran = run(dir.path(), &call.args, call.stdout_to.as_deref());
            let until = Utc::now() + chrono::Duration::seconds(1);
            if block.mode == Mode::CommandsOnly {
                ran_only += 1;
                if !ran.success {
                    failures.push(format!(
                        "README.md line {}: `$ {}` exited with {:?}:\n{}",
                        example.line, example.command, ran.code, ran.output
                    ));
                }
                continue;
            }
            compared += 1;
            let shown = trim_line_ends(&example.expected.join("\n"));
            let printed = trim_line_ends(&ran.output);
            let (shown, printed) = normalise_times(&shown, &printed, since, until);
            if shown != printed {
                failures.push(format!(
                    "README.md line {}: `$ {}` (exit code {:?}) prints something else:\n{}\
                     --- the whole output:\n{printed}",
                    example.line,
                    example.command,
                    ran.code,
                    difference(&shown, &printed)
                ));
            }
        }
    }
    // A parser that found nothing would pass without testing anything.
    assert!(
        compared >= 10 && ran_only >= 1,
        "only {compared} README examples compared and {ran_only} run: is README.md parsed?"
    );
    assert!(
        failures.is_empty(),
        "{} README example(s) do not match the binary:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shell_words_split_as_a_shell_splits_them() {
    assert_eq!(
        split_words(r#"search 'Россия "коллективный Запад"' --from "мид \"x\"" a\ b"#).unwrap(),
        [
            "search",
            "Россия \"коллективный Запад\"",
            "--from",
            "мид \"x\"",
            "a b"
        ]
    );
    assert!(split_words("posts | head").is_err());
    assert!(split_words("search 'open").is_err());
    let call = invocation("tgscope export --format jsonl > out.jsonl").unwrap();
    assert_eq!(call.args, ["export", "--format", "jsonl"]);
    assert_eq!(call.stdout_to.as_deref(), Some("out.jsonl"));
    assert!(invocation("curl -s http://127.0.0.1:8080/").is_err());
}

#[test]
fn only_times_of_the_run_are_normalised() {
    let since = "2026-01-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let until = "2026-01-01T10:00:05Z".parse::<DateTime<Utc>>().unwrap();
    // An ingest time made during the run matches whatever time the README shows there...
    let (e, a) = normalise_times(
        "1  2024-11-28T01:28:11Z  a.txt",
        "1  2026-01-01T10:00:03Z  a.txt",
        since,
        until,
    );
    assert_eq!(e, a);
    // ...but not a different path beside it, nor a time that does not change per run.
    let (e, a) = normalise_times(
        "1  2024-11-28T01:28:11Z  a.txt",
        "1  2026-01-01T10:00:03Z  b.txt",
        since,
        until,
    );
    assert_ne!(e, a);
    let (e, a) = normalise_times(
        "date: 2023-02-28T07:47:53Z",
        "date: 2023-02-28T07:47:54Z",
        since,
        until,
    );
    assert_ne!(e, a);
}
