//! What the API and the pages ask of the archive, each question a closure on a pooled engine.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use tgscope_engine::EngineError;
use tgscope_engine::Period;
use tgscope_engine::entities::{EntityKind, EntityTable, EntityTableView, Recognizer, split_key};
use tgscope_engine::network::{Amplification, HashtagTable, Network, NetworkQuery};
use tgscope_engine::search::{EntityFacet, EntityFacets};
use tgscope_engine::{
    Capture, ChannelCopies, ChannelCount, ChannelInfo, ChannelSummary, ClusterDetail,
    ClusterFilter, ClustersPage, Engine, PeriodCount, PostCopies, PostDetail, QueryCounts,
    SearchPage, SortBy, SourceCount, TagCount,
};

use crate::AppState;
use crate::pool::PoolError;
use crate::problem::ApiError;

/// Posts' clusters and relations to their cluster's first post, by post id (what the export
/// records' `cluster` and `copy_of` say).
pub use tgscope_engine::CopyRelations;

/// The clusters of the posts `ids` and their relations (each cluster described once, however
/// many of its posts are asked about); posts without copies are not in the map.
pub fn copy_relations_of(
    engine: &mut Engine,
    ids: impl IntoIterator<Item = i64>,
) -> tgscope_engine::Result<CopyRelations> {
    let ids: Vec<i64> = ids.into_iter().collect();
    engine.copy_relations_of(&ids)
}

/// A search with its counts per period.
pub struct Found {
    /// The page of results.
    pub page: SearchPage,
    /// Counts per period (with the undated matches they leave out), when asked for.
    pub counts: Option<QueryCounts>,
    /// The clusters of the hits that have copies, when asked for.
    pub copies: CopyRelations,
    /// The archive's entity recognizer (for the records' `named_entities`).
    pub recognizer: std::sync::Arc<tgscope_engine::entities::Recognizer>,
}

/// What a search asks.
#[derive(Debug, Clone)]
pub struct SearchAsk {
    /// The query (already checked).
    pub query: String,
    /// The order.
    pub sort: SortBy,
    /// The page size.
    pub limit: usize,
    /// Results before the page.
    pub offset: usize,
    /// Counts per this period too.
    pub by: Option<Period>,
    /// The hits' clusters of copies too (for their export records).
    pub copies: bool,
}

fn empty_page(offset: usize) -> SearchPage {
    SearchPage {
        total: 0,
        offset,
        hits: Vec::new(),
        sort: SortBy::Relevance,
        ranked: false,
        index_catching_up: false,
    }
}

/// The counts of an empty archive.
pub fn no_counts(by: Option<Period>) -> QueryCounts {
    QueryCounts {
        period: by.unwrap_or(Period::Week),
        period_chosen: by.is_none(),
        counts: Vec::new(),
        matching: 0,
        dated: 0,
        undated: 0,
        index_catching_up: false,
    }
}

/// Runs a search (and its counts) on a pooled engine.
pub async fn search(state: &AppState, ask: SearchAsk) -> Result<Found, ApiError> {
    let offset = ask.offset;
    let result = state
        .pool
        .run(move |engine| {
            let page = engine.search(&ask.query, ask.sort, ask.limit, ask.offset)?;
            let counts = match ask.by {
                Some(by) => Some(engine.count(&ask.query, Some(by))?),
                None => None,
            };
            let copies = if ask.copies {
                copy_relations_of(engine, page.hits.iter().map(|h| h.post.id))?
            } else {
                CopyRelations::new()
            };
            Ok(Found {
                page,
                counts,
                copies,
                recognizer: engine.recognizer()?,
            })
        })
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(Found {
            page: empty_page(offset),
            counts: Some(no_counts(None)),
            copies: CopyRelations::new(),
            recognizer: tgscope_engine::entities::Recognizer::bundled(),
        }),
        other => Ok(other?),
    }
}

