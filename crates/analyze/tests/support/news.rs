//! Plausible news posts in Russian and English, built from word lists: sentences of a few
//! templates whose slots (who said it, what happened, where, when, how many) are drawn from the
//! lists, so that different posts share most of their vocabulary, as the posts of one topic do.
//! And the ways a channel rewrites a post it copies: another footer, emoji, a dropped sentence,
//! Latin/Cyrillic look-alike letters, case and `ё`, hashtag signs.

use proptest::prelude::*;

/// The language of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

/// Any language.
pub fn lang() -> impl Strategy<Value = Lang> {
    prop_oneof![Just(Lang::En), Just(Lang::Ru)]
}

const EN_SUBJECTS: &[&str] = &[
    "the defence ministry",
    "the foreign ministry",
    "regional authorities",
    "the central bank",
    "the prime minister",
    "local officials",
    "the health ministry",
    "the police",
    "the city council",
    "emergency services",
    "Governor Alexei Ivanov",
    "Mayor Sergei Sobyanin",
    "the Kremlin spokesman",
    "the energy regulator",
    "the transport agency",
    "the state statistics service",
];
const EN_SAID: &[&str] = &[
    "said",
    "announced",
    "confirmed",
    "reported",
    "warned",
    "stated",
    "told reporters",
    "noted",
];
const EN_OBJECTS: &[&str] = &[
    "a new agreement on grain exports",
    "the railway bridge",
    "the main power plant",
    "fuel prices",
    "the border crossing",
    "talks with neighbouring countries",
    "the water supply",
    "the new budget",
    "flights from the airport",
    "the heating season",
    "school classes",
    "the ferry service",
    "pension payments",
    "the trade fair",
    "the port terminal",
    "mobile internet",
];
const EN_EVENTS: &[&str] = &[
    "had been signed",
    "was damaged",
    "will be closed",
    "rose sharply",
    "was restored",
    "will resume",
    "was suspended",
    "had been postponed",
    "will be expanded",
    "fell slightly",
    "was inspected",
    "came under attack",
];
const EN_PLACES: &[&str] = &[
    "in the northern region",
    "near the capital",
    "on the eastern border",
    "in the port city",
    "across the country",
    "in three districts",
    "in Moscow",
    "near Kazan",
    "in the Far East",
    "outside Novosibirsk",
    "on the southern coast",
    "in the industrial zone",
];
const EN_TIMES: &[&str] = &[
    "on Monday",
    "last week",
    "earlier today",
    "this morning",
    "on Friday evening",
    "by the end of the month",
    "overnight",
    "on Tuesday",
    "two days ago",
    "late on Sunday",
    "this afternoon",
    "in early March",
];
const EN_SOURCES: &[&str] = &[
    "preliminary data",
    "sources in the government",
    "the regional administration",
    "local media",
    "the operational headquarters",
    "eyewitnesses",
    "the ministry's press service",
    "official statistics",
];
const EN_AFFECTED: &[&str] = &[
    "were evacuated",
    "were injured",
    "were left without power",
    "were detained",
    "were rescued",
    "applied for help",
];

