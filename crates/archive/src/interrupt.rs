//! A handle that cuts off the query an open archive is running, from another thread (the
//! server's deadline), whatever the backend.

use std::sync::Arc;

/// Cuts off the query an open archive is running (from another thread); a query started
/// after the running ones ended is not affected. Each backend supplies what interrupting means
/// for it ([`Interrupter::new`]).
#[derive(Clone)]
pub struct Interrupter(Arc<dyn Fn() + Send + Sync>);

impl Interrupter {
    /// An interrupter that runs `interrupt` (the backend's own cancel).
    pub fn new(interrupt: impl Fn() + Send + Sync + 'static) -> Interrupter {
        Interrupter(Arc::new(interrupt))
    }

    /// Stops the statements running now; they fail with an "interrupted" error.
    pub fn interrupt(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupter")
    }
}
