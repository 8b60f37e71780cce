//! A small HTTP/1.1 client for the provisioning files (RFC 9112): one `GET` per connection
//! (`Connection: close`), over TCP or TLS, bounded in time and size. A response is read until
//! its head says what follows: a status other than 200 needs no body; a 200 body is framed by
//! Content-Length, by chunked transfer coding, or by the end of the connection.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest body accepted.
pub const MAX_BODY: usize = 256 * 1024;

/// The largest response head (status line and header fields) accepted.
pub const MAX_HEAD: usize = 16 * 1024;

/// How long one request may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What is wrong with a response (the server's fault).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The head or the body is bigger than allowed.
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// Not an HTTP/1.x response, or a broken header field or chunk.
    #[error("malformed HTTP response: {0}")]
    Malformed(&'static str),
    /// The connection ended before the body did.
    #[error("the connection closed before the end of the response")]
    Truncated,
}

/// A response: its status, its reason phrase, the `Location` of a redirect and, for a 200, the
/// body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: String,
    /// The `Location` header field, if any.
    pub location: Option<String>,
    /// The body of a 200; empty for other statuses (not read).
    pub body: Vec<u8>,
}

/// The request for `target` on `authority` with the given extra header fields (name, value).
pub fn request(target: &str, authority: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("Accept: */*\r\nConnection: close\r\n\r\n");
    text.into_bytes()
}

/// Sends `request` on `stream` and reads the response (no time limit here: the caller sets one).
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, request: &[u8]) -> std::io::Result<Response> {
    stream.write_all(request).await?;
    stream.flush().await?;
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        buffer.extend_from_slice(&chunk[..n]);
        match parse_response(&buffer, n == 0) {
            Ok(Some(response)) => return Ok(response),
            Ok(None) => {}
            Err(error) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, error)),
        }
    }
}

