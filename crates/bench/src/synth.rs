//! The synthetic export: a single-chat `public_channel` `result.json` as Telegram Desktop writes
//! it (one-space indentation, every key on its own line, keys in the exporter's order), streamed
//! to disk one message at a time.
//!
//! What a message can carry, with its rough share: Russian (65%) or English text, as a plain
//! string or as an array of runs (bold, italic, text_link with href, link, hashtag, mention,
//! custom_emoji) with the matching `text_entities`; forwards (25%, `forwarded_from` and
//! `forwarded_from_id`, a few hidden senders with a `null` name); edits (25%); replies (5%);
//! signatures (10%); reactions (45%, emoji and custom emoji); photos (28%), videos, voice
//! messages, stickers, animations and documents, a third of them the placeholder sentence
//! that stands where a file was not saved; polls; and service messages (~1%: `pin_message`,
//! `edit_group_title`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::rng::Rng;

/// What was written.
#[derive(Debug, serde::Serialize)]
pub struct Written {
    /// The export's path.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// Messages of type `message`.
    pub posts: u64,
    /// Service messages.
    pub events: u64,
}

const CHANNEL_NAME: &str = "Сводка дня | Daily Brief 🌍";
const CHANNEL_ID: u64 = 1_734_250_917;
/// Expected bytes per message (seed 7 gives about 2,240), only to spread dates over six years.
const AVG_MESSAGE_BYTES: u64 = 2_300;
/// 2019-01-01T00:00:00Z.
const START: i64 = 1_546_300_800;
/// The exporting computer's offset (Moscow): `date` is local wall-clock time.
const LOCAL_OFFSET: i64 = 3 * 3600;

const NOT_INCLUDED: &str = "(File not included. Change data exporting settings to download.)";
const TOO_BIG: &str = "(File exceeds maximum size. Change data exporting settings to download.)";

const RU_WORDS: &[&str] = &[
    "сегодня",
    "вчера",
    "утром",
    "вечером",
    "в",
    "на",
    "по",
    "из",
    "за",
    "и",
    "но",
    "что",
    "как",
    "не",
    "уже",
    "также",
    "после",
    "перед",
    "около",
    "более",
    "министерство",
    "правительство",
    "президент",
    "депутаты",
    "губернатор",
    "эксперты",
    "аналитики",
    "журналисты",
    "жители",
    "власти",
    "компания",
    "банк",
    "рынок",
    "курс",
    "рубля",
    "доллара",
    "нефти",
    "газа",
    "бюджет",
    "закон",
    "решение",
    "заявление",
    "переговоры",
    "встреча",
    "саммит",
    "санкции",
    "экономика",
    "инфляция",
    "ставка",
    "выборы",
    "регион",
    "области",
    "города",
    "Москвы",
    "Петербурга",
    "Казани",
    "Новосибирска",
    "Киева",
    "Минска",
    "Астаны",
    "Европы",
    "Китая",
    "США",
    "границы",
    "жителей",
    "сообщили",
    "заявил",
    "заявила",
    "объявили",
    "подписал",
    "отметил",
    "подчеркнул",
    "рассказал",
    "предложили",
    "сообщает",
    "передает",
    "выросли",
    "снизились",
    "вырос",
    "упал",
    "продолжается",
    "началось",
    "завершилось",
    "ожидается",
    "планируется",
    "новый",
    "новая",
    "новые",
    "крупный",
    "важное",
    "официальный",
    "экономический",
    "международный",
    "региональный",
    "федеральный",
    "главный",
    "последний",
    "ближайшие",
    "годы",
    "дни",
    "неделе",
    "месяце",
    "году",
    "время",
    "ситуация",
    "вопрос",
    "проект",
    "программа",
    "поддержка",
    "помощь",
    "доступ",
    "данные",
    "информация",
    "источник",
    "по данным",
    "миллиардов",
    "миллионов",
    "рублей",
    "процентов",
    "тысяч",
    "человек",
    "погода",
    "снег",
    "дождь",
    "температура",
    "транспорт",
    "метро",
    "аэропорт",
    "рейсы",
    "поезда",
    "школы",
    "больницы",
    "врачи",
    "учёные",
    "исследование",
    "спорт",
    "матч",
    "команда",
    "победа",
    "счёт",
    "фильм",
    "выставка",
    "фестиваль",
    "концерт",
    "театр",
    "очень",
    "только",
    "ещё",
    "всё",
    "здесь",
    "там",
    "почему",
    "когда",
];

