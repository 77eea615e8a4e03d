//! Work on every core, in order (one home for the analyses' parallel loops), on the process's
//! one pool of threads (rayon's).

use rayon::prelude::*;

/// `f` of every item, on every core, in the items' order (the items `f` gives `None` for are
/// left out). A panic in a worker is raised again here, never turned into missing items.
pub(crate) fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Option<R> + Sync + Send,
) -> Vec<R> {
    items.par_iter().filter_map(f).collect()
}

/// [`parallel_map`] of items taken by value (each worker owns what it is given).
pub(crate) fn parallel_map_owned<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Option<R> + Sync + Send,
) -> Vec<R> {
    items.into_par_iter().filter_map(f).collect()
}
