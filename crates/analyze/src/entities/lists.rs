//! Reading the entity lists (tab-separated, a header line, `#` comments), bundled or a user's.

use super::{EntityKind, Via};

/// A list that cannot be read: the file (or list), the line, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}, line {line}: {what}")]
pub struct ListError {
    /// The list's file name.
    pub source_name: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// One line of a registry: an entity.
#[derive(Debug, Clone)]
pub(super) struct EntityLine {
    pub id: String,
    pub kind: EntityKind,
    pub name_en: String,
    pub name_ru: String,
    pub country: Option<String>,
}

/// One surface form.
#[derive(Debug, Clone)]
pub(super) struct AliasLine {
    pub alias: String,
    pub english: bool,
    pub id: String,
    pub via: Via,
    pub case_sensitive: bool,
    pub ambiguous: bool,
}

/// The lines of a tab-separated list whose header starts with the columns `header`: (line
/// number, fields). A list without that header is refused (a file that is not such a list
/// would otherwise read as an empty one).
fn rows<'a>(
    text: &'a str,
    source: &'a str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'a str>)>, ListError> {
    // The first line that is not a comment is the header.
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let expected = header.join("\t");
    match lines.next() {
        Some((_, first))
            if first
                .split('\t')
                .map(str::trim)
                .take(header.len())
                .eq(header.iter().copied()) => {}
        found => {
            return Err(ListError {
                source_name: source.to_string(),
                line: found.map_or(1, |(i, _)| i + 1),
                what: format!(
                    "the header must be {expected:?} (tab-separated); found {:?}",
                    found.map_or("nothing", |(_, l)| l)
                ),
            });
        }
    }
    let columns = header.len();
    lines
        .map(|(i, l)| {
            let fields: Vec<&str> = l.split('\t').map(str::trim).collect();
            if fields.len() < columns {
                return Err(ListError {
                    source_name: source.to_string(),
                    line: i + 1,
                    what: format!(
                        "{} columns where {columns} are needed (tab-separated)",
                        fields.len()
                    ),
                });
            }
            Ok((i + 1, fields))
        })
        .collect()
}

fn error(source: &str, line: usize, what: String) -> ListError {
    ListError {
        source_name: source.to_string(),
        line,
        what,
    }
}

/// `entities.tsv`: `id kind name_en name_ru country note`.
pub(super) fn registry(text: &str, source: &str) -> Result<Vec<EntityLine>, ListError> {
    let mut out = Vec::new();
    for (line, f) in rows(text, source, &["id", "kind", "name_en", "name_ru"])? {
        let kind = EntityKind::parse(f[1])
            .ok_or_else(|| error(source, line, format!("unknown kind {:?}", f[1])))?;
        if f[0].is_empty() {
            return Err(error(source, line, "an empty id".into()));
        }
        out.push(EntityLine {
            id: f[0].to_string(),
            kind,
            name_en: f[2].to_string(),
            name_ru: f[3].to_string(),
            country: f.get(4).filter(|c| !c.is_empty()).map(|c| c.to_string()),
        });
    }
    Ok(out)
}

fn flags(field: &str) -> (bool, bool) {
    let mut cs = false;
    let mut ambiguous = false;
    for f in field.split(',') {
        match f.trim() {
            "cs" => cs = true,
            "ambiguous" => ambiguous = true,
            _ => {}
        }
    }
    (cs, ambiguous)
}

/// `aliases.tsv`: `alias lang id via flags`.
pub(super) fn aliases(text: &str, source: &str) -> Result<Vec<AliasLine>, ListError> {
    let mut out = Vec::new();
    for (line, f) in rows(text, source, &["alias", "lang", "id", "via"])? {
        let via = Via::parse(f[3])
            .ok_or_else(|| error(source, line, format!("unknown via {:?}", f[3])))?;
        let (case_sensitive, ambiguous) = flags(f.get(4).copied().unwrap_or("-"));
        if f[0].is_empty() {
            return Err(error(source, line, "an empty alias".into()));
        }
        out.push(AliasLine {
            alias: f[0].to_string(),
            english: f[1] == "en",
            id: f[2].to_string(),
            via,
            case_sensitive,
            ambiguous,
        });
    }
    Ok(out)
}

