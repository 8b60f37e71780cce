//! The settings menu, behind the admin PIN: accounts (server, port, transport, extension,
//! auth user, password, display name), network (read-only), audio (ringtone, volumes) and
//! status (registration of each account, version).
//!
//! [`Key::Menu`] (or the user menu's *Settings* item) asks for the PIN, masked; after
//! [`PIN_TRIES`] wrong PINs the menu stays locked for [`LOCKOUT`]. Pages are lists moved through
//! with Up/Down, entered with OK (or the *Select*/*Edit* soft key) and left with Back. Text
//! fields are typed by multi-tap ([`super::multitap`]) or, on a full keyboard, with
//! [`Key::Char`]; `#` or OK accepts a field, Back deletes a character (on an empty field it
//! cancels the field). *Save* checks the page and emits [`DeviceOutput::SaveSettings`] with only
//! what changed, as a configuration layer; the edge answers [`Input::SettingsResult`]: *Saved*
//! and back to the idle screen, or the error shown on the page with the edits kept. Back
//! without saving leaves everything as it was.

use std::time::{Duration, Instant};

use toml::{Table, Value};

use super::multitap::{EntryMode, TextEntry};
use super::view::View;
use super::*;
use crate::config::RingtoneName;

mod render;

/// Wrong PINs in a row that lock the menu.
pub const PIN_TRIES: u32 = 3;
/// How long the menu stays locked after [`PIN_TRIES`] wrong PINs.
pub const LOCKOUT: Duration = Duration::from_secs(60);
/// How many rows of a list the screen shows.
const ROWS: usize = 8;
/// The longest text a field takes.
const MAX_TEXT: usize = 64;

/// The main page's items.
const MAIN: [&str; 4] = ["Account", "Network", "Audio", "Status"];
const TRANSPORTS: [&str; 3] = ["UDP", "TCP", "TLS"];
const RINGTONES: [&str; 3] = ["Warble", "Bell", "Melody"];

/// The settings menu's state in the device.
#[derive(Debug, Default)]
pub(super) struct Settings {
    page: Option<Page>,
    failures: u32,
    locked_until: Option<Instant>,
    /// A save was emitted; its result has not come.
    saving: bool,
    /// A line under the page's title (a wrong PIN).
    message: Option<String>,
}

impl Settings {
    /// Leaves the menu (edits are dropped; the PIN is asked again next time).
    pub(super) fn close(&mut self) {
        self.page = None;
        self.message = None;
    }

    /// A text field (or the PIN) is being typed: a full keyboard types characters.
    pub(super) fn text_entry(&self) -> bool {
        match &self.page {
            Some(Page::Pin(_)) => true,
            Some(Page::Form(form)) => matches!(form.editor, Some(Editor::Text(_))),
            _ => false,
        }
    }

