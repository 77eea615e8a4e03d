//! Reading a Parquet file back with the `parquet` crate's row reader (not the Arrow path the
//! writer uses) and comparing its rows with JSON Lines, field by field, in order.
//!
//! Shared by this crate's tests and the command line's (`#[path]`).

#![allow(dead_code)]

use std::fmt;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value that keeps the order of an object's keys (serde_json's `Value` sorts them).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    List(Vec<Json>),
    /// An object, keys in their order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value of key `name` of an object.
    pub fn get(&self, name: &str) -> &Json {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no field {name} in {self}")),
            _ => panic!("not an object: {self}"),
        }
    }

    /// The keys of an object, in order.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Json::Object(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
            _ => panic!("not an object: {self}"),
        }
    }

    /// The items of a list.
    pub fn items(&self) -> &[Json] {
        match self {
            Json::List(items) => items,
            _ => panic!("not a list: {self}"),
        }
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => write!(f, "null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Int(n) => write!(f, "{n}"),
            Json::Float(x) => write!(f, "{x}"),
            Json::Str(s) => write!(f, "{s:?}"),
            Json::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Json::Object(fields) => {
                write!(f, "{{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{k:?}:{v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Int(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
                i64::try_from(n)
                    .map(Json::Int)
                    .map_err(|_| E::custom("an integer past i64"))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Json, E> {
                Ok(Json::Float(x))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
                Ok(Json::Str(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
                Ok(Json::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    fields.push((k, v));
                }
                Ok(Json::Object(fields))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// The lines of a JSON Lines text, keys in order.
pub fn parse_jsonl(text: &str) -> Vec<Json> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Every row of a Parquet file, read with the row reader, as [`Json`] with the columns in the
/// file's order.
pub fn read_rows(path: &Path) -> Vec<Json> {
    let file = std::fs::File::open(path).expect("open the Parquet file");
    let reader = SerializedFileReader::new(file).expect("a Parquet file");
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|row| row_json(&row.expect("a row")))
        .collect()
}

/// A row as [`Json`]. Only the values the documented types give are accepted: a value of
/// another type (an INT32, a timestamp, bytes) fails the test.
pub fn row_json(row: &Row) -> Json {
    Json::Object(
        row.get_column_iter()
            .map(|(k, v)| (k.clone(), field_json(v)))
            .collect(),
    )
}

fn field_json(f: &Field) -> Json {
    match f {
        Field::Null => Json::Null,
        Field::Bool(b) => Json::Bool(*b),
        Field::Long(n) => Json::Int(*n),
        Field::Float(x) => Json::Float(f64::from(*x)),
        Field::Double(x) => Json::Float(*x),
        Field::Str(s) => Json::Str(s.clone()),
        Field::Group(row) => row_json(row),
        Field::ListInternal(list) => Json::List(list.elements().iter().map(field_json).collect()),
        Field::MapInternal(map) => Json::Object(
            map.entries()
                .iter()
                .map(|(k, v)| match k {
                    Field::Str(k) => (k.clone(), field_json(v)),
                    other => panic!("a map key that is not a string: {other:?}"),
                })
                .collect(),
        ),
        other => panic!("a value of an undocumented type: {other:?}"),
    }
}

/// Panics at the first difference between a JSON Lines value and a Parquet one, naming its
/// path (`media[0].attrs.sticker_emoji`). Keys must come in the same order; a FLOAT column
/// matches the JSON number it was written from (both read as `f32`).
pub fn assert_same(path: &str, jsonl: &Json, parquet: &Json) {
    match (jsonl, parquet) {
        (Json::Object(a), Json::Object(b)) => {
            let ka: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            let kb: Vec<&str> = b.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                ka, kb,
                "at {path}: the keys differ (JSON Lines, then Parquet)"
            );
            for ((k, va), (_, vb)) in a.iter().zip(b) {
                let inner = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                assert_same(&inner, va, vb);
            }
        }
        (Json::List(a), Json::List(b)) => {
            assert_eq!(
                a.len(),
                b.len(),
                "at {path}: JSON Lines has {jsonl}, Parquet has {parquet}"
            );
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                assert_same(&format!("{path}[{i}]"), va, vb);
            }
        }
        (Json::Float(a), Json::Float(b)) => {
            assert_eq!(*a as f32, *b as f32, "at {path}");
        }
        (Json::Int(a), Json::Float(b)) => {
            assert_eq!(*a as f32, *b as f32, "at {path}");
        }
        (a, b) => assert_eq!(a, b, "at {path}: JSON Lines has {a}, Parquet has {b}"),
    }
}