/// Counts of a query per the period, choosing one when `by` is `None` (the engine's
/// [`Engine::count`]: days for a few weeks, weeks up to two years, months beyond, and never
/// more periods than a chart draws while a coarser period is left), with the undated matches
/// the counts leave out. The three periods are counted in one pass over the matches.
pub async fn counts(
    state: &AppState,
    query: String,
    by: Option<Period>,
) -> Result<QueryCounts, ApiError> {
    let result = state.pool.run(move |engine| engine.count(&query, by)).await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(no_counts(by)),
        other => Ok(other?),
    }
}

/// [`counts`] as a chart draws them: the period and its counts.
pub async fn counts_for_chart(
    state: &AppState,
    query: String,
    by: Option<Period>,
) -> Result<(Period, Vec<PeriodCount>), ApiError> {
    let counted = counts(state, query, by).await?;
    Ok((counted.period, counted.counts))
}

/// One post with its history, and its cluster of copies (for its export record).
pub async fn post(state: &AppState, id: i64) -> Result<PostFound, ApiError> {
    Ok(state
        .pool
        .run(move |engine| {
            let detail = engine.post(id)?;
            let copies = copy_relations_of(engine, [id])?;
            Ok((detail, copies, engine.recognizer()?))
        })
        .await?)
}

/// A post with its cluster and the archive's entity recognizer.
pub type PostFound = (
    PostDetail,
    CopyRelations,
    std::sync::Arc<tgscope_engine::entities::Recognizer>,
);

/// Which of a post's evidence files the archive keeps: its media files and its captures' bytes,
/// by SHA-256 (a page links only to what it can serve).
#[derive(Debug, Default)]
pub struct KeptFiles {
    media: HashSet<String>,
    captures: HashSet<String>,
}

impl KeptFiles {
    /// Whether the media file with this SHA-256 is kept.
    pub fn media(&self, sha256: &str) -> bool {
        self.media.contains(sha256)
    }

    /// Whether the bytes of the capture with this SHA-256 are kept.
    pub fn capture(&self, sha256: &str) -> bool {
        self.captures.contains(sha256)
    }
}

/// One post with its history, which of its files the archive keeps (looked up on the engine's
/// thread, not the server's), and the archive's entity recognizer (for the entities its text
/// names).
pub async fn post_with_files(
    state: &AppState,
    id: i64,
) -> Result<(PostDetail, KeptFiles, Arc<Recognizer>), ApiError> {
    let found = state.pool.run(move |engine| {
        let detail = engine.post(id)?;
        let dir = engine.dir();
        let post = &detail.post;
        let media = post
            .current
            .media
            .iter()
            .filter_map(|m| m.sha256.as_deref())
            .filter(|sha| Engine::media_file(dir, sha).is_some())
            .map(str::to_string)
            .collect();
        let captures = detail
            .sightings
            .iter()
            .map(|s| s.capture_sha256.as_str())
            .filter(|sha| Engine::raw_capture_kept(dir, sha))
            .map(str::to_string)
            .collect();
        Ok((detail, KeptFiles { media, captures }, engine.recognizer()?))
    });
    Ok(found.await?)
}

/// Every channel, and whether the archive exists at all.
pub async fn channels(state: &AppState) -> Result<Option<Vec<ChannelSummary>>, ApiError> {
    match state.pool.run(|engine| engine.channels()).await {
        Err(PoolError::NoArchive(_)) => Ok(None),
        other => Ok(Some(other?)),
    }
}

/// What the home page shows of the archive, as of one archive mark.
#[derive(Debug, Clone)]
pub struct HomeFacts {
    /// The archive's mark these were read at.
    pub mark: i64,
    /// Every channel (`None`: there is no archive yet).
    pub channels: Option<Vec<ChannelSummary>>,
    /// The hashtags used most.
    pub hashtags: Vec<TagCount>,
    /// How many captures there are, and the newest ones.
    pub captures: (u64, Vec<Capture>),
}

