"""A training process for the UI tests, logging to the server named by ``TRACKLOG_URI``.

``seed``: finished runs in projects "vision" and "nlp", one with an image and a CSV file, and
in "aim", whose metrics are logged in train and val contexts, in "ops" with system metrics, and
in "results", whose runs declare a summary (define_metric, a value set by hand) and log a
constant series and a single point, and in "media" two runs with images (masks, boxes), audio,
video, HTML, text, histograms, a table and plots, and one whose logged HTML (and an HTML
file) tries to reach the UI.
``live RUN_NAME STOP_FILE``: a running run that logs a step every 0.1 s until STOP_FILE exists.
"""

from __future__ import annotations

import math
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import tracklog

QUIET = {"enabled": False}  # no capture: the tests look at what they log themselves


def png(width: int, height: int) -> bytes:
    """A real PNG of a red-to-blue gradient."""
    pixels = (bytes((255 * x // width, 60, 255 - 255 * x // width)) for x in range(width))
    rows = (b"\x00" + b"".join(pixels)) * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sampled(interval_s: float) -> dict[str, object]:
    """Settings for a run with system metrics (the SDK's own sampler) and no other capture
    (on even where the tests' TRACKLOG_CAPTURE=0 is set: settings passed to init() win)."""
    off = dict.fromkeys(("environment", "git", "packages", "console"), False)
    return {**off, "enabled": True, "system_interval_s": interval_s}


def seed(workdir: Path) -> None:
    configs = [
        ("resnet-a", {"lr": 0.1, "model": "resnet", "optimizer": {"name": "sgd"}}),
        ("resnet-b", {"lr": 0.01, "model": "resnet", "optimizer": {"name": "adam"}}),
        ("vit-c", {"lr": 0.001, "model": "vit", "optimizer": {"name": "adam"}}),
    ]
    for i, (name, config) in enumerate(configs):
        with tracklog.init(project="vision", name=name, config=config, settings=QUIET) as run:
            for step in range(200):
                loss = math.exp(-step * config["lr"] * 0.5) + 0.05 * i
                run.log({"loss": loss, "acc": 1 - loss / 2}, step=step)
            run.set_tag("owner", "ada")
            if i == 0:
                (workdir / "sample.png").write_bytes(png(48, 32))
                (workdir / "preds.csv").write_text('label,score\ncat,0.9\n"dog, big",0.7\n')
                (workdir / "NOTES.md").write_text(
                    "# Findings\n\nThe **lr** sweep [log](javascript:alert(1)).\n"
                    '<img src=x onerror="window.pwned=1">\n\n- one\n- two\n'
                )
                for name in ("sample.png", "preds.csv", "NOTES.md"):
                    run.log_artifact(workdir / name)
    with tracklog.init(project="nlp", name="bert", config={"lr": 2e-5}, settings=QUIET) as run:
        run.log({"loss": 1.0}, step=0)
    for name in ("aim-a", "aim-b"):  # Aim-style series: one metric in several contexts
        with tracklog.init(project="aim", name=name, settings=QUIET) as run:
            for step in range(50):
                run.track(1 / (step + 1), "loss", step=step, context={"subset": "train"})
                run.track(1.2 / (step + 1), "loss", step=step, context={"subset": "val"})
                run.track(step / 50, "acc", step=step, context={"subset": "val"})
                run.log({"lr": 0.1}, step=step)
    for name, lr in (("results-a", 1e-4), ("results-b", 3e-4)):
        config = {"lr": lr, "epochs": 4, "model": "mlp"}  # only lr varies
        with tracklog.init(project="results", name=name, config=config, settings=QUIET) as run:
            run.define_metric("val_loss", summary="min")
            for step, val_loss in enumerate((1.0, 0.5, 0.2, 0.3)):
                run.log({"val_loss": val_loss, "lr": lr}, step=step)  # lr: a constant series
            run.log({"test_acc": 0.91}, step=3)  # one point
            run.summary["best_val_acc"] = 0.93
    with tracklog.init(project="ops", name="sampled", settings=sampled(0.1)) as run:
        for step in range(12):
            run.log({"loss": 1 / (step + 1)}, step=step)
            time.sleep(0.05)
    seed_media(workdir)


# A logged page's script that tries to reach the UI: it reports what it could read.
PROBE = """<h1 id="probe">probe</h1><script>
const got = {};
try { got.cookie = parent.document.cookie; } catch (e) { got.cookie = "blocked"; }
try { parent.window.pwned = 1; got.marker = "set"; } catch (e) { got.marker = "blocked"; }
try { got.own = document.cookie; } catch (e) { got.own = "blocked"; }
// A simple POST (no preflight), which MLflow's route would take: it must not be sent at all.
const made = fetch("/api/2.0/mlflow/experiments/create?name=made-by-logged-html",
  {method: "POST", mode: "no-cors", credentials: "include"})
  .then(() => { got.post = "sent"; }).catch(() => { got.post = "blocked"; });
fetch("/api/v1/projects", {credentials: "include"})
  .then((r) => r.text()).then((t) => { got.api = t; })
  .catch(() => { got.api = "blocked"; })
  .then(() => made).finally(() => parent.postMessage({probe: got}, "*"));
</script>"""


def log_tables(run: tracklog.Run, rng: Any) -> None:
    """A table of 120 predictions with image cells, and plots of them."""
    import numpy as np

    labels = ["cat", "dog", "bird"]
    truth = np.arange(120) % 3
    probas = rng.dirichlet([1, 1, 1], 120)
    probas[np.arange(120), truth] += 0.5
    probas /= probas.sum(axis=1, keepdims=True)
    table = tracklog.Table(columns=["id", "label", "score", "image"])
    for i in range(120):
        pixels = np.full((8, 8, 3), (i % 3) * 100, dtype=np.uint8)
        table.add_data(
            i,
            labels[truth[i]],
            round(float(probas[i].max()), 3),
            tracklog.Image(pixels, caption=f"sample {i}"),
        )
    run.log({"predictions": table})
    curve = tracklog.Table(columns=["epoch", "loss", "split"])
    for epoch in range(5):
        curve.add_data(epoch, 1 / (epoch + 1), "train")
        curve.add_data(epoch, 1.2 / (epoch + 1), "val")
    run.log(
        {
            "confusion": tracklog.plot.confusion_matrix(
                y_true=truth, preds=probas.argmax(1), class_names=labels
            ),
            "roc": tracklog.plot.roc_curve(truth, probas, labels=labels),
            "loss-curve": tracklog.plot.line(curve, "epoch", "loss", stroke="split", title="Loss"),
        }
    )


def seed_media(workdir: Path) -> None:
    import numpy as np

    labels = {0: "background", 1: "cat", 2: "dog"}
    rng = np.random.default_rng(0)
    for r, name in enumerate(("media-a", "media-b")):
        with tracklog.init(project="media", name=name, settings=QUIET) as run:
            for step in range(3):
                image = np.full((60, 90, 3), 40 * step + 60 * r, dtype=np.uint8)
                mask = np.zeros((60, 90), dtype=np.uint8)
                mask[10:40, 10 + 10 * step : 50 + 10 * step] = 1
                mask[45:58, 60:88] = 2
                box = {"minX": 0.1, "maxX": 0.5 + 0.1 * step, "minY": 0.1, "maxY": 0.7}
                boxes = [{"position": box, "class_id": 1, "box_caption": f"cat {step}"}]
                t = np.linspace(0, 0.2, 1600, dtype=np.float32)
                frames = np.zeros((4, 3, 16, 16), dtype=np.uint8)
                frames[np.arange(4), 0, :, np.arange(4) * 4] = 255
                run.log(
                    {
                        "segmentation": tracklog.Image(
                            image,
                            caption=f"{name} step {step}",
                            masks={"truth": {"mask_data": mask, "class_labels": labels}},
                            boxes={"pred": {"box_data": boxes, "class_labels": labels}},
                        ),
                        "tone": tracklog.Audio(np.sin(2 * np.pi * 440 * t), sample_rate=8000),
                        "rollout": tracklog.Video(frames, fps=4),
                        "sample": f"<b>not bold</b> {name} at step {step}",
                        "weights": tracklog.Histogram(rng.normal(step, 1 + r, 2000)),
                    },
                    step=step,
                )
            run.log({"report": tracklog.Html(f"<h2>Report of {name}</h2><p>all good</p>")})
            log_tables(run, rng)
    with tracklog.init(project="media", name="html-probe", settings=QUIET) as run:
        run.log({"report": tracklog.Html(PROBE)})
        (workdir / "probe.html").write_text(PROBE)
        run.log_artifact(workdir / "probe.html")


def live(name: str, stop: Path) -> None:
    # The first system sample comes 3 s in: after the test has opened the run's page.
    with tracklog.init(project="live", name=name, settings=sampled(3)) as run:
        step = 0
        while not stop.exists():
            late = {"late": step} if step >= 30 else {}  # a metric that starts mid-run
            run.log({"loss": 1 / (step + 1), **late}, step=step)
            step += 1
            time.sleep(0.1)


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(Path.cwd())
    else:
        live(sys.argv[2], Path(sys.argv[3]))