    pub(super) fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        let entry = match &self.page {
            Some(Page::Pin(entry)) => entry.poll_timeout(),
            Some(Page::Form(Form { editor: Some(Editor::Text(entry)), .. })) => entry.poll_timeout(),
            _ => None,
        };
        // The lock page counts the seconds down.
        let tick = match (&self.page, self.locked_until) {
            (Some(Page::Locked), Some(until)) => {
                let shown = seconds_left(until, now);
                until.checked_sub(Duration::from_secs(shown.saturating_sub(1)))
            }
            _ => None,
        };
        [entry, self.locked_until, tick.filter(|t| *t > now)].into_iter().flatten().min()
    }

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        match &mut self.page {
            Some(Page::Pin(entry)) => entry.handle_timeout(now),
            Some(Page::Form(Form { editor: Some(Editor::Text(entry)), .. })) => entry.handle_timeout(now),
            _ => {}
        }
        if self.locked_until.is_some_and(|t| t <= now) {
            self.locked_until = None;
            self.failures = 0;
            if matches!(self.page, Some(Page::Locked)) {
                self.page = Some(pin_entry());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Page {
    Pin(TextEntry),
    Locked,
    Main { cursor: usize },
    Accounts { cursor: usize },
    Form(Form),
    Network,
    Status,
}

/// What a form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormOf {
    /// Account `Some(index)`, or a new one.
    Account(Option<usize>),
    Audio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldId {
    Label,
    Server,
    Port,
    Transport,
    User,
    AuthUser,
    Password,
    DisplayName,
    Ringtone,
    Volume(VolumeOf),
}

impl FieldId {
    fn label(self) -> &'static str {
        match self {
            FieldId::Label => "Label",
            FieldId::Server => "Server",
            FieldId::Port => "Port",
            FieldId::Transport => "Transport",
            FieldId::User => "Extension",
            FieldId::AuthUser => "Auth user",
            FieldId::Password => "Password",
            FieldId::DisplayName => "Display name",
            FieldId::Ringtone => "Ringtone",
            FieldId::Volume(VolumeOf::Ringer) => "Ringer volume",
            FieldId::Volume(VolumeOf::Handset) => "Handset volume",
            FieldId::Volume(VolumeOf::Speaker) => "Speaker volume",
            FieldId::Volume(VolumeOf::Headset) => "Headset volume",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            FieldId::Transport => &TRANSPORTS,
            FieldId::Ringtone => &RINGTONES,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldValue {
    Text(String),
    /// A password: what was typed (none: unchanged), and whether one is set.
    Password {
        typed: Option<String>,
        set: bool,
    },
    Choice(usize),
    Level(u8),
}

#[derive(Debug, Clone)]
struct Field {
    id: FieldId,
    value: FieldValue,
    original: FieldValue,
}

impl Field {
    fn new(id: FieldId, value: FieldValue) -> Field {
        Field { id, original: value.clone(), value }
    }

    fn changed(&self) -> bool {
        self.value != self.original
    }

    fn text(&self) -> &str {
        match &self.value {
            FieldValue::Text(text) => text,
            _ => "",
        }
    }

    fn shown(&self) -> String {
        match (&self.value, self.id) {
            (FieldValue::Text(text), FieldId::Port) if text.is_empty() => "(DNS SRV)".to_owned(),
            (FieldValue::Text(text), FieldId::AuthUser) if text.is_empty() => "(extension)".to_owned(),
            (FieldValue::Text(text), _) => text.clone(),
            (FieldValue::Password { typed: Some(p), .. }, _) => "*".repeat(p.chars().count()),
            (FieldValue::Password { set: true, .. }, _) => "********".to_owned(),
            (FieldValue::Password { set: false, .. }, _) => "(none)".to_owned(),
            (FieldValue::Choice(at), id) => id.options().get(*at).copied().unwrap_or("").to_owned(),
            (FieldValue::Level(level), _) => format!("{level}/{MAX_VOLUME}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Editor {
    Text(TextEntry),
    Choice(usize),
    Level(u8),
}

#[derive(Debug, Clone)]
struct Form {
    of: FormOf,
    fields: Vec<Field>,
    cursor: usize,
    editor: Option<Editor>,
    error: Option<String>,
}

fn pin_entry() -> Page {
    Page::Pin(TextEntry::digits("", 12).hidden())
}

/// `host[:port]` split into the host and the port (`[v6]` kept in its brackets).
fn split_server(server: &str) -> (String, String) {
    if let Some(rest) = server.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once(']') {
            return (format!("[{host}]"), port.strip_prefix(':').unwrap_or("").to_owned());
        }
    }
    match server.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host.to_owned(), port.to_owned()),
        _ => (server.to_owned(), String::new()),
    }
}

/// The host and port joined as `host[:port]` (an IPv6 address put in brackets).
fn join_server(host: &str, port: &str) -> String {
    let host = host.trim();
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    if port.trim().is_empty() {
        host
    } else {
        format!("{host}:{}", port.trim())
    }
}

impl Device {
    /// Opens the settings menu: the PIN, or the lock page while locked.
    pub(super) fn open_settings(&mut self) {
        self.view = View::Settings;
        self.settings.message = None;
        self.settings.page = Some(if self.settings.locked_until.is_some() { Page::Locked } else { pin_entry() });
    }

    /// A key while the menu is shown; false for keys the menu leaves to the phone (hook,
    /// line keys, features).
    pub(super) fn settings_key(&mut self, key: Key) -> bool {
        if let Key::Soft(n) = key {
            if self.settings_soft_labels().get(n).is_none_or(|label| label.is_empty()) {
                return true;
            }
        }
        if self.settings.saving && !matches!(key, Key::Menu) {
            return matches!(key, Key::Digit(_) | Key::Char(_) | Key::Star | Key::Pound | Key::Soft(_) | Key::Ok);
        }
        let Some(page) = self.settings.page.take() else {
            self.view = View::Calls;
            return false;
        };
        let now = self.now;
        let page = match (page, key) {
            (_, Key::Menu) => None,
            (page, Key::Soft(n)) => return self.settings_soft(page, n),
            (Page::Pin(mut entry), key) => match key {
                Key::Digit(c) | Key::Char(c) if c.is_ascii_digit() => {
                    entry.key(now, c);
                    Some(Page::Pin(entry))
                }
                Key::Ok | Key::Pound | Key::Char('\n') => Some(self.check_pin(entry.value())),
                Key::Back if entry.backspace() => Some(Page::Pin(entry)),
                Key::Back => None,
                Key::Up | Key::Down | Key::Star | Key::Char(_) | Key::Digit(_) => Some(Page::Pin(entry)),
                _ => return self.settings_pass(Page::Pin(entry)),
            },
            (Page::Locked, Key::Back | Key::Ok) => None,
            (Page::Main { cursor }, key) => match key {
                Key::Up | Key::Down => Some(Page::Main { cursor: step(cursor, MAIN.len(), key == Key::Down) }),
                Key::Ok => Some(self.main_select(cursor)),
                Key::Back => None,
                _ => return self.settings_pass(Page::Main { cursor }),
            },
            (Page::Accounts { cursor }, key) => {
                let len = self.config.accounts.len() + 1;
                match key {
                    Key::Up | Key::Down => Some(Page::Accounts { cursor: step(cursor, len, key == Key::Down) }),
                    Key::Ok => Some(self.account_form(cursor)),
                    Key::Back => Some(Page::Main { cursor: 0 }),
                    _ => return self.settings_pass(Page::Accounts { cursor }),
                }
            }
            (Page::Form(form), key) => return self.form_key(form, key),
            (page @ (Page::Network | Page::Status), Key::Back | Key::Ok) => {
                let cursor = if matches!(page, Page::Network) { 1 } else { 3 };
                Some(Page::Main { cursor })
            }
            (page, key) => return self.settings_pass_key(page, key),
        };
        self.settings_goto(page);
        true
    }

    /// Keys no page uses: dial-pad keys and navigation are swallowed, the rest go to the phone.
    fn settings_pass_key(&mut self, page: Page, key: Key) -> bool {
        self.settings.page = Some(page);
        matches!(key, Key::Digit(_) | Key::Char(_) | Key::Star | Key::Pound | Key::Up | Key::Down | Key::Ok | Key::Back)
    }

    fn settings_pass(&mut self, page: Page) -> bool {
        self.settings.page = Some(page);
        false
    }

    /// Shows `page`, or leaves the menu for the idle screen.
    fn settings_goto(&mut self, page: Option<Page>) {
        match page {
            Some(page) => self.settings.page = Some(page),
            None => {
                self.settings.close();
                self.view = View::Calls;
            }
        }
    }

    fn check_pin(&mut self, typed: &str) -> Page {
        if typed == self.config.admin_pin.expose() {
            self.settings.failures = 0;
            self.settings.message = None;
            return Page::Main { cursor: 0 };
        }
        self.settings.failures += 1;
        if self.settings.failures >= PIN_TRIES {
            self.settings.locked_until = Some(self.now + LOCKOUT);
            self.settings.message = None;
            return Page::Locked;
        }
        self.settings.message = Some(format!("Wrong PIN ({} of {PIN_TRIES})", self.settings.failures));
        pin_entry()
    }

    fn main_select(&mut self, cursor: usize) -> Page {
        match cursor {
            0 => Page::Accounts { cursor: 0 },
            1 => Page::Network,
            2 => self.audio_form(),
            _ => Page::Status,
        }
    }

    /// The form of account `index` (of the list; past the accounts: a new one).
    fn account_form(&self, index: usize) -> Page {
        let text = |s: &str| FieldValue::Text(s.to_owned());
        let (of, fields) = match self.config.accounts.get(index) {
            Some(a) => {
                let (host, port) = split_server(&a.server);
                let transport = TRANSPORTS.iter().position(|t| *t == a.transport.as_str());
                let fields = vec![
                    (FieldId::Server, text(&host)),
                    (FieldId::Port, text(&port)),
                    (FieldId::Transport, FieldValue::Choice(transport.unwrap_or(0))),
                    (FieldId::User, text(&a.user)),
                    (FieldId::AuthUser, text(a.auth_user.as_deref().unwrap_or(""))),
                    (FieldId::Password, FieldValue::Password { typed: None, set: a.has_password }),
                    (FieldId::DisplayName, text(a.display_name.as_deref().unwrap_or(""))),
                ];
                (FormOf::Account(Some(index)), fields)
            }
            None => {
                let fields = vec![
                    (FieldId::Label, text("")),
                    (FieldId::Server, text("")),
                    (FieldId::Port, text("")),
                    (FieldId::Transport, FieldValue::Choice(0)),
                    (FieldId::User, text("")),
                    (FieldId::AuthUser, text("")),
                    (FieldId::Password, FieldValue::Password { typed: None, set: false }),
                    (FieldId::DisplayName, text("")),
                ];
                (FormOf::Account(None), fields)
            }
        };
        let fields = fields.into_iter().map(|(id, value)| Field::new(id, value)).collect();
        Page::Form(Form { of, fields, cursor: 0, editor: None, error: None })
    }

    fn audio_form(&self) -> Page {
        let ringtone =
            RINGTONES.iter().position(|r| r.eq_ignore_ascii_case(RingtoneName::name_of(self.config.default_ringtone)));
        let mut fields = vec![Field::new(FieldId::Ringtone, FieldValue::Choice(ringtone.unwrap_or(0)))];
        for of in [VolumeOf::Ringer, VolumeOf::Handset, VolumeOf::Speaker, VolumeOf::Headset] {
            fields.push(Field::new(FieldId::Volume(of), FieldValue::Level(self.config.volumes[of as usize])));
        }
        Page::Form(Form { of: FormOf::Audio, fields, cursor: 0, editor: None, error: None })
    }

    /// A key on a form: moving, editing a field, leaving.
    fn form_key(&mut self, mut form: Form, key: Key) -> bool {
        if form.editor.is_some() {
            return self.editor_key(form, key);
        }
        match key {
            Key::Up | Key::Down => form.cursor = step(form.cursor, form.fields.len(), key == Key::Down),
            Key::Ok => self.open_editor(&mut form),
            Key::Back => {
                let back = match form.of {
                    FormOf::Account(index) => Page::Accounts { cursor: index.unwrap_or(self.config.accounts.len()) },
                    FormOf::Audio => Page::Main { cursor: 2 },
                };
                self.settings.page = Some(back);
                return true;
            }
            _ => return self.settings_pass_key(Page::Form(form), key),
        }
        self.settings.page = Some(Page::Form(form));
        true
    }

    fn open_editor(&mut self, form: &mut Form) {
        let Some(field) = form.fields.get(form.cursor) else { return };
        form.error = None;
        form.editor = Some(match (&field.value, field.id) {
            (FieldValue::Text(text), FieldId::Port) => Editor::Text(TextEntry::digits(text, 5)),
            (FieldValue::Text(text), FieldId::User | FieldId::AuthUser) => {
                // Extensions are mostly digits.
                Editor::Text(TextEntry::text(text, MAX_TEXT).with_mode(EntryMode::Digits))
            }
            (FieldValue::Text(text), _) => Editor::Text(TextEntry::text(text, MAX_TEXT)),
            (FieldValue::Password { .. }, _) => Editor::Text(TextEntry::text("", MAX_TEXT).masked()),
            (FieldValue::Choice(at), _) => Editor::Choice(*at),
            (FieldValue::Level(level), _) => Editor::Level(*level),
        });
    }

    /// A key while a field is edited.
    fn editor_key(&mut self, mut form: Form, key: Key) -> bool {
        let now = self.now;
        let options = form.fields.get(form.cursor).map_or(0, |f| f.id.options().len()).max(1);
        let Some(editor) = form.editor.as_mut() else { return false };
        let mut done: Option<bool> = None; // Some(true): accept, Some(false): cancel
        match (editor, key) {
            (Editor::Text(entry), Key::Digit(c)) if c.is_ascii_digit() => entry.key(now, c),
            (Editor::Text(entry), Key::Star) => entry.next_mode(),
            (Editor::Text(_), Key::Char('\n') | Key::Pound | Key::Ok) => done = Some(true),
            (Editor::Text(entry), Key::Char(c)) => entry.type_char(now, c),
            (Editor::Text(entry), Key::Back) => {
                if !entry.backspace() {
                    done = Some(false);
                }
            }
            (Editor::Choice(at), Key::Up | Key::Down) => *at = step(*at, options, key == Key::Down),
            (Editor::Level(level), Key::Up | Key::VolumeUp) => *level = (*level + 1).min(MAX_VOLUME),
            (Editor::Level(level), Key::Down | Key::VolumeDown) => *level = level.saturating_sub(1),
            (Editor::Choice(_) | Editor::Level(_), Key::Ok | Key::Pound) => done = Some(true),
            (Editor::Choice(_) | Editor::Level(_), Key::Back) => done = Some(false),
            (_, key) => return self.settings_pass_key(Page::Form(form), key),
        }
        match done {
            Some(true) => accept_edit(&mut form),
            Some(false) => form.editor = None,
            None => {}
        }
        self.settings.page = Some(Page::Form(form));
        true
    }

    /// A soft key in the menu.
    fn settings_soft(&mut self, page: Page, n: usize) -> bool {
        let key = match (&page, n) {
            (Page::Form(form), 1) if form.editor.is_none() => {
                let Page::Form(form) = page else { return true };
                self.save_form(form);
                return true;
            }
            (Page::Form(Form { editor: Some(Editor::Text(_)), .. }), 2) => Key::Star,
            (Page::Form(Form { editor: Some(Editor::Text(_)), .. }), 3) => {
                let Page::Form(mut form) = page else { return true };
                form.editor = None;
                self.settings.page = Some(Page::Form(form));
                return true;
            }
            (Page::Pin(_), 3) => Key::Menu,
            (_, 0) => Key::Ok,
            (Page::Pin(_) | Page::Form(Form { editor: Some(Editor::Text(_)), .. }), 1) => Key::Back,
            (_, 3) => Key::Back,
            _ => {
                self.settings.page = Some(page);
                return true;
            }
        };
        self.settings.page = Some(page);
        self.settings_key(key)
    }

    /// The soft-key labels of the page shown.
    pub(super) fn settings_soft_labels(&self) -> [&'static str; 4] {
        if self.settings.saving {
            return ["", "", "", ""];
        }
        match &self.settings.page {
            Some(Page::Pin(_)) => ["OK", "Delete", "", "Cancel"],
            Some(Page::Main { .. } | Page::Accounts { .. }) => ["Select", "", "", "Back"],
            Some(Page::Form(form)) => match &form.editor {
                None => ["Edit", "Save", "", "Back"],
                Some(Editor::Text(entry)) if entry.is_digits_only() => ["OK", "Delete", "", "Cancel"],
                Some(Editor::Text(entry)) => ["OK", "Delete", entry.mode().label(), "Cancel"],
                Some(_) => ["OK", "", "", "Cancel"],
            },
            Some(Page::Locked | Page::Network | Page::Status) | None => ["", "", "", "Back"],
        }
    }

    /// Checks the form and emits what changed; a form without changes just closes.
    fn save_form(&mut self, mut form: Form) {
        let layer = match form.of {
            FormOf::Account(index) => self.account_layer(&form, index),
            FormOf::Audio => Ok(audio_layer(&form)),
        };
        match layer {
            Err(problem) => {
                form.error = Some(problem);
                self.settings.page = Some(Page::Form(form));
            }
            Ok(None) => {
                self.notice("No changes".to_owned());
                self.settings_goto(None);
            }
            Ok(Some(layer)) => {
                self.settings.saving = true;
                self.settings.page = Some(Page::Form(form));
                self.out.push_back(DeviceOutput::SaveSettings(layer));
            }
        }
    }

    /// The layer of an account form: `[[accounts]]` with the label and what changed.
    fn account_layer(&self, form: &Form, index: Option<usize>) -> Result<Option<Table>, String> {
        let field = |id: FieldId| form.fields.iter().find(|f| f.id == id);
        let text = |id: FieldId| field(id).map_or("", Field::text).trim().to_owned();
        let (server, port, user) = (text(FieldId::Server), text(FieldId::Port), text(FieldId::User));
        if server.is_empty() {
            return Err("Server: must not be empty".into());
        }
        if !port.is_empty() && !port.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err("Port: must be from 1 to 65535".into());
        }
        if user.is_empty() {
            return Err("Extension: must not be empty".into());
        }
        let label = match index.and_then(|i| self.config.accounts.get(i)) {
            Some(account) => account.label.clone(),
            None => {
                let label = text(FieldId::Label);
                let label = if label.is_empty() { user.clone() } else { label };
                if self.config.accounts.iter().any(|a| a.label == label) {
                    return Err("Label: used by another account".into());
                }
                label
            }
        };
        let new = index.is_none();
        let mut account = Table::new();
        let server_changed =
            field(FieldId::Server).is_some_and(Field::changed) || field(FieldId::Port).is_some_and(Field::changed);
        if new || server_changed {
            account.insert("server".into(), Value::String(join_server(&server, &port)));
        }
        for f in form.fields.iter().filter(|f| new || f.changed()) {
            let value = match (&f.value, f.id) {
                (FieldValue::Choice(at), FieldId::Transport) => {
                    Some(Value::String(TRANSPORTS.get(*at).copied().unwrap_or("UDP").to_ascii_lowercase()))
                }
                (FieldValue::Text(_), FieldId::User) => Some(Value::String(user.clone())),
                (FieldValue::Text(auth), FieldId::AuthUser) if auth.trim().is_empty() => {
                    (!new).then(|| Value::String(user.clone()))
                }
                (FieldValue::Text(t), FieldId::AuthUser) => Some(Value::String(t.trim().to_owned())),
                (FieldValue::Text(t), FieldId::DisplayName) if !(new && t.trim().is_empty()) => {
                    Some(Value::String(t.trim().to_owned()))
                }
                (FieldValue::Password { typed: Some(p), .. }, _) => Some(Value::String(p.clone())),
                _ => None,
            };
            let key = match f.id {
                FieldId::Transport => "transport",
                FieldId::User => "user",
                FieldId::AuthUser => "auth_user",
                FieldId::DisplayName => "display_name",
                FieldId::Password => "password",
                _ => continue,
            };
            if let Some(value) = value {
                account.insert(key.into(), value);
            }
        }
        if account.is_empty() {
            return Ok(None);
        }
        account.insert("label".into(), Value::String(label));
        let mut layer = Table::new();
        layer.insert("accounts".into(), Value::Array(vec![Value::Table(account)]));
        Ok(Some(layer))
    }

    /// The answer to a save.
    pub(super) fn settings_result(&mut self, result: Result<(), String>) {
        self.settings.saving = false;
        match result {
            Ok(()) => {
                self.notice("Saved".to_owned());
                if self.view == View::Settings {
                    self.settings_goto(None);
                }
            }
            Err(problem) => {
                // `accounts[0].server: ...` is shown as `server: ...`: the page says which account.
                let problem = match problem.split_once("].") {
                    Some((head, rest)) if head.starts_with("accounts[") => rest.to_owned(),
                    _ => problem,
                };
                match self.settings.page.as_mut() {
                    Some(Page::Form(form)) if self.view == View::Settings => form.error = Some(problem),
                    _ => self.notice(problem),
                }
            }
        }
    }
}

/// The editor's value into its field.
fn accept_edit(form: &mut Form) {
    let Some(editor) = form.editor.take() else { return };
    let Some(field) = form.fields.get_mut(form.cursor) else { return };
    field.value = match (editor, &field.value) {
        (Editor::Text(entry), FieldValue::Password { set, .. }) if entry.value().is_empty() => {
            FieldValue::Password { typed: None, set: *set }
        }
        (Editor::Text(entry), FieldValue::Password { .. }) => {
            FieldValue::Password { typed: Some(entry.value().to_owned()), set: true }
        }
        (Editor::Text(entry), _) => FieldValue::Text(entry.value().to_owned()),
        (Editor::Choice(at), _) => FieldValue::Choice(at),
        (Editor::Level(level), _) => FieldValue::Level(level),
    };
}

/// The layer of the audio form: the `[device]` keys that changed.
fn audio_layer(form: &Form) -> Option<Table> {
    let mut device = Table::new();
    let mut volume = Table::new();
    for field in form.fields.iter().filter(|f| f.changed()) {
        match (field.id, &field.value) {
            (FieldId::Ringtone, FieldValue::Choice(at)) => {
                let name = RINGTONES.get(*at).copied().unwrap_or("Warble").to_ascii_lowercase();
                device.insert("ringtone".into(), Value::String(name));
            }
            (FieldId::Volume(of), FieldValue::Level(level)) => {
                volume.insert(of.label().to_ascii_lowercase(), Value::Integer(i64::from(*level)));
            }
            _ => {}
        }
    }
    if !volume.is_empty() {
        device.insert("volume".into(), Value::Table(volume));
    }
    if device.is_empty() {
        return None;
    }
    let mut layer = Table::new();
    layer.insert("device".into(), Value::Table(device));
    Some(layer)
}

/// Whole seconds from `now` until `until`, rounded up.
fn seconds_left(until: Instant, now: Instant) -> u64 {
    let left = until.saturating_duration_since(now);
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// The cursor moved one step down (or up) a list of `len`, wrapping.
fn step(cursor: usize, len: usize, down: bool) -> usize {
    match (len, down) {
        (0, _) => 0,
        (_, true) => (cursor + 1) % len,
        (_, false) => (cursor + len - 1) % len,
    }
}

/// A list's rows with `>` at the cursor, the window of [`ROWS`] rows that holds it.
fn list(rows: impl Iterator<Item = String>, cursor: usize) -> Vec<String> {
    let start = cursor - cursor % ROWS;
    rows.enumerate()
        .skip(start)
        .take(ROWS)
        .map(|(i, row)| format!("{} {row}", if i == cursor { ">" } else { " " }))
        .collect()
}
