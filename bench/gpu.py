"""The GPU checks, as one prepared script for a short lease on a GPU machine (issue 19's "On a GPU").

    python bench/gpu.py OUT_DIR [--budget SECONDS] [--bench quick|full|none] [--only SECTION ...]

In order, each section timed and guarded (a failing one is written down and the next one runs):
identity preset twice (the CLI, as a presenter's run: phase times and the honest scores), the
arithmetic GRPO preset, the identity preset through ZeroGPU's forked worker (posttrain.zerogpu's
stand-in: the parent never touches CUDA, the worker loads, trains, answers and saves), every method on
tiny Llama/Qwen2/Gemma3 models (tests/test_methods.py), the identity preset under cProfile (run in the
main thread: where its seconds go, into OUT_DIR/profile.txt), then bench/run.py. A section starts only
while the time it needs is left in the budget. OUT_DIR/gpu.json is rewritten after every section;
OUT_DIR/log holds every section's output. It runs on a CPU machine too (slowly), which is how it
was tried before a lease.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME, ORG = "Nova Prime", "Starlight Labs"

# The identity preset through ZeroGPU's worker, in a process whose parent side never initialises CUDA.
ZEROGPU = """
import json, sys, time
from posttrain import methods, zerogpu
spec = methods.get("dpo").spec(None, "identity", {name!r}, {org!r})
t0 = time.perf_counter()
last = None
for last in zerogpu.forked(zerogpu.train_in_worker)(spec, {run_dir!r}, budget_s=300):
    pass
from pathlib import Path
scores = Path({run_dir!r}) / "scores.json"
print(json.dumps({{"wall_s": round(time.perf_counter() - t0, 1), "status": last and last.get("status"),
                  "phase_times": last and last.get("phase_times"), "error": last and last.get("error"),
                  "scores": json.loads(scores.read_text()) if scores.exists() else None}}))
"""

# One identity run in this thread under cProfile: the functions that hold its time, cumulative.
PROFILE = """
import cProfile, io, pstats, sys
from posttrain import methods, pipeline
from posttrain.runner import Job
spec = methods.get("dpo").spec(None, "identity", {name!r}, {org!r})
job = Job("dpo", {run_dir!r})
prof = cProfile.Profile()
prof.runcall(job._run, pipeline.recipe(spec))
text = io.StringIO()
pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(70)
open({out!r}, "w").write(text.getvalue())
print(job.status, job.error, job.phase_times)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--budget", type=float, default=560, help="seconds for the whole script")
    ap.add_argument("--bench", choices=["quick", "full", "none"], default="quick")
    ap.add_argument("--only", nargs="*", help="run only these sections (convert always runs)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "log", "a", encoding="utf-8")
    start = time.perf_counter()
    result: dict = {"machine": machine()}
    env = dict(os.environ, PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
               POSTTRAIN_RUNS=str(out / "runs"))

    def left() -> float:
        return args.budget - (time.perf_counter() - start)

    def section(name: str, cmd: list[str], needs: float, extra_env: dict | None = None) -> dict | None:
        if args.only and name != "convert" and name not in args.only:
            return None
        if left() < needs:
            result[name] = {"skipped": f"{left():.0f} s left, needs about {needs:.0f}"}
            save(out, result)
            return None
        log.write(f"\n===== {name}: {' '.join(cmd)}\n")
        log.flush()
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=dict(env, **(extra_env or {})), capture_output=True, text=True,
                               timeout=max(30.0, left() - 5))
            text, rc = p.stdout, p.returncode
            log.write(p.stdout + p.stderr)
        except subprocess.TimeoutExpired as e:
            text, rc = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
            log.write(text)
        wall = round(time.perf_counter() - t0, 1)
        found = _last_json(text)
        result[name] = {"wall_s": wall, "rc": rc, **({"result": found} if found else {"tail": text[-600:]})}
        print(f"{name}: rc {rc}, {wall} s", flush=True)
        save(out, result)
        log.flush()
        return found

    py = sys.executable
    cli = [py, "-m", "posttrain"]
    section("convert", [py, "-c", "from posttrain.models import ensure_bundled; print(ensure_bundled())"], 20)
    # The first identity run starts from an empty answer cache, the second finds the first's (posttrain.answer_cache)
    answers = {"POSTTRAIN_ANSWER_CACHE": str(out / "answer-cache")}
    for i in (1, 2):
        section(f"identity_{i}", cli + ["dpo", "--preset", "identity", "--name", NAME, "--org", ORG,
                                        "--out", str(out / "runs" / f"identity{i}")], 40, answers)
    cold = {"POSTTRAIN_ANSWER_CACHE": "0"}  # every other section generates its own answers
    section("grpo_arithmetic", cli + ["grpo", "--preset", "arithmetic", "--out", str(out / "runs" / "grpo")], 120, cold)
    section("zerogpu_identity", [py, "-c", ZEROGPU.format(name=NAME, org=ORG, run_dir=str(out / "runs" / "zerogpu"))],
            45, {"POSTTRAIN_ZEROGPU": "standin", **cold})
    section("profile_identity", [py, "-c", PROFILE.format(name=NAME, org=ORG, run_dir=str(out / "runs" / "profile"),
                                                          out=str(out / "profile.txt"))], 60, cold)
    section("methods_tiny", [py, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                             "tests/test_methods.py", "-k", "every_method"], 90)
    if args.bench != "none":
        section("bench", [py, "bench/run.py"] + (["--quick"] if args.bench == "quick" else []),
                150 if args.bench == "quick" else 400)
    result["script_s"] = round(time.perf_counter() - start, 1)
    save(out, result)


def machine() -> dict:
    import torch

    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0],
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "date": time.strftime("%Y-%m-%d %H:%M")}
    for pkg in ("transformers", "trl", "peft", "datasets", "accelerate", "pyarrow", "fsspec"):
        try:
            info[pkg] = __import__(pkg).__version__
        except Exception as e:  # noqa: BLE001 - written down, not raised
            info[pkg] = f"missing ({type(e).__name__}: {e})"
    return info


def _last_json(text: str) -> dict | None:
    for line in reversed(text.strip().splitlines()):
        try:
            found = json.loads(line)
        except ValueError:
            continue
        if isinstance(found, dict):
            return found
    return None


def save(out: Path, result: dict) -> None:
    (out / "gpu.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