const RU_SUBJECTS: &[&str] = &[
    "Министерство обороны",
    "Губернатор области",
    "Пресс-служба правительства",
    "Центральный банк",
    "Мэрия",
    "Оперативный штаб",
    "Глава региона Алексей Иванов",
    "Мэр Сергей Собянин",
    "Представитель Кремля",
    "Региональный минздрав",
    "Источник в правительстве",
    "Городская администрация",
    "Росстат",
    "Федеральное агентство связи",
];
const RU_SAID: &[&str] = &[
    "сообщает",
    "заявляет",
    "подтверждает",
    "уточняет",
    "информирует",
    "отмечает",
    "передаёт",
    "объявляет",
];
const RU_OBJECTS: &[&str] = &[
    "цены на топливо",
    "переговоры о поставках зерна",
    "работы на железнодорожном мосту",
    "поставки электроэнергии",
    "занятия в школах",
    "рейсы из аэропорта",
    "выплаты пенсионерам",
    "паромные перевозки",
    "ремонтные работы на трассе",
    "отключения горячей воды",
    "проверки на границе",
    "учения резервистов",
    "продажи билетов",
    "консультации с соседними странами",
    "строительные работы в порту",
    "поставки лекарств",
];
const RU_EVENTS: &[&str] = &[
    "были приостановлены",
    "возобновятся",
    "будут продолжены",
    "выросли",
    "перенесены",
    "отменены",
    "завершились",
    "продлены",
    "начнутся",
    "временно прекращены",
    "снизились",
    "расширены",
];
const RU_PLACES: &[&str] = &[
    "в северных районах",
    "в столице",
    "на восточной границе",
    "в портовом городе",
    "по всей стране",
    "в трёх районах области",
    "в Москве",
    "под Казанью",
    "на Дальнем Востоке",
    "в пригороде Новосибирска",
    "на южном побережье",
    "в промышленной зоне",
];
const RU_TIMES: &[&str] = &[
    "в понедельник",
    "на прошлой неделе",
    "сегодня утром",
    "в пятницу вечером",
    "до конца месяца",
    "ночью",
    "во вторник",
    "ещё вчера",
    "поздно вечером в воскресенье",
    "сегодня днём",
    "в начале марта",
    "два дня назад",
];
const RU_SOURCES: &[&str] = &[
    "предварительным данным",
    "информации источников в правительстве",
    "сообщению региональной администрации",
    "данным местных СМИ",
    "сведениям оперативного штаба",
    "словам очевидцев",
    "информации пресс-службы министерства",
    "официальной статистике",
];
const RU_AFFECTED: &[&str] = &[
    "были эвакуированы",
    "получили ранения",
    "остались без света",
    "были задержаны",
    "были спасены",
    "обратились за помощью",
];

/// Hashtags posts end with.
const EN_TAGS: &[&str] = &[
    "#news",
    "#economy",
    "#Moscow",
    "#breaking",
    "#energy",
    "#region",
];
const RU_TAGS: &[&str] = &[
    "#новости",
    "#экономика",
    "#Москва",
    "#срочно",
    "#энергетика",
    "#регион",
];

/// One sentence: a template and the raw draws of its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    lang: Lang,
    template: u8,
    slots: [u16; 6],
    number: u16,
}

fn pick<'a>(list: &[&'a str], draw: u16) -> &'a str {
    list[usize::from(draw) % list.len()]
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Sentence {
    /// What the sentence reports (what happened to what, or how many people were affected
    /// how): two sentences with the same fact tell the same news, whoever said it.
    pub fn fact(&self) -> (bool, usize, usize) {
        let (objects, events, affected) = match self.lang {
            Lang::En => (EN_OBJECTS.len(), EN_EVENTS.len(), EN_AFFECTED.len()),
            Lang::Ru => (RU_OBJECTS.len(), RU_EVENTS.len(), RU_AFFECTED.len()),
        };
        if self.template % 4 == 2 {
            (
                true,
                usize::from(self.number),
                usize::from(self.slots[2]) % affected,
            )
        } else {
            (
                false,
                usize::from(self.slots[2]) % objects,
                usize::from(self.slots[3]) % events,
            )
        }
    }

    /// The sentence, ending with a full stop.
    pub fn render(&self) -> String {
        let s = self.slots;
        let n = self.number;
        match self.lang {
            Lang::En => {
                let subject = pick(EN_SUBJECTS, s[0]);
                let said = pick(EN_SAID, s[1]);
                let object = pick(EN_OBJECTS, s[2]);
                let event = pick(EN_EVENTS, s[3]);
                let place = pick(EN_PLACES, s[4]);
                let time = pick(EN_TIMES, s[5]);
                match self.template % 4 {
                    0 => capitalised(&format!(
                        "{subject} {said} that {object} {event} {place} {time}."
                    )),
                    1 => format!(
                        "According to {}, {object} {event} {place} {time}.",
                        pick(EN_SOURCES, s[0])
                    ),
                    2 => capitalised(&format!(
                        "{subject} {said} that {n} people {} {place} {time}.",
                        pick(EN_AFFECTED, s[2])
                    )),
                    _ => capitalised(&format!(
                        "{place} {object} {event} {time}, {subject} {said}."
                    )),
                }
            }
            Lang::Ru => {
                let subject = pick(RU_SUBJECTS, s[0]);
                let said = pick(RU_SAID, s[1]);
                let object = pick(RU_OBJECTS, s[2]);
                let event = pick(RU_EVENTS, s[3]);
                let place = pick(RU_PLACES, s[4]);
                let time = pick(RU_TIMES, s[5]);
                match self.template % 4 {
                    0 => format!("{subject} {said}, что {object} {event} {place} {time}."),
                    1 => format!(
                        "По {}, {object} {event} {place} {time}.",
                        pick(RU_SOURCES, s[0])
                    ),
                    2 => format!(
                        "{subject} {said}, что {n} человек {} {place} {time}.",
                        pick(RU_AFFECTED, s[2])
                    ),
                    _ => capitalised(&format!(
                        "{place} {object} {event} {time}, {said} {subject}."
                    )),
                }
            }
        }
    }
}

