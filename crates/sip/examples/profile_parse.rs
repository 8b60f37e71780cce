//! Loops the benchmark workload, for profilers (`valgrind --tool=callgrind`).
#[path = "../benches/support/messages.rs"]
mod messages;

fn main() {
    use sip::header::{numeric::CSeq, tokens::CallId, From, To, Via};
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let parse_only = std::env::args().nth(2).as_deref() == Some("parse");
    let mut total = 0usize;
    let which = std::env::args().nth(3).unwrap_or_default();
    let texts: Vec<&str> = match which.as_str() {
        "invite" => vec![messages::INVITE],
        "register" => vec![messages::REGISTER_OK],
        _ => vec![messages::INVITE, messages::REGISTER_OK],
    };
    for text in texts {
        let bytes = bytes::Bytes::from_static(text.as_bytes());
        for _ in 0..n {
            let message = sip::parse_datagram(bytes.clone()).unwrap();
            if parse_only {
                total += message.headers().len();
                continue;
            }
            let h = message.headers();
            total += h.typed_first::<Via>().unwrap().unwrap().branch().map_or(0, str::len);
            total += h.typed::<From>().unwrap().unwrap().tag().map_or(0, str::len);
            total += h.typed::<To>().unwrap().unwrap().tag().map_or(0, str::len);
            total += h.typed::<CallId>().unwrap().unwrap().0.len();
            total += h.typed::<CSeq>().unwrap().unwrap().seq as usize;
        }
    }
    println!("{total}");
}
