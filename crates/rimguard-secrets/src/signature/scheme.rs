use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use secrecy::ExposeSecret;
use sha2::{Sha256, Sha512};

use crate::secret::SecretBytes;

/// The MAC a provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// HMAC-SHA256 (WhatsApp Cloud API, Shopify, Stripe, GitHub).
    HmacSha256,
    /// HMAC-SHA512.
    HmacSha512,
}

impl Algorithm {
    /// The MAC of `message` under `key`.
    pub fn sign(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        match self {
            Self::HmacSha256 => mac::<Hmac<Sha256>>(key, message)
                .finalize()
                .into_bytes()
                .to_vec(),
            Self::HmacSha512 => mac::<Hmac<Sha512>>(key, message)
                .finalize()
                .into_bytes()
                .to_vec(),
        }
    }

    /// Whether `signature` is the MAC of `message` under `key`, compared in
    /// constant time. A signature of the wrong length is not.
    pub fn verify(self, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::HmacSha256 => mac::<Hmac<Sha256>>(key, message)
                .verify_slice(signature)
                .is_ok(),
            Self::HmacSha512 => mac::<Hmac<Sha512>>(key, message)
                .verify_slice(signature)
                .is_ok(),
        }
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> M {
    let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac
}

/// How the signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Hexadecimal, either case.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

impl Encoding {
    /// Decodes `text`, or `None` when it is not of this encoding.
    pub fn decode(self, text: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Hex => hex::decode(text).ok(),
            Self::Base64 => BASE64.decode(text).ok(),
        }
    }

    /// Decodes a MAC of at most 64 bytes without allocating.
    fn decode_mac(self, text: &[u8]) -> Option<Mac64> {
        let mut mac = Mac64 {
            bytes: [0; 64],
            len: 0,
        };
        mac.len = match self {
            Self::Hex if text.len().is_multiple_of(2) && text.len() <= 128 => {
                let len = text.len() / 2;
                decode_hex(text, &mut mac.bytes[..len])?;
                len
            }
            Self::Hex => return None,
            Self::Base64 => BASE64.decode_slice(text, &mut mac.bytes).ok()?,
        };
        Some(mac)
    }

    /// Encodes `bytes`.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(bytes),
            Self::Base64 => BASE64.encode(bytes),
        }
    }
}

/// The value of each hex digit (either case); 0xFF for other bytes.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Decodes hex `text` (twice `out.len()` digits) into `out` through a
/// table, checking every digit once at the end.
fn decode_hex(text: &[u8], out: &mut [u8]) -> Option<()> {
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (high, low) = (
            HEX_VALUES[usize::from(pair[0])],
            HEX_VALUES[usize::from(pair[1])],
        );
        invalid |= (high | low) & 0xF0;
        *byte = (high << 4) | (low & 0x0F);
    }
    (invalid == 0).then_some(())
}

/// Where and how a provider sends its signature: the header, a prefix
/// before the value, the encoding and the algorithm.
///
/// # Example
///
/// ```
/// use http::HeaderName;
/// use rimguard_secrets::signature::{Algorithm, Encoding, SignatureScheme};
///
/// let whatsapp = SignatureScheme::whatsapp();
/// assert_eq!(whatsapp.header().as_str(), "x-hub-signature-256");
///
/// let shopify = SignatureScheme::new(HeaderName::from_static("x-shopify-hmac-sha256"))
///     .with_encoding(Encoding::Base64)
///     .with_algorithm(Algorithm::HmacSha256);
/// assert_eq!(shopify.prefix(), "");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureScheme {
    header: HeaderName,
    prefix: Cow<'static, str>,
    encoding: Encoding,
    algorithm: Algorithm,
}

impl SignatureScheme {
    /// A hex HMAC-SHA256 in header `header`, with no prefix.
    pub fn new(header: HeaderName) -> Self {
        Self {
            header,
            prefix: Cow::Borrowed(""),
            encoding: Encoding::Hex,
            algorithm: Algorithm::HmacSha256,
        }
    }

    /// The WhatsApp Cloud API's (and Meta's) scheme:
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    pub fn whatsapp() -> Self {
        Self::new(HeaderName::from_static("x-hub-signature-256")).with_prefix("sha256=")
    }

    /// Sets the text before the signature (such as `sha256=`), matched
    /// exactly.
    pub fn with_prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the encoding.
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Sets the algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The header name.
    pub fn header(&self) -> &HeaderName {
        &self.header
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The header value that signs `body` with `key`, as a provider would
    /// send it (for tests and for signing outgoing webhooks).
    pub fn header_value(&self, key: &[u8], body: &[u8]) -> String {
        let signature = self.algorithm.sign(key, body);
        format!("{}{}", self.prefix, self.encoding.encode(&signature))
    }

    /// The decoded signature of a request, or why there is none.
    pub(crate) fn find(&self, headers: &HeaderMap) -> Result<Mac64, &'static str> {
        let mut values = headers.get_all(&self.header).iter();
        let value = match (values.next(), values.next()) {
            (None, _) => return Err("missing"),
            (Some(_), Some(_)) => return Err("repeated"),
            (Some(value), None) => value.as_bytes(),
        };
        let encoded = value
            .strip_prefix(self.prefix.as_bytes())
            .ok_or("malformed")?;
        self.encoding.decode_mac(encoded).ok_or("malformed")
    }
}

/// A decoded MAC of at most 64 bytes (SHA-512's size), kept on the stack.
pub(crate) struct Mac64 {
    bytes: [u8; 64],
    len: usize,
}

