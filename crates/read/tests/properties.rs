//! Property tests of the plain-text reader against a simple reference: captures rendered from
//! known posts (with forward headers, placeholders, lost links and the web view's repeated
//! bodies) read back to exactly those posts; reading is idempotent; spans stay on char
//! boundaries; no input makes the reader panic. And detection: any text saved as UTF-16 or
//! UTF-32 is named as such, never taken for binary data or read.

use proptest::prelude::*;
use tgscope_model::CapturedPost;
use tgscope_read::DetectError;
use tgscope_read::detect::{ContentScan, detect};
use tgscope_read::text::{TextOptions, TextReader};

fn read(text: &str) -> Vec<CapturedPost> {
    TextReader::new(text.as_bytes(), TextOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .expect("valid UTF-8 reads")
}

/// Words of post lines: Latin, Cyrillic, emoji, tags, mentions, flags.
const WORDS: &[&str] = &[
    "minister",
    "talks",
    "partners",
    "cooperation",
    "Россия",
    "сотрудничество",
    "переговоры",
    "#BRICS",
    "#СНГ",
    "@MFARussia",
    "🇷🇺",
    "🇨🇳🇮🇳",
    "💬",
    "—",
    "«мир»",
    "2024",
    "(Moscow)",
    "ёлка",
    "https://mid.ru/en/1/",
    "e\u{301}",
    "🤝",
];

/// One post: its body lines (each unique within the post, except a "<...>" ellipsis line that
/// may occur several times between other lines), and how the capture shows it.
#[derive(Debug, Clone)]
struct GenPost {
    lines: Vec<String>,
    forwarded: bool,
    too_big: bool,
    lost_link: bool,
    /// 0: no repeat; 1: body repeated whole; 2: repeated without its first line.
    repeat: u8,
}

fn line_strategy(index: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..6)
        .prop_map(move |words| format!("{} n{index}", words.join(" ")))
}

fn post_strategy() -> impl Strategy<Value = GenPost> {
    (1usize..6)
        .prop_flat_map(|n| {
            (
                (0..n).map(line_strategy).collect::<Vec<_>>(),
                prop::collection::vec(any::<bool>(), n),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                0u8..3,
            )
        })
        .prop_map(|(lines, ellipses, forwarded, too_big, lost_link, repeat)| {
            // An ellipsis line may follow any line but the last, never next to another.
            let mut with = Vec::new();
            let count = lines.len();
            for (i, (line, e)) in lines.into_iter().zip(ellipses).enumerate() {
                with.push(line);
                if e && i + 1 < count {
                    with.push("<...>".to_string());
                }
            }
            GenPost {
                lines: with,
                forwarded,
                too_big,
                lost_link,
                repeat,
            }
        })
}

