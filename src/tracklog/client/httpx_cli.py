"""httpx without its command-line client until someone runs it.

``import httpx`` imports ``httpx._main``, the ``httpx`` command, which loads click, rich and
pygments (installed with tracklog): about half of httpx's import time and several MB, in every
training process that logs to a server (encode/httpx#3547 moves it out of ``__init__``). Before
httpx is first imported, :func:`defer` puts a stand-in under that name: ``httpx.main`` and any
other attribute load the real module when first used, so the CLI still works.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

NAME = "httpx._main"


def _real() -> types.ModuleType:
    """The real ``httpx._main``, imported in place of the stand-in."""
    if isinstance(sys.modules.get(NAME), _StandIn):
        del sys.modules[NAME]
    module = importlib.import_module(NAME)
    sys.modules["httpx"]._main = module  # type: ignore[attr-defined]
    return module


def _main(*args: Any, **kwargs: Any) -> Any:
    """``httpx.main``: the real CLI, loaded now."""
    return _real().main(*args, **kwargs)


class _StandIn(types.ModuleType):
    main = staticmethod(_main)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(name)
        return getattr(_real(), name)


def defer() -> None:
    """Let the next ``import httpx`` skip its CLI (nothing to do once httpx is loaded)."""
    if "httpx" not in sys.modules and NAME not in sys.modules:
        sys.modules[NAME] = _StandIn(NAME)
