"""``SummaryWriter``: torch's and tensorboardX's writer, logging into a tracklog run.

Nothing is written as event files: each ``add_*`` call goes through the run's own logging
path (scalars through ``log()``'s fast path, media and histograms through the writer
thread), and what TensorBoard keeps as plugin data (hparams, PR curves, embeddings, the
model graph, custom scalar layouts) becomes config, summary or JSON/TSV files of the run.
"""

from __future__ import annotations

import json
import math
import socket
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.fluent import init
from tracklog.sdk.media import Audio, Histogram, Image, Text, Video
from tracklog.sdk.media.histogram import MAX_BINS
from tracklog.tensorboard import arrays
from tracklog.tensorboard.graph import module_tree
from tracklog.tensorboard.pr_curve import pr_curve

if TYPE_CHECKING:
    from tracklog.sdk.run import Run

FILES = "tensorboard"  # the folder of the run's files that holds TensorBoard's plugin data
_HPARAM_TYPES = (bool, int, float, str)


def default_log_dir(comment: str = "") -> Path:
    """torch's default: ``runs/<Mon><DD>_<HH-MM-SS>_<host><comment>``."""
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return Path("runs") / f"{stamp}_{socket.gethostname()}{comment}"


class SummaryWriter:
    """A drop-in for ``torch.utils.tensorboard.SummaryWriter`` that logs to tracklog.

    ``log_dir`` names the run: its folder name is the run's name, and the project is
    ``project`` or else the parent folder's name (``runs/exp1`` → run ``exp1`` in project
    ``runs``). Each writer starts a new run (in the store ``tracklog.init`` uses), which
    becomes the current run. ``max_queue``, ``flush_secs`` and ``filename_suffix`` concern
    event files and are accepted for compatibility; ``purge_step`` has nothing to purge in a
    new run. Tags keep TensorBoard's names (``Loss/train``); a step left out is 0, as in
    TensorBoard.
    """

    def __init__(
        self,
        log_dir: str | Path | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
        project: str | None = None,
    ) -> None:
        folder = Path(log_dir) if log_dir else default_log_dir(comment)
        self.log_dir = str(folder)
        name = folder.name or folder.resolve().name
        project = project or folder.parent.name or None
        self.run: Run = init(project=project, name=name)
        self._closed = False

    @classmethod
    def over(cls, run: Run, log_dir: str = "") -> SummaryWriter:
        """A writer logging into ``run``, already started (``close()`` finishes it)."""
        writer = cls.__new__(cls)
        writer.log_dir = log_dir
        writer.run = run
        writer._closed = False
        return writer

    def get_logdir(self) -> str:
        """The ``log_dir`` this writer was made with (or its default)."""
        return self.log_dir

    # -- scalars --------------------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log ``scalar_value`` (a number, numpy scalar or one-element tensor) as ``tag``."""
        value = scalar_value
        if type(value) is not float and type(value) is not int:
            value = arrays.scalar(value, f"add_scalar({tag!r})")
        step = global_step if type(global_step) is int else _step(global_step)
        self.run._log({tag: value}, step, True, None if walltime is None else _ms(walltime))

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several scalars at one step, each as ``main_tag/tag`` (TensorBoard's layout)."""
        if not isinstance(tag_scalar_dict, Mapping):
            raise InvalidTypeError(f"add_scalars({main_tag!r}): takes a dict of tag -> number")
        values = {
            f"{main_tag}/{tag}": arrays.scalar(v, f"{main_tag}/{tag}")
            for tag, v in tag_scalar_dict.items()
        }
        self.run._log(values, _step(global_step), True, _ms(walltime))

    # -- histograms -----------------------------------------------------------------------

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram of ``values``. ``bins`` is numpy's (a count, edges, or a rule such
        as ``"auto"``); TensorBoard's default ``"tensorflow"`` means 64 equal bins here.
        ``max_bins`` caps the count. Non-finite values are left out."""
        data = arrays.numbers(values, tag).astype(np.float64, copy=False).ravel()
        data = data[np.isfinite(data)]
        cap = MAX_BINS if max_bins is None else min(MAX_BINS, int(max_bins))
        if isinstance(bins, str) and bins == "tensorflow":
            hist = Histogram(data, num_bins=min(64, cap))
        else:
            try:
                edges = np.histogram_bin_edges(data, bins=bins)
            except (TypeError, ValueError) as exc:
                raise InvalidValueError(f"add_histogram({tag!r}): bins {bins!r}: {exc}") from None
            if len(edges) - 1 > cap:  # a rule that asks for more bins than can be stored
                hist = Histogram(data, num_bins=cap)
            else:
                hist = Histogram(np_histogram=np.histogram(data, bins=edges))
        self.run._log({tag: hist}, _step(global_step), True, _ms(walltime))

    def add_histogram_raw(
        self,
        tag: str,
        min: float,
        max: float,
        num: int,
        sum: float,
        sum_squares: float,
        bucket_limits: Sequence[float],
        bucket_counts: Sequence[float],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a histogram given as TensorBoard's buckets: ``bucket_limits`` are the right
        edges, the first bucket starting at ``min``."""
        limits = arrays.numbers(bucket_limits, f"{tag} bucket_limits").astype(np.float64)
        counts = arrays.numbers(bucket_counts, f"{tag} bucket_counts").astype(np.float64)
        if limits.ndim != 1 or limits.shape != counts.shape:
            raise InvalidValueError(
                f"add_histogram_raw({tag!r}): {limits.size} bucket_limits but "
                f"{counts.size} bucket_counts; one limit a count"
            )
        edges = np.concatenate([[arrays.scalar(min, f"{tag} min")], limits])
        hist = Histogram(np_histogram=(counts, edges))
        self.run._log({tag: hist}, _step(global_step), True, _ms(walltime))

    # -- media ----------------------------------------------------------------------------

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image; ``dataformats`` names its axes (CHW, HWC, HW, or another order).
        Floats are scaled by 255 and clipped, as TensorBoard does."""
        pixels = arrays.image_hwc(img_tensor, dataformats, f"add_image({tag!r})")
        self._media(tag, Image(pixels), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images (NCHW, NHWC, NHW...) as one grid, 8 a row, as TensorBoard
        shows it."""
        pixels = arrays.images_grid(img_tensor, dataformats, f"add_images({tag!r})")
        self._media(tag, Image(pixels), global_step, walltime)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure (rendered now), or a list of them as one grid; ``close``
        closes them afterwards."""
        figures = list(figure) if isinstance(figure, list | tuple) else [figure]
        if len(figures) == 1:
            image = Image(figures[0])
        else:
            rendered = [_figure_pixels(f, tag) for f in figures]
            if len({r.shape for r in rendered}) > 1:
                raise InvalidValueError(f"add_figure({tag!r}): the figures differ in size")
            image = Image(arrays.grid(np.stack(rendered)))
        if close:
            import matplotlib.pyplot as plt  # a figure was given, so matplotlib is loaded

            for f in figures:
                plt.close(f)
        self._media(tag, image, global_step, walltime)

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: int | None = None,
        fps: float = 4,
        walltime: float | None = None,
    ) -> None:
        """Log a video N×T×C×H×W (clips side by side) as an animated GIF."""
        frames = arrays.video_batch(vid_tensor, f"add_video({tag!r})")
        self._media(tag, Video(frames, fps=fps), global_step, walltime)

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Log sound (1×L floats in [-1, 1], clipped) as a WAV file."""
        samples = arrays.audio_samples(snd_tensor, f"add_audio({tag!r})")
        self._media(tag, Audio(samples, sample_rate=sample_rate), global_step, walltime)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log text (TensorBoard renders it as Markdown; it is kept as it is)."""
        if not isinstance(text_string, str):
            raise InvalidTypeError(
                f"add_text({tag!r}): takes a string, got {type(text_string).__name__}"
            )
        self._media(tag, Text(text_string), global_step, walltime)

    def _media(self, tag: str, value: Any, global_step: Any, walltime: float | None) -> None:
        self.run._log({tag: value}, _step(global_step), True, _ms(walltime))

    # -- plugin data ----------------------------------------------------------------------

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Record hyperparameters as the run's config and their metrics as its summary (what
        TensorBoard's HParams table shows). With ``run_name``, as TensorBoard makes a run of
        its own for them, a new run of that name holds them (in this run's project, grouped
        under this run's name). ``hparams.json`` among the run's files keeps the call as given,
        discrete domains included."""
        hparams = _hparams(hparam_dict)
        metrics = {
            str(k): arrays.scalar(v, f"add_hparams metric {k!r}")
            for k, v in _mapping(metric_dict, "metric_dict").items()
        }
        domains = _domains(hparam_domain_discrete, hparams)
        record = {"hparams": hparams, "metrics": metrics, "domains": domains}
        if run_name is None:
            self._apply_hparams(self.run, hparams, metrics, record)
            return
        with init(project=self.run.project, name=str(run_name), group=self.run.name) as run:
            self._apply_hparams(run, hparams, metrics, record)

    @staticmethod
    def _apply_hparams(
        run: Run, hparams: dict[str, Any], metrics: dict[str, float], record: dict[str, Any]
    ) -> None:
        run.config.update(hparams)
        if metrics:
            run.summary.update(metrics)
        _save_json(run, f"{FILES}/hparams.json", record)

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Compute a precision-recall curve as TensorBoard does and keep it as
        ``tensorboard/pr_curves/<tag>/<step>.json`` among the run's files."""
        curve = pr_curve(labels, predictions, num_thresholds, weights, f"add_pr_curve({tag!r})")
        step = _step(global_step)
        doc = {"tag": tag, "step": step, "walltime": walltime, **curve}
        _save_json(self.run, f"{FILES}/pr_curves/{tag}/{step}.json", doc)

    def add_embedding(
        self,
        mat: Any,
        metadata: Sequence[Any] | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: Sequence[str] | None = None,
    ) -> None:
        """Keep an embedding as TensorBoard's projector files under
        ``tensorboard/embeddings/<tag>/<step>/``: ``tensors.tsv`` (N×D), ``metadata.tsv``
        (one label per row, or columns under ``metadata_header``), ``sprite.png`` (the label
        images as one square grid)."""
        what = f"add_embedding({tag!r})"
        vectors = arrays.numbers(mat, what).astype(np.float64)
        if vectors.ndim != 2:
            raise InvalidValueError(f"{what}: mat must be N×D, got {vectors.ndim} axes")
        files: dict[str, bytes] = {
            "tensors.tsv": "".join(
                "\t".join(repr(float(x)) for x in row) + "\n" for row in vectors
            ).encode()
        }
        if metadata is not None:
            files["metadata.tsv"] = _metadata_tsv(metadata, metadata_header, len(vectors), what)
        if label_img is not None:
            batch = arrays.numbers(label_img, what)
            if batch.ndim != 4 or len(batch) != len(vectors):
                raise InvalidValueError(f"{what}: label_img must be N×C×H×W, one a row of mat")
            side = math.ceil(math.sqrt(len(batch)))
            sprite = arrays.grid(arrays.pixels(batch.transpose(0, 2, 3, 1)), columns=side)
            files["sprite.png"] = _png(sprite)
        folder = f"{FILES}/embeddings/{tag}/{_step(global_step)}"
        for name, data in files.items():
            _save_bytes(self.run, f"{folder}/{name}", data)

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
    ) -> None:
        """Keep the model's structure as ``tensorboard/graph.json``: its module tree with
        parameter counts and, given an input, each module's output shape."""
        _save_json(self.run, f"{FILES}/graph.json", module_tree(model, input_to_model))

    def add_custom_scalars(self, layout: Mapping[str, Any]) -> None:
        """Keep a custom scalars layout (``{category: {chart: ["Multiline", [tags]]}}``) as
        ``tensorboard/custom_scalars.json``."""
        layout = _mapping(layout, "layout")
        for category, charts in layout.items():
            for chart, spec in _mapping(charts, f"layout[{category!r}]").items():
                ok = (
                    isinstance(spec, list | tuple)
                    and len(spec) == 2
                    and spec[0] in ("Multiline", "Margin")
                    and isinstance(spec[1], list | tuple)
                    and all(isinstance(t, str) for t in spec[1])
                )
                if not ok:
                    raise InvalidValueError(
                        f"add_custom_scalars: layout[{category!r}][{chart!r}] must be "
                        "['Multiline' or 'Margin', [tag, ...]]"
                    )
        _save_json(self.run, f"{FILES}/custom_scalars.json", layout)

    # -- the end --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what is buffered now."""
        if not self._closed:
            self.run.flush()

    def close(self) -> None:
        """Finish the run (once; later calls do nothing)."""
        if not self._closed:
            self._closed = True
            self.run.finish()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        self._closed = True
        self.run.__exit__(exc_type, exc, tb)  # an exception marks the run FAILED


