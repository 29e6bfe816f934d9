//! `validator` integration: functions for `#[validate(custom(function = ...))]`.

use std::borrow::Cow;

use validator::ValidationError;

use crate::{PhoneNumber, Strictness};

/// Validates that a string is a valid phone number in international form,
/// parsed strictly (see [`Strictness::Strict`]).
///
/// The error code is `"phone"`; the message never contains the value.
///
/// # Errors
///
/// A [`ValidationError`] when the value does not parse or is not valid.
///
/// # Example
///
/// ```
/// use validator::Validate;
///
/// #[derive(Validate)]
/// struct Signup {
///     #[validate(custom(function = "rimguard_phone::validate_phone"))]
///     phone: String,
/// }
///
/// assert!(Signup { phone: "+44 20 7946 0958".into() }.validate().is_ok());
/// assert!(Signup { phone: "+44 20 7946 095".into() }.validate().is_err());
/// ```
pub fn validate_phone<T: AsRef<str> + ?Sized>(value: &T) -> Result<(), ValidationError> {
    check(value.as_ref(), PhoneNumber::is_valid)
}

/// Like [`validate_phone`], accepting any number whose length is possible.
///
/// # Errors
///
/// A [`ValidationError`] when the value does not parse or is not possible.
pub fn validate_possible_phone<T: AsRef<str> + ?Sized>(value: &T) -> Result<(), ValidationError> {
    check(value.as_ref(), PhoneNumber::is_possible)
}

fn check(value: &str, accept: fn(&PhoneNumber) -> bool) -> Result<(), ValidationError> {
    match PhoneNumber::parse_with(value, None, Strictness::Strict) {
        Ok(number) if accept(&number) => Ok(()),
        Ok(_) => Err(error("not a valid phone number")),
        Err(e) => Err(error(e.to_string())),
    }
}

fn error(message: impl Into<Cow<'static, str>>) -> ValidationError {
    ValidationError::new("phone").with_message(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_possible_and_refused_values() {
        assert!(validate_phone("+44 20 7946 095").is_err());
        assert!(validate_possible_phone("+44 20 7946 095").is_ok());
        assert!(validate_phone(&String::from("+44 7911 123456")).is_ok());
        let err = validate_phone("+44 7911 123456\u{200E}").unwrap_err();
        assert_eq!(err.code, "phone");
    }
}
