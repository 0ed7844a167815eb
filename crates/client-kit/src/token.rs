//! A token cache with single-flight renewal and token generations, shared by both vendors' clients.
//!
//! Both vendors issue short-lived tokens (U8 7200 s, YCM 30 min). Hundreds of concurrent page
//! requests must not each log in: the cache hands out the current token, renews it shortly
//! before it expires, and renews it at most once when the vendor rejects it, however many
//! callers report the same rejected token at the same time.
//!
//! Every token carries a *generation* (1 for the first one issued, +1 per renewal) and every
//! request remembers the generation it was sent with ([`TokenLease`]). That decides what a
//! rejection means, whatever code the vendor chose for it:
//!
//! * a request sent with an **older** generation lost a race with a renewal (gateways answer
//!   those "token invalid", not "expired"): it is sent again with the current token — no
//!   renewal, no retry counted;
//! * a rejection of the **current** generation renews it, once;
//! * when [`UNPROVEN_REPLACEMENTS_TO_FAIL`] tokens in a row, each obtained because its
//!   predecessor was rejected, are rejected before any call with them succeeded, the tokens were
//!   never good — a clock, credential or permission problem, not an expiry — so renewing again
//!   would only loop: [`RejectionError::FreshTokenRejected`] fails the caller instead. One such
//!   token alone is not enough: under load the answer proving a token good can arrive after a
//!   late rejection of it, and a log-in token may be handed out just before it expires;
//! * the same count is kept per *scope* (the API operation a call belongs to): when one
//!   operation keeps rejecting tokens that other operations use successfully, the answer is not
//!   about the token at all (an error code taken for a token code), and that operation fails
//!   after the same number of replacements instead of renewing the source's token forever.
//!   Either way a source makes at most `UNPROVEN_REPLACEMENTS_TO_FAIL + 1` token calls (the
//!   log-in and the replacements) before its rejected calls fail, however many requests were in
//!   flight: concurrent rejections of one token renew it once, and once the count is reached every
//!   further rejection fails at once, without a token call;
//! * rejection-driven renewals are paced to [`RENEWALS_PER_WINDOW`] per [`RENEWAL_WINDOW`]
//!   per account: a gateway that accepts each token once and then drops it slows the run down
//!   instead of hammering the token endpoint.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most this many renewals caused by rejections within [`RENEWAL_WINDOW`]; more wait.
pub const RENEWALS_PER_WINDOW: usize = 3;

/// The sliding window of [`RENEWALS_PER_WINDOW`].
pub const RENEWAL_WINDOW: Duration = Duration::from_secs(10);

/// This many replacement tokens in a row rejected before serving any call fail the caller.
pub const UNPROVEN_REPLACEMENTS_TO_FAIL: u32 = 3;

/// How many times [`TokenCache::with_token`] sends one call with a replaced token before the
/// rejection is returned (to the caller's retry policy). Each round follows a renewal or a newer
/// token, so this only caps a gateway that rejects many tokens in a row.
pub const MAX_TOKEN_ROUNDS: u32 = 8;

/// What a vendor client's error says about the token a call carried.
pub trait TokenAnswer: Sized {
    /// The vendor rejected the token (expired, invalid, unknown).
    fn is_token_rejection(&self) -> bool;

    /// The vendor answered, refusing something other than the token: the token is good.
    fn accepts_token(&self) -> bool;

    /// The error to report when [`UNPROVEN_REPLACEMENTS_TO_FAIL`] fresh tokens in a row were
    /// rejected; `self` is the last rejection, `age` the time since that token was issued,
    /// `token_calls` how many tokens the cache obtained in all.
    fn fresh_tokens_rejected(self, age: Duration, tokens: u32, token_calls: u64) -> Self;
}

/// An access token. Cheap to clone; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// Wraps a token value as issued by the vendor and registers it for redaction by value
    /// (see [`crate::redact`]).
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        let value = value.into();
        crate::remember_secret(&value);
        Self(value)
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

