//! The names that are sensitive out of the box.
//!
//! Users add their own with [`RedactorBuilder`](crate::RedactorBuilder) or
//! the `[redact]` configuration section; the defaults cannot be removed.

/// Header names whose values are always masked: credentials, session
/// cookies, webhook signatures, and the shop's (Wix) key headers, whose
/// account and site ids go with the API key in `Authorization`.
pub const DEFAULT_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-refresh-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "x-hub-signature",
    "x-hub-signature-256",
    "x-twilio-signature",
    "x-slack-signature",
    "stripe-signature",
    "x-shopify-hmac-sha256",
    "wix-account-id",
    "wix-site-id",
];

/// Query parameter names whose values are always masked.
pub const DEFAULT_QUERY_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "client_secret",
    "password",
    "secret",
    "signature",
    "sig",
    "code",
    "hub.verify_token",
    "x-amz-signature",
    "x-amz-security-token",
    "x-amz-credential",
    "session",
    "sessionid",
];

/// JSON and log field names whose values are always masked (matched
/// without regard to ASCII case, so `apiKey` is `apikey`).
pub const DEFAULT_FIELDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "clientsecret",
    "app_secret",
    "appsecret",
    "api_key",
    "apikey",
    "access_token",
    "accesstoken",
    "refresh_token",
    "refreshtoken",
    "id_token",
    "auth_token",
    "authtoken",
    "session_token",
    "verify_token",
    "token",
    "private_key",
    "privatekey",
    "secret_key",
    "secretkey",
    "aws_secret_access_key",
    "card_number",
    "cardnumber",
    "cvv",
    "cvc",
    "pin",
];

/// Header names whose values run to the end of the line when printed
/// unquoted (`cookie: a=1; b=2`).
pub(crate) const LINE_HEADERS: &[&str] = &["cookie", "set-cookie"];
