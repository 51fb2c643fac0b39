//! `application/json`: messages as Mesos writes and reads them (stout's `JSON::protobuf` and
//! `protobuf::parse`), not protobuf's canonical JSON mapping.
//!
//! * Keys are the proto field names (snake_case); enums are value names; `bytes` are
//!   standard base64; repeated fields are arrays; 64-bit integers are plain numbers.
//! * Writing: set fields, non-empty repeated fields, and (as Mesos does) unset optional
//!   fields that declare an explicit default and are not deprecated, with that default
//!   (`Filters {}` is written `{"refuse_seconds":5.0}`).
//! * Reading: unknown keys are ignored, `null` means unset, a single value where an array
//!   belongs counts as a one-element array, numbers and booleans may come as strings (newer
//!   masters accept those too), base64 may lack padding. An unknown enum name in a required
//!   field is an error; in an optional or repeated field it is dropped, as proto2 (and Mesos
//!   since 1.5) does with unknown values. Any other mismatch is an [`Error`], and so is a
//!   missing required field.
//!
//! Each message's fields are listed once, in `.proto` order, in `json/messages.rs`.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::proto::ProtoEnum;

/// The two content types of the scheduler API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl ContentType {
    /// The MIME type, for `Content-Type` and `Accept` headers.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }

    /// The content type a header value names, ignoring parameters such as `charset`.
    pub fn from_mime(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Self::Protobuf)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }
}

impl ContentType {
    /// Encodes `message` in this content type.
    pub fn encode<M: prost::Message + JsonMessage>(self, message: &M) -> Vec<u8> {
        match self {
            Self::Protobuf => message.encode_to_vec(),
            Self::Json => to_vec(message),
        }
    }

    /// Decodes a message in this content type.
    pub fn decode<M: prost::Message + Default + JsonMessage>(self, bytes: &[u8]) -> Result<M> {
        match self {
            Self::Protobuf => Ok(M::decode(bytes)?),
            Self::Json => from_slice(bytes),
        }
    }
}

/// A message that converts to and from Mesos's JSON.
pub trait JsonMessage: Sized {
    /// The proto name, for errors (`FrameworkInfo`, `Call.Accept`).
    const NAME: &'static str;

    /// The message as a JSON object.
    fn to_json_object(&self) -> Map<String, Value>;

    /// The message from a JSON object.
    fn from_json_object(object: &Map<String, Value>) -> Result<Self>;
}

/// Encodes `message` as JSON bytes.
pub fn to_vec<M: JsonMessage>(message: &M) -> Vec<u8> {
    Value::Object(message.to_json_object()).to_string().into_bytes()
}

/// Decodes JSON bytes into a message.
pub fn from_slice<M: JsonMessage>(bytes: &[u8]) -> Result<M> {
    from_value(&serde_json::from_slice(bytes)?)
}

/// Decodes a parsed JSON value into a message.
pub fn from_value<M: JsonMessage>(value: &Value) -> Result<M> {
    match value {
        Value::Object(object) => M::from_json_object(object),
        _ => Err(Error::JsonNotObject { message: M::NAME }),
    }
}

/// Where a value sits, for errors.
#[derive(Clone, Copy)]
struct At {
    message: &'static str,
    field: &'static str,
}

impl At {
    fn wrong_type(self) -> Error {
        Error::JsonFieldType { message: self.message, field: self.field }
    }

    fn out_of_range(self) -> Error {
        Error::JsonNumberRange { message: self.message, field: self.field }
    }
}

/// How one field's values map to JSON.
trait Codec<T> {
    fn write(value: &T) -> Value;
    fn read(value: &Value, at: At) -> Result<T>;
}

/// Strings, numbers, booleans and nested messages.
struct Plain;

/// `bytes`, as base64.
struct Base64;

/// An enum field holding raw values, written by name.
struct Enum<E>(std::marker::PhantomData<E>);

/// A type with a natural JSON form (strings, numbers, booleans, messages).
trait JsonValue: Sized {
    fn write(&self) -> Value;
    fn read(value: &Value, at: At) -> Result<Self>;
}

impl<T: JsonValue> Codec<T> for Plain {
    fn write(value: &T) -> Value {
        value.write()
    }

    fn read(value: &Value, at: At) -> Result<T> {
        T::read(value, at)
    }
}

/// Mesos's base64: standard alphabet, padding optional on input, whitespace ignored.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

impl Codec<Vec<u8>> for Base64 {
    fn write(value: &Vec<u8>) -> Value {
        Value::String(BASE64.encode(value))
    }

    fn read(value: &Value, at: At) -> Result<Vec<u8>> {
        let Value::String(text) = value else { return Err(at.wrong_type()) };
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        BASE64
            .decode(compact)
            .map_err(|_| Error::JsonBase64 { message: at.message, field: at.field })
    }
}

