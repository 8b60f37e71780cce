//! Just enough of MIME multipart (RFC 2046 §5.1) to see which types a body's parts have.

/// The Content-Type value of each part of a multipart body delimited by `boundary`. Parts
/// without a Content-Type are `text/plain` (RFC 2046 §5.1.1); parts whose header section is not
/// UTF-8 are skipped.
pub fn part_types<'b>(body: &'b [u8], boundary: &str) -> impl Iterator<Item = &'b str> + 'b {
    let delimiter = format!("--{boundary}").into_bytes();
    let finder = memchr::memmem::Finder::new(&delimiter).into_owned();
    let starts: Vec<usize> = finder.find_iter(body).map(|at| at + delimiter.len()).collect();
    starts.into_iter().filter_map(move |start| {
        let part = &body[start..];
        if part.starts_with(b"--") {
            return None; // the close delimiter
        }
        let headers_end = memchr::memmem::find(part, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&part[..headers_end]).ok()?;
        let content_type = headers.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case("content-type") || name == "c").then(|| value.trim())
        });
        Some(content_type.unwrap_or("text/plain"))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_the_types_of_each_part() {
        let body = b"--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--b1--\r\n";
        let types: Vec<_> = super::part_types(body, "b1").collect();
        assert_eq!(types, ["text/plain", "application/octet-stream"]);
    }
}
