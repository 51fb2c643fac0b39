//! A view of a `SparkConf`: string keys and values, read with Spark's parsers.
//!
//! Spark reads a key through a typed `ConfigEntry` (`intConf`, `booleanConf`, `timeConf`,
//! `bytesConf`, `.toSequence`, `checkValue`) or through `SparkConf.getLong`; each getter here
//! names the Spark accessor whose parsing it copies, and a value Spark rejects is a
//! [`Error::ConfValue`] naming what was expected.

use std::collections::BTreeMap;
use std::fmt;

use super::java;
use crate::{Error, Result};

/// What a configuration value must look like, as Spark's accessor for the key parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfType {
    /// `intConf`: a 32-bit integer, surrounding whitespace allowed.
    Int,
    /// `String.toInt` without trimming (the dispatcher's REST servlet reads some keys so).
    PlainInt,
    /// `SparkConf.getLong`: a 64-bit integer, no whitespace.
    Long,
    /// `doubleConf`: a number, surrounding whitespace allowed.
    Double,
    /// `String.toDouble` without a config entry (the REST servlet's reading).
    PlainDouble,
    /// `doubleConf` with `checkValue(_ > 0)`.
    PositiveDouble,
    /// `booleanConf`: `true` or `false` in any case, surrounding whitespace allowed.
    Boolean,
    /// `timeConf`: an integer with an optional unit (`us`, `ms`, `s`, `m`, `min`, `h`, `d`).
    Time,
    /// `bytesConf` / `Utils.memoryStringToMb`: a non-negative integer with an optional unit
    /// (`b`, `k`, `m`, `g`, `t`, `p`, each also with a trailing `b`).
    Size,
    /// A size whose conversion to the target unit stays within `i64` (Spark's `ByteUnit`
    /// refuses larger ones with an `IllegalArgumentException` of its own).
    SizeInRange,
    /// `checkValues`: one of the listed strings.
    OneOf(&'static [&'static str]),
}

impl fmt::Display for ConfType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int | Self::PlainInt => f.write_str("int"),
            Self::Long => f.write_str("long"),
            Self::Double | Self::PlainDouble => f.write_str("double"),
            Self::PositiveDouble => f.write_str("a double greater than 0"),
            Self::Boolean => f.write_str("boolean"),
            Self::Time => f.write_str("a time (e.g. 120s, 2m, 500ms)"),
            Self::Size => f.write_str("a size (e.g. 512m, 1g)"),
            Self::SizeInRange => f.write_str("a size below 2^63 bytes"),
            Self::OneOf(values) => write!(f, "one of {}", values.join(", ")),
        }
    }
}

/// The unit a time value is converted to, and the unit of a bare number (Java's `TimeUnit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Microseconds.
    Micros,
    /// Milliseconds.
    Millis,
    /// Seconds.
    Seconds,
}

impl TimeUnit {
    fn micros(self) -> i64 {
        match self {
            Self::Micros => 1,
            Self::Millis => 1_000,
            Self::Seconds => 1_000_000,
        }
    }
}

/// The unit a size is converted to, and the unit of a bare number (Spark's `ByteUnit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteUnit {
    /// Bytes: `Utils.memoryStringToMb` reads bare numbers so.
    Byte,
    /// Mebibytes: `bytesConf(ByteUnit.MiB)`.
    MiB,
}

impl ByteUnit {
    fn bytes(self) -> i64 {
        match self {
            Self::Byte => 1,
            Self::MiB => 1 << 20,
        }
    }
}

/// String keys and values, as `spark-submit --conf`, a properties file or a REST submission
/// hands them over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SparkConf {
    entries: BTreeMap<String, String>,
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SparkConf {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self { entries: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

impl SparkConf {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing an earlier value.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.entries.insert(key.into(), value.into());
        self
    }

    /// The raw value of `key` (`SparkConf.getOption`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Whether `key` is set (`SparkConf.contains`).
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Every key and value, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn parse<T>(
        &self,
        key: &str,
        expected: ConfType,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => parse(value).map(Some).ok_or_else(|| Error::ConfValue {
                key: key.to_owned(),
                value: value.to_owned(),
                expected,
            }),
        }
    }

    /// `intConf`.
    pub fn get_int(&self, key: &str) -> Result<Option<i32>> {
        self.parse(key, ConfType::Int, |v| java::parse_int(java::trim(v)))
    }

    /// `String.toInt` on the raw value.
    pub fn get_plain_int(&self, key: &str) -> Result<Option<i32>> {
        self.parse(key, ConfType::PlainInt, java::parse_int)
    }

    /// `SparkConf.getLong`.
    pub fn get_long(&self, key: &str) -> Result<Option<i64>> {
        self.parse(key, ConfType::Long, java::parse_long)
    }

    /// `doubleConf`.
    pub fn get_double(&self, key: &str) -> Result<Option<f64>> {
        self.parse(key, ConfType::Double, java::parse_double)
    }

    /// `String.toDouble` on the raw value.
    pub fn get_plain_double(&self, key: &str) -> Result<Option<f64>> {
        self.parse(key, ConfType::PlainDouble, java::parse_double)
    }

    /// `doubleConf.checkValue(_ > 0)`: a malformed value and a value not above zero both fail.
    pub fn get_positive_double(&self, key: &str) -> Result<Option<f64>> {
        self.parse(key, ConfType::PositiveDouble, |v| java::parse_double(v).filter(|d| *d > 0.0))
    }

    /// `booleanConf`.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        self.parse(key, ConfType::Boolean, |v| {
            let v = java::trim(v);
            if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })
    }

    /// `timeConf(unit)`: the value converted to `unit`, bare numbers taken in `unit`.
    pub fn get_time(&self, key: &str, unit: TimeUnit) -> Result<Option<i64>> {
        self.parse(key, ConfType::Time, |v| time_string_as(v, unit))
    }

    /// `bytesConf(unit)` and `Utils.memoryStringToMb` (with [`ByteUnit::Byte`] for bare
    /// numbers, then divided down to MiB by the caller).
    pub fn get_size(&self, key: &str, unit: ByteUnit) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => byte_string_as(value, unit).map(Some).map_err(|expected| {
                Error::ConfValue { key: key.to_owned(), value: value.to_owned(), expected }
            }),
        }
    }

    /// `stringConf.checkValues(allowed)`.
    pub fn get_one_of(&self, key: &str, allowed: &'static [&'static str]) -> Result<Option<&str>> {
        match self.get(key) {
            Some(v) if !allowed.contains(&v) => Err(Error::ConfValue {
                key: key.to_owned(),
                value: v.to_owned(),
                expected: ConfType::OneOf(allowed),
            }),
            other => Ok(other),
        }
    }

    /// `stringConf.toSequence`: comma-separated, items trimmed, empty items dropped.
    pub fn get_seq(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(java::string_to_seq)
    }
}

