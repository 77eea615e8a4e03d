//! The plain-text capture reader: text copied or scraped from a channel's web view, and
//! Telegram Desktop's copy of selected messages.
//!
//! The capture is read line by line. Lines are grouped into segments at the lines that start a
//! post ("Forwarded from ...", a Desktop `Name, [date time]` header, a footer that ends one);
//! each segment is split into posts at the end of a repeated body (see [`repeat`]) and at
//! "Please open Telegram to view this post". Interface labels become what they mean (forward
//! source, media placeholders, view counts, lost links) and stay out of the clean text.
//! Dates are inferred from the opening lines of each post (or a day and month inside its first
//! sentence) and never invented; a day and month without a year take it from the nearest dated
//! posts around them (across undated posts, and including posts dated that way themselves), so
//! posts wait in a bounded buffer until the next dated post arrives.

pub mod labels;
pub mod repeat;

use std::collections::VecDeque;
use std::io::BufRead;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use tgscope_model::{
    CapturedPost, DateBasis, Forward, InferredDate, Link, Location, Media, MediaKind, Placeholder,
};
use tgscope_text::{dates, extract, normalize};

use crate::error::ReadError;
use labels::{DesktopHeader, Label, classify};

/// Longest line the reader accepts; longer ones mean the input is not a text capture.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How many lines a run without any post boundary may hold before it is read as posts anyway
/// (keeps memory bounded on captures that carry no markers at all).
const MAX_SEGMENT_LINES: usize = 50_000;

/// The same bound in bytes (long lines fill memory faster than many lines): the longest text a
/// post keeps, so that a capture without markers is read as posts of at most that size, none
/// of them cut, and the reader holds no more than that of it at a time.
const MAX_SEGMENT_BYTES: u64 = tgscope_model::MAX_POST_TEXT_BYTES as u64;

/// How many bytes of post text may wait for a later dated post (see [`MAX_WAITING_POSTS`]).
const MAX_WAITING_BYTES: usize = 64 << 20;

/// How many posts may wait for a later dated post before their years are settled from earlier
/// posts alone.
const MAX_WAITING_POSTS: usize = 10_000;

/// Options of the plain-text reader.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// The UTC offset of the clock that made a Telegram Desktop copy. With it, the times in
    /// `Name, [date time]` headers become observed UTC times; without it they stay inferred
    /// local times.
    pub desktop_utc_offset: Option<FixedOffset>,
}

/// One line of the capture.
#[derive(Debug, Clone)]
struct Line {
    /// 1-based line number.
    no: u64,
    /// Byte offsets of the line in the capture, line break excluded.
    start: u64,
    end: u64,
    /// The line as written, without its line break.
    raw: String,
    /// The line normalised for comparison and clean text (see [`normalize::line_key`]).
    text: String,
    /// What the line is, when it is an interface label.
    label: Option<Label>,
}

impl Line {
    fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// A post assembled from a segment, before its year is settled.
#[derive(Debug)]
struct Draft {
    post: CapturedPost,
    /// A day and month waiting for a year, with the evidence and basis.
    pending: Option<PendingDate>,
    /// The day this post is dated (a full date it gives, or a day and month whose year is
    /// settled), usable as a neighbour of the posts around it.
    day: Option<NaiveDate>,
}

#[derive(Debug)]
struct PendingDate {
    month: u32,
    day: u32,
    evidence: String,
    basis: DateBasis,
    /// Where the date was written, when that is worth saying (a date inside the first sentence
    /// rather than opening the post).
    note: Option<&'static str>,
}

/// Reads posts from a plain-text capture, in the order they appear.
pub struct TextReader<R> {
    source: R,
    options: TextOptions,
    next_line_no: u64,
    offset: u64,
    segment: Vec<Line>,
    /// A day separator seen before the current segment: the day of the posts under it.
    separator: Option<(u32, u32, Option<i32>, String)>,
    /// Whether Desktop headers write the day before the month (settled by the first header
    /// whose numbers decide it).
    day_first: Option<bool>,
    waiting: VecDeque<Draft>,
    /// Bytes of text held by `waiting`.
    waiting_bytes: usize,
    ready: VecDeque<CapturedPost>,
    /// The day of the last dated post that left `waiting`, and the line where that post starts:
    /// the nearest earlier neighbour of the first waiting post.
    released_day: Option<(NaiveDate, u64)>,
    /// The current segment ended with a footer and waits for the next post's first line.
    closing: bool,
    finished: bool,
    failed: bool,
}

impl<R: BufRead> TextReader<R> {
    /// A reader over `source`.
    pub fn new(source: R, options: TextOptions) -> TextReader<R> {
        TextReader {
            source,
            options,
            next_line_no: 1,
            offset: 0,
            segment: Vec::new(),
            separator: None,
            day_first: None,
            waiting: VecDeque::new(),
            waiting_bytes: 0,
            ready: VecDeque::new(),
            released_day: None,
            closing: false,
            finished: false,
            failed: false,
        }
    }

