"""Media encoded on several threads per batch, and ``log()`` waiting while too many media
bytes wait for the writer (backpressure)."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tracklog
from tracklog.errors import InvalidValueError
from tracklog.sdk import media_encoding, writer
from tracklog.sdk.media import Media
from tracklog.store.records import HistogramItem, MediaItem

WAIT = 30.0  # seconds a step may take before the test gives up (never reached when it works)


class Gated(Media):
    """A text value of ``size`` bytes whose encoding waits for ``gate`` (and says it began)."""

    def __init__(self, size: int, gate: threading.Event, began: threading.Event) -> None:
        self.data = b"x" * size
        self.gate, self.began = gate, began

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        self.began.set()
        assert self.gate.wait(WAIT), "the test never opened the gate"
        return [MediaItem(key, context, step, time_ms, "text", self.data, "txt")]


class Meeting(Media):
    """A value whose encoding returns only once ``party`` values meet at the barrier: two of
    them encode only if two threads encode at once."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier = barrier

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        self.barrier.wait(WAIT)
        name = threading.current_thread().name.encode()
        return [MediaItem(key, context, step, time_ms, "text", name, "txt")]


def _encoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tracklog-encoder"]


@pytest.fixture
def two_encoders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two encoding threads, as on a machine of two cores or more."""
    monkeypatch.setattr(media_encoding, "ENCODERS", 2)


def test_two_values_of_a_batch_encode_at_once(local_store: str, two_encoders: None) -> None:
    barrier = threading.Barrier(2)
    with tracklog.init(project="p") as run:
        run.log({"a": Meeting(barrier), "b": Meeting(barrier)}, step=0)
        run._writer.flush()
    api_run = tracklog.Api().run(run.id)
    names = {m.read_bytes() for key in ("a", "b") for m in api_run.media(key)}
    assert names == {threading.current_thread().name.encode(), b"tracklog-encoder"}
    assert _encoder_threads() == []


@pytest.mark.parametrize("batch_items", [3, writer.MEDIA_BATCH_ITEMS])
def test_images_keep_their_steps_and_order_per_key(
    local_store: str, two_encoders: None, monkeypatch: pytest.MonkeyPatch, batch_items: int
) -> None:
    monkeypatch.setattr(writer, "MEDIA_BATCH_ITEMS", batch_items)  # 3: one encodes, one writes
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    with tracklog.init(project="p") as run:
        for i, frame in enumerate(frames):
            run.log({"img": tracklog.Image(frame), "other": tracklog.Image(frame[::-1])}, step=i)
    api_run = tracklog.Api().run(run.id)
    stored = api_run.media("img")
    assert [m.step for m in stored] == list(range(40))
    assert all(np.array_equal(m.to_numpy(), f) for m, f in zip(stored, frames, strict=True))
    flipped = [m.to_numpy() for m in api_run.media("other")]
    assert all(np.array_equal(a, f[::-1]) for a, f in zip(flipped, frames, strict=True))
    assert _encoder_threads() == []


def test_one_failing_value_is_warned_by_key_and_step_and_the_rest_stored(
    local_store: str, two_encoders: None
) -> None:
    bad = np.zeros((4, 4, 3), np.uint8)
    image = tracklog.Image(bad)
    image._pixels = np.zeros((4, 4, 5), np.uint8)  # breaks only its encoding, on the writer
    with tracklog.init(project="p") as run:
        run.log({"img": tracklog.Image(bad)}, step=0)
        with pytest.warns(UserWarning, match="'img' at step 1 could not be encoded"):
            run.log({"img": image}, step=1)
            run.log({"img": tracklog.Image(bad)}, step=2)
            run._writer.flush()
    assert [m.step for m in tracklog.Api().run(run.id).media("img")] == [0, 2]


def test_log_waits_while_the_backlog_is_full_and_goes_on_once_encoded(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(writer.MEDIA_BACKLOG_ENV, "1")  # MiB
    gate, began, returned = threading.Event(), threading.Event(), threading.Event()
    with tracklog.init(project="p") as run:
        run.log({"m": Gated(700_000, gate, began)}, step=0)  # under the limit: no wait
        assert began.wait(WAIT)  # the writer encodes it (and waits at the gate)

        def second() -> None:
            run.log({"m": Gated(700_000, gate, threading.Event())}, step=1)
            returned.set()

        logger = threading.Thread(target=second)
        logger.start()
        # 1.4 MB wait for a writer that cannot take any: log() does not return.
        assert not returned.wait(0.5)
        assert run._writer.media_bytes > run._writer.media_limit
        gate.set()  # the first value is encoded: there is room again
        logger.join(WAIT)
        assert returned.is_set()
    assert [m.step for m in tracklog.Api().run(run.id).media("m")] == [0, 1]


def test_finish_drains_a_backlog_larger_than_the_limit(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(writer.MEDIA_BACKLOG_ENV, "0.1")  # smaller than two images
    frames = np.random.default_rng(1).integers(0, 256, (30, 64, 64, 3), dtype=np.uint8)
    with tracklog.init(project="p") as run:
        for i, frame in enumerate(frames):
            run.log({"img": tracklog.Image(frame)}, step=i)
    assert [m.step for m in tracklog.Api().run(run.id).media("img")] == list(range(30))
    assert run._writer.media_bytes == 0 and _encoder_threads() == []


def test_log_from_the_writer_thread_itself_never_waits(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(writer.MEDIA_BACKLOG_ENV, "0.001")
    logged = threading.Event()
    with tracklog.init(project="p") as run:

        def from_the_flusher() -> None:  # each value alone is over the limit
            if not logged.is_set():
                run.log({"m": "y" * 10_000}, step=0)
                logged.set()

        run._writer.periodic.append(from_the_flusher)
        run._writer.wake()
        assert logged.wait(WAIT)
    assert [m.read_bytes() for m in tracklog.Api().run(run.id).media("m")] == [b"y" * 10_000]


def test_log_does_not_wait_for_a_failing_or_stopped_writer(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(writer.MEDIA_BACKLOG_ENV, "0.001")
    with tracklog.init(project="p") as run:
        run._writer.error = OSError("disk full")  # as after a failed write, until one succeeds
        run.log({"m": "z" * 10_000}, step=0)
        run._writer.error = None
        run._writer.stop()
        run.log({"m": "z" * 10_000}, step=1)  # finish() writes it
    assert [m.step for m in tracklog.Api().run(run.id).media("m")] == [0, 1]


@pytest.mark.parametrize("raw", ["0", "-3", "lots", "nan"])
def test_a_bad_backlog_limit_is_refused_naming_the_variable(
    local_store: str, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(writer.MEDIA_BACKLOG_ENV, raw)
    with pytest.raises(InvalidValueError, match=writer.MEDIA_BACKLOG_ENV):
        tracklog.init(project="p")


def test_held_bytes_counts_arrays_bytes_and_strings() -> None:
    pixels = np.zeros((8, 8, 3), np.uint8)
    held = media_encoding.held_bytes(tracklog.Image(pixels))
    assert pixels.nbytes <= held < pixels.nbytes + 64  # the pixels, and a few short strings
    assert media_encoding.held_bytes(tracklog.Text("abc")) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert media_encoding.held_bytes(tracklog.Histogram([1.0, 2.0])) >= 16
