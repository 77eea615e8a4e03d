//! Entities on the pages: `/entities` (the entities named most, per kind, of a period or a
//! channel), `/entities/{key}` (one entity: its posts over time, channels, companions, first
//! mention and posts; any name of it redirects to its key's page), the marks of the entities
//! in a post's text, a channel page's entities, and a search page's facets. The API's routes
//! are in [`crate::entities`].

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tgscope_engine::Period;
use tgscope_engine::entities::{EntityKind, Recognizer, display_name, entity_key, split_key};

use crate::AppState;
use crate::archive::{self, EntitiesFound, EntityAsk};
use crate::chart::{self, Chart};
use crate::entities::{KINDS, day, kind_class, kind_noun, kind_param, narrowed};
use crate::form::SearchForm;
use crate::links;
use crate::network::{NetworkFormat, date_param};
use crate::network_pages::DownloadLink;
use crate::pages::{
    Choice, ErrorView, HitView, PageParams, api_pair, chart_csv_url, error_page, post_list, render,
};
use crate::params::{Params, PathText};
use crate::problem::ApiError;
use crate::segments::EntitySpan;

/// How many entities of each kind the entities page lists (of one kind: [`PAGE_ONE_KIND`]).
pub const PAGE_PER_KIND: usize = 25;
/// How many entities the entities page lists when one kind is chosen.
pub const PAGE_ONE_KIND: usize = 100;
/// How many entities of each kind a channel page lists.
pub const CHANNEL_PER_KIND: usize = 8;
/// How many channels an entity's page lists.
pub const PAGE_CHANNELS: usize = 20;
/// How many entities named with it an entity's page lists.
pub const PAGE_WITH: usize = 30;

/// A link to an entity's page.
pub struct EntityLink {
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) href: String,
    /// `entity entity-country` and so on.
    pub(crate) class: &'static str,
    /// `country`, `organisation` or `person`.
    pub(crate) kind: &'static str,
    /// Posts (or, in a post, mentions).
    pub(crate) count: u64,
}

/// The link to the entity of `key`, named `name`, with a count.
fn entity_link(key: &str, name: String, count: u64) -> EntityLink {
    let kind = split_key(key).map(|(k, _)| k);
    EntityLink {
        name,
        key: key.to_string(),
        href: links::entity_page(key),
        class: kind.map_or("entity", kind_class),
        kind: kind.map_or("entity", kind_noun),
        count,
    }
}

/// The entities a post's text names: the marks for its text (a form that names two entities,
/// such as "Congolese", is one mark linking to the first and naming both), and each entity once
/// with its mentions, in the order first named.
pub fn text_marks(recognizer: &Recognizer, text: &str) -> (Vec<EntitySpan>, Vec<EntityLink>) {
    let mentions = recognizer.recognize(text);
    let mut marks: Vec<EntitySpan> = Vec::new();
    let mut named: Vec<EntityLink> = Vec::new();
    let mut last: Option<(usize, usize)> = None;
    for m in &mentions {
        let key = entity_key(m.kind, &m.id);
        let name = display_name(recognizer, &key);
        let about = if m.listed {
            format!("{name} ({key})")
        } else {
            format!("{name} ({key}; a person on no list)")
        };
        match marks.last_mut() {
            Some(mark) if last == Some((m.start, m.end)) => {
                mark.title.push_str("; ");
                mark.title.push_str(&about);
            }
            _ => marks.push(EntitySpan {
                start: m.start,
                end: m.end,
                href: links::entity_page(&key),
                class: kind_class(m.kind),
                title: about,
            }),
        }
        last = Some((m.start, m.end));
        match named.iter_mut().find(|e| e.key == key) {
            Some(e) => e.count += 1,
            None => named.push(entity_link(&key, name, 1)),
        }
    }
    (marks, named)
}

/// A first mention, linked.
pub struct FirstView {
    pub(crate) id: i64,
    pub(crate) href: String,
    pub(crate) date: String,
}

