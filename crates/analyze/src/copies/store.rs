//! The copy analysis on disk, in the framing of [`crate::state_file`]: a file that is damaged,
//! or written by another version of the format, is not used (the analysis is derived data and
//! is rebuilt from the archive instead).

use std::io::Write;
use std::path::Path;

pub use crate::state_file::StateError;
use crate::state_file::{self, In, Out};

use std::collections::BTreeMap;

use super::{
    Cluster, ClusterBasis, CopyState, Edge, HashMap, HashSet, NO_NODE, Params, PostEntry,
    ShingleKind,
};

/// The first bytes of the file.
const MAGIC: &[u8; 8] = b"TGSCOPY\0";
/// Bumped whenever the format, or what the analysis computes, changes.
pub const FORMAT_VERSION: u32 = 4;

fn write_params<W: Write>(o: &mut Out<W>, p: &Params) -> std::io::Result<()> {
    for v in [
        p.min_words,
        p.near_min_words,
        p.word_shingle_min_words,
        p.char_shingle_max_words,
        p.word_shingle,
        p.char_shingle,
        p.bands,
        p.rows,
        p.paragraph_min_chars,
        p.max_bucket,
        p.boilerplate_min_posts,
        p.boilerplate_max_words,
    ] {
        o.u64(v as u64)?;
    }
    o.f64(p.jaccard)?;
    o.f64(p.containment)?;
    o.f64(p.boilerplate_min_share)
}

fn read_params(i: &mut In<'_>) -> Result<Params, String> {
    let mut v = [0usize; 12];
    for slot in &mut v {
        *slot = usize::try_from(i.u64()?).map_err(|e| e.to_string())?;
    }
    Ok(Params {
        min_words: v[0],
        near_min_words: v[1],
        word_shingle_min_words: v[2],
        char_shingle_max_words: v[3],
        word_shingle: v[4],
        char_shingle: v[5],
        bands: v[6],
        rows: v[7],
        paragraph_min_chars: v[8],
        max_bucket: v[9],
        boilerplate_min_posts: v[10],
        boilerplate_max_words: v[11],
        jaccard: i.f64()?,
        containment: i.f64()?,
        boilerplate_min_share: i.f64()?,
    })
}

/// Texts whose band keys and paragraph hashes a save reads together.
const SAVE_CHUNK_TEXTS: usize = 1 << 16;