/// The token one request is sent with, and the generation it belongs to.
#[derive(Clone, Debug)]
pub struct TokenLease {
    access: AccessToken,
    generation: u64,
}

impl TokenLease {
    /// The token to send.
    pub fn access(&self) -> &AccessToken {
        &self.access
    }

    /// 1 for the first token the cache obtained, one more for every renewal.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Why the cache gave no token after a rejection.
#[derive(Debug)]
pub enum RejectionError<E> {
    /// Obtaining a new token failed.
    Issue(E),
    /// [`UNPROVEN_REPLACEMENTS_TO_FAIL`] replacement tokens in a row were rejected although no
    /// call with them ever succeeded: renewing again would only loop.
    FreshTokenRejected {
        /// Time since the last rejected token was issued.
        age: Duration,
        /// How many tokens in a row were rejected that way.
        tokens: u32,
        /// How many tokens the cache obtained in all (log-in and renewals).
        token_calls: u64,
    },
}

struct CachedToken {
    token: IssuedToken,
    generation: u64,
    issued_at: Instant,
    renew_at: Instant,
    /// Obtained because the previous token was rejected (not a log-in or a timed renewal).
    replaced_rejected: bool,
}

struct Slot {
    cached: Option<CachedToken>,
    /// When the recent rejection-driven renewals happened, oldest first.
    recent_renewals: VecDeque<Instant>,
    /// Replacement tokens rejected in a row before any call with them succeeded.
    unproven_streak: u32,
    /// The same count per scope: replacement tokens rejected in a row by calls of one scope
    /// before any call of that scope succeeded with them.
    scope_streaks: HashMap<&'static str, u32>,
}

/// Caches one vendor account's token and renews it in a single flight.
pub struct TokenCache<I> {
    issuer: I,
    slot: Mutex<Slot>,
    renew_early: Duration,
    issued: AtomicU64,
    /// The highest generation a call of each scope succeeded with (the highest of all is the
    /// highest any call succeeded with).
    proven_by_scope: std::sync::Mutex<HashMap<&'static str, u64>>,
}

impl<I: TokenIssuer> TokenCache<I> {
    /// `renew_early`: how long before the announced expiry the token is renewed (capped at half
    /// its lifetime, so short-lived tokens are still used).
    pub fn new(issuer: I, renew_early: Duration) -> Self {
        Self {
            issuer,
            slot: Mutex::new(Slot {
                cached: None,
                recent_renewals: VecDeque::new(),
                unproven_streak: 0,
                scope_streaks: HashMap::new(),
            }),
            renew_early,
            issued: AtomicU64::new(0),
            proven_by_scope: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The current token, obtaining or renewing it first when needed. Concurrent callers wait
    /// for one renewal instead of each starting their own.
    pub async fn current(&self) -> Result<TokenLease, I::Error> {
        let mut slot = self.slot.lock().await;
        if let Some(lease) = Self::fresh(&slot) {
            return Ok(lease);
        }
        self.renew(&mut slot, false).await
    }

    /// Records that a call of `scope` sent with `lease` was accepted by the vendor (it answered
    /// with data or a refusal that was not about the token), so the token is known to be good.
    pub fn confirm(&self, scope: &'static str, lease: &TokenLease) {
        let mut by_scope = self
            .proven_by_scope
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let proven = by_scope.entry(scope).or_default();
        *proven = (*proven).max(lease.generation);
    }

    /// The highest generation any call succeeded with, and the highest a call of `scope` did
    /// (0: none yet).
    fn proven(&self, scope: &'static str) -> (u64, u64) {
        let by_scope = self
            .proven_by_scope
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let anywhere = by_scope.values().copied().max().unwrap_or(0);
        (anywhere, by_scope.get(scope).copied().unwrap_or(0))
    }

    /// Called when the vendor rejected the token of `rejected`, sent by a call of `scope`. A lease
    /// older than the current token gets the current one (no renewal); a rejection of the
    /// current token renews it once for all callers that report it, unless the streaks of
    /// unproven replacements say renewing would only loop.
    pub async fn replace_rejected(
        &self,
        scope: &'static str,
        rejected: &TokenLease,
    ) -> Result<TokenLease, RejectionError<I::Error>> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.cached.as_ref()
            && cached.generation > rejected.generation
        {
            if let Some(lease) = Self::fresh(&slot) {
                return Ok(lease);
            }
            return self
                .renew(&mut slot, false)
                .await
                .map_err(RejectionError::Issue);
        }
        self.count_unproven(&mut slot, scope)?;
        Self::pace_renewals(&mut slot).await;
        let lease = self
            .renew(&mut slot, true)
            .await
            .map_err(RejectionError::Issue)?;
        slot.recent_renewals.push_back(Instant::now());
        Ok(lease)
    }

    /// Counts a rejection of the current token in the source's streak and in `scope`'s, and
    /// fails once either reached [`UNPROVEN_REPLACEMENTS_TO_FAIL`]. A streak that already failed
    /// fails again without counting, so the error reports the tokens that were really tried.
    fn count_unproven(
        &self,
        slot: &mut Slot,
        scope: &'static str,
    ) -> Result<(), RejectionError<I::Error>> {
        let Some(cached) = slot.cached.as_ref() else {
            return Ok(());
        };
        let (generation, replaced) = (cached.generation, cached.replaced_rejected);
        let age = cached.issued_at.elapsed();
        let (anywhere, here) = self.proven(scope);
        let (proven_anywhere, proven_here) = (anywhere >= generation, here >= generation);
        let scope_streak = slot.scope_streaks.entry(scope).or_default();
        let failed = |tokens: u32| RejectionError::FreshTokenRejected {
            age,
            tokens,
            token_calls: self.issued_count(),
        };
        if !proven_here && *scope_streak >= UNPROVEN_REPLACEMENTS_TO_FAIL {
            return Err(failed(*scope_streak));
        }
        if !proven_anywhere && slot.unproven_streak >= UNPROVEN_REPLACEMENTS_TO_FAIL {
            return Err(failed(slot.unproven_streak));
        }
        *scope_streak = next_streak(*scope_streak, proven_here, replaced);
        let scope_streak = *scope_streak;
        slot.unproven_streak = next_streak(slot.unproven_streak, proven_anywhere, replaced);
        let tokens = slot.unproven_streak.max(scope_streak);
        if tokens >= UNPROVEN_REPLACEMENTS_TO_FAIL {
            return Err(failed(tokens));
        }
        Ok(())
    }

    /// Runs `call` with a valid token: a rejected token is replaced as the module doc says and
    /// the call sent again, up to [`MAX_TOKEN_ROUNDS`] times; answers that show the token good
    /// confirm its generation.
    pub async fn with_token<T, E, F, Fut>(&self, scope: &'static str, call: F) -> Result<T, E>
    where
        E: TokenAnswer + From<I::Error>,
        F: Fn(TokenLease) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut lease = self.current().await.map_err(E::from)?;
        let mut round = 1;
        loop {
            match call(lease.clone()).await {
                Err(rejection) if rejection.is_token_rejection() && round < MAX_TOKEN_ROUNDS => {
                    lease = match self.replace_rejected(scope, &lease).await {
                        Ok(next) => next,
                        Err(RejectionError::Issue(issue)) => return Err(E::from(issue)),
                        Err(RejectionError::FreshTokenRejected {
                            age,
                            tokens,
                            token_calls,
                        }) => {
                            return Err(rejection.fresh_tokens_rejected(age, tokens, token_calls));
                        }
                    };
                    round += 1;
                }
                answer => {
                    if answer.as_ref().err().is_none_or(TokenAnswer::accepts_token) {
                        self.confirm(scope, &lease);
                    }
                    return answer;
                }
            }
        }
    }

    /// How many tokens were issued so far (for tests and run statistics).
    pub fn issued_count(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    fn fresh(slot: &Slot) -> Option<TokenLease> {
        slot.cached
            .as_ref()
            .filter(|cached| Instant::now() < cached.renew_at)
            .map(|cached| TokenLease {
                access: cached.token.access.clone(),
                generation: cached.generation,
            })
    }

    /// Waits, holding the slot (so every caller waits), until one more renewal fits the window.
    async fn pace_renewals(slot: &mut Slot) {
        let now = Instant::now();
        while slot
            .recent_renewals
            .front()
            .is_some_and(|at| now.duration_since(*at) >= RENEWAL_WINDOW)
        {
            slot.recent_renewals.pop_front();
        }
        if slot.recent_renewals.len() >= RENEWALS_PER_WINDOW
            && let Some(oldest) = slot.recent_renewals.pop_front()
        {
            tokio::time::sleep_until(oldest + RENEWAL_WINDOW).await;
        }
    }

    async fn renew(
        &self,
        slot: &mut Slot,
        replaced_rejected: bool,
    ) -> Result<TokenLease, I::Error> {
        let previous = slot.cached.as_ref().map(|cached| &cached.token);
        let generation = slot.cached.as_ref().map_or(0, |c| c.generation) + 1;
        let token = self.issuer.issue(previous).await?;
        self.issued.fetch_add(1, Ordering::Relaxed);
        let early = self.renew_early.min(token.lifetime / 2);
        let issued_at = Instant::now();
        let renew_at = issued_at + token.lifetime.saturating_sub(early);
        let lease = TokenLease {
            access: token.access.clone(),
            generation,
        };
        slot.cached = Some(CachedToken {
            token,
            generation,
            issued_at,
            renew_at,
            replaced_rejected,
        });
        Ok(lease)
    }
}

/// The streak of unproven replacements after one more rejection: reset by a proven token,
/// counted for a token obtained because its predecessor was rejected, kept otherwise (a log-in
/// or a timed renewal neither proves nor disproves anything).
fn next_streak(streak: u32, proven: bool, replaced_rejected: bool) -> u32 {
    match (proven, replaced_rejected) {
        (true, _) => 0,
        (false, true) => streak + 1,
        (false, false) => streak,
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

    const SCOPE: &str = "test/list";

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

    async fn value(cache: &TokenCache<CountingIssuer>) -> String {
        cache
            .current()
            .await
            .expect("issued")
            .access()
            .expose()
            .to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn renews_before_expiry() {
        let cache = cache(Duration::from_secs(600));
        assert_eq!(value(&cache).await, "t1");
        tokio::time::advance(Duration::from_secs(500)).await;
        assert_eq!(value(&cache).await, "t1");
        tokio::time::advance(Duration::from_secs(50)).await;
        assert_eq!(value(&cache).await, "t2");
        assert_eq!(cache.current().await.expect("issued").generation(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_token_is_replaced_once() {
        let cache = cache(Duration::from_secs(600));
        let first = cache.current().await.expect("issued");
        cache.confirm(SCOPE, &first);
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let first = first.clone();
            tasks.push(tokio::spawn(async move {
                cache.replace_rejected(SCOPE, &first).await
            }));
        }
        for task in tasks {
            let lease = task.await.expect("task ran").expect("issued");
            assert_eq!(lease.access().expose(), "t2");
            assert_eq!(lease.generation(), 2);
        }
        assert_eq!(cache.issued_count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_lease_gets_the_current_token_without_renewal() {
        let cache = cache(Duration::from_secs(600));
        let first = cache.current().await.expect("issued");
        cache.confirm(SCOPE, &first);
        let second = cache
            .replace_rejected(SCOPE, &first)
            .await
            .expect("renewed");
        // The second token has not served a call yet; a late answer to the first is stale.
        let again = cache
            .replace_rejected(SCOPE, &first)
            .await
            .expect("current");
        assert_eq!(again.generation(), second.generation());
        assert_eq!(cache.issued_count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn replacements_rejected_before_any_success_stop_after_three() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        // The log-in token and two unproven replacements are renewed; the third fails.
        for _ in 0..UNPROVEN_REPLACEMENTS_TO_FAIL {
            lease = cache
                .replace_rejected(SCOPE, &lease)
                .await
                .expect("renewed");
        }
        tokio::time::advance(Duration::from_millis(5)).await;
        match cache.replace_rejected(SCOPE, &lease).await {
            Err(RejectionError::FreshTokenRejected {
                age,
                tokens,
                token_calls,
            }) => {
                assert!(age >= Duration::from_millis(5), "{age:?}");
                assert_eq!(tokens, UNPROVEN_REPLACEMENTS_TO_FAIL);
                assert_eq!(token_calls, 1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL));
            }
            other => panic!("expected FreshTokenRejected, got {other:?}"),
        }
        assert_eq!(
            cache.issued_count(),
            1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_success_in_between_resets_the_count() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        for round in 0..10 {
            lease = cache
                .replace_rejected(SCOPE, &lease)
                .await
                .expect("renewed");
            if round % 2 == 1 {
                cache.confirm(SCOPE, &lease);
            }
        }
        assert_eq!(cache.issued_count(), 11);
    }

    #[tokio::test(start_paused = true)]
    async fn renewals_after_rejections_are_paced() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        let start = Instant::now();
        for _ in 0..RENEWALS_PER_WINDOW + 1 {
            cache.confirm(SCOPE, &lease);
            lease = cache
                .replace_rejected(SCOPE, &lease)
                .await
                .expect("renewed");
        }
        // Four renewals: the fourth waited until the first left the 10 s window.
        assert!(start.elapsed() >= RENEWAL_WINDOW, "{:?}", start.elapsed());
        assert_eq!(cache.issued_count(), RENEWALS_PER_WINDOW as u64 + 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_scope_that_rejects_tokens_others_use_fails_after_three_replacements() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        let mut failure = None;
        for _ in 0..20 {
            // Another operation succeeds with every token; this one rejects every token.
            cache.confirm("other/list", &lease);
            match cache.replace_rejected(SCOPE, &lease).await {
                Ok(next) => lease = next,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        match failure {
            Some(RejectionError::FreshTokenRejected {
                tokens,
                token_calls,
                ..
            }) => {
                assert_eq!(tokens, UNPROVEN_REPLACEMENTS_TO_FAIL);
                assert_eq!(token_calls, 1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL));
            }
            other => panic!("expected FreshTokenRejected, got {other:?}"),
        }
        assert_eq!(
            cache.issued_count(),
            1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL)
        );
        // The other operation keeps its token; a later rejection of this scope fails at once.
        assert!(cache.replace_rejected(SCOPE, &lease).await.is_err());
        assert_eq!(
            cache.issued_count(),
            1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn once_failed_every_caller_fails_without_a_token_call() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        while let Ok(next) = cache.replace_rejected(SCOPE, &lease).await {
            lease = next;
        }
        for scope in [SCOPE, "other/list", "other/get"] {
            for _ in 0..5 {
                match cache.replace_rejected(scope, &lease).await {
                    Err(RejectionError::FreshTokenRejected { tokens, .. }) => {
                        assert_eq!(tokens, UNPROVEN_REPLACEMENTS_TO_FAIL, "{scope}");
                    }
                    other => panic!("{scope}: expected FreshTokenRejected, got {other:?}"),
                }
            }
        }
        assert_eq!(
            cache.issued_count(),
            1 + u64::from(UNPROVEN_REPLACEMENTS_TO_FAIL)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_expiry_after_successes_renews_every_time() {
        let cache = cache(Duration::from_secs(600));
        let mut lease = cache.current().await.expect("issued");
        for _ in 0..10 {
            cache.confirm(SCOPE, &lease);
            lease = cache
                .replace_rejected(SCOPE, &lease)
                .await
                .expect("renewed");
        }
        assert_eq!(cache.issued_count(), 11);
    }
}