impl Mac64 {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Which secret a signature matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedWith {
    /// The current secret.
    Current,
    /// The previous secret, still accepted during a rotation.
    Previous,
}

/// A secret with its HMAC key schedules computed once, so a request costs
/// the MAC of its body and not the key setup too.
#[derive(Clone)]
struct Keyed {
    macs: Box<Schedules>,
}

#[derive(Clone)]
struct Schedules {
    sha256: Hmac<Sha256>,
    sha512: Hmac<Sha512>,
}

impl Keyed {
    /// The schedules of `secret`; the secret itself is dropped (and
    /// zeroized) once they are computed.
    fn new(secret: SecretBytes) -> Self {
        let key = secret.expose_secret();
        let macs = Schedules {
            sha256: <Hmac<Sha256> as Mac>::new_from_slice(key)
                .expect("HMAC accepts keys of any length"),
            sha512: <Hmac<Sha512> as Mac>::new_from_slice(key)
                .expect("HMAC accepts keys of any length"),
        };
        drop(secret);
        Self {
            macs: Box::new(macs),
        }
    }

    fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match algorithm {
            Algorithm::HmacSha256 => {
                let mut mac = self.macs.sha256.clone();
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
            Algorithm::HmacSha512 => {
                let mut mac = self.macs.sha512.clone();
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
        }
    }
}

impl Drop for Schedules {
    /// `hmac` has no `zeroize` support, so the key schedules are
    /// overwritten with those of an empty key, and `black_box` keeps the
    /// compiler from dropping the stores as dead (best effort).
    fn drop(&mut self) {
        self.sha256 =
            <Hmac<Sha256> as Mac>::new_from_slice(&[]).expect("HMAC accepts an empty key");
        self.sha512 =
            <Hmac<Sha512> as Mac>::new_from_slice(&[]).expect("HMAC accepts an empty key");
        std::hint::black_box(&*self);
    }
}

struct Pair {
    current: Keyed,
    previous: Option<Keyed>,
}

/// The secrets a signature may be made with: the current one and, during a
/// rotation, the previous one. Clones share them; changes are atomic.
///
/// # Example
///
/// ```
/// use rimguard_secrets::signature::{SignedWith, SigningSecrets};
/// use rimguard_secrets::secret::SecretBytes;
///
/// let secrets = SigningSecrets::new(SecretBytes::from(b"old-app-secret".to_vec()));
/// secrets.rotate(SecretBytes::from(b"new-app-secret".to_vec()));
/// assert!(secrets.has_previous());
/// secrets.drop_previous();
/// assert!(!secrets.has_previous());
/// ```
#[derive(Clone)]
pub struct SigningSecrets {
    pair: Arc<ArcSwap<Pair>>,
}

impl SigningSecrets {
    /// Only `current` is accepted.
    pub fn new(current: SecretBytes) -> Self {
        let pair = Pair {
            current: Keyed::new(current),
            previous: None,
        };
        Self {
            pair: Arc::new(ArcSwap::from_pointee(pair)),
        }
    }

    /// Also accepts `previous`.
    pub fn with_previous(self, previous: SecretBytes) -> Self {
        let current = self.pair.load().current.clone();
        let pair = Pair {
            current,
            previous: Some(Keyed::new(previous)),
        };
        Self {
            pair: Arc::new(ArcSwap::from_pointee(pair)),
        }
    }

    /// Makes `new` the current secret and the current one previous.
    pub fn rotate(&self, new: SecretBytes) {
        let new = Keyed::new(new);
        self.pair.rcu(|pair| Pair {
            current: new.clone(),
            previous: Some(pair.current.clone()),
        });
    }

    /// Stops accepting the previous secret.
    pub fn drop_previous(&self) {
        self.pair.rcu(|pair| Pair {
            current: pair.current.clone(),
            previous: None,
        });
    }

    /// Whether a previous secret is still accepted.
    pub fn has_previous(&self) -> bool {
        self.pair.load().previous.is_some()
    }

    /// Which secret signed `message` with `signature`, if any.
    ///
    /// The current secret is tried first and the previous one only when it
    /// fails, so a request signed with the current secret costs one MAC.
    /// Each comparison is in constant time.
    pub fn verify(
        &self,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Option<SignedWith> {
        let pair = self.pair.load();
        if pair.current.verify(algorithm, message, signature) {
            return Some(SignedWith::Current);
        }
        let previous = pair.previous.as_ref()?;
        previous
            .verify(algorithm, message, signature)
            .then_some(SignedWith::Previous)
    }
}

impl fmt::Debug for SigningSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningSecrets")
            .field("current", &"[REDACTED]")
            .field("previous", &self.has_previous().then_some("[REDACTED]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_either_case_and_refuses_other_bytes() {
        let mut out = [0u8; 4];
        assert_eq!(decode_hex(b"00fFa9Z1", &mut out), None);
        assert_eq!(decode_hex(b"00fFa901", &mut out), Some(()));
        assert_eq!(out, [0x00, 0xff, 0xa9, 0x01]);
        for bad in [b"0g000000", b"0 000000", b"00000:00", b"\xff0000000"] {
            assert_eq!(decode_hex(&bad[..8], &mut out), None, "{bad:?}");
        }
    }

    #[test]
    fn a_mac_decodes_only_when_it_fits_64_bytes() {
        assert_eq!(
            Encoding::Hex
                .decode_mac(&[b'a'; 128])
                .unwrap()
                .as_slice()
                .len(),
            64
        );
        assert!(Encoding::Hex.decode_mac(&[b'a'; 130]).is_none());
        assert!(Encoding::Hex.decode_mac(b"abc").is_none());
        assert_eq!(
            Encoding::Base64.decode_mac(b"AAEC").unwrap().as_slice(),
            [0, 1, 2]
        );
    }
}