impl<E: ProtoEnum> Codec<i32> for Enum<E> {
    fn write(value: &i32) -> Value {
        // Values this build does not know are written as numbers rather than lost; Mesos
        // itself never has such values (its C++ parser drops them on decode).
        E::name_of(*value).map_or_else(|| Value::from(*value), Value::from)
    }

    fn read(value: &Value, at: At) -> Result<i32> {
        let Value::String(name) = value else { return Err(at.wrong_type()) };
        E::value_of(name).ok_or_else(|| Error::JsonUnknownEnum {
            message: at.message,
            field: at.field,
            name: name.clone(),
        })
    }
}

impl<T: JsonValue> JsonValue for Box<T> {
    fn write(&self) -> Value {
        T::write(self)
    }

    fn read(value: &Value, at: At) -> Result<Self> {
        T::read(value, at).map(Self::new)
    }
}

impl JsonValue for String {
    fn write(&self) -> Value {
        Value::String(self.clone())
    }

    fn read(value: &Value, at: At) -> Result<Self> {
        match value {
            Value::String(s) => Ok(s.clone()),
            _ => Err(at.wrong_type()),
        }
    }
}

impl JsonValue for bool {
    fn write(&self) -> Value {
        Value::Bool(*self)
    }

    fn read(value: &Value, at: At) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            _ => Err(at.wrong_type()),
        }
    }
}

impl JsonValue for f64 {
    fn write(&self) -> Value {
        // JSON has no infinities; newer masters read them back from these strings.
        match serde_json::Number::from_f64(*self) {
            Some(n) => Value::Number(n),
            None if self.is_nan() => Value::from("NaN"),
            None if *self > 0.0 => Value::from("Infinity"),
            None => Value::from("-Infinity"),
        }
    }

    fn read(value: &Value, at: At) -> Result<Self> {
        match value {
            Value::Number(n) => n.as_f64().ok_or_else(|| at.out_of_range()),
            Value::String(s) => match s.as_str() {
                "Infinity" => Ok(Self::INFINITY),
                "-Infinity" => Ok(Self::NEG_INFINITY),
                _ => s.trim().parse().map_err(|_| at.wrong_type()),
            },
            _ => Err(at.wrong_type()),
        }
    }
}

/// An integral JSON number (or numeric string) as an `i128`, wide enough for every proto
/// integer type, so the caller's range check is exact.
fn integer(value: &Value, at: At) -> Result<i128> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Ok(i128::from(u)),
            (_, Some(i), _) => Ok(i128::from(i)),
            (_, _, Some(f)) => whole(f, at),
            _ => Err(at.out_of_range()),
        },
        Value::String(s) => match s.trim().parse::<i128>() {
            Ok(i) => Ok(i),
            Err(_) => whole(s.trim().parse().map_err(|_| at.wrong_type())?, at),
        },
        _ => Err(at.wrong_type()),
    }
}

/// A float naming an integer (`3.0`, `1e3`); Mesos would truncate a fraction, we refuse it.
fn whole(f: f64, at: At) -> Result<i128> {
    // 2^64 bounds every proto integer type; the caller narrows further.
    if f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0 {
        Ok(f as i128)
    } else {
        Err(at.out_of_range())
    }
}

macro_rules! json_integer {
    ($($t:ty),+) => {$(
        impl JsonValue for $t {
            fn write(&self) -> Value {
                Value::from(*self)
            }

            fn read(value: &Value, at: At) -> Result<Self> {
                Self::try_from(integer(value, at)?).map_err(|_| at.out_of_range())
            }
        }
    )+};
}
json_integer!(i32, u32, i64, u64);

