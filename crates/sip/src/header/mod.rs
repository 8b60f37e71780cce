//! Typed views of the header fields a phone uses (RFC 3261 §20 and the extension RFCs).
//!
//! A typed header borrows from the message's header value: parsing it allocates nothing. Each
//! type implements [`TypedHeader`] (its name, whether it is a comma-separated list, how to parse
//! one value) and `Display` (its wire form, for building messages).

use crate::error::{HeaderError, HeaderFault};
use crate::grammar::{single_value, split_commas};
use crate::message::Headers;
use crate::name::HeaderName;

pub mod addr;
pub mod auth;
pub mod media;
pub mod numeric;
pub mod params;
pub mod tokens;
pub mod via;

pub use addr::{
    AlertInfo, CallInfo, Contact, From, NameAddr, PAssertedIdentity, RecordRoute, ReferTo, ReferredBy, Route, To,
};
pub use auth::{Authorization, ProxyAuthenticate, ProxyAuthorization, WwwAuthenticate};
pub use media::{Accept, ContentType, MediaType};
pub use numeric::{
    CSeq, ContentLength, Date, Expires, MaxForwards, MinExpires, MinSe, RAck, RSeq, Refresher, RetryAfter,
    SessionExpires,
};
pub use params::{ParamIter, Params};
pub use tokens::{
    Allow, AnswerMode, AnswerModeValue, CallId, Event, PrivAnswerMode, ProxyRequire, Reason, Replaces, Require, Server,
    SubState, SubscriptionState, Supported, Unsupported, UserAgent, Warning,
};
pub use via::{Via, BRANCH_MAGIC_COOKIE};

/// A header field type with a typed view.
pub trait TypedHeader<'a>: Sized {
    /// The header's name.
    const NAME: HeaderName;
    /// True for headers whose values are comma-separated lists (RFC 3261 §7.3.1): each list
    /// element is parsed on its own and lines may repeat.
    const LIST: bool;
    /// Parses one value (one list element for list headers).
    fn parse(value: &'a str) -> Result<Self, HeaderFault>;
}

/// The canonical name of `T`, for errors.
fn name_of<'a, T: TypedHeader<'a>>() -> &'static str {
    T::NAME.canonical()
}

/// Test helper for the typed headers' property tests: when `$v` parses as `$ty`, its
/// `Display` form parses back to the same value.
#[cfg(test)]
macro_rules! round_trip {
    ($ty:ident, $v:expr) => {
        if let Ok(parsed) = $ty::parse($v) {
            let text = parsed.to_string();
            proptest::prop_assert_eq!($ty::parse(&text), Ok(parsed), "{:?} printed as {:?}", $v, text);
        }
    };
}
#[cfg(test)]
pub(crate) use round_trip;

impl Headers {
    /// The single value of a single-valued header `T`: `Ok(None)` when absent, `Repeated` when
    /// there is more than one (RFC 3261 §7.3.1; RFC 4475 §3.3.8).
    pub fn typed<'a, T: TypedHeader<'a>>(&'a self) -> Result<Option<T>, HeaderError> {
        let err = |fault| HeaderError::new(name_of::<T>(), fault);
        let mut values = self.get_all(&T::NAME);
        let Some(first) = values.next() else { return Ok(None) };
        if values.next().is_some() {
            return Err(err(HeaderFault::Repeated));
        }
        T::parse(first).map(Some).map_err(err)
    }

    /// Every value of header `T`, across all its lines, in order. A list header's lines are split
    /// at commas (RFC 3261 §7.3.1), and an empty element (`a,,b`) is an error (RFC 4475
    /// §3.1.2.1); a list header whose lines are all empty yields nothing (an empty `Supported:`
    /// says "none"). Other headers give one value per line (several WWW-Authenticate challenges).
    pub fn typed_all<'a, T: TypedHeader<'a> + 'a>(&'a self) -> impl Iterator<Item = Result<T, HeaderError>> + 'a {
        let err = |fault| HeaderError::new(name_of::<T>(), fault);
        self.get_all(&T::NAME)
            .filter(|line| !(T::LIST && line.is_empty()))
            .flat_map(|line| if T::LIST { split_commas(line) } else { single_value(line) })
            .map(move |element| {
                if T::LIST && element.is_empty() {
                    Err(err(HeaderFault::EmptyElement))
                } else {
                    T::parse(element).map_err(err)
                }
            })
    }

    /// The first value of list header `T` (the top Via, the first Route).
    pub fn typed_first<'a, T: TypedHeader<'a> + 'a>(&'a self) -> Result<Option<T>, HeaderError> {
        self.typed_all::<T>().next().transpose()
    }

    /// Every value of list header `T`, or the first error.
    pub fn typed_vec<'a, T: TypedHeader<'a> + 'a>(&'a self) -> Result<Vec<T>, HeaderError> {
        self.typed_all::<T>().collect()
    }
}
