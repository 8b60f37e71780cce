//! The MAC map of the VICIdial source: which phone (by MAC) is which VICIdial extension, and
//! the password it presents to this server. VICIdial does not know MACs; this file is the
//! provisioning server's own.

use std::collections::BTreeMap;

use crate::account::Secret;
use crate::inventory::{CsvText, EntryProblem};
use crate::mac::Mac;

/// One line of the MAC map.
#[derive(Debug, Clone)]
pub struct MacMapEntry {
    /// The phone's MAC.
    pub mac: Mac,
    /// Its VICIdial extension (`phones.extension`).
    pub extension: String,
    /// Which Asterisk server's row, when the extension exists on several (`phones.server_ip`).
    pub server_ip: Option<String>,
    /// The password the phone presents for HTTP Basic (none: client certificate only).
    pub http_password: Secret,
    /// The line of the file.
    pub line: u64,
}

/// The MAC map: a CSV file with a header line `mac,extension,http_password` and optionally a
/// `server_ip` column.
#[derive(Debug, Clone, Default)]
pub struct MacMap {
    entries: BTreeMap<Mac, MacMapEntry>,
}

/// A MAC map that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum MacMapError {
    /// A fault on one line.
    #[error("line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong there.
        problem: EntryProblem,
    },
    /// The header is not `mac,extension,http_password[,server_ip]`.
    #[error("line 1: the header must be mac,extension,http_password (and optionally server_ip)")]
    Header,
}

impl MacMap {
    /// Reads the MAC map's text. Blanks around fields are trimmed; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<MacMap, MacMapError> {
        let csv = CsvText::new(text);
        let mut reader = csv.reader();
        let headers =
            reader.headers().map_err(|error| MacMapError::Line { line: 1, problem: EntryProblem::Csv(error) })?;
        let names: Vec<String> = headers.iter().map(str::to_ascii_lowercase).collect();
        let with_server = match names.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["mac", "extension", "http_password"] => false,
            ["mac", "extension", "http_password", "server_ip"] => true,
            _ => return Err(MacMapError::Header),
        };
        let expected = if with_server { 4 } else { 3 };
        let mut map = MacMap::default();
        for record in reader.records() {
            let record = record.map_err(|error| {
                let line = error.position().map_or(0, |position| csv.line(position));
                MacMapError::Line { line, problem: EntryProblem::Csv(error) }
            })?;
            let line = record.position().map_or(0, |position| csv.line(position));
            let at_line = |problem| MacMapError::Line { line, problem };
            if record.len() != expected {
                return Err(at_line(EntryProblem::FieldCount { expected, found: record.len() }));
            }
            let mac = Mac::parse(&record[0]).map_err(|error| at_line(EntryProblem::Mac(error)))?;
            if let Some(first) = map.entries.get(&mac) {
                return Err(at_line(EntryProblem::DuplicateMac { mac, first_line: first.line }));
            }
            if record[1].is_empty() {
                return Err(at_line(EntryProblem::Empty("extension")));
            }
            let server_ip = record.get(3).filter(|ip| !ip.is_empty()).map(str::to_owned);
            let entry = MacMapEntry {
                mac,
                extension: record[1].to_owned(),
                server_ip,
                http_password: Secret::new(&record[2]),
                line,
            };
            map.entries.insert(mac, entry);
        }
        Ok(map)
    }

    /// The entry of a MAC.
    pub fn get(&self, mac: &Mac) -> Option<&MacMapEntry> {
        self.entries.get(mac)
    }

    /// Every entry, by MAC.
    pub fn entries(&self) -> impl Iterator<Item = &MacMapEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_map() {
        let text = "mac,extension,http_password\n00:11:22:33:44:55,cc100,pw\n# spare\n001122334456, cc101 ,\n";
        let map = MacMap::parse(text).unwrap();
        let first = map.get(&Mac::parse("001122334455").unwrap()).unwrap();
        assert_eq!((first.extension.as_str(), first.http_password.expose(), first.line), ("cc100", "pw", 2));
        let second = map.get(&Mac::parse("001122334456").unwrap()).unwrap();
        assert_eq!(second.extension, "cc101");
        assert!(second.http_password.is_empty());
        assert_eq!(second.server_ip, None);

        let text = "mac,extension,http_password,server_ip\n001122334455,cc100,pw,10.0.0.5\n";
        let map = MacMap::parse(text).unwrap();
        assert_eq!(map.get(&Mac::parse("001122334455").unwrap()).unwrap().server_ip.as_deref(), Some("10.0.0.5"));
    }

    #[test]
    fn errors_name_the_line() {
        let header = "mac,extension,http_password\n";
        let cases = [
            ("001122334455,cc100,pw\nbad,cc101,pw\n", "line 3: mac: not a MAC address"),
            ("001122334455,,pw\n", "line 2: extension: must not be empty"),
            ("001122334455,cc100\n", "line 2: 2 fields, the header has 3"),
            ("001122334455,a,pw\n00-11-22-33-44-55,b,pw\n", "line 3: mac 001122334455 is also on line 2"),
        ];
        for (body, expected) in cases {
            let error = MacMap::parse(&format!("{header}{body}")).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{body:?}: {error}");
        }
        assert!(matches!(MacMap::parse("mac,ext\n"), Err(MacMapError::Header)));
    }
}
