//! Unit tests of the plain-text reader on small captures written inline.

use super::*;

fn read(text: &str) -> Vec<CapturedPost> {
    TextReader::new(text.as_bytes(), TextOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .expect("reads")
}

#[test]
fn forwarded_posts_with_repeats_come_out_once() {
    let posts = read(
        "Forwarded from Russian MFA 🇷🇺\n\
         Media is too big\n\
         VIEW IN TELEGRAM\n\
         🎙 Title of the address (Moscow, April 29, 2023)\n\
         Key talking points:\n\
         🌐 Point one.\n\
         Key talking points:\n\
         🌐 Point one.\n\
         Forwarded from Russian MFA 🇷🇺\n\
         Second post\n",
    );
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].text,
        "🎙 Title of the address (Moscow, April 29, 2023)\nKey talking points:\n🌐 Point one."
    );
    assert_eq!(
        posts[0].forward.as_ref().and_then(|f| f.title.as_deref()),
        Some("Russian MFA 🇷🇺")
    );
    assert_eq!(posts[0].media.len(), 1);
    assert_eq!(posts[0].media[0].placeholder, Some(Placeholder::TooBig));
    let date = posts[0].date_inferred.as_ref().expect("dated");
    assert_eq!(date.date, "2023-04-29");
    assert_eq!(date.basis, DateBasis::TextDate);
    assert_eq!(posts[0].location.line_start, 1);
    assert_eq!(posts[0].location.line_end, 8);
    assert_eq!(posts[1].text, "Second post");
    assert_eq!(posts[1].location.line_start, 9);
}

#[test]
fn an_original_post_after_a_repeat_is_its_own_post() {
    let posts = read(
        "Forwarded from Russian MFA 🇷🇺\n\
         🇷🇺🇨🇳 On January 10, the ministers spoke.\n\
         They agreed.\n\
         Read in full\n\
         They agreed.\n\
         Read in full\n\
         ✍️ Deputy Minister in an interview (February 5, 2024):\n\
         💬 Cooperation with #BRICS.\n\
         READ IN FULL\n\
         💬 Cooperation with #BRICS.\n\
         READ IN FULL\n",
    );
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert!(posts[0].forward.is_some());
    assert!(posts[1].forward.is_none());
    assert_eq!(
        posts[0].text,
        "🇷🇺🇨🇳 On January 10, the ministers spoke.\nThey agreed."
    );
    assert_eq!(posts[0].links.len(), 1);
    assert_eq!(posts[0].links[0].url, None);
    assert_eq!(posts[0].links[0].label, "Read in full");
    let codes: Vec<&str> = posts[0].countries.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["RU", "CN"]);
    // Only the later post is dated, so the year comes from it.
    let d0 = posts[0]
        .date_inferred
        .as_ref()
        .expect("year from neighbour");
    assert_eq!(d0.date, "2024-01-10");
    assert_eq!(d0.basis, DateBasis::TextDayMonthNeighbourYear);
    assert_eq!(
        posts[1].date_inferred.as_ref().map(|d| d.date.as_str()),
        Some("2024-02-05")
    );
    assert_eq!(posts[1].hashtags[0].value, "BRICS");
}

#[test]
fn an_unviewable_post_is_kept_as_such() {
    let posts = read(
        "Forwarded from A\n\
         Text of a\n\
         Please open Telegram to view this post\n\
         VIEW IN TELEGRAM\n\
         Forwarded from B\n\
         Text of b\n",
    );
    assert_eq!(posts.len(), 3, "{posts:#?}");
    assert!(posts[1].unviewable);
    assert_eq!(posts[1].text, "");
    assert_eq!(
        posts[1].media[0].placeholder,
        Some(Placeholder::OpenInTelegram)
    );
    assert!(posts[1].forward.is_none());
    assert!(!posts[0].unviewable && !posts[2].unviewable);
}

#[test]
fn lines_that_occur_twice_in_a_post_stay() {
    let posts = read(
        "Forwarded from A\n\
         Title\n\
         First.\n\
         <...>\n\
         Second.\n\
         <...>\n\
         Third.\n",
    );
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].text,
        "Title\nFirst.\n<...>\nSecond.\n<...>\nThird."
    );
}

#[test]
fn web_view_footers_end_posts_and_give_views() {
    let posts = read(
        "February 27\n\
         Channel post one #tag\n\
         214.4K views\n\
         07:20\n\
         Channel post two\n\
         1.2M views edited 08:00\n",
    );
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0].text, "Channel post one #tag");
    assert_eq!(posts[0].views, Some(214_400));
    assert_eq!(posts[0].edited, Some(false));
    assert_eq!(posts[1].views, Some(1_200_000));
    assert_eq!(posts[1].edited, Some(true));
    // "February 27" gives a day without a year and no post is dated: never invent one.
    assert_eq!(posts[0].date_inferred, None);
}

