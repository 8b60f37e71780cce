//! The status of the floor: per known phone, its last check-in and whether it runs the latest
//! configuration; as JSON (`/status.json`) and as a small HTML page (`/status`). No secrets.

use serde::Serialize;

use crate::mac::Mac;

/// One known phone's line of the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    /// Its MAC.
    pub mac: Mac,
    /// Its extension.
    pub extension: String,
    /// Its last check-in, seconds since the Unix epoch.
    pub last_seen: Option<u64>,
    /// The address it came from.
    pub address: Option<String>,
    /// Its User-Agent.
    pub user_agent: Option<String>,
    /// The configuration hash it reported.
    pub hash: Option<String>,
    /// The hash of what the server would serve it now.
    pub latest_hash: String,
    /// Whether it reported `latest_hash`: it runs the latest configuration.
    pub latest: bool,
    /// Whether it has checked in at all.
    pub checked_in: bool,
}

/// The whole status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Known phones.
    pub known: usize,
    /// Of those, how many have checked in.
    pub checked_in: usize,
    /// Of those, how many run the latest configuration.
    pub latest: usize,
    /// Every known phone, by MAC.
    pub phones: Vec<StatusRow>,
}

impl Status {
    /// Counts the rows.
    pub fn new(phones: Vec<StatusRow>) -> Status {
        let checked_in = phones.iter().filter(|row| row.checked_in).count();
        let latest = phones.iter().filter(|row| row.latest).count();
        Status { known: phones.len(), checked_in, latest, phones }
    }

    /// `/status.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// `/status`: a table, every value HTML-escaped.
    pub fn to_html(&self) -> String {
        let mut html = String::from(concat!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Hardphone provisioning</title>\n",
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}",
            ".old{color:#b00}.new{color:#070}</style></head><body>\n<h1>Hardphone provisioning</h1>\n",
        ));
        html.push_str(&format!(
            "<p>{} phones known, {} checked in, {} on the latest configuration.</p>\n",
            self.known, self.checked_in, self.latest
        ));
        html.push_str("<table>\n<tr><th>MAC</th><th>extension</th><th>configuration</th><th>last seen (UTC)</th>");
        html.push_str("<th>address</th><th>User-Agent</th></tr>\n");
        for row in &self.phones {
            let state = match (row.checked_in, row.latest) {
                (false, _) => "<td>never checked in</td>",
                (true, true) => "<td class=\"new\">latest</td>",
                (true, false) => "<td class=\"old\">outdated</td>",
            };
            let last_seen = row.last_seen.map(utc_time).unwrap_or_default();
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td>{state}<td>{}</td><td>{}</td><td>{}</td></tr>\n",
                row.mac,
                escape(&row.extension),
                escape(&last_seen),
                escape(row.address.as_deref().unwrap_or("")),
                escape(row.user_agent.as_deref().unwrap_or("")),
            ));
        }
        html.push_str("</table>\n</body></html>\n");
        html
    }
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `YYYY-MM-DD HH:MM:SS` of a Unix time, in UTC (civil-from-days, proleptic Gregorian).
pub fn utc_time(unix: u64) -> String {
    let (days, seconds) = (unix / 86_400, unix % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mac: &str, checked_in: bool, latest: bool) -> StatusRow {
        StatusRow {
            mac: Mac::parse(mac).unwrap(),
            extension: "<b>1001</b>".into(),
            last_seen: checked_in.then_some(1_700_000_000),
            address: checked_in.then(|| "192.0.2.1".into()),
            user_agent: checked_in.then(|| "Hardphone/1 (\"x\" & <y>; 001122334455)".into()),
            hash: None,
            latest_hash: "0".repeat(64),
            latest,
            checked_in,
        }
    }

    #[test]
    fn counts_and_json() {
        let status = Status::new(vec![row("001122334455", true, true), row("001122334456", false, false)]);
        assert_eq!((status.known, status.checked_in, status.latest), (2, 1, 1));
        let json: serde_json::Value = serde_json::from_str(&status.to_json()).unwrap();
        assert_eq!(json["phones"][0]["mac"], "001122334455");
        assert_eq!(json["phones"][0]["latest"], true);
        assert_eq!(json["phones"][1]["checked_in"], false);
        assert_eq!(json["phones"][1]["last_seen"], serde_json::Value::Null);
    }

    #[test]
    fn html_is_escaped() {
        let html = Status::new(vec![row("001122334455", true, false)]).to_html();
        assert!(html.contains("&lt;b&gt;1001&lt;/b&gt;"));
        assert!(html.contains("Hardphone/1 (&quot;x&quot; &amp; &lt;y&gt;; 001122334455)"));
        assert!(!html.contains("<b>1001"));
        assert!(html.contains("outdated") && html.contains("2023-11-14 22:13:20"));
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc_time(4_102_444_799), "2099-12-31 23:59:59");
    }
}
