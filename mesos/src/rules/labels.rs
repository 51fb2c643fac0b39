//! Mesos labels from a `key:value,key2:value2` string (`spark.mesos.task.labels`,
//! `spark.mesos.driver.labels`, `spark.mesos.network.labels`): Spark's
//! `MesosProtoUtils.mesosLabels`.

use super::java;
use crate::proto::{Label, Labels};
use crate::{Error, Result};

/// `spark.mesos.task.labels`: labels on every executor task (default "").
pub const TASK_LABELS: &str = "spark.mesos.task.labels";
/// `spark.mesos.driver.labels`: labels on the dispatcher's driver tasks.
pub const DRIVER_LABELS: &str = "spark.mesos.driver.labels";

/// `mesosLabels`: items split on `,` not preceded by `\`, each split on `:` not preceded by
/// `\`; then `\,` becomes `,` and `\:` becomes `:` (no other escapes, and `\\` escapes
/// nothing).
///
/// Splitting follows Java's `split`: trailing empty pieces vanish, so `a:b,` is one label and
/// `k:` is one piece, a [`Error::MalformedLabel`] like every item without exactly two pieces.
/// An empty string gives no labels.
pub fn mesos_labels(labels: &str) -> Result<Labels> {
    if labels.is_empty() {
        return Ok(Labels::default());
    }
    let labels = split_unescaped(labels, b',')
        .into_iter()
        .map(|item| match split_unescaped(item, b':').as_slice() {
            [key, value] => Ok(Label { key: unescape(key), value: Some(unescape(value)) }),
            _ => Err(Error::MalformedLabel { label: item.to_owned() }),
        })
        .collect::<Result<_>>()?;
    Ok(Labels { labels })
}

/// `str.split("(?<!\\\\)" + c)`.
fn split_unescaped(s: &str, c: u8) -> Vec<&str> {
    java::split_where(s, |bytes, i| bytes[i] == c && (i == 0 || bytes[i - 1] != b'\\'))
}

fn unescape(part: &str) -> String {
    part.replace("\\,", ",").replace("\\:", ":")
}