impl CopyState {
    /// Writes the state to `path` (through a temporary file in the same folder, renamed).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        // Keys that could not be read back are not written as if they were the analysis's.
        self.scratch_failure()?;
        state_file::save(path, MAGIC, FORMAT_VERSION, |o| self.write_to(o))
    }

    fn write_to<W: Write>(&self, o: &mut Out<W>) -> std::io::Result<()> {
        write_params(o, &self.params)?;
        o.i64(self.mark)?;
        o.len(self.nodes.len())?;
        // By exact key (the order of the index), a chunk of texts at a time: their band keys
        // and paragraph hashes read in the order their scratch files hold them.
        let mut written = Ok(());
        let mut chunk: Vec<u32> = Vec::new();
        let mut write_chunk = |chunk: &mut Vec<u32>, o: &mut Out<W>| {
            self.nodes
                .for_each_stored(chunk, &mut |n, words, chars, paragraphs| {
                    if written.is_ok() {
                        written = self.write_node(o, n, words, chars, paragraphs);
                    }
                });
            chunk.clear();
        };
        self.nodes.for_each_by_exact(&mut |_, n| {
            chunk.push(n);
            if chunk.len() == SAVE_CHUNK_TEXTS {
                write_chunk(&mut chunk, o);
            }
        });
        write_chunk(&mut chunk, o);
        written?;
        // The posts after the texts (so that a load files each post with its text at once),
        // in the order of their ids.
        o.len(self.posts.len())?;
        let mut written = Ok(());
        self.posts.for_each(&mut |id, e| {
            if written.is_ok() {
                written = self.write_post(o, id, e);
            }
        });
        written?;
        let edges = self.exact_edges();
        o.len(edges.len())?;
        for ((a, b), e) in edges {
            o.u64(a)?;
            o.u64(b)?;
            o.u8(u8::from(e.full))?;
            o.u32(e.jaccard.to_bits())?;
            o.u32(e.containment.to_bits())?;
        }
        let channels = self.channels.sorted();
        o.len(channels.len())?;
        for (id, b) in channels {
            o.i64(id)?;
            o.u64(b.posts())?;
            let mut counts: Vec<(u32, u32)> = Vec::new();
            self.channels
                .for_each_count(id, &mut |line, count| counts.push((line, count)));
            o.len(counts.len())?;
            for (l, c) in counts {
                o.u32(l)?;
                o.u32(c)?;
            }
            let mut lines: Vec<u32> = Vec::new();
            for l in b.lines() {
                lines.push(*l);
            }
            lines.sort_unstable();
            o.len(lines.len())?;
            for l in lines {
                o.u32(l)?;
            }
        }
        Ok(())
    }

    /// One post of the saved file: its id, channel, text's exact key, header and footer lines.
    fn write_post<W: Write>(&self, o: &mut Out<W>, id: i64, e: &PostEntry) -> std::io::Result<()> {
        o.i64(id)?;
        o.i64(e.channel)?;
        match e.node().map(|n| self.nodes.exact(n)) {
            Some(x) => {
                o.u8(1)?;
                o.u64(x)?;
            }
            None => o.u8(0)?,
        }
        o.len(e.edge_lines().len())?;
        for l in e.edge_lines() {
            o.u32(*l)?;
        }
        Ok(())
    }

    /// One text of the saved file: its exact key, its posts, its band keys of each kind and
    /// its paragraph hashes.
    fn write_node<W: Write>(
        &self,
        o: &mut Out<W>,
        n: u32,
        words: Option<&[u32]>,
        chars: Option<&[u32]>,
        paragraphs: &[u64],
    ) -> std::io::Result<()> {
        o.u64(self.nodes.exact(n))?;
        o.len(self.nodes.post_count(n))?;
        for p in self.nodes.posts(n) {
            o.i64(p)?;
        }
        for keys in [words, chars] {
            match keys {
                Some(b) => {
                    o.len(b.len())?;
                    for k in b {
                        o.u32(*k)?;
                    }
                }
                None => o.u64(u64::MAX)?,
            }
        }
        o.len(paragraphs.len())?;
        for p in paragraphs {
            o.u64(*p)?;
        }
        Ok(())
    }

    /// Reads a state written by [`CopyState::save`]. `Ok(None)` when there is no file. Its
    /// band keys are kept in scratch files beside it ([`CopyState::keep_scratch_files_in`]), or in
    /// memory where that folder cannot be written (a read-only archive).
    pub fn load(path: &Path) -> Result<Option<CopyState>, StateError> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let state = state_file::load(path, MAGIC, FORMAT_VERSION, "a copy analysis", |i| {
            Self::read_from(i, dir)
        })?;
        if let Some(state) = &state {
            state.scratch_failure()?;
        }
        Ok(state)
    }

    fn read_from(i: &mut In<'_>, scratch: Option<&Path>) -> Result<CopyState, String> {
        let params = read_params(i)?;
        let mut state = CopyState::new(params);
        if let Some(dir) = scratch {
            // Where no scratch file can be made, the keys stay in memory (as they always may).
            let _ = state.keep_scratch_files_in(dir);
        }
        state.mark = i.i64()?;
        let n = i.len(32)?;
        for _ in 0..n {
            let exact = i.u64()?;
            let k = i.len(8)?;
            let mut posts = Vec::with_capacity(k);
            for _ in 0..k {
                posts.push(i.i64()?);
            }
            let mut bands: Vec<(ShingleKind, Vec<u32>)> = Vec::new();
            for kind in [ShingleKind::Words, ShingleKind::Chars] {
                let k = i.u64()?;
                if k != u64::MAX {
                    let k = usize::try_from(k).map_err(|e| e.to_string())?;
                    if k != state.params.bands {
                        return Err(format!(
                            "{k} band keys at byte {}, not {}",
                            i.at, state.params.bands
                        ));
                    }
                    let mut b = Vec::with_capacity(k);
                    for _ in 0..k {
                        b.push(i.u32()?);
                    }
                    bands.push((kind, b));
                }
            }
            let k = i.len(8)?;
            let mut paragraphs = Vec::with_capacity(k);
            for _ in 0..k {
                paragraphs.push(i.u64()?);
            }
            let node = match state.nodes.get_or_insert(exact, &bands, &paragraphs) {
                Ok(node) if !posts.is_empty() => node,
                _ => return Err(format!("a text without posts, or twice, at byte {}", i.at)),
            };
            for p in posts {
                state.nodes.add_post(node, p);
            }
        }
        let n = i.len(17)?;
        state.posts.reserve(n);
        let mut last = None;
        for _ in 0..n {
            let id = i.i64()?;
            if last.is_some_and(|last| last >= id) {
                return Err(format!("post {id} out of order at byte {}", i.at));
            }
            last = Some(id);
            let channel = i.i64()?;
            let node = if i.u8()? != 0 {
                let exact = i.u64()?;
                state
                    .nodes
                    .get(exact)
                    .ok_or_else(|| format!("post {id} has a text the file does not hold"))?
            } else {
                NO_NODE
            };
            let k = i.len(4)?;
            if k > super::features::EDGE_LINES {
                return Err(format!("post {id} has {k} header and footer lines"));
            }
            let mut lines = Vec::with_capacity(k);
            for _ in 0..k {
                lines.push(i.u32()?);
            }
            state
                .posts
                .insert(id, PostEntry::new(channel, node, &lines));
        }
        let n = i.len(25)?;
        for _ in 0..n {
            let a = i.u64()?;
            let b = i.u64()?;
            let node = |exact: u64| {
                state
                    .nodes
                    .get(exact)
                    .ok_or_else(|| format!("a pair names a text the file does not hold ({exact})"))
            };
            let (a, b) = super::pair(node(a)?, node(b)?);
            let full = i.u8()? != 0;
            let jaccard = f32::from_bits(i.u32()?);
            let containment = f32::from_bits(i.u32()?);
            state.link(
                (a, b),
                Edge {
                    full,
                    jaccard,
                    containment,
                },
            );
        }
        let n = i.len(24)?;
        for _ in 0..n {
            let id = i.i64()?;
            let posts = i.u64()?;
            let k = i.len(8)?;
            let mut counts: Vec<(u32, u32)> = Vec::with_capacity(k);
            for _ in 0..k {
                let l = i.u32()?;
                let c = i.u32()?;
                counts.push((l, c));
            }
            counts.sort_unstable();
            counts.dedup_by_key(|(l, _)| *l);
            let k = i.len(4)?;
            let mut lines: Vec<u32> = Vec::with_capacity(k);
            for _ in 0..k {
                lines.push(i.u32()?);
            }
            state.channels.load(id, posts, &counts, &lines);
        }
        state.recluster();
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copies::CopyPost;

    fn post(id: i64, channel: i64, text: &str) -> CopyPost {
        CopyPost {
            post_id: id,
            channel_id: channel,
            text: text.into(),
        }
    }

    #[test]
    fn a_saved_state_loads_as_it_was_and_damage_is_refused() {
        let text = "The minister held talks with his counterpart on regional security, trade \
                    and the transport corridor that links the two countries by rail";
        let state = CopyState::rebuild(
            Params::default(),
            7,
            vec![
                Ok::<_, StateError>(vec![post(1, 1, text)]),
                Ok(vec![post(2, 2, &format!("{text}. Subscribe!"))]),
            ],
        )
        .unwrap();
        assert_eq!(state.cluster_count(), 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copies.bin");
        state.save(&path).unwrap();
        let loaded = CopyState::load(&path).unwrap().unwrap();
        assert_eq!(loaded.fingerprint(), state.fingerprint());
        assert_eq!(loaded.mark(), 7);

        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xFF;
        std::fs::write(&path, &bytes).unwrap();
        let err = CopyState::load(&path).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
        assert!(
            CopyState::load(&dir.path().join("none.bin"))
                .unwrap()
                .is_none()
        );
    }
}

/// The first bytes of a cluster index file.
const CLUSTERS_MAGIC: &[u8; 8] = b"TGSCLUS\0";

/// What the readers that only ask about clusters need of a copy analysis, without the rest of
/// it (the posts' signatures and band keys, the verified pairs): the clusters, and what
/// [`describe_cluster`](super::describe_cluster) compares texts with (the parameters, each
/// channel's boilerplate lines). A small file beside the analysis (bytes per clustered post,
/// where the analysis holds hundreds per post), written with it and stamped with its mark, so
/// that a reader can tell that the analysis is current, and describe its clusters, without
/// loading it: the export of a million posts then holds megabytes, not the whole analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterIndex {
    mark: i64,
    params: Params,
    clusters: BTreeMap<i64, Cluster>,
    of_post: HashMap<i64, i64>,
    boilerplate: HashMap<i64, HashSet<u32>>,
}

