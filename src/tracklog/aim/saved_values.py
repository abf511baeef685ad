"""``run[key]`` values that have no JSON form (a ``state_dict`` of tensors, as Aim examples
store under ``run["model"]``): pickled into a run file that the config references.

Reading one back unpickles the run's own file: open only runs you trust, as with any pickle.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tracklog.errors import InvalidTypeError
from tracklog.sdk.api import Api
from tracklog.sdk.run import Run

# The reference's keys: the run file, and the type of the value in it. (Not "_saved...":
# FastAPI's JSON encoder drops keys starting with "_sa", taking them for SQLAlchemy's.)
FILE = "_pickle_file"
TYPE = "_pickle_type"
FOLDER = "aim/values"


def is_reference(value: Any) -> bool:
    """Whether a config value is the reference to a saved value."""
    return isinstance(value, dict) and set(value) == {FILE, TYPE}


def pickled(key: str, value: Any) -> bytes:
    """``value`` as pickle bytes; InvalidTypeError naming ``key`` if it cannot be pickled."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickle raises PicklingError, TypeError or AttributeError
        raise InvalidTypeError(
            f"run[{key!r}]: a {type(value).__name__} value is neither JSON-like (for the "
            f"config) nor picklable (for a run file): {exc}"
        ) from exc


def save(run: Run, key: str, data: bytes, value: Any) -> dict[str, str]:
    """Store pickled ``data`` of ``value`` as a file of ``run``; return its reference."""
    name = f"{FOLDER}/{quote(key, safe='')}.pkl"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "value.pkl")
        path.write_bytes(data)
        run.log_artifact(path, name)
    kind = type(value)
    return {FILE: name, TYPE: f"{kind.__module__}.{kind.__qualname__}"}


def load(uri: str, run_id: str, reference: dict[str, str]) -> Any:
    """The value a reference names, read from the run's file in the store ``uri``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Api(uri).run(run_id).download(reference[FILE], folder)
        return pickle.loads(path.read_bytes())  # the run's own file: see the module doc
