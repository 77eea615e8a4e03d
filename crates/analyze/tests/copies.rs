//! Copy detection as a researcher checks it: copies of realistic Russian and English posts
//! rewritten the ways channels rewrite them land in one cluster, different posts on the same
//! topic never do, a channel's boilerplate is learned and left out, very short posts and
//! template posts never cluster, hot buckets stay fast, partial reuse is found, an update
//! equals a rebuild, the state survives a save and load, and a cluster's description names the
//! first post seen and each copy's relation to it.

mod support;

use std::collections::BTreeMap;
use std::convert::Infallible;

use proptest::prelude::*;
use tgscope_analyze::copies::{
    Attribution, ClusterBasis, ClusterIndex, ClusterView, CopyPost, CopyState, MemberFacts, Params,
    Relation, describe_cluster,
};
use tgscope_text::extract;

use support::news::{self, Draws, Lang, Post};
use support::{
    all_clusters, analyse, cluster_posts, empty_on_file, post, rebuild, rebuild_paged,
    rebuild_spilling,
};

/// The channel of the original post, and its username.
const SOURCE: (i64, &str) = (1, "source_news");
/// The channel of the copy, and its username.
const COPIER: (i64, &str) = (2, "copier_daily");
/// Archive ids of the original and of the copy.
const ORIGINAL: i64 = 100;
const COPY: i64 = 200;

/// How a copy was rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    /// Only the channel's footer differs.
    Footer,
    /// Emoji added.
    Emoji,
    /// One sentence left out.
    DropSentence,
    /// Latin/Cyrillic look-alike letters swapped in some words.
    Lookalikes,
    /// Case and `ё` changed.
    CaseAndYo,
    /// Hashtag signs taken away and added.
    HashSigns,
}

/// An original post, its rewritten copy in another channel, and other posts of both
/// channels (different news on the same topic).
#[derive(Debug)]
struct Scene {
    posts: Vec<CopyPost>,
    original: String,
    copy: String,
}

impl Scene {
    fn text_of(&self, id: i64) -> &str {
        self.posts
            .iter()
            .find(|p| p.post_id == id)
            .map_or("", |p| p.text.as_str())
    }
}

/// A post's text with its channel's footer.
fn with_footer(body: &str, footer: Option<usize>, username: &str) -> String {
    match footer {
        Some(style) => format!("{body}\n\n{}", news::footer(style, username)),
        None => body.to_string(),
    }
}

/// Builds the scene: `posts[0]` is the original, the others are the channels' other posts
/// (the first `split` of them in the source channel).
fn scene(
    posts: Vec<Post>,
    split: usize,
    footers: (Option<usize>, Option<usize>),
    rewrite: Rewrite,
    seed: u64,
) -> Scene {
    let mut draws = Draws::new(seed);
    let mut posts = news::different_news(posts).into_iter();
    let original = posts.next().expect("an original post");
    let others: Vec<Post> = posts.collect();
    let split = split.min(others.len());
    let (source_footer, copier_footer) = match (rewrite, footers) {
        (Rewrite::Footer, (a, b)) => {
            let a = a.unwrap_or(0);
            let b = b.unwrap_or(a + 1);
            let b = if a == b { a + 1 } else { b };
            (Some(a), Some(b % news::FOOTER_STYLES))
        }
        (_, f) => f,
    };
    let body = original.render();
    let copied_body = match rewrite {
        Rewrite::Footer => body.clone(),
        Rewrite::Emoji => news::add_emoji(&body, &mut draws),
        Rewrite::DropSentence => original
            .without_sentence(draws.below(original.sentence_count()))
            .render(),
        Rewrite::Lookalikes => news::swap_lookalikes(&body, &mut draws),
        Rewrite::CaseAndYo => news::change_case_and_yo(&body, &mut draws),
        Rewrite::HashSigns => news::toggle_hash_signs(&body, &mut draws),
    };
    let original_text = with_footer(&body, source_footer, SOURCE.1);
    let copy_text = with_footer(&copied_body, copier_footer, COPIER.1);
    let mut all = vec![
        post(ORIGINAL, SOURCE.0, &original_text),
        post(COPY, COPIER.0, &copy_text),
    ];
    for (i, p) in others.iter().enumerate() {
        let (channel, id, footer) = if i < split {
            (SOURCE, ORIGINAL + 1 + i as i64, source_footer)
        } else {
            (COPIER, COPY + 1 + i as i64, copier_footer)
        };
        all.push(post(
            id,
            channel.0,
            &with_footer(&p.render(), footer, channel.1),
        ));
    }
    Scene {
        posts: all,
        original: original_text,
        copy: copy_text,
    }
}

