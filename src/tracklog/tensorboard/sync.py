"""``tracklog.init(..., sync_tensorboard=True)``: torch's and tensorboardX's writers, left
unchanged, also log into the run (W&B's option of the same name).

Their classes are patched once per process: each ``add_*`` call first does what it always
did (event files keep being written), then the same call goes to a
:class:`~tracklog.tensorboard.SummaryWriter` over the run started last with the option, while
that run is open. A writer's tags keep their names; a second writer with another ``log_dir``
(``runs/train`` and ``runs/val``, both logging ``loss``) has its tags prefixed with its
folder's name (``val/loss``). A call the run cannot take is a warning, never an error in the
script.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklog.sdk import current
from tracklog.tensorboard.writer import SummaryWriter

if TYPE_CHECKING:
    from tracklog.sdk.run import Run

# The writer classes, as (package that must be installed, module, class name).
WRITERS = (
    ("torch", "torch.utils.tensorboard.writer", "SummaryWriter"),
    ("tensorboardX", "tensorboardX.writer", "SummaryWriter"),
)
METHODS = (
    "add_scalar",
    "add_scalars",
    "add_histogram",
    "add_histogram_raw",
    "add_image",
    "add_images",
    "add_figure",
    "add_video",
    "add_audio",
    "add_text",
    "add_hparams",
)
_TAG_ARGS = {"add_scalars": "main_tag"}  # the keyword of the first argument, where not "tag"


class _Sync:
    """The run the patched writers log into, and the state of the mirroring."""

    def __init__(self) -> None:
        self.mirror: SummaryWriter | None = None
        self.first_dir: str | None = None
        self.inside = threading.local()  # a writer's add_* calling another is mirrored once
        self.warned: set[str] = set()


_sync = _Sync()
_patched: set[type] = set()


def sync_into(run: Run) -> list[str]:
    """Patch the writer classes of the installed packages (once) and send their calls to
    ``run`` from now on; returns the classes patched, as ``module.Class``."""
    _sync.mirror = SummaryWriter.over(run)
    _sync.first_dir = None
    names = []
    for package, module, name in WRITERS:
        if importlib.util.find_spec(package) is None:
            continue
        try:
            cls = getattr(importlib.import_module(module), name)
        except ImportError:  # torch without the tensorboard package, say
            continue
        if cls not in _patched:
            for method in METHODS:
                if hasattr(cls, method):
                    setattr(cls, method, _mirrored(getattr(cls, method), method))
            _patched.add(cls)
        names.append(f"{module}.{name}")
    return names


def _mirrored(original: Any, method: str) -> Any:
    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = not getattr(_sync.inside, "active", False)
        _sync.inside.active = True
        try:
            result = original(self, *args, **kwargs)
        finally:
            if outer:
                _sync.inside.active = False
        if outer:
            _mirror(self, method, args, kwargs)
        return result

    return call


def _mirror(writer: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    mirror = _sync.mirror
    if mirror is None or mirror.run not in current.runs:  # no run, or it is finished
        return
    prefix = _prefix(writer)
    if prefix and method != "add_hparams":
        key = _TAG_ARGS.get(method, "tag")
        if args:
            args = (prefix + str(args[0]), *args[1:])
        elif key in kwargs:
            kwargs = {**kwargs, key: prefix + str(kwargs[key])}
    try:
        getattr(mirror, method)(*args, **kwargs)
    except Exception as exc:  # the script's own writer did its work: never fail it here
        if method not in _sync.warned:
            _sync.warned.add(method)
            warnings.warn(
                f"tracklog sync_tensorboard: {method} not recorded in run {mirror.run.id}: {exc}",
                stacklevel=3,
            )


def _prefix(writer: Any) -> str:
    """ "" for the first log_dir seen, ``<folder>/`` for the others."""
    get = getattr(writer, "get_logdir", None)
    log_dir = str(get() if callable(get) else getattr(writer, "logdir", ""))
    if _sync.first_dir is None:
        _sync.first_dir = log_dir
    return "" if log_dir == _sync.first_dir else f"{Path(log_dir).name}/"
