"""``tracklog import tensorboard``: event files written by torch's SummaryWriter and in
TF2's tensor form become runs; a second import appends only what the files gained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

import tracklog

Import = Callable[..., Result]


def _torch_logs(logdir: Path, steps: range) -> None:
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(logdir / "exp1"))
    for i in steps:
        w.add_scalar("Loss/train", 1 / (i + 1), i, walltime=1_700_000_000 + i)
        w.add_scalars("acc", {"val": i / 10}, i)
    w.add_histogram("weights", np.arange(100, dtype=np.float64), 3)
    w.add_image("sample", np.full((3, 4, 5), 0.5), 3)
    w.add_text("notes", "hello **tb**", 3)
    w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True}, {"hparam/acc": 0.5}, run_name="hp")
    w.close()


def _tf2_logs(folder: Path) -> None:
    """Scalars and a histogram as TF2 writes them: tensors with the plugins' metadata."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util.tensor_util import make_tensor_proto

    def value(tag: str, plugin: str, array: np.ndarray) -> Summary.Value:
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=plugin))
        return Summary.Value(tag=tag, metadata=meta, tensor=make_tensor_proto(array))

    from tensorboard.compat.proto.event_pb2 import Event

    writer = EventFileWriter(str(folder))
    for step in range(3):
        summary = Summary(value=[value("epoch_loss", "scalars", np.float32(step / 4))])
        writer.add_event(Event(wall_time=1_700_000_000.5, step=step, summary=summary))
    hist = np.array([[0.0, 1.0, 2.0], [1.0, 2.0, 5.0]])
    summary = Summary(value=[value("kernel", "histograms", hist)])
    writer.add_event(Event(wall_time=1_700_000_001.0, step=2, summary=summary))
    writer.close()


def test_a_torch_logdir_becomes_runs_and_a_second_import_appends_only_new_points(
    tmp_path: Path, tb_import: Import, api: tracklog.Api
) -> None:
    logdir = tmp_path / "logs"
    _torch_logs(logdir, range(5))
    result = tb_import(str(logdir))
    assert result.exit_code == 0, result.output
    runs = {r.name: r for r in api.runs("logs")}
    assert set(runs) == {"exp1", "exp1/acc_val", "exp1/hp"}  # torch's folders for each
    run = runs["exp1"]
    assert run.status == "FINISHED" and run.metadata["imported_from"]["source"] == "tensorboard"
    loss = run.series("Loss/train")
    assert loss.steps.tolist() == [0, 1, 2, 3, 4]
    assert loss.values.tolist() == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    assert loss.timestamps.tolist() == [1_700_000_000_000 + 1000 * i for i in range(5)]
    (hist,) = run.histograms("weights")
    assert hist.step == 3 and hist.counts.sum() == 100
    assert hist.edges[0] >= 0 and hist.edges[-1] <= 99
    (image,) = run.media("sample")
    assert image.to_numpy().shape == (4, 5, 3) and image.to_numpy().max() == 127
    (text,) = run.media("notes/text_summary")  # torch's tag for add_text("notes")
    assert text.read_bytes() == b"hello **tb**"
    assert runs["exp1/acc_val"].series("acc").values.tolist() == pytest.approx(
        [0, 0.1, 0.2, 0.3, 0.4]
    )
    hp = runs["exp1/hp"]
    assert hp.config == {"lr": 0.1, "opt": "adam", "bn": True}
    assert hp.summary["hparam/acc"] == 0.5

    again = tb_import(str(logdir))
    assert again.exit_code == 0 and again.output.count("up to date") == 3, again.output
    _torch_logs(logdir, range(5, 7))  # a new event file in the same folder
    grown = tb_import(str(logdir))
    assert "appended to exp1" in grown.output, grown.output
    run = {r.name: r for r in api.runs("logs")}["exp1"]
    assert run.series("Loss/train").steps.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert len(run.histograms("weights")) == 2 and len(run.media("notes/text_summary")) == 2


def test_tf2_tensor_summaries_are_read(
    tmp_path: Path, tb_import: Import, api: tracklog.Api
) -> None:
    _tf2_logs(tmp_path / "keras" / "train")
    result = tb_import(str(tmp_path / "keras"), "--project", "k")
    assert result.exit_code == 0, result.output
    (run,) = api.runs("k")
    assert run.name == "train"
    loss = run.series("epoch_loss")
    assert loss.values.tolist() == [0, 0.25, 0.5]
    assert loss.timestamps.tolist() == [1_700_000_000_500] * 3
    (hist,) = run.histograms("kernel")
    assert hist.edges.tolist() == [0, 1, 2] and hist.counts.tolist() == [2, 5]