/// Checks that the original and its copy make the one cluster of the scene, the copy as a
/// copy of the whole text (not listed as reusing a part of it).
fn copies_cluster(scene: &Scene) -> Result<(), TestCaseError> {
    let state = analyse(&scene.posts);
    let clusters = all_clusters(&state);
    prop_assert_eq!(
        &clusters,
        &vec![vec![ORIGINAL, COPY]],
        "original:\n{}\n\ncopy:\n{}\n\nclusters' texts: {:#?}",
        scene.original,
        scene.copy,
        clusters
            .iter()
            .map(|c| c.iter().map(|id| scene.text_of(*id)).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
    // A copy of the whole text, not a reuse of a part of it.
    let edge = state.edge(ORIGINAL, COPY);
    prop_assert!(
        state.same_text(ORIGINAL, COPY) || edge.is_some_and(|e| e.full),
        "not a full copy: {:?}\noriginal:\n{}\n\ncopy:\n{}",
        edge,
        scene.original,
        scene.copy
    );
    prop_assert_eq!(
        state.cluster_of(COPY).map(|c| c.partial.clone()),
        Some(Vec::new())
    );
    Ok(())
}

/// The original, then up to six other posts, in one language.
fn posts_of(
    lang: Lang,
    original_sentences: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<Post>> {
    (
        news::post(lang, original_sentences),
        prop::collection::vec(news::post(lang, 1..=6), 0..=6),
    )
        .prop_map(|(original, others)| {
            let mut all = vec![original];
            all.extend(others);
            all
        })
}

/// A footer style, or none.
fn any_footer() -> impl Strategy<Value = Option<usize>> {
    prop::option::of(0..news::FOOTER_STYLES)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_copy_with_another_footer_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 2..=7)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        copies_cluster(&scene(posts, split, footers, Rewrite::Footer, seed))?;
    }

    #[test]
    fn a_copy_with_emoji_added_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 2..=7)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        copies_cluster(&scene(posts, split, footers, Rewrite::Emoji, seed))?;
    }

    /// Seven sentences or more: a full copy keeps a Jaccard similarity of at least 0.7
    /// (`Params::jaccard`), and dropping one sentence of `n` keeps about `(n - 1) / n` of the
    /// shingles, less with the two channels' own footers; at six sentences of unequal length
    /// that sits on the threshold itself (a sentence of 14 words of 73 gave 0.68), so a copy
    /// of a six-sentence post missing its longest sentence is reported as reusing part of it.
    #[test]
    fn a_copy_without_one_sentence_of_seven_or_more_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 7..=10)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        prop_assume!(news::different_news(vec![posts[0].clone()])[0].sentence_count() >= 7);
        copies_cluster(&scene(posts, split, footers, Rewrite::DropSentence, seed))?;
    }

    #[test]
    fn a_copy_with_lookalike_letters_swapped_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 2..=7)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        copies_cluster(&scene(posts, split, footers, Rewrite::Lookalikes, seed))?;
    }

    #[test]
    fn a_copy_with_case_and_yo_changed_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 2..=7)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        copies_cluster(&scene(posts, split, footers, Rewrite::CaseAndYo, seed))?;
    }

    #[test]
    fn a_copy_with_hash_signs_taken_away_or_added_is_in_the_originals_cluster(
        posts in news::lang().prop_flat_map(|l| posts_of(l, 2..=7)),
        split in 0usize..7,
        footers in (any_footer(), any_footer()),
        seed in any::<u64>(),
    ) {
        copies_cluster(&scene(posts, split, footers, Rewrite::HashSigns, seed))?;
    }

    #[test]
    fn different_posts_on_the_same_topic_never_cluster(
        posts in news::lang().prop_flat_map(|l| prop::collection::vec(news::post(l, 2..=7), 2..=8)),
        footers in prop::collection::vec(any_footer(), 3),
    ) {
        let posts = news::different_news(posts);
        let copy_posts: Vec<CopyPost> = posts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let channel = (i % 3) as i64 + 1;
                let username = format!("channel_{channel}_news");
                post(i as i64 + 1, channel, &with_footer(&p.render(), footers[i % 3], &username))
            })
            .collect();
        let state = analyse(&copy_posts);
        let clusters = all_clusters(&state);
        prop_assert!(
            clusters.is_empty(),
            "different posts clustered: {:#?}",
            clusters
                .iter()
                .map(|c| c
                    .iter()
                    .map(|id| copy_posts[(*id - 1) as usize].text.as_str())
                    .collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
    }
}

/// The rendered bodies of `count` different posts.
fn bodies(lang: Lang, count: usize, sentences: usize, seed: u64) -> Vec<String> {
    news::sample_posts(lang, count, sentences, seed)
        .iter()
        .map(Post::render)
        .collect()
}

#[test]
fn a_channels_footer_is_learned_and_a_repost_with_another_footer_clusters() {
    let footer_a = "Подписаться на Городские новости | @city_news_a";
    let footer_b = "⚡️ Наш канал: @evening_digest";
    let texts = bodies(Lang::Ru, 16, 3, 7);
    let mut posts: Vec<CopyPost> = Vec::new();
    // Channel 1: eight posts, all with its footer.
    for (i, body) in texts[..8].iter().enumerate() {
        posts.push(post(10 + i as i64, 1, &format!("{body}\n\n{footer_a}")));
    }
    // Channel 2: seven posts with its own footer, and the repost of post 13.
    for (i, body) in texts[8..15].iter().enumerate() {
        posts.push(post(30 + i as i64, 2, &format!("{body}\n\n{footer_b}")));
    }
    posts.push(post(50, 2, &format!("{}\n\n{footer_b}", texts[3])));
    // Channel 3 reposts it too, its only post: its footer is not learned.
    posts.push(post(
        60,
        3,
        &format!("{}\n\nJoin us: t.me/third_channel", texts[3]),
    ));
    let state = analyse(&posts);

    assert_eq!(all_clusters(&state), vec![vec![13, 50, 60]]);
    // Both footers were learned as their channel's boilerplate, and nothing else was.
    assert_eq!(state.boilerplate(1).map(|b| b.len()), Some(1));
    assert_eq!(state.boilerplate(2).map(|b| b.len()), Some(1));
    assert!(state.boilerplate(3).is_some_and(|b| b.is_empty()));
    // Without their footers, the post and the repost in channel 2 compare as the same text.
    assert!(state.same_text(13, 50));
    let with_footer = state.features_of(&posts[3]);
    assert!(with_footer.boilerplate_removed);
    assert_eq!(
        with_footer.exact,
        state.features_of(&post(99, 1, &texts[3])).exact
    );
    // The footer is channel 1's: in channel 3 it is compared like any line.
    let elsewhere = state.features_of(&post(99, 3, &posts[3].text));
    assert!(!elsewhere.boilerplate_removed);
    assert_ne!(elsewhere.exact, with_footer.exact);
    // The repost in channel 3 kept its footer: a near copy.
    let edge = state.edge(13, 60).expect("a verified pair");
    assert!(edge.full, "{edge:?}");

    // The cluster index, written and read back, knows the cluster and compares texts as the
    // analysis does (the footers set aside), so it describes the cluster the same way.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clusters.bin");
    state.save_cluster_index(&path).unwrap();
    let index = ClusterIndex::load(&path).unwrap().expect("written");
    let mut clusters = Vec::new();
    state.for_each_cluster(&mut |c| clusters.push(c.clone()));
    assert_eq!(
        index.clusters().values().cloned().collect::<Vec<_>>(),
        clusters
    );
    // The index writes itself as the analysis wrote it.
    let again = dir.path().join("again.bin");
    index.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&path).unwrap()
    );
    assert_eq!(index.mark(), state.mark());
    assert_eq!(
        index.cluster_of(60).map(|c| c.posts.clone()),
        Some(vec![13, 50, 60])
    );
    assert!(index.cluster_of(11).is_none());
    for p in &posts {
        assert_eq!(
            index.features_of(p),
            state.features_of(p),
            "post {}",
            p.post_id
        );
    }
    let facts: Vec<MemberFacts> = [13, 50, 60]
        .iter()
        .map(|id| {
            let p = posts.iter().find(|p| p.post_id == *id).unwrap();
            MemberFacts {
                post_id: p.post_id,
                channel_id: p.channel_id,
                date: Some(T0 + p.post_id),
                date_observed: true,
                text: p.text.clone(),
                ..MemberFacts::default()
            }
        })
        .collect();
    let view = describe_cluster(&state, facts.clone());
    assert_eq!(view.members.len(), 3);
    assert_eq!(describe_cluster(&index, facts), view);
}