const EN_WORDS: &[&str] = &[
    "today",
    "yesterday",
    "on",
    "in",
    "at",
    "of",
    "for",
    "with",
    "and",
    "but",
    "the",
    "a",
    "that",
    "after",
    "before",
    "about",
    "more than",
    "ministry",
    "government",
    "president",
    "lawmakers",
    "governor",
    "experts",
    "analysts",
    "reporters",
    "residents",
    "officials",
    "company",
    "bank",
    "market",
    "rate",
    "rouble",
    "dollar",
    "oil",
    "gas",
    "budget",
    "law",
    "decision",
    "statement",
    "talks",
    "meeting",
    "summit",
    "sanctions",
    "economy",
    "inflation",
    "election",
    "region",
    "city",
    "Moscow",
    "Kyiv",
    "Brussels",
    "Washington",
    "Beijing",
    "Astana",
    "Tbilisi",
    "border",
    "said",
    "announced",
    "signed",
    "noted",
    "stressed",
    "reported",
    "proposed",
    "confirmed",
    "denied",
    "rose",
    "fell",
    "continues",
    "began",
    "ended",
    "is expected",
    "is planned",
    "new",
    "major",
    "important",
    "official",
    "economic",
    "international",
    "regional",
    "federal",
    "main",
    "latest",
    "coming",
    "years",
    "days",
    "week",
    "month",
    "year",
    "time",
    "situation",
    "question",
    "project",
    "programme",
    "support",
    "aid",
    "access",
    "data",
    "information",
    "source",
    "according to",
    "billion",
    "million",
    "percent",
    "thousand",
    "people",
    "weather",
    "storm",
    "flights",
    "airport",
    "trains",
    "schools",
    "hospitals",
    "doctors",
    "scientists",
    "study",
    "match",
    "team",
    "victory",
    "film",
    "exhibition",
    "festival",
    "very",
    "only",
    "still",
    "here",
    "there",
    "why",
    "when",
    "would",
    "could",
    "will",
    "has",
    "have",
    "was",
    "were",
];

