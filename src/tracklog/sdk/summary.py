"""``run.summary``: one value per metric that describes the run (last value by default)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any


class Summary(MutableMapping[str, Any]):
    """The run's summary: each metric's last value (or what ``define_metric`` chose), overridden
    by values set here. Reading flushes pending points first, so it is always current. Keys
    are items and attributes (``run.summary.best_acc = 0.9``), as in W&B."""

    def __init__(self, read: Callable[[], dict[str, Any]], write: Callable[[dict], None]) -> None:
        object.__setattr__(self, "_read", read)
        object.__setattr__(self, "_write", write)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set several summary values in one write."""
        self._write(dict(other, **kwargs))

    def __getitem__(self, key: str) -> Any:
        return self._read()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._write({key: value})

    def __delitem__(self, key: str) -> None:
        raise TypeError("summary keys cannot be removed; set a new value instead")

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):  # copy and pickle probe for these: no summary read
            raise AttributeError(key)
        try:
            return self._read()[key]
        except KeyError:
            raise AttributeError(f"summary has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._write({key: value})

    def __repr__(self) -> str:
        return f"Summary({self._read()!r})"
