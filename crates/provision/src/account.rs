//! One phone's account and the `<mac>.toml` file made from it: the phone's own configuration
//! format (docs/CONFIG.md `[[accounts]]`), written with the `toml` crate and checked by parsing it
//! back with [`phone::Config::from_toml`], so that nothing from an inventory or a database (a
//! quote or a newline in a name) can change the file's structure.

use std::fmt;

use toml::{Table, Value};

/// A password, never shown by `Debug`, never serialized: SIP passwords and the phones' HTTP
/// passwords stay out of logs, the status page and its JSON.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The password itself: for writing a phone's file or checking a credential only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares with a presented password in time that does not depend on where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let (ours, theirs) = (self.0.as_bytes(), presented.as_bytes());
        let mut difference = ours.len() ^ theirs.len();
        for (i, byte) in theirs.iter().enumerate() {
            difference |= usize::from(ours.get(i).copied().unwrap_or(0) ^ byte);
        }
        difference == 0 && !ours.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"********\"" })
    }
}

/// The account keys an inventory sets from its own columns; `options` may not set them too.
pub const COLUMN_KEYS: [&str; 7] =
    ["server", "transport", "user", "auth_user", "password", "display_name", "voicemail"];

/// One phone's line, as it goes into `[[accounts]]` of its `<mac>.toml`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhoneAccount {
    /// `label`: the name on the screen (the extension unless the options say otherwise).
    pub label: String,
    /// `server`: the registrar, `host[:port]`.
    pub server: String,
    /// `transport`: `udp`, `tcp` or `tls`; none for the phone's default (udp).
    pub transport: Option<String>,
    /// `user`: the SIP user (the extension).
    pub user: String,
    /// `auth_user`: the digest user when it is not `user`.
    pub auth_user: Option<String>,
    /// `password`: the digest password.
    pub password: Secret,
    /// `display_name`: the name callers see.
    pub display_name: Option<String>,
    /// `voicemail`: the voicemail number.
    pub voicemail: Option<String>,
    /// `auto_answer`: `off`, `header`, `always` or `vicidial`; none for the phone's default.
    pub auto_answer: Option<String>,
    /// Further account keys (an inventory's `options`), checked by the phone's own parser.
    pub options: Table,
}

/// An account that would not make a valid phone configuration.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// An option naming a key that has its own column.
    #[error("options: `{0}` has its own column")]
    OptionShadowsColumn(String),
    /// A value the phone would refuse, named by its account key (`server`, `expires`, …).
    #[error("{field}: {problem}")]
    Invalid {
        /// The account key.
        field: String,
        /// What the phone's configuration check says.
        problem: phone::Problem,
    },
    /// A key the phone does not know, or a value of the wrong type (from an option).
    #[error("{}", .0.message())]
    Syntax(Box<toml::de::Error>),
    /// Any other refusal of the phone's configuration parser.
    #[error("{0}")]
    Config(Box<phone::ConfigError>),
    /// The TOML writer failed (it does not for tables of strings, numbers and booleans).
    #[error("cannot write TOML: {0}")]
    Write(#[from] toml::ser::Error),
}

impl PhoneAccount {
    /// The `[[accounts]]` entry as a TOML table: the fields set, then the options.
    pub fn to_table(&self) -> Result<Table, AccountError> {
        let mut table = Table::new();
        let mut put = |key: &str, value: &str| {
            table.insert(key.to_owned(), Value::String(value.to_owned()));
        };
        put("label", &self.label);
        put("server", &self.server);
        put("user", &self.user);
        put("password", self.password.expose());
        let optional = [
            ("transport", &self.transport),
            ("auth_user", &self.auth_user),
            ("display_name", &self.display_name),
            ("voicemail", &self.voicemail),
            ("auto_answer", &self.auto_answer),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                put(key, value);
            }
        }
        for (key, value) in &self.options {
            if COLUMN_KEYS.contains(&key.as_str()) {
                return Err(AccountError::OptionShadowsColumn(key.clone()));
            }
            table.insert(key.clone(), value.clone());
        }
        Ok(table)
    }

    /// The phone's `<mac>.toml`: one `[[accounts]]` table, written by the `toml` crate and
    /// checked by parsing it back as the phone does.
    pub fn render(&self) -> Result<String, AccountError> {
        let mut root = Table::new();
        root.insert("accounts".to_owned(), Value::Array(vec![Value::Table(self.to_table()?)]));
        let text = toml::to_string(&root)?;
        check_phone_config(&text)?;
        Ok(text)
    }
}

