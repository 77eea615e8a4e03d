//! Opaque paging cursors: where the next page starts, bound to the request that gave it.
//!
//! A cursor holds the offset of the next page and a fingerprint of what was asked (the route,
//! the query, the order), hex-encoded. A cursor given for one request is refused (problem
//! `bad_cursor`) by another, so a client cannot page one search with another's cursor. Clients
//! must treat it as an opaque string: its form may change.

use crate::problem::{ApiError, ErrorCode};

/// Paging through one list: its fingerprint and the offset of this page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// What was asked (see [`fingerprint`]).
    pub fingerprint: u64,
    /// Results before this page.
    pub offset: usize,
}

/// A fingerprint (FNV-1a, 64 bits) of the parts that define a list.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

impl Paging {
    /// The paging of a request: from its cursor, else from the start.
    pub fn from_cursor(cursor: Option<&str>, parts: &[&str]) -> Result<Paging, ApiError> {
        let fingerprint = fingerprint(parts);
        let offset = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => 0,
            Some(cursor) => decode(cursor, fingerprint)?,
        };
        Ok(Paging {
            fingerprint,
            offset,
        })
    }

    /// The cursor of the page after this one (pages of `limit` out of `total`), if any.
    pub fn next(&self, limit: usize, total: u64) -> Option<String> {
        let next = self.offset.checked_add(limit)?;
        (limit > 0 && (next as u64) < total).then(|| encode(next, self.fingerprint))
    }

    /// The cursor of the page after this one (pages of `limit`) when there are `more` results.
    pub fn next_if(&self, limit: usize, more: bool) -> Option<String> {
        let next = self.offset.checked_add(limit)?;
        more.then(|| encode(next, self.fingerprint))
    }

    /// The cursor of the page before this one (pages of `limit`), if this is not the first.
    pub fn previous(&self, limit: usize) -> Option<String> {
        (self.offset > 0).then(|| encode(self.offset.saturating_sub(limit), self.fingerprint))
    }
}

/// The largest offset a cursor may hold: no list of an archive comes near it, and an offset
/// this size leaves room for any arithmetic on it (a forged cursor is refused, not wrapped).
pub const MAX_OFFSET: usize = 1 << 40;

/// The cursor of a page starting at `offset`.
pub fn encode(offset: usize, fingerprint: u64) -> String {
    hex::encode(format!("1:{offset}:{fingerprint:016x}"))
}

fn decode(cursor: &str, fingerprint: u64) -> Result<usize, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::BadCursor,
            "this cursor was not given by this API for this request: use the `next_cursor` of \
             the same request, or none for the first page",
        )
    };
    let bytes = hex::decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split(':');
    let (Some("1"), Some(offset), Some(print), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let offset: usize = offset.parse().map_err(|_| bad())?;
    if offset > MAX_OFFSET {
        return Err(bad());
    }
    let print = u64::from_str_radix(print, 16).map_err(|_| bad())?;
    if print != fingerprint {
        return Err(bad());
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_for_its_own_request_only() {
        let first = Paging::from_cursor(None, &["search", "russia", "date"]).expect("first");
        assert_eq!(first.offset, 0);
        let next = first.next(20, 45).expect("a second page");
        let second = Paging::from_cursor(Some(&next), &["search", "russia", "date"]).expect("ok");
        assert_eq!(second.offset, 20);
        assert_eq!(second.previous(20), Some(encode(0, first.fingerprint)));
        let other = Paging::from_cursor(Some(&next), &["search", "china", "date"]);
        assert_eq!(other.map_err(|e| e.code), Err(ErrorCode::BadCursor));
        assert!(Paging::from_cursor(Some("zz"), &["search"]).is_err());
        let last = Paging::from_cursor(
            Some(&second.next(20, 45).expect("third")),
            &["search", "russia", "date"],
        )
        .expect("third");
        assert_eq!(last.next(5, 45), None);
    }

    #[test]
    fn a_forged_cursor_with_a_huge_offset_is_refused() {
        let parts = ["search", "harbor", "relevance"];
        let print = fingerprint(&parts);
        let forged = encode(usize::MAX, print);
        let paging = Paging::from_cursor(Some(&forged), &parts);
        assert_eq!(paging.map_err(|e| e.code), Err(ErrorCode::BadCursor));
        let largest = encode(MAX_OFFSET, print);
        let paging = Paging::from_cursor(Some(&largest), &parts).expect("the largest offset");
        assert_eq!(paging.offset, MAX_OFFSET);
    }
}
