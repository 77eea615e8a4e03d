//! Settings users choose for their archive (such as the copy analysis's parameters), kept in
//! the archive by key, each value a string the caller encodes.

use rusqlite::{OptionalExtension, params};

use crate::Store;
use tgscope_archive::Result;
use tgscope_archive::prelude::*;

impl SettingStore for Store {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        let conn = self.conn();
        match value {
            Some(v) => conn.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                                 updated_at = excluded.updated_at",
                params![key, v, crate::now()],
            )?,
            None => conn.execute("DELETE FROM settings WHERE key = ?1", params![key])?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_kept_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.setting("copies.params").unwrap(), None);
        store.set_setting("copies.params", Some("a")).unwrap();
        store.set_setting("copies.params", Some("b")).unwrap();
        assert_eq!(
            store.setting("copies.params").unwrap().as_deref(),
            Some("b")
        );
        drop(store);
        let store = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(
            store.setting("copies.params").unwrap().as_deref(),
            Some("b")
        );
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        store.set_setting("copies.params", None).unwrap();
        assert_eq!(store.setting("copies.params").unwrap(), None);
    }
}
