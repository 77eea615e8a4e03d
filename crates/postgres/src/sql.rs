//! A migration's SQL split into its statements, so that a failure names the statement and its
//! line.

/// One statement of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    /// Its text, from its first word to its end, without the closing `;`.
    pub text: &'a str,
    /// The line (1-based) of the script it starts on.
    pub line: usize,
}

impl Statement<'_> {
    /// Its first line, for messages.
    pub fn head(&self) -> &str {
        self.text.lines().next().unwrap_or_default().trim_end()
    }
}

/// The statements of a script, in order: split at each `;` outside comments (`--`, nested
/// `/* */`), string literals (`'...'`, `E'...'` with backslash escapes), quoted identifiers
/// (`"..."`) and dollar-quoted bodies (`$$...$$`, `$tag$...$tag$`). Comments and blank space
/// between statements belong to none.
pub fn statements(script: &str) -> Vec<Statement<'_>> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    let statement = |from: usize, to: usize| Statement {
        text: script[from..to].trim_end(),
        line: 1 + script[..from].bytes().filter(|&c| c == b'\n').count(),
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |n| i + n + 1);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(b, i);
                continue;
            }
            b';' => {
                if let Some(from) = start.take() {
                    out.push(statement(from, i));
                }
                i += 1;
                continue;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => {}
        }
        start.get_or_insert(i);
        i = match c {
            b'\'' => {
                let escapes =
                    i > 0 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !is_word(b[i - 2]));
                skip_quoted(b, i, b'\'', escapes)
            }
            b'"' => skip_quoted(b, i, b'"', false),
            b'$' if i == 0 || !is_word(b[i - 1]) => skip_dollar_quoted(b, i),
            _ => i + 1,
        };
    }
    if let Some(from) = start {
        out.push(statement(from, b.len()));
    }
    out
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Past a `/* */` comment starting at `i` (PostgreSQL's nest).
fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Past a literal opened by `quote` at `i`; a doubled quote stands for itself, and with
/// `escapes` a backslash escapes the next byte.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8, escapes: bool) -> usize {
    i += 1;
    while i < b.len() {
        if escapes && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Past a dollar-quoted body whose opening tag starts at `i`, or one byte on when `$` opens no
/// tag there (`$1`, say).
fn skip_dollar_quoted(b: &[u8], i: usize) -> usize {
    let tag_len = b[i + 1..]
        .iter()
        .position(|&c| c == b'$')
        .filter(|&n| {
            let tag = &b[i + 1..i + 1 + n];
            tag.first().is_none_or(|c| !c.is_ascii_digit())
                && tag
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        })
        .map(|n| n + 2);
    let Some(tag_len) = tag_len else {
        return i + 1;
    };
    let tag = &b[i..i + tag_len];
    let body = i + tag_len;
    b[body..]
        .windows(tag_len)
        .position(|w| w == tag)
        .map_or(b.len(), |n| body + n + tag_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<(&str, usize)> {
        statements(script)
            .into_iter()
            .map(|s| (s.text, s.line))
            .collect()
    }

    #[test]
    fn splits_at_semicolons_and_gives_lines() {
        assert_eq!(
            texts("CREATE TABLE a (x int);\n\nCREATE TABLE b (y int);\n"),
            vec![("CREATE TABLE a (x int)", 1), ("CREATE TABLE b (y int)", 3)]
        );
    }

    #[test]
    fn comments_and_blank_space_belong_to_no_statement() {
        let script = "-- a comment; with a semicolon\n/* a block; /* nested; */ still; */\n\
                      SELECT 1; -- after\n  \n-- only a comment at the end\n";
        assert_eq!(texts(script), vec![("SELECT 1", 3)]);
    }

    #[test]
    fn semicolons_inside_literals_do_not_split() {
        let script = "INSERT INTO t VALUES ('a;b', 'it''s;', E'back\\';slash');\n\
                      SELECT \"odd;name\" FROM t;\n\
                      DO $$ BEGIN PERFORM 1; END $$;\n\
                      DO $body$ BEGIN PERFORM '$$;'; END $body$;\n\
                      SELECT $1";
        let got = texts(script);
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(
            got[0].0,
            "INSERT INTO t VALUES ('a;b', 'it''s;', E'back\\';slash')"
        );
        assert_eq!(got[2].0, "DO $$ BEGIN PERFORM 1; END $$");
        assert_eq!(got[3].0, "DO $body$ BEGIN PERFORM '$$;'; END $body$");
        assert_eq!(got[4], ("SELECT $1", 5));
    }

    #[test]
    fn a_statement_without_its_semicolon_still_counts() {
        assert_eq!(texts("SELECT 1"), vec![("SELECT 1", 1)]);
        assert_eq!(texts("  ;; \n"), Vec::<(&str, usize)>::new());
    }

    #[test]
    fn the_migrations_split_into_whole_statements() {
        for m in crate::migrate::MIGRATIONS {
            for s in statements(m.sql) {
                assert!(
                    [
                        "CREATE ", "ALTER ", "UPDATE ", "SELECT ", "INSERT ", "DROP ", "DO ",
                    ]
                    .iter()
                    .any(|word| s.text.starts_with(word)),
                    "migration {} line {}: {}",
                    m.version,
                    s.line,
                    s.head()
                );
            }
        }
    }
}