/// The home page's facts: read once per archive mark and kept (they count every post, which
/// at a million posts takes seconds), so that the page costs one look at the mark while the
/// archive does not change. `captures` newest captures are listed.
pub async fn home_facts(
    state: &AppState,
    hashtags: usize,
    captures: u64,
) -> Result<Arc<HomeFacts>, ApiError> {
    let kept = state.home.clone();
    let read = state
        .pool
        .run(move |engine| {
            let mark = engine.archive_mark()?;
            if let Some(facts) = kept.lock().ok().and_then(|k| k.clone())
                && facts.mark == mark
            {
                return Ok(facts);
            }
            let channels = engine.channels()?;
            let posts: u64 = channels.iter().map(|c| c.posts).sum();
            let (hashtags, captures) = if posts > 0 {
                (
                    engine.top_hashtags(None, hashtags as u64, 0)?,
                    engine.newest_captures(captures)?,
                )
            } else {
                (Vec::new(), (0, Vec::new()))
            };
            let facts = Arc::new(HomeFacts {
                mark,
                channels: Some(channels),
                hashtags,
                captures,
            });
            if let Ok(mut k) = kept.lock() {
                *k = Some(facts.clone());
            }
            Ok(facts)
        })
        .await;
    match read {
        Err(PoolError::NoArchive(_)) => Ok(Arc::new(HomeFacts {
            mark: 0,
            channels: None,
            hashtags: Vec::new(),
            captures: (0, Vec::new()),
        })),
        other => Ok(other?),
    }
}

/// Every capture's record, in ingest order.
pub async fn captures(
    state: &AppState,
) -> Result<Vec<tgscope_engine::export::CaptureRecord>, ApiError> {
    match state.pool.run(|engine| engine.capture_records()).await {
        Err(PoolError::NoArchive(_)) => Ok(Vec::new()),
        other => Ok(other?),
    }
}

/// The `limit` captures ingested last, newest first, and how many there are.
pub async fn newest_captures(
    state: &AppState,
    limit: u64,
) -> Result<(u64, Vec<Capture>), ApiError> {
    match state
        .pool
        .run(move |engine| engine.newest_captures(limit))
        .await
    {
        Err(PoolError::NoArchive(_)) => Ok((0, Vec::new())),
        other => Ok(other?),
    }
}

/// The archive's hashtags used most.
pub async fn top_hashtags(
    state: &AppState,
    limit: usize,
    offset: usize,
) -> Result<Vec<TagCount>, ApiError> {
    let result = state
        .pool
        .run(move |engine| engine.top_hashtags(None, limit as u64, offset as u64))
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(Vec::new()),
        other => Ok(other?),
    }
}

/// A channel with what its page shows.
pub struct ChannelFacts {
    /// The channel and its counts.
    pub summary: ChannelSummary,
    /// Its posts per period.
    pub activity: (Period, Vec<PeriodCount>),
    /// The same counts with its undated posts, which they leave out.
    pub activity_counts: QueryCounts,
    /// Its hashtags used most.
    pub hashtags: Vec<TagCount>,
    /// The sources it forwards most.
    pub sources: Vec<SourceCount>,
}

/// What a channel's page and API need.
#[derive(Debug, Clone, Copy)]
pub struct ChannelAsk {
    /// Activity per this period (`None`: chosen for the chart).
    pub by: Option<Period>,
    /// How many top hashtags.
    pub hashtags: usize,
    /// How many top forward sources.
    pub sources: usize,
}

