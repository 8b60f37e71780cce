//! The inventory: which phone (by MAC) gets which account, from a CSV or a TOML file.
//!
//! Every row is checked when the file is read, by rendering its `<mac>.toml` and parsing that
//! with the phone's own parser: an error names the line, the column or key, and the problem.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::{Spanned, Table};

use crate::account::{AccountError, PhoneAccount, Secret};
use crate::mac::{Mac, MacError};

/// The columns of a CSV inventory (the keys of a TOML one).
pub const COLUMNS: [&str; 10] = [
    "mac",
    "extension",
    "auth_user",
    "password",
    "display_name",
    "server",
    "transport",
    "http_password",
    "voicemail",
    "options",
];

/// Columns every inventory must have.
const REQUIRED: [&str; 3] = ["mac", "extension", "server"];

/// One phone of the inventory.
#[derive(Debug, Clone)]
pub struct InventoryPhone {
    /// Its MAC.
    pub mac: Mac,
    /// The line of the file it is on.
    pub line: u64,
    /// The password the phone presents for HTTP Basic (none: client certificate only).
    pub http_password: Secret,
    /// Its account.
    pub account: PhoneAccount,
    /// Its `<mac>.toml`, rendered and checked when the inventory was read.
    pub file: String,
}

/// The phones of an inventory file, by MAC.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    phones: BTreeMap<Mac, InventoryPhone>,
}

/// How an inventory file is written, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    /// `.csv`: a header line naming the columns, then one phone per line.
    Csv,
    /// `.toml`: `[[phones]]` tables.
    Toml,
}

impl InventoryFormat {
    /// The format a file name says (`.csv` or `.toml`, any case).
    pub fn of_path(path: &Path) -> Option<InventoryFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(InventoryFormat::Csv),
            "toml" => Some(InventoryFormat::Toml),
            _ => None,
        }
    }
}

/// An inventory that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A fault on one line.
    #[error("line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong there.
        problem: EntryProblem,
    },
    /// The CSV header names a column that does not exist.
    #[error("line 1: unknown column `{0}` (columns: mac, extension, auth_user, password, display_name, server, transport, http_password, voicemail, options)")]
    UnknownColumn(String),
    /// The CSV header lacks a required column.
    #[error("line 1: the header has no `{0}` column")]
    MissingColumn(&'static str),
    /// A TOML inventory that is not TOML or has a wrong or unknown key. Only the line and the
    /// message are shown, never the line's text (it may hold a password).
    #[error("line {line}: {}", .error.message())]
    Toml {
        /// 1-based line number (0 when unknown).
        line: u64,
        /// The parser's error.
        error: Box<toml::de::Error>,
    },
}

/// What is wrong with one phone's entry.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EntryProblem {
    /// The `mac` is not a MAC address.
    #[error("mac: {0}")]
    Mac(MacError),
    /// A required value is empty.
    #[error("{0}: must not be empty")]
    Empty(&'static str),
    /// A CSV line with another number of fields than the header.
    #[error("{found} fields, the header has {expected}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields on this line.
        found: usize,
    },
    /// A CSV line that cannot be read (not UTF-8).
    #[error("{0}")]
    Csv(csv::Error),
    /// `options` that are not the inside of a TOML inline table (`expires = 600, enabled = true`).
    #[error("options: not `key = value, …` in TOML: {}", .0.message())]
    Options(Box<toml::de::Error>),
    /// The MAC is on an earlier line too.
    #[error("mac {mac} is also on line {first_line}")]
    DuplicateMac {
        /// The MAC.
        mac: Mac,
        /// Where it first appears.
        first_line: u64,
    },
    /// The account would not be a valid phone configuration.
    #[error("{0}")]
    Account(AccountError),
}

/// The fields of one entry, from either format, before checking.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    mac: String,
    extension: String,
    server: String,
    auth_user: Option<String>,
    password: Option<String>,
    display_name: Option<String>,
    transport: Option<String>,
    http_password: Option<String>,
    voicemail: Option<String>,
    #[serde(default)]
    options: Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlInventory {
    #[serde(default)]
    phones: Vec<Spanned<RawEntry>>,
}

