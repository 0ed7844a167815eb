//! HTTP answers: a plain [`Reply`] built by the handlers, and the two ways a fault can break it
//! (a dropped connection mid-body, a malformed body).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

/// Content type of both vendors' JSON answers.
pub(crate) const VENDOR_JSON: &str = "application/json;charset=UTF-8";

/// An answer before it is sent: status, body, content type and an optional `Retry-After`.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: &'static str,
    pub(crate) retry_after_secs: Option<u64>,
}

impl Reply {
    /// A vendor JSON answer.
    pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            body,
            content_type: VENDOR_JSON,
            retry_after_secs: None,
        }
    }

    /// Adds `Retry-After: secs`.
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    fn headers(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        self.headers(&mut response);
        *response.status_mut() = self.status;
        *response.body_mut() = Body::from(self.body);
        response
    }
}

/// A gateway error page for an injected 5xx.
pub(crate) fn server_error(code: u16) -> Reply {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    Reply {
        status,
        body: format!("<html><body><h1>{code} {reason}</h1></body></html>").into_bytes(),
        content_type: "text/html",
        retry_after_secs: None,
    }
}

/// Sends the headers (announcing the full length) and part of the body, then aborts the
/// connection, as a proxy does when its upstream dies mid-answer.
pub(crate) fn drop_mid_body(reply: Reply, detail: u64) -> Response {
    let full = reply.body.len();
    let cut = if full > 1 {
        1 + (detail as usize % (full - 1))
    } else {
        0
    };
    let head = Bytes::copy_from_slice(&reply.body[..cut]);
    let first = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(head) });
    let abort = futures::stream::once(async {
        // Let the first part reach the socket before the connection is torn down.
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated dropped connection",
        ))
    });
    let mut response = Response::new(Body::from_stream(first.chain(abort)));
    *response.status_mut() = reply.status;
    reply.headers(&mut response);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full as u64));
    response
}

/// Breaks the body: truncated, corrupted with bytes that are not UTF-8, or replaced by an HTML
/// page, always with HTTP 200 and the JSON content type.
pub(crate) fn malformed(reply: Reply, detail: u64) -> Reply {
    let full = reply.body.len();
    let cut = if full > 1 {
        1 + (detail as usize % (full - 1))
    } else {
        0
    };
    let body = match (detail >> 32) % 3 {
        0 => reply.body[..cut].to_vec(),
        1 => {
            let mut body = reply.body[..cut].to_vec();
            body.extend_from_slice(b"\x00\xff\xfe");
            body.extend_from_slice(&reply.body[cut..]);
            body
        }
        _ => b"<html><body>upstream timed out</body></html>".to_vec(),
    };
    Reply {
        status: StatusCode::OK,
        body,
        content_type: VENDOR_JSON,
        retry_after_secs: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_never_parse() {
        let reply = Reply::json(
            StatusCode::OK,
            br#"{"errcode":"0","customer":[{"a":1}]}"#.to_vec(),
        );
        for detail in 0..300u64 {
            let broken = malformed(reply.clone(), crate::hash::splitmix(detail));
            assert!(serde_json::from_slice::<serde_json::Value>(&broken.body).is_err());
        }
    }
}
