//! The progress bar of `ingest`, drawn on stderr (only when stderr is a terminal).

use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tgscope_engine::Progress;

/// Inputs smaller than this finish too fast for a bar to help.
const MIN_BYTES_FOR_BAR: u64 = 4 * 1024 * 1024;

/// A bar per input: first the hashing pass, then the reading pass.
pub struct Bar {
    quiet: bool,
    bar: Option<ProgressBar>,
    size: u64,
}

impl Bar {
    /// A bar that draws unless `quiet`.
    pub fn new(quiet: bool) -> Bar {
        Bar {
            quiet,
            bar: None,
            size: 0,
        }
    }

    /// Clears the last bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn input(&mut self, path: &Path, bytes: u64) {
        self.finish();
        self.size = bytes;
        if self.quiet || bytes < MIN_BYTES_FOR_BAR {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(bytes * 2), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        // A file name comes from strangers: its control characters are shown escaped.
        bar.set_message(
            path.file_name()
                .map(|n| crate::terminal::visible(&n.to_string_lossy()).into_owned())
                .unwrap_or_default(),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn advance(&mut self, _phase: &'static str, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn input_done(&mut self) {
        self.finish();
    }
}

/// The progress line of `collect`: pages and posts of the channel being collected.
pub struct CollectBar {
    bar: Option<ProgressBar>,
}

impl CollectBar {
    /// A spinner for `channel` unless `quiet` (or stderr is not a terminal).
    pub fn new(quiet: bool, channel: &str) -> CollectBar {
        if quiet {
            return CollectBar { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(crate::terminal::visible(channel).into_owned());
        bar.set_message("fetching the newest page");
        bar.enable_steady_tick(Duration::from_millis(200));
        CollectBar { bar: Some(bar) }
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl tgscope_collect::CollectProgress for CollectBar {
    fn page(&mut self, _url: &str, _posts_on_page: usize, pages: u64, posts: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{pages} pages, {posts} posts"));
        }
    }

    fn waiting(&mut self, wait: Duration, why: &str) {
        tracing::warn!("{why}; waiting {} s", wait.as_secs());
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{why}; waiting {} s", wait.as_secs()));
        }
    }
}
