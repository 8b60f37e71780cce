//! The trusted-server guard: INVITE, MESSAGE, NOTIFY and REFER outside a dialog are taken only
//! from the phone's registrars and proxies (and `[sip] trusted`); the rest is dropped without a
//! word, or refused with 403 (`[sip] untrusted = "403"`). Scanners that sweep the Internet for
//! SIP phones and make them ring at night ("ghost calls") then get nothing, not even a 100.
//!
//! The trusted addresses are the IP addresses of every located route of every started account
//! (primary and backup targets, or the outbound proxy's), read when a request comes, so they
//! follow failover and new DNS answers; ports are not compared (a PBX sends from other ports
//! than the one it listens on).

use std::net::IpAddr;

use bytes::Bytes;
use sip::header::To;
use sip::{reply, Message, Method, Request};

use super::{uas, Core, Route};
use crate::config::Untrusted;

/// The methods the guard covers outside a dialog.
pub const GUARDED_METHODS: [Method; 4] = [Method::Invite, Method::Message, Method::Notify, Method::Refer];

/// True when `request` is inside a dialog: its To has a tag (RFC 3261 §12.2.2).
pub(super) fn in_dialog(request: &Request) -> bool {
    request.headers.typed::<To>().ok().flatten().is_some_and(|to| to.tag().is_some())
}

impl Core {
    /// True when `ip` is an address of a registrar or proxy of a started account, or in
    /// `[sip] trusted`.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        let routes = self.slots.iter().filter_map(|slot| slot.started.as_ref()).flat_map(|s| s.routes.iter());
        routes.map(|(_, located)| located.target.addr.ip().to_canonical()).any(|route| route == ip)
            || self.settings.trusted.iter().any(|range| range.contains(ip))
    }

    /// True when INVITE and MESSAGE are taken from any address (`[sip] direct_calls`).
    pub fn direct_calls(&self) -> bool {
        let enabled = self.slots.iter().filter(|slot| slot.index != super::RETIRED).count();
        self.settings.direct_calls_on(enabled)
    }

    /// The guard's verdict on a message arriving by `route`: true when it is refused (dropped,
    /// or answered 403 statelessly); the transaction layer never sees it, so no transaction is
    /// kept and no 100 Trying goes out.
    pub(super) fn guard_refuses(&mut self, route: Route, message: &Message) -> bool {
        let Message::Request(request) = message else { return false };
        if !self.settings.trusted_only || !GUARDED_METHODS.contains(&request.method) || in_dialog(request) {
            return false;
        }
        if self.is_trusted(route.to.ip()) {
            return false;
        }
        if matches!(request.method, Method::Invite | Method::Message) && self.direct_calls() {
            return false;
        }
        let method = request.method.as_str();
        match self.settings.untrusted {
            Untrusted::Drop => tracing::debug!(from = %route.to, %method, "untrusted request dropped"),
            Untrusted::Forbidden => {
                tracing::debug!(from = %route.to, %method, "untrusted request refused (403)");
                if request.headers.get(&sip::HeaderName::Via).is_some() {
                    let tag = uas::new_tag(&mut self.rng);
                    let response = reply(request, 403, "Forbidden", Some(&tag));
                    self.transmit_to(route, None, Bytes::from(response.to_bytes()));
                }
            }
        }
        true
    }
}
