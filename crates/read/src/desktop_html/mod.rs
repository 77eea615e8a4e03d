//! Telegram Desktop HTML exports (`messages.html`, `messages2.html`, ...).
