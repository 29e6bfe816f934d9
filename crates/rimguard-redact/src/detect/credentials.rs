//! The credential shapes the redactor knows, one entry per kind of token.
//!
//! Each shape has one or more literal anchors (a fixed piece every token of
//! that kind contains, such as `ghp_` or `AKIA`) and a verifying regular
//! expression. The scanner looks for the anchors only, and runs the regex
//! only where an anchor was found, so adding a shape costs almost nothing
//! on clean text.
//!
//! The list was written for rimguard from the token formats that the
//! providers document and that public secret-scanning rule sets describe;
//! the expressions are rimguard's own and lean towards masking a little too
//! much rather than too little.

/// One known credential shape: its name, literal anchors and verifying
/// regular expression.
///
/// See [`credential_patterns`] for the whole list.
#[derive(Debug, Clone, Copy)]
pub struct CredentialPattern {
    name: &'static str,
    anchors: &'static [&'static str],
    lookbehind: u8,
    regex: &'static str,
    window: u16,
}

impl CredentialPattern {
    /// The stable name shown in a masked value, such as `github-pat`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The literal pieces the scanner looks for first.
    pub fn anchors(&self) -> &'static [&'static str] {
        self.anchors
    }

    /// The verifying regular expression (the `regex` crate's syntax).
    ///
    /// When it has a group named `s`, only that group is masked (the user
    /// name of a URL stays, its password goes).
    pub fn regex(&self) -> &'static str {
        self.regex
    }

    /// How many bytes before the anchor the token may start.
    pub(crate) fn lookbehind(&self) -> usize {
        usize::from(self.lookbehind)
    }

    /// How many bytes after the anchor the verifier looks at, at most.
    pub(crate) fn window(&self) -> usize {
        usize::from(self.window)
    }
}

/// Every credential shape the redactor detects.
///
/// # Example
///
/// ```
/// let names: Vec<_> = rimguard_redact::credential_patterns().iter().map(|p| p.name()).collect();
/// assert!(names.contains(&"aws-access-key-id"));
/// assert!(names.len() >= 50);
/// ```
pub fn credential_patterns() -> &'static [CredentialPattern] {
    PATTERNS
}

/// The private key block is found by code (its end marker may be far
/// away); this is its entry, so that it has a name and an anchor.
pub(crate) const PRIVATE_KEY: &str = "private-key";

const fn p(
    name: &'static str,
    anchors: &'static [&'static str],
    regex: &'static str,
) -> CredentialPattern {
    CredentialPattern {
        name,
        anchors,
        lookbehind: 0,
        regex,
        window: 512,
    }
}

const fn behind(
    name: &'static str,
    anchors: &'static [&'static str],
    lookbehind: u8,
    regex: &'static str,
) -> CredentialPattern {
    CredentialPattern {
        name,
        anchors,
        lookbehind,
        regex,
        window: 512,
    }
}

const fn long(
    name: &'static str,
    anchors: &'static [&'static str],
    regex: &'static str,
) -> CredentialPattern {
    CredentialPattern {
        name,
        anchors,
        lookbehind: 0,
        regex,
        window: 8192,
    }
}

const AWS_PREFIXES: &[&str] = &[
    "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA",
];

// Token alphabets, spelled once.
// B64U: base64url without padding; B64: standard base64 body.
macro_rules! b64u {
    () => {
        "[0-9A-Za-z_-]"
    };
}

