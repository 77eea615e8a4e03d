//! Telegram Desktop JSON exports (`result.json`), read as a stream.