impl Inventory {
    /// Reads an inventory's text.
    pub fn parse(text: &str, format: InventoryFormat) -> Result<Inventory, InventoryError> {
        match format {
            InventoryFormat::Csv => Inventory::parse_csv(text),
            InventoryFormat::Toml => Inventory::parse_toml(text),
        }
    }

    /// Reads a CSV inventory: a header line naming the columns (any order; `mac`, `extension`
    /// and `server` required), then one phone per line. Blanks around fields are trimmed, an
    /// empty field is an absent value, lines starting with `#` are comments. `options` holds
    /// further account keys as the inside of a TOML inline table: `expires = 600, enabled = true`.
    pub fn parse_csv(text: &str) -> Result<Inventory, InventoryError> {
        let csv = CsvText::new(text);
        let mut reader = csv.reader();
        let headers = reader
            .headers()
            .map_err(|error| InventoryError::Line { line: 1, problem: EntryProblem::Csv(error) })?
            .clone();
        let mut columns = Vec::with_capacity(headers.len());
        for name in &headers {
            let known = COLUMNS.iter().find(|column| column.eq_ignore_ascii_case(name));
            columns.push(*known.ok_or_else(|| InventoryError::UnknownColumn(name.to_owned()))?);
        }
        if let Some(missing) = REQUIRED.iter().find(|required| !columns.contains(required)) {
            return Err(InventoryError::MissingColumn(missing));
        }
        let mut inventory = Inventory::default();
        for record in reader.records() {
            let record = record.map_err(|error| {
                let line = error.position().map_or(0, |position| csv.line(position));
                InventoryError::Line { line, problem: EntryProblem::Csv(error) }
            })?;
            let line = record.position().map_or(0, |position| csv.line(position));
            let at_line = |problem| InventoryError::Line { line, problem };
            if record.len() != columns.len() {
                return Err(at_line(EntryProblem::FieldCount { expected: columns.len(), found: record.len() }));
            }
            let raw = raw_from_csv(&columns, &record).map_err(at_line)?;
            inventory.add(raw, line).map_err(at_line)?;
        }
        Ok(inventory)
    }

    /// Reads a TOML inventory: `[[phones]]` tables with the CSV's columns as keys, `options` a
    /// table.
    pub fn parse_toml(text: &str) -> Result<Inventory, InventoryError> {
        let parsed: TomlInventory = toml::from_str(text)
            .map_err(|error| InventoryError::Toml { line: toml_error_line(text, &error), error: Box::new(error) })?;
        let mut inventory = Inventory::default();
        for entry in parsed.phones {
            let line = line_of(text, entry.span().start);
            inventory.add(entry.into_inner(), line).map_err(|problem| InventoryError::Line { line, problem })?;
        }
        Ok(inventory)
    }

    /// Checks one entry and adds it.
    fn add(&mut self, raw: RawEntry, line: u64) -> Result<(), EntryProblem> {
        let mac = Mac::parse(&raw.mac).map_err(EntryProblem::Mac)?;
        if let Some(first) = self.phones.get(&mac) {
            return Err(EntryProblem::DuplicateMac { mac, first_line: first.line });
        }
        for (name, value) in [("extension", &raw.extension), ("server", &raw.server)] {
            if value.trim().is_empty() {
                return Err(EntryProblem::Empty(name));
            }
        }
        let non_empty = |value: Option<String>| value.filter(|value| !value.is_empty());
        let account = PhoneAccount {
            label: raw.extension.clone(),
            server: raw.server,
            transport: non_empty(raw.transport).map(|transport| transport.to_ascii_lowercase()),
            user: raw.extension,
            auth_user: non_empty(raw.auth_user),
            password: Secret::new(raw.password.unwrap_or_default()),
            display_name: non_empty(raw.display_name),
            voicemail: non_empty(raw.voicemail),
            auto_answer: None,
            options: raw.options,
        };
        let file = account.render().map_err(EntryProblem::Account)?;
        let http_password = Secret::new(raw.http_password.unwrap_or_default());
        self.phones.insert(mac, InventoryPhone { mac, line, http_password, account, file });
        Ok(())
    }