#[test]
fn a_day_separator_with_neighbours_gives_a_date() {
    let posts = read(
        "Post (Moscow, December 30, 2023)\n\
         10 views\n\
         January 2\n\
         A post with no date in its text\n\
         12 views\n\
         Last post (Moscow, January 5, 2024)\n\
         3 views\n",
    );
    assert_eq!(posts.len(), 3, "{posts:#?}");
    let d = posts[1].date_inferred.as_ref().expect("separator date");
    assert_eq!(d.date, "2024-01-02");
    assert_eq!(d.basis, DateBasis::DaySeparator);
}

#[test]
fn desktop_copies_are_read_message_by_message() {
    let posts = read(
        "Russian MFA 🇷🇺, [25/06/2022 07:25]\n\
         [Forwarded from МИД России]\n\
         [ Photo ]\n\
         Текст сообщения #МИД\n\
         \n\
         Вторая строка\n\
         \n\
         Russian MFA 🇷🇺, [26/06/2022 19:05]\n\
         Second message\n",
    );
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0].author.as_deref(), Some("Russian MFA 🇷🇺"));
    assert_eq!(
        posts[0].forward.as_ref().and_then(|f| f.title.as_deref()),
        Some("МИД России")
    );
    assert_eq!(posts[0].media[0].kind, MediaKind::Photo);
    assert_eq!(posts[0].text, "Текст сообщения #МИД\n\nВторая строка");
    assert_eq!(posts[0].hashtags[0].value, "МИД");
    let d = posts[0].date_inferred.as_ref().expect("header date");
    assert_eq!(d.date, "2022-06-25T07:25");
    assert_eq!(d.basis, DateBasis::DesktopCopyHeader);
    assert_eq!(
        posts[0].date, None,
        "local time without an offset is not observed"
    );
    assert_eq!(posts[1].text, "Second message");
}

#[test]
fn a_desktop_copy_with_a_known_offset_gives_observed_times() {
    let options = TextOptions {
        desktop_utc_offset: FixedOffset::east_opt(3 * 3600),
    };
    let posts: Vec<_> = TextReader::new("MFA, [25.06.2022 07:25]\nText\n".as_bytes(), options)
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(posts[0].date.as_deref(), Some("2022-06-25T04:25:00Z"));
    assert_eq!(posts[0].date_inferred, None);
}

#[test]
fn raw_text_keeps_every_line_of_the_capture() {
    let capture = "Forwarded from A\nMedia is too big\nBody  line\nBody  line\n";
    let posts = read(capture);
    assert_eq!(posts[0].raw_text, capture.trim_end());
    assert_eq!(posts[0].text, "Body line");
    assert_eq!(posts[0].location.byte_start, 0);
    assert_eq!(posts[0].location.byte_end, capture.len() as u64 - 1);
}

#[test]
fn bad_bytes_are_errors_with_a_place() {
    let mut reader = TextReader::new(&b"ok line\nbad \xff\n"[..], TextOptions::default());
    let err = reader
        .find_map(|r| r.err())
        .expect("an error for invalid UTF-8");
    assert!(
        matches!(err, ReadError::InvalidUtf8 { line: 2, byte: 12 }),
        "{err}"
    );
}

#[test]
fn a_separator_without_a_year_takes_it_from_the_posts_own_date() {
    let posts = read(
        "March 12\n\
         Statement (Moscow, March 12, 2024)\n\
         15 views\n\
         10:00\n",
    );
    let d = posts[0].date_inferred.as_ref().expect("dated");
    assert_eq!(d.date, "2024-03-12");
    assert_eq!(d.basis, DateBasis::DaySeparator);
}

#[test]
fn web_labels_inside_a_desktop_message_are_its_text() {
    let posts = read(
        "MFA, [25.06.2022 07:25]\n\
         The briefing starts at\n\
         10:30\n\
         March 12\n\
         Read in full\n\
         \n\
         MFA, [25.06.2022 08:00]\n\
         Next\n",
    );
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0].text, "The briefing starts at\n10:30\nMarch 12");
    assert_eq!(posts[0].links[0].label, "Read in full");
    assert_eq!(posts[0].links[0].url, None);
    assert_eq!(posts[1].author.as_deref(), Some("MFA"));
}
