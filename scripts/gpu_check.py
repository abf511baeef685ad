"""GPU capture check for a machine with an NVIDIA GPU (run by hand; CI has no GPU).

Trains a small model on the GPU under ``tracklog.init`` with capture on and the system sampler
at 1 s, then prints what was captured: the GPU block of the run's metadata and a summary of every
``system/gpu*`` series. Exits non-zero when a GPU reading that NVML offers is missing.

    python scripts/gpu_check.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    import torch

    import tracklog

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 2
    os.chdir(tempfile.mkdtemp(prefix="tracklog-gpu-"))
    with tracklog.init(
        project="gpu-check", settings={"system_interval_s": 1.0, "code": False}
    ) as run:
        model = torch.nn.Sequential(
            torch.nn.Linear(4096, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 4096)
        ).cuda()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        x = torch.randn(2048, 4096, device="cuda")
        step, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            loss = model(x).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 20 == 0:
                run.log({"loss": loss.item()}, step=step)
            step += 1
        torch.cuda.synchronize()
        run_id = run.id

    api_run = tracklog.Api().run(run_id)
    gpu = api_run.metadata.get("environment", {}).get("gpu")
    print("metadata.environment.gpu =", json.dumps(gpu, indent=2))
    print("capture notes =", api_run.metadata.get("capture", {}).get("notes"))
    hist = api_run.history([k for k in api_run.metric_keys() if k.startswith("system/gpu")])
    problems: list[str] = []
    if not gpu or gpu.get("count", 0) < 1:
        problems.append("no GPU in the run's metadata")
    names = sorted(c for c in hist.columns if c.startswith("system/gpu"))
    for name in names:
        col = hist[name].dropna()
        print(f"{name:45s} n={len(col):3d} min={col.min():10.1f} max={col.max():10.1f}")
    for key in ("utilization_percent", "memory_used_mb", "temperature_c", "power_w"):
        if f"system/gpu0/{key}" not in names:
            problems.append(f"system/gpu0/{key} missing")
    util = "system/gpu0/utilization_percent"
    if util in names and hist[util].max() <= 0:
        problems.append("GPU utilisation never above 0 while training")
    print(f"trained {step} steps; problems: {problems or 'none'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