def _truncated(data: bytes) -> bytes:
    return data[:-10]


def _flipped(data: bytes) -> bytes:
    return data[:-40] + bytes([data[-40] ^ 0xFF]) + data[-39:]  # the last record's CRC fails


@pytest.mark.parametrize("damage", [_truncated, _flipped])
def test_a_damaged_file_is_imported_up_to_the_damage_with_a_warning(
    tmp_path: Path, tb_import: Import, api: tracklog.Api, damage: Callable[[bytes], bytes]
) -> None:
    logdir = tmp_path / "logs"
    _tf2_logs(logdir / "run")
    (events,) = (logdir / "run").glob("*tfevents*")
    events.write_bytes(damage(events.read_bytes()))
    result = tb_import(str(logdir))
    assert result.exit_code == 0, result.output
    assert f"{events}: damaged or truncated at byte " in result.output
    (run,) = api.runs("logs")
    assert run.series("epoch_loss").steps.tolist() == [0, 1, 2]
    assert run.media_keys() == []  # the histogram was in the damaged record


def test_a_logdir_without_event_files_is_a_clear_error(tmp_path: Path, tb_import: Import) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    result = tb_import(str(tmp_path / "empty"))
    assert result.exit_code != 0
    assert "no TensorBoard event files" in result.output
    missing = tb_import(str(tmp_path / "nowhere"))
    assert missing.exit_code != 0 and "no such folder" in missing.output


def test_follow_picks_up_new_points_and_new_runs_until_stopped(
    tmp_path: Path, store_at: str
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    logdir = tmp_path / "logs"
    _tf2_logs(logdir / "first")
    env = {**os.environ, "TRACKLOG_ARTIFACTS": str(tmp_path / "artifacts")}
    cmd = "from tracklog.cli.main import main; main()"
    args = ["--uri", store_at, "import", "tensorboard", str(logdir), "--follow"]
    proc = subprocess.Popen(
        [sys.executable, "-c", cmd, *args, "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = tracklog.Api(store_at)

    def names_and_counts() -> dict[str, int]:
        try:
            return {r.name: len(r.series("epoch_loss").steps) for r in api.runs("logs")}
        except tracklog.TracklogError:
            return {}  # the store is not made yet

    def wait_for(wanted: dict[str, int]) -> None:
        deadline = time.monotonic() + 120  # a bound on a hung follower, not a timing claim
        while names_and_counts() != wanted:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, names_and_counts()
            time.sleep(0.1)

    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def point(step: int) -> Event:
        summary = Summary(value=[Summary.Value(tag="epoch_loss", simple_value=step)])
        return Event(wall_time=1_700_000_000, step=step, summary=summary)

    growing = EventFileWriter(str(logdir / "growing"))
    try:
        growing.add_event(point(0))
        growing.flush()
        wait_for({"first": 3, "growing": 1})
        growing.add_event(point(1))  # the same file grows while it is followed
        growing.flush()
        _tf2_logs(logdir / "first")  # a second event file: three more points
        _tf2_logs(logdir / "second")
        wait_for({"first": 6, "second": 3, "growing": 2})
    finally:
        growing.close()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "appended to first" in out


def test_an_import_cut_short_is_completed_by_the_next(
    tmp_path: Path, store_at: str, tb_import: Import, api: tracklog.Api
) -> None:
    from tracklog.importers.imported_run import stable_id
    from tracklog.importers.tensorboard import SOURCE
    from tracklog.store.records import SeriesPoints
    from tracklog.store.tracking import Store

    logdir = tmp_path / "logs"
    _tf2_logs(logdir / "run")
    # What an import killed part-way leaves: the run, RUNNING, with its first two points.
    store = Store(store_at)
    try:
        run_id = stable_id(SOURCE, str((logdir / "run").resolve()))
        store.create_run("logs", run_id=run_id, name="run", owned=False)
        steps, values = np.array([0, 1]), np.array([0.0, 0.25])
        times = np.array([1_700_000_000_500] * 2)
        store.append_metrics(run_id, [SeriesPoints("epoch_loss", "", steps, values, times)])
    finally:
        store.close()
    result = tb_import(str(logdir))
    assert result.exit_code == 0 and "appended to run" in result.output, result.output
    (run,) = api.runs("logs")
    assert run.series("epoch_loss").values.tolist() == [0, 0.25, 0.5]  # none written twice
    assert len(run.histograms("kernel")) == 1 and run.status == "FINISHED"