fn first_view(first: (Option<i64>, i64)) -> FirstView {
    FirstView {
        id: first.1,
        href: format!("/posts/{}", first.1),
        date: match first.0 {
            Some(_) => day(first.0),
            None => "undated".to_string(),
        },
    }
}

/// A channel naming an entity, linked.
pub struct ChannelLink {
    pub(crate) name: String,
    pub(crate) href: String,
    pub(crate) posts: u64,
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    key: String,
    name: String,
    kind: &'static str,
    class: &'static str,
    /// Its name in Russian, when the lists give another.
    name_ru: Option<String>,
    listed: bool,
    user: bool,
    /// A person's country.
    country: Option<EntityLink>,
    posts: u64,
    mentions: u64,
    channel_count: usize,
    posts_read: u64,
    first: Option<FirstView>,
    filter: String,
    search_href: String,
    chart: Option<Chart>,
    chart_csv: String,
    channels: Vec<ChannelLink>,
    channels_more: usize,
    with: Vec<EntityLink>,
    with_more: usize,
    hits: Vec<HitView>,
    start: usize,
    prev: Option<String>,
    next: Option<String>,
    json_url: String,
    posts_json: String,
    posts_csv: String,
}

/// `/entities/{key}`: an entity's name and kind, its posts and mentions, its posts over time,
/// the channels naming it most, the entities named with it, its first mention, a link to the
/// search of its posts, and its posts, newest first. Any other name of it (`KZ`, `Казахстане`,
/// `Лавров`, `country:kz`) redirects to the key's page; a name of no entity is `404`.
pub async fn entity(
    State(state): State<AppState>,
    name: Result<PathText, ApiError>,
    RawQuery(raw): RawQuery,
    paging: Result<Params<PageParams>, ApiError>,
) -> Response {
    match entity_page(&state, name, raw, paging).await {
        Ok(Shown::Page(page)) => render(&*page, StatusCode::OK),
        Ok(Shown::Elsewhere(url)) => Redirect::to(&url).into_response(),
        Err(e) => error_page(&e),
    }
}

/// A page, or where the entity's page is.
enum Shown {
    Page(Box<EntityPage>),
    Elsewhere(String),
}

