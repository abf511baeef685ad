"""``tracklog.init(sync_tensorboard=True)``: torch's own SummaryWriter, unchanged, also logs
into the run, and still writes its event files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tracklog
from tracklog.errors import InvalidTypeError


def test_torchs_writer_logs_into_the_run_and_still_writes_event_files(
    local_store: str, tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch.utils.tensorboard import SummaryWriter

    with tracklog.init(project="sync", sync_tensorboard=True) as run:
        train = SummaryWriter(str(tmp_path / "runs" / "train"))
        val = SummaryWriter(log_dir=str(tmp_path / "runs" / "val"))
        for step in range(3):
            train.add_scalar("loss", 1 / (step + 1), step)
            val.add_scalar(tag="loss", scalar_value=0.5, global_step=step)
        train.add_histogram("w", np.arange(10.0), 2)
        train.add_figure("fig", plt.figure(figsize=(1, 1), dpi=20), 2)  # calls add_image inside
        train.add_hparams({"lr": 0.1}, {"hparam/acc": 0.9})  # writes through a writer of its own
        with pytest.warns(UserWarning, match="add_scalar not recorded"):
            train.add_scalar("x" * 1000, 1.0, 0)  # torch takes any tag; tracklog's keys are shorter
        train.close()
        val.close()
    assert list((tmp_path / "runs" / "train").glob("*tfevents*"))  # torch's own work is done
    r = tracklog.Api().run(run.id)
    assert r.series("loss").values.tolist() == [1, 0.5, 1 / 3]
    assert r.series("val/loss").values.tolist() == [0.5] * 3
    assert r.histograms("w")[0].counts.sum() == 10
    assert [(k.key, k.count) for k in r.media_keys()] == [("fig", 1), ("w", 1)]
    assert r.config == {"lr": 0.1} and r.summary["hparam/acc"] == pytest.approx(0.9)

    # After the run finishes, the writers go on writing event files only.
    after = SummaryWriter(str(tmp_path / "runs" / "train"))
    after.add_scalar("loss", 9.0, 9)
    after.close()
    assert tracklog.Api().run(run.id).series("loss").steps.tolist() == [0, 1, 2]


def test_sync_tensorboard_must_be_a_bool(local_store: str) -> None:
    with pytest.raises(InvalidTypeError, match="sync_tensorboard"):
        tracklog.init(project="sync", sync_tensorboard="yes")  # type: ignore[arg-type]
