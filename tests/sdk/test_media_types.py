"""Image, Audio, Video and Histogram: every input form, the encoded bytes decoded back, and
every bad input refused with a message naming the reason."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import types
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image as PILImage

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media import Audio, Histogram, Image, Media, Video
from tracklog.sdk.media.png import encode_png
from tracklog.store import validation
from tracklog.store.records import HistogramItem, MediaItem


def _item(value: Media) -> MediaItem:
    items = value.to_items("media/key", '{"subset":"val"}', 7, 1234)
    assert len(items) == 1 and isinstance(items[0], MediaItem)
    item = items[0]
    assert (item.key, item.context, item.step, item.time_ms) == (
        "media/key",
        '{"subset":"val"}',
        7,
        1234,
    )
    return item


def _pixels(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def _noise(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _gradient(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x % 256, y % 256, (x + y) % 256], axis=-1).astype(np.uint8)


# Image: pixels


@pytest.mark.parametrize(
    ("array", "mode"),
    [
        (_noise(17, 23, 3), "RGB"),  # noise: stored without deflating
        (_gradient(64, 300), "RGB"),  # deflated
        (_noise(9, 5, 4), "RGBA"),
        (_noise(12, 8), "L"),
    ],
)
def test_uint8_arrays_decode_to_the_same_pixels(array: np.ndarray, mode: str) -> None:
    item = _item(Image(array, caption="a cat"))
    assert item.kind == "image" and item.ext == "png"
    assert item.meta == {
        "caption": "a cat",
        "width": array.shape[1],
        "height": array.shape[0],
        "mode": mode,
        "channels": {"L": 1, "RGB": 3, "RGBA": 4}[mode],
        "format": "png",
    }
    assert _pixels(item.data).tolist() == array.tolist()


@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    channels=st.sampled_from([1, 2, 3, 4]),
    levels=st.sampled_from([2, 256]),  # few values (deflated) or noise (stored)
    seed=st.integers(0, 2**32 - 1),
)
def test_the_png_writer_round_trips_any_shape(
    height: int, width: int, channels: int, levels: int, seed: int
) -> None:
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = np.random.default_rng(seed).integers(0, levels, shape, dtype=np.uint8)
    assert _pixels(encode_png(pixels)).tolist() == pixels.tolist()


def test_a_smooth_image_is_compressed_and_noise_is_not_inflated() -> None:
    smooth = _item(Image(_gradient(256, 256))).data
    noise = _item(Image(_noise(256, 256, 3))).data
    assert len(smooth) < 256 * 256 * 3 / 10
    assert len(noise) < 256 * 257 * 3 * 1.01


def test_hxwx1_is_grey_and_floats_scale_to_bytes() -> None:
    grey = _noise(6, 7, 1)
    item = _item(Image(grey))
    assert item.meta["mode"] == "L" and _pixels(item.data).tolist() == grey[:, :, 0].tolist()
    floats = np.random.default_rng(1).random((5, 4, 3)).astype(np.float32)
    floats[0, 0] = [0.0, 1.0, 0.5]
    decoded = _pixels(_item(Image(floats)).data)
    assert decoded.tolist() == np.round(floats * 255).astype(np.uint8).tolist()
    wide = np.arange(0, 256, dtype=np.int64).reshape(16, 16)
    assert _pixels(_item(Image(wide)).data).tolist() == wide.tolist()


def test_the_array_is_copied_so_the_caller_may_reuse_it() -> None:
    array = _noise(8, 8, 3)
    expected = array.copy()
    image = Image(array)
    array[:] = 0
    assert _pixels(_item(image).data).tolist() == expected.tolist()


def test_mode_converts_the_pixels() -> None:
    rgb = _noise(10, 12, 3)
    item = _item(Image(rgb, mode="L"))
    assert item.meta["mode"] == "L" and item.meta["channels"] == 1
    expected = np.asarray(PILImage.fromarray(rgb).convert("L"))
    assert _pixels(item.data).tolist() == expected.tolist()
    rgba = _pixels(_item(Image(rgb, mode="RGBA")).data)
    assert rgba.shape == (10, 12, 4) and (rgba[:, :, 3] == 255).all()


def test_jpg_file_type() -> None:
    array = _gradient(32, 32)
    item = _item(Image(array, file_type="jpg"))
    assert item.ext == "jpg" and item.meta["format"] == "jpg"
    with PILImage.open(io.BytesIO(item.data)) as decoded:
        assert decoded.format == "JPEG"
        assert np.abs(np.asarray(decoded).astype(int) - array).mean() < 3


def test_an_array_is_taken_while_another_thread_is_importing_pil(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The writer thread imports PIL on its first encoding; until that import has run, the
    # module in sys.modules has no Image class yet (seen in the R1 benchmark).
    monkeypatch.setitem(sys.modules, "PIL.Image", types.ModuleType("PIL.Image"))
    pixels = np.zeros((4, 5, 3), dtype=np.uint8)
    assert (Image(pixels).width, Image(pixels).height) == (5, 4)


def test_pil_images_of_each_mode() -> None:
    rgb = PILImage.fromarray(_noise(6, 5, 3))
    assert _pixels(_item(Image(rgb)).data).tolist() == np.asarray(rgb).tolist()
    palette = rgb.convert("P")
    item = _item(Image(palette))
    assert item.meta["mode"] == "RGB"
    assert _pixels(item.data).tolist() == np.asarray(palette.convert("RGB")).tolist()
    bits = PILImage.fromarray(_noise(6, 5) > 127)
    assert bits.mode == "1"
    assert _pixels(_item(Image(bits)).data).tolist() == np.asarray(bits.convert("L")).tolist()
    grey_alpha = PILImage.fromarray(_noise(4, 6, 2))
    assert grey_alpha.mode == "LA"
    item = _item(Image(grey_alpha))
    assert item.meta["mode"] == "LA" and item.meta["channels"] == 2
    assert _pixels(item.data).tolist() == np.asarray(grey_alpha).tolist()
    cmyk = PILImage.fromarray(_noise(4, 6, 3)).convert("CMYK")
    item = _item(Image(cmyk))
    assert item.meta["mode"] == "RGB"
    assert _pixels(item.data).tolist() == np.asarray(cmyk.convert("RGB")).tolist()
    with pytest.raises(InvalidValueError, match=r"mode I;16 .*convert it"):
        Image(PILImage.new("I;16", (4, 4)))


def test_torch_tensors_are_chw() -> None:
    torch = pytest.importorskip("torch")
    chw = torch.rand(3, 6, 9, requires_grad=True)
    item = _item(Image(chw))
    assert (item.meta["width"], item.meta["height"]) == (9, 6)
    expected = np.round(chw.detach().numpy().transpose(1, 2, 0) * 255).astype(np.uint8)
    assert _pixels(item.data).tolist() == expected.tolist()
    hw = torch.randint(0, 256, (4, 5), dtype=torch.uint8)
    assert _pixels(_item(Image(hw)).data).tolist() == hw.numpy().tolist()
    with pytest.raises(InvalidValueError, match="a tensor of shape 6×9×3; an image is C×H×W"):
        Image(torch.rand(6, 9, 3))


def test_a_matplotlib_figure_is_rendered_at_once() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 1), dpi=50)
    axes.plot([0, 1], [1, 0])
    image = Image(figure, caption="loss")
    axes.set_facecolor("red")  # a later change is not in the logged image
    item = _item(image)
    assert item.ext == "png" and (item.meta["width"], item.meta["height"]) == (100, 50)
    assert not (_pixels(item.data)[:, :, :3] == [255, 0, 0]).all(axis=-1).any()
    assert _item(Image(plt)).meta["width"] == 100  # pyplot itself: its current figure
    plt.close(figure)


# Image: files


@pytest.mark.parametrize(
    ("suffix", "pil_format", "ext"),
    [
        ("png", "PNG", "png"),
        ("jpeg", "JPEG", "jpg"),
        ("gif", "GIF", "gif"),
        ("bmp", "BMP", "bmp"),
        ("webp", "WEBP", "webp"),
    ],
)
def test_image_files_are_kept_as_they_are(
    tmp_path: Path, suffix: str, pil_format: str, ext: str
) -> None:
    path = tmp_path / f"picture.{suffix}"
    PILImage.fromarray(_gradient(20, 30)).save(path, pil_format)
    content = path.read_bytes()
    image = Image(path, caption="from disk", mode="L", file_type="jpg")  # neither applies
    path.unlink()  # read at construction
    item = _item(image)
    assert item.data == content
    assert item.ext == ext and item.meta["format"] == ext
    assert (item.meta["width"], item.meta["height"]) == (30, 20)
    assert item.meta["caption"] == "from disk"


def test_an_image_file_is_stored_byte_for_byte_under_its_real_format(tmp_path: Path) -> None:
    path = tmp_path / "named.png"
    PILImage.fromarray(_gradient(8, 8)).save(path, "JPEG")
    item = _item(Image(str(path)))
    assert item.data == path.read_bytes()
    assert item.ext == "jpg" and item.meta["mode"] == "RGB" and item.meta["channels"] == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG .* can carry script"),
        (
            "notes.txt",
            b"hello",
            r"not a bmp/gif/jpeg/jpg/png/webp file \(its extension is .txt\)",
        ),
        ("noext", b"hello", "extension is missing"),
        ("broken.png", b"\x89PNG but not really", "not a readable image"),
        ("icon.png", None, "holds a ICO image"),
    ],
)
def test_bad_image_files_are_refused(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        PILImage.new("RGB", (16, 16)).save(path, "ICO")
    else:
        path.write_bytes(content)
    with pytest.raises(InvalidValueError, match=message):
        Image(path)


def test_missing_and_non_regular_image_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match=r"there is no file '.*gone\.png'"):
        Image(tmp_path / "gone.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(InvalidValueError, match="is not a regular file"):
        Image(tmp_path / "folder.png")


# Image: bad pixels


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.zeros((4, 4, 5), np.uint8), InvalidValueError, "shape 4×4×5; an image is H×W, H×W×1"),
        (np.zeros((3, 4, 4, 3), np.uint8), InvalidValueError, "shape 3×4×4×3"),
        (np.zeros(7, np.uint8), InvalidValueError, "shape 7;"),
        (np.array(0.5), InvalidValueError, r"shape \(\);"),
        (np.zeros((3, 8, 8), np.uint8), InvalidValueError, "C×H×W\\? a numpy image is H×W×C"),
        (np.zeros((0, 4, 3), np.uint8), InvalidValueError, "0×4×3 is empty"),
        (np.full((2, 2), np.nan), InvalidValueError, "contain NaN"),
        (np.array([[0.5, np.inf]]), InvalidValueError, "contain infinity"),
        (
            np.array([[0.5, 1.5]]),
            InvalidValueError,
            r"floats? values must lie in \[0, 1\], these lie in \[0.5, 1.5\]",
        ),
        (
            np.array([[-3, 7]]),
            InvalidValueError,
            r"integer values must lie in 0..255, these lie in -3..7",
        ),
        (np.array([[300]], np.int32), InvalidValueError, "these lie in 300..300"),
        (np.zeros((2, 2), bool), InvalidTypeError, "dtype bool are not pixels"),
        (np.zeros((2, 2), complex), InvalidTypeError, "dtype complex128 are not pixels"),
        ({"pixels": 1}, InvalidTypeError, "Image takes a numpy array, .* got dict"),
        ([[1, 2], [3, 4]], InvalidTypeError, "got list"),
        (b"/tmp/x.png", InvalidTypeError, "got bytes"),
    ],
)
def test_bad_pixels_are_refused(data: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(data)


def test_bad_arguments_are_refused() -> None:
    pixels = _noise(4, 4, 4)
    with pytest.raises(InvalidValueError, match="mode must be one of L, LA, RGB, RGBA, got 'CMYK'"):
        Image(pixels, mode="CMYK")
    with pytest.raises(InvalidValueError, match="file_type must be 'png' or 'jpg', got 'tiff'"):
        Image(pixels, file_type="tiff")
    with pytest.raises(InvalidValueError, match="'jpg' cannot hold the alpha channel of a RGBA"):
        Image(pixels, file_type="jpg")
    with pytest.raises(InvalidTypeError, match="Image caption must be a string"):
        Image(pixels, caption=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="Image caption contains a NUL"):
        Image(pixels, caption="a\x00b")


def test_media_over_the_size_limit_are_refused_before_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "MAX_MEDIA_BYTES", 10_000)
    Image(_noise(40, 40, 3))  # 4,800 pixel bytes, bounded under 10,000 once encoded
    with pytest.raises(
        InvalidValueError, match=r"Image of [\d,]+ bytes is over the limit of 10,000"
    ):
        Image(_noise(60, 60, 3))
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG" + bytes(20_000))
    with pytest.raises(InvalidValueError, match="Image of 20,004 bytes is over the limit"):
        Image(path)
    with pytest.raises(InvalidValueError, match="Audio of 20,044 bytes is over the limit"):
        Audio(np.zeros(10_000, np.int16), sample_rate=8000)
    with pytest.raises(InvalidValueError, match=r"Video of .* bytes is over the limit"):
        Video(np.zeros((2, 3, 60, 60), np.uint8))


# Audio


def _wav(data: bytes) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        params = wav.getparams()
        samples = np.frombuffer(wav.readframes(params.nframes), "<i2")
    return params, samples.reshape(-1, params.nchannels)


def test_float_mono_audio_is_16_bit_wav() -> None:
    samples = np.sin(np.linspace(0, 40, 8000)).astype(np.float32)
    samples[:2] = [-1.0, 1.0]
    audio = Audio(samples, sample_rate=16000, caption="beep")
    samples[:] = 0  # copied
    item = _item(audio)
    assert item.kind == "audio" and item.ext == "wav"
    assert item.meta == {"caption": "beep", "sample_rate": 16000, "channels": 1, "duration_s": 0.5}
    params, decoded = _wav(item.data)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 16000)
    expected = np.round(np.sin(np.linspace(0, 40, 8000)).astype(np.float32) * 32767)
    expected[:2] = [-32767, 32767]
    assert decoded[:, 0].tolist() == expected.astype(np.int16).tolist()


def test_int16_stereo_audio_is_kept_sample_for_sample() -> None:
    samples = np.random.default_rng(2).integers(-32768, 32768, (300, 2), dtype=np.int16)
    item = _item(Audio(samples, sample_rate=np.int64(44100)))
    params, decoded = _wav(item.data)
    assert params.nchannels == 2 and params.framerate == 44100
    assert decoded.tolist() == samples.tolist()
    assert item.meta["channels"] == 2 and item.meta["duration_s"] == pytest.approx(300 / 44100)


def _float_wav(path: Path, rate: int, channels: int, frames: int) -> None:
    """A 32-bit float WAV (format 3), which the stdlib ``wave`` cannot read."""
    body = np.zeros(frames * channels, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * channels * 4, channels * 4, 32)
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


def test_audio_files_are_kept_and_wav_facts_read(tmp_path: Path) -> None:
    path = tmp_path / "clip.WAV"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(2 * 2 * 4000))
    item = _item(Audio(path, caption="recorded"))
    assert item.data == path.read_bytes() and item.ext == "wav"
    assert item.meta == {
        "caption": "recorded",
        "sample_rate": 8000,
        "channels": 2,
        "duration_s": 0.5,
    }
    _float_wav(tmp_path / "float.wav", 22050, 1, 22050 * 2)
    assert _item(Audio(tmp_path / "float.wav")).meta["duration_s"] == 2.0
    for ext, head in (
        ("flac", b"fLaC"),
        ("ogg", b"OggS"),
        ("mp3", b"ID3\x04"),
        ("mp3", b"\xff\xfb\x90"),
    ):
        (tmp_path / f"a.{ext}").write_bytes(head + bytes(64))
        item = _item(Audio(tmp_path / f"a.{ext}"))
        assert item.ext == ext and item.meta["sample_rate"] is None


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        (Audio, "a.flac", b"OggS" + bytes(8), "the .flac file is not FLAC audio"),
        (Audio, "a.mp3", b"RIFF" + bytes(8), "the .mp3 file is not MP3 audio"),
        (Audio, "a.wav", b"RIFF\x00\x00\x00\x00AVI ", "not a RIFF WAVE file"),
        (Audio, "a.wav", b"RIFF\x04\x00\x00\x00WAVE", "no readable format and data chunks"),
        (Audio, "a.aac", b"\xff\xf1", r"not a flac/mp3/ogg/wav file \(its extension is .aac\)"),
        (Video, "a.gif", b"GIF10a", "the .gif file is not GIF video"),
        (Video, "a.mp4", b"\x00\x00\x00\x18moov", "the .mp4 file is not MP4 video"),
        (Video, "a.webm", b"RIFF", "the .webm file is not WEBM video"),
        (Video, "a.avi", b"RIFF", r"not a gif/mp4/webm file \(its extension is .avi\)"),
    ],
)
def test_bad_audio_and_video_files_are_refused(
    tmp_path: Path, kind: Callable[[Path], Media], name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidValueError, match=message):
        kind(tmp_path / name)


@pytest.mark.parametrize(
    ("data", "rate", "error", "message"),
    [
        (np.zeros(10, np.float32), None, InvalidValueError, "sample_rate .* is required"),
        (np.zeros(10, np.float32), 0, InvalidValueError, "sample_rate must be a positive integer"),
        (np.zeros(10, np.float32), 22050.0, InvalidValueError, "got 22050.0"),
        (np.zeros(10, np.float32), True, InvalidValueError, "got True"),
        (np.zeros((2, 3, 4), np.float32), 8000, InvalidValueError, "shape 2×3×4; audio is 1-D"),
        (np.zeros(0, np.float32), 8000, InvalidValueError, "not empty"),
        (np.zeros((2, 48000), np.float32), 8000, InvalidValueError, "48000 channels .* transpose"),
        (np.array([0.1, np.nan]), 8000, InvalidValueError, "contain NaN"),
        (np.array([0.1, -np.inf]), 8000, InvalidValueError, "contain infinity"),
        (
            np.array([0.1, 1.01]),
            8000,
            InvalidValueError,
            r"lie in \[-1, 1\], these lie in \[0.1, 1.01\]",
        ),
        (np.zeros(10, np.int32), 8000, InvalidTypeError, "dtype int32; audio takes floats"),
        ("missing.wav", 8000, InvalidValueError, "there is no file"),
        ({"samples": []}, 8000, InvalidTypeError, "Audio takes a numpy array, .* got dict"),
    ],
)
def test_bad_audio_is_refused(data: Any, rate: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Audio(data, sample_rate=rate)


# Video


def _frames(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    frames, durations = [], []
    with PILImage.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF" and gif.info.get("loop") == 0
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
            durations.append(gif.info["duration"])
    return frames, durations


def _few_colours(t: int, c: int, h: int, w: int) -> np.ndarray:
    """Frames of at most 8 colours, each different, so a GIF palette holds them exactly."""
    rng = np.random.default_rng(3)
    return (rng.integers(0, 2, (t, c, h, w)) * 255).astype(np.uint8)


def test_rgb_frames_become_an_animated_gif() -> None:
    frames = _few_colours(5, 3, 12, 16)
    video = Video(frames, fps=4, caption="rollout")
    frames_copy = frames.copy()
    frames[:] = 0
    item = _item(video)
    assert item.kind == "video" and item.ext == "gif"
    assert item.meta == {"caption": "rollout", "fps": 4, "frames": 5, "width": 16, "height": 12}
    decoded, durations = _frames(item.data)
    assert [f.tolist() for f in decoded] == [f.transpose(1, 2, 0).tolist() for f in frames_copy]
    assert durations == [250] * 5


def test_grey_and_float_frames() -> None:
    grey = np.random.default_rng(4).integers(0, 256, (3, 1, 8, 8), dtype=np.uint8)
    decoded, _ = _frames(_item(Video(grey, fps=np.int64(10))).data)
    assert [f[:, :, 0].tolist() for f in decoded] == [f[0].tolist() for f in grey]
    floats = _few_colours(2, 3, 4, 4).astype(np.float64) / 255
    decoded, durations = _frames(_item(Video(floats, fps=20)).data)
    assert decoded[1].tolist() == (floats[1] * 255).astype(np.uint8).transpose(1, 2, 0).tolist()
    assert durations == [50, 50]


@pytest.mark.parametrize(("clips", "grid"), [(1, (1, 1)), (3, (1, 3)), (4, (2, 2)), (5, (2, 3))])
def test_a_batch_of_clips_plays_in_a_grid(clips: int, grid: tuple[int, int]) -> None:
    batch = np.zeros((clips, 2, 3, 4, 6), np.uint8)
    for b in range(clips):  # clip b, frame t: one colour, different in each cell and frame
        for t in range(2):
            batch[b, t] = np.array([255 * (b % 2), 255 * (b // 2 % 2), 255 * t])[:, None, None]
    item = _item(Video(batch))
    rows, cols = grid
    assert (item.meta["height"], item.meta["width"], item.meta["frames"]) == (4 * rows, 6 * cols, 2)
    decoded, _ = _frames(item.data)
    for b in range(rows * cols):
        r, c = divmod(b, cols)
        cell = decoded[1][4 * r : 4 * r + 4, 6 * c : 6 * c + 6]
        expected = batch[b, 1].transpose(1, 2, 0) if b < clips else np.zeros((4, 6, 3))
        assert cell.tolist() == expected.tolist(), f"cell {b}"


def test_video_files_are_kept(tmp_path: Path) -> None:
    gif = tmp_path / "clip.gif"
    images = [PILImage.new("RGB", (10, 6), colour) for colour in ("red", "blue", "green")]
    images[0].save(gif, save_all=True, append_images=images[1:], duration=100, loop=0)
    item = _item(Video(gif, fps=99, caption="walk", format="mp4"))  # fps and format do not apply
    assert item.data == gif.read_bytes() and item.ext == "gif"
    assert item.meta == {"caption": "walk", "fps": 10.0, "frames": 3, "width": 10, "height": 6}
    mp4 = tmp_path / "clip.mp4"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(32))
    item = _item(Video(mp4))
    assert item.ext == "mp4" and item.meta["frames"] is None and item.meta["width"] is None
    webm = tmp_path / "clip.webm"
    webm.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(32))
    assert _item(Video(webm)).ext == "webm"


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "message"),
    [
        (
            np.zeros((4, 8, 8), np.uint8),
            {},
            InvalidValueError,
            "shape 4×8×8; video frames are T×C×H×W",
        ),
        (
            np.zeros((2, 4, 8, 8), np.uint8),
            {},
            InvalidValueError,
            "shape 2×4×8×8; .* C 1 \\(grey\\) or 3",
        ),
        (
            np.zeros((2, 3, 8, 8), np.uint8),
            {"format": "mp4"},
            InvalidValueError,
            "format 'mp4': .* need ffmpeg",
        ),
        (
            np.zeros((2, 3, 8, 8), np.uint8),
            {"fps": 0},
            InvalidValueError,
            r"fps must be a number in \(0, 100\]",
        ),
        (np.zeros((2, 3, 8, 8), np.uint8), {"fps": 240}, InvalidValueError, "got 240"),
        (np.zeros((2, 3, 8, 8), np.uint8), {"fps": "4"}, InvalidValueError, "got '4'"),
        (np.full((2, 3, 8, 8), np.nan), {}, InvalidValueError, "Video: the values contain NaN"),
        (np.full((2, 3, 8, 8), 2.0), {}, InvalidValueError, r"lie in \[2, 2\]"),
        ([np.zeros((3, 8, 8))], {}, InvalidTypeError, "Video takes a numpy array, .* got list"),
    ],
)
def test_bad_video_is_refused(
    data: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Video(data, **kwargs)


# Histogram


def _histogram(value: Histogram) -> HistogramItem:
    items = value.to_items("weights", "", 3, 99)
    assert len(items) == 1 and isinstance(items[0], HistogramItem)
    item = items[0]
    assert item.edges.dtype == np.float64 and item.counts.dtype == np.float64
    assert len(item.edges) == len(item.counts) + 1
    return item


def test_histogram_of_values_matches_numpy() -> None:
    values = np.random.default_rng(5).normal(size=(200, 500)).astype(np.float32)
    item = _histogram(Histogram(values, num_bins=40))
    counts, edges = np.histogram(values, 40)
    assert item.counts.sum() == values.size
    assert np.abs(item.counts - counts).sum() <= 4  # values within float rounding of an edge
    assert np.allclose(item.edges, edges, rtol=0, atol=1e-6)


def test_values_away_from_edges_are_binned_exactly() -> None:
    values = np.repeat(np.arange(8), [3, 1, 4, 1, 5, 9, 2, 6]).astype(np.float64)
    item = _histogram(Histogram(values, num_bins=8))
    assert item.counts.tolist() == [3, 1, 4, 1, 5, 9, 2, 6]
    assert item.edges.tolist() == np.linspace(0, 7, 9).tolist()
    ints = _histogram(Histogram(list(range(-5, 5)), num_bins=2))
    assert ints.counts.tolist() == [5, 5] and ints.edges.tolist() == [-5, -0.5, 4]


def test_nan_and_inf_are_left_out_and_degenerate_ranges_are_numpys() -> None:
    values = np.array([np.nan, 1.0, np.inf, 2.0, -np.inf, 3.0, np.nan])
    item = _histogram(Histogram(values, num_bins=2))
    assert item.counts.tolist() == [1, 2] and item.edges.tolist() == [1.0, 2.0, 3.0]
    same = _histogram(Histogram(np.full(4, 7.0), num_bins=4))
    counts, edges = np.histogram(np.full(4, 7.0), 4)
    assert same.counts.tolist() == counts.tolist() and same.edges.tolist() == edges.tolist()
    for nothing in ([], [np.nan, np.inf]):
        empty = _histogram(Histogram(nothing, num_bins=5))
        assert (
            empty.counts.tolist() == [0] * 5
            and empty.edges.tolist() == np.linspace(0, 1, 6).tolist()
        )


def test_ranges_numpy_refuses_are_still_binned() -> None:
    wide = _histogram(Histogram(np.array([-1.7e308, 0, 1.7e308]), num_bins=4))
    assert wide.counts.tolist() == [1, 0, 1, 1] and np.isfinite(wide.edges).all()
    assert (np.diff(wide.edges) > 0).all()
    narrow = _histogram(Histogram([0, 5e-324], num_bins=4))
    assert narrow.counts.tolist() == [2] and narrow.edges.tolist() == [0, 5e-324]
    equal = _histogram(Histogram([1e17] * 3))
    assert equal.counts.tolist() == [3] and equal.edges[0] < 1e17 < equal.edges[1]
    top = _histogram(Histogram([np.finfo(np.float64).max] * 2))
    assert top.counts.tolist() == [2] and np.isfinite(top.edges).all()
    assert top.edges[0] < top.edges[1]
    float32 = _histogram(Histogram(np.array([-3e38, 1, 3e38], np.float32), num_bins=2))
    assert float32.counts.tolist() == [1, 2]


def test_histogram_copies_its_values_and_takes_tensors() -> None:
    values = np.arange(10, dtype=np.float32)
    histogram = Histogram(values, num_bins=5)
    values[:] = 0
    assert _histogram(histogram).counts.tolist() == [2] * 5
    torch = pytest.importorskip("torch")
    tensor = torch.arange(10.0, requires_grad=True)
    assert _histogram(Histogram(tensor, num_bins=2)).counts.tolist() == [5, 5]
    assert _histogram(Histogram(tensor.to(torch.bfloat16), num_bins=2)).counts.tolist() == [5, 5]


def test_np_histogram_is_kept() -> None:
    counts, edges = np.histogram([1, 2, 2, 3, 3, 3], bins=3)
    item = _histogram(Histogram(np_histogram=(counts, edges)))
    assert item.counts.tolist() == [1, 2, 3] and item.edges.tolist() == edges.tolist()
    weighted = _histogram(Histogram(np_histogram=([0.5, 1.25], [0, 1, 3])))
    assert weighted.counts.tolist() == [0.5, 1.25]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, InvalidValueError, "either sequence or np_histogram"),
        ({"sequence": [1], "np_histogram": ([1], [0, 1])}, InvalidValueError, "either sequence"),
        (
            {"sequence": [1], "num_bins": 0},
            InvalidValueError,
            r"num_bins must be an integer in 1..512, got 0",
        ),
        ({"sequence": [1], "num_bins": 513}, InvalidValueError, "got 513"),
        ({"sequence": [1], "num_bins": 2.5}, InvalidValueError, "got 2.5"),
        ({"sequence": [1], "num_bins": True}, InvalidValueError, "got True"),
        ({"sequence": np.array(["a"])}, InvalidTypeError, "dtype <U1: the values must be real"),
        ({"sequence": np.array([1j])}, InvalidTypeError, "dtype complex128"),
        ({"sequence": [1, "x"]}, InvalidTypeError, "must hold numbers only"),
        ({"sequence": [[1], [2, 3]]}, InvalidTypeError, "must hold numbers only"),
        ({"sequence": "123"}, InvalidTypeError, "got str"),
        ({"np_histogram": [1, 2, 3]}, InvalidValueError, r"must be \(counts, edges\)"),
        ({"np_histogram": ([1, 2], [0, 1])}, InvalidValueError, "2 counts and 2 edges"),
        (
            {"np_histogram": ([1] * 513, range(514))},
            InvalidValueError,
            "513 counts .* 1..512 counts",
        ),
        (
            {"np_histogram": ([1, 2], [0, 2, 1])},
            InvalidValueError,
            r"edge 2 \(1\) does not exceed edge 1 \(2\)",
        ),
        ({"np_histogram": ([1, np.nan], [0, 1, 2])}, InvalidValueError, "must be finite"),
        ({"np_histogram": ([1, -1], [0, 1, 2])}, InvalidValueError, "must not be negative"),
        ({"np_histogram": (["a"], [0, 1])}, InvalidTypeError, "counts and edges must be numbers"),
    ],
)
def test_bad_histograms_are_refused(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Histogram(**kwargs)


# The package


def test_the_types_are_tracklogs_and_load_lazily() -> None:
    """The media types load no heavy module until a value needs it (numpy, which the SDK's
    writer uses anyway, is fine)."""
    assert (tracklog.Image, tracklog.Audio, tracklog.Video, tracklog.Histogram) == (
        Image,
        Audio,
        Video,
        Histogram,
    )
    code = (
        "import sys, tracklog.sdk.media; "
        "heavy = ('PIL', 'matplotlib', 'torch', 'pandas', 'pyarrow'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "[]"