impl ClusterIndex {
    /// The archive's mark the clusters are current at.
    pub fn mark(&self) -> i64 {
        self.mark
    }

    /// The clusters, by id.
    pub fn clusters(&self) -> &BTreeMap<i64, Cluster> {
        &self.clusters
    }

    /// The cluster a post belongs to, if any.
    pub fn cluster_of(&self, post_id: i64) -> Option<&Cluster> {
        self.clusters.get(self.of_post.get(&post_id)?)
    }

    /// Writes the index to `path` (through a temporary file, renamed).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let boilerplate: Vec<(i64, &HashSet<u32>)> =
            self.boilerplate.iter().map(|(id, b)| (*id, b)).collect();
        write_cluster_index(
            path,
            self.mark,
            &self.params,
            self.clusters.len(),
            &mut |f| self.clusters.values().for_each(&mut *f),
            boilerplate,
        )
    }

    /// Reads the index at `path`; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<ClusterIndex>, StateError> {
        state_file::load(
            path,
            CLUSTERS_MAGIC,
            FORMAT_VERSION,
            "a cluster index",
            |i| {
                let mark = i.i64()?;
                let params = read_params(i)?;
                let n = i.len(24)?;
                let mut clusters = BTreeMap::new();
                let mut of_post = HashMap::default();
                for _ in 0..n {
                    let id = i.i64()?;
                    let posts: Vec<i64> =
                        (0..i.len(8)?).map(|_| i.i64()).collect::<Result<_, _>>()?;
                    let partial = (0..i.len(8)?).map(|_| i.i64()).collect::<Result<_, _>>()?;
                    for p in &posts {
                        of_post.insert(*p, id);
                    }
                    clusters.insert(id, Cluster { id, posts, partial });
                }
                let mut boilerplate = HashMap::default();
                for _ in 0..i.len(16)? {
                    let id = i.i64()?;
                    let lines = (0..i.len(4)?).map(|_| i.u32()).collect::<Result<_, _>>()?;
                    boilerplate.insert(id, lines);
                }
                Ok(ClusterIndex {
                    mark,
                    params,
                    clusters,
                    of_post,
                    boilerplate,
                })
            },
        )
    }
}