/// The JSON key of a field: its Rust name without a raw-identifier prefix.
fn key(field: &'static str) -> &'static str {
    field.strip_prefix("r#").unwrap_or(field)
}

fn write_required<T, C: Codec<T>>(object: &mut Map<String, Value>, field: &'static str, value: &T) {
    object.insert(key(field).to_owned(), C::write(value));
}

fn write_optional<T, C: Codec<T>>(
    object: &mut Map<String, Value>,
    field: &'static str,
    value: &Option<T>,
    default: Option<T>,
) {
    if let Some(v) = value.as_ref().or(default.as_ref()) {
        object.insert(key(field).to_owned(), C::write(v));
    }
}

fn write_repeated<T, C: Codec<T>>(
    object: &mut Map<String, Value>,
    field: &'static str,
    values: &[T],
) {
    if !values.is_empty() {
        object.insert(key(field).to_owned(), Value::Array(values.iter().map(C::write).collect()));
    }
}

fn present<'a>(object: &'a Map<String, Value>, field: &'static str) -> Option<&'a Value> {
    object.get(key(field)).filter(|v| !v.is_null())
}

fn read_required<T, C: Codec<T>>(
    object: &Map<String, Value>,
    message: &'static str,
    field: &'static str,
) -> Result<T> {
    let at = At { message, field: key(field) };
    match present(object, field) {
        Some(Value::Array(_)) => Err(at.wrong_type()),
        Some(v) => C::read(v, at),
        None => Err(Error::JsonFieldMissing { message, field: at.field }),
    }
}

fn read_optional<T, C: Codec<T>>(
    object: &Map<String, Value>,
    message: &'static str,
    field: &'static str,
) -> Result<Option<T>> {
    let at = At { message, field: key(field) };
    match present(object, field) {
        Some(Value::Array(_)) => Err(at.wrong_type()),
        Some(v) => dropping_unknown_enum(C::read(v, at)),
        None => Ok(None),
    }
}

fn read_repeated<T, C: Codec<T>>(
    object: &Map<String, Value>,
    message: &'static str,
    field: &'static str,
) -> Result<Vec<T>> {
    let at = At { message, field: key(field) };
    let items = match present(object, field) {
        Some(Value::Array(items)) => items.as_slice(),
        Some(single) => std::slice::from_ref(single),
        None => &[],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items.iter().filter(|v| !v.is_null()) {
        out.extend(dropping_unknown_enum(C::read(item, at))?);
    }
    Ok(out)
}

/// proto2 keeps unknown enum values out of optional and repeated fields instead of failing.
fn dropping_unknown_enum<T>(read: Result<T>) -> Result<Option<T>> {
    match read {
        Ok(v) => Ok(Some(v)),
        Err(Error::JsonUnknownEnum { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Implements [`JsonMessage`] (and nesting) for a message from its fields in `.proto`
/// order: `required f`, `optional f`, `repeated f`, each optionally followed by
/// `default(value)` (written when unset, as Mesos does for explicit non-deprecated
/// defaults) and `as Codec` (`Base64`, `Enum<E>`; plain values otherwise).
macro_rules! json_message {
    ($name:literal => $msg:ty {
        $( $card:ident $field:ident $(default($default:expr))? $(as $codec:ty)? ),* $(,)?
    }) => {
        impl $crate::json::JsonMessage for $msg {
            const NAME: &'static str = $name;

            #[allow(unused_mut, unused_variables)]
            fn to_json_object(&self) -> ::serde_json::Map<String, ::serde_json::Value> {
                let mut object = ::serde_json::Map::new();
                $( json_message!(@write $card object self $field
                    [$($default)?] [json_message!(@codec $($codec)?)]); )*
                object
            }

            #[allow(unused_variables)]
            fn from_json_object(
                object: &::serde_json::Map<String, ::serde_json::Value>,
            ) -> $crate::Result<Self> {
                Ok(Self {
                    $( $field: json_message!(@read $card object $name $field
                        [json_message!(@codec $($codec)?)])?, )*
                })
            }
        }

        impl $crate::json::JsonValue for $msg {
            fn write(&self) -> ::serde_json::Value {
                ::serde_json::Value::Object($crate::json::JsonMessage::to_json_object(self))
            }

            fn read(value: &::serde_json::Value, at: $crate::json::At) -> $crate::Result<Self> {
                match value {
                    ::serde_json::Value::Object(object) => {
                        $crate::json::JsonMessage::from_json_object(object)
                    }
                    _ => Err(at.wrong_type()),
                }
            }
        }
    };
    (@codec) => { $crate::json::Plain };
    (@codec $codec:ty) => { $codec };
    (@write required $object:ident $self:ident $field:ident [] [$codec:ty]) => {
        $crate::json::write_required::<_, $codec>(&mut $object, stringify!($field), &$self.$field)
    };
    (@write optional $object:ident $self:ident $field:ident [$($default:expr)?] [$codec:ty]) => {
        $crate::json::write_optional::<_, $codec>(
            &mut $object,
            stringify!($field),
            &$self.$field,
            json_message!(@default $($default)?),
        )
    };
    (@write repeated $object:ident $self:ident $field:ident [] [$codec:ty]) => {
        $crate::json::write_repeated::<_, $codec>(&mut $object, stringify!($field), &$self.$field)
    };
    (@default) => { None };
    (@default $default:expr) => { Some($default) };
    (@read required $object:ident $name:literal $field:ident [$codec:ty]) => {
        $crate::json::read_required::<_, $codec>($object, $name, stringify!($field))
    };
    (@read optional $object:ident $name:literal $field:ident [$codec:ty]) => {
        $crate::json::read_optional::<_, $codec>($object, $name, stringify!($field))
    };
    (@read repeated $object:ident $name:literal $field:ident [$codec:ty]) => {
        $crate::json::read_repeated::<_, $codec>($object, $name, stringify!($field))
    };
}

mod messages;

#[cfg(test)]
mod tests;