/// A channel by name with its counts, activity, top hashtags and forward sources.
pub async fn channel(
    state: &AppState,
    name: String,
    ask: ChannelAsk,
) -> Result<ChannelFacts, ApiError> {
    let missing = format!("no channel named {name:?} in the archive");
    let summary = state
        .pool
        .run(move |engine| engine.channel(&name))
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found(missing))?;
    let id = summary.channel.id;
    let counted = counts(state, channel_query(id), ask.by).await?;
    let (hashtags, sources) = channel_tops(state, id, ask.hashtags, ask.sources).await?;
    Ok(ChannelFacts {
        summary,
        activity: (counted.period, counted.counts.clone()),
        activity_counts: counted,
        hashtags,
        sources,
    })
}

/// A channel by name, without more.
pub async fn channel_summary(state: &AppState, name: String) -> Result<ChannelSummary, ApiError> {
    let missing = format!("no channel named {name:?} in the archive");
    state
        .pool
        .run(move |engine| engine.channel(&name))
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found(missing))
}

/// A channel's top hashtags and forward sources (`tags` and `sources` of each).
pub async fn channel_tops(
    state: &AppState,
    id: i64,
    tags: usize,
    sources: usize,
) -> Result<(Vec<TagCount>, Vec<SourceCount>), ApiError> {
    Ok(state
        .pool
        .run(move |engine| {
            let top_tags = match tags {
                0 => Vec::new(),
                n => engine.top_hashtags(Some(id), n as u64, 0)?,
            };
            let top_sources = match sources {
                0 => Vec::new(),
                n => engine.top_forward_sources(Some(id), n as u64, 0)?,
            };
            Ok((top_tags, top_sources))
        })
        .await?)
}

/// A hashtag with its channels; `None` when no post uses it.
pub async fn hashtag(
    state: &AppState,
    tag: String,
) -> Result<Option<(TagCount, Vec<ChannelCount>)>, ApiError> {
    let result = state
        .pool
        .run(move |engine| {
            let Some(found) = engine.hashtag(&tag)? else {
                return Ok(None);
            };
            let channels = engine.hashtag_channels(&tag, 10)?;
            Ok(Some((found, channels)))
        })
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(None),
        other => Ok(other?),
    }
}

/// The query that finds a hashtag's posts (the tag must be [`crate::params::plausible_hashtag`]).
pub fn hashtag_query(tag: &str) -> String {
    format!("tag:\"{tag}\"")
}

/// The query that finds a channel's posts.
pub fn channel_query(id: i64) -> String {
    format!("channel:{id}")
}

/// An answer of the copy analysis, and whether an ingest at work is still bringing the
/// analysis up to the archive (the answer is then that of the analysis as it stands).
pub struct Copies<T> {
    /// The answer.
    pub answer: T,
    /// Whether the analysis was behind the archive.
    pub catching_up: bool,
}

/// Runs a question of the copy analysis on a pooled engine.
async fn ask_copies<T, F>(state: &AppState, ask: F) -> Result<Copies<T>, PoolError>
where
    T: Send + 'static,
    F: FnOnce(&mut Engine) -> tgscope_engine::Result<T> + Send + 'static,
{
    state
        .pool
        .run(move |engine| {
            let answer = ask(engine)?;
            Ok(Copies {
                answer,
                catching_up: engine.copies_catching_up(),
            })
        })
        .await
}

/// A post's copies (`None`: it has none); not found when there is no such post.
pub async fn copies_of(state: &AppState, id: i64) -> Result<Copies<Option<PostCopies>>, ApiError> {
    Ok(ask_copies(state, move |engine| engine.copies_of(id)).await?)
}

/// A cluster of copies by id; not found when there is none.
pub async fn cluster(state: &AppState, id: i64) -> Result<Copies<ClusterDetail>, ApiError> {
    Ok(ask_copies(state, move |engine| engine.cluster(id)).await?)
}