/// A sentence in `lang`.
pub fn sentence(lang: Lang) -> impl Strategy<Value = Sentence> {
    (0u8..4, any::<[u16; 6]>(), 2u16..500).prop_map(move |(template, slots, number)| Sentence {
        lang,
        template,
        slots,
        number,
    })
}

/// A post: paragraphs of sentences, and maybe a line of hashtags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The language.
    pub lang: Lang,
    /// Its paragraphs, each one or more sentences.
    pub paragraphs: Vec<Vec<Sentence>>,
    /// Draws of the hashtags of its last line (none: no such line).
    pub tags: Vec<u16>,
}

impl Post {
    /// Lays `sentences` out in paragraphs: `breaks` says after which sentences a paragraph
    /// ends (by the low bit of each draw).
    pub fn new(lang: Lang, sentences: Vec<Sentence>, breaks: &[bool], tags: Vec<u16>) -> Post {
        let mut paragraphs: Vec<Vec<Sentence>> = vec![Vec::new()];
        let count = sentences.len();
        for (i, s) in sentences.into_iter().enumerate() {
            if let Some(last) = paragraphs.last_mut() {
                last.push(s);
            }
            if i + 1 < count && breaks.get(i).copied().unwrap_or(false) {
                paragraphs.push(Vec::new());
            }
        }
        Post {
            lang,
            paragraphs,
            tags,
        }
    }

    /// Every sentence, in order.
    pub fn sentences(&self) -> impl Iterator<Item = &Sentence> {
        self.paragraphs.iter().flatten()
    }

    /// How many sentences.
    pub fn sentence_count(&self) -> usize {
        self.sentences().count()
    }

    /// The post without sentence `at` (a paragraph left empty goes too).
    pub fn without_sentence(&self, at: usize) -> Post {
        let mut i = 0;
        let mut paragraphs = Vec::new();
        for p in &self.paragraphs {
            let kept: Vec<Sentence> = p
                .iter()
                .filter(|_| {
                    let keep = i != at;
                    i += 1;
                    keep
                })
                .cloned()
                .collect();
            if !kept.is_empty() {
                paragraphs.push(kept);
            }
        }
        Post {
            paragraphs,
            ..self.clone()
        }
    }