/// The table. Where several shapes share an anchor, the more specific one
/// comes first: the scanner tries them in this order.
static PATTERNS: &[CredentialPattern] = &[
    // Cloud providers.
    p(
        "aws-access-key-id",
        AWS_PREFIXES,
        "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}",
    ),
    p(
        "aws-mws-key",
        &["amzn.mws."],
        r"amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ),
    p("gcp-api-key", &["AIza"], concat!("AIza", b64u!(), "{35}")),
    p(
        "gcp-oauth-client-secret",
        &["GOCSPX-"],
        concat!("GOCSPX-", b64u!(), "{28}"),
    ),
    p(
        "google-oauth-access-token",
        &["ya29."],
        concat!(r"ya29\.", b64u!(), "{20,}"),
    ),
    p(
        "google-oauth-refresh-token",
        &["1//0"],
        concat!("1//0", b64u!(), "{30,}"),
    ),
    p(
        "azure-storage-account-key",
        &["AccountKey="],
        "AccountKey=(?P<s>[0-9A-Za-z+/]{86}==)",
    ),
    behind(
        "azure-ad-client-secret",
        &["8Q~"],
        3,
        "[0-9A-Za-z_~.-]{3}8Q~[0-9A-Za-z_~.-]{31,34}",
    ),
    p("digitalocean-pat", &["dop_v1_"], "dop_v1_[0-9a-f]{64}"),
    p(
        "digitalocean-oauth-token",
        &["doo_v1_"],
        "doo_v1_[0-9a-f]{64}",
    ),
    p(
        "digitalocean-refresh-token",
        &["dor_v1_"],
        "dor_v1_[0-9a-f]{64}",
    ),
    p(
        "heroku-api-key",
        &["HRKU-"],
        concat!("HRKU-", b64u!(), "{40,}"),
    ),
    p(
        "cloudflare-origin-ca-key",
        &["v1.0-"],
        r"v1\.0-[0-9a-f]{24}-[0-9a-f]{146}",
    ),
    p("fly-io-token", &["fo1_"], concat!("fo1_", b64u!(), "{40,}")),
    p("pulumi-token", &["pul-"], "pul-[0-9a-f]{40}"),
    p(
        "planetscale-token",
        &["pscale_"],
        "pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_.=-]{32,}",
    ),
    p(
        "hashicorp-vault-token",
        &["hvs.", "hvb."],
        concat!(r"hv[sb]\.", b64u!(), "{24,}"),
    ),
    p(
        "doppler-token",
        &["dp."],
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z]{40,44}",
    ),
    p("databricks-token", &["dapi"], "dapi[0-9a-f]{32}(?:-[0-9])?"),
    // Source hosting and package registries.
    p("github-pat", &["ghp_"], "ghp_[0-9A-Za-z]{36}"),
    p("github-oauth-token", &["gho_"], "gho_[0-9A-Za-z]{36}"),
    p("github-user-token", &["ghu_"], "ghu_[0-9A-Za-z]{36}"),
    p("github-app-token", &["ghs_"], "ghs_[0-9A-Za-z]{36}"),
    p("github-refresh-token", &["ghr_"], "ghr_[0-9A-Za-z]{36}"),
    p(
        "github-fine-grained-pat",
        &["github_pat_"],
        "github_pat_[0-9A-Za-z_]{60,}",
    ),
    p(
        "gitlab-pat",
        &["glpat-"],
        concat!("glpat-", b64u!(), "{20,}"),
    ),
    p(
        "gitlab-pipeline-trigger-token",
        &["glptt-"],
        "glptt-[0-9a-f]{40}",
    ),
    p(
        "gitlab-runner-registration-token",
        &["GR1348941"],
        concat!("GR1348941", b64u!(), "{20,}"),
    ),
    p(
        "gitlab-runner-token",
        &["glrt-"],
        concat!("glrt-", b64u!(), "{20,}"),
    ),
    p(
        "gitlab-deploy-token",
        &["gldt-"],
        concat!("gldt-", b64u!(), "{20,}"),
    ),
    p(
        "gitlab-feed-token",
        &["glft-"],
        concat!("glft-", b64u!(), "{20,}"),
    ),
    p(
        "gitlab-oauth-secret",
        &["gloas-"],
        concat!("gloas-", b64u!(), "{64}"),
    ),
    p(
        "gitlab-job-token",
        &["glcbt-"],
        concat!("glcbt-", b64u!(), "{20,}"),
    ),
    p("npm-token", &["npm_"], "npm_[0-9A-Za-z]{36}"),
    p(
        "pypi-token",
        &["pypi-AgEIcHlwaS5vcmc"],
        concat!("pypi-AgEIcHlwaS5vcmc", b64u!(), "{50,}"),
    ),
    p("huggingface-token", &["hf_"], "hf_[A-Za-z]{34}"),
    p(
        "postman-api-key",
        &["PMAK-"],
        "PMAK-[0-9a-f]{24}-[0-9a-f]{34}",
    ),
    // Chat platforms and messaging.
    p(
        "slack-bot-token",
        &["xox"],
        "xoxb-[0-9]{8,13}-[0-9]{8,13}-[0-9A-Za-z]{20,}",
    ),
    p(
        "slack-user-token",
        &["xox"],
        "xoxp-[0-9]{8,13}-[0-9]{8,13}-[0-9]{8,13}-[0-9A-Za-z]{20,}",
    ),
    p(
        "slack-config-token",
        &["xox"],
        "xoxe\\.xox[bp]-[0-9]-[0-9A-Za-z]{100,}",
    ),
    p(
        "slack-refresh-token",
        &["xox"],
        "xoxe-[0-9]-[0-9A-Za-z]{100,}",
    ),
    p(
        "slack-legacy-token",
        &["xox"],
        "xox[aors]-[0-9A-Za-z-]{20,}",
    ),
    p(
        "slack-app-token",
        &["xapp-"],
        "xapp-[0-9]-[0-9A-Za-z]{6,}-[0-9]{6,}-[0-9a-f]{32,}",
    ),
    p(
        "slack-webhook-url",
        &["hooks.slack.com/"],
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[0-9A-Za-z+/_-]{20,}",
    ),
    p(
        "discord-webhook-url",
        &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
        concat!(
            r"discord(?:app)?\.com/api/webhooks/[0-9]{16,20}/",
            b64u!(),
            "{60,}"
        ),
    ),
    p(
        "discord-bot-token",
        &["Bot "],
        concat!(
            "Bot (?P<s>[MNO]",
            b64u!(),
            r"{23,27}\.",
            b64u!(),
            r"{6}\.",
            b64u!(),
            "{27,40})"
        ),
    ),
    behind(
        "telegram-bot-token",
        &[":AA"],
        12,
        concat!("[0-9]{5,12}:AA", b64u!(), "{33}"),
    ),
    long("meta-access-token", &["EAA"], "EAA[0-9A-Za-z]{60,}"),
    long(
        "instagram-access-token",
        &["IGQV"],
        concat!("IGQV", b64u!(), "{60,}"),
    ),
    p("twilio-api-key", &["SK"], "SK[0-9a-fA-F]{32}"),
    p(
        "sendgrid-api-key",
        &["SG."],
        concat!(r"SG\.", b64u!(), r"{22}\.", b64u!(), "{43}"),
    ),
    p(
        "brevo-api-key",
        &["xkeysib-"],
        "xkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16}",
    ),
    p("mailgun-api-key", &["key-"], "key-[0-9a-f]{32}"),
    behind(
        "mailchimp-api-key",
        &["-us"],
        32,
        "[0-9a-f]{32}-us[0-9]{1,2}",
    ),
    // Payments and shops.
    p(
        "stripe-secret-key",
        &["sk_live_", "sk_test_"],
        "sk_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    p(
        "stripe-restricted-key",
        &["rk_live_", "rk_test_"],
        "rk_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    p(
        "stripe-webhook-secret",
        &["whsec_"],
        "whsec_[0-9A-Za-z+/=]{24,}",
    ),
    p(
        "paypal-braintree-access-token",
        &["access_token$"],
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
    ),
    p(
        "braintree-tokenization-key",
        &["production_", "sandbox_"],
        "(?:production|sandbox)_[0-9a-z]{8}_[0-9a-z]{16}",
    ),
    p(
        "square-access-token",
        &["sq0atp-"],
        concat!("sq0atp-", b64u!(), "{22}"),
    ),
    p(
        "square-oauth-secret",
        &["sq0csp-"],
        concat!("sq0csp-", b64u!(), "{43}"),
    ),
    p(
        "flutterwave-secret-key",
        &["FLWSECK"],
        "FLWSECK(?:_TEST)?-[0-9a-f]{32}-X",
    ),
    p("shopify-access-token", &["shpat_"], "shpat_[0-9a-fA-F]{32}"),
    p(
        "shopify-custom-app-token",
        &["shpca_"],
        "shpca_[0-9a-fA-F]{32}",
    ),
    p(
        "shopify-private-app-token",
        &["shppa_"],
        "shppa_[0-9a-fA-F]{32}",
    ),
    p(
        "shopify-shared-secret",
        &["shpss_"],
        "shpss_[0-9a-fA-F]{32}",
    ),
    long("wix-api-key", &["IST."], r"IST\.eyJ[0-9A-Za-z_.-]{20,}"),
    // AI providers.
    p(
        "openai-project-key",
        &["sk-"],
        concat!("sk-proj-", b64u!(), "{40,}"),
    ),
    p(
        "openai-service-account-key",
        &["sk-"],
        concat!("sk-svcacct-", b64u!(), "{40,}"),
    ),
    p(
        "openai-admin-key",
        &["sk-"],
        concat!("sk-admin-", b64u!(), "{40,}"),
    ),
    p(
        "anthropic-api-key",
        &["sk-"],
        concat!("sk-ant-(?:api|admin)[0-9]{2}-", b64u!(), "{80,}"),
    ),
    p(
        "openai-legacy-key",
        &["sk-"],
        "sk-[0-9A-Za-z]{20}T3BlbkFJ[0-9A-Za-z]{20}",
    ),
    // Developer tools and SaaS.
    p(
        "atlassian-api-token",
        &["ATATT3"],
        "ATATT3[0-9A-Za-z_=-]{100,}",
    ),
    p("linear-api-key", &["lin_api_"], "lin_api_[0-9A-Za-z]{40}"),
    p(
        "notion-token",
        &["secret_", "ntn_"],
        "(?:secret|ntn)_[0-9A-Za-z]{43,46}",
    ),
    p(
        "grafana-service-account-token",
        &["glsa_"],
        "glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}",
    ),
    p(
        "grafana-cloud-token",
        &["glc_"],
        "glc_[0-9A-Za-z+/]{32,}={0,2}",
    ),
    p(
        "sentry-org-token",
        &["sntrys_"],
        "sntrys_eyJ[0-9A-Za-z+/=_-]{30,}",
    ),
    p("sentry-user-token", &["sntryu_"], "sntryu_[0-9a-f]{64}"),
    p("new-relic-user-key", &["NRAK-"], "NRAK-[0-9A-Z]{27}"),
    p(
        "mapbox-secret-token",
        &["sk.eyJ"],
        r"sk\.eyJ[0-9A-Za-z_.-]{40,}",
    ),
    p("dropbox-token", &["sl."], r"sl\.[0-9A-Za-z._-]{130,}"),
    p(
        "age-secret-key",
        &["AGE-SECRET-KEY-1"],
        "AGE-SECRET-KEY-1[0-9A-Z]{58}",
    ),
    // Generic shapes.
    long(
        "jwt",
        &["eyJ"],
        concat!(
            "eyJ",
            b64u!(),
            r"{5,}\.",
            b64u!(),
            r"{5,}(?:\.",
            b64u!(),
            "*){1,3}"
        ),
    ),
    p(
        "url-credentials",
        &["://"],
        r#"://[^\s:/@"'\\<>]{1,64}:(?P<s>[^\s/@"'\\<>]{1,128})@"#,
    ),
    p(
        PRIVATE_KEY,
        &["-----BEGIN"],
        "-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----",
    ),
];