/// The clusters matching a filter, with the first post of each (for its text), and how many
/// match; none before anything is archived.
pub async fn clusters(
    state: &AppState,
    filter: ClusterFilter,
    with_first_posts: bool,
) -> Result<Copies<(ClustersPage, Vec<PostDetail>)>, ApiError> {
    let offset = filter.offset;
    let result = ask_copies(state, move |engine| {
        let page = engine.clusters(&filter)?;
        let mut firsts = Vec::new();
        if with_first_posts {
            for c in &page.clusters {
                firsts.push(engine.post(c.first_post)?);
            }
        }
        Ok((page, firsts))
    })
    .await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(Copies {
            answer: (
                ClustersPage {
                    total: 0,
                    undated_left_out: 0,
                    offset,
                    clusters: Vec::new(),
                },
                Vec::new(),
            ),
            catching_up: false,
        }),
        other => Ok(other?),
    }
}

/// Whom a channel (by name) copies from and who copies it.
pub async fn channel_copies(
    state: &AppState,
    name: String,
) -> Result<Copies<ChannelCopies>, ApiError> {
    Ok(ask_copies(state, move |engine| engine.channel_copies(&name)).await?)
}

/// The network asked for (with `around`, only the channels within that many steps of that
/// channel); the empty network before anything is archived.
pub async fn network(
    state: &AppState,
    query: NetworkQuery,
    around: Option<(String, usize)>,
) -> Result<Network, ApiError> {
    let (network, ()) = network_with(state, query, around, |_| Ok(())).await?;
    Ok(network)
}

/// [`network`], with `then` run on the engine's thread on the network before it is handed over
/// (to write a file of it there rather than on the server's threads).
pub async fn network_with<T, F>(
    state: &AppState,
    query: NetworkQuery,
    around: Option<(String, usize)>,
    then: F,
) -> Result<(Network, T), ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Network) -> std::io::Result<T> + Clone + Send + 'static,
{
    let on_empty = then.clone();
    let result = state
        .pool
        .run(move |engine| {
            let around = around.as_ref().map(|(name, depth)| (name.as_str(), *depth));
            let network = engine.network(&query, around)?;
            let made = then(&network).map_err(|e| EngineError::Archive(e.to_string()))?;
            Ok((network, made))
        })
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => {
            let empty = Network {
                graph: Default::default(),
                posts_used: 0,
                undated_left_out: 0,
                unknown_sources: 0,
                objects_left_out: 0,
            };
            let made = on_empty(&empty).map_err(|e| ApiError::internal(&e))?;
            Ok((empty, made))
        }
        other => Ok(other?),
    }
}

/// Whom a channel (by name) amplifies and who amplifies it, over the archive or a period
/// (Unix seconds).
pub async fn amplification(
    state: &AppState,
    name: String,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Amplification, ApiError> {
    Ok(state
        .pool
        .run(move |engine| engine.amplification(&name, since, until))
        .await?)
}

/// Hashtag uses in a period (Unix seconds), of one channel when named, counted by `period`;
/// none before anything is archived.
pub async fn hashtag_table(
    state: &AppState,
    since: Option<i64>,
    until: Option<i64>,
    channel: Option<String>,
    period: Period,
) -> Result<HashtagTable, ApiError> {
    let result = state
        .pool
        .run(move |engine| engine.hashtags(since, until, channel.as_deref(), period))
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => Ok(HashtagTable {
            tags: Vec::new(),
            period,
            undated_left_out: 0,
            channel_names: Default::default(),
        }),
        other => Ok(other?),
    }
}

/// What an entity table asks: a kind, a channel, a period, and the period posts are counted by.
#[derive(Debug, Clone)]
pub struct EntityAsk {
    /// Entities of this kind only.
    pub kind: Option<EntityKind>,
    /// The posts of this channel only (username, title or archive id).
    pub channel: Option<String>,
    /// Posts from this time (Unix seconds)...
    pub since: Option<i64>,
    /// ...before this one.
    pub until: Option<i64>,
    /// Posts counted per this period.
    pub by: Period,
}

