//! The web interface in a real browser: `tgscope serve` over a small archive, driven through
//! Debian's Chromium by chromedriver (W3C WebDriver over HTTP). A person opens the home page,
//! searches, opens a post, and sees what they should; follows a post to the cluster of its
//! copies; a post that carries a script shows it as text; sees the network drawn with as many
//! nodes as the API reports and clicks a channel in it; nothing is requested from outside the
//! machine. Screenshots of the pages are saved
//! under `target/browser-screenshots/` for anyone to look at.
//!
//! `.ci/run` installs `chromium` and `chromium-driver`; without them this test says so and
//! skips, unless `TGSCOPE_REQUIRE_BROWSER=1` (set by `.ci/run`) makes their absence a failure.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn tgscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tgscope"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Where screenshots go: `target/browser-screenshots/` of the workspace.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("browser-screenshots")
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
        if let Some(paths) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&paths) {
                let p = dir.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
        }
    }
    None
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// chromedriver and Chromium, or `None` when they are not installed (the test then skips,
/// unless `TGSCOPE_REQUIRE_BROWSER=1` makes their absence a failure).
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let (Some(chromedriver), Some(chromium)) = (
        find_program(&["chromedriver"]),
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        assert!(
            std::env::var_os("TGSCOPE_REQUIRE_BROWSER").is_none_or(|v| v != "1"),
            "TGSCOPE_REQUIRE_BROWSER=1 but chromium or chromedriver is not on PATH"
        );
        eprintln!("skipping: chromium and chromedriver are not installed (.ci/run installs them)");
        return None;
    };
    Some((chromedriver, chromium))
}

/// `tgscope serve` over `archive` on a free loopback port, and its address (the server prints
/// it on its first line).
fn serve(archive: &Path) -> (Running, String) {
    let mut server = tgscope()
        .args(["--archive"])
        .arg(archive)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = server.stdout.take().expect("stdout");
    let server = Running(server);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the address line");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "loopback: {base}");
    (server, base)
}

/// A minimal W3C WebDriver client.
struct Driver {
    base: String,
    session: String,
    agent: ureq::Agent,
}

fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
    let response = match body {
        Some(b) => agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(b.to_string()),
        None if method == "DELETE" => agent.delete(url).call(),
        None => agent.get(url).call(),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| panic!("{method} {url}: reading: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {url}: {e}: {text}"))
}