/// Reads a response from the bytes received so far; `eof` when the connection has ended.
/// `Ok(None)` asks for more bytes.
pub fn parse_response(bytes: &[u8], eof: bool) -> Result<Option<Response>, HttpError> {
    let Some(head_end) = find(bytes, b"\r\n\r\n") else {
        if bytes.len() > MAX_HEAD {
            return Err(HttpError::TooLarge(MAX_HEAD));
        }
        return if eof { Err(HttpError::Truncated) } else { Ok(None) };
    };
    let head = std::str::from_utf8(&bytes[..head_end]).map_err(|_| HttpError::Malformed("the head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let (status, reason) = status_line(lines.next().unwrap_or_default())?;
    let mut framing = Framing::UntilClose;
    let mut location = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HttpError::Malformed("a header field without a colon"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let length = value.parse::<usize>().map_err(|_| HttpError::Malformed("a bad Content-Length"))?;
            if !matches!(framing, Framing::Chunked) {
                framing = Framing::Length(length);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // RFC 9112 §6.3: chunked, when last, overrides Content-Length.
            if value.rsplit(',').next().is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked")) {
                framing = Framing::Chunked;
            } else {
                return Err(HttpError::Malformed("a transfer coding other than chunked"));
            }
        } else if name.eq_ignore_ascii_case("location") {
            location = Some(value.to_owned());
        }
    }
    let response = |body| Response { status, reason: reason.to_owned(), location: location.clone(), body };
    if status != 200 {
        return Ok(Some(response(Vec::new())));
    }
    let body = &bytes[head_end + 4..];
    let body = match framing {
        Framing::Length(length) if length > MAX_BODY => return Err(HttpError::TooLarge(MAX_BODY)),
        Framing::Length(length) if body.len() >= length => Some(body[..length].to_vec()),
        Framing::Length(_) => None,
        Framing::Chunked => decode_chunked(body)?,
        Framing::UntilClose if body.len() > MAX_BODY => return Err(HttpError::TooLarge(MAX_BODY)),
        Framing::UntilClose => eof.then(|| body.to_vec()),
    };
    match body {
        Some(body) => Ok(Some(response(body))),
        None if eof => Err(HttpError::Truncated),
        None => Ok(None),
    }
}

/// How the body of a response ends (RFC 9112 §6.3).
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// `HTTP/1.1 200 OK` → (200, "OK").
fn status_line(line: &str) -> Result<(u16, &str), HttpError> {
    let rest = line.strip_prefix("HTTP/1.").ok_or(HttpError::Malformed("not an HTTP/1.x status line"))?;
    let mut parts = rest.splitn(3, ' ');
    let _minor = parts.next();
    let code = parts.next().unwrap_or_default();
    let status = match code.parse::<u16>() {
        Ok(status) if code.len() == 3 && (100..=599).contains(&status) => status,
        _ => return Err(HttpError::Malformed("a bad status code")),
    };
    Ok((status, parts.next().unwrap_or("").trim()))
}

/// The body of a chunked response (RFC 9112 §7.1), `None` until the last chunk and the
/// trailer section have come.
fn decode_chunked(mut bytes: &[u8]) -> Result<Option<Vec<u8>>, HttpError> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(bytes, b"\r\n") else {
            return if bytes.len() > 1024 { Err(HttpError::Malformed("a chunk size line too long")) } else { Ok(None) };
        };
        let line = std::str::from_utf8(&bytes[..line_end]).map_err(|_| HttpError::Malformed("a bad chunk size"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| HttpError::Malformed("a bad chunk size"))?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            // Trailer fields, then an empty line.
            return Ok(if bytes.starts_with(b"\r\n") || find(bytes, b"\r\n\r\n").is_some() {
                Some(body)
            } else {
                None
            });
        }
        if body.len() + size > MAX_BODY {
            return Err(HttpError::TooLarge(MAX_BODY));
        }
        if bytes.len() < size + 2 {
            return Ok(None);
        }
        if &bytes[size..size + 2] != b"\r\n" {
            return Err(HttpError::Malformed("a chunk not followed by CRLF"));
        }
        body.extend_from_slice(&bytes[..size]);
        bytes = &bytes[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of an `Authorization` header field for HTTP Basic (RFC 7617): `Basic ` and the
/// Base64 of `user:password`.
pub fn basic_authorization(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut out = String::from("Basic ");
    for group in input.as_bytes().chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str, eof: bool) -> Result<Option<Response>, HttpError> {
        parse_response(text.as_bytes(), eof)
    }

    #[test]
    fn content_length_bodies() {
        let full = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
        let response = parsed(full, false).unwrap().unwrap();
        assert_eq!((response.status, response.reason.as_str(), response.body.as_slice()), (200, "OK", &b"hello"[..]));
        assert_eq!(parsed(&full[..full.len() - 1], false), Ok(None), "more to come");
        assert_eq!(parsed(&full[..full.len() - 1], true), Err(HttpError::Truncated));
        assert_eq!(
            parsed("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n", false),
            Err(HttpError::TooLarge(MAX_BODY))
        );
    }

    #[test]
    fn chunked_and_until_close_bodies() {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\n\r\n";
        assert_eq!(parsed(chunked, false).unwrap().unwrap().body, b"hello!");
        assert_eq!(parsed(&chunked[..chunked.len() - 2], false), Ok(None));
        let bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(matches!(parsed(bad, false), Err(HttpError::Malformed(_))));
        let close = "HTTP/1.0 200 OK\r\n\r\nabc";
        assert_eq!(parsed(close, false), Ok(None));
        assert_eq!(parsed(close, true).unwrap().unwrap().body, b"abc");
    }

    #[test]
    fn other_statuses_need_no_body() {
        let response = parsed("HTTP/1.1 404 Not Found\r\nContent-Length: 100\r\n\r\n", false).unwrap().unwrap();
        assert_eq!((response.status, response.reason.as_str()), (404, "Not Found"));
        let redirect = parsed("HTTP/1.1 302 Found\r\nLocation: https://x/\r\n\r\n", false).unwrap().unwrap();
        assert_eq!(redirect.location.as_deref(), Some("https://x/"));
    }

    #[test]
    fn broken_heads() {
        assert!(matches!(parsed("SIP/2.0 200 OK\r\n\r\n", false), Err(HttpError::Malformed(_))));
        assert!(matches!(parsed("HTTP/1.1 2000 OK\r\n\r\n", false), Err(HttpError::Malformed(_))));
        assert!(matches!(parsed("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false), Err(HttpError::Malformed(_))));
        assert_eq!(parsed("HTTP/1.1 200 OK\r\n", true), Err(HttpError::Truncated));
        let endless = format!("HTTP/1.1 200 OK\r\n{}", "X: y\r\n".repeat(4000));
        assert_eq!(parsed(&endless, false), Err(HttpError::TooLarge(MAX_HEAD)));
    }

    #[test]
    fn requests_and_basic_authorization() {
        let text = String::from_utf8(request("/p/common.toml", "h:8080", &[("User-Agent", "UA")])).unwrap();
        assert_eq!(
            text,
            "GET /p/common.toml HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: UA\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        // RFC 7617 §2's example, and the padding cases.
        assert_eq!(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic_authorization("a", "b"), "Basic YTpi");
        assert_eq!(basic_authorization("ab", "c"), "Basic YWI6Yw==");
    }
}
