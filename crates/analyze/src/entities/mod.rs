//! Entities: the countries, international organisations and people a post names, in Russian
//! and English, with their spans in the post's clean text.
//!
//! [`Recognizer`] is a closed-set entity linker: the lists in `crates/analyze/data/entities/`
//! (the registry `entities.tsv`; `aliases.tsv`, every surface form with the Russian case forms
//! generated offline by `generate.py`; `not-entities.tsv`, phrases that contain a name but name
//! nothing; `roles.tsv`, role phrases that introduce people; `contexts.tsv`, words that settle
//! ambiguous forms), plus a user's own list ([`Recognizer::with_user_list`]). Every mention is
//! resolved to an id (ISO 3166-1 alpha-2 for countries, a short id for organisations and
//! people), so that «России», «РФ», 🇷🇺 and "Russia's" count as one country. People not on the
//! list are found after role phrases («министр иностранных дел Японии Такэси Ивая») and marked
//! as not listed. The rules for ambiguous forms are in `docs/entities.md`.
//!
//! [`EntityState`] keeps per post the entities it names, on disk in post order (derived data
//! caught up to the archive's mark like the search index, rebuilt when the lists change), and
//! answers the questions asked of it: entities over time ([`EntityState::table`]) and the
//! co-occurrence network ([`EntityState::cooccurrence`]).
//!
//! Does not: read the archive (the engine hands it texts), or guess entities that are on no
//! list and after no role phrase.

mod lists;
mod recognize;
mod state;

pub use lists::ListError;
pub use recognize::{Recognizer, fold_name};
pub use state::{
    EntityCount, EntityPost, EntityQuery, EntityState, EntityTable, EntityWriter, entity_key,
    split_key,
};

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// A country (or a territory with its own ISO code).
    Country,
    /// An international organisation or format (the UN, the SCO, BRICS, the EU).
    Org,
    /// A person.
    Person,
}

impl EntityKind {
    /// Its name in files, queries and the export record.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Country => "country",
            EntityKind::Org => "org",
            EntityKind::Person => "person",
        }
    }

    /// The kind of a name (`country`, `org` or `organisation`, `person`).
    pub fn parse(name: &str) -> Option<EntityKind> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "country" | "countries" => EntityKind::Country,
            "org" | "orgs" | "organisation" | "organization" | "organisations"
            | "organizations" => EntityKind::Org,
            "person" | "people" | "persons" => EntityKind::Person,
            _ => return None,
        })
    }
}

/// How a mention names its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// A short name (Россия, Kazakhstan).
    Name,
    /// An official or long name (Российская Федерация).
    Official,
    /// An abbreviation (РФ, ШОС, UN).
    Abbr,
    /// An adjective (российский, Russian).
    Adjective,
    /// The first part of a compound adjective («российско-китайские»).
    AdjectivePrefix,
    /// An inhabitant or member (россияне, Kazakhs).
    Demonym,
    /// A person's full name.
    Fullname,
    /// A person's surname alone.
    Surname,
    /// Initials and a surname (С.В.Лавров).
    Initials,
    /// A flag emoji.
    Flag,
    /// A part of a hashtag (#RussiaKyrgyzstan).
    Hashtag,
    /// A person found after a role phrase (not on the list).
    Role,
}

impl Via {
    /// Its name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Name => "name",
            Via::Official => "official",
            Via::Abbr => "abbr",
            Via::Adjective => "adjective",
            Via::AdjectivePrefix => "adjective_prefix",
            Via::Demonym => "demonym",
            Via::Fullname => "fullname",
            Via::Surname => "surname",
            Via::Initials => "initials",
            Via::Flag => "flag",
            Via::Hashtag => "hashtag",
            Via::Role => "role",
        }
    }

    fn parse(name: &str) -> Option<Via> {
        Some(match name {
            "name" => Via::Name,
            "official" => Via::Official,
            "abbr" => Via::Abbr,
            "adjective" => Via::Adjective,
            "adjective_prefix" => Via::AdjectivePrefix,
            "demonym" => Via::Demonym,
            "fullname" => Via::Fullname,
            "surname" => Via::Surname,
            "initials" => Via::Initials,
            "flag" => Via::Flag,
            "hashtag" => Via::Hashtag,
            "role" => Via::Role,
            _ => return None,
        })
    }
}

/// An entity of the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// Its id: ISO 3166-1 alpha-2 for a country (`KZ`), a short lower-case id for an
    /// organisation (`sco`) or a person (`lavrov`).
    pub id: String,
    /// What it is.
    pub kind: EntityKind,
    /// Its name in English.
    pub name_en: String,
    /// Its name in Russian.
    pub name_ru: String,
    /// A person's country (ISO code), when known.
    pub country: Option<String>,
    /// Whether it comes from the user's list.
    pub user: bool,
}

/// One mention of an entity in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// What it is.
    pub kind: EntityKind,
    /// The entity's id; for a person not on the list, `~` and the name as found, folded
    /// (lower case, ё as е).
    pub id: String,
    /// The entity's name (English); for a person not on the list, the name as written.
    pub name: String,
    /// Where it starts in the text (bytes).
    pub start: usize,
    /// Where it ends (bytes, exclusive).
    pub end: usize,
    /// How it is named.
    pub via: Via,
    /// Whether the entity is on a list (`false`: a person found after a role phrase).
    pub listed: bool,
}
