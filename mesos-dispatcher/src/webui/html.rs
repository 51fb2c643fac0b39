//! HTML building blocks: escaping, the page frame with its stylesheet, tables whose rows turn
//! into labelled cards on narrow screens (CSS only, no JavaScript).

use std::fmt::Write;
use std::time::SystemTime;

use crate::queue::format_timestamp;

/// `s` with `&`, `<`, `>`, `"` and `'` as character references: safe as element text and as a
/// quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `s` percent-encoded for a URL query value: everything but ASCII letters, digits and `-._~`.
pub fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `yyyy/MM/dd HH:mm:ss` in UTC: Spark's `UIUtils.formatDate` pattern (Spark uses the JVM's
/// time zone).
pub fn format_date(t: SystemTime) -> String {
    let s = format_timestamp(t);
    // format_timestamp gives yyyyMMddHHmmss (a year past 9999 only lengthens the year).
    let (date, time) = s.split_at(s.len().saturating_sub(6));
    let (year, month_day) = date.split_at(date.len().saturating_sub(4));
    let (month, day) = month_day.split_at(2);
    format!("{year}/{month}/{day} {}:{}:{}", &time[..2], &time[2..4], &time[4..])
}

/// The link to driver `id`'s page, relative like Spark's `driver?id=…`, escaped for an
/// attribute.
pub fn driver_href(id: &str) -> String {
    escape(&format!("driver?id={}", url_component(id)))
}

const STYLE: &str = "\
:root{--fg:#1d2733;--muted:#5b6775;--line:#d9dee5;--head:#f3f5f8;--accent:#e25a1c;\
--ok:#2e7d32;--run:#1565c0;--wait:#8a6d00;--bad:#c62828}\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);\
background:#fff}\
header{background:#263238;color:#fff;padding:12px 20px;border-bottom:4px solid var(--accent)}\
header h1{margin:0;font-size:1.3em;font-weight:600}\
header p{margin:2px 0 0;color:#cfd8dc;font-size:.85em}\
header a{color:#fff}\
main{padding:12px 20px 40px;max-width:1600px}\
h2{font-size:1.1em;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}\
h2 .count{color:var(--muted);font-weight:400}\
nav.summary{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 4px}\
nav.summary a{display:block;padding:8px 14px;border:1px solid var(--line);border-radius:6px;\
text-decoration:none;color:var(--fg);background:var(--head);min-width:120px}\
nav.summary b{display:block;font-size:1.4em}\
table{border-collapse:collapse;width:100%;font-size:.92em}\
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line);\
overflow-wrap:anywhere}\
th{background:var(--head);font-weight:600;white-space:nowrap}\
tbody tr:nth-child(even){background:#fafbfc}\
td.id a{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}\
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.4 ui-monospace,Menlo,\
Consolas,monospace;background:var(--head);padding:6px 8px;border-radius:4px}\
.empty{color:var(--muted);font-style:italic}\
.state{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.85em;\
font-weight:600}\
.state.QUEUED,.state.RETRYING{background:var(--wait)}.state.RUNNING{background:var(--run)}\
.state.FINISHED{background:var(--ok)}.state.failed{background:var(--bad)}\
table.props td:first-child{width:30%;font-weight:600}\
@media (max-width:700px){\
body{font-size:16px}main{padding:8px 10px 30px}header{padding:10px 12px}\
nav.summary a{flex:1 1 40%;min-width:0}\
table.list thead{display:none}\
table.list,table.list tbody,table.list tr,table.list td{display:block;width:100%}\
table.list tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:4px 0;\
background:#fff}\
table.list tbody tr:nth-child(even){background:#fff}\
table.list td{border:0;padding:3px 10px;display:flex;gap:10px}\
table.list td::before{content:attr(data-label);flex:0 0 38%;color:var(--muted);font-weight:600}\
td.id a{white-space:normal;word-break:break-all}\
table.props thead{display:none}\
table.props td{display:block;width:100%!important;border:0;padding:2px 8px}\
table.props tr{display:block;border-bottom:1px solid var(--line);padding:4px 0}\
}";

/// A whole page: `title` (plain text) in the head and header, `body` (HTML) below.
pub fn page(title: &str, subtitle_html: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{title}</h1><p>{subtitle_html}</p></header>\n<main>\n{body}</main>\n\
         </body>\n</html>\n"
    )
}

/// A listing table (Spark's `UIUtils.listingTable`): one `<tr>` per row, each cell
/// pre-rendered HTML, labelled with its column for the narrow layout; `empty` (plain text)
/// when there are no rows.
pub fn listing_table(headers: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{}</p>\n", escape(empty));
    }
    let mut out = String::from("<table class=\"list\">\n<thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let label = escape(headers.get(i).copied().unwrap_or(""));
            let class = if i == 0 { " class=\"id\"" } else { "" };
            let _ = write!(out, "<td{class} data-label=\"{label}\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A two-column property table (`name`, `value`) with pre-rendered HTML values; `empty`
/// (plain text) when there are none.
pub fn property_table(headers: [&str; 2], rows: &[(String, String)], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{}</p>\n", escape(empty));
    }
    let mut out = format!(
        "<table class=\"props\">\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        escape(headers[0]),
        escape(headers[1])
    );
    for (name, value) in rows {
        let _ = writeln!(out, "<tr><td>{}</td><td>{value}</td></tr>", escape(name));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("plain é"), "plain é");
    }

    #[test]
    fn links_encode_the_id() {
        assert_eq!(driver_href("driver-1"), "driver?id=driver-1");
        assert_eq!(driver_href("a\"><b&c"), "driver?id=a%22%3E%3Cb%26c");
        assert_eq!(url_component("é /"), "%C3%A9%20%2F");
    }

    #[test]
    fn dates_as_spark_formats_them() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_792_896);
        assert_eq!(format_date(t), "2025/12/03 20:14:56");
        assert_eq!(format_date(UNIX_EPOCH), "1970/01/01 00:00:00");
    }

    #[test]
    fn empty_tables_say_so() {
        assert_eq!(
            listing_table(&["A"], &[], "none <here>"),
            "<p class=\"empty\">none &lt;here&gt;</p>\n"
        );
        let t = listing_table(&["A", "B"], &[vec!["1".into(), "<i>2</i>".into()]], "");
        assert!(t.contains(
            "<td class=\"id\" data-label=\"A\">1</td><td data-label=\"B\"><i>2</i></td>"
        ));
    }
}
