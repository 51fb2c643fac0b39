//! Log output on stderr: human-readable text (the default), or one JSON object per line with
//! the keys of Spark 4's structured logging (`ts`, `level`, `msg`, `context`, `logger`), so
//! the daemon's lines go through the same pipeline as the executors' and drivers'.
//!
//! In JSON, an event's message is `msg`, its other fields (`app_id`, `peer`, `error`, …)
//! are the string values of `context`, as in Spark's MDC map, and its target is `logger`.
//! Secrets never reach a field: [`crate::config::Secret`] has no printable form.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `tracing`'s text lines.
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `msg`, `context`, `logger`.
    Json,
}

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), stderr in `format`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init()
        }
        LogFormat::Json => builder.with_ansi(false).event_format(SparkJson).init(),
    }
}

/// The JSON line format of Spark 4's structured logging.
#[derive(Debug, Clone, Copy, Default)]
pub struct SparkJson;

impl<S, N> FormatEvent<S, N> for SparkJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        writeln!(
            writer,
            "{}",
            json_line(SystemTime::now(), meta.level().as_str(), meta.target(), fields)
        )
    }
}

/// An event's fields: the message, and the rest as strings by name.
#[derive(Debug, Default)]
struct Fields {
    msg: String,
    context: BTreeMap<&'static str, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.msg);
        } else {
            self.context.insert(field.name(), value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.msg = format!("{value:?}");
        } else {
            self.context.insert(field.name(), format!("{value:?}"));
        }
    }
}

/// One line, keys in Spark's order.
fn json_line(at: SystemTime, level: &str, logger: &str, fields: Fields) -> String {
    let mut line = String::with_capacity(128);
    let _ = write!(line, "{{\"ts\":\"{}\",\"level\":\"{level}\",\"msg\":", rfc3339_millis(at));
    push_json_string(&mut line, &fields.msg);
    line.push_str(",\"context\":{");
    for (i, (key, value)) in fields.context.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_json_string(&mut line, key);
        line.push(':');
        push_json_string(&mut line, value);
    }
    line.push_str("},\"logger\":");
    push_json_string(&mut line, logger);
    line.push('}');
    line
}

fn push_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// `at` in UTC as `2026-01-31T23:59:59.123Z`, the timestamp form Spark's JSON layout writes.
fn rfc3339_millis(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_rfc3339_with_millis() {
        let at = |secs: u64, millis: u64| UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis);
        assert_eq!(rfc3339_millis(at(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(at(951_782_400, 7)), "2000-02-29T00:00:00.007Z");
        assert_eq!(rfc3339_millis(at(1_798_761_599, 999)), "2026-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(at(4_107_542_400, 0)), "2100-03-01T00:00:00.000Z");
    }

    #[test]
    fn lines_are_json_in_sparks_key_order() {
        let fields = Fields {
            msg: "closing \"connection\"\n".to_owned(),
            context: BTreeMap::from([("peer", "127.0.0.1:5".to_owned()), ("app_id", "a".into())]),
        };
        let line = json_line(UNIX_EPOCH, "WARN", "shuffle_server::conn", fields);
        assert_eq!(
            line,
            "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"WARN\",\
             \"msg\":\"closing \\\"connection\\\"\\n\",\
             \"context\":{\"app_id\":\"a\",\"peer\":\"127.0.0.1:5\"},\
             \"logger\":\"shuffle_server::conn\"}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(parsed["context"]["peer"], "127.0.0.1:5");
    }
}
