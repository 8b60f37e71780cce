#!/usr/bin/env bash
# Regenerates the named seed corpus from the third-party torture vectors (RFC 4475, RFC 5118):
#   corpus/parse_datagram/rfc4475-wsinv.dat ...     every .dat, byte for byte
#   corpus/stream_framer/rfc4475-wsinv.dat ...      the same
#   corpus/header_values/rfc4475-wsinv-h03.txt ...  each header field value of each vector
#                                                   (folds kept, as the parser keeps them)
# Named seeds are tracked in git; libFuzzer's own hash-named finds are ignored (../.gitignore).
# Usage: fuzz/seed-corpus.sh [TESTDATA_DIR]   (default: $HARDPHONE_TESTDATA or ../shared/testdata
# beside the checkout, as the tests use). Needs python3.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
testdata="${1:-${HARDPHONE_TESTDATA:-$fuzz/../../shared/testdata}}"
corpus="$fuzz/corpus"
mkdir -p "$corpus/parse_datagram" "$corpus/stream_framer" "$corpus/header_values"

count=0
for rfc in rfc4475 rfc5118; do
  for dat in "$testdata/$rfc"/*.dat; do
    name="$rfc-$(basename "$dat")"
    cp "$dat" "$corpus/parse_datagram/$name"
    cp "$dat" "$corpus/stream_framer/$name"
    count=$((count + 1))
  done
done

python3 - "$testdata" "$corpus/header_values" <<'PY'
import pathlib, re, sys

testdata, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
written = 0
for rfc in ("rfc4475", "rfc5118"):
    for dat in sorted((testdata / rfc).glob("*.dat")):
        data = dat.read_bytes()
        data = data[len(data) - len(data.lstrip(b"\r\n")):]
        # The header section: up to the first empty line (CRLF CRLF or LF LF).
        end = min((i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0), default=len(data))
        lines = re.split(rb"\r?\n", data[:end])[1:]  # without the start line
        fields = []
        for line in lines:
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] += b"\r\n" + line  # a fold: part of the previous field's value
            else:
                fields.append(line)
        for n, field in enumerate(fields, start=1):
            name, colon, value = field.partition(b":")
            if not colon:
                continue
            value = value.strip(b" \t\r\n")
            (out / f"{rfc}-{dat.stem}-h{n:02d}.txt").write_bytes(value)
            written += 1
print(f"header_values: {written} seeds")
PY
# Seeds at and past each hard limit (sip::Limits defaults), which random mutation rarely reaches.
python3 - "$corpus/parse_datagram" "$corpus/stream_framer" <<'PY'
import pathlib, sys

def message(headers: str, uri: str = "sip:a@example.com", body: bytes = b"") -> bytes:
    head = (f"OPTIONS {uri} SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:b@example.com>;tag=1\r\n"
            f"To: <sip:a@example.com>\r\nCall-ID: limits\r\nCSeq: 1 OPTIONS\r\n{headers}")
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

seeds = {
    "limit-header-16k": message("Subject: " + "x" * (16 * 1024 - 20) + "\r\n"),
    "limit-header-over-16k": message("Subject: " + "x" * (16 * 1024 + 10) + "\r\n"),
    "limit-256-headers": message("X-A: 1\r\n" * 250),
    "limit-257-headers": message("X-A: 1\r\n" * 251),
    "limit-64-vias": message("Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n" * 31 + "Via: SIP/2.0/UDP c\r\n"),
    "limit-65-vias": message("Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n" * 32),
    "limit-uri-2048": message("", "sip:" + "u" * 2030 + "@example.com"),
    "limit-uri-over-2048": message("", "sip:" + "u" * 2040 + "@example.com"),
    "limit-message-64k": message("", body=b"v" * (64 * 1024 - 200)),
    "limit-message-over-64k": message("", body=b"v" * (64 * 1024)),
}
for directory in sys.argv[1:]:
    for name, data in seeds.items():
        (pathlib.Path(directory) / f"{name}.dat").write_bytes(data)
print(f"{len(seeds)} limit seeds in each message corpus")
PY

echo "parse_datagram, stream_framer: $count seeds each"
