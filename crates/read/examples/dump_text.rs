//! Prints what the plain-text reader makes of a capture (for eyeballing a new capture).

use std::io::BufReader;

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_text FILE");
    let file = std::fs::File::open(&path).expect("open");
    let reader = tgscope_read::text::TextReader::new(BufReader::new(file), Default::default());
    for (i, post) in reader.enumerate() {
        match post {
            Ok(p) => {
                let first = p.text.lines().next().unwrap_or("");
                println!(
                    "#{i} lines {}-{} fwd={:?} media={:?} unviewable={} date={:?} tags={:?} links={:?}\n   {}  [{} lines]",
                    p.location.line_start,
                    p.location.line_end,
                    p.forward.as_ref().and_then(|f| f.title.clone()),
                    p.media.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
                    p.unviewable,
                    p.date_inferred
                        .as_ref()
                        .map(|d| (&d.date, d.basis.as_str(), &d.evidence)),
                    p.hashtags
                        .iter()
                        .map(|t| t.value.as_str())
                        .collect::<Vec<_>>(),
                    p.links.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(),
                    first.chars().take(90).collect::<String>(),
                    p.text.lines().count(),
                );
            }
            Err(e) => println!("error: {e}"),
        }
    }
}
