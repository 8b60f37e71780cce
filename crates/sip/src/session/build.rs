//! Building the session's messages: the first INVITE (RFC 3261 §13.2.1), responses to the
//! INVITE and in-dialog requests (§13.3.1, §12.1.1), and credentials (§22.2).

use bytes::Bytes;
use rand_core::RngCore;

use super::{Session, SessionError};
use crate::digest::DigestRequest;
use crate::message::{Method, Request, Response};
use crate::name::HeaderName;
use crate::registration::{ALLOW, SUPPORTED};
use crate::reply::{reason_phrase, reply};

/// A body and its content type.
pub(super) type Body = Option<(String, Bytes)>;

/// Sets `body` on a request.
pub(super) fn request_body(request: &mut Request, body: &Body) -> Result<(), SessionError> {
    if let Some((content_type, bytes)) = body {
        request.set_body(Some(content_type), bytes.clone())?;
    }
    Ok(())
}

impl Session {
    /// Our first INVITE, or its resend after a challenge with the next CSeq (RFC 3261 §13.2.1,
    /// §22.2: same Call-ID, From tag and To).
    pub(super) fn build_invite(
        &mut self,
        target: &str,
        to: &str,
        cseq: u32,
        rng: &mut impl RngCore,
    ) -> Result<Request, SessionError> {
        let mut request = Request::new(Method::Invite, target)?;
        let c = &self.config;
        let h = &mut request.headers;
        h.push(HeaderName::Via, format!("SIP/2.0/{} {};rport", c.transport, c.local))?;
        h.push(HeaderName::MaxForwards, "70")?;
        h.push(HeaderName::From, format!("{};tag={}", c.from, self.local_tag))?;
        h.push(HeaderName::To, to)?;
        h.push(HeaderName::CallId, self.call_id.as_str())?;
        h.push(HeaderName::CSeq, format!("{cseq} INVITE"))?;
        h.push(HeaderName::Contact, c.contact.as_str())?;
        h.push(HeaderName::Allow, ALLOW)?;
        h.push(HeaderName::Supported, SUPPORTED.replace("outbound, path", "100rel, replaces, timer"))?;
        if let Some(agent) = &c.user_agent {
            h.push(HeaderName::UserAgent, agent)?;
        }
        for (name, value) in self.session_expires_header().into_iter().chain(self.invite_headers.iter().cloned()) {
            h.push(name, value)?;
        }
        h.push(HeaderName::ContentLength, "0")?;
        request_body(&mut request, &self.offer)?;
        self.authorize(&mut request, rng)?;
        Ok(request)
    }

    /// The Session-Expires and Min-SE we put in our INVITEs (RFC 4028 §7.1): the interval in
    /// force, else 1800 s, never below the Min-SE a 422 asked for.
    ///
    /// In a re-INVITE the refresher stays who it is (RFC 4028 §7.4): `refresher=uac` when we
    /// refresh, `refresher=uas` when the peer does; and the re-INVITE says we support timers.
    pub(super) fn session_expires_header(&self) -> Vec<(HeaderName, String)> {
        let seconds = self.session_interval.map(|(s, _)| s).unwrap_or(super::SESSION_EXPIRES).max(self.min_se);
        let value = match self.session_interval {
            Some((_, true)) if self.dialog.is_some() => format!("{seconds};refresher=uac"),
            Some((_, false)) if self.dialog.is_some() => format!("{seconds};refresher=uas"),
            _ => seconds.to_string(),
        };
        let mut headers = vec![(HeaderName::SessionExpires, value), (HeaderName::MinSe, self.min_se.to_string())];
        if self.state == super::SessionState::Confirmed {
            headers.push((HeaderName::Supported, "100rel, replaces, timer".to_owned()));
        }
        headers
    }

    /// Adds credentials for the challenges we hold (RFC 3261 §22.2, §22.3).
    pub(super) fn authorize(&mut self, request: &mut Request, rng: &mut impl RngCore) -> Result<(), SessionError> {
        let uri = request.uri.to_string();
        let method = request.method.as_str().to_owned();
        let body = request.body.clone();
        let digest = DigestRequest::new(&method, &uri, &body);
        if let Some(auth) = self.www.as_mut() {
            let value = auth.authorize(&digest, rng).to_string();
            request.headers.push(HeaderName::Authorization, value)?;
        }
        if let Some(auth) = self.proxy.as_mut() {
            let value = auth.authorize(&digest, rng).to_string();
            request.headers.push(HeaderName::ProxyAuthorization, value)?;
        }
        Ok(())
    }

    /// Our response to `request` with our To tag, and for 101..=299 our Contact (RFC 3261
    /// §12.1.1: a dialog-creating response carries it), Allow and Supported, and `body`.
    pub(super) fn build_response(&self, request: &Request, status: u16, body: &Body) -> Result<Response, SessionError> {
        let mut response = reply(request, status, reason_phrase(status), Some(&self.local_tag));
        if (101..300).contains(&status) {
            response.headers.push(HeaderName::Contact, self.config.contact.as_str())?;
        }
        if (200..300).contains(&status) && request.method == Method::Invite {
            response.headers.push(HeaderName::Allow, ALLOW)?;
            response.headers.push(HeaderName::Supported, "100rel, replaces, timer")?;
        }
        if let Some(agent) = &self.config.user_agent {
            response.headers.push(HeaderName::Server, agent)?;
        }
        if let Some((content_type, bytes)) = body {
            response.set_body(Some(content_type), bytes.clone())?;
        }
        Ok(response)
    }

    /// A request of `method` in our dialog with `body` and credentials, queued for sending.
    pub(super) fn send_in_dialog(
        &mut self,
        method: Method,
        body: &Body,
        rng: &mut impl RngCore,
    ) -> Result<u32, SessionError> {
        self.send_in_dialog_with(method, &[], body, rng)
    }

    /// [`Session::send_in_dialog`] with `extra` header fields (Refer-To, Event ...).
    pub(super) fn send_in_dialog_with(
        &mut self,
        method: Method,
        extra: &[(HeaderName, String)],
        body: &Body,
        rng: &mut impl RngCore,
    ) -> Result<u32, SessionError> {
        let Some(dialog) = self.dialog.as_mut() else { return Err(SessionError::InvalidState(self.state)) };
        let mut request = dialog.request(method)?;
        let seq = dialog.local_seq();
        if let Some(agent) = &self.config.user_agent {
            request.headers.push(HeaderName::UserAgent, agent)?;
        }
        for (name, value) in extra {
            request.headers.push(name.clone(), value)?;
        }
        request_body(&mut request, body)?;
        self.authorize(&mut request, rng)?;
        self.outbox.push_back(super::Output::Request(request));
        Ok(seq)
    }
}
