//! A bound on the size of a vendor's answer, kept while the answer is read.
//!
//! The generated clients read a whole body into memory before decoding it. Their `exec` hook
//! passes every response through [`limit_response_body`] first: an answer whose Content-Length
//! is above the limit fails before a byte of its body is read, and one sent without a length
//! (chunked) fails as soon as the bytes received pass the limit. Memory is bounded by the limit
//! (plus one network chunk), never by what the vendor sends; the rest of the body is not read.
//! The failure reaches the client as a body error that [`response_too_large`] recognises.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use reqwest::ResponseBuilderExt;

/// The default bound on one answer: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An answer larger than the configured bound; it was not read to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}; raise max_response_bytes in this source's [[sources]] table if the vendor really sends answers that large, or lower page_size",
    match declared {
        Some(length) => format!(
            "the answer announces {length} bytes (Content-Length), more than max_response_bytes = {limit}; it was not read"
        ),
        None => format!(
            "the answer passed max_response_bytes = {limit} bytes; the rest of it was not read"
        ),
    }
)]
pub struct ResponseTooLarge {
    /// The configured bound, in bytes.
    pub limit: u64,
    /// The answer's Content-Length, when it announced a length above the bound.
    pub declared: Option<u64>,
}

/// `response` with a body that fails once more than `limit` bytes arrive, or at once when its
/// Content-Length is above `limit`. Status, headers and URL are kept.
pub fn limit_response_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    let declared = response.content_length().filter(|length| *length > limit);
    let url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    // reqwest keeps the URL in an extension only its response builder can set.
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    let body = LimitedBody {
        inner: body,
        read: 0,
        limit,
        declared,
    };
    http::Response::from_parts(parts, reqwest::Body::wrap(body)).into()
}

/// Sends `request` through `client` and bounds its answer with [`limit_response_body`]: what
/// both generated clients' `exec` hooks do.
pub async fn execute_bounded(
    client: &reqwest::Client,
    request: reqwest::Request,
    limit: u64,
) -> reqwest::Result<reqwest::Response> {
    let response = client.execute(request).await?;
    Ok(limit_response_body(response, limit))
}

/// The [`ResponseTooLarge`] behind `error` (a reqwest or progenitor error), if that is what it is.
pub fn response_too_large(error: &(dyn std::error::Error + 'static)) -> Option<ResponseTooLarge> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(too_large) = error.downcast_ref::<ResponseTooLarge>() {
            return Some(*too_large);
        }
        cause = error.source();
    }
    None
}

/// A body that counts the bytes it passes on and fails above `limit`.
struct LimitedBody<B> {
    inner: B,
    read: u64,
    limit: u64,
    /// Content-Length above the limit: fail before reading anything.
    declared: Option<u64>,
}

impl<B> LimitedBody<B> {
    fn too_large(&self) -> BoxError {
        Box::new(ResponseTooLarge {
            limit: self.limit,
            declared: self.declared,
        })
    }
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.declared.is_some() {
            return Poll::Ready(Some(Err(self.too_large())));
        }
        let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
            None => return Poll::Ready(None),
        };
        if let Some(data) = frame.data_ref() {
            self.read = self.read.saturating_add(data.len() as u64);
            if self.read > self.limit {
                return Poll::Ready(Some(Err(self.too_large())));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.declared.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        match self.declared {
            Some(_) => SizeHint::default(),
            None => self.inner.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response as the network would hand it over: `chunks` one per poll, with or without a
    /// length (hyper gives a body the exact size hint of its Content-Length).
    fn response(chunks: Vec<&'static [u8]>, content_length: Option<u64>) -> reqwest::Response {
        let body = Chunks {
            chunks: chunks.into_iter().map(Bytes::from_static).collect(),
            content_length,
        };
        let response = http::Response::builder()
            .status(200)
            .body(reqwest::Body::wrap(body))
            .expect("a valid test response");
        reqwest::Response::from(response)
    }

    struct Chunks {
        chunks: std::collections::VecDeque<Bytes>,
        content_length: Option<u64>,
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.chunks.pop_front().map(|chunk| Ok(Frame::data(chunk))))
        }

        fn size_hint(&self) -> SizeHint {
            self.content_length
                .map(SizeHint::with_exact)
                .unwrap_or_default()
        }
    }

    #[tokio::test]
    async fn a_body_within_the_limit_arrives_whole() {
        let limited = limit_response_body(response(vec![b"{\"a\":", b"1}"], None), 7);
        assert_eq!(limited.status(), 200);
        let body = limited.bytes().await.expect("7 bytes are within 7");
        assert_eq!(&body[..], b"{\"a\":1}");
    }

    #[tokio::test]
    async fn a_chunked_body_fails_once_it_passes_the_limit() {
        let limited = limit_response_body(response(vec![b"1234", b"5678", b"9"], None), 6);
        let error = limited.bytes().await.expect_err("9 bytes are above 6");
        assert!(error.is_decode() || error.is_body(), "{error:?}");
        assert_eq!(
            response_too_large(&error),
            Some(ResponseTooLarge {
                limit: 6,
                declared: None
            })
        );
    }

    #[tokio::test]
    async fn a_declared_length_above_the_limit_fails_before_reading() {
        let limited = limit_response_body(response(vec![b"12345678"], Some(8)), 4);
        let error = limited
            .bytes()
            .await
            .expect_err("8 bytes announced, 4 allowed");
        let too_large = response_too_large(&error).expect("recognised");
        assert_eq!(too_large.declared, Some(8));
        let message = too_large.to_string();
        assert!(
            message.contains("announces 8 bytes (Content-Length)")
                && message.contains("max_response_bytes = 4")
                && message.contains("raise max_response_bytes"),
            "{message}"
        );
    }

    #[test]
    fn other_errors_are_not_too_large() {
        let error = std::io::Error::other("connection reset");
        assert_eq!(response_too_large(&error), None);
    }
}