const RU_HASHTAGS: &[&str] = &[
    "#новости",
    "#Россия",
    "#экономика",
    "#политика",
    "#санкции",
    "#Москва",
    "#сводка",
    "#главное",
    "#мир",
    "#спорт",
    "#погода",
    "#культура",
    "#срочно",
    "#выборы",
    "#рубль",
];
const EN_HASHTAGS: &[&str] = &[
    "#news",
    "#breaking",
    "#world",
    "#economy",
    "#politics",
    "#sanctions",
    "#Ukraine",
    "#Russia",
    "#EU",
    "#markets",
    "#analysis",
    "#OSINT",
];
const MENTIONS: &[&str] = &[
    "@rian_ru",
    "@tass_agency",
    "@bbcrussian",
    "@meduzalive",
    "@rbc_news",
    "@durov",
    "@kommersant",
    "@reuters_world",
    "@dailybrief_chat",
    "@news_feedback_bot",
];
const DOMAINS: &[&str] = &[
    "https://ria.ru/2024",
    "https://tass.ru/politika",
    "https://www.rbc.ru/economics",
    "https://meduza.io/news/2024",
    "https://www.reuters.com/world/europe",
    "https://www.bbc.com/russian/articles",
    "https://apnews.com/article",
    "https://t.me/dailybrief",
    "https://youtube.com/watch?v=",
    "https://www.kommersant.ru/doc",
];
const BARE_LINKS: &[&str] = &[
    "mid.ru/ru/foreign_policy/news/",
    "kremlin.ru/events/president/news/",
    "www.gov.uk/government/news/",
    "t.me/dailybrief/",
    "vk.com/wall-1234_",
];
const LINK_LABELS_RU: &[&str] = &[
    "Читать полностью",
    "Подписаться",
    "Источник",
    "Подробнее",
    "Видео",
    "Прямой эфир",
    "здесь",
];
const LINK_LABELS_EN: &[&str] = &[
    "Read more",
    "Subscribe",
    "Source",
    "Full story",
    "Video",
    "Live",
    "here",
];
const EMOJI: &[&str] = &[
    "⚡️", "❗️", "🔥", "📌", "👉", "✅", "🇷🇺", "🇺🇦", "🇰🇿", "🌍", "📈", "📉", "💬", "🎥",
];
const REACTIONS: &[&str] = &[
    "👍", "🔥", "❤", "😁", "🤔", "😢", "👎", "🤬", "🙏", "👏", "😱", "🤡",
];
const FORWARD_SOURCES: &[(&str, u64)] = &[
    ("РИА Новости", 1_101_170_442),
    ("ТАСС", 1_050_820_672),
    ("Медуза — LIVE", 1_036_240_821),
    ("РБК", 1_099_860_397),
    ("Коммерсантъ", 1_113_474_131),
    ("Reuters World", 1_198_754_377),
    ("BBC News | Русская служба", 1_003_921_752),
    ("Новости Москвы", 1_137_263_516),
    ("МИД России 🇷🇺", 1_116_283_024),
    ("Ukraine NOW", 1_394_050_290),
    ("The Insider", 1_260_735_190),
    ("Readovka", 1_237_513_492),
    ("Market Watch RU 📈", 1_529_120_118),
    ("OSINT Digest", 1_606_422_995),
    ("Погода в Петербурге", 1_472_810_307),
];
const HIDDEN_SENDERS: &[&str] = &["Иван Петров", "Anna K.", "Сергей", "Deleted Account"];
const AUTHORS: &[&str] = &[
    "Редакция",
    "Анна Смирнова",
    "Dmitry Volkov",
    "Ольга К.",
    "Admin",
];

/// One run of a message's text.
struct Run {
    kind: &'static str,
    text: String,
    extra: Option<(&'static str, String)>,
}

/// Writes DIR/result.json of about `target` bytes (it stops after the message that reaches it),
/// of a channel: `channel` 0 is the default one; channel `k` has the id `CHANNEL_ID + k` and the
/// name with ` #k` added (so that exports of several channels can be ingested side by side, as
/// several writers of one archive do).
pub fn generate(dir: &Path, target: u64, seed: u64, channel: u64) -> anyhow::Result<Written> {
    let channel_id = CHANNEL_ID + channel;
    let channel_name = if channel == 0 {
        CHANNEL_NAME.to_string()
    } else {
        format!("{CHANNEL_NAME} #{channel}")
    };
    std::fs::create_dir_all(dir)?;
    let path = dir.join("result.json");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let mut rng = Rng::new(seed);
    let mut buf = String::with_capacity(64 * 1024);
    buf.push_str("{\n \"name\": ");
    escape(&mut buf, &channel_name);
    let _ = write!(
        buf,
        ",\n \"type\": \"public_channel\",\n \"id\": {channel_id},\n \"messages\": ["
    );
    let expected = (target / AVG_MESSAGE_BYTES).max(1);
    // About six years of posts, but at least 20 s and at most 2 h between two.
    let mean_step = (6 * 365 * 86_400 / expected).clamp(20, 7_200);
    let mut g = Gen {
        rng: &mut rng,
        id: 0,
        time: START,
        photos: 0,
        files: 0,
        channel_id,
        channel_name: &channel_name,
    };
    let (mut written, mut posts, mut events) = (buf.len() as u64, 0u64, 0u64);
    out.write_all(buf.as_bytes())?;
    while written < target {
        buf.clear();
        if posts + events > 0 {
            buf.push(',');
        }
        buf.push_str("\n  ");
        g.id += 1;
        g.time += g.rng.range(mean_step / 4, mean_step * 7 / 4 + 1) as i64;
        if g.id > 1 && g.rng.chance(10) {
            g.service(&mut buf);
            events += 1;
        } else {
            g.message(&mut buf);
            posts += 1;
        }
        out.write_all(buf.as_bytes())?;
        written += buf.len() as u64;
    }
    let tail = "\n ]\n}";
    out.write_all(tail.as_bytes())?;
    written += tail.len() as u64;
    out.flush()?;
    Ok(Written {
        path: path.display().to_string(),
        bytes: written,
        posts,
        events,
    })
}

/// The running state of the generator.
struct Gen<'r> {
    rng: &'r mut Rng,
    id: u64,
    time: i64,
    photos: u64,
    files: u64,
    channel_id: u64,
    channel_name: &'r str,
}

