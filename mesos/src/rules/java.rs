//! The Java string and number semantics Spark's rules inherit: `String.split`, `trim`,
//! `Integer.parseInt`, `Long.parseLong`, `Double.parseDouble`. Spark's results depend on their
//! corner cases (trailing empty pieces dropped, `+` signs, `"1e0"`), so the rules use these
//! instead of Rust's own parsers.

/// `String.split` with a separator found by `is_separator(bytes, index)` and limit 0: pieces
/// between separators, trailing empty pieces dropped; `""` gives `[""]`.
pub(crate) fn split_where(s: &str, is_separator: impl Fn(&[u8], usize) -> bool) -> Vec<&str> {
    if s.is_empty() {
        return vec![s];
    }
    let bytes = s.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 0..bytes.len() {
        if is_separator(bytes, i) {
            pieces.push(&s[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&s[start..]);
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// `s.split(c)` for a single ASCII separator `c` (limit 0).
pub(crate) fn split(s: &str, c: u8) -> Vec<&str> {
    split_where(s, |bytes, i| bytes[i] == c)
}

/// `s.split(c, 2)`: at most two pieces, the second keeping any further separators; empty
/// pieces are kept.
pub(crate) fn split_once_kept(s: &str, c: char) -> Vec<&str> {
    match s.split_once(c) {
        Some((a, b)) => vec![a, b],
        None => vec![s],
    }
}

/// `String.trim`: strips every char up to U+0020 from both ends.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `Utils.stringToSeq`, the parser of every `.toSequence` config: split on `,`, trim, drop empties.
pub(crate) fn string_to_seq(s: &str) -> Vec<String> {
    s.split(',').map(trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// `Long.parseLong`: an optional sign, then ASCII digits, nothing else.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Rust's parser accepts exactly this grammar (including a leading `+`) and range-checks.
    s.parse().ok()
}

/// `Integer.parseInt`.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    parse_long(s).and_then(|v| i32::try_from(v).ok())
}

/// `Double.parseDouble` for decimal input: surrounding control chars and spaces ignored, a
/// trailing `d`/`f` type suffix allowed, `NaN` and `Infinity` spelled Java's way. Hexadecimal
/// floating-point literals are not accepted.
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    let t = trim(s);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY }),
        _ => {}
    }
    let number = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    let body = number.strip_prefix(['+', '-']).unwrap_or(number);
    let mut mantissa_digits = false;
    let mut seen_exponent = false;
    let mut exponent_digits = false;
    let mut seen_point = false;
    let mut previous = '\0';
    for c in body.chars() {
        match c {
            '0'..='9' if seen_exponent => exponent_digits = true,
            '0'..='9' => mantissa_digits = true,
            '.' if !seen_point && !seen_exponent => seen_point = true,
            'e' | 'E' if !seen_exponent && mantissa_digits => seen_exponent = true,
            '+' | '-' if matches!(previous, 'e' | 'E') => {}
            _ => return None,
        }
        previous = c;
    }
    if !mantissa_digits || (seen_exponent && !exponent_digits) {
        return None;
    }
    number.parse().ok()
}

/// Scala's `Double.toInt` (JVM `d2i`): truncation toward zero, saturating, NaN to 0. Rust's
/// `as` cast has exactly these semantics.
pub(crate) fn double_to_int(d: f64) -> i32 {
    d as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_drops_trailing_empties_only() {
        assert_eq!(split("a,,b,,", b','), ["a", "", "b"]);
        assert_eq!(split(",a", b','), ["", "a"]);
        assert_eq!(split(",", b','), Vec::<&str>::new());
        assert_eq!(split("", b','), [""]);
        assert_eq!(split("abc", b','), ["abc"]);
    }

    #[test]
    fn split_once_keeps_empties() {
        assert_eq!(split_once_kept("k=", '='), ["k", ""]);
        assert_eq!(split_once_kept("a=b=c", '='), ["a", "b=c"]);
        assert_eq!(split_once_kept("k", '='), ["k"]);
    }

    #[test]
    fn numbers_parse_like_java() {
        assert_eq!(parse_int("+80"), Some(80));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_int(" 1"), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_double(" 1e0 "), Some(1.0));
        assert_eq!(parse_double("2d"), Some(2.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("1e"), None);
        assert_eq!(parse_double("x"), None);
        assert_eq!(double_to_int(f64::NAN), 0);
        assert_eq!(double_to_int(1e12), i32::MAX);
    }
}
