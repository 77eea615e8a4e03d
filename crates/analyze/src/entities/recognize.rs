//! The recognizer: one Aho-Corasick automaton over every form of the lists (folded: lower case,
//! ё as е, so that byte offsets stay those of the text), word boundaries, flags, hashtags split
//! at their capitals, the rules for ambiguous forms, and people after role phrases.

use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::lists::{self, AliasLine, EntityLine, ListError};
use super::{Entity, EntityKind, Mention, Via};

const ENTITIES: &str = include_str!("../../data/entities/entities.tsv");
const ALIASES: &str = include_str!("../../data/entities/aliases.tsv");
const NOT_ENTITIES: &str = include_str!("../../data/entities/not-entities.tsv");
const ROLES: &str = include_str!("../../data/entities/roles.tsv");
const CONTEXTS: &str = include_str!("../../data/entities/contexts.tsv");

/// What a form of the automaton stands for.
#[derive(Debug, Clone)]
enum Target {
    /// A form of an entity.
    Alias {
        entity: u32,
        via: Via,
        /// Matched case-sensitively (against the text as written).
        case_sensitive: bool,
        ambiguous: bool,
        /// The form as written in the list.
        form: String,
        english: bool,
    },
    /// A phrase that names no entity (it hides what it contains).
    Block,
    /// A role phrase that introduces a person.
    Role,
}

/// Recognizes entities in texts (see the module documentation of [`super`]).
#[derive(Debug)]
pub struct Recognizer {
    entities: Vec<Entity>,
    by_id: HashMap<String, u32>,
    automaton: AhoCorasick,
    /// Per pattern of the automaton.
    targets: Vec<Vec<Target>>,
    /// Pattern by its folded form.
    by_form: HashMap<String, u32>,
    /// Words that continue a role phrase.
    role_words: HashSet<String>,
    /// Per entity: words that accept (in the post) and refuse (in the sentence) its ambiguous
    /// forms.
    contexts: HashMap<u32, (Vec<String>, Vec<String>)>,
    /// Identifies the lists (derived data made with other lists is rebuilt).
    fingerprint: u64,
}

/// A form found in the text.
#[derive(Debug, Clone)]
struct Found {
    start: usize,
    end: usize,
    pattern: Option<u32>,
    /// For a flag or a hashtag part: the entity and how.
    direct: Option<(u32, Via)>,
    /// The targets that passed the checks of case and boundaries.
    accepted: Vec<usize>,
    ambiguous: bool,
    block: bool,
}

/// The folded form of a character: lower case where that keeps its length in bytes, ё as е.
fn fold_char(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        '\0'..='\x7f' | 'а'..='я' => c,
        // А..Я → а..я (one code point apart by 32).
        'А'..='Я' => char::from_u32(c as u32 + 32).unwrap_or(c),
        'ё' | 'Ё' => 'е',
        _ => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        }
    }
}

/// A name as the ids of people not on the lists hold it (`~` and this): folded like the text
/// the forms are matched in (lower case, ё as е), one space between its words.
pub fn fold_name(name: &str) -> String {
    fold(name).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text folded for matching (the same length in bytes, char by char).
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(text.chars().map(fold_char));
    out
}

/// Whether a character is part of a word (a letter or a digit), with the alphabets of the
/// lists first (Unicode's tables are slow for every other letter of a Russian text).
fn is_word(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\0'..='\x7f' => false,
        // Cyrillic letters (the block without its signs and combining marks).
        '\u{400}'..='\u{481}' | '\u{48a}'..='\u{52f}' => true,
        _ => c.is_alphanumeric(),
    }
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// The word before `at` (skipping spaces), folded, when directly before it.
fn word_before(folded: &str, at: usize) -> Option<&str> {
    let head = folded[..at].trim_end_matches([' ', '\u{a0}']);
    if head.len() == at {
        return None;
    }
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c) || *c == '-')
        .last()
        .map(|(i, _)| i)?;
    Some(&head[start..])
}