#[test]
fn a_line_is_boilerplate_from_three_posts_and_five_percent_of_the_channel() {
    let footer = "Subscribe to Morning Brief: @morning_brief";
    let texts = bodies(Lang::En, 100, 2, 11);
    let learned = |count: usize, with_footer: usize| -> usize {
        let posts: Vec<CopyPost> = texts[..count]
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let text = if i < with_footer {
                    format!("{body}\n\n{footer}")
                } else {
                    body.clone()
                };
                post(i as i64 + 1, 1, &text)
            })
            .collect();
        analyse(&posts).boilerplate(1).map_or(0, |b| b.len())
    };
    assert_eq!(learned(3, 3), 1, "three posts of three");
    assert_eq!(learned(3, 2), 0, "two posts are too few");
    assert_eq!(learned(100, 5), 1, "five posts of a hundred");
    assert_eq!(learned(100, 4), 0, "four posts of a hundred are under 5%");
    assert_eq!(learned(60, 3), 1, "three posts of sixty: exactly 5%");
    assert_eq!(learned(61, 3), 0, "three posts of sixty-one: under 5%");
}

#[test]
fn very_short_posts_never_make_a_cluster() {
    let shorts = [
        "👍",
        "Video",
        "Фото",
        "Видео",
        "https://example.com/news/12345",
        "t.me/some_channel/42",
        "🔥🔥🔥",
        "🇷🇺🤝🇨🇳",
        "@some_channel",
        "Фото: @photo_channel",
        "#новости #срочно",
        "Срочные новости дня",
        "Breaking news now",
        "Смотрите видео полностью",
        "ВНИМАНИЕ ⚠️ Смотрите видео",
        "Watch the full video 👇",
        "Подробности по ссылке https://example.com/a",
        "",
    ];
    let mut posts = Vec::new();
    let mut id = 1;
    for channel in 1..=40 {
        for text in shorts {
            posts.push(post(id, channel, text));
            id += 1;
        }
    }
    let state = analyse(&posts);
    assert_eq!(state.cluster_count(), 0, "{:?}", all_clusters(&state));
    assert_eq!(state.post_count(), posts.len());
    assert_eq!(state.text_count(), 0, "none of them is compared");

    // Five words are enough: the same five-word post in two channels is a copy.
    let five = [
        post(1, 1, "Губернатор подписал указ о выплатах"),
        post(2, 2, "🔥 ГУБЕРНАТОР подписал указ о выплатах!"),
    ];
    assert_eq!(all_clusters(&analyse(&five)), vec![vec![1, 2]]);
}

#[test]
fn three_thousand_posts_of_one_text_make_one_cluster() {
    let text = "Министерство энергетики сообщает, что подача электроэнергии в трёх районах \
                области будет восстановлена до конца суток. Ремонтные бригады работают на \
                месте с раннего утра, жителей просят сохранять спокойствие.";
    let other = bodies(Lang::Ru, 20, 3, 5);
    let mut posts = Vec::new();
    for i in 0..3000i64 {
        // Written with emoji and case as channels do; each channel has one copy and one
        // post of its own in some of them.
        let written = match i % 3 {
            0 => text.to_string(),
            1 => format!("⚡️ {}", text.to_uppercase()),
            _ => format!("{text} 🔥"),
        };
        posts.push(post(10_000 + i, i + 1, &written));
    }
    for (i, body) in other.iter().enumerate() {
        posts.push(post(20_000 + i as i64, i as i64 + 1, body));
    }
    let state = analyse(&posts);
    assert_eq!(state.cluster_count(), 1);
    let cluster = state.cluster_of(12_345).expect("in the cluster");
    assert_eq!(cluster.id, 10_000);
    assert_eq!(cluster.posts, (10_000..13_000).collect::<Vec<i64>>());
    assert!(cluster.partial.is_empty());
}

/// A template post: the same text with another number.
fn template(n: u32) -> String {
    format!(
        "Воздушная тревога в нескольких областях страны. По данным мониторинговых каналов, \
         за ночь зафиксировано {n} ударных беспилотников, работали силы противовоздушной \
         обороны. Жителей просят оставаться в укрытиях до отбоя тревоги."
    )
}

#[test]
fn two_thousand_template_posts_differing_by_a_number_make_no_cluster() {
    let posts: Vec<CopyPost> = (0..2000u32)
        .map(|i| post(i64::from(i) + 1, i64::from(i % 40) + 1, &template(1000 + i)))
        .collect();
    let state = analyse(&posts);
    assert_eq!(state.text_count(), 2000);
    assert_eq!(
        state.cluster_count(),
        0,
        "{:?}",
        all_clusters(&state).first()
    );
}

#[test]
fn template_posts_under_the_hot_bucket_limit_are_told_apart_by_the_template_guard() {
    // Few enough that every pair is a candidate: the verification rejects them all.
    let posts: Vec<CopyPost> = (0..200u32)
        .map(|i| post(i64::from(i) + 1, i64::from(i % 10) + 1, &template(1000 + i)))
        .collect();
    let state = analyse(&posts);
    assert_eq!(
        state.cluster_count(),
        0,
        "{:?}",
        all_clusters(&state).first()
    );
    assert_eq!(state.pair_count(), 0);
    // While a copy of one of them, with the same number, joins it.
    let mut with_copy = posts.clone();
    with_copy.push(post(500, 99, &format!("🔥 {}", template(1042))));
    assert_eq!(all_clusters(&analyse(&with_copy)), vec![vec![43, 500]]);
    // And so does the same text with the number and a name in place of others.
    let names = [
        post(
            1,
            1,
            "Глава региона Иванов провёл совещание с руководителями районов и поручил \
                    подготовить школы и больницы к отопительному сезону до конца месяца.",
        ),
        post(
            2,
            2,
            "Глава региона Петров провёл совещание с руководителями районов и поручил \
                    подготовить школы и больницы к отопительному сезону до конца месяца.",
        ),
    ];
    assert_eq!(analyse(&names).cluster_count(), 0);
}

