"""``run.config``: the run's hyperparameters, with attribute and item access."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from tracklog.store import json_output, params, validation


class Config(MutableMapping[str, Any]):
    """A run's config: nested dicts, attribute and item access, ``update()``.

    Every change is written through at once. Changing the value of an existing key warns; the
    store keeps both values in the run's config history.
    """

    def __init__(self, write: Callable[[dict[str, Any]], Any]) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_write", write)

    def update(self, other: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:  # type: ignore[override]
        """Merge keys (nested dicts merge key by key) and write them in one call."""
        items = dict(other or {}, **kwargs)
        if not items:
            return
        clean = self.clean(items)
        old = params.flatten(self._data)
        for k, v in params.flatten(clean).items():
            if k in old and json_output.dumps(old[k]) != json_output.dumps(v):
                warnings.warn(
                    f"tracklog: config key {k!r} changed from {old[k]!r} to {v!r}; "
                    "both values are kept in the run's config history",
                    stacklevel=3,
                )
        self._write(clean)
        object.__setattr__(self, "_data", params.merge(self._data, clean))

    @staticmethod
    def clean(items: Mapping[str, Any]) -> dict[str, Any]:
        """Config entries as plain JSON data; raises naming the key that cannot be stored."""
        for k in items:
            validation.key(k, "config key")
        clean = validation.json_value(dict(items), "config")
        params.check(clean)  # the store's rule for each flattened key, checked before journaling
        return clean

    def load(self, data: Mapping[str, Any]) -> None:
        """Take the stored config of a resumed run as this run's (nothing is written)."""
        object.__setattr__(self, "_data", params.merge({}, data))

    def as_dict(self) -> dict[str, Any]:
        """A deep copy of the config as plain dicts."""
        return params.merge({}, self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        raise TypeError("config keys cannot be removed; set a new value instead")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __repr__(self) -> str:
        return f"Config({self._data!r})"