/// The sentence around `at`: from after the last `.!?` or line break before it to the next.
fn sentence(text: &str, at: usize, end: usize) -> (usize, usize) {
    let stops = |c: char| matches!(c, '.' | '!' | '?' | '\n' | '…');
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| stops(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let stop = text[end..]
        .char_indices()
        .find(|(_, c)| stops(*c))
        .map_or(text.len(), |(i, _)| end + i);
    (start, stop)
}

/// Whether `start..end` is (in) a wire dateline: capitals at the start of a line, followed by
/// `(` or `,` ("UNITED NATIONS (AP) —", "HOLLAND, Michigan"): the place a story was filed
/// from, not what it is about.
fn is_dateline(text: &str, start: usize, end: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].trim().is_empty() {
        return false;
    }
    let caps = |s: &str| {
        let letters = s.chars().filter(|c| c.is_alphabetic()).count();
        letters >= 2 && s.chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
    };
    if !caps(&text[start..end]) {
        return false;
    }
    // The rest of the capitals, then what follows them.
    let rest = &text[end..];
    let after = rest.trim_start_matches(|c: char| c == ' ' || c.is_uppercase() || c == '.');
    after.starts_with('(') || after.starts_with(',')
}

/// Whether `word` starts a word somewhere in `hay` (both folded).
fn has_word_start(hay: &str, word: &str) -> bool {
    hay.match_indices(word)
        .any(|(i, _)| char_before(hay, i).is_none_or(|c| !is_word(c)))
}

/// Words before an ambiguous form that make it a place or a state («в Того», "in Chad").
const LEADS: &[&str] = &[
    "в",
    "во",
    "из",
    "с",
    "со",
    "к",
    "ко",
    "о",
    "об",
    "у",
    "до",
    "для",
    "по",
    "на",
    "между",
    "против",
    "через",
    "при",
    "и",
    "или",
    "посол",
    "посла",
    "послом",
    "республика",
    "республики",
    "республике",
    "королевство",
    "королевства",
    "in",
    "to",
    "from",
    "with",
    "between",
    "against",
    "and",
    "or",
    "toward",
    "towards",
    "visited",
    "visit",
    "republic",
    "kingdom",
];

/// Particles inside names («Мухаммед бен Сальман», "Ursula von der Leyen").
const NAME_PARTICLES: &[&str] = &[
    "бен", "бин", "ибн", "аль", "эль", "ван", "фон", "дер", "де", "ди", "да", "дос", "ле", "ла",
    "bin", "ibn", "al", "el", "van", "von", "der", "de", "di", "da", "dos", "le", "la",
];

impl Recognizer {
    /// The bundled lists, built once for the process.
    pub fn bundled() -> Arc<Recognizer> {
        static BUNDLED: OnceLock<Arc<Recognizer>> = OnceLock::new();
        Arc::clone(BUNDLED.get_or_init(|| {
            Arc::new(Recognizer::build(None).expect("the bundled entity lists are valid (tested)"))
        }))
    }

    /// The bundled lists with a user's list added (the format is in `docs/entities.md`):
    /// its entities beside the bundled ones, its forms for them or for bundled ids.
    /// `source` names the list in errors (its file name).
    pub fn with_user_list(text: &str, source: &str) -> Result<Recognizer, ListError> {
        Recognizer::build(Some((text, source)))
    }

