"""The speech the call figures send: four sentences spoken by espeak-ng (Debian package),
generated at every run into the run's directory (never kept in the repository), deterministic:
the same text, voices and speed give the same samples. espeak-ng speaks at 22050 Hz; the harness
resamples (band-limited, FFT) to the rates the calls need and sets each sentence's active speech
level to -26 dBov (what P.862 expects). WAV files are 16-bit mono. Needs numpy."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from .errors import BenchError

ESPEAK = "/usr/bin/espeak-ng"
# Harvard sentences (IEEE 1969, list 1): phonetically balanced, the usual material of speech
# quality tests; four of them, a male and a female voice in turn (P.862 asks for both), 350 ms
# apart: about 9.7 s. espeak-ng's default voice scores only 3.94 against its own G.711 µ-law
# coding (its formant source is unlike a voice); the Klatt voice and the f5 variant score 4.43,
# as natural speech does, so that "clean PCMU above 4.0" checks the harness, not the talker.
SENTENCES = [
    ("en-us+klatt", "The birch canoe slid on the smooth planks."),
    ("en-us+f5", "Glue the sheet to the dark blue background."),
    ("en-us+klatt", "It's easy to tell the depth of a well."),
    ("en-us+f5", "These days a chicken leg is a rare dish."),
]
WORDS_PER_MINUTE = 175
PAUSE_S = 0.35
EDGE_S = 0.1  # silence before and after
LEVEL_DBOV = -26.0


def espeak(path: Path, voice: str, text: str) -> tuple[np.ndarray, int]:
    """Speaks `text` into `path` (espeak-ng's own WAV, 22050 Hz); returns its samples, trimmed of
    leading and trailing silence, and rate."""
    if not Path(ESPEAK).exists():
        raise BenchError("espeak-ng is not installed (apt-get install -y espeak-ng)")
    result = subprocess.run(
        [ESPEAK, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(path), text], capture_output=True, text=True
    )
    if result.returncode != 0 or not path.exists():
        raise BenchError(f"espeak-ng failed: {result.stderr.strip()}")
    samples, rate = read_wav(path)
    voiced = np.flatnonzero(np.abs(samples) > 1e-4)
    if len(voiced) == 0:
        raise BenchError(f"espeak-ng produced silence for {text!r}")
    return samples[voiced[0] : voiced[-1] + 1], rate


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit WAV file as float64 samples in [-1, 1) (the first channel) and its rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise BenchError(f"{path}: not a 16-bit WAV file")
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data[::channels].astype(np.float64) / 32768.0, rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """float samples in [-1, 1) to a 16-bit mono WAV file (clipped)."""
    pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling of a whole signal in the frequency domain (zero-padded at both
    ends so that the circular transform does not wrap speech around)."""
    if rate_in == rate_out:
        return samples.copy()
    pad = rate_in // 10
    padded = np.concatenate([np.zeros(pad), samples, np.zeros(pad)])
    n_in = len(padded)
    n_out = int(round(n_in * rate_out / rate_in))
    spectrum = np.fft.rfft(padded)
    bins = n_out // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins].copy()
        if n_out % 2 == 0:
            spectrum[-1] = spectrum[-1].real  # the Nyquist bin of the shorter signal
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=complex)])
    out = np.fft.irfft(spectrum, n_out) * (n_out / n_in)
    trim = int(round(pad * rate_out / rate_in))
    return out[trim : trim + int(round(len(samples) * rate_out / rate_in))]


def frame_energies_db(samples: np.ndarray, rate: int, frame_ms: int = 20) -> np.ndarray:
    """Mean square per frame, dB relative to full scale."""
    n = rate * frame_ms // 1000
    frames = len(samples) // n
    x = samples[: frames * n].reshape(frames, n)
    return 10 * np.log10(np.mean(x * x, axis=1) + 1e-20)


def active_level_db(samples: np.ndarray, rate: int) -> float:
    """The level of the active speech (20 ms frames within 35 dB of the loudest), dBov."""
    energies = frame_energies_db(samples, rate)
    active = energies[energies > energies.max() - 35.0]
    return float(10 * np.log10(np.mean(10 ** (active / 10))))


def make(dir: Path) -> dict[int, Path]:
    """The reference speech at 8000, 16000 and 48000 Hz in `dir` (speech-RATE.wav): the
    sentences, each at -26 dBov active level, PAUSE_S apart, EDGE_S of silence before and after;
    returns {rate: path}."""
    dir.mkdir(parents=True, exist_ok=True)
    spoken = [espeak(dir / f"espeak-{i}.wav", voice, text) for i, (voice, text) in enumerate(SENTENCES)]
    paths = {}
    for out_rate in (8000, 16000, 48000):
        parts = [np.zeros(int(EDGE_S * out_rate))]
        for i, (samples, rate) in enumerate(spoken):
            sentence = resample(samples, rate, out_rate)
            sentence *= 10 ** ((LEVEL_DBOV - active_level_db(sentence, out_rate)) / 20)
            parts += [sentence, np.zeros(int((PAUSE_S if i + 1 < len(spoken) else EDGE_S) * out_rate))]
        path = dir / f"speech-{out_rate}.wav"
        write_wav(path, np.concatenate(parts), out_rate)
        paths[out_rate] = path
    return paths


def looped(source: Path, dest: Path, seconds: float) -> Path:
    """`source` repeated to at least `seconds` (baresip's aufile source ends the call at the end
    of its file)."""
    samples, rate = read_wav(source)
    repeats = int(np.ceil(seconds * rate / len(samples)))
    write_wav(dest, np.tile(samples, repeats), rate)
    return dest