/// Parses a generated file with the phone's own parser; errors name the account key.
pub fn check_phone_config(text: &str) -> Result<phone::Config, AccountError> {
    phone::Config::from_toml(text).map_err(|error| match error {
        phone::ConfigError::Invalid { key, problem } => {
            let field = key.strip_prefix("accounts[0].").unwrap_or(&key).to_owned();
            AccountError::Invalid { field, problem }
        }
        phone::ConfigError::Syntax(error) => AccountError::Syntax(Box::new(error)),
        other => AccountError::Config(Box::new(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> PhoneAccount {
        PhoneAccount {
            label: "1001".into(),
            server: "pbx.example.com".into(),
            user: "1001".into(),
            password: Secret::new("s3cret"),
            ..PhoneAccount::default()
        }
    }

    #[test]
    fn renders_a_file_the_phone_reads() {
        let mut account = account();
        account.transport = Some("tcp".into());
        account.voicemail = Some("8501".into());
        account.auto_answer = Some("vicidial".into());
        account.options.insert("expires".into(), Value::Integer(600));
        let text = account.render().unwrap();
        let config = phone::Config::from_toml(&text).unwrap();
        let parsed = &config.accounts[0];
        assert_eq!(parsed.user, "1001");
        assert_eq!(parsed.password.expose(), "s3cret");
        assert_eq!(parsed.transport, phone::Transport::Tcp);
        assert_eq!(parsed.voicemail.as_deref(), Some("8501"));
        assert_eq!(parsed.auto_answer, phone::AutoAnswer::Vicidial);
        assert_eq!(parsed.expires, 600);
    }

    #[test]
    fn quotes_and_newlines_stay_inside_their_value() {
        let mut account = account();
        let hostile = "Bob \"The Boss\" \\ O'Neil\n[sip]\nlisten = \"0.0.0.0:1\"\n\u{7f}\t";
        account.display_name = Some(hostile.into());
        account.password = Secret::new("pa\"ss\nword'''");
        let text = account.render().unwrap();
        let config = phone::Config::from_toml(&text).unwrap();
        assert_eq!(config.accounts[0].display_name.as_deref(), Some(hostile));
        assert_eq!(config.accounts[0].password.expose(), "pa\"ss\nword'''");
        assert_eq!(config.sip, phone::SipSettings::default(), "the name must not open a [sip] table");
    }

    #[test]
    fn refusals_name_the_key() {
        let mut bad_server = account();
        bad_server.server = "pbx example".into();
        let error = bad_server.render().unwrap_err();
        assert!(matches!(&error, AccountError::Invalid { field, .. } if field == "server"), "{error}");

        let mut unknown_option = account();
        unknown_option.options.insert("pasword".into(), Value::String("x".into()));
        let error = unknown_option.render().unwrap_err().to_string();
        assert!(error.contains("unknown field `pasword`"), "{error}");

        let mut shadow = account();
        shadow.options.insert("password".into(), Value::String("x".into()));
        assert_eq!(shadow.render().unwrap_err().to_string(), "options: `password` has its own column");
    }

    #[test]
    fn secrets_compare_and_hide() {
        let secret = Secret::new("hunter2");
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter"));
        assert!(!secret.matches("hunter22"));
        assert!(!Secret::new("").matches(""), "an empty password is no password");
        assert_eq!(format!("{secret:?}"), "\"********\"");
    }
}
