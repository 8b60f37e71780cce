//! What the settings menu's pages show.

use super::*;

impl Device {
    /// The main area of the page shown.
    pub(in crate::device) fn settings_lines(&self) -> Vec<String> {
        if self.settings.saving {
            return vec!["Settings".to_owned(), "Saving...".to_owned()];
        }
        let mut out = Vec::new();
        match &self.settings.page {
            None => {}
            Some(Page::Pin(entry)) => {
                out.push("Settings: admin PIN".to_owned());
                out.push(format!("PIN: {}_", entry.shown()));
            }
            Some(Page::Locked) => {
                let left = self.settings.locked_until.map_or(0, |t| seconds_left(t, self.now));
                out.push("Settings locked".to_owned());
                out.push(format!("Too many wrong PINs: try again in {left} s"));
            }
            Some(Page::Main { cursor }) => {
                out.push("Settings".to_owned());
                out.extend(list(MAIN.iter().map(|s| s.to_string()), *cursor));
            }
            Some(Page::Accounts { cursor }) => {
                out.push("Settings > Account".to_owned());
                let rows = self.config.accounts.iter().enumerate().map(|(i, a)| {
                    let state = self.accounts.get(&i).map_or("", |s| if s.registered { " (registered)" } else { "" });
                    format!("{}{state}", a.label)
                });
                out.extend(list(rows.chain(std::iter::once("Add account".to_owned())), *cursor));
            }
            Some(Page::Form(form)) => out.extend(self.form_lines(form)),
            Some(Page::Network) => out.extend(self.network_lines()),
            Some(Page::Status) => out.extend(self.status_lines()),
        }
        if let Some(message) = &self.settings.message {
            out.insert(out.len().min(1), message.clone());
        }
        out
    }

    fn form_lines(&self, form: &Form) -> Vec<String> {
        let title = match form.of {
            FormOf::Account(Some(i)) => format!("Account: {}", self.config.accounts.get(i).map_or("", |a| &a.label)),
            FormOf::Account(None) => "New account".to_owned(),
            FormOf::Audio => "Settings > Audio".to_owned(),
        };
        let mut out = vec![title];
        let field = &form.fields[form.cursor.min(form.fields.len() - 1)];
        match &form.editor {
            Some(Editor::Text(entry)) => {
                let mode = if entry.is_digits_only() { String::new() } else { format!(" ({})", entry.mode().label()) };
                out.push(format!("{}{mode}:", field.id.label()));
                out.push(format!("{}_", entry.shown()));
            }
            Some(Editor::Choice(at)) => {
                out.push(format!("{}:", field.id.label()));
                out.push(format!("< {} >", field.id.options().get(*at).copied().unwrap_or("")));
            }
            Some(Editor::Level(level)) => {
                out.push(format!("{}:", field.id.label()));
                out.push(format!("< {level}/{MAX_VOLUME} >"));
            }
            None => {
                let rows = form.fields.iter().map(|f| format!("{}: {}", f.id.label(), f.shown()));
                out.extend(list(rows, form.cursor));
            }
        }
        if let Some(error) = &form.error {
            out.push(format!("Error: {error}"));
        }
        out
    }

    fn network_lines(&self) -> Vec<String> {
        let mut out = vec!["Settings > Network".to_owned()];
        match &self.network {
            None => out.push("No network information".to_owned()),
            Some(network) => {
                if network.addresses.is_empty() {
                    out.push("IP: none".to_owned());
                }
                out.extend(network.addresses.iter().map(|ip| format!("IP: {ip}")));
                out.push(format!("MAC: {}", network.mac.as_deref().unwrap_or("unknown")));
                out.push(format!("SIP port: {}", network.sip_port));
            }
        }
        out
    }

    fn status_lines(&self) -> Vec<String> {
        let mut out = vec!["Settings > Status".to_owned()];
        if self.config.accounts.is_empty() {
            out.push("No account".to_owned());
        }
        for (i, account) in self.config.accounts.iter().enumerate() {
            let state = match (account.enabled, self.accounts.get(&i)) {
                (false, _) => "disabled".to_owned(),
                (true, Some(status)) if status.registered => "registered".to_owned(),
                (true, Some(status)) => status.state.clone(),
                (true, None) => "starting".to_owned(),
            };
            out.push(format!("{}: {state}", account.label));
        }
        out.push(format!("Version {}", env!("CARGO_PKG_VERSION")));
        out
    }
}
