"""``tracklog sweep`` and ``tracklog agent`` in real processes: program mode, a typical W&B sweep
with two agents, failing and malformed commands, hyperband stops, the controls."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store

TRAIN = """
import sys
import tracklog as wandb

run = wandb.init(config={"epochs": 4})
cfg = wandb.config
if cfg.optimizer == "sgd" and cfg.batch_size == 64 and "--fail" in sys.argv:
    sys.exit(2)
for epoch in range(cfg.epochs):
    penalty = 0.1 if cfg.optimizer == "adam" else 0.2
    wandb.log({"val_loss": (cfg.learning_rate - 0.05) ** 2 + penalty / (epoch + 1)})
wandb.finish()
"""

SWEEP_YAML = """
program: train.py
method: bayes
run_cap: 8
metric:
  name: val_loss
  goal: minimize
parameters:
  learning_rate:
    distribution: uniform
    min: 0.001
    max: 0.1
  batch_size:
    values: [16, 32, 64]
  optimizer:
    values: [adam, sgd]
early_terminate:
  type: hyperband
  min_iter: 2
  eta: 2
"""


def _tracklog(
    args: list[str], cwd: Path, env: dict[str, str], **kw: object
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from tracklog.cli.main import main; main()", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


def _done(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()  # its trial's process ends with it: the store sees its pid gone
        raise
    return proc.returncode, out, err


def _create(folder: Path, yaml_text: str, env: dict[str, str], *extra: str) -> str:
    (folder / "sweep.yaml").write_text(yaml_text)
    code, out, err = _done(_tracklog(["sweep", "sweep.yaml", *extra], folder, env))
    assert code == 0, err
    match = re.search(r"Run agents with: tracklog agent (\w+)", out)
    assert match is not None, out
    return match.group(1)


@pytest.fixture
def env(store_uri: str, child_env: dict[str, str]) -> dict[str, str]:
    return {
        **child_env,
        "TRACKLOG_URI": store_uri,
        "TRACKLOG_SWEEP_HEARTBEAT_S": "0.2",
        "TRACKLOG_CAPTURE": "0",
    }


def _trials(uri: str, sweep_id: str) -> list:
    store = Store(uri)
    try:
        return SweepStore(store).trials(sweep_id)
    finally:
        store.close()


@pytest.mark.slow
def test_typical_wandb_sweep_with_two_agents(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    sweep_id = _create(tmp_path, SWEEP_YAML, env, "--project", "typical")
    agents = [_tracklog(["agent", sweep_id], tmp_path, env) for _ in range(2)]
    for agent in agents:
        code, _, err = _done(agent)
        assert code == 0, err
    trials = _trials(store_uri, sweep_id)
    assert [t.number for t in trials] == list(range(8))  # run_cap exact, none twice
    assert {t.status for t in trials} <= {"FINISHED", "STOPPED"}
    finished = [t for t in trials if t.status == "FINISHED"]
    assert finished and all(t.metric is not None for t in finished)
    store = Store(store_uri)
    try:
        for t in trials:
            run = store.get_run(t.run_id)
            assert run.project == "typical" and run.tags["sweep_id"] == sweep_id
            assert run.config["learning_rate"] == t.params["learning_rate"]
            assert run.config["epochs"] == 4
    finally:
        store.close()


def test_a_failing_command_fails_its_trial_and_keeps_its_stderr(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    (tmp_path / "train.py").write_text(
        "import sys\nimport tracklog\nrun = tracklog.init()\n"
        "if run.config['x'] == 2:\n    print('boom: x is 2', file=sys.stderr)\n    sys.exit(3)\n"
        "run.log({'loss': run.config['x']})\n"
    )
    sweep_id = _create(
        tmp_path,
        "program: train.py\nmethod: grid\nmetric: {name: loss}\n"
        "parameters:\n  x:\n    values: [1, 2, 3]\n",
        env,
    )
    code, _, err = _done(_tracklog(["agent", sweep_id], tmp_path, env))
    assert code == 0, err
    assert "boom: x is 2" in err  # the trial's stderr is shown, too
    trials = _trials(store_uri, sweep_id)
    assert [t.status for t in trials] == ["FINISHED", "FAILED", "FINISHED"]
    assert "exit code 3" in (trials[1].error or "") and "boom: x is 2" in (trials[1].error or "")
    assert [t.metric for t in trials] == [1.0, None, 3.0]


def test_a_malformed_command_fails_each_trial_not_the_agent(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    sweep_id = _create(
        tmp_path,
        "method: grid\ncommand: [no-such-program-here, '${args}']\n"
        "parameters:\n  x:\n    values: [1, 2]\n",
        env,
    )
    code, _, err = _done(_tracklog(["agent", sweep_id, "--count", "1"], tmp_path, env))
    assert code == 0, err
    (trial,) = _trials(store_uri, sweep_id)
    assert trial.status == "FAILED" and "cannot start 'no-such-program-here'" in (trial.error or "")


def test_hyperband_stops_a_trial_that_falls_behind(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    # x = 1 and 2 finish; x = 3 is worse at the bracket and logs for 100 s unless stopped.
    (tmp_path / "train.py").write_text(
        "import time\nimport tracklog\nrun = tracklog.init()\nx = run.config['x']\n"
        "for step in range(3):\n    run.log({'loss': x})\n"
        "for step in range(2000 if x == 3 else 0):\n    run.log({'loss': x})\n"
        "    time.sleep(0.05)\n"
    )
    sweep_id = _create(
        tmp_path,
        "program: train.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\n"
        "parameters:\n  x:\n    values: [1, 2, 3]\n"
        "early_terminate: {type: hyperband, min_iter: 1, eta: 2, strict: true}\n",
        env,
    )
    code, _, err = _done(_tracklog(["agent", sweep_id], tmp_path, env))
    assert code == 0, err
    trials = _trials(store_uri, sweep_id)
    assert [t.status for t in trials] == ["FINISHED", "FINISHED", "STOPPED"]
    assert (trials[2].error or "").startswith("hyperband: behind at iteration")
    store = Store(store_uri)
    try:
        assert store.get_run(trials[2].run_id).tags["sweep_stop_reason"] == trials[2].error
    finally:
        store.close()


def test_sweep_controls_and_bad_input_on_the_command_line(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    (tmp_path / "train.py").write_text("import tracklog\ntracklog.init()\n")
    sweep_id = _create(
        tmp_path, "program: train.py\nmethod: grid\nparameters:\n  x:\n    values: [1, 2]\n", env
    )
    for flag, status in (
        ("--pause", "PAUSED"),
        ("--resume", "RUNNING"),
        ("--stop", "FINISHED"),
        ("--cancel", "CANCELED"),
    ):
        code, out, err = _done(_tracklog(["sweep", flag, sweep_id], tmp_path, env))
        assert code == 0, err
        assert out.strip() == f"sweep {sweep_id}: {status}"
    code, _, err = _done(_tracklog(["agent", sweep_id], tmp_path, env))
    assert code == 0 and _trials(store_uri, sweep_id) == []  # a canceled sweep runs nothing
    code, _, err = _done(_tracklog(["sweep", "--resume", sweep_id], tmp_path, env))
    assert code == 1 and "cannot resume" in err
    code, _, err = _done(_tracklog(["sweep", "--pause", "nosuchid"], tmp_path, env))
    assert code == 1 and "no sweep with id 'nosuchid'" in err
    (tmp_path / "bad.yaml").write_text("method: grid\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
    code, _, err = _done(_tracklog(["sweep", "bad.yaml"], tmp_path, env))
    assert code == 1 and "parameters.lr.distribution" in err
    (tmp_path / "noprog.yaml").write_text("method: grid\nparameters:\n  x: {value: 1}\n")
    code, _, err = _done(_tracklog(["sweep", "noprog.yaml"], tmp_path, env))
    assert code == 1 and "program:" in err
    code, _, err = _done(_tracklog(["agent", sweep_id, "--count", "0"], tmp_path, env))
    assert code == 2 and "--count" in err


@pytest.mark.slow
def test_four_agents_on_one_grid_of_100_with_one_killed(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    (tmp_path / "train.py").write_text("print('trial')\n")  # no run: the trials alone count
    sweep_id = _create(
        tmp_path,
        "program: train.py\nmethod: grid\nparameters:\n"
        "  a: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\n  b: {min: 0, max: 9}\n",
        env,
    )
    agents = [_tracklog(["agent", sweep_id], tmp_path, env) for _ in range(4)]
    victim = agents[0]
    assert victim.stdout is not None
    victim.stdout.readline()  # its first trial ran
    victim.kill()
    victim.wait()
    for agent in agents[1:]:
        code, _, err = _done(agent)
        assert code == 0, err
    trials = _trials(store_uri, sweep_id)
    assert len(trials) == 100
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 100
    assert Counter(t.status for t in trials) == Counter({"FINISHED": 100})


def test_gpu_slots_run_one_trial_per_device_at_once(
    tmp_path: Path, env: dict[str, str], store_uri: str
) -> None:
    # Each trial marks its device, then waits for a trial on the other device to have
    # started: every trial finishes only if the two slots run side by side.
    (tmp_path / "train.py").write_text(
        "import os, sys, time\nfrom pathlib import Path\n"
        "device = os.environ['CUDA_VISIBLE_DEVICES']\n"
        "Path(f'started-{device}').touch()\n"
        "other = Path('started-1' if device == '0' else 'started-0')\n"
        "for _ in range(1200):\n    if other.exists():\n        sys.exit(0)\n"
        "    time.sleep(0.05)\nsys.exit(1)\n"
    )
    sweep_id = _create(
        tmp_path, "program: train.py\nmethod: grid\nparameters:\n  x: {min: 1, max: 4}\n", env
    )
    code, _, err = _done(_tracklog(["agent", sweep_id, "--gpus", "0,1"], tmp_path, env))
    assert code == 0, err
    assert "agent ran 4 trial(s)" in err
    assert [t.status for t in _trials(store_uri, sweep_id)] == ["FINISHED"] * 4
    for bad in ("0,,1", "0,0"):
        code, _, err = _done(_tracklog(["agent", sweep_id, "--gpus", bad], tmp_path, env))
        assert code == 2 and "--gpus" in err
