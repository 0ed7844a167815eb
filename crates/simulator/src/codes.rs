//! The vendor error codes the simulator answers with, as public constants.
//!
//! Only `30021 此应用未上线` (U8, a vendor page) and `20002 未检索到匹配的[<archive>]` (U8 "no
//! matching record", recorded from real accounts) are confirmed; the full U8 code list, the code
//! for an expired token and any throttling code are not public, and YCM's codes are not
//! documented at all. The simulator therefore *chooses* the codes below and documents them, and
//! the client layer keeps its "token expired" and "busy" codes configurable, defaulting to these.
//!
//! U8 sends `errcode` as a JSON string with HTTP 200. YCM sends `errcode` as a JSON number inside
//! a `status: "Failed"` envelope; the constants hold its decimal text, which is what a
//! `LooseString` holds after decoding either form.

/// U8: the call succeeded.
pub const U8_OK_CODE: &str = "0";
/// U8: the app_key is not known to the gateway (the real, documented code: 此应用未上线).
pub const U8_APP_NOT_ONLINE_CODE: &str = "30021";
/// U8 message that goes with [`U8_APP_NOT_ONLINE_CODE`].
pub const U8_APP_NOT_ONLINE_MSG: &str = "此应用未上线";
/// U8: app_secret (or from_account) does not match the app_key. Chosen by the simulator.
pub const U8_BAD_CREDENTIALS_CODE: &str = "20001";
/// U8: the token has expired (by lifetime or by the "expire after N calls" fault), message
/// "token已过期,请重新获取". Chosen by the simulator; in the client's default "token" list.
pub const U8_TOKEN_EXPIRED_CODE: &str = "20003";
/// U8: the token is unknown, belongs to another app, or is one whose expiry was already
/// answered (`stale_token_answer = invalid`), message "token无效" — what gateways answer the
/// requests still in flight with the old token after a renewal. The real code is not public:
/// this is only the default of [`crate::SimConfig::u8_invalid_token_code`]
/// (`--u8-invalid-token-code`), chosen to be none of the known codes, so clients are tested on
/// recognising the errmsg that names the token rather than on a guessed code.
pub const U8_TOKEN_INVALID_CODE: &str = "20009";
/// U8: the query matched no record — an empty listing, a page past the last record, a `get` of
/// an unknown code. The real code and message, recorded from real accounts:
/// `{"errcode":"20002","errmsg":"未检索到匹配的[<archive>]。"}` (see
/// `crates/yonyou-u8/tests/answers/`).
pub const U8_NO_MATCH_CODE: &str = "20002";
/// U8: to_account / ds_sequence name no enterprise data source this app may read.
pub const U8_ACCOUNT_NOT_FOUND_CODE: &str = "20004";
/// U8: a required query parameter is missing.
pub const U8_MISSING_PARAMETER_CODE: &str = "10001";
/// U8: a query parameter is malformed (e.g. `page_index=abc`).
pub const U8_INVALID_PARAMETER_CODE: &str = "10002";
/// U8: the gateway is busy; try again later. Chosen by the simulator; the client's default
/// "busy" list. The vendor-error fault injects it with HTTP 200.
pub const U8_BUSY_CODE: &str = "90001";
/// U8: the per-client rate limit was exceeded (body of the HTTP 429 answer).
pub const U8_RATE_LIMITED_CODE: &str = "90002";

/// YCM: the request is malformed (no `User-Agent` header, missing or unsupported
/// `grant_type`); sent with HTTP 400.
pub const YCM_BAD_REQUEST_CODE: &str = "40000";
/// YCM: a query parameter is out of range (pageSize outside 1..=50, pageNumber < 1, bad sort);
/// sent with HTTP 200.
pub const YCM_INVALID_PARAMETER_CODE: &str = "40001";
/// YCM: client_id / client_secret are wrong or missing; HTTP 200.
pub const YCM_BAD_CREDENTIALS_CODE: &str = "40003";
/// YCM: the refresh token is unknown or expired; HTTP 200. Log in again.
pub const YCM_REFRESH_TOKEN_INVALID_CODE: &str = "40004";
/// YCM: no bearer token, or an unknown one; HTTP 401.
pub const YCM_TOKEN_INVALID_CODE: &str = "40101";
/// YCM: the bearer token has expired (by lifetime or by the "expire after N calls" fault);
/// HTTP 401. The client's default "token expired" code.
pub const YCM_TOKEN_EXPIRED_CODE: &str = "40102";
/// YCM: no customer with that id; HTTP 200.
pub const YCM_NOT_FOUND_CODE: &str = "40400";
/// YCM: the per-client rate limit was exceeded; HTTP 429 with `Retry-After`.
pub const YCM_RATE_LIMITED_CODE: &str = "42900";
/// YCM: the service is busy; try again later. HTTP 200 Failed envelope; the client's default
/// "busy" code. The vendor-error fault injects it.
pub const YCM_BUSY_CODE: &str = "50300";