/// The paragraphs of a post, as written.
fn paragraphs_of(p: &Post) -> Vec<String> {
    p.paragraphs
        .iter()
        .map(|para| {
            para.iter()
                .map(news::Sentence::render)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn a_post_quoting_one_paragraph_of_a_long_post_is_a_partial_copy_in_its_cluster() {
    for (lang, seed) in [
        (Lang::Ru, 21),
        (Lang::En, 22),
        (Lang::Ru, 23),
        (Lang::En, 24),
    ] {
        let posts = news::sample_posts(lang, 4, 10, seed);
        // A: five paragraphs of two sentences.
        let sentences: Vec<news::Sentence> = posts[0].sentences().cloned().collect();
        assert!(sentences.len() >= 8, "the sample keeps enough sentences");
        let breaks: Vec<bool> = (0..sentences.len()).map(|i| i % 2 == 1).collect();
        let long = Post::new(lang, sentences, &breaks, Vec::new());
        let paragraphs = paragraphs_of(&long);
        assert!(paragraphs.len() >= 4);
        let a = long.render();
        // B: its own paragraphs around A's third one, quoted.
        let own = paragraphs_of(&posts[1]);
        let b = format!(
            "{}\n\n«{}»\n\n{}\n\nНаш канал: @quoting_channel",
            own.first().map_or("", String::as_str),
            paragraphs[2],
            own.get(1..).map(|r| r.join(" ")).unwrap_or_default(),
        );
        let all = [
            post(1, 1, &a),
            post(2, 2, &b),
            post(3, 3, &posts[2].render()),
            post(4, 1, &posts[3].render()),
        ];
        let state = analyse(&all);
        assert_eq!(all_clusters(&state), vec![vec![1, 2]], "A:\n{a}\n\nB:\n{b}");
        let cluster = state.cluster_of(2).expect("B is in A's cluster");
        assert_eq!(cluster.id, 1);
        assert_eq!(cluster.partial, vec![2], "B reuses a part of A");
        let edge = state.edge(1, 2).expect("a verified pair");
        assert!(!edge.full, "{edge:?}");

        // With a full copy of A in another channel, B joins their cluster, still partial.
        let mut with_copy = all.to_vec();
        with_copy.push(post(5, 4, &format!("⚡️ {a}\n\nИсточник: @first_channel")));
        let state = analyse(&with_copy);
        assert_eq!(all_clusters(&state), vec![vec![1, 2, 5]]);
        assert_eq!(
            state.cluster_of(5).map(|c| c.partial.clone()),
            Some(vec![2])
        );
    }
}

/// Where a post of the update test has its channel's footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FooterPlace {
    None,
    End,
    /// A line between its paragraphs (a digest quoting the channel's own footer), with the
    /// paragraphs after it a sentence a line.
    Middle,
}

impl FooterPlace {
    fn of(draw: u16) -> FooterPlace {
        match draw % 4 {
            0 => FooterPlace::None,
            1 | 2 => FooterPlace::End,
            _ => FooterPlace::Middle,
        }
    }
}

/// A post of the update test: its body and where its channel's footer goes.
#[derive(Debug, Clone)]
struct Written {
    channel: i64,
    body: String,
    footer: FooterPlace,
}

impl Written {
    fn text(&self) -> String {
        let footer = news::footer(
            self.channel as usize,
            &format!("channel_{}_news", self.channel),
        );
        match self.footer {
            FooterPlace::None => self.body.clone(),
            FooterPlace::End => format!("{}\n\n{footer}", self.body),
            FooterPlace::Middle => {
                // After the first paragraph; the others a sentence a line.
                let (first, rest) = self.body.split_once("\n\n").unwrap_or((&self.body, ""));
                let rest = rest.replace(". ", ".\n");
                format!("{first}\n{footer}\n{rest}").trim_end().to_string()
            }
        }
    }
}

/// One change to the archive, drawn; read against the archive's posts when applied.
#[derive(Debug, Clone)]
struct Change {
    kind: u8,
    a: u16,
    b: u16,
    seed: u64,
    post: Post,
}

fn change(lang: Lang) -> impl Strategy<Value = Change> {
    (
        0u8..10,
        any::<u16>(),
        any::<u16>(),
        any::<u64>(),
        news::post(lang, 1..=6),
    )
        .prop_map(|(kind, a, b, seed, post)| Change {
            kind,
            a,
            b,
            seed,
            post,
        })
}

const SHORT_POSTS: &[&str] = &[
    "👍",
    "Video",
    "Фото",
    "https://example.com/x",
    "🔥🔥",
    "Смотрите видео полностью",
];

/// The posts of an archive as the update test changes them.
#[derive(Debug, Default)]
struct Archive {
    posts: BTreeMap<i64, Written>,
    next_id: i64,
}

impl Archive {
    fn copy_post(&self, id: i64) -> Option<CopyPost> {
        self.posts.get(&id).map(|w| post(id, w.channel, &w.text()))
    }

    fn all(&self) -> Vec<CopyPost> {
        self.posts
            .keys()
            .filter_map(|id| self.copy_post(*id))
            .collect()
    }

    /// An existing post, by a draw.
    fn existing(&self, draw: u16) -> Option<i64> {
        let ids: Vec<i64> = self.posts.keys().copied().collect();
        (!ids.is_empty()).then(|| ids[usize::from(draw) % ids.len()])
    }

    fn add(&mut self, w: Written) -> i64 {
        self.next_id += 1;
        self.posts.insert(self.next_id, w);
        self.next_id
    }

    /// Applies a change; returns the post it added or edited.
    fn apply(&mut self, c: &Change) -> i64 {
        let mut draws = Draws::new(c.seed);
        let channel = |draw: u16| i64::from(draw % 4) + 1;
        let source = self.existing(c.a);
        match (c.kind, source) {
            (3 | 4, Some(source)) => {
                let body = rewrite(&self.posts[&source].body, c.seed, &mut draws);
                self.add(Written {
                    channel: channel(c.b),
                    body,
                    footer: if c.b.is_multiple_of(3) {
                        FooterPlace::None
                    } else {
                        FooterPlace::End
                    },
                })
            }
            (5, Some(source)) => {
                let old = self.posts[&source].body.clone();
                let body = if c.b.is_multiple_of(2) {
                    rewrite(&old, c.seed, &mut draws)
                } else {
                    c.post.render()
                };
                if let Some(w) = self.posts.get_mut(&source) {
                    w.body = body;
                }
                source
            }
            (6, Some(source)) => {
                if let Some(w) = self.posts.get_mut(&source) {
                    w.footer = FooterPlace::of(c.b);
                }
                source
            }
            (7, _) => self.add(Written {
                channel: channel(c.a),
                body: SHORT_POSTS[usize::from(c.b) % SHORT_POSTS.len()].to_string(),
                footer: FooterPlace::None,
            }),
            (8, Some(source)) => {
                let quoted: Vec<String> = self.posts[&source]
                    .body
                    .split("\n\n")
                    .map(str::to_string)
                    .collect();
                let pick = quoted[usize::from(c.b) % quoted.len()].clone();
                let own = c.post.render();
                let (first, rest) = own.split_once("\n\n").unwrap_or((own.as_str(), ""));
                self.add(Written {
                    channel: channel(c.b),
                    body: format!("{first}\n\n{pick}\n\n{rest}")
                        .trim_end()
                        .to_string(),
                    footer: FooterPlace::of(c.a),
                })
            }
            (9, _) => self.add(Written {
                channel: channel(c.a),
                body: template(1000 + u32::from(c.b % 8)),
                footer: FooterPlace::None,
            }),
            _ => self.add(Written {
                channel: channel(c.a),
                body: c.post.render(),
                footer: FooterPlace::of(c.b),
            }),
        }
    }
}

/// A copy's rewrite of a body, by a draw.
fn rewrite(body: &str, seed: u64, draws: &mut Draws) -> String {
    match seed % 5 {
        0 => news::add_emoji(body, draws),
        1 => news::swap_lookalikes(body, draws),
        2 => news::change_case_and_yo(body, draws),
        3 => news::toggle_hash_signs(body, draws),
        _ => body.to_string(),
    }
}

/// Checks the update against a rebuild of the same posts.
fn same_as_rebuild(
    state: &CopyState,
    archive: &Archive,
    params: &Params,
) -> Result<(), TestCaseError> {
    let rebuilt = rebuild(params, state.mark(), &archive.all());
    let spilled = rebuild_spilling(params, state.mark(), &archive.all());
    prop_assert_eq!(
        spilled.fingerprint(),
        rebuilt.fingerprint(),
        "a rebuild through a spill file, channels in another order"
    );
    prop_assert_eq!(
        rebuild_paged(params, state.mark(), &archive.all(), 3).fingerprint(),
        rebuilt.fingerprint(),
        "a rebuild reading some channels twice, a page at a time"
    );
    for channel in 1..=4 {
        prop_assert_eq!(
            state.boilerplate(channel),
            rebuilt.boilerplate(channel),
            "channel {}",
            channel
        );
        prop_assert_eq!(
            state.boilerplate_counts(channel),
            rebuilt.boilerplate_counts(channel),
            "channel {}'s line counts",
            channel
        );
    }
    prop_assert_eq!(
        state.fingerprint(),
        rebuilt.fingerprint(),
        "posts: {:#?}",
        archive.all()
    );
    prop_assert_eq!(state.post_count(), rebuilt.post_count());
    prop_assert_eq!(state.text_count(), rebuilt.text_count());
    for id in archive.posts.keys() {
        prop_assert_eq!(
            state.cluster_of(*id).map(|c| c.id),
            rebuilt.cluster_of(*id).map(|c| c.id)
        );
    }
    Ok(())
}

/// Runs `steps` of changes through updates (from a rebuild of the first step, or from an empty
/// state), checking each against a rebuild; returns the state, the archive and how many
/// updates asked for a rebuild.
///
/// With `keys_on_file`, the state keeps its band keys in scratch files in blocks of two texts
/// (as the engine keeps them in blocks of 4,096), and so do the rebuilds it is replaced by.
fn run_updates(
    params: &Params,
    steps: &[Vec<Change>],
    start_empty: bool,
    keys_on_file: bool,
) -> Result<(CopyState, Archive, usize), TestCaseError> {
    let mut archive = Archive::default();
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let rebuild = |params: &Params, mark: i64, posts: &[CopyPost]| {
        if keys_on_file {
            rebuild_spilling(params, mark, posts)
        } else {
            rebuild(params, mark, posts)
        }
    };
    let mut state = if keys_on_file {
        empty_on_file(params, dir.path())
    } else {
        CopyState::new(params.clone())
    };
    let mut rebuilds = 0;
    for (i, step) in steps.iter().enumerate() {
        let mark = i as i64 + 1;
        let mut changed: Vec<i64> = step.iter().map(|c| archive.apply(c)).collect();
        changed.sort_unstable();
        changed.dedup();
        if i == 0 && !start_empty {
            state = rebuild(params, mark, &archive.all());
        } else {
            let changed_posts: Vec<CopyPost> = changed
                .iter()
                .filter_map(|id| archive.copy_post(*id))
                .collect();
            let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, Infallible> {
                Ok(ids.iter().filter_map(|id| archive.copy_post(*id)).collect())
            };
            let report = match state.update(mark, changed_posts, &mut fetch) {
                Ok(r) => r,
                Err(never) => match never {},
            };
            prop_assert_eq!(report.compared >= changed.len() as u64, true);
            if report.needs_rebuild {
                rebuilds += 1;
                state = rebuild(params, mark, &archive.all());
            }
        }
        prop_assert_eq!(state.mark(), mark);
        same_as_rebuild(&state, &archive, params)?;
    }
    Ok((state, archive, rebuilds))
}

fn steps() -> impl Strategy<Value = Vec<Vec<Change>>> {
    news::lang().prop_flat_map(|lang| {
        prop::collection::vec(prop::collection::vec(change(lang), 1..=6), 2..=7)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn updates_equal_a_rebuild_and_the_state_survives_a_save_and_load(
        steps in steps(),
        start_empty in any::<bool>(),
        keys_on_file in any::<bool>(),
    ) {
        let params = Params::default();
        let (state, archive, rebuilds) = run_updates(&params, &steps, start_empty, keys_on_file)?;
        prop_assert_eq!(rebuilds, 0, "no bucket comes near the hot-bucket limit");

        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("copies.bin");
        state.save(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let loaded = CopyState::load(&path)
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .ok_or_else(|| TestCaseError::fail("no file"))?;
        prop_assert_eq!(loaded.fingerprint(), state.fingerprint());
        prop_assert_eq!(loaded.mark(), state.mark());
        prop_assert_eq!(loaded.params(), state.params());
        same_as_rebuild(&loaded, &archive, &params)?;
    }

    #[test]
    fn updates_across_the_hot_bucket_limit_ask_for_a_rebuild_or_equal_one(
        steps in steps(),
        start_empty in any::<bool>(),
        keys_on_file in any::<bool>(),
    ) {
        // A limit small enough that the copies and templates cross it.
        let params = Params { max_bucket: 3, ..Params::default() };
        run_updates(&params, &steps, start_empty, keys_on_file)?;
    }
}

#[test]
fn an_update_that_takes_a_bucket_across_the_hot_bucket_limit_asks_for_a_rebuild() {
    // Template posts share most band buckets; with a limit of three, a fourth crosses it.
    let params = Params {
        max_bucket: 3,
        ..Params::default()
    };
    let mut archive: BTreeMap<i64, CopyPost> = (1..=3)
        .map(|i| (i, post(i, i, &template(1000 + i as u32))))
        .collect();
    let all = |a: &BTreeMap<i64, CopyPost>| a.values().cloned().collect::<Vec<_>>();
    let mut state = rebuild(&params, 1, &all(&archive));
    let step =
        |state: &mut CopyState, archive: &BTreeMap<i64, CopyPost>, mark, changed: Vec<CopyPost>| {
            let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, Infallible> {
                Ok(ids
                    .iter()
                    .filter_map(|id| archive.get(id).cloned())
                    .collect())
            };
            match state.update(mark, changed, &mut fetch) {
                Ok(report) => report,
                Err(never) => match never {},
            }
        };

    let fourth = post(4, 4, &template(1004));
    archive.insert(4, fourth.clone());
    let report = step(&mut state, &archive, 2, vec![fourth]);
    assert!(report.needs_rebuild, "{report:?}");
    assert_eq!(state.mark(), 2);
    state = rebuild(&params, 2, &all(&archive));

    // And back under it: an edit that takes the fourth out of the buckets.
    let edited = post(4, 4, &bodies(Lang::Ru, 1, 4, 3)[0]);
    archive.insert(4, edited.clone());
    let report = step(&mut state, &archive, 3, vec![edited]);
    assert!(report.needs_rebuild, "{report:?}");

    // Changes that stay on one side of the limit need none.
    state = rebuild(&params, 3, &all(&archive));
    let fifth = post(5, 1, &bodies(Lang::En, 1, 3, 8)[0]);
    archive.insert(5, fifth.clone());
    let report = step(&mut state, &archive, 4, vec![fifth]);
    assert!(!report.needs_rebuild, "{report:?}");
    assert_eq!(
        state.fingerprint(),
        rebuild(&params, 4, &all(&archive)).fingerprint()
    );
}

#[test]
fn a_saved_state_loads_after_updates_and_keeps_updating_like_a_rebuild() {
    let texts = bodies(Lang::Ru, 6, 4, 31);
    let footer = "Подписаться | @saved_channel";
    let mut archive: BTreeMap<i64, CopyPost> = BTreeMap::new();
    for (i, body) in texts.iter().enumerate() {
        let id = i as i64 + 1;
        archive.insert(id, post(id, 1, &format!("{body}\n\n{footer}")));
    }
    let all = |a: &BTreeMap<i64, CopyPost>| a.values().cloned().collect::<Vec<_>>();
    let params = Params::default();
    let mut state = rebuild(&params, 1, &all(&archive));
    // Copies in other channels, and an edit, as updates.
    let changes = [
        post(7, 2, &format!("🔥 {}", texts[0])),
        post(8, 3, &texts[1].to_uppercase()),
        post(2, 1, &format!("{}\n\nUPD: уточнение", texts[1])),
    ];
    for (mark, p) in (2..).zip(changes) {
        archive.insert(p.post_id, p.clone());
        let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, Infallible> {
            Ok(ids
                .iter()
                .filter_map(|id| archive.get(id).cloned())
                .collect())
        };
        let report = match state.update(mark, vec![p], &mut fetch) {
            Ok(r) => r,
            Err(never) => match never {},
        };
        assert!(!report.needs_rebuild);
    }
    assert_eq!(all_clusters(&state), vec![vec![1, 7], vec![2, 8]]);

    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("copies.bin");
    state.save(&path).expect("saved");
    let mut loaded = CopyState::load(&path).expect("readable").expect("there");
    assert_eq!(loaded.fingerprint(), state.fingerprint());
    assert_eq!(loaded.mark(), 4);
    assert_eq!(loaded.boilerplate(1), state.boilerplate(1));
    assert_eq!(loaded.boilerplate_counts(1), state.boilerplate_counts(1));
    assert_eq!(loaded.post_count(), archive.len());

    // The loaded state goes on as the saved one would.
    let next = post(9, 4, &format!("{}\n\nИсточник: @saved_channel", texts[2]));
    archive.insert(9, next.clone());
    let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, Infallible> {
        Ok(ids
            .iter()
            .filter_map(|id| archive.get(id).cloned())
            .collect())
    };
    match loaded.update(5, vec![next], &mut fetch) {
        Ok(report) => assert!(!report.needs_rebuild),
        Err(never) => match never {},
    }
    assert_eq!(
        loaded.fingerprint(),
        rebuild(&params, 5, &all(&archive)).fingerprint()
    );
    assert_eq!(cluster_posts(&loaded, 9), vec![3, 9]);
}

/// A post of the relation tests: its channel, date and text.
struct Dated {
    id: i64,
    channel: i64,
    date: Option<i64>,
    observed: bool,
    /// A forward's header: the source's name, channel and message id.
    forward_from: Option<(&'static str, i64, Option<i64>)>,
    text: String,
}

/// Channel names: username and title.
fn channel_names(channel: i64) -> Vec<String> {
    match channel {
        1 => vec!["@first_channel".into(), "Первый канал".into()],
        2 => vec!["@second_channel".into(), "Второй канал".into()],
        3 => vec!["@third_channel".into()],
        4 => vec!["@fourth_channel".into()],
        5 => vec!["@fifth_channel".into()],
        _ => vec![format!("@channel_{channel}")],
    }
}

/// Describes the cluster of `posts[0]`: the analysis rebuilt from them, and the facts the
/// engine would give (links and mentions extracted from the text).
fn describe(posts: &[Dated]) -> (CopyState, ClusterView) {
    let copy_posts: Vec<CopyPost> = posts
        .iter()
        .map(|p| post(p.id, p.channel, &p.text))
        .collect();
    let state = analyse(&copy_posts);
    let cluster = state
        .cluster_of(posts[0].id)
        .expect("the posts make a cluster")
        .clone();
    assert_eq!(
        cluster.posts.len(),
        posts.len(),
        "every post is in the cluster"
    );
    // The engine gives the facts in any order: here, reversed.
    let facts: Vec<MemberFacts> = posts
        .iter()
        .rev()
        .map(|p| {
            let found = extract::all(&p.text);
            MemberFacts {
                post_id: p.id,
                channel_id: p.channel,
                channel_names: channel_names(p.channel),
                date: p.date,
                date_observed: p.observed,
                forward_from: p.forward_from.map(|(name, _, _)| name.to_string()),
                forward_of: p
                    .forward_from
                    .map(|(_, channel, message)| (channel, message)),
                // Each channel's message ids: the archive id here.
                message_id: Some(p.id),
                links: found
                    .links
                    .iter()
                    .map(|l| l.url.clone().unwrap_or_else(|| l.label.clone()))
                    .collect(),
                mentions: found.mentions.iter().map(|m| m.value.clone()).collect(),
                text: p.text.clone(),
                partial: cluster.partial.contains(&p.id),
            }
        })
        .collect();
    let view = describe_cluster(&state, facts);
    (state, view)
}

const NEWS: &str = "Губернатор области сообщает, что подача электроэнергии в трёх районах \
                    восстановлена сегодня утром после ночной аварии на подстанции.\n\n\
                    Ремонтные бригады продолжают работу на месте, жителей просят сообщать \
                    об отключениях по телефону горячей линии.";
const T0: i64 = 1_700_000_000;

fn dated(id: i64, channel: i64, date: Option<i64>, observed: bool, text: &str) -> Dated {
    Dated {
        id,
        channel,
        date,
        observed,
        forward_from: None,
        text: text.to_string(),
    }
}

#[test]
fn a_clusters_description_names_the_first_post_seen_and_each_copys_relation() {
    let quoting = format!(
        "Коротко о главном за день.\n\n{}\n\nСледим за развитием событий.",
        NEWS.split("\n\n").next().unwrap_or_default()
    );
    let posts = [
        dated(10, 1, Some(T0), true, NEWS),
        // An inferred date earlier than the first observed one.
        dated(
            11,
            2,
            Some(T0 - 10_000),
            false,
            &format!("{NEWS}\n\nИсточник: @first_channel"),
        ),
        Dated {
            forward_from: Some(("Первый канал", 1, Some(10))),
            ..dated(12, 3, Some(T0 + 600), true, NEWS)
        },
        dated(
            13,
            4,
            Some(T0 + 3_600),
            true,
            &format!("{NEWS}\n\nhttps://t.me/first_channel/123"),
        ),
        dated(
            14,
            5,
            Some(T0 + 7_200),
            true,
            &format!("СРОЧНО: {}", NEWS.replace(" сегодня утром", " утром")),
        ),
        dated(
            15,
            6,
            Some(T0 + 9_000),
            true,
            &format!("{NEWS}\n\nНаш канал: @channel_6\nhttps://t.me/other_channel/5"),
        ),
        dated(16, 7, Some(T0 + 10_000), true, &quoting),
    ];
    let (_, view) = describe(&posts);
    assert_eq!(view.first, 10);
    assert_eq!(view.first_basis, "observed");
    let order: Vec<i64> = view.members.iter().map(|m| m.post_id).collect();
    assert_eq!(
        order,
        vec![10, 11, 12, 13, 14, 15, 16],
        "the first, then by date"
    );
    let member = |id: i64| {
        view.members
            .iter()
            .find(|m| m.post_id == id)
            .expect("a member")
    };

    let first = member(10);
    assert!(first.first_seen);
    assert_eq!(first.relation, Relation::First);
    assert_eq!(first.delay_seconds, None);
    assert!(first.added.is_empty() && first.removed.is_empty());

    let inferred = member(11);
    assert!(!inferred.first_seen);
    assert!(inferred.date_inferred);
    assert_eq!(inferred.delay_seconds, Some(-10_000));
    assert_eq!(inferred.relation, Relation::Attributed);
    assert_eq!(
        inferred.attribution,
        Some(Attribution::Mention("first_channel".into()))
    );

    let forward = member(12);
    assert_eq!(forward.relation, Relation::Forward);
    assert_eq!(
        forward.attribution,
        Some(Attribution::ForwardHeader("Первый канал".into()))
    );
    assert_eq!(forward.delay_seconds, Some(600));
    assert_eq!(forward.similarity, 1.0);
    assert!(forward.added.is_empty() && forward.removed.is_empty());

    let linked = member(13);
    assert_eq!(linked.relation, Relation::Attributed);
    assert_eq!(
        linked.attribution,
        Some(Attribution::Link("first_channel".into()))
    );
    assert_eq!(linked.delay_seconds, Some(3_600));

    let unattributed = member(14);
    assert_eq!(unattributed.relation, Relation::Unattributed);
    assert_eq!(unattributed.attribution, None);
    assert_eq!(unattributed.delay_seconds, Some(7_200));
    assert_eq!(unattributed.added, vec!["СРОЧНО"]);
    assert_eq!(unattributed.removed, vec!["сегодня"]);
    assert!(unattributed.similarity >= 0.7 && unattributed.similarity < 1.0);

    // Its own channel's mention and a link elsewhere name no source.
    let own_footer = member(15);
    assert_eq!(own_footer.relation, Relation::Unattributed);
    assert_eq!(own_footer.attribution, None);
    assert_eq!(own_footer.delay_seconds, Some(9_000));

    let partial = member(16);
    assert_eq!(partial.relation, Relation::Partial);
    assert_eq!(partial.delay_seconds, Some(10_000));
}

#[test]
fn the_first_post_seen_is_the_earliest_observed_then_inferred_then_the_lowest_id() {
    // The same observed date: the lower archive id is first, whatever the order of facts.
    let (_, view) = describe(&[
        dated(21, 1, Some(T0), true, NEWS),
        dated(20, 2, Some(T0), true, NEWS),
        dated(22, 3, Some(T0 + 60), true, NEWS),
    ]);
    assert_eq!((view.first, view.first_basis), (20, "observed"));
    assert_eq!(
        view.members.iter().map(|m| m.post_id).collect::<Vec<_>>(),
        vec![20, 21, 22]
    );
    assert_eq!(view.members[1].delay_seconds, Some(0));

    // Only inferred dates: the earliest of them; undated posts go last.
    let (_, view) = describe(&[
        dated(30, 1, Some(T0 + 2_000), false, NEWS),
        dated(31, 2, Some(T0 + 1_000), false, NEWS),
        dated(32, 3, None, false, NEWS),
        dated(33, 4, Some(T0 + 1_000), false, NEWS),
    ]);
    assert_eq!((view.first, view.first_basis), (31, "inferred"));
    assert_eq!(
        view.members.iter().map(|m| m.post_id).collect::<Vec<_>>(),
        vec![31, 33, 30, 32]
    );
    assert!(
        view.members
            .iter()
            .filter(|m| m.date.is_some())
            .all(|m| m.date_inferred)
    );
    assert_eq!(view.members[2].delay_seconds, Some(1_000));
    assert_eq!(view.members[3].delay_seconds, None);

    // An observed date wins over any inferred one, however early.
    let (_, view) = describe(&[
        dated(40, 1, Some(T0 - 86_400), false, NEWS),
        dated(41, 2, Some(T0 + 5), true, NEWS),
        dated(42, 3, Some(T0), true, NEWS),
    ]);
    assert_eq!((view.first, view.first_basis), (42, "observed"));
    assert_eq!(view.members[0].post_id, 42);
    assert!(view.members[0].first_seen);
    assert!(!view.members.iter().skip(1).any(|m| m.first_seen));

    // No dates at all: the lowest archive id.
    let (_, view) = describe(&[
        dated(52, 1, None, false, NEWS),
        dated(51, 2, None, false, NEWS),
    ]);
    assert_eq!((view.first, view.first_basis), (51, "undated"));
}

#[test]
fn a_forward_is_never_first_seen_before_the_post_it_forwards() {
    // The forward's observed date is earlier (a clock off, a date read wrong): its header
    // still says where it came from.
    let (_, view) = describe(&[
        dated(60, 1, Some(T0), true, NEWS),
        Dated {
            forward_from: Some(("Первый канал", 1, Some(60))),
            ..dated(61, 2, Some(T0 - 300), true, NEWS)
        },
        dated(62, 3, Some(T0 + 300), true, NEWS),
    ]);
    assert_eq!((view.first, view.first_basis), (60, "observed"));
    let forward = &view.members[1];
    assert_eq!(forward.post_id, 61);
    assert_eq!(forward.relation, Relation::Forward);
    assert_eq!(forward.delay_seconds, Some(-300));
}

/// Brings `state` up to `archive` with `changed` at `mark`, checking it asks for no rebuild
/// and equals a rebuild.
fn update_and_check(
    state: &mut CopyState,
    archive: &BTreeMap<i64, CopyPost>,
    mark: i64,
    changed: &[i64],
) {
    let changed: Vec<CopyPost> = changed
        .iter()
        .filter_map(|id| archive.get(id).cloned())
        .collect();
    let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, Infallible> {
        Ok(ids
            .iter()
            .filter_map(|id| archive.get(id).cloned())
            .collect())
    };
    match state.update(mark, changed, &mut fetch) {
        Ok(report) => assert!(!report.needs_rebuild, "{report:?}"),
        Err(never) => match never {},
    }
    let all: Vec<CopyPost> = archive.values().cloned().collect();
    let rebuilt = rebuild(state.params(), mark, &all);
    assert_eq!(state.fingerprint(), rebuilt.fingerprint(), "at mark {mark}");
    assert_eq!(state.boilerplate(1), rebuilt.boilerplate(1));
    assert_eq!(state.boilerplate_counts(1), rebuilt.boilerplate_counts(1));
}

#[test]
fn a_line_that_becomes_boilerplate_is_left_out_of_headers_and_footers_only() {
    // Post 1 carries the channel's future footer inside its text (a digest quoting it), and a
    // copy of it sits in another channel.
    let footer = "Подписаться | @digest_channel";
    let texts = bodies(Lang::Ru, 8, 1, 41);
    let digest = format!(
        "{}\n{footer}\n{}\n{}\n{}\n{}",
        texts[0], texts[1], texts[2], texts[3], texts[4]
    );
    let mut archive: BTreeMap<i64, CopyPost> = BTreeMap::new();
    archive.insert(1, post(1, 1, &digest));
    archive.insert(2, post(2, 2, &digest));
    let mut state = rebuild(
        &Params::default(),
        1,
        &archive.values().cloned().collect::<Vec<_>>(),
    );
    assert!(state.same_text(1, 2));
    // Three posts end with the footer: it becomes the channel's boilerplate.
    for (mark, id) in (2..).zip(3..=5) {
        let text = format!("{}\n\n{footer}", texts[id as usize]);
        archive.insert(id, post(id, 1, &text));
        update_and_check(&mut state, &archive, mark, &[id]);
    }
    assert_eq!(state.boilerplate(1).map(|b| b.len()), Some(1));
    // The digest's line inside its text is content: it still reads as its copy does.
    assert!(state.same_text(1, 2));
    // And the footer ends being boilerplate when those posts lose it.
    for (mark, id) in (5..).zip(3..=5) {
        archive.insert(id, post(id, 1, &texts[id as usize]));
        update_and_check(&mut state, &archive, mark, &[id]);
    }
    assert!(state.boilerplate(1).is_some_and(|b| b.is_empty()));
}
