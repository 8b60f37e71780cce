"""An Opus encoder for the harness's Opus call (figure 2), through ctypes on the system's libopus
(libopus0, which baresip's opus module already needs): 20 ms frames of 48 kHz mono speech, VOIP
application, the same bitrate as baresip's `opus_bitrate`."""

from __future__ import annotations

import ctypes
import ctypes.util

from .errors import BenchError

OPUS_APPLICATION_VOIP = 2048
OPUS_SET_BITRATE_REQUEST = 4002
RATE = 48000
FRAME = 960  # 20 ms


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("opus") or "libopus.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as error:
        raise BenchError(f"libopus not found ({error}); apt-get install -y libopus0") from None
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.restype = ctypes.c_int32
    lib.opus_encode.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int16),
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int32,
    ]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encoder_ctl.restype = ctypes.c_int
    return lib


def encode_frames(samples: "list[int]", bitrate: int) -> list[bytes]:
    """16-bit mono samples at 48 kHz, cut into 20 ms frames (the last one padded with silence),
    each encoded to one Opus packet."""
    lib = _library()
    error = ctypes.c_int(0)
    encoder = lib.opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, ctypes.byref(error))
    if not encoder or error.value != 0:
        raise BenchError(f"opus_encoder_create failed ({error.value})")
    try:
        lib.opus_encoder_ctl(ctypes.c_void_p(encoder), OPUS_SET_BITRATE_REQUEST, ctypes.c_int32(bitrate))
        padded = list(samples) + [0] * ((-len(samples)) % FRAME)
        out = ctypes.create_string_buffer(1500)
        frames = []
        for start in range(0, len(padded), FRAME):
            pcm = (ctypes.c_int16 * FRAME)(*padded[start : start + FRAME])
            length = lib.opus_encode(ctypes.c_void_p(encoder), pcm, FRAME, out, 1500)
            if length < 0:
                raise BenchError(f"opus_encode failed ({length})")
            frames.append(out.raw[:length])
        return frames
    finally:
        lib.opus_encoder_destroy(ctypes.c_void_p(encoder))