async fn entity_page(
    state: &AppState,
    name: Result<PathText, ApiError>,
    raw: Option<String>,
    paging: Result<Params<PageParams>, ApiError>,
) -> Result<Shown, ApiError> {
    let PathText(name) = name?;
    let Params(paging) = paging?;
    let elsewhere = |key: &str| {
        let query = raw
            .as_deref()
            .filter(|q| !q.is_empty())
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        Shown::Elsewhere(format!("{}{query}", links::entity_page(key)))
    };
    let ask = EntityAsk::all(Period::Month);
    let found = match archive::entity_key(state, name.clone()).await? {
        Ok(key) if key == name => archive::entities(state, ask).await?,
        Ok(key) => return Ok(elsewhere(&key)),
        Err(_) => {
            // A person on no list by the name the posts give, or not found.
            let (key, _) = archive::entity(state, name, ask).await?;
            return Ok(elsewhere(&key));
        }
    };
    let key = name;
    if let Some(e) = archive::unnamed_unlisted(&key, &found) {
        return Err(e);
    }
    let response = crate::entities::entity_response(&key, &found);
    let record = &response.record;
    let kind = split_key(&key).map(|(k, _)| k);
    let filter = response.filter.clone();
    let path = links::entity_page(&key);
    let list = post_list(state, filter.clone(), &path, &paging.cursor).await?;
    let (chart, chart_csv) = if record.posts > 0 {
        let (by, counts) = archive::counts_for_chart(state, filter.clone(), None).await?;
        (
            chart::chart(
                format!("Posts naming {} per {}", record.name, by.as_str()),
                by,
                &counts,
                &[("q", &filter), ("sort", "date")],
            )
            .map(|c| c.of_posts(record.posts)),
            chart_csv_url(&filter, by),
        )
    } else {
        (None, String::new())
    };
    let entry = found.view.table.entities.iter().find(|e| e.key == key);
    let channels: Vec<ChannelLink> = entry
        .map(|e| {
            e.channels
                .iter()
                .take(PAGE_CHANNELS)
                .map(|(id, posts)| channel_link(&found, *id, *posts))
                .collect()
        })
        .unwrap_or_default();
    let with: Vec<EntityLink> = entry
        .map(|e| {
            e.with
                .iter()
                .take(PAGE_WITH)
                .map(|(k, n)| entity_link(k, entity_name(&found, k), *n))
                .collect()
        })
        .unwrap_or_default();
    let (posts_json, posts_csv) = api_pair("/api/v1/search", &[("q", &filter), ("sort", "date")]);
    let country = response
        .country
        .as_deref()
        .filter(|_| kind == Some(EntityKind::Person))
        .map(|code| {
            let key = entity_key(EntityKind::Country, code);
            entity_link(&key, display_name(&found.recognizer, &key), 0)
        });
    Ok(Shown::Page(Box::new(EntityPage {
        name: record.name.clone(),
        kind: kind.map_or("entity", kind_noun),
        class: kind.map_or("entity", kind_class),
        name_ru: Some(response.name_ru.clone()).filter(|n| *n != record.name),
        listed: record.listed,
        user: response.user,
        country,
        posts: record.posts,
        mentions: record.mentions,
        channel_count: record.channels.len(),
        posts_read: response.posts_read,
        first: entry.map(|e| first_view(e.first)),
        search_href: links::with_query("/search", &[("q", &filter)]),
        chart,
        chart_csv,
        channels_more: record.channels.len().saturating_sub(channels.len()),
        channels,
        with_more: entry.map_or(0, |e| e.with.len().saturating_sub(with.len())),
        with,
        hits: list.hits,
        start: list.start,
        prev: list.prev,
        next: list.next,
        json_url: links::entity_api(&key),
        posts_json,
        posts_csv,
        filter,
        key,
    })))
}

fn entity_name(found: &EntitiesFound, key: &str) -> String {
    found
        .view
        .names
        .get(key)
        .cloned()
        .unwrap_or_else(|| display_name(&found.recognizer, key))
}

fn channel_link(found: &EntitiesFound, id: i64, posts: u64) -> ChannelLink {
    match found.channels.get(&id) {
        Some(c) => ChannelLink {
            name: c.name(),
            href: links::channel_page(c),
            posts,
        },
        None => ChannelLink {
            name: found
                .view
                .channel_names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("channel {id}")),
            href: format!("/channels/{id}"),
            posts,
        },
    }
}

/// The parameters of the entities page, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct EntitiesForm {
    /// `country`, `org`, `person`, or empty for all three.
    #[serde(default)]
    pub kind: String,
    /// From this day.
    #[serde(default)]
    pub since: String,
    /// Before this day.
    #[serde(default)]
    pub until: String,
    /// Of this channel.
    #[serde(default)]
    pub channel: String,
}

/// An entity as a row of the entities page.
pub struct EntityRow {
    pub(crate) link: EntityLink,
    pub(crate) mentions: u64,
    pub(crate) channels: usize,
    pub(crate) first: FirstView,
    pub(crate) with: Vec<EntityLink>,
}

/// The entities of one kind.
pub struct EntityGroup {
    /// `countries`, `organisations`, `people` (the section's id).
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) rows: Vec<EntityRow>,
    /// Entities of the kind not listed.
    pub(crate) more: usize,
}

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    kinds: Vec<Choice>,
    since: String,
    until: String,
    channel: String,
    error: Option<ErrorView>,
    summary: String,
    groups: Vec<EntityGroup>,
    json_url: String,
    csv_url: String,
    network: Vec<DownloadLink>,
}