def _step(global_step: Any) -> int:
    """TensorBoard's step: 0 when left out; an integer, numpy integer or one-element tensor."""
    if global_step is None:
        return 0
    if type(global_step) is int:
        return global_step
    value = arrays.scalar(global_step, "global_step")
    if not value.is_integer():
        raise InvalidValueError(f"global_step must be an integer, got {value}")
    return int(value)


def _ms(walltime: Any) -> int | None:
    """``walltime`` (seconds since the epoch) in milliseconds; None: now."""
    if walltime is None:
        return None
    seconds = arrays.scalar(walltime, "walltime")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidValueError(f"walltime must be seconds since the epoch, got {seconds}")
    return round(seconds * 1000)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"{what} must be a dict, got {type(value).__name__}")
    return value


def _hparams(hparam_dict: Any) -> dict[str, Any]:
    """Hyperparameters as TensorBoard takes them: numbers, strings, booleans or one-element
    tensors (made numbers); anything else refused naming the key."""
    out: dict[str, Any] = {}
    for key, value in _mapping(hparam_dict, "hparam_dict").items():
        if isinstance(value, _HPARAM_TYPES):
            out[str(key)] = value
            continue
        try:
            out[str(key)] = arrays.scalar(value, f"hparam {key!r}")
        except (InvalidTypeError, InvalidValueError):
            raise InvalidTypeError(
                f"add_hparams: hparam {key!r} is a {type(value).__name__}; hparams are "
                "int, float, str, bool or a one-element tensor"
            ) from None
    return out


