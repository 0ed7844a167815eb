//! A token cache with single-flight refresh, shared by both vendors' clients.
//!
//! Both vendors issue short-lived tokens (U8 7200 s, YCM 30 min). Hundreds of concurrent page
//! requests must not each log in: the cache hands out the current token, renews it shortly
//! before it expires, and renews it at most once when the vendor rejects it, however many
//! callers report the same rejected token at the same time.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// An access token. Cheap to clone; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// Wraps a token value as issued by the vendor.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Self(value.into())
    }

    /// The token itself, for the one place that sends it to the vendor.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// What a vendor's token call returned.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The token to send with every request.
    pub access: AccessToken,
    /// How long the vendor says it lives.
    pub lifetime: Duration,
    /// A refresh token, for vendors that renew without the client secret (YCM).
    pub refresh: Option<AccessToken>,
}

/// One vendor's way of obtaining a token.
pub trait TokenIssuer: Send + Sync {
    /// The vendor's error type.
    type Error: Send;

    /// Obtains a new token. `previous` is the last one issued, if any, so a vendor with refresh
    /// tokens can renew instead of logging in again.
    fn issue(
        &self,
        previous: Option<&IssuedToken>,
    ) -> impl Future<Output = Result<IssuedToken, Self::Error>> + Send;
}

struct CachedToken {
    token: IssuedToken,
    renew_at: Instant,
}

/// Caches one vendor account's token and renews it in a single flight.
pub struct TokenCache<I> {
    issuer: I,
    slot: Mutex<Option<CachedToken>>,
    renew_early: Duration,
    issued: AtomicU64,
}

impl<I: TokenIssuer> TokenCache<I> {
    /// `renew_early`: how long before the announced expiry the token is renewed (capped at half
    /// its lifetime, so short-lived tokens are still used).
    pub fn new(issuer: I, renew_early: Duration) -> Self {
        Self {
            issuer,
            slot: Mutex::new(None),
            renew_early,
            issued: AtomicU64::new(0),
        }
    }

    /// The current token, obtaining or renewing it first when needed. Concurrent callers wait
    /// for one renewal instead of each starting their own.
    pub async fn current(&self) -> Result<AccessToken, I::Error> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.token.access.clone());
        }
        self.renew(&mut slot).await
    }

    /// Called when the vendor answered that `rejected` has expired: renews once, and callers
    /// reporting the same (already replaced) token get the new one without another renewal.
    pub async fn replace_rejected(&self, rejected: &AccessToken) -> Result<AccessToken, I::Error> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && cached.token.access != *rejected
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.token.access.clone());
        }
        self.renew(&mut slot).await
    }

    /// How many tokens were issued so far (for tests and run statistics).
    pub fn issued_count(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    async fn renew(&self, slot: &mut Option<CachedToken>) -> Result<AccessToken, I::Error> {
        let previous = slot.as_ref().map(|cached| &cached.token);
        let token = self.issuer.issue(previous).await?;
        self.issued.fetch_add(1, Ordering::Relaxed);
        let early = self.renew_early.min(token.lifetime / 2);
        let renew_at = Instant::now() + token.lifetime.saturating_sub(early);
        let access = token.access.clone();
        *slot = Some(CachedToken { token, renew_at });
        Ok(access)
    }
}

impl<I> fmt::Debug for TokenCache<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("issued", &self.issued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct CountingIssuer {
        calls: AtomicU64,
        lifetime: Duration,
    }

    impl TokenIssuer for CountingIssuer {
        type Error = ();

        async fn issue(&self, _previous: Option<&IssuedToken>) -> Result<IssuedToken, ()> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(IssuedToken {
                access: AccessToken::new(format!("t{n}")),
                lifetime: self.lifetime,
                refresh: None,
            })
        }
    }

    fn cache(lifetime: Duration) -> Arc<TokenCache<CountingIssuer>> {
        Arc::new(TokenCache::new(
            CountingIssuer {
                calls: AtomicU64::new(0),
                lifetime,
            },
            Duration::from_secs(60),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn renews_before_expiry() {
        let cache = cache(Duration::from_secs(600));
        assert_eq!(
            cache.current().await.map(|t| t.expose().to_owned()),
            Ok("t1".into())
        );
        tokio::time::advance(Duration::from_secs(500)).await;
        assert_eq!(
            cache.current().await.map(|t| t.expose().to_owned()),
            Ok("t1".into())
        );
        tokio::time::advance(Duration::from_secs(50)).await;
        assert_eq!(
            cache.current().await.map(|t| t.expose().to_owned()),
            Ok("t2".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_token_is_replaced_once() {
        let cache = cache(Duration::from_secs(600));
        let first = cache.current().await.expect("issued");
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let first = first.clone();
            tasks.push(tokio::spawn(
                async move { cache.replace_rejected(&first).await },
            ));
        }
        for task in tasks {
            let token = task.await.expect("task ran").expect("issued");
            assert_eq!(token.expose(), "t2");
        }
        assert_eq!(cache.issued_count(), 2);
    }
}