/// Renders posts as a web-view text copy. Every post but the first is forwarded when it follows
/// a post without a repeat (a post boundary must be visible somewhere in the capture).
fn render(posts: &[GenPost]) -> (String, Vec<GenPost>) {
    let mut out = String::new();
    let mut shown = Vec::new();
    let mut boundary_visible = true;
    for (index, p) in posts.iter().enumerate() {
        let mut p = p.clone();
        // Lines of different posts differ (as in real captures), except the ellipsis.
        for line in p.lines.iter_mut().filter(|l| *l != "<...>") {
            line.push_str(&format!(" p{index}"));
        }
        if !boundary_visible {
            p.forwarded = true;
        }
        // A repeat without its first line needs a body of two lines or more.
        if p.repeat == 2 && p.lines.len() < 2 {
            p.repeat = 1;
        }
        if p.forwarded {
            out.push_str("Forwarded from Russian MFA 🇷🇺\n");
        }
        if p.too_big {
            out.push_str("Media is too big\nVIEW IN TELEGRAM\n");
        }
        let mut body = p.lines.clone();
        if p.lost_link {
            body.push("📖 Read in full".to_string());
        }
        for l in &body {
            out.push_str(l);
            out.push('\n');
        }
        match p.repeat {
            1 => body.iter().for_each(|l| {
                out.push_str(l);
                out.push('\n');
            }),
            2 => body[1..].iter().for_each(|l| {
                out.push_str(l);
                out.push('\n');
            }),
            _ => {}
        }
        boundary_visible = p.repeat != 0;
        shown.push(p);
    }
    (out, shown)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reads_back_the_posts_a_capture_was_made_of(posts in prop::collection::vec(post_strategy(), 1..6)) {
        let (capture, shown) = render(&posts);
        let read = read(&capture);
        prop_assert_eq!(read.len(), shown.len(), "capture:\n{}", capture);
        for (got, want) in read.iter().zip(&shown) {
            let want_text = tgscope_text::normalize::clean_text(&want.lines.join("\n"));
            prop_assert_eq!(&got.text, &want_text, "capture:\n{}", capture);
            prop_assert_eq!(got.forward.is_some(), want.forwarded);
            prop_assert_eq!(got.media.len(), usize::from(want.too_big));
            prop_assert_eq!(
                got.links.iter().filter(|l| l.url.is_none()).count(),
                usize::from(want.lost_link)
            );
        }
    }

    #[test]
    fn reading_is_idempotent(posts in prop::collection::vec(post_strategy(), 1..6)) {
        let (capture, _) = render(&posts);
        let first = read(&capture);
        // Render what was read as a capture of its own and read it again.
        let again: String = first
            .iter()
            .map(|p| format!("Forwarded from X\n{}\n", p.text))
            .collect();
        let second = read(&again);
        let texts = |ps: &[CapturedPost]| ps.iter().map(|p| p.text.clone()).collect::<Vec<_>>();
        prop_assert_eq!(texts(&first), texts(&second));
    }

    #[test]
    fn spans_lie_on_char_boundaries_inside_the_text(text in "\\PC{0,200}(\n\\PC{0,80}){0,12}") {
        for post in read(&text) {
            let spans = post
                .hashtags
                .iter()
                .chain(&post.mentions)
                .map(|t| t.span)
                .chain(post.countries.iter().map(|c| c.span))
                .chain(post.links.iter().filter_map(|l| l.span));
            for s in spans {
                prop_assert!(s.start < s.end);
                prop_assert!(post.text.get(s.start..s.end).is_some(), "{:?} in {:?}", s, post.text);
            }
            let loc = post.location;
            prop_assert!(loc.byte_start <= loc.byte_end && loc.byte_end <= text.len() as u64);
            prop_assert!(text.is_char_boundary(loc.byte_start as usize));
            prop_assert!(text.is_char_boundary(loc.byte_end as usize));
        }
    }

    #[test]
    fn no_bytes_make_the_reader_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        // Errors are fine; panics are not.
        let _ = TextReader::new(&bytes[..], TextOptions::default()).count();
    }

    #[test]
    fn any_text_in_utf16_or_utf32_is_named(
        lines in prop::collection::vec("[^\\p{C}]{0,40}", 1..8),
        wide in prop::sample::select(vec![(2usize, true), (2, false), (4, true), (4, false)]),
        bom in any::<bool>(),
        chunk in 1usize..100,
    ) {
        let (unit, le) = wide;
        // ASCII spaces and line breaks, as in any capture.
        let mut text = lines.join(" \n");
        text.push('\n');
        if bom {
            text.insert(0, '\u{feff}');
        }
        let units: Vec<u32> = if unit == 2 {
            text.encode_utf16().map(u32::from).collect()
        } else {
            text.chars().map(u32::from).collect()
        };
        let mut bytes = Vec::new();
        for u in units {
            let mut b = u.to_be_bytes()[4 - unit..].to_vec();
            if le {
                b.reverse();
            }
            bytes.extend(b);
        }
        let mut scan = ContentScan::new();
        for c in bytes.chunks(chunk) {
            scan.feed(c);
        }
        scan.finish();
        let expected = match (unit, le) {
            (2, true) => "UTF-16 LE",
            (2, false) => "UTF-16 BE",
            (_, true) => "UTF-32 LE",
            (_, false) => "UTF-32 BE",
        };
        let got = detect(&scan);
        // Without a mark, a text in a script without ASCII may have too few NULs to tell: then
        // it is never read, only refused.
        match &got {
            Err(DetectError::WideText { encoding, bom: marked, .. }) => {
                prop_assert_eq!(encoding.as_str(), expected);
                prop_assert_eq!(*marked, bom);
            }
            other => {
                prop_assert!(!bom, "{:?}", other);
                prop_assert!(other.is_err(), "{:?}", other);
            }
        }
    }
}
