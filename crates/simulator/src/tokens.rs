//! Issued tokens: who owns them, when they expire, how often they were used.
//!
//! Token values are derived from the seed and an issue counter, so a run that issues tokens in
//! the same order sees the same values; they are opaque hex strings either way.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::hash::{key, splitmix};

/// Whose token it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A U8 app, named by its app_key.
    U8App(String),
    /// A YCM client, by index into the configuration.
    YcmClient(usize),
}

#[derive(Debug)]
struct AccessInfo {
    owner: Owner,
    expires: Instant,
    uses: u64,
    /// Whether a call was already refused because this token expired.
    expiry_answered: bool,
}

#[derive(Debug)]
struct RefreshInfo {
    client: usize,
    expires: Instant,
}

/// The result of presenting an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    /// Valid; owned by this owner.
    Valid(Owner),
    /// Never issued (or issued by an earlier server run).
    Unknown,
    /// Issued, but past its lifetime or its allowed number of calls: the first refusal.
    Expired,
    /// Expired, and a call was already refused for it: an old token still in use (requests
    /// that were in flight when the client renewed).
    Stale,
}

/// A YCM token pair.
#[derive(Clone, Debug)]
pub(crate) struct TokenPair {
    pub(crate) access: String,
    pub(crate) refresh: String,
    pub(crate) jti: String,
}

/// All tokens issued by this server.
#[derive(Debug)]
pub(crate) struct TokenStore {
    seed: u64,
    counter: u64,
    access: HashMap<String, AccessInfo>,
    refresh: HashMap<String, RefreshInfo>,
    issued_u8: u64,
    issued_ycm: u64,
}

impl TokenStore {
    /// An empty store.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: 0,
            access: HashMap::new(),
            refresh: HashMap::new(),
            issued_u8: 0,
            issued_ycm: 0,
        }
    }

    fn next_value(&mut self, words: usize) -> String {
        self.counter += 1;
        let mut h = key(self.seed, &[0x70_6b, self.counter]);
        let mut text = String::with_capacity(words * 16);
        for _ in 0..words {
            text.push_str(&format!("{h:016x}"));
            h = splitmix(h);
        }
        text
    }

    /// Issues a U8 token for `app_key`.
    pub(crate) fn issue_u8(&mut self, app_key: &str, lifetime: Duration) -> String {
        let token = self.next_value(2);
        self.access.insert(
            token.clone(),
            AccessInfo {
                owner: Owner::U8App(app_key.to_owned()),
                expires: Instant::now() + lifetime,
                uses: 0,
                expiry_answered: false,
            },
        );
        self.issued_u8 += 1;
        token
    }

    /// Issues a YCM access and refresh token for client `client`.
    pub(crate) fn issue_ycm(
        &mut self,
        client: usize,
        access_lifetime: Duration,
        refresh_lifetime: Duration,
    ) -> TokenPair {
        let access = self.next_value(3);
        let refresh = self.next_value(3);
        let jti = self.next_value(1);
        let now = Instant::now();
        self.access.insert(
            access.clone(),
            AccessInfo {
                owner: Owner::YcmClient(client),
                expires: now + access_lifetime,
                uses: 0,
                expiry_answered: false,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            RefreshInfo {
                client,
                expires: now + refresh_lifetime,
            },
        );
        self.issued_ycm += 1;
        TokenPair {
            access,
            refresh,
            jti,
        }
    }

    /// The client a refresh token belongs to, if it is valid.
    pub(crate) fn refresh_owner(&self, refresh: &str) -> Option<usize> {
        self.refresh
            .get(refresh)
            .filter(|info| Instant::now() < info.expires)
            .map(|info| info.client)
    }

    /// Looks a token up without counting a use.
    pub(crate) fn peek(&self, token: &str) -> Option<Owner> {
        self.access.get(token).map(|info| info.owner.clone())
    }

    /// Presents `token` for one data call; counts the use. With `max_uses`, the call after the
    /// `max_uses`-th is refused as expired, and every later one as stale.
    pub(crate) fn use_token(&mut self, token: &str, max_uses: Option<u64>) -> TokenCheck {
        let Some(info) = self.access.get_mut(token) else {
            return TokenCheck::Unknown;
        };
        let expired =
            Instant::now() >= info.expires || max_uses.is_some_and(|max| info.uses >= max);
        if expired {
            let first = !info.expiry_answered;
            info.expiry_answered = true;
            return if first {
                TokenCheck::Expired
            } else {
                TokenCheck::Stale
            };
        }
        info.uses += 1;
        TokenCheck::Valid(info.owner.clone())
    }

    /// Every access and refresh token issued so far (tests scan output for them).
    pub(crate) fn issued_values(&self) -> Vec<String> {
        self.access
            .keys()
            .chain(self.refresh.keys())
            .cloned()
            .collect()
    }

    /// (U8 tokens, YCM token pairs) issued so far.
    pub(crate) fn issued(&self) -> (u64, u64) {
        (self.issued_u8, self.issued_ycm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_by_time_and_by_use() {
        let mut store = TokenStore::new(1);
        let t = store.issue_u8("k", Duration::from_secs(10));
        assert_eq!(
            store.use_token(&t, Some(2)),
            TokenCheck::Valid(Owner::U8App("k".into()))
        );
        assert_eq!(
            store.use_token(&t, Some(2)),
            TokenCheck::Valid(Owner::U8App("k".into()))
        );
        assert_eq!(store.use_token(&t, Some(2)), TokenCheck::Expired);
        assert_eq!(store.use_token(&t, Some(2)), TokenCheck::Stale);
        let t2 = store.issue_u8("k", Duration::from_secs(10));
        assert_ne!(t, t2);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(store.use_token(&t2, None), TokenCheck::Expired);
        assert_eq!(store.use_token("nope", None), TokenCheck::Unknown);
        assert_eq!(store.issued(), (2, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn issued_values_list_access_and_refresh_tokens() {
        let mut store = TokenStore::new(1);
        let u8 = store.issue_u8("k", Duration::from_secs(10));
        let pair = store.issue_ycm(0, Duration::from_secs(10), Duration::from_secs(20));
        let mut values = store.issued_values();
        values.sort();
        let mut want = vec![u8, pair.access, pair.refresh];
        want.sort();
        assert_eq!(values, want);
    }
}