    /// Reads the next line, `None` at the end of the input.
    fn read_line(&mut self) -> Result<Option<Line>, ReadError> {
        let mut bytes = Vec::new();
        let start = self.offset;
        loop {
            let buf = self.source.fill_buf().map_err(|source| ReadError::Io {
                line: self.next_line_no,
                source,
            })?;
            if buf.is_empty() {
                break;
            }
            let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            if bytes.len() + chunk.len() > MAX_LINE_BYTES + 2 {
                return Err(ReadError::LineTooLong {
                    line: self.next_line_no,
                    byte: start,
                    limit: MAX_LINE_BYTES,
                });
            }
            bytes.extend_from_slice(chunk);
            let used = chunk.len();
            self.source.consume(used);
            if found {
                break;
            }
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        self.offset += bytes.len() as u64;
        let no = self.next_line_no;
        self.next_line_no += 1;
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        if let Some(i) = bytes.iter().position(|&b| b == 0) {
            return Err(ReadError::Binary {
                byte: start + i as u64,
            });
        }
        let end = start + bytes.len() as u64;
        let raw = String::from_utf8(bytes).map_err(|e| ReadError::InvalidUtf8 {
            line: no,
            byte: start + e.utf8_error().valid_up_to() as u64,
        })?;
        // Strip a byte-order mark on the first line.
        let raw = if no == 1 {
            raw.trim_start_matches('\u{feff}').to_string()
        } else {
            raw
        };
        let text = normalize::line_key(&raw);
        let label = classify(&text);
        Ok(Some(Line {
            no,
            start,
            end,
            raw,
            text,
            label,
        }))
    }

    /// Takes in one line: either it joins the current segment, or it closes the segment and
    /// starts the next.
    fn take_line(&mut self, line: Line) {
        if self.closing {
            // A footer was seen: more footer lines ("214.4K views", "edited 18:40") and blank
            // lines still belong to the post it ends; anything else starts the next one.
            if line.is_blank() || matches!(line.label, Some(Label::Footer { .. })) {
                self.segment.push(line);
                return;
            }
            self.closing = false;
            self.flush_segment();
        }
        if self.in_desktop_message() && !matches!(line.label, Some(Label::DesktopHeader(_))) {
            // Inside a Telegram Desktop message only the next header ends it: the web view's
            // footers, separators and headers mean nothing there.
            self.segment.push(line);
            return;
        }
        match &line.label {
            Some(Label::DesktopHeader(_)) => {
                self.flush_segment();
                self.segment.push(line);
            }
            Some(Label::ForwardedFrom {
                bracketed: false, ..
            }) => {
                self.flush_segment();
                self.segment.push(line);
            }
            Some(Label::ForwardedFrom {
                bracketed: true, ..
            }) if !self.in_desktop_message() => {
                self.flush_segment();
                self.segment.push(line);
            }
            Some(Label::Footer { .. }) if self.has_body() => {
                self.segment.push(line);
                self.closing = true;
            }
            Some(Label::DaySeparator { month, day, year }) if !self.has_body() => {
                self.separator = Some((*month, *day, *year, line.text.clone()));
                // The separator line itself belongs to no post.
            }
            _ => {
                // A capture without any post boundary: read it in bounded pieces, each ended
                // before the line that would take it past the bound.
                let over = self.segment.len() >= MAX_SEGMENT_LINES
                    || self
                        .segment
                        .first()
                        .is_some_and(|first| line.end - first.start > MAX_SEGMENT_BYTES);
                if over {
                    self.flush_segment();
                }
                self.segment.push(line);
            }
        }
    }

    fn in_desktop_message(&self) -> bool {
        matches!(
            self.segment.first().and_then(|l| l.label.as_ref()),
            Some(Label::DesktopHeader(_))
        )
    }

    fn has_body(&self) -> bool {
        self.segment
            .iter()
            .any(|l| !l.is_blank() && !matches!(l.label, Some(Label::DaySeparator { .. })))
    }

    /// Turns the current segment into posts.
    fn flush_segment(&mut self) {
        let mut lines = std::mem::take(&mut self.segment);
        // Day separators at the end of a segment belong to the posts after it.
        let mut trailing_separator = None;
        while let Some(last) = lines.last() {
            if last.is_blank() {
                lines.pop();
            } else if let Some(Label::DaySeparator { month, day, year }) = &last.label {
                if trailing_separator.is_none() {
                    trailing_separator = Some((*month, *day, *year, last.text.clone()));
                }
                lines.pop();
            } else {
                break;
            }
        }
        if lines.iter().any(|l| !l.is_blank()) {
            if self.in_desktop_segment(&lines) {
                let draft = self.desktop_post(&lines);
                self.push_draft(draft);
            } else {
                for draft in self.web_posts(&lines) {
                    self.push_draft(draft);
                }
            }
        }
        if trailing_separator.is_some() {
            self.separator = trailing_separator;
        }
    }

    fn in_desktop_segment(&self, lines: &[Line]) -> bool {
        matches!(
            lines.first().and_then(|l| l.label.as_ref()),
            Some(Label::DesktopHeader(_))
        )
    }

    /// One message of a Telegram Desktop copy: header, optional forward and reply lines, media
    /// lines, then the text as it is (Desktop copies do not repeat bodies).
    fn desktop_post(&mut self, lines: &[Line]) -> Draft {
        let Some(Label::DesktopHeader(header)) = lines[0].label.clone() else {
            unreachable!("in_desktop_segment checked the first line");
        };
        let mut post = CapturedPost {
            author: Some(header.name.clone()),
            ..CapturedPost::default()
        };
        let mut body = Vec::new();
        let mut lost = Vec::new();
        let mut in_prefix = true;
        for line in &lines[1..] {
            match (&line.label, in_prefix) {
                (Some(Label::ForwardedFrom { name, .. }), true) => {
                    post.forward = Some(forward_named(name));
                }
                (Some(Label::InReplyTo(_)), true) => {}
                (Some(Label::Media(kind, placeholder)), true) => {
                    post.media
                        .push(Media::placeholder(*kind, *placeholder, &line.text));
                }
                (Some(Label::LostLink(label)), _) => {
                    in_prefix = false;
                    lost.push(Link {
                        url: None,
                        label: label.clone(),
                        span: None,
                    });
                }
                _ => {
                    in_prefix = false;
                    body.push(line);
                }
            }
        }
        let text: Vec<&str> = body.iter().map(|l| l.text.as_str()).collect();
        finish_post(&mut post, &text.join("\n"), lost, lines);
        let day_first = self.decide_day_first(&header);
        let (month, day) = if day_first {
            (header.b, header.a)
        } else {
            (header.a, header.b)
        };
        let date = NaiveDate::from_ymd_opt(header.year, month, day);
        let datetime = date.and_then(|d| d.and_hms_opt(header.hour, header.minute, 0));
        let mut dated = None;
        if let Some(local) = datetime {
            dated = Some(local.date());
            match self.options.desktop_utc_offset {
                Some(offset) => post.date = observed_utc(local, offset),
                None => {
                    post.date_inferred = Some(InferredDate {
                        date: local.format("%Y-%m-%dT%H:%M").to_string(),
                        basis: DateBasis::DesktopCopyHeader,
                        evidence: header.stamp.clone(),
                        detail: Some(format!(
                            "local time of the copying computer, offset unknown; read as {}",
                            if day_first {
                                "day/month/year"
                            } else {
                                "month/day/year"
                            }
                        )),
                    })
                }
            }
        }
        Draft {
            post,
            pending: None,
            day: dated,
        }
    }

    /// Whether this capture's Desktop headers put the day first: the first header whose numbers
    /// decide it settles it for the whole capture; before that, a dotted date or a 24-hour clock
    /// means day first, as in the European and Russian locales.
    fn decide_day_first(&mut self, h: &DesktopHeader) -> bool {
        if let Some(d) = self.day_first {
            return d;
        }
        if h.a > 12 {
            self.day_first = Some(true);
            return true;
        }
        if h.b > 12 {
            self.day_first = Some(false);
            return false;
        }
        h.sep == '.' || !h.twelve_hour
    }

    /// The posts of a web-view segment.
    fn web_posts(&mut self, lines: &[Line]) -> Vec<Draft> {
        let mut drafts = Vec::new();
        let mut rest = lines;
        while rest.iter().any(|l| !l.is_blank()) {
            // A day separator opening a later post of the segment (after a hidden post, or
            // after a repeat) dates the posts below it.
            while let Some(line) = rest.first() {
                match &line.label {
                    _ if line.is_blank() => {}
                    Some(Label::DaySeparator { month, day, year }) if !drafts.is_empty() => {
                        self.separator = Some((*month, *day, *year, line.text.clone()));
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
            if rest.is_empty() {
                break;
            }
            let (post_lines, mut remaining) = split_first_post(rest);
            let mut trailer = post_lines.trailer;
            // Lines left over that are only buttons, lost links or footers belong to this post,
            // not to a post of their own.
            if remaining
                .iter()
                .all(|l| l.is_blank() || is_trailing_label(l))
            {
                trailer.extend(remaining.iter());
                remaining = &[];
            }
            let mut post = CapturedPost::default();
            let mut body_text = Vec::new();
            let mut lost = Vec::new();
            for (i, line) in post_lines.body.iter().enumerate() {
                match &line.label {
                    Some(Label::ForwardedFrom { name, .. }) if i == 0 => {
                        post.forward = Some(forward_named(name));
                    }
                    Some(Label::Media(kind, placeholder)) => {
                        post.media
                            .push(Media::placeholder(*kind, *placeholder, &line.text));
                    }
                    Some(Label::OpenInTelegram) => {
                        post.unviewable = true;
                        post.media.push(Media::placeholder(
                            MediaKind::Unknown,
                            Placeholder::OpenInTelegram,
                            &line.text,
                        ));
                    }
                    Some(Label::ViewInTelegram) | Some(Label::InReplyTo(_)) => {}
                    Some(Label::Footer { views, edited }) => {
                        post.views = post.views.or(*views);
                        post.edited = Some(post.edited.unwrap_or(false) || *edited);
                    }
                    Some(Label::LostLink(label)) => lost.push(Link {
                        url: None,
                        label: label.clone(),
                        span: None,
                    }),
                    // Any other label inside a body (a second "Forwarded from", a date-only
                    // line) is the post's own text.
                    _ => body_text.push(line.text.as_str()),
                }
            }
            for line in trailer {
                match &line.label {
                    Some(Label::Footer { views, edited }) => {
                        post.views = post.views.or(*views);
                        post.edited = Some(post.edited.unwrap_or(false) || *edited);
                    }
                    // A lost link shown only after the repeat is still the post's.
                    Some(Label::LostLink(label))
                        if !lost
                            .iter()
                            .any(|l: &Link| l.label.eq_ignore_ascii_case(label)) =>
                    {
                        lost.push(Link {
                            url: None,
                            label: label.clone(),
                            span: None,
                        })
                    }
                    _ => {}
                }
            }
            let consumed = &rest[..rest.len() - remaining.len()];
            finish_post(&mut post, &body_text.join("\n"), lost, consumed);
            drafts.push(self.date_web_post(post));
            rest = remaining;
        }
        drafts
    }

    /// Infers the date of a web-view post: from a day separator above it, else from a full date
    /// in its opening lines, else from a day and month opening its first line.
    fn date_web_post(&mut self, post: CapturedPost) -> Draft {
        let mut draft = Draft {
            post,
            pending: None,
            day: None,
        };
        if let Some((month, day, year, evidence)) = self.separator.clone() {
            // A separator without a year takes it from a full date of the same day written in
            // the post's opening lines, when there is one.
            let year = year.or_else(|| {
                opening_full_dates(&draft.post.text)
                    .into_iter()
                    .find(|d| (d.month(), d.day()) == (month, day))
                    .map(|d| d.year())
            });
            match year.and_then(|y| NaiveDate::from_ymd_opt(y, month, day)) {
                Some(date) => {
                    draft.day = Some(date);
                    draft.post.date_inferred = Some(InferredDate {
                        date: date.to_string(),
                        basis: DateBasis::DaySeparator,
                        evidence,
                        detail: None,
                    });
                }
                None => {
                    draft.pending = Some(PendingDate {
                        month,
                        day,
                        evidence,
                        basis: DateBasis::DaySeparator,
                        note: None,
                    })
                }
            }
            return draft;
        }
        if let Some((date, evidence)) = opening_full_date(&draft.post.text) {
            draft.day = Some(date);
            draft.post.date_inferred = Some(InferredDate {
                date: date.to_string(),
                basis: DateBasis::TextDate,
                evidence,
                detail: None,
            });
            return draft;
        }
        let first_line = draft.post.text.lines().find(|l| !l.trim().is_empty());
        let found = first_line.and_then(|line| match dates::opening_day_month(line) {
            Some(found) => Some((found, None)),
            None => dates::first_sentence_day_month(line)
                .map(|found| (found, Some("written inside the first sentence"))),
        });
        if let Some((found, note)) = found {
            draft.pending = Some(PendingDate {
                month: found.month,
                day: found.day,
                evidence: found.evidence,
                basis: DateBasis::TextDayMonthNeighbourYear,
                note,
            });
        }
        draft
    }

    /// Queues a draft; settles the years of waiting drafts when it brings a date.
    fn push_draft(&mut self, draft: Draft) {
        let next = draft.day.map(|date| (date, draft.post.location.line_start));
        if next.is_some() {
            self.settle_waiting(next);
        }
        self.waiting_bytes += draft.post.raw_text.len() + draft.post.text.len();
        self.waiting.push_back(draft);
        while let Some(front) = self.waiting.front() {
            if front.pending.is_some()
                && self.waiting.len() <= MAX_WAITING_POSTS
                && self.waiting_bytes <= MAX_WAITING_BYTES
            {
                break;
            }
            let mut front = self.waiting.pop_front().expect("front exists");
            self.waiting_bytes -= front.post.raw_text.len() + front.post.text.len();
            settle(&mut front, self.released_day, None);
            self.release(front);
        }
    }

    /// Settles the waiting drafts in capture order, each from the nearest dated post before it
    /// (across undated posts, and including a waiting post settled just before it) and `next`,
    /// the nearest dated post after them.
    fn settle_waiting(&mut self, next: Option<(NaiveDate, u64)>) {
        let mut prev = self.released_day;
        for draft in self.waiting.iter_mut() {
            settle(draft, prev, next);
            if let Some(day) = draft.day {
                prev = Some((day, draft.post.location.line_start));
            }
        }
    }

    /// Moves a settled draft to the posts ready to be read.
    fn release(&mut self, draft: Draft) {
        if let Some(day) = draft.day {
            self.released_day = Some((day, draft.post.location.line_start));
        }
        self.ready.push_back(draft.post);
    }

    /// Settles every waiting draft from earlier posts alone (end of input).
    fn drain(&mut self) {
        self.settle_waiting(None);
        self.waiting_bytes = 0;
        while let Some(draft) = self.waiting.pop_front() {
            self.release(draft);
        }
    }
}

impl<R: BufRead> Iterator for TextReader<R> {
    type Item = Result<CapturedPost, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(post) = self.ready.pop_front() {
                return Some(Ok(post));
            }
            if self.finished || self.failed {
                return None;
            }
            match self.read_line() {
                Ok(Some(line)) => self.take_line(line),
                Ok(None) => {
                    self.flush_segment();
                    self.drain();
                    self.finished = true;
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The lines of the first post of a segment: `body` (labels included, repeat excluded) and
/// `trailer` (repeat and footer lines that belong to it but not to its text).
struct PostLines<'a> {
    body: Vec<&'a Line>,
    trailer: Vec<&'a Line>,
}

/// Splits off the first post of a web-view segment; returns it and the lines left over.
fn split_first_post(lines: &[Line]) -> (PostLines<'_>, &[Line]) {
    // The prefix: a forward header, media placeholders, and their buttons.
    let mut i = 0;
    while i < lines.len() {
        match &lines[i].label {
            Some(Label::ForwardedFrom { .. }) if i == 0 => {}
            Some(Label::Media(..)) | Some(Label::ViewInTelegram) | Some(Label::InReplyTo(_)) => {}
            None if lines[i].is_blank() => {}
            _ => break,
        }
        i += 1;
    }
    // "Please open Telegram to view this post" stands for the whole post.
    if i < lines.len() && lines[i].label == Some(Label::OpenInTelegram) {
        let mut end = i + 1;
        while end < lines.len()
            && (lines[end].is_blank()
                || matches!(
                    lines[end].label,
                    Some(Label::ViewInTelegram) | Some(Label::Footer { .. })
                ))
        {
            end += 1;
        }
        let post = PostLines {
            body: lines[..end].iter().collect(),
            trailer: Vec::new(),
        };
        return (post, &lines[end..]);
    }
    let body_start = i;
    // The body runs to the next "Please open Telegram" (which starts another post) or the end;
    // footers close it. A body and its repeat span at most twice the longest body, so the
    // repeat is looked for in that window only (the work stays linear in the capture).
    let window = 2 * repeat::MAX_BODY_LINES + 2;
    let mut candidates: Vec<&Line> = Vec::new();
    let mut body_end = lines.len();
    let mut more_follows = false;
    for (j, line) in lines.iter().enumerate().skip(body_start) {
        if line.label == Some(Label::OpenInTelegram) {
            body_end = j;
            break;
        }
        if line.is_blank() || matches!(line.label, Some(Label::Footer { .. })) {
            continue;
        }
        if candidates.len() == window {
            more_follows = true;
            // No repeat can reach this far; the body still ends at the next placeholder.
            body_end = lines[j..]
                .iter()
                .position(|l| l.label == Some(Label::OpenInTelegram))
                .map_or(lines.len(), |p| j + p);
            break;
        }
        candidates.push(line);
    }
    let keys: Vec<&str> = candidates.iter().map(|l| l.text.as_str()).collect();
    let Some(found) = repeat::find_in(&keys, more_follows) else {
        let post = PostLines {
            body: lines[..body_end].iter().collect(),
            trailer: Vec::new(),
        };
        return (post, &lines[body_end..]);
    };
    // Map the repeat's positions (in non-blank candidates) back to lines.
    let body_last = candidates[found.body_end - 1].no;
    let repeat_last = candidates[found.repeat_end - 1].no;
    // Line numbers rise within a segment.
    let position = |no: u64| lines.binary_search_by_key(&no, |l| l.no).unwrap_or(0);
    let body_stop = position(body_last) + 1;
    let mut repeat_stop = position(repeat_last) + 1;
    // Footers, buttons, lost links and blank lines right after the repeat belong to this post.
    while repeat_stop < body_end
        && (lines[repeat_stop].is_blank() || is_trailing_label(&lines[repeat_stop]))
    {
        repeat_stop += 1;
    }
    let post = PostLines {
        body: lines[..body_stop].iter().collect(),
        trailer: lines[body_stop..repeat_stop].iter().collect(),
    };
    (post, &lines[repeat_stop..])
}

/// Labels that close a post rather than open one: buttons, lost links, footers.
fn is_trailing_label(line: &Line) -> bool {
    matches!(
        line.label,
        Some(Label::ViewInTelegram) | Some(Label::LostLink(_)) | Some(Label::Footer { .. })
    )
}

/// Fills a post's text, extracted entities, raw text and location from its lines.
fn finish_post(post: &mut CapturedPost, body: &str, lost_links: Vec<Link>, consumed: &[Line]) {
    let text = normalize::clean_text(body);
    let found = extract::all(&text);
    post.hashtags = found.hashtags;
    post.mentions = found.mentions;
    post.countries = found.countries;
    post.links = found.links;
    post.links.extend(lost_links);
    post.text = text;
    post.raw_text = consumed
        .iter()
        .map(|l| l.raw.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let first = consumed
        .iter()
        .find(|l| !l.is_blank())
        .unwrap_or(&consumed[0]);
    let last = consumed
        .iter()
        .rev()
        .find(|l| !l.is_blank())
        .unwrap_or(&consumed[consumed.len() - 1]);
    post.location = Location {
        line_start: first.no,
        line_end: last.no,
        byte_start: first.start,
        byte_end: last.end,
        locator: None,
    };
}

/// The opening lines of a post, where its own date is written ("(Moscow, May 17, 2023)", a
/// place-and-date line under the title); dates further down are about other events.
fn opening_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim().is_empty()).take(2)
}

/// Every full date in a post's opening lines.
fn opening_full_dates(text: &str) -> Vec<NaiveDate> {
    opening_lines(text)
        .flat_map(dates::full_dates)
        .filter_map(|d| d.date())
        .collect()
}

/// The first full date in a post's opening lines, with the text it was read from.
fn opening_full_date(text: &str) -> Option<(NaiveDate, String)> {
    opening_lines(text)
        .flat_map(dates::full_dates)
        .find_map(|d| d.date().map(|date| (date, d.evidence)))
}

fn forward_named(name: &str) -> Forward {
    Forward {
        title: Some(name.to_string()),
        ..Forward::default()
    }
}

fn observed_utc(local: NaiveDateTime, offset: FixedOffset) -> Option<String> {
    let at = offset.from_local_datetime(&local).single()?;
    Some(
        at.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

/// Gives a waiting draft its year from its neighbours: `prev` and `next` are the days of the
/// nearest dated posts before and after it (with the lines where those posts start), when known.
/// Leaves the date unknown when the neighbours do not settle it.
fn settle(draft: &mut Draft, prev: Option<(NaiveDate, u64)>, next: Option<(NaiveDate, u64)>) {
    let Some(pending) = draft.pending.take() else {
        return;
    };
    let Some(date) = dates::resolve_year(
        pending.month,
        pending.day,
        prev.map(|p| p.0),
        next.map(|n| n.0),
    ) else {
        return;
    };
    let around: Vec<String> = [prev, next]
        .into_iter()
        .flatten()
        .map(|(d, line)| format!("{d} (post at line {line})"))
        .collect();
    let year_from = format!(
        "year from the nearest dated posts: {}",
        around.join(" and ")
    );
    draft.day = Some(date);
    draft.post.date_inferred = Some(InferredDate {
        date: date.to_string(),
        basis: pending.basis,
        evidence: pending.evidence,
        detail: Some(match pending.note {
            Some(note) => format!("{note}; {year_from}"),
            None => year_from,
        }),
    });
}

#[cfg(test)]
mod tests;
