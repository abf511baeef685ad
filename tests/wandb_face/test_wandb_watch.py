"""``watch(model, log, log_freq)``: histograms of a torch model's gradients and parameters
every ``log_freq`` passes, at the run's step; ``unwatch()`` and ``finish()`` remove the hooks."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError

torch = pytest.importorskip("torch")


def _train(model: Any, steps: int, run: tracklog.Run) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        run.log({"loss": loss.item()})


def test_gradients_and_parameters_every_log_freq_steps(local_store: str) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with tracklog.init(project="p") as run:
        tracklog.watch(model, log="all", log_freq=2)
        _train(model, 5, run)
        run.unwatch(model)
        _train(model, 2, run)  # no hooks: nothing more is logged
    r = tracklog.Api().run(run.id)
    keys = {k.key for k in r.media_keys() if k.kind == "histogram"}
    assert keys == {
        f"{kind}/{layer}.{p}"
        for kind in ("gradients", "parameters")
        for layer in (0, 2)
        for p in ("weight", "bias")
    }
    grads = r.histograms("gradients/0.weight")
    assert [h.step for h in grads] == [0, 2, 4]
    assert all(h.counts.sum() == 12 for h in grads)  # a 4x3 weight: 12 values
    assert [h.step for h in r.histograms("parameters/2.bias")] == [0, 2, 4]
    assert r.series("loss").steps.tolist() == list(range(7))


def test_default_is_gradients_only_and_finish_removes_hooks(local_store: str) -> None:
    model = torch.nn.Linear(3, 1)
    run = tracklog.init(project="p")
    run.watch(model, log_freq=1)
    _train(model, 2, run)
    run.finish()
    after = torch.nn.functional.mse_loss(model(torch.ones(1, 3)), torch.ones(1, 1))
    after.backward()  # a hook left behind would log to a finished run and raise
    keys = {k.key for k in tracklog.Api().run(run.id).media_keys()}
    assert keys == {"gradients/weight", "gradients/bias"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"log": "weights"}, InvalidValueError, "log must be"),
        ({"log_freq": 0}, InvalidValueError, "log_freq"),
        ({"models": object()}, InvalidTypeError, "torch.nn.Module"),
    ],
)
def test_bad_watch_arguments_raise(
    local_store: str, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    args: dict[str, Any] = {"models": torch.nn.Linear(2, 1), **kwargs}
    with tracklog.init(project="p") as run, pytest.raises(error, match=match):
        run.watch(**args)


def test_watch_needs_no_torch_import_until_called() -> None:
    import subprocess

    code = "import tracklog, sys; tracklog.watch; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
