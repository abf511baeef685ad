"""Times of the media types' two halves: construction (in ``log()``'s thread) and ``to_items``
(on the writer thread), for the shapes of the issue-15 benchmark (R1: 256×256 RGB images, R2:
1M-value float32 histograms). Not a test: a tool to see where the time goes.

    PYTHONPATH=src python scripts/time_media_types.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tracklog.sdk.media import Audio, Histogram, Image, Video


def _median_us(work: Callable[[], object], repeats: int) -> float:
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def _per_second(images: list[Image], threads: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda image: image.to_items("k", "", 0, 0), images))
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    y, x = np.mgrid[0:256, 0:256]
    smooth = np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)
    photo = np.clip(smooth + rng.integers(0, 8, smooth.shape), 0, 255).astype(np.uint8)
    print(f"Image(256×256×3 uint8): {_median_us(lambda: Image(noise), 2000):.1f} µs")
    unit = (noise / 255).astype(np.float32)
    print(f"Image(256×256×3 float32): {_median_us(lambda: Image(unit), 300):.1f} µs")
    for name, pixels in (("noise", noise), ("smooth", smooth), ("photo-like", photo)):
        image = Image(pixels)
        size = len(image.to_items("k", "", 0, 0)[0].data)
        encode = _median_us(lambda image=image: image.to_items("k", "", 0, 0), 200)  # type: ignore[misc]
        rates = [_per_second([Image(pixels)] * 400, n) for n in (1, 2)]
        print(
            f"  PNG of {name}: {encode:.0f} µs, {size:,} bytes; "
            f"{rates[0]:.0f}/s on 1 thread, {rates[1]:.0f}/s on 2"
        )
    values = rng.normal(size=1_000_000).astype(np.float32)
    histogram = Histogram(values)
    print(f"Histogram(1M float32): {_median_us(lambda: Histogram(values), 100):.0f} µs")
    print(f"  to_items: {_median_us(lambda: histogram.to_items('k', '', 0, 0), 50):.0f} µs")
    print(f"  numpy.histogram: {_median_us(lambda: np.histogram(values, 64), 50):.0f} µs")
    start = time.perf_counter()
    for _ in range(100):
        Histogram(values).to_items("k", "", 0, 0)
    print(f"  100 made and binned: {time.perf_counter() - start:.3f} s")
    clip = rng.random(16000 * 5).astype(np.float32) * 2 - 1
    audio = Audio(clip, sample_rate=16000)
    print(
        f"Audio(5 s at 16 kHz): {_median_us(lambda: Audio(clip, 16000), 200):.0f} µs, "
        f"WAV {_median_us(lambda: audio.to_items('k', '', 0, 0), 50):.0f} µs"
    )
    frames = rng.integers(0, 256, (16, 3, 64, 64), dtype=np.uint8)
    video = Video(frames)
    print(
        f"Video(16×3×64×64): {_median_us(lambda: Video(frames), 200):.0f} µs, "
        f"GIF {_median_us(lambda: video.to_items('k', '', 0, 0), 10):.0f} µs"
    )


if __name__ == "__main__":
    main()