impl Gen<'_> {
    /// A service message: a pin (70%) or a title change.
    fn service(&mut self, buf: &mut String) {
        let mut o = Obj::open(buf, 2);
        o.num("id", self.id);
        o.str("type", "service");
        o.dates("date", self.time);
        o.str("actor", self.channel_name);
        o.str("actor_id", &format!("channel{}", self.channel_id));
        if self.rng.chance(700) {
            o.str("action", "pin_message");
            let back = self.rng.range(1, 20).min(self.id - 1);
            o.num("message_id", self.id - back);
        } else {
            o.str("action", "edit_group_title");
            let title = if self.rng.chance(500) {
                "Сводка дня 🌍"
            } else {
                self.channel_name
            };
            o.str("title", title);
        }
        o.str("text", "");
        o.key("text_entities");
        o.out.push_str("[]");
        o.close();
    }

    /// A channel post.
    fn message(&mut self, buf: &mut String) {
        let ru = self.rng.chance(650);
        let mut o = Obj::open(buf, 2);
        o.num("id", self.id);
        o.str("type", "message");
        o.dates("date", self.time);
        if self.rng.chance(250) {
            let later = self.time + self.rng.range(30, 3 * 86_400) as i64;
            o.dates("edited", later);
        }
        o.str("from", self.channel_name);
        o.str("from_id", &format!("channel{}", self.channel_id));
        if self.rng.chance(100) {
            o.str("author", self.rng.pick(AUTHORS));
        }
        if self.rng.chance(250) {
            if self.rng.chance(40) {
                // A hidden account: a name, or null, and no id.
                if self.rng.chance(300) {
                    o.key("forwarded_from");
                    o.out.push_str("null");
                } else {
                    o.str("forwarded_from", self.rng.pick(HIDDEN_SENDERS));
                }
            } else {
                let (name, id) = self.rng.pick(FORWARD_SOURCES);
                o.str("forwarded_from", name);
                o.str("forwarded_from_id", &format!("channel{id}"));
            }
        }
        if self.id > 1 && self.rng.chance(50) {
            let back = self.rng.range(1, 50).min(self.id - 1);
            o.num("reply_to_message_id", self.id - back);
        }
        let has_media = self.media(&mut o);
        let runs = if has_media && self.rng.chance(350) {
            Vec::new()
        } else {
            self.text(ru)
        };
        write_text(&mut o, &runs);
        if self.rng.chance(450) {
            self.reactions(&mut o);
        }
        o.close();
    }

    /// A file path, or one of the placeholder sentences (a third of the time).
    fn path_or_placeholder(&mut self, path: impl FnOnce(&mut Self) -> String) -> String {
        match self.rng.below(30) {
            0..=8 => NOT_INCLUDED.to_string(),
            9 => TOO_BIG.to_string(),
            _ => path(self),
        }
    }

    /// The file-name stamp Desktop puts in media paths (`@01-03-2024_10-00-00`).
    fn stamp(&self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.time + LOCAL_OFFSET);
        format!("{d:02}-{mo:02}-{y:04}_{h:02}-{mi:02}-{s:02}")
    }

    /// Media fields; true when the message has any.
    fn media(&mut self, o: &mut Obj<'_>) -> bool {
        let roll = self.rng.below(1000);
        match roll {
            0..=279 => {
                self.photos += 1;
                let photo = self.path_or_placeholder(|g| {
                    format!("photos/photo_{}@{}.jpg", g.photos, g.stamp())
                });
                o.str("photo", &photo);
                o.num("photo_file_size", self.rng.range(20_000, 400_000));
                let (w, h) =
                    self.rng
                        .pick(&[(1280u32, 853u32), (1280, 720), (960, 1280), (800, 800)]);
                o.num("width", w);
                o.num("height", h);
            }
            280..=359 => {
                self.files += 1;
                let n = self.files;
                let file = self
                    .path_or_placeholder(|g| format!("video_files/video_{n}@{}.mp4", g.stamp()));
                o.str("file", &file);
                o.str("file_name", &format!("video_{n}.mp4"));
                o.num("file_size", self.rng.range(500_000, 300_000_000));
                let thumb = if file.starts_with('(') {
                    NOT_INCLUDED.to_string()
                } else {
                    format!("{file}_thumb.jpg")
                };
                o.str("thumbnail", &thumb);
                o.num("thumbnail_file_size", self.rng.range(2_000, 30_000));
                o.str("media_type", "video_file");
                o.str("mime_type", "video/mp4");
                o.num("duration_seconds", self.rng.range(5, 1_800));
                o.num("width", 1280);
                o.num("height", 720);
            }
            360..=379 => {
                self.files += 1;
                let n = self.files;
                let file = self
                    .path_or_placeholder(|g| format!("voice_messages/audio_{n}@{}.ogg", g.stamp()));
                o.str("file", &file);
                o.num("file_size", self.rng.range(5_000, 2_000_000));
                o.str("media_type", "voice_message");
                o.str("mime_type", "audio/ogg");
                o.num("duration_seconds", self.rng.range(2, 300));
            }
            380..=399 => {
                self.files += 1;
                let n = self.files;
                let file = self.path_or_placeholder(|_| format!("stickers/sticker ({n}).webp"));
                o.str("file", &file);
                o.str("file_name", "sticker.webp");
                o.num("file_size", self.rng.range(3_000, 60_000));
                o.str("media_type", "sticker");
                o.str("sticker_emoji", self.rng.pick(REACTIONS));
                o.str("mime_type", "image/webp");
                o.num("width", 512);
                o.num("height", 512);
            }
            400..=414 => {
                self.files += 1;
                let n = self.files;
                let file = self.path_or_placeholder(|g| {
                    format!("video_files/animation_{n}@{}.mp4", g.stamp())
                });
                o.str("file", &file);
                o.str("file_name", "animation.gif.mp4");
                o.num("file_size", self.rng.range(50_000, 5_000_000));
                o.str("media_type", "animation");
                o.str("mime_type", "video/mp4");
                o.num("duration_seconds", self.rng.range(1, 15));
                o.num("width", 480);
                o.num("height", 270);
            }
            415..=434 => {
                self.files += 1;
                let n = self.files;
                let name = self
                    .rng
                    .pick(&["report", "doklad", "постановление", "statement"]);
                let file = self.path_or_placeholder(|_| format!("files/{name}_{n}.pdf"));
                o.str("file", &file);
                o.str("file_name", &format!("{name}_{n}.pdf"));
                o.num("file_size", self.rng.range(40_000, 9_000_000));
                o.str("mime_type", "application/pdf");
            }
            435..=441 => {
                self.poll(o);
            }
            _ => return false,
        }
        true
    }

    fn poll(&mut self, o: &mut Obj<'_>) {
        let ind = o.ind + 1;
        o.key("poll");
        let mut p = Obj::open(o.out, ind);
        let question = if self.rng.chance(600) {
            "Как вы оцениваете ситуацию?"
        } else {
            "What should we cover next?"
        };
        p.str("question", question);
        p.raw(
            "closed",
            if self.rng.chance(300) {
                "true"
            } else {
                "false"
            },
        );
        let answers: &[&str] = if question.starts_with('К') {
            &["Положительно", "Отрицательно", "Затрудняюсь ответить"]
        } else {
            &["Economy", "Politics", "Culture", "Sport"]
        };
        let votes: Vec<u64> = answers.iter().map(|_| self.rng.below(5_000)).collect();
        p.num("total_voters", votes.iter().sum::<u64>());
        p.key("answers");
        p.out.push('[');
        let chosen = self.rng.below(answers.len() as u64 + 1) as usize;
        for (i, (a, v)) in answers.iter().zip(&votes).enumerate() {
            if i > 0 {
                p.out.push(',');
            }
            p.out.push('\n');
            pad(p.out, ind + 2);
            let mut e = Obj::open(p.out, ind + 2);
            e.str("text", a);
            e.num("voters", v);
            e.raw("chosen", if i == chosen { "true" } else { "false" });
            e.close();
        }
        p.out.push('\n');
        pad(p.out, ind + 1);
        p.out.push(']');
        p.close();
    }

    /// Reactions, with Desktop's own indentation of that array.
    fn reactions(&mut self, o: &mut Obj<'_>) {
        let ind = o.ind + 1;
        o.key("reactions");
        o.out.push('[');
        let n = self.rng.range(1, 5);
        for i in 0..n {
            if i > 0 {
                o.out.push(',');
            }
            o.out.push('\n');
            pad(o.out, ind + 2);
            let mut r = Obj::open(o.out, ind + 2);
            if self.rng.chance(120) {
                r.str("type", "custom_emoji");
                r.num("count", self.rng.range(1, 300));
                r.str("document_id", &document_id(self.rng));
            } else {
                r.str("type", "emoji");
                r.num(
                    "count",
                    (self.rng.range(1, 3_000) >> self.rng.below(4)).max(1),
                );
                r.str("emoji", self.rng.pick(REACTIONS));
            }
            r.close();
        }
        o.out.push('\n');
        pad(o.out, ind + 1);
        o.out.push(']');
    }

    /// A sentence of 5–18 words, capitalised and punctuated.
    fn sentence(&mut self, ru: bool, out: &mut String) {
        let words = if ru { RU_WORDS } else { EN_WORDS };
        let n = self.rng.range(5, 19);
        for i in 0..n {
            if i > 0 {
                out.push(if self.rng.chance(80) { ',' } else { ' ' });
                if out.ends_with(',') {
                    out.push(' ');
                }
            }
            if self.rng.chance(40) {
                let _ = write!(out, "{}", self.rng.below(2_000));
                if self.rng.chance(300) {
                    out.push('%');
                }
                continue;
            }
            let w = self.rng.pick(words);
            if i == 0 {
                let mut cs = w.chars();
                if let Some(c) = cs.next() {
                    out.extend(c.to_uppercase());
                    out.push_str(cs.as_str());
                }
            } else {
                out.push_str(w);
            }
        }
        out.push_str(self.rng.pick(&[".", ".", ".", ".", "!", "?", "…"]));
    }

    fn phrase(&mut self, ru: bool) -> String {
        let words = if ru { RU_WORDS } else { EN_WORDS };
        let n = self.rng.range(2, 6);
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.rng.pick(words));
        }
        s
    }

    fn url(&mut self) -> String {
        let base = self.rng.pick(DOMAINS);
        let n = self.rng.range(10_000, 99_999_999);
        if base.ends_with('=') {
            format!("{base}{n:x}")
        } else {
            format!("{base}/{n}")
        }
    }

    /// The runs of a post's text: one plain run (45%) or a mix with entities.
    fn text(&mut self, ru: bool) -> Vec<Run> {
        let mut t = Runs(Vec::new());
        let mut s = String::new();
        if self.rng.chance(450) {
            let paragraphs = self.paragraphs();
            for p in 0..paragraphs {
                if p > 0 {
                    s.push_str("\n\n");
                }
                for k in 0..self.rng.range(1, 5) {
                    if k > 0 {
                        s.push(' ');
                    }
                    self.sentence(ru, &mut s);
                }
            }
            t.plain(&s);
            return t.0;
        }
        if self.rng.chance(250) {
            s.push_str(self.rng.pick(EMOJI));
            s.push(' ');
            t.plain(&s);
        }
        if self.rng.chance(450) {
            s.clear();
            self.sentence(ru, &mut s);
            s.pop();
            t.entity("bold", &s, None);
            t.plain("\n\n");
        }
        let paragraphs = self.paragraphs();
        for p in 0..paragraphs {
            if p > 0 {
                t.plain("\n\n");
            }
            for k in 0..self.rng.range(1, 5) {
                if k > 0 {
                    t.plain(" ");
                }
                s.clear();
                self.sentence(ru, &mut s);
                t.plain(&s);
                match self.rng.below(100) {
                    0..=7 => {
                        t.plain(" ");
                        let p = self.phrase(ru);
                        t.entity("italic", &p, None);
                    }
                    8..=13 => {
                        t.plain(if ru { " Пишет " } else { " Via " });
                        t.entity("mention", self.rng.pick(MENTIONS), None);
                    }
                    14..=18 => {
                        t.plain(" ");
                        let labels = if ru { LINK_LABELS_RU } else { LINK_LABELS_EN };
                        let label = self.rng.pick(labels);
                        let href = self.url();
                        t.entity("text_link", label, Some(("href", href)));
                    }
                    19..=22 => {
                        t.plain(" ");
                        let link = format!(
                            "{}{}",
                            self.rng.pick(BARE_LINKS),
                            self.rng.range(1_000, 999_999)
                        );
                        t.entity("link", &link, None);
                    }
                    23..=25 => {
                        t.plain(" ");
                        let p = self.phrase(ru);
                        t.entity("bold", &p, None);
                    }
                    _ => {}
                }
            }
        }
        if self.rng.chance(200) {
            t.plain(if ru {
                "\n\nИсточник: "
            } else {
                "\n\nSource: "
            });
            let url = self.url();
            t.entity("link", &url, None);
        }
        if self.rng.chance(450) {
            t.plain("\n\n");
            let tags = if ru { RU_HASHTAGS } else { EN_HASHTAGS };
            for i in 0..self.rng.range(1, 5) {
                if i > 0 {
                    t.plain(" ");
                }
                t.entity("hashtag", self.rng.pick(tags), None);
            }
        }
        if self.rng.chance(200) {
            t.plain("\n\n");
            let emoji = self.rng.pick(EMOJI);
            let doc = document_id(self.rng);
            t.entity("custom_emoji", emoji, Some(("document_id", doc)));
            t.plain(" ");
            let label = if ru {
                "Подписаться"
            } else {
                "Subscribe"
            };
            t.entity(
                "text_link",
                label,
                Some(("href", "https://t.me/+Xq3dAilyBrief".into())),
            );
        }
        t.0
    }

    /// How many paragraphs: mostly 1–3, with a long tail of long reads.
    fn paragraphs(&mut self) -> u64 {
        if self.rng.chance(50) {
            self.rng.range(5, 13)
        } else {
            self.rng.range(1, 4)
        }
    }
}

