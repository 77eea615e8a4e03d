//! Pure functions on post text, used by the readers between parsing a capture and building a
//! [`tgscope_model::CapturedPost`].
//!
//! Place in the pipeline: a reader finds a post's lines in a capture, then calls this crate to
//! normalise the text, extract what the text names and recognise dates written in it. The engine
//! uses the comparison keys to recognise the same post across captures; the store and the
//! search index use [`names`] and [`fold`], so that a name or a word is matched the same way by
//! every filter and by search.
//!
//! Main items:
//! - [`normalize::clean_text`]: the canonical clean form of a text (NFC, `\n` line endings,
//!   no invisible characters, no trailing spaces, at most one blank line in a row).
//! - [`normalize::line_key`], [`normalize::content_key`]: keys to compare lines and post texts;
//!   [`normalize::words`] and [`normalize::similarity`] to compare texts loosely.
//! - [`extract::hashtags`], [`extract::mentions`], [`extract::urls`], [`extract::countries`]
//!   (flag emoji) and [`extract::all`]: what a text names, each with its byte span.
//! - [`fold::fold_word`]: the folded form in which words are compared (case, `ё`, accents,
//!   Latin/Cyrillic look-alike letters); the search index folds every word with it.
//! - [`names`]: channel names, forward sources, hashtags and mentions as keys
//!   ([`names::name_key`], [`names::alias_key`], [`names::tag_key`]): the one implementation
//!   behind every filter of the command line, the API and the search query language.
//! - [`dates::full_dates`], [`dates::opening_day_month`], [`dates::first_sentence_day_month`],
//!   [`dates::resolve_year`]: dates written in English and Russian, and the year of a day-month
//!   date from its neighbours.
//!
//! Every span is a byte range of the text passed in, on char boundaries. No function panics on
//! any input.
//!
//! What it does not do: no I/O, and no knowledge of capture formats. Telegram's interface labels
//! ("Media is too big", "VIEW IN TELEGRAM", "Forwarded from ...") are the readers' business.

pub mod dates;
pub mod extract;
pub mod fold;
pub mod names;
pub mod normalize;
pub mod spreadsheet;
pub mod urls;
