"""G.711 µ-law (PCMU), standard library only (audioop is gone from Python 3.13): the encoder
(bias 0x84, clip 32635, negative values rounded as the ITU-T G.191 reference does) and the
decoder, as lookup tables built once. The decoder equals audioop.ulaw2lin; decoding, encoding and
decoding again gives the same samples (what a phone that loops its speaker back sends is what it
played)."""

from __future__ import annotations

import array

BIAS = 0x84
CLIP = 32635


def _encode_one(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, CLIP) + BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _decode_one(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + BIAS) << ((code >> 4) & 0x07)
    return BIAS - magnitude if code & 0x80 else magnitude - BIAS


# Index: the 16-bit sample as unsigned (sample & 0xFFFF).
_ENCODE = bytes(_encode_one(s - 65536 if s >= 32768 else s) for s in range(65536))
DECODE = tuple(_decode_one(c) for c in range(256))


def encode(samples: "array.array | list[int]") -> bytes:
    """16-bit linear samples to µ-law bytes."""
    table = _ENCODE
    return bytes(table[s & 0xFFFF] for s in samples)


def decode(data: bytes) -> array.array:
    """µ-law bytes to 16-bit linear samples (array of 'h')."""
    table = DECODE
    return array.array("h", (table[b] for b in data))


SILENCE = _ENCODE[0]  # 0xFF


def frames(samples: "array.array | list[int]", size: int = 160) -> list[bytes]:
    """16-bit samples to µ-law payloads of `size` samples (20 ms at 8 kHz); the last one padded
    with silence."""
    data = encode(samples)
    data += bytes([SILENCE]) * ((-len(data)) % size)
    return [data[i : i + size] for i in range(0, len(data), size)]


def silence_frame(size: int = 160) -> bytes:
    return bytes([SILENCE]) * size
