"""``tracklog.tensorboard.SummaryWriter``: torch's writer API logging into a tracklog run,
read back through ``Api`` from a real local store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError, RunFinishedError
from tracklog.tensorboard import SummaryWriter


def _run_file(run_id: str, name: str, tmp: Path) -> bytes:
    run = tracklog.Api().run(run_id)
    assert name in run.files()
    return run.download(name, tmp / uuid.uuid4().hex).read_bytes()


def test_log_dir_names_the_run_and_scalars_keep_tags_steps_and_walltime(
    local_store: str,
) -> None:
    with SummaryWriter("runs/exp1") as w:
        for i in range(3):
            w.add_scalar("Loss/train", 1 / (i + 1), i)
            w.add_scalar("Loss/val", np.float32(0.5), np.int64(i), walltime=1_700_000_000.25)
        w.add_scalar("no_step", 2)
        w.add_scalars("lr", {"enc": 0.1, "dec": 0.2}, 5)
        rid = w.run.id
    r = tracklog.Api().run(rid)
    assert (r.name, r.project, r.status) == ("exp1", "runs", "FINISHED")
    assert r.series("Loss/train").values.tolist() == [1.0, 0.5, 1 / 3]
    val = r.series("Loss/val")
    assert val.steps.tolist() == [0, 1, 2]
    assert val.timestamps.tolist() == [1_700_000_000_250] * 3
    assert r.series("no_step").steps.tolist() == [0]  # TensorBoard's step when left out
    assert r.series("lr/enc").steps.tolist() == [5] and r.summary["lr/dec"] == 0.2


def test_default_log_dir_is_torchs_and_project_can_be_given(local_store: str) -> None:
    w = SummaryWriter(comment="_lr0.1", project="mine")
    assert Path(w.get_logdir()).parent == Path("runs")
    assert w.get_logdir().endswith("_lr0.1")
    assert (w.run.project, w.run.name) == ("mine", Path(w.get_logdir()).name)
    w.close()
    w.close()  # once only
    with pytest.raises(RunFinishedError):
        w.add_scalar("x", 1.0, 0)


def test_an_exception_in_the_with_block_fails_the_run(local_store: str) -> None:
    with pytest.raises(ZeroDivisionError), SummaryWriter("runs/boom") as w:
        w.add_scalar("x", 1.0, 0)
        _ = 1 / 0
    assert tracklog.Api().run(w.run.id).status == "FAILED"


def test_histograms_honour_bins_and_raw_buckets(local_store: str) -> None:
    data = np.concatenate([np.linspace(0, 1, 101), [np.nan, np.inf]])
    with SummaryWriter("runs/h") as w:
        w.add_histogram("default", data, 0)
        w.add_histogram("ten", data, 0, bins=10)
        w.add_histogram("edges", data, 0, bins=[0, 0.5, 1])
        w.add_histogram("capped", data, 0, bins=100, max_bins=4)
        w.add_histogram_raw("raw", 0, 3, 6, 9.0, 20.0, [1, 2, 3], [1, 2, 3], 4)
        with pytest.raises(InvalidValueError, match="2 bucket_limits but 3 bucket_counts"):
            w.add_histogram_raw("bad", 0, 3, 6, 9.0, 20.0, [1, 2], [1, 2, 3], 4)
        with pytest.raises(InvalidValueError, match="bins 'nonsense'"):
            w.add_histogram("bad", data, 0, bins="nonsense")
        rid = w.run.id
    r = tracklog.Api().run(rid)
    (default,) = r.histograms("default")
    assert len(default.counts) == 64 and default.counts.sum() == 101  # NaN, inf left out
    (ten,) = r.histograms("ten")
    assert ten.counts.tolist() == np.histogram(data[:101], bins=10)[0].tolist()
    (edges,) = r.histograms("edges")
    assert edges.edges.tolist() == [0, 0.5, 1] and edges.counts.tolist() == [50, 51]
    assert len(r.histograms("capped")[0].counts) == 4
    (raw,) = r.histograms("raw")
    assert raw.step == 4 and raw.edges.tolist() == [0, 1, 2, 3]
    assert raw.counts.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("shape", "fmt", "expected"),
    [
        ((3, 4, 5), "CHW", (4, 5, 3)),
        ((4, 5, 3), "HWC", (4, 5, 3)),
        ((4, 5), "HW", (4, 5)),
        ((5, 4), "WH", (4, 5)),
        ((4, 5, 1), "hwc", (4, 5)),
    ],
)
def test_add_image_takes_every_dataformats(
    local_store: str, shape: tuple[int, ...], fmt: str, expected: tuple[int, ...]
) -> None:
    data = np.random.default_rng(0).random(shape).astype(np.float32)
    with SummaryWriter("runs/img") as w:
        w.add_image("img", data, 3, dataformats=fmt)
        rid = w.run.id
    (item,) = tracklog.Api().run(rid).media("img")
    pixels = item.to_numpy()
    assert item.step == 3 and pixels.shape == expected
    axes = [fmt.upper().find(c) for c in "HWC" if c in fmt.upper()]
    want = np.clip(data.transpose(axes) * 255, 0, 255).astype(np.uint8).reshape(expected)
    assert np.array_equal(pixels, want)


def test_add_images_lays_a_batch_out_in_tensorboards_grid(local_store: str) -> None:
    batch = np.zeros((10, 2, 3, 3), dtype=np.uint8)  # N×H×W×C
    for i in range(10):
        batch[i] = i * 20
    with SummaryWriter("runs/imgs") as w:
        w.add_images("nhwc", batch, 0, dataformats="NHWC")
        w.add_images("nchw", batch.transpose(0, 3, 1, 2), 0)
        w.add_images("grey", np.ones((3, 4, 4)) * 2.0, 0, dataformats="NHW")  # clipped to 255
        rid = w.run.id
    r = tracklog.Api().run(rid)
    grid = r.media("nhwc")[0].to_numpy()
    assert grid.shape == (4, 24, 3)  # 8 a row, 2 rows
    assert grid[0, 0, 0] == 0 and grid[0, 21, 0] == 140 and grid[2, 3, 0] == 180
    assert grid[2, 6:].max() == 0  # the empty cells are black
    assert np.array_equal(r.media("nchw")[0].to_numpy(), grid)
    grey = r.media("grey")[0].to_numpy()
    assert grey.shape == (4, 12) and grey.min() == 255


@pytest.mark.parametrize(
    ("shape", "fmt"),
    [
        ((3, 4, 5), "HWC"),
        ((3, 4, 5), "CHW "),
        ((3, 4, 5), "NCHW"),
        ((3, 4, 5), "CCW"),
        ((4, 5), "CHW"),
        ((2, 3, 4, 5), "CHW"),
    ],
)
def test_add_image_with_a_wrong_dataformats_is_refused_and_nothing_lost(
    local_store: str, shape: tuple[int, ...], fmt: str
) -> None:
    with SummaryWriter("runs/bad") as w:
        w.add_scalar("kept", 1.0, 0)
        with pytest.raises(InvalidValueError, match="add_image\\('img'\\)"):
            w.add_image("img", np.zeros(shape), 0, dataformats=fmt)
        rid = w.run.id
    r = tracklog.Api().run(rid)
    assert r.series("kept").values.tolist() == [1.0] and r.media_keys() == []


def test_video_audio_text_and_figures(local_store: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2), dpi=50)
    plt.plot([0, 1])
    figs = [plt.figure(figsize=(1, 1), dpi=40) for _ in range(3)]
    with SummaryWriter("runs/media") as w:
        w.add_video("vid", np.random.rand(2, 4, 3, 8, 8), 1, fps=8)
        w.add_audio("aud", np.full((1, 800), 2.0), 1, sample_rate=8000)  # clipped to 1
        w.add_text("notes", "**bold** words", 1)
        w.add_figure("fig", fig, 1)
        w.add_figure("figs", figs, 1, close=False)
        with pytest.raises(InvalidTypeError, match="add_text"):
            w.add_text("notes", 3, 2)  # type: ignore[arg-type]
        rid = w.run.id
    assert not plt.fignum_exists(fig.number) and plt.fignum_exists(figs[0].number)
    plt.close("all")
    r = tracklog.Api().run(rid)
    (vid,) = r.media("vid")
    assert (vid.kind, vid.meta["fps"], vid.meta["frames"]) == ("video", 8, 4)
    (aud,) = r.media("aud")
    assert aud.meta["sample_rate"] == 8000 and aud.meta["channels"] == 1
    assert aud.read_bytes()[44:46] == (32767).to_bytes(2, "little")
    assert r.media("notes")[0].read_bytes() == b"**bold** words"
    assert r.media("fig")[0].to_numpy().shape[:2] == (100, 100)
    assert r.media("figs")[0].to_numpy().shape[:2] == (40, 120)


def test_hparams_become_config_and_summary_and_a_run_name_its_own_run(
    local_store: str, tmp_path: Path
) -> None:
    with SummaryWriter("runs/hp") as w:
        w.add_hparams(
            {"lr": 0.1, "opt": "adam", "layers": np.int64(3), "bn": True},
            {"hparam/accuracy": np.float32(0.5)},
            hparam_domain_discrete={"opt": ["adam", "sgd"]},
        )
        w.add_hparams({"lr": 0.2}, {"hparam/accuracy": 0.75}, run_name="trial-2")
        with pytest.raises(InvalidTypeError, match="hparam 'bad' is a list"):
            w.add_hparams({"bad": [1, 2]}, {})
        with pytest.raises(InvalidValueError, match="'nope' is not in hparam_dict"):
            w.add_hparams({"lr": 1}, {}, hparam_domain_discrete={"nope": [1]})
        with pytest.raises(InvalidTypeError, match="metric 'm'"):
            w.add_hparams({"lr": 1}, {"m": "high"})
        rid = w.run.id
    r = tracklog.Api().run(rid)
    assert r.config == {"lr": 0.1, "opt": "adam", "layers": 3.0, "bn": True}
    assert r.summary["hparam/accuracy"] == 0.5
    doc = json.loads(_run_file(rid, "tensorboard/hparams.json", tmp_path))
    assert doc["domains"] == {"opt": ["adam", "sgd"]}
    (trial,) = [x for x in tracklog.Api().runs("runs") if x.name == "trial-2"]
    assert trial.config == {"lr": 0.2} and trial.summary["hparam/accuracy"] == 0.75
    assert trial.group == "hp" and trial.status == "FINISHED"


def test_pr_curve_embedding_graph_and_custom_scalars_are_run_files(
    local_store: str, tmp_path: Path
) -> None:
    import torch

    labels = np.array([0, 0, 1, 1])
    preds = np.array([0.1, 0.6, 0.4, 0.9])
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with SummaryWriter("runs/plugins") as w:
        w.add_pr_curve("pr/val", labels, preds, 7, num_thresholds=3)
        w.add_embedding(
            np.eye(3), metadata=["a", "b", "c"], label_img=np.zeros((3, 3, 2, 2)), tag="emb"
        )
        w.add_graph(model, torch.randn(5, 4))
        w.add_custom_scalars({"Loss": {"both": ["Multiline", ["Loss/train", "Loss/val"]]}})
        with pytest.raises(InvalidValueError, match="predictions must lie in"):
            w.add_pr_curve("pr/bad", labels, preds * 2, 0)
        with pytest.raises(InvalidValueError, match=r"'Loss'.*'x'"):
            w.add_custom_scalars({"Loss": {"x": ["Pie", ["a"]]}})
        with pytest.raises(InvalidTypeError, match=r"torch\.nn\.Module"):
            w.add_graph(object())
        rid = w.run.id
    pr = json.loads(_run_file(rid, "tensorboard/pr_curves/pr/val/7.json", tmp_path))
    assert pr["thresholds"] == [0.0, 0.5, 1.0]
    assert pr["true_positives"] == [2, 1, 0] and pr["false_positives"] == [2, 1, 0]
    assert pr["precision"][1] == 0.5 and pr["recall"][1] == 0.5
    emb = "tensorboard/embeddings/emb/0/"
    assert _run_file(rid, emb + "tensors.tsv", tmp_path).splitlines()[1] == b"0.0\t1.0\t0.0"
    assert _run_file(rid, emb + "metadata.tsv", tmp_path) == b"a\nb\nc\n"
    assert _run_file(rid, emb + "sprite.png", tmp_path).startswith(b"\x89PNG")
    graph = json.loads(_run_file(rid, "tensorboard/graph.json", tmp_path))
    assert graph["type"] == "Sequential" and graph["parameters"] == 4 * 8 + 8 + 8 * 2 + 2
    assert [c["type"] for c in graph["children"]] == ["Linear", "ReLU", "Linear"]
    assert graph["children"][0]["output_shape"] == [5, 8] and graph["input_shape"] == [5, 4]
    assert model.training  # the shape pass put it back in training mode
    layout = json.loads(_run_file(rid, "tensorboard/custom_scalars.json", tmp_path))
    assert layout["Loss"]["both"][0] == "Multiline"


def test_bad_scalars_are_refused_naming_the_tag(local_store: str) -> None:
    with SummaryWriter("runs/bad") as w:
        with pytest.raises(InvalidTypeError, match=r"add_scalar\('t'\).*add_text"):
            w.add_scalar("t", "high", 0)
        with pytest.raises(InvalidValueError, match=r"add_scalar\('v'\).*one element"):
            w.add_scalar("v", np.zeros(3), 0)
        with pytest.raises(InvalidValueError, match="walltime"):
            w.add_scalar("w", 1.0, 0, walltime=float("nan"))
        with pytest.raises(InvalidValueError, match="global_step"):
            w.add_scalar("w", 1.0, 0.5)  # type: ignore[arg-type]
