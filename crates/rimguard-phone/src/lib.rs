//! Phone numbers for rimguard: libphonenumber-exact parsing and validation,
//! WhatsApp ids, masking, and a Tower layer.
//!
//! Customers type their numbers in every shape (`+44 20 7946 0958`,
//! `(020) 7946-0958`, `0044 …`, WhatsApp ids without `+`). This crate turns
//! them into E.164 and answers the questions Google's libphonenumber
//! answers, with its answers:
//!
//! - [`PhoneNumber::parse`] — lenient parsing with an optional default
//!   [`Region`]: international prefixes (`00`, `011`, …), national trunk
//!   prefixes, `+44 (0)20`, extensions, `tel:` URIs, digits of any script;
//! - [`is_valid`](PhoneNumber::is_valid) (the plan allows the number),
//!   [`is_possible`](PhoneNumber::is_possible) (its length fits),
//!   [`region`](PhoneNumber::region), [`number_type`](PhoneNumber::number_type);
//! - [`e164`](PhoneNumber::e164), [`format_international`](PhoneNumber::format_international),
//!   [`format_national`](PhoneNumber::format_national),
//!   [`format_rfc3966`](PhoneNumber::format_rfc3966);
//! - [`Strictness::Strict`] parsing for input that identifies a caller: no
//!   hidden characters, no letters, no surrounding text, bounded length;
//! - [`whatsapp`]: `wa_id`s, business-scoped ids, and the spellings one id
//!   may have (Mexico, Argentina, Brazil);
//! - [`Masked`] display (`+44 ••• ••• 0958`) and keyed [`Pseudonym`]s;
//! - with features: `serde` ([`ValidPhoneNumber`]), `validator`
//!   (`validate_phone`) and `layer` ([`PhoneLayer`]).
//!
//! # Example
//!
//! ```
//! use rimguard_phone::{NumberType, PhoneNumber, Region};
//!
//! let gb = Region::new("GB");
//! let number = PhoneNumber::parse("0044 20 7946 0958", gb).unwrap();
//! assert_eq!(number.e164().as_str(), "+442079460958");
//! assert!(number.is_valid());
//!
//! let mobile = PhoneNumber::parse("+44 (0) 7911 123456", None).unwrap();
//! assert_eq!(mobile.number_type(), NumberType::Mobile);
//! assert_eq!(mobile.format_national(), "07911 123456");
//!
//! // Strict mode refuses what lenient parsing would quietly repair.
//! assert!(PhoneNumber::parse("+44 20 7946 0958\u{200B}", None).is_ok());
//! assert!(PhoneNumber::parse_strict("+44 20 7946 0958\u{200B}", None).is_err());
//! ```
//!
//! # Exactness and metadata
//!
//! The numbering plans are libphonenumber's, release
//! [`METADATA_VERSION`], generated into static tables by
//! `tools/gen_metadata.py` (the crate README says how to update them). The
//! algorithm is written for this crate and follows libphonenumber's; the
//! test suite runs a 5,000-case corpus produced by libphonenumber's Python
//! port and agrees with every case.
//!
//! # Speed and memory
//!
//! The plans' patterns are regular expressions over digits. Instead of a
//! regex engine and a cache of compiled expressions (what makes other ports
//! hold a lock or hundreds of megabytes), the generator compiles them ahead
//! of time: the patterns that are only tested (number types, leading
//! digits, format choice) become minimized DFAs over the ten digits, one
//! table step per digit; the few whose capture groups matter (national
//! prefixes, formats) become bytecode for a small backtracking matcher with
//! Python's leftmost-first semantics. Each type description also carries a
//! two-digit prefix filter and its possible lengths, checked first. All of
//! it is `static` data: nothing is compiled or cached at run time, there is
//! no lazy state and no lock, and memory does not grow as regions are used.
//! E.164 and WhatsApp-id input takes a fast path that skips the text
//! handling. A parsed [`PhoneNumber`] lives on the stack; only formatting
//! to a `String` allocates. Figures are in `docs/benchmarks.md`.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `serde` | yes | `Serialize`/`Deserialize` for [`PhoneNumber`], [`ValidPhoneNumber`], [`Region`], [`NumberType`] |
//! | `layer` | yes | [`PhoneLayer`] and [`PhoneConfig`] (needs `serde`) |
//! | `validator` | no | `validate_phone` for `#[validate(custom(function = ...))]` |
//!
//! # Limitations
//!
//! - Short numbers (`112`, `999`) and carrier, geocoding and time-zone data
//!   of libphonenumber are not included; `911` is not a valid number here,
//!   as in libphonenumber's `is_valid_number`.
//! - Extension digits are kept as ASCII digits (libphonenumber keeps them as
//!   typed); formatting is otherwise libphonenumber's.
//! - Python's `\w` (used to trim junk after a number) is approximated with
//!   Rust's `char::is_alphanumeric`; they differ on a few combining marks.
//! - As-you-type formatting, number matching and out-of-country dialling
//!   formats are not provided.
//! - The WhatsApp spelling rules cover the three known cases; an id of
//!   another country is its own only candidate.

mod automaton;
mod error;
mod format;
mod mask;
mod matcher;
mod metadata;
mod number;
mod parse;
mod region;
mod strict;
mod text;
mod unicode;
pub mod whatsapp;

#[cfg(feature = "layer")]
pub mod layer;

#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "validator")]
mod validate;

pub use error::ParseError;
pub use mask::{KeyTooShort, Masked, Pseudonym, Pseudonymizer};
pub use number::{Details, E164, NumberType, PhoneNumber};
pub use region::{Region, UnknownRegion};
pub use strict::{STRICT_MAX_LEN, Strictness};
pub use whatsapp::{BusinessScopedId, WaSender, parse_wa_sender};

#[cfg(feature = "layer")]
pub use layer::{PhoneConfig, PhoneLayer, PhonePolicy, PhoneService, PhoneSource, ValidatedPhone};
#[cfg(feature = "serde")]
pub use serde_impl::ValidPhoneNumber;
#[cfg(feature = "validator")]
pub use validate::{validate_phone, validate_possible_phone};

/// The libphonenumber release whose numbering-plan metadata this crate holds
/// (through its Python port `phonenumbers` of the same version).
pub const METADATA_VERSION: &str = metadata::VERSION;
