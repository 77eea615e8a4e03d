//! The connection loop behind [`crate::serve`]: accepting connections on a listener with the
//! limits that keep the server answering whatever its clients do, and stopping on Ctrl-C.
//!
//! - A request's head must arrive within [`ConnectionLimits::header_timeout`], counted from
//!   when the connection opens or its last response was sent (so a silent or half-sent
//!   connection, and an idle keep-alive one, is closed).
//! - A request body must keep coming: a pause longer than [`ConnectionLimits::body_timeout`]
//!   between its parts ends the request (an upload at any steady speed is never cut).
//! - At most [`ConnectionLimits::max_connections`] connections are served at once; one more is
//!   answered `503 Service Unavailable` with `Retry-After` and closed, without reading from it.
//! - On Ctrl-C the server stops accepting, closes idle connections at once, lets requests under
//!   way finish for up to [`ConnectionLimits::shutdown_grace`], then ends.
//!
//! What it does not do: routing and handlers (the [`axum::Router`] it is given), HTTP/2, TLS
//! (a reverse proxy's work; see `docs/team.md`).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The limits of the connection loop (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long a request's head may take to arrive, and a connection may wait idle.
    pub header_timeout: Duration,
    /// The longest pause between the parts of a request body.
    pub body_timeout: Duration,
    /// How long requests under way may run on after Ctrl-C.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// 512 connections (half the usual limit of 1,024 open files, the rest for the archive's
    /// files and the index), 10 s for a request's head, 30 s of silence in a body, 10 s to
    /// finish at shutdown.
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// How long a connection without a request under way may take to close at shutdown.
const HALF_SENT_AT_SHUTDOWN: Duration = Duration::from_millis(500);

/// The answer to a connection beyond the limit: written without reading the request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/problem+json\r\n\
retry-after: 5\r\n\
connection: close\r\n\
content-length: 147\r\n\
\r\n\
{\"type\":\"about:blank\",\"title\":\"Too many connections\",\"status\":503,\
\"detail\":\"the server holds as many connections as it serves at once; try again\"}";

/// Serves `router` on `listener` within `limits` until `shutdown` completes.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or another passing failure): wait for
                    // connections to end rather than spin on the error.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            // Reap finished connections as they end, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        // Each request carries the peer's address, and a body that must keep coming; the
        // connection counts its requests under way until their answers are sent.
        let body_timeout = limits.body_timeout;
        let busy = Arc::new(AtomicUsize::new(0));
        let counting = Arc::clone(&busy);
        let service = TowerToHyperService::new(
            router
                .clone()
                .map_request(move |request: hyper::Request<Incoming>| {
                    let (mut parts, body) = request.into_parts();
                    parts.extensions.insert(ConnectInfo(peer));
                    hyper::Request::from_parts(parts, PausingBody::new(body, body_timeout))
                })
                .map_future(move |answer| {
                    let guard = UnderWay::new(&counting);
                    async move {
                        let response: Response = answer.await?;
                        Ok::<_, Infallible>(response.map(|body| {
                            Body::new(Guarded {
                                inner: body,
                                _guard: guard,
                            })
                        }))
                    }
                }),
        );
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    // Idle or half-sent: closed at once (hyper closes an idle connection
                    // itself; one whose request has not arrived whole is not waited for).
                    // A request under way gets the grace period.
                    connection.as_mut().graceful_shutdown();
                    let wait = if busy.load(Ordering::SeqCst) > 0 {
                        limits.shutdown_grace
                    } else {
                        HALF_SENT_AT_SHUTDOWN
                    };
                    let _ = tokio::time::timeout(wait, connection).await;
                }
            }
        });
    }
    // Stop: idle connections close now, requests under way get the grace period.
    drop(listener);
    let _ = stop.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            "{} connections still busy after {:?}: closed",
            connections.len(),
            limits.shutdown_grace
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Answers a connection beyond the limit and closes it (within a second: a client that does
/// not read its answer is not waited for).
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// A request body that fails when its next part is longer in coming than its timeout.
struct PausingBody {
    inner: Incoming,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl PausingBody {
    fn new(inner: Incoming, timeout: Duration) -> PausingBody {
        PausingBody {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

/// A body whose client went silent.
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped coming for {0:?}")]
struct BodyStalled(Duration);

impl HttpBody for PausingBody {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = tokio::time::Instant::now() + this.timeout;
                this.deadline.as_mut().reset(next);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled(this.timeout).into()))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One request under way on a connection, from its call until its answer's body is sent.
struct UnderWay(Arc<AtomicUsize>);

impl UnderWay {
    fn new(count: &Arc<AtomicUsize>) -> UnderWay {
        count.fetch_add(1, Ordering::SeqCst);
        UnderWay(Arc::clone(count))
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body that holds its request's [`UnderWay`] until it is sent (or dropped).
struct Guarded {
    inner: Body,
    _guard: UnderWay,
}

impl HttpBody for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