    fn build(user: Option<(&str, &str)>) -> Result<Recognizer, ListError> {
        let mut lines: Vec<EntityLine> = lists::registry(ENTITIES, "entities.tsv")?;
        let bundled_count = lines.len();
        let mut aliases: Vec<AliasLine> = lists::aliases(ALIASES, "aliases.tsv")?;
        let mut fingerprint = xxhash_rust::xxh3::Xxh3::new();
        for part in [ENTITIES, ALIASES, NOT_ENTITIES, ROLES, CONTEXTS] {
            fingerprint.update(part.as_bytes());
        }
        let mut user_ids: HashSet<String> = HashSet::default();
        if let Some((text, source)) = user {
            fingerprint.update(text.as_bytes());
            let (ents, forms) = lists::user_list(text, source)?;
            for e in ents {
                if lines.iter().any(|l| l.id == e.id) {
                    // A bundled id: the user's forms are added to it.
                    continue;
                }
                user_ids.insert(e.id.clone());
                lines.push(e);
            }
            aliases.extend(forms);
        }
        let entities: Vec<Entity> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| Entity {
                user: i >= bundled_count,
                id: l.id,
                kind: l.kind,
                name_en: l.name_en,
                name_ru: l.name_ru,
                country: l.country,
            })
            .collect();
        let by_id: HashMap<String, u32> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i as u32))
            .collect();
        let mut patterns: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut by_form: HashMap<String, u32> = HashMap::default();
        let mut add = |form: &str, target: Target| {
            let key = fold(form);
            let n = *by_form.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                targets.push(Vec::new());
                (patterns.len() - 1) as u32
            });
            targets[n as usize].push(target);
        };
        for a in aliases {
            let Some(entity) = by_id.get(&a.id) else {
                return Err(ListError {
                    source_name: if user_ids.is_empty() {
                        "aliases.tsv".into()
                    } else {
                        "a user's list".into()
                    },
                    line: 0,
                    what: format!("the form {:?} names the unknown id {:?}", a.alias, a.id),
                });
            };
            add(
                &a.alias,
                Target::Alias {
                    entity: *entity,
                    via: a.via,
                    case_sensitive: a.case_sensitive,
                    ambiguous: a.ambiguous,
                    form: a.alias.clone(),
                    english: a.english,
                },
            );
        }
        for phrase in lists::phrases(NOT_ENTITIES, "not-entities.tsv")? {
            add(&phrase, Target::Block);
        }
        let (roles, words) = lists::roles(ROLES, "roles.tsv")?;
        for role in roles {
            add(&role, Target::Role);
        }
        let mut contexts: HashMap<u32, (Vec<String>, Vec<String>)> = HashMap::default();
        for (id, accepts, word) in lists::contexts(CONTEXTS, "contexts.tsv")? {
            let Some(entity) = by_id.get(&id) else {
                return Err(ListError {
                    source_name: "contexts.tsv".into(),
                    line: 0,
                    what: format!("unknown id {id:?}"),
                });
            };
            let e = contexts.entry(*entity).or_default();
            if accepts {
                e.0.push(fold(&word));
            } else {
                e.1.push(fold(&word));
            }
        }
        // Searched from each word's start only (anchored), so that the forms hidden inside
        // longer words ("ес" in every «есть») are never walked to.
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .map_err(|e| ListError {
                source_name: "entity lists".into(),
                line: 0,
                what: e.to_string(),
            })?;
        Ok(Recognizer {
            entities,
            by_id,
            automaton,
            targets,
            by_form,
            role_words: words.iter().map(|w| fold(w)).collect(),
            contexts,
            fingerprint: fingerprint.digest(),
        })
    }

    /// Identifies the lists: derived data recognised with other lists is rebuilt.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Every entity of the lists.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The entity of an id (`KZ`, `sco`, `lavrov`; ids of countries in any case).
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        let n = self
            .by_id
            .get(id)
            .or_else(|| self.by_id.get(&id.to_ascii_uppercase()))
            .or_else(|| self.by_id.get(&id.to_ascii_lowercase()))?;
        self.entities.get(*n as usize)
    }

    /// The entities a name stands for, as a user writes it: an id (`KZ`, `lavrov`), or any form
    /// of the lists in either language («Лаврову», "ШОС", "Kazakhstan"), or an entity's name.
    pub fn lookup(&self, name: &str) -> Vec<&Entity> {
        let name = name.trim().trim_start_matches(['#', '@']);
        if let Some(e) = self.entity(name) {
            return vec![e];
        }
        let key = fold(name);
        let mut out: Vec<&Entity> = Vec::new();
        if let Some(p) = self.by_form.get(&key) {
            for t in &self.targets[*p as usize] {
                if let Target::Alias { entity, .. } = t {
                    let e = &self.entities[*entity as usize];
                    if !out.contains(&e) {
                        out.push(e);
                    }
                }
            }
        }
        if out.is_empty() {
            out.extend(
                self.entities
                    .iter()
                    .filter(|e| fold(&e.name_en) == key || fold(&e.name_ru) == key),
            );
        }
        out
    }

    /// The entities a text names, in text order (a form naming two entities gives two
    /// mentions with one span).
    pub fn recognize(&self, text: &str) -> Vec<Mention> {
        let folded = fold(text);
        let mut found: Vec<Found> = Vec::new();
        let mut roles: Vec<(usize, usize)> = Vec::new();
        // Every form starting at a word's start (the forms all start with a letter or digit).
        let mut matches: Vec<(usize, usize, u32)> = Vec::new();
        let mut prev_word = false;
        for (at, c) in folded.char_indices() {
            let word = is_word(c);
            if word && !prev_word {
                let input = Input::new(&folded).range(at..).anchored(Anchored::Yes);
                let mut state = aho_corasick::automaton::OverlappingState::start();
                loop {
                    if self
                        .automaton
                        .try_find_overlapping(input.clone(), &mut state)
                        .is_err()
                    {
                        break;
                    }
                    let Some(m) = state.get_match() else { break };
                    // A state's matches include the forms that end its prefix ("оман" in
                    // "роман"): only those starting at the word's start count.
                    if m.start() == at {
                        matches.push((m.start(), m.end(), m.pattern().as_u32()));
                    }
                }
            }
            prev_word = word;
        }
        for (start, end, pattern) in matches {
            let after_ok = char_at(text, end).is_none_or(|c| !is_word(c))
                || !char_before(text, end).is_some_and(is_word);
            if !after_ok {
                continue;
            }
            let targets = &self.targets[pattern as usize];
            if targets.iter().any(|t| matches!(t, Target::Role)) {
                roles.push((start, end));
            }
            let block = targets.iter().any(|t| matches!(t, Target::Block));
            let accepted: Vec<usize> = targets
                .iter()
                .enumerate()
                .filter(|(_, t)| self.form_fits(t, text, start, end))
                .map(|(i, _)| i)
                .collect();
            if accepted.is_empty() && !block {
                continue;
            }
            let ambiguous = !block
                && accepted.iter().all(|i| {
                    matches!(
                        targets[*i],
                        Target::Alias {
                            ambiguous: true,
                            ..
                        }
                    )
                });
            found.push(Found {
                start,
                end,
                pattern: Some(pattern),
                direct: None,
                accepted,
                ambiguous,
                block,
            });
        }
        self.flags(text, &mut found);
        self.hashtags(text, &mut found);
        // Leftmost-longest among the forms found (a phrase that names nothing hides what it
        // contains).
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut kept: Vec<Found> = Vec::new();
        for f in found {
            if kept.last().is_some_and(|k| f.start < k.end) {
                continue;
            }
            kept.push(f);
        }
        kept.retain(|f| !f.block);
        // Ambiguous forms stand only with support (the rules are in docs/entities.md).
        let entity_of = |f: &Found| -> Vec<u32> {
            if let Some((e, _)) = f.direct {
                return vec![e];
            }
            let targets = &self.targets[f.pattern.unwrap_or(0) as usize];
            f.accepted
                .iter()
                .filter_map(|i| match &targets[*i] {
                    Target::Alias { entity, .. } => Some(*entity),
                    _ => None,
                })
                .collect()
        };
        let sure: Vec<(usize, usize, Vec<u32>)> = kept
            .iter()
            .filter(|f| !f.ambiguous)
            .map(|f| (f.start, f.end, entity_of(f)))
            .collect();
        let supported: Vec<bool> = kept
            .iter()
            .map(|f| {
                if !f.ambiguous {
                    return true;
                }
                let entities = entity_of(f);
                let (s0, s1) = sentence(text, f.start, f.end);
                let in_sentence = &folded[s0..s1];
                let refused = entities.iter().any(|e| {
                    self.contexts.get(e).is_some_and(|(_, minus)| {
                        minus.iter().any(|w| has_word_start(in_sentence, w))
                    })
                });
                if refused {
                    return false;
                }
                let accepted_by_context = entities.iter().any(|e| {
                    self.contexts
                        .get(e)
                        .is_some_and(|(plus, _)| plus.iter().any(|w| has_word_start(&folded, w)))
                });
                let same_entity_elsewhere = sure
                    .iter()
                    .any(|(_, _, es)| es.iter().any(|e| entities.contains(e)));
                let other_in_sentence = sure.iter().any(|(s, e, _)| *s >= s0 && *e <= s1);
                let lead = word_before(&folded, f.start).is_some_and(|w| LEADS.contains(&w))
                    || roles
                        .iter()
                        .any(|(_, e)| *e <= f.start && folded[*e..f.start].trim().is_empty());
                accepted_by_context || same_entity_elsewhere || other_in_sentence || lead
            })
            .collect();
        let mut out: Vec<Mention> = Vec::new();
        for (f, ok) in kept.iter().zip(supported) {
            if !ok {
                continue;
            }
            if let Some((entity, via)) = f.direct {
                out.push(self.mention(entity, via, f.start, f.end));
                continue;
            }
            let targets = &self.targets[f.pattern.unwrap_or(0) as usize];
            let mut seen: Vec<u32> = Vec::new();
            for i in &f.accepted {
                if let Target::Alias { entity, via, .. } = &targets[*i]
                    && !seen.contains(entity)
                {
                    seen.push(*entity);
                    out.push(self.mention(*entity, *via, f.start, f.end));
                }
            }
        }
        self.people_after_roles(text, &folded, &roles, &mut out);
        out.sort_by(|a, b| (a.start, a.end, &a.id).cmp(&(b.start, b.end, &b.id)));
        out
    }

    fn mention(&self, entity: u32, via: Via, start: usize, end: usize) -> Mention {
        let e = &self.entities[entity as usize];
        Mention {
            kind: e.kind,
            id: e.id.clone(),
            name: e.name_en.clone(),
            start,
            end,
            via,
            listed: true,
        }
    }

    /// Whether a form found at `start..end` (boundaries checked) stands as written: the case of a
    /// case-sensitive form, capitals where an English (or an ambiguous) form has them, a hyphen
    /// after the first part of a compound, and not a shouted acronym.
    fn form_fits(&self, t: &Target, text: &str, start: usize, end: usize) -> bool {
        let Target::Alias {
            via,
            case_sensitive,
            ambiguous,
            form,
            english,
            ..
        } = t
        else {
            return false;
        };
        let written = &text[start..end];
        if *case_sensitive && written.replace(['ё', 'Ё'], "е") != form.replace(['ё', 'Ё'], "е")
        {
            return false;
        }
        if *case_sensitive && *english {
            // An acronym in a shouted line ("WHO IS TO BLAME") is a word.
            let shouted = |w: &str| w.chars().count() >= 2 && w.chars().all(|c| c.is_uppercase());
            let next = text[end..].split_whitespace().next().unwrap_or("");
            let next: String = next.chars().take_while(|c| c.is_alphabetic()).collect();
            let prev = text[..start].split_whitespace().next_back().unwrap_or("");
            let mut prev: Vec<char> = prev
                .chars()
                .rev()
                .take_while(|c| c.is_alphabetic())
                .collect();
            prev.reverse();
            let prev: String = prev.into_iter().collect();
            if (shouted(&next) && !self.by_form.contains_key(&fold(&next)))
                || (shouted(&prev) && !self.by_form.contains_key(&fold(&prev)))
            {
                return false;
            }
        }
        if (*english || *ambiguous) && starts_upper(form) && !starts_upper(written) {
            return false;
        }
        if !*case_sensitive && is_dateline(text, start, end) {
            return false;
        }
        if *via == Via::AdjectivePrefix && char_at(text, end) != Some('-') {
            return false;
        }
        true
    }

    /// Flags: pairs of regional indicators from the start of a run (🇷🇺 → RU); 🇪🇺 and 🇺🇳 are
    /// the EU and the UN.
    fn flags(&self, text: &str, found: &mut Vec<Found>) {
        let indicator = |c: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
        let mut run: Option<(usize, char)> = None;
        for (i, c) in text.char_indices() {
            if !indicator(c) {
                run = None;
                continue;
            }
            match run.take() {
                None => run = Some((i, c)),
                Some((start, first)) => {
                    let letter = |x: char| (b'A' + (x as u32 - 0x1F1E6) as u8) as char;
                    let code: String = [letter(first), letter(c)].iter().collect();
                    let id = match code.as_str() {
                        "EU" => "eu".to_string(),
                        "UN" => "un".to_string(),
                        _ => code,
                    };
                    if let Some(e) = self.by_id.get(&id) {
                        let end = i + c.len_utf8();
                        found.push(Found {
                            start,
                            end,
                            pattern: None,
                            direct: Some((*e, Via::Flag)),
                            accepted: Vec::new(),
                            ambiguous: false,
                            block: false,
                        });
                    }
                }
            }
        }
    }

    /// Hashtags of several words (#RussiaKyrgyzstan, #Россия_Китай): the words split at capitals,
    /// digits and underscores, the longest run of words that is a form first. (A hashtag of one
    /// word is found as a word.)
    fn hashtags(&self, text: &str, found: &mut Vec<Found>) {
        for (at, _) in text.match_indices('#') {
            let body_start = at + 1;
            let body_len: usize = text[body_start..]
                .chars()
                .take_while(|c| is_word(*c) || *c == '_')
                .map(char::len_utf8)
                .sum();
            if body_len == 0 {
                continue;
            }
            let body = &text[body_start..body_start + body_len];
            // Words: (start, end) in bytes of the text.
            let mut words: Vec<(usize, usize)> = Vec::new();
            let mut prev: Option<char> = None;
            for (i, c) in body.char_indices() {
                let pos = body_start + i;
                let split = match prev {
                    None => false,
                    Some(p) => {
                        c == '_'
                            || p == '_'
                            || (p.is_lowercase() && c.is_uppercase())
                            || (p.is_alphabetic() != c.is_alphabetic())
                    }
                };
                if c == '_' {
                    prev = Some(c);
                    continue;
                }
                if split || words.is_empty() {
                    words.push((pos, pos + c.len_utf8()));
                } else if let Some(w) = words.last_mut() {
                    w.1 = pos + c.len_utf8();
                }
                prev = Some(c);
            }
            // Upper-case runs followed by a capitalised word ("USAChina") stay one word; a
            // hashtag of one word is left to the automaton.
            if words.len() < 2 {
                continue;
            }
            let mut i = 0;
            while i < words.len() {
                let mut matched = false;
                for j in (i + 1..=(i + 4).min(words.len())).rev() {
                    let parts: Vec<&str> = words[i..j].iter().map(|(s, e)| &text[*s..*e]).collect();
                    for joined in [parts.join(" "), parts.concat()] {
                        let Some(p) = self.by_form.get(&fold(&joined)) else {
                            continue;
                        };
                        let targets = &self.targets[*p as usize];
                        let entity = targets.iter().find_map(|t| match t {
                            Target::Alias {
                                entity,
                                case_sensitive,
                                form,
                                ambiguous: false,
                                ..
                            } if !case_sensitive || *form == joined => Some(*entity),
                            _ => None,
                        });
                        if let Some(entity) = entity {
                            found.push(Found {
                                start: words[i].0,
                                end: words[j - 1].1,
                                pattern: None,
                                direct: Some((entity, Via::Hashtag)),
                                accepted: Vec::new(),
                                ambiguous: false,
                                block: false,
                            });
                            i = j;
                            matched = true;
                            break;
                        }
                    }
                    if matched {
                        break;
                    }
                }
                if !matched {
                    i += 1;
                }
            }
        }
    }

    /// People not on the list, after role phrases: the capitalised words (two to four, name
    /// particles between them) that follow the role, its continuing words and the countries
    /// and organisations it names.
    fn people_after_roles(
        &self,
        text: &str,
        folded: &str,
        roles: &[(usize, usize)],
        out: &mut Vec<Mention>,
    ) {
        let mut added: Vec<Mention> = Vec::new();
        // A role inside a longer one ("secretary" in "secretary of state") is the longer one.
        let longest = roles.iter().filter(|(s, e)| {
            !roles
                .iter()
                .any(|(s2, e2)| s2 <= s && e <= e2 && (s2, e2) != (s, e))
        });
        for (_, role_end) in longest {
            let mut at = *role_end;
            let mut skipped = 0;
            let mut name: Vec<(usize, usize)> = Vec::new();
            loop {
                // Skip spaces.
                let rest = &text[at..];
                let trimmed = rest.trim_start_matches([' ', '\u{a0}']);
                if trimmed.len() == rest.len() && !name.is_empty() {
                    break;
                }
                at += rest.len() - trimmed.len();
                if at >= text.len() || skipped > 8 {
                    break;
                }
                // A mention already found: part of the role (its country, its ministry), or a
                // listed person (then nothing to add).
                if let Some(m) = out.iter().find(|m| m.start == at) {
                    if m.kind == EntityKind::Person || !name.is_empty() {
                        name.clear();
                        break;
                    }
                    at = m.end;
                    skipped += 1;
                    continue;
                }
                let word_len: usize = text[at..]
                    .chars()
                    .take_while(|c| is_word(*c) || matches!(c, '-' | '\'' | '’' | '.'))
                    .map(char::len_utf8)
                    .sum();
                let word_len = if text[at..at + word_len].ends_with('.')
                    && !text[at..at + word_len].trim_end_matches('.').contains('.')
                    && word_len > 4
                {
                    word_len - 1
                } else {
                    word_len
                };
                if word_len == 0 {
                    break;
                }
                let word = &text[at..at + word_len];
                let word_folded = &folded[at..at + word_len];
                if name.is_empty() {
                    if self.role_words.contains(word_folded)
                        || (word.chars().count() >= 2 && word.chars().all(|c| c.is_uppercase()))
                    {
                        at += word_len;
                        skipped += 1;
                        continue;
                    }
                    if starts_upper(word) && word.chars().any(char::is_lowercase) {
                        name.push((at, at + word_len));
                        at += word_len;
                        continue;
                    }
                    break;
                }
                // Inside a name: capitalised words, particles, roman numerals.
                let numeral = matches!(word, "II" | "III" | "IV" | "Jr." | "Jr" | "Sr.");
                if (starts_upper(word) && word.chars().any(char::is_lowercase)) || numeral {
                    name.push((at, at + word_len));
                    at += word_len;
                    if name.len() >= 4 || numeral {
                        break;
                    }
                    continue;
                }
                if NAME_PARTICLES.contains(&word_folded) {
                    at += word_len;
                    continue;
                }
                break;
            }
            if name.len() < 2 {
                continue;
            }
            let (start, end) = (name[0].0, name[name.len() - 1].1);
            if out
                .iter()
                .chain(added.iter())
                .any(|m| m.start < end && start < m.end)
            {
                continue;
            }
            let written = &text[start..end];
            added.push(Mention {
                kind: EntityKind::Person,
                id: format!("~{}", fold_name(written)),
                name: written.split_whitespace().collect::<Vec<_>>().join(" "),
                start,
                end,
                via: Via::Role,
                listed: false,
            });
        }
        out.extend(added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        Recognizer::bundled()
            .recognize(text)
            .into_iter()
            .map(|m| m.id)
            .collect()
    }

    #[test]
    fn the_bundled_lists_build() {
        let r = Recognizer::bundled();
        assert!(r.entities().len() > 500);
        assert_eq!(r.entity("kz").map(|e| e.kind), Some(EntityKind::Country));
        assert_eq!(r.lookup("Лаврову")[0].id, "lavrov");
        assert_eq!(r.lookup("ШОС")[0].id, "sco");
    }

    #[test]
    fn case_forms_flags_and_hashtags() {
        assert_eq!(
            ids("Министр Сергей Лавров провёл переговоры в Казахстане 🇰🇿 #RussiaKyrgyzstan"),
            ["lavrov", "KZ", "KZ", "RU", "KG"]
        );
        assert_eq!(ids("российско-китайские отношения"), ["RU", "CN"]);
        assert_eq!(ids("ШОС и 🇪🇺 и 🇺🇳"), ["sco", "eu", "un"]);
    }

    /// The rules of docs/entities.md for words with another meaning, one case each.
    #[test]
    fn ambiguous_words_follow_the_written_rules() {
        let cases: &[(&str, &[&str])] = &[
            // Того: the pronoun, and the country after a preposition or a role.
            ("Того же мнения придерживаются и в правительстве.", &[]),
            ("Кроме того, в Того прошли выборы.", &["TG"]),
            ("Президент Того прибыл в Москву.", &["TG"]),
            // Чад: smoke, and the country with another country in its sentence.
            ("Над городом стоит чад от пожаров.", &[]),
            (
                "Чад разорвал оборонное соглашение с Францией.",
                &["TD", "FR"],
            ),
            // Georgia: the US state (refusing context), and the country (accepting context).
            (
                "ATLANTA, Georgia (AP) — Georgia's governor signed the bill.",
                &[],
            ),
            ("Georgia's prime minister spoke in Tbilisi.", &["GE"]),
            // Jordan: a person's name, a river, and the country.
            ("Michael Jordan won six NBA titles.", &[]),
            ("The Jordan River has lost most of its flow.", &[]),
            (
                "Water disputes between Jordan and Israel are growing.",
                &["JO", "IL"],
            ),
            // Turkey and China inside names of other things.
            (
                "Happy Turkey Day! Take the roast turkey out of the oven.",
                &[],
            ),
            ("According to China Daily, the line opens in spring.", &[]),
            ("Grandma's fine china survived three moves.", &[]),
            // «Мир» is a word, not an entity.
            ("Мир меняется быстрее, чем мы успеваем это осознать.", &[]),
            // Names that are common words: a capitalised word is not a person without a list.
            ("Вера в санкции тает, а Роман так и не дочитан.", &[]),
            // Acronyms that are words: "us", "who", a shouted line.
            ("Join us tomorrow. Who decides?", &[]),
            ("WHO IS TO BLAME FOR THE PRICE HIKES?", &[]),
            ("The WHO says health workers come first.", &["who"]),
        ];
        for (text, want) in cases {
            let got = ids(text);
            let mut got_distinct: Vec<String> = Vec::new();
            for id in got {
                if !got_distinct.contains(&id) {
                    got_distinct.push(id);
                }
            }
            assert_eq!(got_distinct, *want, "{text}");
        }
    }
}
