"""``run.config``: the run's hyperparameters, with attribute and item access."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.store import json_output, params, validation


class Config(MutableMapping[str, Any]):
    """A run's config: nested dicts, attribute and item access, ``update()``.

    Every change is written through at once. As in W&B, changing the value of an existing key
    raises :class:`~tracklog.errors.InvalidValueError` unless ``allow_val_change`` is given
    (here or to ``init()``); the store keeps both values in the run's config history.
    """

    def __init__(
        self, write: Callable[[dict[str, Any]], Any], allow_val_change: bool = False
    ) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_write", write)
        object.__setattr__(self, "_allow_val_change", allow_val_change)

    def update(
        self,
        other: Mapping[str, Any] | object | None = None,
        /,
        allow_val_change: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Merge keys (nested dicts merge key by key) and write them in one call.

        ``other`` is a dict or an object with attributes (an ``argparse.Namespace``). A key
        whose value changes raises, naming it, and nothing is written, unless
        ``allow_val_change`` (default: ``init()``'s) is true."""
        items = {**as_dict(other), **kwargs}
        if not items:
            return
        clean = self.clean(items)
        if allow_val_change is None:
            allow_val_change = self._allow_val_change
        if not allow_val_change:
            old = params.flatten(self._data)
            changed = [
                f"{k!r} from {old[k]!r} to {v!r}"
                for k, v in params.flatten(clean).items()
                if k in old and json_output.dumps(old[k]) != json_output.dumps(v)
            ]
            if changed:
                raise InvalidValueError(
                    f"config: changing {', '.join(changed)} needs "
                    "config.update(..., allow_val_change=True) (or init(allow_val_change=True)); "
                    "nothing was written"
                )
        self._write(clean)
        object.__setattr__(self, "_data", params.merge(self._data, clean))

    def setdefaults(self, defaults: Mapping[str, Any] | object) -> None:
        """Set the top-level keys of ``defaults`` that the config does not hold yet."""
        missing = {k: v for k, v in as_dict(defaults).items() if k not in self._data}
        self.update(missing)

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


def as_dict(values: Mapping[str, Any] | object | None) -> dict[str, Any]:
    """Config entries from a mapping or an object with attributes (an ``argparse.Namespace``,
    as W&B takes); anything else raises naming its type."""
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return dict(values)
    attributes = getattr(values, "__dict__", None)
    if isinstance(attributes, dict) and not callable(values):
        return {k: v for k, v in attributes.items() if not k.startswith("_")}
    raise InvalidValueError(
        f"config must be a dict or an object with attributes, got {type(values).__name__}"
    )
