//! Hard limits on what a peer may make us hold.

/// Hard limits applied while parsing. Every allocation the parser makes is bounded by these, so
/// hostile input cannot make memory grow beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, start line to end of body, in octets (default 64 KiB).
    pub max_message_size: usize,
    /// Most header fields (lines, after unfolding) in one message (default 256).
    pub max_headers: usize,
    /// Longest header field, name and folds included, in octets (default 16 KiB).
    pub max_header_len: usize,
    /// Most Via values in one message, across all Via lines (default 64).
    pub max_vias: usize,
    /// Longest Request-URI in octets (default 2048, as `uri::MAX_URI_LEN`).
    pub max_uri_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 * 1024,
            max_headers: 256,
            max_header_len: 16 * 1024,
            max_vias: 64,
            max_uri_len: crate::uri::MAX_URI_LEN,
        }
    }
}
