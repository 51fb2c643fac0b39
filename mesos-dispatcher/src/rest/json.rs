//! JSON as Spark's REST messages use it: written like Jackson's `DefaultPrettyPrinter` with
//! alphabetical keys and nulls left out, read with the order of the client's keys kept (Spark
//! reports unknown fields in that order) and Jackson's coercions of scalars into strings.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A value of a response field: responses hold only strings, booleans and string arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// A JSON string.
    Str(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON array of strings.
    StrArray(Vec<String>),
}

/// The fields of one response object; absent (null) fields are simply not inserted.
#[derive(Debug, Default)]
pub(crate) struct ObjectWriter {
    // Jackson's `alphabetic = true` sorts by `String.compareTo`; every key is ASCII, so byte
    // order is the same order.
    fields: BTreeMap<&'static str, Field>,
}

impl ObjectWriter {
    /// Sets a string field.
    pub(crate) fn str(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.fields.insert(key, Field::Str(value.into()));
        self
    }

    /// Sets a string field when `value` is present.
    pub(crate) fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// Sets a boolean field.
    pub(crate) fn bool(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.fields.insert(key, Field::Bool(value));
        self
    }

    /// Sets a string-array field when `value` is present.
    pub(crate) fn opt_str_array(
        &mut self,
        key: &'static str,
        value: Option<&[String]>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.fields.insert(key, Field::StrArray(value.to_vec()));
        }
        self
    }

    /// The object as Jackson's pretty printer writes it (no trailing newline).
    pub(crate) fn finish(&self) -> String {
        let mut out = String::from("{");
        let mut first = true;
        for (key, value) in &self.fields {
            out.push_str(if first { "\n  " } else { ",\n  " });
            first = false;
            write_str(&mut out, key);
            out.push_str(" : ");
            match value {
                Field::Str(s) => write_str(&mut out, s),
                Field::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Field::StrArray(items) if items.is_empty() => out.push_str("[ ]"),
                Field::StrArray(items) => {
                    out.push_str("[ ");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        write_str(&mut out, item);
                    }
                    out.push_str(" ]");
                }
            }
        }
        out.push_str(if first { " }" } else { "\n}" });
        out
    }
}

/// Writes `s` as a JSON string the way Jackson escapes it: quote, backslash and control
/// characters only, short forms where JSON has them, otherwise `\u00XX` in upper-case hex.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON document's top-level value as Spark's two parsers see it.
#[derive(Debug, PartialEq)]
pub(crate) enum Document {
    /// An object, with its keys in the client's order (duplicates kept).
    Object(Vec<(String, Value)>),
    /// Any other JSON value.
    Other,
}

/// Why a body is not a JSON document; named after the Jackson exception Spark reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Nothing but whitespace: Jackson's `MismatchedInputException` ("No content to map").
    NoContent,
    /// Not JSON: Jackson's `JsonParseException`, with serde_json's description.
    Syntax(String),
}

/// Parses the first JSON value of `body`. Like Jackson's `readValue`, whatever follows that
/// first value is ignored.
pub(crate) fn parse_document(body: &str) -> Result<Document, ParseError> {
    if body.trim_matches(|c: char| c.is_ascii_whitespace()).is_empty() {
        return Err(ParseError::NoContent);
    }
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<TopLevel>();
    match stream.next() {
        Some(Ok(TopLevel(doc))) => Ok(doc),
        Some(Err(e)) => Err(ParseError::Syntax(e.to_string())),
        None => Err(ParseError::NoContent),
    }
}

struct TopLevel(Document);

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut fields = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            fields.push((key, value));
        }
        Ok(TopLevel(Document::Object(fields)))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(TopLevel(Document::Other))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel(Document::Other))
    }
}

/// Jackson's reading of a JSON value into a Java `String` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// `null`: the field stays unset.
    Null,
    /// A string, or a number or boolean in its text form.
    Text(String),
    /// An array or object: Jackson refuses it (`MismatchedInputException`).
    Mismatch,
}

/// Reads `value` as Jackson reads it into a `String`.
pub(crate) fn scalar(value: &Value) -> Scalar {
    match value {
        Value::Null => Scalar::Null,
        Value::String(s) => Scalar::Text(s.clone()),
        Value::Bool(b) => Scalar::Text(b.to_string()),
        Value::Number(n) => Scalar::Text(n.to_string()),
        Value::Array(_) | Value::Object(_) => Scalar::Mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_jackson_pretty_printer() {
        let mut w = ObjectWriter::default();
        w.str("success", "x")
            .bool("action", true)
            .opt_str_array("b", Some(&["p".into(), "q".into()]));
        assert_eq!(
            w.finish(),
            "{\n  \"action\" : true,\n  \"b\" : [ \"p\", \"q\" ],\n  \"success\" : \"x\"\n}"
        );
        assert_eq!(ObjectWriter::default().finish(), "{ }");
    }

    #[test]
    fn escapes_like_jackson() {
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é/\u{7f}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é/\u{7f}\"");
    }

    #[test]
    fn keeps_key_order_and_ignores_trailing_text() {
        let Ok(Document::Object(fields)) = parse_document("{\"z\":1,\"a\":2,\"z\":3} trailing")
        else {
            panic!("not an object");
        };
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "z"]);
        assert_eq!(parse_document("  \n"), Err(ParseError::NoContent));
        assert!(matches!(parse_document("{\"a\":"), Err(ParseError::Syntax(_))));
        assert!(matches!(parse_document("[1]"), Ok(Document::Other)));
    }
}
