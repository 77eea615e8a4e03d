//! A real HTTP/1.1 server on loopback that serves recorded answers, for collector tests (the one
//! remote service the tests cannot reach is Telegram), and synthetic channel pages in the
//! markup t.me/s serves.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

/// One recorded answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn page(body: String) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: format!("status {status}").into_bytes(),
        }
    }

    pub fn redirect(location: &str) -> Answer {
        Answer {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct State {
    /// Per path and query: answers given in turn; the last one repeats.
    routes: HashMap<String, Vec<Answer>>,
    /// Every request: its path and query, and when it came.
    log: Vec<(String, Instant)>,
}

/// The server; it runs until the test process ends.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        Server { base, state }
    }

    /// Sets the answers for a path (with its query), replacing earlier ones.
    pub fn route(&self, path: &str, answers: Vec<Answer>) {
        let mut state = self.state.lock().expect("state");
        state.routes.insert(path.to_string(), answers);
    }

    /// The requests so far (path and query), in order.
    pub fn requests(&self) -> Vec<String> {
        let state = self.state.lock().expect("state");
        state.log.iter().map(|(p, _)| p.clone()).collect()
    }

    /// The times of the requests so far.
    pub fn request_times(&self) -> Vec<Instant> {
        let state = self.state.lock().expect("state");
        state.log.iter().map(|(_, t)| *t).collect()
    }

    pub fn clear_log(&self) {
        self.state.lock().expect("state").log.clear();
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let answer = {
        let mut state = state.lock().expect("state");
        state.log.push((path.clone(), Instant::now()));
        match state.routes.get_mut(&path) {
            Some(answers) if answers.len() > 1 => answers.remove(0),
            Some(answers) if answers.len() == 1 => answers[0].clone(),
            _ => Answer::status(404),
        }
    };
    let mut out = stream;
    let reason = match answer.status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&answer.body);
    let _ = out.flush();
}

/// A post of a synthetic channel page.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: i64,
    pub text: String,
    pub views: &'static str,
    pub edited: bool,
    pub date: String,
}

impl Post {
    pub fn new(id: i64, text: &str) -> Post {
        Post {
            id,
            text: text.to_string(),
            views: "1.2K",
            edited: false,
            date: format!("2024-03-{:02}T10:{:02}:00+00:00", 1 + id / 60 % 28, id % 60),
        }
    }
}

/// A page of a channel's web preview in the markup t.me/s serves: the channel header, a
/// "more" link to older posts (when `more` is given), and the posts oldest first.
pub fn channel_page(channel: &str, title: &str, posts: &[Post], more: Option<i64>) -> String {
    let mut html = format!(
        r#"<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta property="og:title" content="{title}">
    <meta property="og:url" content="https://t.me/s/{channel}">
    <link rel="canonical" href="/s/{channel}">
  </head>
  <body class="widget_frame_base tgme_webpage">
    <header class="tgme_header search_collapsed">
      <div class="tgme_header_right_column">
        <section class="tgme_right_column">
          <div class="tgme_channel_info">
            <div class="tgme_channel_info_header">
              <div class="tgme_channel_info_header_title_wrap">
                <div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>
              </div>
              <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
            </div>
            <div class="tgme_channel_info_description">Synthetic channel for collector tests.</div>
            <div class="tgme_channel_info_counters">
              <div class="tgme_channel_info_counter"><span class="counter_value">12.3K</span> <span class="counter_type">subscribers</span></div>
            </div>
          </div>
        </section>
      </div>
    </header>
    <main class="tgme_main">
      <div class="tgme_container">
        <section class="tgme_channel_history js-message_history">
"#
    );
    if let Some(before) = more {
        html.push_str(&format!(
            r#"          <div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{channel}?before={before}" class="tme_messages_more js-messages_more" data-before="{before}"></a></div>
"#
        ));
    }
    for p in posts {
        let edited = if p.edited { "edited " } else { "" };
        html.push_str(&format!(
            r#"          <div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel}/{id}">
  <div class="tgme_widget_message_bubble">
    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{channel}"><span dir="auto">{title}</span></a></div>
    <div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
    <div class="tgme_widget_message_footer compact js-message_footer">
      <div class="tgme_widget_message_info short js-message_info">
        <span class="tgme_widget_message_views">{views}</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date" href="https://t.me/{channel}/{id}"><time datetime="{date}" class="time">10:00</time></a></span>
      </div>
    </div>
  </div>
</div></div>
"#,
            id = p.id,
            text = p.text,
            views = p.views,
            date = p.date,
        ));
    }
    html.push_str(
        r#"        </section>
      </div>
    </main>
  </body>
</html>
"#,
    );
    html
}
