//! The header fields of a message, stored as spans of one buffer (RFC 3261 §7.3).
//!
//! A parsed message keeps its whole header section as one validated `ByteString`; each field is
//! a name and the span of its value in it (folds kept), so parsing copies nothing and takes no
//! reference count per field. Fields added by our own code go to a second, append-only buffer.

use bytestring::ByteString;

use crate::error::BuildError;
use crate::grammar::trim_lws;
use crate::name::HeaderName;

/// Where a value lives: `start..end` of the received or of the built buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
    pub built: bool,
}

/// One header field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: HeaderName,
    pub value: Span,
}

/// The header fields of a message, in order.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    received: ByteString,
    built: String,
    fields: Vec<Field>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Headers whose values are spans of `received`.
    pub(crate) fn from_received(received: ByteString, fields: Vec<Field>) -> Self {
        Headers { received, built: String::new(), fields }
    }

    fn text(&self, span: Span) -> &str {
        let buffer: &str = if span.built { &self.built } else { &self.received };
        buffer.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// Checks and stores a value from our own code: trimmed; CR, LF and NUL refused.
    fn store(&mut self, name: &HeaderName, value: &str) -> Result<Field, BuildError> {
        if let HeaderName::Other(text) = name {
            if !crate::grammar::is_token(text) {
                return Err(BuildError::BadHeaderName);
            }
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(BuildError::BadHeaderValue);
        }
        let value = trim_lws(value);
        let start = u32::try_from(self.built.len()).map_err(|_| BuildError::HeadersTooLarge)?;
        let end = u32::try_from(self.built.len() + value.len()).map_err(|_| BuildError::HeadersTooLarge)?;
        self.built.push_str(value);
        Ok(Field { name: name.clone(), value: Span { start, end, built: true } })
    }

    /// Appends a header. The value is trimmed; CR, LF and NUL are refused (API misuse).
    pub fn push(&mut self, name: HeaderName, value: impl AsRef<str>) -> Result<(), BuildError> {
        let field = self.store(&name, value.as_ref())?;
        self.fields.push(field);
        Ok(())
    }

    /// Inserts a header before all others (a new top Via, RFC 3261 §8.1.1.7).
    pub fn push_front(&mut self, name: HeaderName, value: impl AsRef<str>) -> Result<(), BuildError> {
        let field = self.store(&name, value.as_ref())?;
        self.fields.insert(0, field);
        Ok(())
    }

    /// Replaces every field called `name` with one holding `value`, in the place of the first
    /// (or at the end).
    pub fn set(&mut self, name: HeaderName, value: impl AsRef<str>) -> Result<(), BuildError> {
        let field = self.store(&name, value.as_ref())?;
        match self.fields.iter().position(|f| f.name == name) {
            Some(at) => {
                self.fields[at] = field;
                let mut index = 0;
                self.fields.retain(|f| {
                    index += 1;
                    index - 1 == at || f.name != name
                });
            }
            None => self.fields.push(field),
        }
        Ok(())
    }

    /// Removes every field called `name`; returns how many there were.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.fields.len();
        self.fields.retain(|f| f.name != *name);
        before - self.fields.len()
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.fields.iter().find(|f| f.name == *name).map(|f| self.text(f.value))
    }

    /// The value of the first field called `name` as a shared string: no copy when it was
    /// received (for state that outlives the message, such as a dialog's Call-ID).
    pub fn get_shared(&self, name: &HeaderName) -> Option<ByteString> {
        let field = self.fields.iter().find(|f| f.name == *name)?;
        let text = self.text(field.value);
        Some(if field.value.built { ByteString::from(text) } else { self.received.slice_ref(text) })
    }

    /// The values of every field called `name`, in order (one per header line).
    pub fn get_all<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        let name = name.clone();
        self.fields.iter().filter(move |f| f.name == name).map(|f| self.text(f.value))
    }

    /// How many fields are called `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.fields.iter().filter(|f| f.name == *name).count()
    }

    /// Every field in order, as name and value.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &str)> + '_ {
        self.fields.iter().map(|f| (&f.name, self.text(f.value)))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl PartialEq for Headers {
    /// Same names (known names case-insensitively) with the same values, in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for Headers {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_values_are_checked_trimmed_and_replaceable() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "  SIP/2.0/UDP a;branch=z9hG4bK1 ").unwrap();
        h.push_front(HeaderName::Via, "SIP/2.0/UDP b;branch=z9hG4bK2").unwrap();
        h.push(HeaderName::from_bytes("X-Odd"), "1").unwrap();
        assert_eq!(
            h.get_all(&HeaderName::Via).collect::<Vec<_>>(),
            ["SIP/2.0/UDP b;branch=z9hG4bK2", "SIP/2.0/UDP a;branch=z9hG4bK1"]
        );
        h.set(HeaderName::Via, "SIP/2.0/TCP c").unwrap();
        assert_eq!(h.count(&HeaderName::Via), 1);
        assert_eq!(h.iter().next(), Some((&HeaderName::Via, "SIP/2.0/TCP c")));
        assert_eq!(h.push(HeaderName::Subject, "a\r\nb"), Err(BuildError::BadHeaderValue));
        assert_eq!(h.push(HeaderName::from_bytes("bad name"), "x"), Err(BuildError::BadHeaderName));
        assert_eq!(h.remove(&HeaderName::from_bytes("x-odd")), 1);
        assert_eq!(h.get_shared(&HeaderName::Via).as_deref(), Some("SIP/2.0/TCP c"));
    }
}
