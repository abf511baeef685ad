"""Audio: sample arrays, written as 16-bit WAV with the stdlib ``wave``, or audio files kept as
they are."""

from __future__ import annotations

import io
import operator
import struct
import wave
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import as_array, shape_text
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.files import check_media_size, is_path, read_media_file
from tracklog.store import validation
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    import numpy as np

# More channels than this is taken for a channels×samples array given the wrong way round.
MAX_CHANNELS = 32
_WAV_HEADER = 44
_FILE_EXTENSIONS = {"wav", "mp3", "ogg", "flac"}


class Audio(Media):
    """A sound clip, with W&B's arguments.

    ``data`` is a numpy array (or tensor) of samples, 1-D (mono) or samples×channels, floats
    in [-1, 1] or int16, with its ``sample_rate`` in Hz; or the path of a WAV, MP3, Ogg or FLAC
    file, kept as it is (``sample_rate`` is then read from a WAV file and not recorded for the
    others). Samples are checked and copied here and written as 16-bit WAV by the writer.
    """

    sample_rate: int | None
    channels: int | None
    duration_s: float | None

    def __init__(
        self, data: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        self.caption = None if caption is None else validation.free_text(caption, "Audio caption")
        self._samples: np.ndarray | None = None
        self._file: bytes | None = None
        if is_path(data):
            self._file, self._format = read_media_file(data, "Audio", _FILE_EXTENSIONS)
            self.sample_rate, self.channels, self.duration_s = _file_facts(self._file, self._format)
            return
        array = as_array(data)
        if array is None:
            raise InvalidTypeError(
                f"Audio takes a numpy array, a tensor or a file path, got {type(data).__name__}"
            )
        self._format = "wav"
        self._samples = _samples(array)
        self.sample_rate = _sample_rate(sample_rate)
        count, self.channels = self._samples.shape
        self.duration_s = count / self.sample_rate
        check_media_size(_WAV_HEADER + 2 * self._samples.size, "Audio")

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        data = self._file if self._file is not None else self._wav()
        meta = {
            "caption": self.caption,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": self.duration_s,
        }
        return [MediaItem(key, context, step, time_ms, "audio", data, self._format, meta)]

    def _wav(self) -> bytes:
        import numpy as np

        assert self._samples is not None and self.sample_rate is not None
        samples = self._samples
        if samples.dtype.kind == "f":
            samples = np.round(samples * 32767)
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(samples.shape[1])
            wav.setsampwidth(2)
            wav.setframerate(self.sample_rate)
            wav.writeframes(samples.astype("<i2").tobytes())
        return out.getvalue()


def _samples(array: np.ndarray) -> np.ndarray:
    """A samples×channels copy, refused naming the reason: shape, dtype, NaN, range."""
    import numpy as np

    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or 0 in array.shape:
        raise InvalidValueError(
            f"Audio: an array of shape {shape_text(array.shape)}; audio is 1-D (mono) or "
            "samples×channels, not empty"
        )
    if array.shape[1] > MAX_CHANNELS:
        raise InvalidValueError(
            f"Audio: an array of shape {shape_text(array.shape)} would be {array.shape[1]} "
            f"channels (at most {MAX_CHANNELS}); audio is samples×channels: transpose it"
        )
    if array.dtype == np.int16:
        return array.copy()
    if array.dtype.kind != "f":
        raise InvalidTypeError(
            f"Audio: samples of dtype {array.dtype}; audio takes floats in [-1, 1] or int16"
        )
    low, high = array.min(), array.max()
    if np.isnan(low) or np.isnan(high):
        raise InvalidValueError("Audio: the samples contain NaN")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InvalidValueError("Audio: the samples contain infinity")
    if low < -1 or high > 1:
        raise InvalidValueError(
            f"Audio: float samples must lie in [-1, 1], these lie in "
            f"[{float(low):g}, {float(high):g}]"
        )
    return array.copy()


def _sample_rate(value: Any) -> int:
    if value is None:
        raise InvalidValueError("Audio: sample_rate (in Hz) is required with an array")
    try:
        rate = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        rate = None
    if rate is None or not 0 < rate < 2**32:
        raise InvalidValueError(
            f"Audio: sample_rate must be a positive integer (Hz) below 2**32, got {value!r}"
        )
    return rate


def _file_facts(data: bytes, ext: str) -> tuple[int | None, int | None, float | None]:
    """Sample rate, channels and duration of a WAV file (None for the other formats), the
    file refused if its first bytes are not those of its format."""
    if ext == "wav":
        return _wav_facts(data)
    magic_ok = {
        "flac": data[:4] == b"fLaC",
        "ogg": data[:4] == b"OggS",
        # an ID3 tag, or straight into an MPEG audio frame (11 sync bits)
        "mp3": data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] >= 0xE0),
    }[ext]
    if not magic_ok:
        raise InvalidValueError(f"Audio: the .{ext} file is not {ext.upper()} audio")
    return None, None, None


def _wav_facts(data: bytes) -> tuple[int, int, float]:
    """Read from the RIFF chunks themselves: ``wave`` refuses float and extensible WAV files,
    which players take."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidValueError("Audio: the .wav file is not a RIFF WAVE file")
    fmt: tuple[int, int, int] | None = None
    frames = None
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if kind == b"fmt " and size >= 14 and pos + 22 <= len(data):
            _, channels, rate, _, block = struct.unpack("<HHIIH", data[pos + 8 : pos + 22])
            fmt = (channels, rate, block)
        elif kind == b"data" and fmt is not None and fmt[2]:
            frames = min(size, len(data) - pos - 8) // fmt[2]
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    if fmt is None or frames is None or not fmt[0] or not fmt[1]:
        raise InvalidValueError("Audio: the .wav file has no readable format and data chunks")
    return fmt[1], fmt[0], frames / fmt[1]