/// Runs being built; adjacent plain text is merged.
struct Runs(Vec<Run>);

impl Runs {
    fn plain(&mut self, text: &str) {
        match self.0.last_mut() {
            Some(r) if r.kind == "plain" => r.text.push_str(text),
            _ => self.0.push(Run {
                kind: "plain",
                text: text.to_string(),
                extra: None,
            }),
        }
    }

    fn entity(&mut self, kind: &'static str, text: &str, extra: Option<(&'static str, String)>) {
        self.0.push(Run {
            kind,
            text: text.to_string(),
            extra,
        });
    }
}

/// `text` (a string when the text is one plain run, else an array of strings and entity
/// objects) and `text_entities` (always objects).
fn write_text(o: &mut Obj<'_>, runs: &[Run]) {
    let ind = o.ind + 1;
    match runs {
        [] => o.str("text", ""),
        [r] if r.kind == "plain" => o.str("text", &r.text),
        _ => {
            o.key("text");
            o.out.push('[');
            for (i, r) in runs.iter().enumerate() {
                if i > 0 {
                    o.out.push(',');
                }
                o.out.push('\n');
                pad(o.out, ind + 1);
                if r.kind == "plain" {
                    escape(o.out, &r.text);
                } else {
                    run_object(o.out, ind + 1, r);
                }
            }
            o.out.push('\n');
            pad(o.out, ind);
            o.out.push(']');
        }
    }
    o.key("text_entities");
    o.out.push('[');
    if runs.is_empty() {
        o.out.push(']');
        return;
    }
    for (i, r) in runs.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        o.out.push('\n');
        pad(o.out, ind + 1);
        run_object(o.out, ind + 1, r);
    }
    o.out.push('\n');
    pad(o.out, ind);
    o.out.push(']');
}

