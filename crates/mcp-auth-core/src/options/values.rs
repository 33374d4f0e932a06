//! Numeric and time-span options: one place that parses them and refuses,
//! by name, unit and range, anything that is not a sensible value.

use crate::error::{AuthError, AuthResult};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Seconds as a number, or a jose-style span such as `"30s"` or `"5 minutes"`.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    Seconds(f64),
    Text(String),
}

/// JSON has no literal for a non-finite number, so bindings spell one as
/// JavaScript prints it; it then reaches the range checks, which refuse it
/// by name like any other out-of-range value.
fn non_finite(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<f64, E> {
        Ok(n)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<f64, E> {
        Ok(n as f64)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<f64, E> {
        Ok(n as f64)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<f64, E> {
        // Never echo the string: it could be a secret in the wrong place.
        non_finite(text).ok_or_else(|| E::invalid_type(de::Unexpected::Other("a string"), &self))
    }
}

/// A numeric option (`#[serde(default, deserialize_with = "number")]`):
/// any JSON number, or a non-finite one as a binding spells it.
pub fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Option::<Number>::deserialize(deserializer).map(|n| n.map(|Number(n)| n))
}

struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor).map(Number)
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Seconds(n) => serializer.serialize_f64(*n),
            Self::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpanVisitor;
        impl Visitor<'_> for SpanVisitor {
            type Value = Span;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Span, E> {
                Ok(Span::Seconds(n))
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Span, E> {
                Ok(Span::Seconds(n as f64))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Span, E> {
                Ok(Span::Seconds(n as f64))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Span, E> {
                Ok(non_finite(text).map_or_else(|| Span::Text(text.to_owned()), Span::Seconds))
            }
        }
        deserializer.deserialize_any(SpanVisitor)
    }
}

/// Parses a jose-style time span into whole seconds, from 0 to `max`.
pub fn parse_span(span: &Span, what: &str, max: u64) -> AuthResult<u64> {
    let bad = |got: String| {
        AuthError::config(format!(
            "`{what}` must be a number of seconds from 0 to {max} or a span such as \"30s\", got {got}"
        ))
    };
    let seconds = match span {
        Span::Seconds(n) => *n,
        Span::Text(text) => {
            let shown = || {
                let mut shown: String = text.chars().take(32).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            };
            let trimmed = text.trim();
            let split = trimmed
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(trimmed.len());
            let (number, unit) = trimmed.split_at(split);
            let number: f64 = number.parse().map_err(|_| bad(shown()))?;
            let factor = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
                "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
                "d" | "day" | "days" => 86_400.0,
                "w" | "week" | "weeks" => 604_800.0,
                _ => return Err(bad(shown())),
            };
            number * factor
        }
    };
    if !seconds.is_finite() || seconds < 0.0 || seconds.round() > max as f64 {
        return Err(bad(seconds.to_string()));
    }
    Ok(seconds.round() as u64)
}

/// An optional integer option within `range`, in `unit`s; anything else
/// (negative, fractional, NaN, infinite, too large) is refused by name.
pub fn integer(
    value: Option<f64>,
    default: u64,
    what: &str,
    unit: &str,
    range: std::ops::RangeInclusive<u64>,
) -> AuthResult<u64> {
    let Some(n) = value else {
        return Ok(default);
    };
    let fits =
        n.is_finite() && n.fract() == 0.0 && n >= *range.start() as f64 && n <= *range.end() as f64;
    if !fits {
        return Err(AuthError::config(format!(
            "`{what}` must be an integer number of {unit} from {} to {}, got {n}",
            range.start(),
            range.end()
        )));
    }
    Ok(n as u64)
}

pub fn millis(
    value: Option<f64>,
    default: Duration,
    what: &str,
    range: std::ops::RangeInclusive<u64>,
) -> AuthResult<Duration> {
    let ms = integer(
        value,
        default.as_millis() as u64,
        what,
        "milliseconds",
        range,
    )?;
    Ok(Duration::from_millis(ms))
}

/// Upper bounds of the numeric options: generous, but far from anything
/// that wraps, overflows or allocates without bound.
pub const DAY_MS: u64 = 86_400_000;
pub const MAX_TOKEN_LENGTH: u64 = 1024 * 1024;
pub const MAX_TOKEN_CACHE_SIZE: u64 = 1_000_000;
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_TOKEN_AGE: u64 = 366 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(parse_span(&Span::Seconds(30.0), "x", 300).unwrap(), 30);
        assert_eq!(parse_span(&Span::Text("30s".into()), "x", 300).unwrap(), 30);
        assert_eq!(
            parse_span(&Span::Text("5 minutes".into()), "x", 300).unwrap(),
            300
        );
        assert_eq!(
            parse_span(&Span::Text("1h".into()), "x", 3600).unwrap(),
            3600
        );
        assert!(parse_span(&Span::Text("soon".into()), "x", 300).is_err());
        assert!(parse_span(&Span::Seconds(-1.0), "x", 300).is_err());
        assert!(parse_span(&Span::Seconds(f64::NAN), "x", 300).is_err());
    }
}