impl Driver {
    fn start(chromedriver: &Path, chromium: &Path) -> (Running, Driver) {
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let running = Running(child);
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut r) = agent.get(&format!("{base}/status")).call()
                && r.body_mut()
                    .read_to_string()
                    .is_ok_and(|t| t.contains("\"ready\":true"))
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--lang=ru",
                    // Any name other than the loopback server resolves to nothing: a request
                    // that tried to leave the machine would fail (and is also checked below).
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                ]
            }
        }}});
        let created = call(&agent, "POST", &format!("{base}/session"), Some(caps));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        (
            running,
            Driver {
                base,
                session,
                agent,
            },
        )
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn go(&self, url: &str) {
        call(
            &self.agent,
            "POST",
            &self.url("/url"),
            Some(json!({"url": url})),
        );
    }

    fn script(&self, script: &str) -> Value {
        call(
            &self.agent,
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )["value"]
            .clone()
    }

    /// The element matching a CSS selector, waiting for it up to 10 s.
    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = call(
                &self.agent,
                "POST",
                &self.url("/element"),
                Some(json!({"using": "css selector", "value": css})),
            );
            if let Some(id) = found["value"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
            {
                return id.to_string();
            }
            assert!(Instant::now() < deadline, "no element {css}: {found}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The first element matching `css` whose text is `text`, waiting for it up to 10 s.
    fn find_with_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = call(
                &self.agent,
                "POST",
                &self.url("/elements"),
                Some(json!({"using": "css selector", "value": css})),
            );
            let ids: Vec<String> = found["value"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_string))
                .collect();
            if let Some(id) = ids.into_iter().find(|id| self.text(id) == text) {
                return id;
            }
            assert!(Instant::now() < deadline, "no {css} reading {text:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The computed writing direction (`ltr` or `rtl`) of the first element matching `css`.
    fn direction(&self, css: &str) -> String {
        let element = self.find(css);
        call(
            &self.agent,
            "GET",
            &self.url(&format!("/element/{element}/css/direction")),
            None,
        )["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// How far the text `needle` (inside the first element matching `css`) sits from that
    /// element's left and right content edges, in CSS pixels.
    fn edges(&self, css: &str, needle: &str) -> Edges {
        let script = format!(
            "const el = document.querySelector({css});
             const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
             while (walker.nextNode()) {{
               const node = walker.currentNode;
               const at = node.data.indexOf({needle});
               if (at < 0) continue;
               const range = document.createRange();
               range.setStart(node, at);
               range.setEnd(node, at + {len});
               const r = range.getBoundingClientRect();
               const box = el.getBoundingClientRect();
               const style = getComputedStyle(el);
               const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
               const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
               return [r.left - left, right - r.right];
             }}
             return null;",
            css = json!(css),
            needle = json!(needle),
            len = needle.encode_utf16().count(),
        );
        let found = self.script(&script);
        let gap = |i: usize| {
            found[i]
                .as_f64()
                .unwrap_or_else(|| panic!("no {needle:?} in {css}: {found}"))
        };
        Edges {
            left_gap: gap(0),
            right_gap: gap(1),
        }
    }

    /// The boxes of the first element matching `css` (its border box) and of its text (the
    /// union of its lines), and of the element after it, in CSS pixels; and its text.
    fn cell_layout(&self, css: &str) -> CellLayout {
        let script = format!(
            "const el = document.querySelector({css});
             if (!el || !el.nextElementSibling) return null;
             const range = document.createRange();
             range.selectNodeContents(el);
             const text = range.getBoundingClientRect();
             const box = el.getBoundingClientRect();
             const next = el.nextElementSibling.getBoundingClientRect();
             return [text.left, text.right, box.left, box.right, next.left, el.textContent];",
            css = json!(css),
        );
        let found = self.script(&script);
        let at = |i: usize| {
            found[i]
                .as_f64()
                .unwrap_or_else(|| panic!("no {css} followed by a cell: {found}"))
        };
        CellLayout {
            text: (at(0), at(1)),
            cell: (at(2), at(3)),
            next_left: at(4),
            content: found[5].as_str().unwrap_or_default().to_string(),
        }
    }

    /// Where the chart inside `css` and its axis labels sit, in CSS pixels.
    fn chart_layout(&self, css: &str) -> ChartLayout {
        let script = format!(
            "const figure = document.querySelector({css});
             if (!figure) return null;
             const box = r => {{ const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }};
             const labels = sel => [...figure.querySelectorAll(sel)].map(e => [e.textContent].concat(box(e)));
             return {{
               figure: box(figure),
               plot: box(figure.querySelector('svg#chart')),
               y: labels('.y-axis span'),
               x: labels('svg.x-axis text'),
             }};",
            css = json!(css),
        );
        let found = self.script(&script);
        // Four numbers of `v` from `at`.
        let rect = |v: &Value, at: usize| -> [f64; 4] {
            let n = |i: usize| {
                v[at + i]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no box in {css}: {found}"))
            };
            [n(0), n(1), n(2), n(3)]
        };
        // Each label is its text and its box.
        let labels = |key: &str| -> Vec<(String, [f64; 4])> {
            found[key]
                .as_array()
                .unwrap_or_else(|| panic!("no chart in {css}: {found}"))
                .iter()
                .map(|l| (l[0].as_str().unwrap_or_default().to_string(), rect(l, 1)))
                .collect()
        };
        ChartLayout {
            figure: rect(&found["figure"], 0),
            plot: rect(&found["plot"], 0),
            y: labels("y"),
            x: labels("x"),
        }
    }

    /// How many elements match, waiting (up to 10 s) for there to be `expected`: after a form
    /// is submitted by a key, the new page may still be loading when an element of it is found
    /// (WebDriver waits for page loads after navigation commands only).
    fn count_when(&self, css: &str, expected: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let n = self.count(css);
            if n == expected || Instant::now() > deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, css: &str) -> usize {
        let found = call(
            &self.agent,
            "POST",
            &self.url("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        );
        found["value"].as_array().map_or(0, Vec::len)
    }

    fn text(&self, element: &str) -> String {
        call(
            &self.agent,
            "GET",
            &self.url(&format!("/element/{element}/text")),
            None,
        )["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn click(&self, element: &str) {
        call(
            &self.agent,
            "POST",
            &self.url(&format!("/element/{element}/click")),
            Some(json!({})),
        );
    }

    /// A mouse click at a point of the viewport (CSS pixels), as a person clicks a drawing.
    fn click_at(&self, x: f64, y: f64) {
        let pointer = json!({
            "type": "pointer",
            "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "duration": 0, "origin": "viewport",
                 "x": x.round() as i64, "y": y.round() as i64},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ]
        });
        call(
            &self.agent,
            "POST",
            &self.url("/actions"),
            Some(json!({"actions": [pointer]})),
        );
        call(&self.agent, "DELETE", &self.url("/actions"), None);
    }

    fn type_text(&self, element: &str, text: &str) {
        call(
            &self.agent,
            "POST",
            &self.url(&format!("/element/{element}/value")),
            Some(json!({"text": text})),
        );
    }

    fn resize(&self, width: u32, height: u32) {
        call(
            &self.agent,
            "POST",
            &self.url("/window/rect"),
            Some(json!({"width": width, "height": height})),
        );
    }

    fn screenshot(&self, name: &str) {
        use base64_png::decode;
        let shot = call(&self.agent, "GET", &self.url("/screenshot"), None);
        let data = shot["value"].as_str().expect("screenshot data");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(name), decode(data)).expect("screenshot written");
    }

    /// The text of an open alert, if a script managed to open one.
    fn alert(&self) -> Option<String> {
        let r = call(&self.agent, "GET", &self.url("/alert/text"), None);
        r["value"].as_str().map(str::to_string)
    }

    /// Every URL the page loaded (the document and its resources).
    fn requests(&self) -> Vec<String> {
        let v = self.script(
            "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn quit(&self) {
        call(
            &self.agent,
            "DELETE",
            &format!("{}/session/{}", self.base, self.session),
            None,
        );
    }
}

/// Where a stretch of text sits in its element.
#[derive(Debug)]
struct Edges {
    left_gap: f64,
    right_gap: f64,
}

/// A table cell as laid out: its text's and its own left and right edges, the left edge of the
/// cell after it, and its text.
#[derive(Debug)]
struct CellLayout {
    text: (f64, f64),
    cell: (f64, f64),
    next_left: f64,
    content: String,
}

impl CellLayout {
    /// The text stays inside its cell, and the cell ends where the next begins.
    fn assert_contained(&self, what: &str) {
        let (text_left, text_right) = self.text;
        let (cell_left, cell_right) = self.cell;
        assert!(
            text_left >= cell_left - 0.5 && text_right <= cell_right + 0.5,
            "{what}: the text runs out of its cell: {self:?}"
        );
        assert!(
            text_right <= self.next_left + 0.5 && cell_right <= self.next_left + 0.5,
            "{what}: the text runs into the next column: {self:?}"
        );
    }
}

/// A chart as laid out: boxes as `[left, top, right, bottom]`.
#[derive(Debug)]
struct ChartLayout {
    figure: [f64; 4],
    plot: [f64; 4],
    y: Vec<(String, [f64; 4])>,
    x: Vec<(String, [f64; 4])>,
}

impl ChartLayout {
    /// A y-axis of counts beside the bars, from the top of the drawing down to 0 on its
    /// baseline; dates under the bars that do not run into each other or out of the figure.
    fn assert_readable(&self, what: &str) {
        let [plot_left, plot_top, _, plot_bottom] = self.plot;
        let middle = |b: &[f64; 4]| (b[1] + b[3]) / 2.0;
        assert!(self.y.len() >= 2, "{what}: a y-axis: {self:?}");
        let (top_label, top) = &self.y[0];
        let (zero, bottom) = self.y.last().expect("a label");
        assert_eq!(zero, "0", "{what}: {self:?}");
        assert!(
            top_label.parse::<u64>().is_ok_and(|n| n > 0),
            "{what}: {self:?}"
        );
        assert!(
            (middle(top) - plot_top).abs() <= 3.0,
            "{what}: the top count sits at the top of the bars: {self:?}"
        );
        assert!(
            (middle(bottom) - plot_bottom).abs() <= 3.0,
            "{what}: 0 sits on the baseline: {self:?}"
        );
        for pair in self.y.windows(2) {
            assert!(
                pair[0].1[3] <= pair[1].1[1] + 0.5,
                "{what}: y labels overlap: {pair:?}"
            );
        }
        for (label, b) in &self.y {
            assert!(
                b[2] <= plot_left + 0.5,
                "{what}: {label} is beside the bars: {self:?}"
            );
        }
        assert!(!self.x.is_empty(), "{what}: dates under the bars: {self:?}");
        for pair in self.x.windows(2) {
            assert!(
                pair[0].1[2] <= pair[1].1[0] + 0.5,
                "{what}: x labels overlap: {pair:?}"
            );
        }
        for (label, b) in &self.x {
            assert!(
                b[1] >= plot_bottom - 0.5,
                "{what}: {label} is under the bars: {self:?}"
            );
            assert!(
                b[0] >= self.figure[0] - 0.5 && b[2] <= self.figure[2] + 0.5,
                "{what}: {label} stays inside the figure: {self:?}"
            );
        }
    }
}

/// Base64 of a screenshot to bytes (a tiny decoder: no crate for one use).
mod base64_png {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for v in text.bytes().filter_map(value) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }
}

/// A capture of an Arabic-language channel (copied from its web view).
const ARABIC: &str = "\
أعلنت وزارة الخارجية اليوم عن جولة جديدة من المحادثات في القاهرة.
يتحدث الوزير للصحفيين بعد الاجتماع #القاهرة
English summary: talks resume in Cairo.
";

/// A capture kept under a long path: its source, without a space, must wrap in its column.
const LIGHTHOUSE: &str = "\
Маяк на мысе снова светит каждую ночь после ремонта.
";

/// A capture whose post tries to run a script.
const HOSTILE: &str = "\
Новости дня <script>alert(1)</script> и \"><img src=x onerror=alert(2)>
Это проверка экранирования.
";

#[test]
fn a_person_searches_and_reads_a_post_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("archive");
    let hostile = tmp.path().join("hostile.txt");
    std::fs::write(&hostile, HOSTILE).expect("capture");
    let arabic = tmp.path().join("arabic.txt");
    std::fs::write(&arabic, ARABIC).expect("capture");
    // (Underscores, not hyphens: a browser may break a line after a hyphen, never at an
    // underscore.)
    let deep = tmp
        .path()
        .join("captures_of_coastal_channels_collected_during_the_spring_field_work")
        .join("saved_from_the_web_view_on_a_laptop_without_network_access");
    std::fs::create_dir_all(&deep).expect("folders");
    let long_source = deep.join("lighthouse_channel_web_view_copied_after_the_repair_notice.txt");
    std::fs::write(&long_source, LIGHTHOUSE).expect("capture");
    for (file, channel) in [
        (fixture("web-ru.txt"), "mid_ru"),
        (fixture("web-mfa.txt"), "mfa_en"),
        // The same page captured later: one post's text was edited.
        (fixture("web-mfa-edited.txt"), "mfa_en"),
        (hostile, "test_xss"),
        (arabic, "ar_news"),
        (long_source.clone(), "lighthouse"),
    ] {
        let out = tgscope()
            .args(["--archive"])
            .arg(&archive)
            .args(["ingest", "-q", "--channel", channel])
            .arg(&file)
            .output()
            .expect("ingest runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (server, base) = serve(&archive);

    let (_driver_process, browser) = Driver::start(&chromedriver, &chromium);
    // Every URL any page loaded (the document and its resources), checked at the end.
    let mut loaded: Vec<String> = Vec::new();

    // Home: the channels with their counts, and a search box.
    browser.go(&format!("{base}/"));
    let channels = browser.find("#channels");
    let listed = browser.text(&channels);
    assert!(
        listed.contains("mid_ru") && listed.contains("mfa_en"),
        "{listed}"
    );
    browser.screenshot("home.png");
    loaded.extend(browser.requests());

    // Search, as a person does: type into the box and submit.
    let q = browser.find("form#search input[name=q]");
    browser.type_text(&q, "министерство\u{E007}");
    browser.find("#results");
    assert_eq!(browser.count_when("#results li.hit", 1), 1);
    let total = browser.text(&browser.find("#total"));
    assert!(total.contains('1'), "{total}");
    let snippet = browser.text(&browser.find("#results li.hit .snippet"));
    assert!(snippet.contains("министерства"), "{snippet}");
    assert!(
        browser.count("#results li.hit .snippet mark") >= 1,
        "the match is highlighted"
    );
    assert!(
        browser.count("svg#chart") == 1,
        "a chart of matches over time"
    );
    browser.screenshot("search.png");
    loaded.extend(browser.requests());

    // Open the post: its text, its sightings with capture hashes.
    let link = browser.find("#results li.hit a.post-link");
    browser.click(&link);
    let text = browser.text(&browser.find("#post-text"));
    assert!(
        text.contains("Текст заявления опубликован на сайте министерства"),
        "{text}"
    );
    let sightings = browser.text(&browser.find("#sightings"));
    assert!(
        sightings
            .split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() == 64),
        "a capture's sha256 is shown: {sightings}"
    );
    browser.screenshot("post.png");
    loaded.extend(browser.requests());

    // The hostile post: its markup is shown as text, and nothing ran.
    browser.go(&format!("{base}/search?q=%D1%8D%D0%BA%D1%80%D0%B0%D0%BD%D0%B8%D1%80%D0%BE%D0%B2%D0%B0%D0%BD%D0%B8%D1%8F"));
    let link = browser.find("#results li.hit a.post-link");
    browser.click(&link);
    let text = browser.text(&browser.find("#post-text"));
    assert!(
        text.contains("<script>alert(1)</script>"),
        "shown as text: {text}"
    );
    assert!(text.contains("onerror=alert(2)>"), "shown as text: {text}");
    assert_eq!(browser.alert(), None, "no script ran");
    assert_eq!(
        browser.count("#post-text img"),
        0,
        "no element was injected"
    );

    loaded.extend(browser.requests());

    // A channel: its activity chart, its top hashtags and its posts.
    browser.go(&format!("{base}/"));
    let channel_link = browser.find_with_text("#channels a", "mfa_en");
    browser.click(&channel_link);
    assert_eq!(browser.text(&browser.find("h1")), "mfa_en");
    assert_eq!(browser.count("#activity svg#chart"), 1, "an activity chart");
    let tags = browser.text(&browser.find("#top-hashtags"));
    assert!(tags.contains("#BRICS"), "{tags}");
    assert_eq!(browser.count("#recent li.hit"), 6, "the channel's posts");
    browser.screenshot("channel.png");
    loaded.extend(browser.requests());

    // A country the channel names: its entity page, with its chart over time.
    let entity = browser.find("#channel-entities #entities-countries a");
    browser.click(&entity);
    assert_eq!(browser.count("#activity svg#chart"), 1, "an entity's chart");
    browser
        .chart_layout("#activity figure.chart")
        .assert_readable("an entity's chart");
    browser.screenshot("entity.png");
    loaded.extend(browser.requests());

    // The edited post: both versions, the changed words marked.
    browser.go(&format!("{base}/search?q=trade"));
    let link = browser.find("#results li.hit a.post-link");
    browser.click(&link);
    let versions = browser.text(&browser.find("#versions h2"));
    assert_eq!(versions, "Versions (2)");
    let inserted = browser.text(&browser.find("#versions ins"));
    let deleted = browser.text(&browser.find("#versions del"));
    assert!(inserted.contains("half"), "inserted: {inserted}");
    assert!(deleted.contains("third"), "deleted: {deleted}");
    let current = browser.text(&browser.find("#post-text"));
    assert!(current.contains("rose by a half"), "{current}");
    browser.screenshot("post-versions.png");
    loaded.extend(browser.requests());

    // Arabic reads right to left, inside the English page.
    browser.go(&format!("{base}/channels/ar_news"));
    let link = browser.find("#recent li.hit a.post-link");
    browser.click(&link);
    let text = browser.text(&browser.find("#post-text"));
    assert!(text.contains("وزارة الخارجية"), "{text}");
    assert_eq!(browser.direction("#post-text"), "rtl");
    assert_eq!(
        browser.direction("h1"),
        "ltr",
        "the page's own text stays left to right"
    );
    // Each paragraph takes its own direction: the Arabic ones end at the right edge, the
    // English one starts at the left edge.
    let arabic_line = browser.edges("#post-text", "أعلنت");
    let english_line = browser.edges("#post-text", "English summary");
    assert!(
        arabic_line.right_gap < 20.0,
        "Arabic at the right: {arabic_line:?}"
    );
    assert!(
        arabic_line.left_gap > 100.0,
        "Arabic at the right: {arabic_line:?}"
    );
    assert!(
        english_line.left_gap < 20.0,
        "English at the left: {english_line:?}"
    );
    assert!(
        english_line.right_gap > 100.0,
        "English at the left: {english_line:?}"
    );
    browser.screenshot("post-arabic.png");
    loaded.extend(browser.requests());

    // A capture kept under a long path: its source wraps inside its column, whole.
    browser.go(&format!("{base}/channels/lighthouse"));
    let link = browser.find("#recent li.hit a.post-link");
    browser.click(&link);
    browser.find("#sightings td.source");
    let source = browser.cell_layout("#sightings td.source");
    assert_eq!(source.content, long_source.display().to_string());
    source.assert_contained("the sightings' source on a wide screen");
    // The post has one version: its text is shown once.
    assert_eq!(browser.count("#versions article.version"), 0);
    assert_eq!(browser.count("#versions .one-version"), 1);
    browser.screenshot("post-long-source.png");
    loaded.extend(browser.requests());

    // Charts: counts beside the bars, dates under them.
    browser.go(&format!("{base}/channels/mfa_en"));
    browser
        .chart_layout("#activity figure.chart")
        .assert_readable("the channel's chart on a wide screen");

    // A phone-sized window.
    browser.resize(390, 844);
    browser.go(&format!("{base}/channels/mfa_en"));
    browser
        .chart_layout("#activity figure.chart")
        .assert_readable("the channel's chart on a phone");
    browser.go(&format!("{base}/channels/lighthouse"));
    let link = browser.find("#recent li.hit a.post-link");
    browser.click(&link);
    browser.find("#sightings td.source");
    browser
        .cell_layout("#sightings td.source")
        .assert_contained("the sightings' source on a phone");
    browser.screenshot("post-long-source-phone.png");
    browser.go(&format!("{base}/search?q=%D0%9C%D0%98%D0%94"));
    browser.find("#results");
    let width = browser.script("return document.documentElement.scrollWidth;");
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "the page fits the phone's width: {width}"
    );
    browser.screenshot("search-phone.png");
    loaded.extend(browser.requests());

    // Nothing any page loaded came from outside the server.
    assert!(loaded.len() >= 8, "{loaded:?}");
    assert!(
        loaded.iter().any(|u| u.ends_with("/static/style.css")),
        "the style sheet came from the server: {loaded:?}"
    );
    for url in &loaded {
        assert!(url.starts_with(&base), "a request left the machine: {url}");
    }
    browser.quit();
    drop(server);
    for name in [
        "home.png",
        "search.png",
        "post.png",
        "channel.png",
        "post-versions.png",
        "post-arabic.png",
        "search-phone.png",
        "post-long-source.png",
        "post-long-source-phone.png",
    ] {
        let shot = screenshot_dir().join(name);
        let bytes = std::fs::read(&shot).expect("screenshot saved");
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
    }
}

/// A message dump of three channels with one storm warning: `coast_watch` first, `bay_relay`
/// copying it an hour and a half later, `tide_echo` forwarding it the next day; and a post of
/// `coast_watch` nobody copied.
const COPIES: &str = r#"{"id": 501, "date": "2024-05-01T08:00:00Z", "channel": "coast_watch", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines."}
{"id": 502, "date": "2024-05-01T10:00:00Z", "channel": "coast_watch", "text": "The harbour office is closed on Monday for the national holiday and opens again on Tuesday."}
{"id": 77, "date": "2024-05-01T09:30:00Z", "channel": "bay_relay", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines.\nSource: @coast_watch"}
{"id": 12, "date": "2024-05-02T07:15:00Z", "channel": "tide_echo", "forwarded_from": {"username": "coast_watch", "title": "Coast Watch", "channel_post": 501}, "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines."}
"#;

#[test]
fn a_person_follows_a_post_to_its_copies_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("archive");
    let dump = tmp.path().join("storm.jsonl");
    std::fs::write(&dump, COPIES).expect("capture");
    let out = tgscope()
        .args(["--archive"])
        .arg(&archive)
        .args(["ingest", "-q"])
        .arg(&dump)
        .output()
        .expect("ingest runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (server, base) = serve(&archive);
    let (_driver_process, browser) = Driver::start(&chromedriver, &chromium);
    let mut loaded: Vec<String> = Vec::new();

    // Search for the warning and open one of its posts.
    browser.go(&format!("{base}/"));
    let q = browser.find("form#search input[name=q]");
    browser.type_text(&q, "ferries\u{E007}");
    browser.find("#results");
    assert_eq!(browser.count_when("#results li.hit", 3), 3);
    let link = browser.find("#results li.hit a.post-link");
    browser.click(&link);
    // The post page, loaded to its end (a click is no navigation command: WebDriver does not
    // wait for the page).
    browser.find("section#copies");
    browser.find("footer");
    // Its copies: who posted the text when, the first seen in this archive first.
    let copies = browser.text(&browser.find("section#copies"));
    assert!(copies.contains("posted 3 times in 3 channels"), "{copies}");
    assert!(copies.contains("First seen in this archive"), "{copies}");
    assert_eq!(browser.count("section#copies table.copies tbody tr"), 3);
    assert_eq!(
        browser.count("section#copies tr.this"),
        1,
        "this post marked"
    );
    let rows = browser.text(&browser.find("section#copies table.copies tbody"));
    assert!(rows.contains("+1 h 30 min"), "{rows}");
    assert!(rows.contains("forward"), "{rows}");
    browser.screenshot("post-copies.png");
    loaded.extend(browser.requests());

    // Follow the link to the cluster: both channels that posted the text, and the one that
    // forwarded it, in the timeline and the tables.
    let cluster = browser.find("a#cluster-link");
    browser.click(&cluster);
    browser.find("#cluster-channels");
    browser.find("footer");
    let title = browser.text(&browser.find("h1"));
    assert!(title.starts_with("Cluster #"), "{title}");
    let channels = browser.text(&browser.find("#cluster-channels"));
    for name in ["coast_watch", "bay_relay", "tide_echo"] {
        assert!(channels.contains(name), "{name} in {channels}");
    }
    assert_eq!(browser.count("svg#timeline line.mark"), 3);
    // Each lane's name sits beside its lane.
    let lanes = browser.script(
        "const names = [...document.querySelectorAll('figure.timeline .lanes span')];
         const lines = [...document.querySelectorAll('svg#timeline line.lane')];
         return names.map((n, i) => {
           const a = n.getBoundingClientRect(), b = lines[i].getBoundingClientRect();
           return [n.textContent, (a.top + a.bottom) / 2 - (b.top + b.bottom) / 2];
         });",
    );
    let lanes = lanes.as_array().expect("lanes").clone();
    assert_eq!(lanes.len(), 3, "{lanes:?}");
    assert_eq!(lanes[0][0], "coast_watch", "the first seen on top");
    for lane in &lanes {
        let off = lane[1].as_f64().expect("offset");
        assert!(off.abs() <= 3.0, "a lane's name beside its lane: {lanes:?}");
    }
    browser.screenshot("cluster.png");
    loaded.extend(browser.requests());

    // A phone-sized window: the page keeps to its width (tables scroll in their own box).
    browser.resize(390, 844);
    let here = browser.script("return location.href;");
    browser.go(here.as_str().unwrap_or_default());
    browser.find("svg#timeline");
    let width = browser.script("return document.documentElement.scrollWidth;");
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "the cluster page fits the phone's width: {width}"
    );
    browser.screenshot("cluster-phone.png");
    loaded.extend(browser.requests());

    for url in &loaded {
        assert!(url.starts_with(&base), "a request left the machine: {url}");
    }
    browser.quit();
    drop(server);
    for name in ["post-copies.png", "cluster.png", "cluster-phone.png"] {
        let bytes = std::fs::read(screenshot_dir().join(name)).expect("screenshot saved");
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is a PNG");
    }
}

/// A message dump of a small network: `beta` forwards three posts of `alpha`, `delta` forwards
/// one of beta's, `gamma` mentions @alpha twice and @ghost_news (a channel the archive does not
/// know) once, and a channel whose name is markup forwards alpha once.
const NETWORK: &str = r#"{"id": 10, "date": "2024-03-01T08:00:00Z", "channel": "alpha", "text": "Statement 0 on the summit #summit"}
{"id": 11, "date": "2024-03-01T08:10:00Z", "channel": "alpha", "text": "Statement 1 on the summit #summit"}
{"id": 12, "date": "2024-03-01T08:20:00Z", "channel": "alpha", "text": "Statement 2 on the summit #summit"}
{"id": 20, "date": "2024-03-01T08:05:00Z", "channel": "beta", "forwarded_from": "@alpha", "text": "Statement 0 on the summit #summit"}
{"id": 21, "date": "2024-03-01T08:15:00Z", "channel": "beta", "forwarded_from": "@alpha", "text": "Statement 1 on the summit #summit"}
{"id": 22, "date": "2024-03-01T08:25:00Z", "channel": "beta", "forwarded_from": "@alpha", "text": "Statement 2 on the summit #summit"}
{"id": 30, "date": "2024-03-01T09:00:00Z", "channel": "gamma", "text": "As @alpha said this morning: talks go on"}
{"id": 31, "date": "2024-03-01T09:05:00Z", "channel": "gamma", "text": "Read @alpha and @ghost_news too"}
{"id": 40, "date": "2024-03-01T10:00:00Z", "channel": "delta", "forwarded_from": "@beta", "text": "Statement 2 on the summit, passed on"}
{"id": 50, "date": "2024-03-01T11:00:00Z", "channel": "\"><img src=x onerror=alert(1)>", "forwarded_from": "@alpha", "text": "<script>alert(1)</script> Statement 0"}
"#;

#[test]
fn a_person_explores_the_network_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("archive");
    let dump = tmp.path().join("network.jsonl");
    std::fs::write(&dump, NETWORK).expect("capture");
    let out = tgscope()
        .args(["--archive"])
        .arg(&archive)
        .args(["ingest", "-q"])
        .arg(&dump)
        .output()
        .expect("ingest runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (server, base) = serve(&archive);
    let (_driver_process, browser) = Driver::start(&chromedriver, &chromium);
    let mut loaded: Vec<String> = Vec::new();

    // From the home page to the network, as a person goes.
    browser.go(&format!("{base}/"));
    let link = browser.find_with_text("header.site nav a", "Network");
    browser.click(&link);
    browser.find("#network-counts");
    // The graph is drawn once the script has read the API and the library has laid it out.
    browser.find("#network-graph[data-nodes-drawn]");
    let drawn = browser.script(
        "const g = document.getElementById('network-graph');
         return [g.dataset.graphUrl, g.dataset.nodesDrawn, g.dataset.edgesDrawn,
                 g.dataset.cspViolations, g.querySelectorAll('canvas').length,
                 document.getElementById('network-figure').hidden,
                 document.getElementById('network-status').textContent];",
    );
    let url = drawn[0].as_str().expect("the graph's URL");
    assert!(url.starts_with("/api/v1/network?kind="), "{url}");
    // The API's answer for the same URL, read by the test itself.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let api: Value = serde_json::from_str(
        &agent
            .get(&format!("{base}{url}"))
            .call()
            .expect("the API answers")
            .body_mut()
            .read_to_string()
            .expect("JSON"),
    )
    .expect("JSON");
    let nodes = api["nodes"].as_array().expect("nodes");
    let edges = api["edges"].as_array().expect("edges");
    assert!(nodes.len() >= 6 && edges.len() >= 5, "{api}");
    assert_eq!(
        drawn[1].as_str(),
        Some(nodes.len().to_string().as_str()),
        "the library holds every node the API reports: {drawn}"
    );
    assert_eq!(
        drawn[2].as_str(),
        Some(edges.len().to_string().as_str()),
        "and every edge: {drawn}"
    );
    assert_eq!(drawn[3], "0", "no Content-Security-Policy refusal: {drawn}");
    assert!(
        drawn[4].as_u64().is_some_and(|n| n >= 1),
        "drawn on a canvas: {drawn}"
    );
    assert_eq!(drawn[5], false, "the figure is shown: {drawn}");
    assert_eq!(
        drawn[6],
        format!("Drawn: {} nodes, {} edges.", nodes.len(), edges.len())
    );
    // The table of the heaviest edges is there too, the markup shown as text.
    assert_eq!(browser.count("table#edges tbody tr"), edges.len());
    assert_eq!(browser.alert(), None, "no script of a channel's name ran");
    assert_eq!(browser.count("main img"), 0, "no element was injected");
    browser.script("document.getElementById('network-counts').scrollIntoView();");
    browser.screenshot("network.png");
    loaded.extend(browser.requests());

    // Node size by another measure, without reloading.
    let sized = browser.script(
        "const s = document.getElementById('network-size');
         s.value = 'posts';
         s.dispatchEvent(new Event('change'));
         const cy = document.getElementById('network-graph')._cyreg.cy;
         return [document.getElementById('network-graph').dataset.size,
                 cy.nodes().map(n => n.data('size'))];",
    );
    assert_eq!(sized[0], "posts", "{sized}");
    let sizes: Vec<f64> = sized[1]
        .as_array()
        .expect("sizes")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        sizes.iter().any(|s| *s >= 59.0) && sizes.iter().any(|s| *s <= 13.0),
        "the channel with the most posts largest, those without small: {sizes:?}"
    );

    // Where a node is drawn, in the viewport's CSS pixels.
    // (The page keeps no global: Cytoscape keeps its instance on its container, `_cyreg`.)
    let node_at = |id: &str| -> (f64, f64) {
        let at = browser.script(&format!(
            "const g = document.getElementById('network-graph');
             g.scrollIntoView({{block: 'center'}});
             const p = g._cyreg.cy.getElementById({id}).renderedPosition();
             const box = g.getBoundingClientRect();
             return [box.left + g.clientLeft + p.x, box.top + g.clientTop + p.y];",
            id = json!(id),
        ));
        (
            at[0]
                .as_f64()
                .unwrap_or_else(|| panic!("no node {id}: {at}")),
            at[1]
                .as_f64()
                .unwrap_or_else(|| panic!("no node {id}: {at}")),
        )
    };
    // A channel known only by a mention has no page: clicking it names it.
    let (x, y) = node_at("@ghost_news");
    browser.click_at(x, y);
    let selected = browser.text(&browser.find("#network-selected"));
    assert!(
        selected.contains("@ghost_news is known only by name"),
        "{selected}"
    );
    // Clicking a channel opens its page.
    let alpha = nodes
        .iter()
        .find(|n| n["username"] == "alpha")
        .and_then(|n| n["id"].as_str())
        .expect("alpha's node");
    let (x, y) = node_at(alpha);
    browser.click_at(x, y);
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.script("return location.pathname;") != "/channels/alpha" {
        assert!(
            Instant::now() < deadline,
            "the click did not open alpha's page"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    browser.find("footer");
    assert_eq!(browser.text(&browser.find("h1")), "alpha");
    // Its page says who amplifies it.
    let amplified = browser.text(&browser.find("table#amplified-by"));
    assert!(
        amplified.contains("beta") && amplified.contains("gamma"),
        "{amplified}"
    );
    browser.script("document.getElementById('amplification').scrollIntoView();");
    browser.screenshot("channel-amplification.png");
    loaded.extend(browser.requests());

    // A phone-sized window: the page keeps to its width.
    browser.resize(390, 844);
    browser.go(&format!("{base}/network"));
    browser.find("#network-graph[data-nodes-drawn]");
    let width = browser.script("return document.documentElement.scrollWidth;");
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "the network page fits the phone's width: {width}"
    );
    browser.screenshot("network-phone.png");
    loaded.extend(browser.requests());

    assert!(
        loaded
            .iter()
            .any(|u| u.ends_with("/static/vendor/cytoscape.min.js")),
        "the graph library came from the server: {loaded:?}"
    );
    for url in &loaded {
        assert!(url.starts_with(&base), "a request left the machine: {url}");
    }
    browser.quit();
    drop(server);
    for name in [
        "network.png",
        "channel-amplification.png",
        "network-phone.png",
    ] {
        let bytes = std::fs::read(screenshot_dir().join(name)).expect("screenshot saved");
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is a PNG");
    }
}