fn run_object(out: &mut String, ind: usize, r: &Run) {
    let mut e = Obj::open(out, ind);
    e.str("type", r.kind);
    e.str("text", &r.text);
    if let Some((k, v)) = &r.extra {
        e.str(k, v);
    }
    e.close();
}

/// A custom emoji's document id: 19 digits starting with 5.
fn document_id(rng: &mut Rng) -> String {
    format!("5{:018}", rng.below(1_000_000_000_000_000_000))
}

/// A JSON object being written: `{` is written at the current position; members go one per
/// line, indented one space deeper than `ind`.
struct Obj<'a> {
    out: &'a mut String,
    ind: usize,
    members: usize,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String, ind: usize) -> Obj<'a> {
        out.push('{');
        Obj {
            out,
            ind,
            members: 0,
        }
    }

    fn key(&mut self, key: &str) {
        if self.members > 0 {
            self.out.push(',');
        }
        self.members += 1;
        self.out.push('\n');
        pad(self.out, self.ind + 1);
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        escape(self.out, value);
    }

    fn num(&mut self, key: &str, value: impl std::fmt::Display) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }

    fn raw(&mut self, key: &str, value: &str) {
        self.key(key);
        self.out.push_str(value);
    }

    /// `KEY` as local wall-clock time and `KEY_unixtime` as a string of digits.
    fn dates(&mut self, key: &str, unix: i64) {
        let (y, mo, d, h, mi, s) = civil(unix + LOCAL_OFFSET);
        self.key(key);
        let _ = write!(self.out, "\"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}\"");
        self.key(&format!("{key}_unixtime"));
        let _ = write!(self.out, "\"{unix}\"");
    }

    fn close(self) {
        self.out.push('\n');
        pad(self.out, self.ind);
        self.out.push('}');
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// A JSON string literal.
fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Calendar fields of a Unix time (proleptic Gregorian, no time zone).
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3_600, rem % 3_600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(1_709_287_200), (2024, 3, 1, 10, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn small_export_parses_and_reads() {
        let dir = std::env::temp_dir().join(format!("tgscope-bench-gen-{}", std::process::id()));
        let w = generate(&dir, 200_000, 7, 0).unwrap();
        let bytes = std::fs::read(&w.path).unwrap();
        assert_eq!(bytes.len() as u64, w.bytes);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let messages = v["messages"].as_array().unwrap();
        assert_eq!(messages.len() as u64, w.posts + w.events);
        assert_eq!(v["type"], "public_channel");
        let items = tgscope_read::desktop_json::DesktopJsonReader::new(
            &bytes[..],
            tgscope_read::desktop_json::JsonOptions::default(),
        )
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
        let posts = items
            .iter()
            .filter(|i| matches!(i, tgscope_model::ReadItem::Post(_)))
            .count();
        assert_eq!(posts as u64, w.posts);
        // Same seed, same bytes.
        let again = generate(&dir, 200_000, 7, 0).unwrap();
        assert_eq!(std::fs::read(&again.path).unwrap(), bytes);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