impl EntityAsk {
    /// Every entity of every post, counted per `by`.
    pub fn all(by: Period) -> EntityAsk {
        EntityAsk {
            kind: None,
            channel: None,
            since: None,
            until: None,
            by,
        }
    }
}

/// Entities counted, with what the pages link them by.
pub struct EntitiesFound {
    /// The table, names and channel names.
    pub view: EntityTableView,
    /// The channels the table names, by archive id (for links to their pages).
    pub channels: HashMap<i64, ChannelInfo>,
    /// The archive's recognizer (for the lists' names).
    pub recognizer: Arc<Recognizer>,
}

impl EntitiesFound {
    /// The table of an archive with nothing in it.
    fn empty(by: Period) -> EntitiesFound {
        EntitiesFound {
            view: EntityTableView {
                table: EntityTable {
                    entities: Vec::new(),
                    posts: 0,
                    posts_with_entities: 0,
                    undated_left_out: 0,
                },
                period: by,
                names: BTreeMap::new(),
                channel_names: BTreeMap::new(),
            },
            channels: HashMap::new(),
            recognizer: Recognizer::bundled(),
        }
    }
}

fn entities_on(engine: &mut Engine, ask: &EntityAsk) -> tgscope_engine::Result<EntitiesFound> {
    let view = engine.entities(
        ask.kind,
        ask.channel.as_deref(),
        ask.since,
        ask.until,
        ask.by,
    )?;
    let channels = if view.channel_names.is_empty() {
        HashMap::new()
    } else {
        engine
            .channels()?
            .into_iter()
            .filter(|c| view.channel_names.contains_key(&c.channel.id))
            .map(|c| (c.channel.id, c.channel))
            .collect()
    };
    Ok(EntitiesFound {
        view,
        channels,
        recognizer: engine.recognizer()?,
    })
}

/// The entities named in the posts asked for, the most named first; none before anything is
/// archived (a channel named then is not found).
pub async fn entities(state: &AppState, ask: EntityAsk) -> Result<EntitiesFound, ApiError> {
    let by = ask.by;
    let channel = ask.channel.is_some();
    match state
        .pool
        .run(move |engine| entities_on(engine, &ask))
        .await
    {
        Err(PoolError::NoArchive(_)) if !channel => Ok(EntitiesFound::empty(by)),
        other => Ok(other?),
    }
}

/// The key of the entity `name` stands for, by the archive's lists (`None` and why, when it
/// stands for none): a key (`country:KZ`, `person:~такэси ивая`), an id (`KZ`, `lavrov`), any
/// form of the lists in either language (`Казахстане`, `Лавров`, `SCO`), or a kind and a form
/// (`country:Казахстан`).
fn entity_key_on(engine: &Engine, name: &str) -> tgscope_engine::Result<Result<String, String>> {
    let name = name.trim();
    if let Some((kind, id)) = split_key(name)
        && let Some(person) = id.trim().strip_prefix('~')
    {
        let folded = tgscope_engine::entities::fold_name(person);
        if kind == EntityKind::Person && !folded.is_empty() {
            return Ok(Ok(format!("person:~{folded}")));
        }
    }
    let why = match engine.entity_key(name) {
        Ok(key) => return Ok(Ok(key)),
        Err(tgscope_engine::EngineError::BadRequest(why)) => why,
        Err(e) => return Err(e),
    };
    // `country:Казахстан`: the form, if it names an entity of that kind.
    if let Some((kind, form)) = split_key(name)
        && let Ok(key) = engine.entity_key(form.trim())
        && split_key(&key).is_some_and(|(k, _)| k == kind)
    {
        return Ok(Ok(key));
    }
    Ok(Err(why))
}

/// The key of the entity `name` stands for by the archive's lists, or why none (the lists'
/// answer: no entity of that name, or the several it could be).
pub async fn entity_key(
    state: &AppState,
    name: String,
) -> Result<Result<String, String>, ApiError> {
    Ok(state
        .pool
        .run(move |engine| entity_key_on(engine, &name))
        .await?)
}

