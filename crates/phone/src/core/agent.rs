//! VICIdial agent mode (`auto_answer = "vicidial"`): when an agent logs in, VICIdial has
//! Asterisk call the agent's phone into the agent's conference, with no auto-answer header and
//! a caller-ID name of `S`, a 12-digit timestamp and the session number
//! (`"S2611260815228600051" <sip:0000000000@pbx>`). Such a call from a trusted server is an
//! *agent session*: answered at once, never held (the edge mutes instead, since Asterisk hangs
//! up a session whose RTP stops for 60 s), and its unexpected end is an alarm
//! ([`super::CallInfo::agent_session_lost`]).

use sip::header::NameAddr;
use sip::{HeaderName, Request};

use super::calls::asks_for_auto_answer;
use super::{Core, Route};
use crate::config::{agent_pattern_matches, AutoAnswer};

/// The display name of a From value (without quotes), if any.
fn display_name(from: &str) -> Option<String> {
    let addr = NameAddr::parse(from).ok()?;
    let name = addr.display_name?.trim();
    Some(name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name).to_owned())
}

impl Core {
    /// True when an INVITE that came by `route` for account `slot` is an agent session: the
    /// account is in agent mode, the INVITE comes from a trusted server (its registrars,
    /// proxies, `[sip] trusted`; whatever `[sip] trusted_only` says) and its caller-ID name
    /// matches the account's `agent_pattern`, or it asks for auto-answer by header.
    pub(super) fn is_agent_session(&self, slot: usize, request: &Request, route: Route) -> bool {
        let account = &self.slots[slot].account;
        if account.auto_answer != AutoAnswer::Vicidial || !self.is_trusted(route.to.ip()) {
            return false;
        }
        let name = request.headers.get(&HeaderName::From).and_then(display_name);
        name.is_some_and(|name| agent_pattern_matches(account.agent_pattern(), &name)) || asks_for_auto_answer(request)
    }
}