    /// The text: paragraphs apart by an empty line, then the hashtag line, if any.
    pub fn render(&self) -> String {
        let mut blocks: Vec<String> = self
            .paragraphs
            .iter()
            .map(|p| p.iter().map(Sentence::render).collect::<Vec<_>>().join(" "))
            .collect();
        if !self.tags.is_empty() {
            let list = match self.lang {
                Lang::En => EN_TAGS,
                Lang::Ru => RU_TAGS,
            };
            let mut tags: Vec<&str> = Vec::new();
            for t in &self.tags {
                let tag = pick(list, *t);
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            blocks.push(tags.join(" "));
        }
        blocks.join("\n\n")
    }
}

/// A post in `lang` of `sentences` sentences.
pub fn post(lang: Lang, sentences: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Post> {
    let most = *sentences.end();
    (
        prop::collection::vec(sentence(lang), sentences),
        prop::collection::vec(any::<u8>().prop_map(|b| b % 3 == 0), most),
        prop::collection::vec(any::<u16>(), 0..3),
    )
        .prop_map(move |(sentences, breaks, tags)| Post::new(lang, sentences, &breaks, tags))
}

/// The posts with every fact told once: a sentence whose fact an earlier sentence (of the
/// same post or an earlier one) told is left out, so that the posts tell different news on
/// the same topic. A post left without sentences keeps its first.
pub fn different_news(posts: Vec<Post>) -> Vec<Post> {
    let mut told = std::collections::HashSet::new();
    posts
        .into_iter()
        .map(|p| {
            let first = p.paragraphs.first().and_then(|s| s.first()).cloned();
            let mut paragraphs: Vec<Vec<Sentence>> = p
                .paragraphs
                .iter()
                .map(|para| {
                    para.iter()
                        .filter(|s| told.insert(s.fact()))
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .filter(|para| !para.is_empty())
                .collect();
            if paragraphs.is_empty() {
                // Its first sentence repeats a fact: tell another one (the next number).
                if let Some(mut s) = first {
                    s.template = 2;
                    while !told.insert(s.fact()) {
                        s.number = s.number.wrapping_add(1);
                    }
                    paragraphs.push(vec![s]);
                }
            }
            Post { paragraphs, ..p }
        })
        .collect()
}

/// A small deterministic random source (splitmix64) for the rewrites, seeded by the test.
#[derive(Debug, Clone)]
pub struct Draws(u64);

impl Draws {
    /// Seeded.
    pub fn new(seed: u64) -> Draws {
        Draws(seed)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `n` (0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Channel footers: `{u}` is the channel's username.
const FOOTERS: &[&str] = &[
    "Subscribe: @{u}",
    "Подписаться | @{u}",
    "Наш канал: @{u}",
    "Читайте нас в Telegram: https://t.me/{u}",
    "⚡️ Follow @{u} for breaking news",
    "Прислать новость: @{u}_bot",
    "👉 Подписывайтесь на @{u}",
    "Join us: t.me/{u}",
];

/// How many footer styles there are.
pub const FOOTER_STYLES: usize = FOOTERS.len();

/// A channel's footer line of style `style` for `username`.
pub fn footer(style: usize, username: &str) -> String {
    FOOTERS[style % FOOTERS.len()].replace("{u}", username)
}

/// Whether a whitespace-separated token is a mention, link or other address, which the
/// rewrites leave alone (a copy keeps a link working).
fn is_address(token: &str) -> bool {
    token.contains('@') || token.contains('/') || token.contains("t.me")
}

/// Applies `f` to each whitespace-separated token, keeping the whitespace as it is.
fn map_tokens(text: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut token = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            if !token.is_empty() {
                out.push_str(&f(&token));
                token.clear();
            }
            out.push(c);
        } else {
            token.push(c);
        }
    }
    if !token.is_empty() {
        out.push_str(&f(&token));
    }
    out
}

const EMOJI: &[&str] = &["🔥", "⚡️", "🇷🇺", "❗️", "👉", "📌", "💥", "🤝", "😱", "✅"];

/// Emoji put between words and at the start of lines.
pub fn add_emoji(text: &str, draws: &mut Draws) -> String {
    let mut added = 0;
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let mut line = map_tokens(line, |t| {
            if draws.one_in(6) {
                added += 1;
                format!("{} {t}", EMOJI[draws.below(EMOJI.len())])
            } else {
                t.to_string()
            }
        });
        if !line.is_empty() && draws.one_in(2) {
            added += 1;
            line = format!(
                "{}{} {line}",
                EMOJI[draws.below(EMOJI.len())],
                EMOJI[draws.below(EMOJI.len())]
            );
        }
        out.push(line);
    }
    if added == 0 {
        out.insert(0, "🔥🔥🔥".to_string());
    }
    out.join("\n")
}

/// Latin letters and the Cyrillic letters that look like them.
const LOOKALIKES: &[(char, char)] = &[
    ('a', 'а'),
    ('c', 'с'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('x', 'х'),
    ('y', 'у'),
    ('A', 'А'),
    ('B', 'В'),
    ('C', 'С'),
    ('E', 'Е'),
    ('H', 'Н'),
    ('K', 'К'),
    ('M', 'М'),
    ('O', 'О'),
    ('P', 'Р'),
    ('T', 'Т'),
    ('X', 'Х'),
];

/// The letter that looks like `c` in the other script, if there is one.
fn lookalike(c: char) -> Option<char> {
    LOOKALIKES.iter().find_map(|(lat, cyr)| {
        if *lat == c {
            Some(*cyr)
        } else if *cyr == c {
            Some(*lat)
        } else {
            None
        }
    })
}

/// Look-alike letters of the other script in some words (in some, every such letter; in
/// others, some of them), as copies written to dodge a text search do.
pub fn swap_lookalikes(text: &str, draws: &mut Draws) -> String {
    let mut swapped = 0;
    let out = map_tokens(text, |t| {
        if is_address(t) || !draws.one_in(3) {
            return t.to_string();
        }
        let every = draws.one_in(2);
        t.chars()
            .map(|c| match lookalike(c) {
                Some(other) if every || draws.one_in(2) => {
                    swapped += 1;
                    other
                }
                _ => c,
            })
            .collect()
    });
    if swapped > 0 {
        out
    } else {
        // At least one: every look-alike letter of the text's first word that has one.
        let mut done = false;
        map_tokens(text, |t| {
            if done || is_address(t) || !t.chars().any(|c| lookalike(c).is_some()) {
                return t.to_string();
            }
            done = true;
            t.chars().map(|c| lookalike(c).unwrap_or(c)).collect()
        })
    }
}

/// Words in capitals, in lower case or capitalised; `е` written as `ё` and `ё` as `е`.
pub fn change_case_and_yo(text: &str, draws: &mut Draws) -> String {
    map_tokens(text, |t| {
        if is_address(t) {
            return t.to_string();
        }
        let t: String = match draws.below(5) {
            0 => t.to_uppercase(),
            1 => t.to_lowercase(),
            2 => capitalised(&t.to_lowercase()),
            _ => t.to_string(),
        };
        t.chars()
            .map(|c| match c {
                'е' if draws.one_in(3) => 'ё',
                'Е' if draws.one_in(3) => 'Ё',
                'ё' => 'е',
                'Ё' => 'Е',
                _ => c,
            })
            .collect()
    })
}

/// A hashtag's `#` taken away, and `#` put before some words.
pub fn toggle_hash_signs(text: &str, draws: &mut Draws) -> String {
    let mut toggled = 0;
    let out = map_tokens(text, |t| {
        if let Some(rest) = t.strip_prefix('#') {
            toggled += 1;
            return rest.to_string();
        }
        if !is_address(t) && t.chars().next().is_some_and(char::is_alphabetic) && draws.one_in(5) {
            toggled += 1;
            return format!("#{t}");
        }
        t.to_string()
    });
    if toggled > 0 { out } else { format!("#{out}") }
}

/// A sentence in `lang` drawn from `draws`.
pub fn sentence_from(lang: Lang, draws: &mut Draws) -> Sentence {
    let mut slots = [0u16; 6];
    for s in &mut slots {
        *s = draws.next() as u16;
    }
    Sentence {
        lang,
        template: draws.below(4) as u8,
        slots,
        number: 2 + draws.below(498) as u16,
    }
}

/// `count` posts in `lang` of `sentences` sentences each, laid out in paragraphs of one or two
/// sentences, telling different news (see [`different_news`]); the same `seed` gives the same
/// posts.
pub fn sample_posts(lang: Lang, count: usize, sentences: usize, seed: u64) -> Vec<Post> {
    let mut draws = Draws::new(seed);
    let posts = (0..count)
        .map(|_| {
            let s: Vec<Sentence> = (0..sentences)
                .map(|_| sentence_from(lang, &mut draws))
                .collect();
            let breaks: Vec<bool> = (0..sentences).map(|_| draws.one_in(2)).collect();
            Post::new(lang, s, &breaks, Vec::new())
        })
        .collect();
    different_news(posts)
}