/// A user's list, one file: `id kind name lang form via decline flags` — each line one written
/// form of an entity (its name on at least one line of the id); `decline` must be `no`: Russian
/// case forms are listed as forms of their own (`generate.py --user` writes them).
pub(super) fn user_list(
    text: &str,
    source: &str,
) -> Result<(Vec<EntityLine>, Vec<AliasLine>), ListError> {
    let mut entities: Vec<EntityLine> = Vec::new();
    let mut forms = Vec::new();
    let header = ["id", "kind", "name", "lang", "form", "via", "decline"];
    for (line, f) in rows(text, source, &header)? {
        if f[6] != "no" && f[6] != "-" {
            return Err(error(
                source,
                line,
                format!(
                    "decline {:?}: write the case forms out (python3 generate.py --user FILE \
                     --out FILE does)",
                    f[6]
                ),
            ));
        }
        let (id, kind_name, name, lang, form, via_name) = (f[0], f[1], f[2], f[3], f[4], f[5]);
        let kind = EntityKind::parse(kind_name)
            .ok_or_else(|| error(source, line, format!("unknown kind {kind_name:?}")))?;
        let via = Via::parse(via_name)
            .ok_or_else(|| error(source, line, format!("unknown via {via_name:?}")))?;
        if id.is_empty() || form.is_empty() {
            return Err(error(source, line, "an empty id or form".into()));
        }
        if !matches!(lang, "ru" | "en") {
            return Err(error(
                source,
                line,
                format!("unknown language {lang:?} (ru or en)"),
            ));
        }
        match entities.iter_mut().find(|e| e.id == id) {
            Some(e) => {
                if e.name_en.is_empty() && !name.is_empty() {
                    e.name_en = name.to_string();
                    e.name_ru = name.to_string();
                }
                if e.kind != kind {
                    return Err(error(
                        source,
                        line,
                        format!("{id} is a {} on an earlier line", e.kind.as_str()),
                    ));
                }
            }
            None => entities.push(EntityLine {
                id: id.to_string(),
                kind,
                name_en: name.to_string(),
                name_ru: name.to_string(),
                country: None,
            }),
        }
        let (case_sensitive, ambiguous) = flags(f.get(7).copied().unwrap_or("-"));
        forms.push(AliasLine {
            alias: form.to_string(),
            english: lang == "en",
            id: id.to_string(),
            via,
            case_sensitive,
            ambiguous,
        });
    }
    for e in entities.iter_mut().filter(|e| e.name_en.is_empty()) {
        e.name_en = e.id.clone();
        e.name_ru = e.id.clone();
    }
    Ok((entities, forms))
}

/// `not-entities.tsv`: `phrase lang why`.
pub(super) fn phrases(text: &str, source: &str) -> Result<Vec<String>, ListError> {
    Ok(rows(text, source, &["phrase", "lang"])?
        .into_iter()
        .map(|(_, f)| f[0].to_string())
        .collect())
}

/// `roles.tsv`: `lang kind phrase`: (roles, words that continue a role).
pub(super) fn roles(text: &str, source: &str) -> Result<(Vec<String>, Vec<String>), ListError> {
    let mut roles = Vec::new();
    let mut words = Vec::new();
    for (line, f) in rows(text, source, &["lang", "kind", "phrase"])? {
        match f[1] {
            "role" => roles.push(f[2].to_string()),
            "continue" => words.push(f[2].to_string()),
            other => return Err(error(source, line, format!("unknown kind {other:?}"))),
        }
    }
    Ok((roles, words))
}

/// `contexts.tsv`: `id sign word`: (id, accepts, word).
pub(super) fn contexts(text: &str, source: &str) -> Result<Vec<(String, bool, String)>, ListError> {
    let mut out = Vec::new();
    for (line, f) in rows(text, source, &["id", "sign", "word"])? {
        let sign = match f[1] {
            "+" => true,
            "-" => false,
            other => return Err(error(source, line, format!("unknown sign {other:?}"))),
        };
        out.push((f[0].to_string(), sign, f[2].to_string()));
    }
    Ok(out)
}