impl ClusterBasis for ClusterIndex {
    fn params(&self) -> &Params {
        &self.params
    }

    fn boilerplate_lines(&self, channel_id: i64) -> Option<&HashSet<u32>> {
        self.boilerplate.get(&channel_id)
    }
}

/// Calls the function it is given with every cluster, by id.
type WalkClusters<'a> = dyn FnMut(&mut dyn FnMut(&Cluster)) + 'a;

/// Writes a cluster index: the mark, the parameters, `count` clusters from `clusters` (in the
/// order of their ids), and the channels' boilerplate lines (those of channels with some).
fn write_cluster_index(
    path: &Path,
    mark: i64,
    params: &Params,
    count: usize,
    clusters: &mut WalkClusters<'_>,
    mut boilerplate: Vec<(i64, &HashSet<u32>)>,
) -> Result<(), StateError> {
    state_file::save(path, CLUSTERS_MAGIC, FORMAT_VERSION, |o| {
        o.i64(mark)?;
        write_params(o, params)?;
        o.len(count)?;
        let mut written = 0usize;
        let mut failed: std::io::Result<()> = Ok(());
        clusters(&mut |c| {
            if failed.is_ok() {
                written += 1;
                failed = write_cluster(o, c);
            }
        });
        failed?;
        if written != count {
            return Err(std::io::Error::other(format!(
                "{written} clusters were written where {count} were counted"
            )));
        }
        boilerplate.retain(|(_, lines)| !lines.is_empty());
        boilerplate.sort_unstable_by_key(|(id, _)| *id);
        o.len(boilerplate.len())?;
        for (id, lines) in boilerplate {
            o.i64(id)?;
            let mut lines: Vec<u32> = lines.iter().copied().collect();
            lines.sort_unstable();
            o.len(lines.len())?;
            for l in lines {
                o.u32(l)?;
            }
        }
        Ok(())
    })
}

fn write_cluster(o: &mut Out<impl Write>, c: &Cluster) -> std::io::Result<()> {
    o.i64(c.id)?;
    o.len(c.posts.len())?;
    for p in &c.posts {
        o.i64(*p)?;
    }
    o.len(c.partial.len())?;
    for p in &c.partial {
        o.i64(*p)?;
    }
    Ok(())
}

impl CopyState {
    /// Writes the analysis's [`ClusterIndex`] to `path` (through a temporary file, renamed),
    /// from a walk of its clusters: what is written is not held in memory.
    pub fn save_cluster_index(&self, path: &Path) -> Result<(), StateError> {
        let channels = self.channels.sorted();
        let boilerplate: Vec<(i64, &HashSet<u32>)> =
            channels.iter().map(|(id, b)| (*id, b.lines())).collect();
        write_cluster_index(
            path,
            self.mark,
            &self.params,
            self.clusters.len(),
            &mut |f| self.clusters.for_each(f),
            boilerplate,
        )
    }
}