/// `JavaUtils.timeStringAs`: `-?[0-9]+` and an optional unit, after lower-casing and trimming.
/// Conversion to a coarser unit truncates; to a finer one saturates, like `TimeUnit.convert`.
fn time_string_as(s: &str, unit: TimeUnit) -> Option<i64> {
    let lower = s.to_lowercase();
    let lower = java::trim(&lower);
    let digits_start = usize::from(lower.starts_with('-'));
    let digits_end = lower[digits_start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(lower.len(), |i| i + digits_start);
    let (number, suffix) = lower.split_at(digits_end);
    if number.len() == digits_start || !suffix.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let value = java::parse_long(number)?;
    let micros_per = match suffix {
        "" => unit.micros(),
        "us" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => return None,
    };
    let target = unit.micros();
    Some(if micros_per >= target {
        value.saturating_mul(micros_per / target)
    } else {
        value / (target / micros_per)
    })
}

/// `JavaUtils.byteStringAs`: `[0-9]+` and an optional unit, after lower-casing and trimming;
/// fractions and negative numbers are rejected ([`ConfType::Size`]), and so is a result beyond
/// `i64::MAX` ([`ConfType::SizeInRange`]).
fn byte_string_as(s: &str, unit: ByteUnit) -> Result<i64, ConfType> {
    let lower = s.to_lowercase();
    let lower = java::trim(&lower);
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, suffix) = lower.split_at(digits_end);
    if number.is_empty() || !suffix.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(ConfType::Size);
    }
    let value = java::parse_long(number).ok_or(ConfType::Size)?;
    let from: i64 = match suffix {
        "" => unit.bytes(),
        "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        "t" | "tb" => 1 << 40,
        "p" | "pb" => 1 << 50,
        _ => return Err(ConfType::Size),
    };
    let to = unit.bytes();
    if from > to {
        value.checked_mul(from / to).ok_or(ConfType::SizeInRange)
    } else {
        Ok(value / (to / from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_convert_like_java_utils() {
        let s = |v| time_string_as(v, TimeUnit::Seconds);
        assert_eq!(s("120s"), Some(120));
        assert_eq!(s("2m"), Some(120));
        assert_eq!(s("2min"), Some(120));
        assert_eq!(s(" 1500MS "), Some(1));
        assert_eq!(s("45"), Some(45));
        assert_eq!(s("-5s"), Some(-5));
        assert_eq!(s("1d"), Some(86_400));
        assert_eq!(s("1.5s"), None);
        assert_eq!(s("10x"), None);
        assert_eq!(s("s"), None);
        assert_eq!(s("-"), None);
        assert_eq!(s("1 s"), None);
        assert_eq!(time_string_as("9223372036854775807d", TimeUnit::Millis), Some(i64::MAX));
    }

    #[test]
    fn sizes_convert_like_java_utils() {
        assert_eq!(byte_string_as("1g", ByteUnit::MiB), Ok(1024));
        assert_eq!(byte_string_as("512", ByteUnit::MiB), Ok(512));
        assert_eq!(byte_string_as("512", ByteUnit::Byte), Ok(512));
        assert_eq!(byte_string_as("2097152k", ByteUnit::MiB), Ok(2048));
        assert_eq!(byte_string_as("1023k", ByteUnit::MiB), Ok(0));
        assert_eq!(byte_string_as("1.5g", ByteUnit::MiB), Err(ConfType::Size));
        assert_eq!(byte_string_as("-1g", ByteUnit::MiB), Err(ConfType::Size));
        assert_eq!(byte_string_as("8388608t", ByteUnit::Byte), Err(ConfType::SizeInRange));
    }

    #[test]
    fn typed_getters_report_the_key() {
        let conf: SparkConf = [("a", " 12 "), ("b", "TRUE"), ("c", "x")].into_iter().collect();
        assert_eq!(conf.get_int("a").unwrap(), Some(12));
        assert!(conf.get_plain_int("a").is_err());
        assert_eq!(conf.get_bool("b").unwrap(), Some(true));
        assert_eq!(conf.get_int("missing").unwrap(), None);
        match conf.get_bool("c") {
            Err(Error::ConfValue { key, expected: ConfType::Boolean, .. }) => assert_eq!(key, "c"),
            other => panic!("{other:?}"),
        }
    }
}
