//! What the phone answers to requests it receives while it has no dialogs yet (RFC 3261 §8.2,
//! §11.2, §15.1.2, §9.2).

use rand_core::RngCore;
use sip::header::To;
use sip::transaction::TransactionLayer;
use sip::{reason_phrase, reply, validate_request, Method, Request, Response, UasPolicy};

/// The response to `request`, a new server transaction's request.
///
/// In RFC 3261 §8.2 order: a request [`validate_request`] refuses gets its rejection (505, 400
/// naming the fault, 405/501 with Allow, 416, 420, 415, 406). Then:
/// * OPTIONS: 200 with Allow, Accept and Supported (RFC 3261 §11.2);
/// * CANCEL: 200 when it matches a server transaction (the INVITE was already answered, so the
///   CANCEL changes nothing), else 481 (RFC 3261 §9.2);
/// * a request inside a dialog (a To tag) or one that only exists inside one (BYE, PRACK,
///   UPDATE, INFO, NOTIFY — no subscription exists either, RFC 6665 §4.1.3): 481, as this phone
///   has no dialogs yet (RFC 3261 §12.2.2, §15.1.2);
/// * REFER outside a dialog, and an INVITE while the phone is stopping: 480 Temporarily
///   Unavailable (RFC 3261 §21.4.18). A new INVITE otherwise becomes a call, and MESSAGE and
///   the NOTIFYs of message waiting and check-sync are taken by `message.rs`: none of them
///   reaches this function.
///
/// Every response but a 100 gets a fresh To tag from `rng` when the request has none
/// (RFC 3261 §8.2.6.2).
pub(super) fn answer(request: &Request, layer: &TransactionLayer, rng: &mut impl RngCore) -> Response {
    let tag = new_tag(rng);
    let policy = UasPolicy::phone();
    if let Err(rejection) = validate_request(request, &policy) {
        return rejection.response_to(request, Some(&tag));
    }
    let in_dialog = request.headers.typed::<To>().ok().flatten().is_some_and(|to| to.tag().is_some());
    let status = match request.method {
        Method::Options => return policy.options_response(request, Some(&tag)),
        Method::Cancel if layer.cancel_target(request).is_some() => 200,
        Method::Cancel => 481,
        _ if in_dialog => 481,
        Method::Invite | Method::Message | Method::Refer => 480,
        _ => 481,
    };
    reply(request, status, reason_phrase(status), Some(&tag))
}

/// A To tag: 64 random bits in hex (RFC 3261 §19.3: at least 32).
pub(super) fn new_tag(rng: &mut impl RngCore) -> String {
    format!("{:016x}", rng.next_u64())
}

/// The 400 (or other rejection) to a request the transaction layer could not take (no usable
/// Via branch or CSeq), sent statelessly (RFC 3261 §8.2.6); `None` for an ACK, which is never
/// answered (RFC 3261 §17.2.3), or for a request without a Via, whose response has nowhere to
/// go (RFC 3261 §18.2.2).
pub(super) fn stateless_rejection(request: &Request, rng: &mut impl RngCore) -> Option<Response> {
    if request.method == Method::Ack || request.headers.get(&sip::HeaderName::Via).is_none() {
        return None;
    }
    let tag = new_tag(rng);
    let response = match validate_request(request, &UasPolicy::phone()) {
        Err(rejection) => rejection.response_to(request, Some(&tag)),
        Ok(()) => reply(request, 400, "Bad Request", Some(&tag)),
    };
    Some(response)
}
