//! The few JVM behaviours the driver's command line depends on: `Double.toString`, `File`
//! paths, `String.split`, and the iteration orders of the maps Spark walks.

/// Java's `String.hashCode` (over UTF-16 code units).
pub(crate) fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `Double.toString`: the shortest digits that read back to `d`, plain between 10^-3 and
/// 10^7, else `d.dddE<n>`; always with a fraction digit.
pub(crate) fn double_to_string(d: f64) -> String {
    if !d.is_finite() {
        return if d.is_nan() {
            "NaN".into()
        } else if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if d == 0.0 || (1e-3..1e7).contains(&d.abs()) {
        let s = format!("{d}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{d:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa =
        if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exp}")
}

/// `new File(path).getPath()` on Unix: repeated `/` collapsed, a trailing `/` dropped.
pub(crate) fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// `new File(parent, child).getPath()` on Unix.
pub(crate) fn file(parent: &str, child: &str) -> String {
    let parent = normalize(parent);
    let child = normalize(child);
    if child.is_empty() {
        return parent;
    }
    let parent = if parent.is_empty() { "/".to_owned() } else { parent };
    if parent == "/" {
        if child.starts_with('/') {
            child
        } else {
            format!("/{child}")
        }
    } else if child.starts_with('/') {
        format!("{parent}{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// The last element of Java's `s.split(c)` (trailing empty strings dropped), or None when
/// Java's array is empty (`.last` would throw).
pub(crate) fn split_last(s: &str, c: char) -> Option<&str> {
    if s.is_empty() {
        return Some("");
    }
    let kept = s.trim_end_matches(c);
    if kept.is_empty() {
        return None;
    }
    kept.rsplit(c).next()
}

/// The first element of Java's `s.split(c)`, or None when the array is empty.
pub(crate) fn split_first(s: &str, c: char) -> Option<&str> {
    if s.is_empty() {
        return Some("");
    }
    if s.chars().all(|x| x == c) {
        return None;
    }
    s.split(c).next()
}

/// Scala 2.12's `HashMap.improve`.
fn improve(hcode: i32) -> u32 {
    let mut h = hcode.wrapping_add(!(hcode.wrapping_shl(9)));
    h ^= ((h as u32) >> 14) as i32;
    h = h.wrapping_add(h.wrapping_shl(4));
    (h ^ ((h as u32) >> 10) as i32) as u32
}

/// The order a Scala 2.12 immutable `Map` built by adding `keys` (distinct, in insertion
/// order) walks them: insertion order up to four entries (`Map1`..`Map4`), else the hash
/// trie's order, five bits of the improved hash per level from the lowest.
pub(crate) fn scala_map_order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    if keys.len() <= 4 {
        return keys.to_vec();
    }
    let mut keyed: Vec<(u32, &str)> =
        keys.iter().map(|k| (trie_key(improve(string_hash(k))), *k)).collect();
    keyed.sort();
    keyed.into_iter().map(|(_, k)| k).collect()
}

fn trie_key(h: u32) -> u32 {
    // Levels 0..5 take 5 bits each (30 bits), level 6 the top 2.
    let mut key = 0u32;
    for level in 0..6 {
        key = (key << 5) | ((h >> (5 * level)) & 31);
    }
    (key << 2) | (h >> 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_paths_match_java() {
        assert_eq!(string_hash("spark.app.name"), 167_792_169);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(0.5), "0.5");
        assert_eq!(double_to_string(1e9), "1.0E9");
        assert_eq!(double_to_string(1.25e-4), "1.25E-4");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(file("/opt/spark/", "./bin/spark-submit"), "/opt/spark/./bin/spark-submit");
        assert_eq!(file("$MESOS_SANDBOX", "app.jar"), "$MESOS_SANDBOX/app.jar");
        assert_eq!(split_last("http://h/a/app.jar", '/'), Some("app.jar"));
        assert_eq!(split_last("http://h/a/", '/'), Some("a"));
        assert_eq!(split_last("///", '/'), None);
        assert_eq!(split_first("spark-3.5.6-bin.tgz", '.'), Some("spark-3"));
    }
}