def _domains(domains: Any, hparams: dict[str, Any]) -> dict[str, list[Any]]:
    """``hparam_domain_discrete``: each key an hparam, each domain a list of its kind."""
    if domains is None:
        return {}
    out: dict[str, list[Any]] = {}
    for key, values in _mapping(domains, "hparam_domain_discrete").items():
        if key not in hparams:
            raise InvalidValueError(f"hparam_domain_discrete: {key!r} is not in hparam_dict")
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, _HPARAM_TYPES) for v in values
        ):
            raise InvalidTypeError(
                f"hparam_domain_discrete[{key!r}] must be a list of int, float, str or bool"
            )
        out[str(key)] = list(values)
    return out


def _metadata_tsv(
    metadata: Sequence[Any], header: Sequence[str] | None, rows: int, what: str
) -> bytes:
    if len(metadata) != rows:
        raise InvalidValueError(f"{what}: {len(metadata)} metadata rows for {rows} vectors")
    if header is None:
        lines = [str(m) for m in metadata]
    else:
        lines = ["\t".join(str(h) for h in header)]
        lines += ["\t".join(str(c) for c in row) for row in metadata]
    return "".join(line.replace("\n", " ") + "\n" for line in lines).encode()


def _figure_pixels(figure: Any, tag: str) -> np.ndarray:
    canvas = getattr(figure, "canvas", None)
    if canvas is None or not hasattr(canvas, "buffer_rgba"):
        raise InvalidTypeError(f"add_figure({tag!r}): takes matplotlib figures")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _png(pixels: np.ndarray) -> bytes:
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(out, "PNG")
    return out.getvalue()


def _save_json(run: Run, name: str, doc: Any) -> None:
    _save_bytes(run, name, json.dumps(doc, indent=1, allow_nan=True).encode())


def _save_bytes(run: Run, name: str, data: bytes) -> None:
    """``data`` as the run's file ``name`` (the backend copies it at once)."""
    with tempfile.TemporaryDirectory(prefix="tracklog-tb-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        run.log_artifact(path, name)
