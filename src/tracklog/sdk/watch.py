"""W&B's ``watch(model, log, log_freq)``: histograms of a torch model's gradients and
parameters, logged through hooks every ``log_freq`` backward (gradients) or forward
(parameters) passes. torch is imported only when a model is watched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    from tracklog.sdk.run import Run

LOG_CHOICES = ("gradients", "parameters", "all", None)


class Watcher:
    """The hooks ``watch()`` put on a run's models, so ``unwatch()`` can take them off."""

    def __init__(self) -> None:
        self._handles: dict[int, list[Any]] = {}

    def watch(
        self,
        run: Run,
        models: Any,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
    ) -> None:
        """Hook each model of ``models`` (one ``torch.nn.Module`` or a sequence of them)."""
        if log not in LOG_CHOICES:
            raise InvalidValueError(
                f"watch: log must be gradients, parameters, all or None: {log!r}"
            )
        if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
            raise InvalidValueError(f"watch: log_freq must be a whole number >= 1: {log_freq!r}")
        many = models if isinstance(models, Sequence) else [models]
        for model in many:
            if not callable(getattr(model, "named_parameters", None)):
                raise InvalidTypeError(
                    f"watch() takes torch.nn.Module models, got {type(model).__name__}"
                )
        for i, model in enumerate(many):
            prefix = "" if idx is None and len(many) == 1 else f"graph_{i if idx is None else idx}/"
            handles = self._handles.setdefault(id(model), [])
            if log in ("parameters", "all"):
                handles.append(
                    model.register_forward_hook(_parameters_hook(run, model, prefix, log_freq))
                )
            if log in ("gradients", "all"):
                for name, param in model.named_parameters():
                    if param.requires_grad:
                        key = f"gradients/{prefix}{name}"
                        handles.append(param.register_hook(_gradient_hook(run, key, log_freq)))

    def unwatch(self, models: Any = None) -> None:
        """Take the hooks off ``models`` (default: every watched model)."""
        if models is None:
            ids = list(self._handles)
        else:
            ids = [id(m) for m in (models if isinstance(models, Sequence) else [models])]
        for key in ids:
            for handle in self._handles.pop(key, []):
                handle.remove()


def _parameters_hook(run: Run, model: Any, prefix: str, log_freq: int) -> Callable[..., None]:
    calls = 0

    def hook(_module: Any, _inputs: Any, _output: Any) -> None:
        nonlocal calls
        calls += 1
        if (calls - 1) % log_freq:
            return
        run.log(
            {f"parameters/{prefix}{name}": _histogram(p) for name, p in model.named_parameters()},
            commit=False,
        )

    return hook


def _gradient_hook(run: Run, key: str, log_freq: int) -> Callable[[Any], None]:
    calls = 0

    def hook(grad: Any) -> None:
        nonlocal calls
        calls += 1
        if not (calls - 1) % log_freq:
            run.log({key: _histogram(grad)}, commit=False)

    return hook


def _histogram(tensor: Any) -> Any:
    from tracklog.sdk.media import Histogram

    return Histogram(tensor)  # takes a tensor as it is (detached, moved to the CPU)