fn group_id(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Country => "countries",
        EntityKind::Org => "organisations",
        EntityKind::Person => "people",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The entities of `found` of each kind in `kinds`, `per_kind` of each.
fn groups(found: &EntitiesFound, kinds: &[EntityKind], per_kind: usize) -> Vec<EntityGroup> {
    let mut by_kind: BTreeMap<EntityKind, Vec<&tgscope_engine::entities::EntityCount>> =
        BTreeMap::new();
    for e in &found.view.table.entities {
        if let Some((kind, _)) = split_key(&e.key) {
            by_kind.entry(kind).or_default().push(e);
        }
    }
    kinds
        .iter()
        .map(|kind| {
            let all = by_kind.remove(kind).unwrap_or_default();
            let title = KINDS
                .iter()
                .find(|(k, _, _)| k == kind)
                .map_or("Entities", |(_, _, title)| title);
            EntityGroup {
                id: group_id(*kind),
                title,
                more: all.len().saturating_sub(per_kind),
                rows: all
                    .into_iter()
                    .take(per_kind)
                    .map(|e| EntityRow {
                        link: entity_link(&e.key, entity_name(found, &e.key), e.posts),
                        mentions: e.mentions,
                        channels: e.channels.len(),
                        first: first_view(e.first),
                        with: e
                            .with
                            .iter()
                            .take(3)
                            .map(|(k, n)| entity_link(k, entity_name(found, k), *n))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// `/entities?kind=&since=&until=&channel=`: the countries, organisations and people named
/// most (of one kind or all three, in a period, in one channel's posts), each with its posts,
/// mentions, channels, first mention and the entities named with it most; downloads of the
/// table and of the entity network. A bad filter is shown above the form, with status 400.
pub async fn index(
    State(state): State<AppState>,
    form: Result<Params<EntitiesForm>, ApiError>,
) -> Response {
    let form = match form {
        Ok(Params(form)) => form,
        Err(e) => return error_page(&e),
    };
    let chosen = EntityKind::parse(&form.kind).map_or("", EntityKind::as_str);
    let mut page = EntitiesPage {
        kinds: [
            ("", "all kinds"),
            ("country", "countries"),
            ("org", "organisations"),
            ("person", "people"),
        ]
        .into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: chosen == value,
        })
        .collect(),
        since: form.since.clone(),
        until: form.until.clone(),
        channel: form.channel.clone(),
        error: None,
        summary: String::new(),
        groups: Vec::new(),
        json_url: String::new(),
        csv_url: String::new(),
        network: Vec::new(),
    };
    let status = match fill_index(&state, &form, &mut page).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            page.error = Some(ErrorView::from(&e));
            e.code.status()
        }
    };
    render(&page, status)
}

async fn fill_index(
    state: &AppState,
    form: &EntitiesForm,
    page: &mut EntitiesPage,
) -> Result<(), ApiError> {
    let kind = kind_param(Some(&form.kind))?;
    let since = date_param("since", &form.since)?;
    let until = date_param("until", &form.until)?;
    let channel = form.channel.trim().to_string();
    let found = archive::entities(
        state,
        EntityAsk {
            kind,
            channel: (!channel.is_empty()).then(|| channel.clone()),
            since,
            until,
            by: Period::Month,
        },
    )
    .await?;
    let table = &found.view.table;
    let mut summary = format!(
        "{} read; {} name {}",
        plural(table.posts, "post", "posts"),
        table.posts_with_entities,
        match kind {
            Some(EntityKind::Country) => "a country",
            Some(EntityKind::Org) => "an organisation",
            Some(EntityKind::Person) => "a person",
            None => "an entity",
        }
    );
    summary.push_str(&format!(
        "; {} named",
        plural(table.entities.len() as u64, "entity", "entities")
    ));
    if table.undated_left_out > 0 {
        summary.push_str(&format!(
            "; {} naming entities left out by the dates",
            plural(table.undated_left_out, "undated post", "undated posts")
        ));
    }
    page.summary = summary;
    page.groups = match kind {
        Some(k) => groups(&found, &[k], PAGE_ONE_KIND),
        None => groups(
            &found,
            &[EntityKind::Country, EntityKind::Org, EntityKind::Person],
            PAGE_PER_KIND,
        ),
    };
    let kind_text = kind.map(EntityKind::as_str).unwrap_or("");
    let pairs = [
        ("kind", kind_text),
        ("channel", channel.as_str()),
        ("since", form.since.trim()),
        ("until", form.until.trim()),
    ];
    (page.json_url, page.csv_url) = api_pair("/api/v1/entities", &pairs);
    page.network = [
        (NetworkFormat::Gexf, "GEXF (Gephi)", "gexf"),
        (NetworkFormat::Graphml, "GraphML", "graphml"),
        (NetworkFormat::Json, "JSON", "json"),
    ]
    .into_iter()
    .map(|(f, label, class)| DownloadLink {
        label,
        href: links::with_query(
            "/api/v1/network",
            &[
                ("kind", "entity"),
                ("entity_kind", kind_text),
                ("since", form.since.trim()),
                ("until", form.until.trim()),
                ("format", f.name()),
            ],
        ),
        media_type: f.media_type(),
        class,
    })
    .collect();
    Ok(())
}

/// A channel page's entities: a few of each kind, or why there are none.
pub struct ChannelEntities {
    pub(crate) groups: Vec<EntityGroup>,
    /// The entities page of the channel.
    pub(crate) all_href: String,
    /// Why there are none (none named, or the analysis failed).
    pub(crate) note: Option<String>,
}

/// The entities a channel's posts name most, [`CHANNEL_PER_KIND`] of each kind (`key`: the
/// channel's name in this server's paths); the rest of the page is shown whatever the analysis
/// answers.
pub async fn channel_section(state: &AppState, channel_id: i64, key: &str) -> ChannelEntities {
    let all_href = links::with_query("/entities", &[("channel", key)]);
    let ask = EntityAsk {
        channel: Some(channel_id.to_string()),
        ..EntityAsk::all(Period::Month)
    };
    match archive::entities(state, ask).await {
        Ok(found) if found.view.table.entities.is_empty() => ChannelEntities {
            groups: Vec::new(),
            all_href,
            note: Some("Its posts name no country, organisation or person of the lists.".into()),
        },
        Ok(found) => ChannelEntities {
            groups: groups(
                &found,
                &[EntityKind::Country, EntityKind::Org, EntityKind::Person],
                CHANNEL_PER_KIND,
            ),
            all_href,
            note: None,
        },
        Err(e) => ChannelEntities {
            groups: Vec::new(),
            all_href,
            note: Some(format!("The entity analysis did not answer: {}", e.detail)),
        },
    }
}

/// An entity among the matches of a search.
pub struct FacetEntry {
    pub(crate) name: String,
    pub(crate) posts: u64,
    /// The search narrowed to its posts (none when the query has its filter already).
    pub(crate) href: Option<String>,
    /// Its page.
    pub(crate) page: String,
    pub(crate) class: &'static str,
}

/// The entities of one kind among the matches.
pub struct FacetGroup {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    /// Matching posts naming one.
    pub(crate) posts: u64,
    /// Distinct ones.
    pub(crate) distinct: u64,
    pub(crate) entries: Vec<FacetEntry>,
}

/// A search page's facets: the entities of every match, per kind, or why there are none.
pub struct FacetsSection {
    pub(crate) groups: Vec<FacetGroup>,
    pub(crate) note: Option<String>,
}

/// Whether `query` holds `filter` already (as a whole term).
fn has_filter(query: &str, filter: &str) -> bool {
    if filter.contains(' ') {
        query.contains(filter)
    } else {
        query.split_whitespace().any(|t| t == filter)
    }
}

/// The entities of every post `query` matches (the combined query of `form`), each linking to
/// the search with its filter added to the query box; the rest of the page is shown whatever
/// the index answers.
pub async fn facets_section(state: &AppState, form: &SearchForm, query: &str) -> FacetsSection {
    match archive::facets(
        state,
        query.to_string(),
        tgscope_engine::search::FACETS_PER_KIND,
    )
    .await
    {
        Ok(facets) => FacetsSection {
            groups: facets
                .kinds
                .iter()
                .filter(|k| !k.top.is_empty())
                .map(|k| FacetGroup {
                    id: group_id(k.kind),
                    title: KINDS
                        .iter()
                        .find(|(kind, _, _)| *kind == k.kind)
                        .map_or("Entities", |(_, _, title)| title),
                    posts: k.posts,
                    distinct: k.distinct,
                    entries: k
                        .top
                        .iter()
                        .map(|e| FacetEntry {
                            name: e.name_en.clone(),
                            posts: e.posts,
                            href: (!has_filter(query, &e.filter)).then(|| {
                                let narrowed_form = SearchForm {
                                    q: narrowed(&form.q, &e.filter),
                                    cursor: String::new(),
                                    ..form.clone()
                                };
                                links::with_query("/search", &narrowed_form.pairs())
                            }),
                            page: links::entity_page(&e.key),
                            class: kind_class(k.kind),
                        })
                        .collect(),
                })
                .collect(),
            note: None,
        },
        Err(e) => FacetsSection {
            groups: Vec::new(),
            note: Some(format!(
                "The entities of the matches could not be counted: {}",
                e.detail
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_text_is_marked_where_it_names_entities() {
        let recognizer = Recognizer::bundled();
        let text = "Лавров прибыл в Казахстан; казахстанская сторона и ШОС.";
        let (marks, named) = text_marks(&recognizer, text);
        let shown: Vec<(&str, &str)> = marks
            .iter()
            .map(|m| (&text[m.start..m.end], m.href.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Лавров", "/entities/person:lavrov"),
                ("Казахстан", "/entities/country:KZ"),
                ("казахстанская", "/entities/country:KZ"),
                ("ШОС", "/entities/org:sco"),
            ]
        );
        let counts: Vec<(&str, u64)> = named.iter().map(|e| (e.key.as_str(), e.count)).collect();
        assert_eq!(
            counts,
            [("person:lavrov", 1), ("country:KZ", 2), ("org:sco", 1)]
        );
        assert_eq!(marks[1].class, "entity entity-country");
        assert!(marks[1].title.contains("Kazakhstan (country:KZ)"));
    }

    #[test]
    fn a_form_naming_two_entities_is_one_mark_naming_both() {
        let recognizer = Recognizer::bundled();
        // (An ambiguous form, supported by a country named in the same sentence.)
        let text = "Конголезские власти ответили Франции.";
        let (marks, named) = text_marks(&recognizer, text);
        assert_eq!(marks.len(), 2, "{marks:?}");
        assert_eq!(&text[marks[0].start..marks[0].end], "Конголезские");
        assert!(
            marks[0].title.contains("country:CD") && marks[0].title.contains("country:CG"),
            "{}",
            marks[0].title
        );
        let keys: BTreeSet<&str> = named.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["country:CD", "country:CG", "country:FR"])
        );
    }

    #[test]
    fn a_filter_in_the_query_is_found_whole() {
        assert!(has_filter("санкции country:KZ", "country:KZ"));
        assert!(!has_filter("санкции -country:KZ", "country:KZ"));
        assert!(!has_filter("country:KZT", "country:KZ"));
        assert!(has_filter(
            "x person:\"~такэси ивая\"",
            "person:\"~такэси ивая\""
        ));
    }
}