    /// The phone with this MAC.
    pub fn get(&self, mac: &Mac) -> Option<&InventoryPhone> {
        self.phones.get(mac)
    }

    /// Every phone, by MAC.
    pub fn phones(&self) -> impl Iterator<Item = &InventoryPhone> {
        self.phones.values()
    }

    /// How many phones.
    pub fn len(&self) -> usize {
        self.phones.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.phones.is_empty()
    }
}

/// The entry of one CSV record.
fn raw_from_csv(columns: &[&str], record: &csv::StringRecord) -> Result<RawEntry, EntryProblem> {
    let mut raw = RawEntry::default();
    for (column, value) in columns.iter().zip(record.iter()) {
        let text = Some(value.to_owned()).filter(|value| !value.is_empty());
        match *column {
            "mac" => raw.mac = value.to_owned(),
            "extension" => raw.extension = value.to_owned(),
            "server" => raw.server = value.to_owned(),
            "auth_user" => raw.auth_user = text,
            "password" => raw.password = text,
            "display_name" => raw.display_name = text,
            "transport" => raw.transport = text,
            "http_password" => raw.http_password = text,
            "voicemail" => raw.voicemail = text,
            _ => raw.options = parse_options(value)?,
        }
    }
    Ok(raw)
}

/// Reads `options` of a CSV line: the inside of a TOML inline table. The text is parsed as the
/// value of one key; anything that would end the table early and add more is refused.
pub fn parse_options(text: &str) -> Result<Table, EntryProblem> {
    if text.trim().is_empty() {
        return Ok(Table::new());
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        options: Table,
    }
    let wrapped = format!("options = {{ {text} }}");
    toml::from_str::<Wrapper>(&wrapped)
        .map(|wrapper| wrapper.options)
        .map_err(|error| EntryProblem::Options(Box::new(error)))
}

/// The 1-based line a TOML error points at (0 when it points nowhere).
pub fn toml_error_line(text: &str, error: &toml::de::Error) -> u64 {
    error.span().map_or(0, |span| line_of(text, span.start))
}

/// CSV text without its comment lines (`#` first) and blank lines, and for each line kept its
/// line number in the original: the csv crate counts neither, so its line numbers would not
/// be the file's. Quoted fields may span lines; a line inside one is never dropped.
pub struct CsvText {
    /// The text to parse.
    pub text: String,
    /// `lines[i]`: the original line of kept line `i + 1`.
    lines: Vec<u64>,
}

impl CsvText {
    /// Drops comments and blank lines outside quoted fields.
    pub fn new(original: &str) -> CsvText {
        let (mut text, mut lines) = (String::with_capacity(original.len()), Vec::new());
        let mut quoted = false;
        for (index, line) in original.split_inclusive('\n').enumerate() {
            let skip = !quoted && (line.trim().is_empty() || line.trim_start().starts_with('#'));
            quoted ^= line.bytes().filter(|&b| b == b'"').count() % 2 == 1;
            if !skip {
                text.push_str(line);
                lines.push(index as u64 + 1);
            }
        }
        CsvText { text, lines }
    }

    /// The original line of a csv position.
    pub fn line(&self, position: &csv::Position) -> u64 {
        let kept = usize::try_from(position.line()).unwrap_or(usize::MAX);
        kept.checked_sub(1).and_then(|i| self.lines.get(i)).copied().unwrap_or(0)
    }

    /// A reader over the text: trimmed fields, a header line, any number of fields per line.
    pub fn reader(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(self.text.as_bytes())
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|&b| b == b'\n').count() as u64 + 1
}

#[cfg(test)]
mod tests;
