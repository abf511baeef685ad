"""``tracklog.aim.Run``: an unchanged Aim script, with only its import line changed, logs to
a tracklog store (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tracklog
from tracklog.aim import Audio, Distribution, Figure, Image, Repo, Run, Text
from tracklog.errors import InvalidTypeError, InvalidValueError


def test_a_typical_aim_script(repo: str) -> None:
    run = Run(repo=repo, experiment="mnist")
    run["hparams"] = {"lr": 0.01, "batch_size": 32}
    for epoch in range(2):
        for step in range(3):
            i = epoch * 3 + step
            for subset, acc in (("train", 0.5 + i / 10), ("val", 0.4 + i / 10)):
                ctx = {"subset": subset}
                run.track(acc, name="acc", step=i, epoch=epoch, context=ctx)
                run.track(1 - acc, name="loss", step=i, epoch=epoch, context=ctx)
    run.close()

    stored = tracklog.Api(repo).run(run.hash)
    assert stored.project == "mnist" and stored.status == "FINISHED"
    assert stored.config == {"hparams": {"lr": 0.01, "batch_size": 32}}
    val = stored.series("acc", context={"subset": "val"})
    assert val.steps.tolist() == list(range(6))
    assert val.values.tolist() == pytest.approx([0.4 + i / 10 for i in range(6)])
    epochs = stored.series("epoch", context={"subset": "val"})
    assert epochs.values.tolist() == [0, 0, 0, 1, 1, 1]  # once per step, not per key
    assert stored.summary["acc[subset=val]"] == pytest.approx(0.9)
    found = tracklog.Api(repo).runs("mnist", filter="metrics.acc[subset=val] > 0.8")
    assert [r.id for r in found] == [run.hash]


def test_identity_tags_and_description(repo: str) -> None:
    run = Run(repo=Repo(repo), experiment="e")
    assert len(run.hash) == 32 and run.experiment == "e"
    run.name = "baseline"
    run.description = "first try"
    run.add_tag("cnn")
    run.add_tag("small")
    run.remove_tag("small")
    run.remove_tag("never-added")
    assert (run.name, run.description, run.tags) == ("baseline", "first try", ["cnn"])
    run.close()
    stored = tracklog.Api(repo).run(run.hash)
    assert (stored.name, stored.notes, stored.labels) == ("baseline", "first try", ["cnn"])


def test_run_hash_continues_a_run(repo: str) -> None:
    first = Run(repo=repo, experiment="e")
    first["hparams"] = {"lr": 0.1}
    first.track(1.0, name="loss")
    first.close()
    again = Run(run_hash=first.hash, repo=repo)
    assert again.experiment == "e" and again["hparams"] == {"lr": 0.1}
    again.track(0.5, name="loss")
    again.close()
    loss = tracklog.Api(repo).run(first.hash).series("loss")
    assert (loss.steps.tolist(), loss.values.tolist()) == ([0, 1], [1.0, 0.5])


def test_values_without_json_form_are_saved_as_run_files(repo: str) -> None:
    torch = pytest.importorskip("torch")
    state = {"layer.weight": torch.arange(6.0).reshape(2, 3), "layer.bias": torch.zeros(2)}
    run = Run(repo=repo)
    run["model"] = state
    run["hparams"] = {"lr": 0.1}
    assert torch.equal(run["model"]["layer.weight"], state["layer.weight"])
    assert run["hparams"] == {"lr": 0.1} and "model" in run and "other" not in run
    with pytest.raises(KeyError):
        run["other"]
    run.close()
    stored = tracklog.Api(repo).run(run.hash)
    reference = stored.config["model"]
    assert reference == {"_pickle_file": "aim/values/model.pkl", "_pickle_type": "builtins.dict"}
    assert "aim/values/model.pkl" in stored.files()
    # Continued later, the value is read back from its file.
    again = Run(run_hash=run.hash, repo=repo)
    assert torch.equal(again["model"]["layer.bias"], torch.zeros(2))
    again.close()


def test_a_value_that_cannot_be_saved_is_a_clear_error_and_loses_nothing(repo: str) -> None:
    run = Run(repo=repo)
    run["hparams"] = {"lr": 0.1}
    with pytest.raises(InvalidTypeError, match=r"run\['lock'\]: a lock value is neither"):
        run["lock"] = threading.Lock()
    with pytest.raises(InvalidValueError, match="config key"):
        run[""] = 1
    run.track(1.0, name="loss")
    run.close()
    stored = tracklog.Api(repo).run(run.hash)
    assert stored.config == {"hparams": {"lr": 0.1}}
    assert stored.files() == []
    assert stored.series("loss").values.tolist() == [1.0]


def test_aim_objects_are_stored_as_media_and_histograms(repo: str) -> None:
    run = Run(repo=repo)
    pixels = np.zeros((4, 6, 3), np.uint8)
    run.track(Image(pixels, caption="black"), name="img", step=0, context={"subset": "val"})
    run.track(Image(pixels, format="jpeg"), name="jpg", step=0)
    run.track(Text("hello"), name="sample", step=1)
    run.track(Audio(np.zeros(800, np.float32), rate=8000), name="sound", step=0)
    wav = _wav_bytes()
    run.track(Audio(wav, format="wav"), name="clip", step=0)
    run.track(Distribution(np.arange(100.0), bin_count=10), name="w", step=0)
    run.track(Distribution(hist=[1, 2, 3], bin_range=(0, 3)), name="w", step=1)
    run.track({"a": 1.0, "b": 2.0}, step=0, context={"subset": "train"})
    run.close()

    stored = tracklog.Api(repo).run(run.hash)
    (img,) = stored.media("img", context={"subset": "val"})
    assert (img.kind, img.meta["width"], img.meta["height"]) == ("image", 6, 4)
    assert stored.media("jpg")[0].path.endswith(".jpg")
    assert stored.media("sample")[0].kind == "text"
    (sound,) = stored.media("sound")
    assert sound.kind == "audio" and sound.meta["sample_rate"] == 8000
    assert stored.media("clip")[0].meta["sample_rate"] == 16000
    hists = stored.histograms("w")
    assert [h.step for h in hists] == [0, 1]
    assert sum(hists[0].counts) == 100 and list(hists[1].counts) == [1, 2, 3]
    assert stored.series("b", context={"subset": "train"}).values.tolist() == [2.0]


def test_figures(repo: str) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    go = pytest.importorskip("plotly.graph_objects")
    figure, axes = plt.subplots(figsize=(2, 1), dpi=50)
    axes.plot([0, 1], [1, 0])
    run = Run(repo=repo)
    run.track(Figure(figure), name="mpl", step=0)
    run.track(Figure(go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))), name="plotly", step=0)
    with pytest.raises(InvalidTypeError, match="Figure takes a plotly or matplotlib figure"):
        Figure([1, 2])
    run.close()
    plt.close(figure)
    stored = tracklog.Api(repo).run(run.hash)
    assert stored.media("mpl")[0].kind == "image"
    assert stored.media("plotly")[0].kind == "html"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Image(np.zeros((2, 2)), format="bmp"), "format must be 'png' or 'jpeg'"),
        (lambda: Distribution(hist=[1, 2]), "either samples, or hist with bin_range"),
        (lambda: Distribution([1.0], hist=[1], bin_range=(0, 1)), "either samples, or hist"),
        (lambda: Distribution([1.0], bin_count=0), "num_bins must be an integer"),
    ],
)
def test_bad_aim_objects_are_refused_naming_the_problem(make: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        make()  # type: ignore[operator]


def test_track_needs_a_name_for_one_value(repo: str) -> None:
    run = Run(repo=repo)
    with pytest.raises(InvalidValueError, match="name is required"):
        run.track(1.0)
    run.close()


def test_repo_lists_and_finds_runs(repo: str) -> None:
    run = Run(repo=repo, experiment="e")
    run.close()
    store = Repo.from_path(repo)
    assert [r.id for r in store.iter_runs()] == [run.hash]
    found = store.get_run(run.hash)
    assert found is not None and found.project == "e"
    assert store.get_run("0" * 32) is None


def _wav_bytes() -> bytes:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 160)
    return out.getvalue()