/// An entity by any name, with the entities counted as `ask` asks: its key, or not found with
/// the lists' answer (no entity of that name, or the several it could be). A person on no list
/// is found by the name the posts give too (`Такэси Ивая`), when they name them.
pub async fn entity(
    state: &AppState,
    name: String,
    ask: EntityAsk,
) -> Result<(String, EntitiesFound), ApiError> {
    let answer = state
        .pool
        .run(move |engine| {
            let key = entity_key_on(engine, &name)?;
            let found = entities_on(engine, &ask)?;
            let key = key.or_else(|why| {
                let guess = format!("person:~{}", tgscope_engine::entities::fold_name(&name));
                if found.view.table.entities.iter().any(|e| e.key == guess) {
                    Ok(guess)
                } else {
                    Err(why)
                }
            });
            Ok((key, found))
        })
        .await?;
    match answer {
        (Ok(key), found) => match unnamed_unlisted(&key, &found) {
            Some(e) => Err(e),
            None => Ok((key, found)),
        },
        (Err(why), _) => Err(ApiError::not_found(why)),
    }
}

/// A person on no list is known only by the posts that name them: the problem `not_found` when
/// no post of the table does.
pub fn unnamed_unlisted(key: &str, found: &EntitiesFound) -> Option<ApiError> {
    let (_, id) = split_key(key)?;
    let person = id.strip_prefix('~')?;
    if found.view.table.entities.iter().any(|e| e.key == key) {
        return None;
    }
    Some(ApiError::not_found(format!(
        "no post asked about names a person called {person:?} (a person on no list is known only \
         by the posts that name them, after a role phrase)"
    )))
}

/// The entities of every post a query matches (`per_kind` of each kind, the most frequent
/// first); three empty kinds before anything is archived.
pub async fn facets(
    state: &AppState,
    query: String,
    per_kind: usize,
) -> Result<EntityFacets, ApiError> {
    match state
        .pool
        .run(move |engine| engine.search_facets(&query, per_kind))
        .await
    {
        Err(PoolError::NoArchive(_)) => Ok(EntityFacets {
            matching: 0,
            kinds: [EntityKind::Country, EntityKind::Org, EntityKind::Person]
                .into_iter()
                .map(|kind| EntityFacet {
                    kind,
                    posts: 0,
                    distinct: 0,
                    top: Vec::new(),
                })
                .collect(),
            index_catching_up: false,
        }),
        other => Ok(other?),
    }
}

/// The entity co-occurrence network (entities named together in at least `min_posts` posts),
/// with `then` run on the engine's thread on it (to write a file of it there), and the posts a
/// period left out for want of a date; the empty network before anything is archived.
pub async fn entity_network<T, F>(
    state: &AppState,
    kind: Option<EntityKind>,
    since: Option<i64>,
    until: Option<i64>,
    min_posts: u64,
    then: F,
) -> Result<(Network, T), ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Network) -> std::io::Result<T> + Clone + Send + 'static,
{
    let on_empty = then.clone();
    let result = state
        .pool
        .run(move |engine| {
            let (graph, posts_used, undated_left_out) =
                engine.entity_network(kind, since, until, min_posts)?;
            let network = Network {
                graph,
                posts_used,
                undated_left_out,
                unknown_sources: 0,
                objects_left_out: 0,
            };
            let made = then(&network).map_err(|e| EngineError::Archive(e.to_string()))?;
            Ok((network, made))
        })
        .await;
    match result {
        Err(PoolError::NoArchive(_)) => {
            let empty = Network {
                graph: Default::default(),
                posts_used: 0,
                undated_left_out: 0,
                unknown_sources: 0,
                objects_left_out: 0,
            };
            let made = on_empty(&empty).map_err(|e| ApiError::internal(&e))?;
            Ok((empty, made))
        }
        other => Ok(other?),
    }
}
