//! Who a request is, and what it may fetch: pure decisions, no I/O.
//!
//! A phone proves its MAC with HTTP Basic (RFC 7617: user = the MAC as 12 lower-case hex
//! digits, password = its `http_password`) or with a client certificate, verified against the
//! configured CA, whose subject CN or a DNS SAN is its MAC. A certificate, when there is one,
//! decides; Basic is then not looked at.

use base64::Engine;

use crate::account::Secret;
use crate::mac::Mac;

/// The realm of the `WWW-Authenticate` challenge (RFC 7617 §2).
pub const REALM: &str = "hardphone";

/// What a request presented to prove who it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// The `Authorization` header's value, if any.
    pub authorization: Option<&'a str>,
    /// The MACs a verified client certificate names (CN and DNS SANs that are MACs).
    pub certificate_macs: &'a [Mac],
}

/// Who a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Nothing presented.
    Anonymous,
    /// The phone with this MAC, proven by password or certificate.
    Phone(Mac),
    /// Credentials that prove nothing: a wrong password, a user that is not a known MAC, a
    /// malformed header. Counts as a failed authentication.
    Failed,
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `common.toml` or `model/<model>.toml`: the same for many phones, no secrets.
    Shared,
    /// `<mac>.toml` of this phone: its secrets.
    PhoneFile(Mac),
}

/// The answer to a request, as far as authorization goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve it (or 404 if there is nothing).
    Allow,
    /// 401 with a challenge: no or wrong credentials.
    Unauthorized,
    /// 403: a proven phone asking for another phone's file.
    Forbidden,
}

/// The user and password of a `Basic` Authorization header (RFC 7617 §2); `None` when it is
/// not Basic or not well formed.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Who presented this. `http_password` gives a MAC's HTTP password (none for an unknown MAC or
/// one without a password).
pub fn identify(presented: Presented<'_>, http_password: impl Fn(&Mac) -> Option<Secret>) -> Identity {
    if let Some(mac) = presented.certificate_macs.first() {
        return Identity::Phone(*mac);
    }
    let Some(header) = presented.authorization else {
        return Identity::Anonymous;
    };
    let Some((user, password)) = parse_basic(header) else {
        return Identity::Failed;
    };
    let Some(mac) = Mac::parse_canonical(&user) else {
        return Identity::Failed;
    };
    match http_password(&mac) {
        Some(secret) if secret.matches(&password) => Identity::Phone(mac),
        _ => Identity::Failed,
    }
}

/// Whether `identity` may fetch `resource`. Shared files are open to anyone when
/// `open_common`; a phone's file only to that very phone.
pub fn decide(resource: Resource, identity: Identity, open_common: bool) -> Decision {
    match (resource, identity) {
        (Resource::Shared, _) if open_common => Decision::Allow,
        (_, Identity::Anonymous | Identity::Failed) => Decision::Unauthorized,
        (Resource::Shared, Identity::Phone(_)) => Decision::Allow,
        (Resource::PhoneFile(wanted), Identity::Phone(mac)) if wanted == mac => Decision::Allow,
        (Resource::PhoneFile(_), Identity::Phone(_)) => Decision::Forbidden,
    }
}

/// Whether an Authorization header carries the administrator's user and password.
pub fn is_admin(authorization: Option<&str>, user: &str, password: &Secret) -> bool {
    let Some((presented_user, presented_password)) = authorization.and_then(parse_basic) else {
        return false;
    };
    let user_ok = Secret::new(user).matches(&presented_user);
    let password_ok = password.matches(&presented_password);
    user_ok & password_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    }

    fn mac(text: &str) -> Mac {
        Mac::parse(text).unwrap()
    }

    fn passwords(mac: &Mac) -> Option<Secret> {
        match mac.to_string().as_str() {
            "001122334455" => Some(Secret::new("pw-a")),
            "001122334456" => Some(Secret::new("pw:b")),
            "001122334457" => Some(Secret::new("")),
            _ => None,
        }
    }

    fn who(authorization: Option<&str>, certificate_macs: &[Mac]) -> Identity {
        identify(Presented { authorization, certificate_macs }, passwords)
    }

    #[test]
    fn basic_credentials() {
        let a = mac("001122334455");
        assert_eq!(who(None, &[]), Identity::Anonymous);
        assert_eq!(who(Some(&basic("001122334455", "pw-a")), &[]), Identity::Phone(a));
        assert_eq!(who(Some(&basic("001122334456", "pw:b")), &[]), Identity::Phone(mac("001122334456")));
        assert_eq!(who(Some(&format!("basic  {}", &basic("001122334455", "pw-a")[6..])), &[]), Identity::Phone(a));
        for failed in [
            basic("001122334455", "pw-b"),
            basic("001122334455", ""),
            basic("00:11:22:33:44:55", "pw-a"),
            basic("001122334457", ""),
            basic("0011223344ff", "pw-a"),
            "Basic !!!".to_owned(),
            "Bearer abc".to_owned(),
            "Basic".to_owned(),
        ] {
            assert_eq!(who(Some(&failed), &[]), Identity::Failed, "{failed}");
        }
    }

    #[test]
    fn a_certificate_decides() {
        let b = mac("001122334456");
        assert_eq!(who(None, &[b]), Identity::Phone(b));
        assert_eq!(who(Some(&basic("001122334455", "pw-a")), &[b]), Identity::Phone(b));
        assert_eq!(who(Some("garbage"), &[b]), Identity::Phone(b));
    }

    #[test]
    fn decisions() {
        let (a, b) = (mac("001122334455"), mac("001122334456"));
        let cases = [
            (Resource::Shared, Identity::Anonymous, false, Decision::Unauthorized),
            (Resource::Shared, Identity::Failed, false, Decision::Unauthorized),
            (Resource::Shared, Identity::Phone(a), false, Decision::Allow),
            (Resource::Shared, Identity::Anonymous, true, Decision::Allow),
            (Resource::PhoneFile(a), Identity::Phone(a), false, Decision::Allow),
            (Resource::PhoneFile(a), Identity::Phone(b), false, Decision::Forbidden),
            (Resource::PhoneFile(a), Identity::Phone(b), true, Decision::Forbidden),
            (Resource::PhoneFile(a), Identity::Anonymous, true, Decision::Unauthorized),
            (Resource::PhoneFile(a), Identity::Failed, false, Decision::Unauthorized),
        ];
        for (resource, identity, open_common, expected) in cases {
            assert_eq!(decide(resource, identity, open_common), expected, "{resource:?} {identity:?} {open_common}");
        }
    }

    #[test]
    fn administrator() {
        let password = Secret::new("admin-pw");
        assert!(is_admin(Some(&basic("admin", "admin-pw")), "admin", &password));
        assert!(!is_admin(Some(&basic("admin", "admin-p")), "admin", &password));
        assert!(!is_admin(Some(&basic("root", "admin-pw")), "admin", &password));
        assert!(!is_admin(None, "admin", &password));
        assert!(!is_admin(Some(&basic("admin", "")), "admin", &Secret::new("")), "no password, no access");
    }
}
