"""Scoring what a phone played against what was sent (figure 3): alignment by cross-correlation,
PESQ (ITU-T P.862 narrowband, the `pesq` PyPI package, at 8 kHz), the receive-path delay and
the fraction of the reference's speech missing from the recording. Needs numpy and pesq."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import speech

RATE = 8000  # PESQ narrowband
FRAME_MS = 20
ACTIVE_DB = 35.0  # a reference frame is speech when within this many dB of the loudest frame
MISSING_DB = 40.0  # ... and missing when the recording's frame is this much quieter than it


@dataclass
class Score:
    pesq: float | None  # P.862 raw MOS-LQO mapped? no: the pesq package's NB score (P.862.1 mapped MOS-LQO)
    offset_samples: int  # where the reference starts in the recording
    correlation: float  # normalised cross-correlation at the offset (1.0: identical)
    missing: float  # fraction of the reference's speech frames silent in the recording
    speech_frames: int
    error: str | None = None


def align(reference: np.ndarray, recording: np.ndarray, lo: int = 0, hi: int | None = None) -> tuple[int, float]:
    """The lag (samples) at which `reference` best matches `recording` (recording[lag:] ~
    reference), searched within [lo, hi), and the normalised correlation there."""
    n = len(recording) + len(reference)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(recording, size) * np.conj(np.fft.rfft(reference, size))
    corr = np.fft.irfft(spectrum, size)[: len(recording)]
    hi = len(recording) - len(reference) // 2 if hi is None else min(hi, len(recording))
    lo = max(lo, 0)
    if hi <= lo:
        return 0, 0.0
    lag = lo + int(np.argmax(corr[lo:hi]))
    segment = recording[lag : lag + len(reference)]
    ref = reference[: len(segment)]
    norm = np.sqrt(np.sum(ref * ref) * np.sum(segment * segment))
    return lag, float(np.dot(ref, segment) / norm) if norm > 0 else 0.0


def missing_fraction(reference: np.ndarray, degraded: np.ndarray, rate: int = RATE) -> tuple[float, int]:
    """Of the reference's speech frames (20 ms, within ACTIVE_DB of its loudest), the fraction
    whose counterpart in the aligned recording is more than MISSING_DB quieter."""
    ref_db = speech.frame_energies_db(reference, rate, FRAME_MS)
    deg_db = speech.frame_energies_db(degraded, rate, FRAME_MS)
    frames = min(len(ref_db), len(deg_db))
    ref_db, deg_db = ref_db[:frames], deg_db[:frames]
    active = ref_db > ref_db.max() - ACTIVE_DB
    missing = active & (deg_db < ref_db - MISSING_DB)
    count = int(active.sum())
    return (float(missing.sum()) / count if count else 0.0), count


def pesq_nb(reference: np.ndarray, degraded: np.ndarray) -> float:
    from pesq import pesq  # the PyPI package (bench/requirements.txt)

    return float(pesq(RATE, reference.astype(np.float32), degraded.astype(np.float32), "nb"))


def score(reference: np.ndarray, recording: np.ndarray, lo: int = 0, hi: int | None = None) -> Score:
    """Aligns `reference` in `recording` (lag searched in [lo, hi)), then PESQ NB of the aligned
    stretch and the missing speech."""
    lag, correlation = align(reference, recording, lo, hi)
    degraded = recording[lag : lag + len(reference)]
    if len(degraded) < len(reference):
        degraded = np.concatenate([degraded, np.zeros(len(reference) - len(degraded))])
    missing, frames = missing_fraction(reference, degraded)
    try:
        value: float | None = pesq_nb(reference, degraded)
        error = None
    except Exception as failure:  # the pesq package raises on silent or unusable input
        value, error = None, f"{type(failure).__name__}: {failure}"
    return Score(value, lag, correlation, missing, frames, error)
