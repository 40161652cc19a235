"""posttrain's speed benchmarks, measured side by side in one run; the last line printed is one JSON object.

    .venv/bin/python bench/run.py            # everything (about 20 minutes on 2 CPU cores)
    .venv/bin/python bench/run.py --quick    # a reduced version (under 5 minutes on 2 CPU cores)

Keys of the JSON line:
- identity_train_s, identity_total_s (load + data + before + train + after + save), name, organisation,
  leak, unchanged: the identity preset on the bundled model through the same job the app and CLI run;
  demo_over_train = identity_total_s ÷ identity_train_s (what a room waits for beyond the learning itself),
  from an empty answer cache; identity_cached_total_s: a second run on the same machine (not in --quick),
  whose untrained-model answers come from posttrain.answer_cache;
- gen_flops_ratio: batched greedy generation's FLOP/s (the identity preset's own-answer pass: its
  questions, 40 new tokens, FLOPs counted by FlopCounterMode over one identical pass, padding included)
  ÷ the matmul peak measured beside it; gen_s, gen_gflops beside it;
- matmul_gflops_min / _median / _max: every matmul peak this run measured (the ratios divide by the max);
- engine_over_trl: time of the engine's DPO job (`jobs.run_dpo` with its callback, metrics log and
  probes off) ÷ a plain TRL script doing the identical job (same model, pairs, DPOConfig, LoRA,
  threads, and the same CPU levers: posttrain.cpu and the CPU log-prob head), alternating, several
  repeats, median of each; trl_stock_over_engine: the same TRL script as a user would write it
  (fp32 weights under autocast, SDPA, TRL's CPU log-prob head over every position) ÷ engine;
- flops_ratio: training FLOP/s achieved by that DPO job (FLOPs counted by torch's FlopCounterMode
  over one identical job) ÷ this machine's dense matmul FLOP/s at the same dtype and threads, the
  highest of the measurements taken before each repeat (matmul_gflops; the lowest beside it);
- compare_speedup: one-question-at-a-time generation ÷ batched generation for the Compare questions;
- peak_rss_mb: peak resident memory of a fresh process that loads the model and runs the engine's DPO
  job (rss_after_load_mb and model_mb beside it: the reference model is never a second copy);
- grpo_step_s and grpo_generation_share: the arithmetic preset's seconds per step, and the share of
  training time spent generating completions, from the base model (the preset's cold start is left out:
  the cold-started model's answers are short, 20–30 tokens, and its steps cheaper; issue 19's figure is kept
  comparable with its earlier runs); not in --quick, the preset as it ships (cold start, then RL, through the
  same job the app and CLI run): grpo_preset_total_s, grpo_preset_phase_s, grpo_preset_generation_share (seconds in
  GRPO's sampling ÷ the RL trainer's runtime, its probes included) and its scores (correct, boxed, facts kept);
- watch_overhead: what the identity flip curve and DPO's token rewards (posttrain.watch, every step) add to
  a DPO step, as a fraction (0.05 = 5 %), with the seconds per step with and without; watch_every5_overhead
  the same every 5th step; watch_share the seconds spent inside the watch ÷ the rest of the step, timed within
  the same runs (steadier than the difference of two runs); watch_step_share the median seconds of one scoring
  ÷ the median seconds of one step without it, the first scoring of each run left out (it also scores the
  reference, once per run); watch_preset_share the same in the identity preset itself (the gated edit, 4 pairs a
  step, probes off), watch_preset_s and preset_step_s beside it (`--only watch` runs these alone).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from posttrain import banks, methods, pipeline  # noqa: E402
from posttrain.config import with_overrides  # noqa: E402
from posttrain.methods.gated import IDENTITY_LORA  # noqa: E402
from posttrain.models import configure_threads, generate_answers, load_model  # noqa: E402
from posttrain.evaluation import COMPARE_TOKENS  # noqa: E402
from posttrain.methods.base import identity_pairs  # noqa: E402
from posttrain.spec import IdentitySpec  # noqa: E402


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def matmul_flops(dtype: torch.dtype, n: int, repeats: int = 5) -> float:
    """Best-of dense n×n matmul FLOP/s at the current thread count (bf16 through autocast, as training uses it);
    on a GPU, bf16 n×n products timed between synchronisations."""
    if torch.cuda.is_available():
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        best = float("inf")
        for _ in range(repeats + 1):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(10):
                a @ b
            torch.cuda.synchronize()
            best = min(best, (time.perf_counter() - t0) / 10)
        return 2 * n**3 / best
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
            (a @ b).sum().item()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


class Peaks:
    """The machine's matmul FLOP/s, measured whenever asked and every value kept (its speed drifts in a run)."""

    def __init__(self, dtype: torch.dtype, n: int):
        self.dtype, self.n, self.seen = dtype, n, []

    def __call__(self) -> float:
        self.seen.append(matmul_flops(self.dtype, self.n))
        return self.seen[-1]

    def summary(self) -> dict:
        g = [x / 1e9 for x in self.seen]
        return {"matmul_gflops": round(max(g), 1), "matmul_gflops_min": round(min(g), 1),
                "matmul_gflops_median": round(statistics.median(g), 1), "matmul_gflops_max": round(max(g), 1),
                "matmul_measurements": len(g)}


def _rss_mb() -> float:
    return next(int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmRSS:"))


def dpo_memory(rows: list[dict], settings) -> dict:
    """Peak resident memory of the engine's DPO job, measured in a fresh process that does only that."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.json"
        data.write_text(json.dumps(rows))
        out = subprocess.run([sys.executable, __file__, "--dpo-memory", str(data), str(settings.max_steps)],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def _dpo_memory_child(rows_file: str, steps: int) -> None:
    rows = json.loads(Path(rows_file).read_text())
    lm = load_model(None)
    loaded = _rss_mb()
    settings = with_overrides(IDENTITY_LORA, {"max_steps": steps, "probe_every": 0})
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(sys.stderr):
        _engine_dpo(lm.model, lm.tokenizer, rows, settings, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = {"gpu_peak_mb": round(torch.cuda.max_memory_allocated() / 2**20)} if torch.cuda.is_available() else {}
    print(json.dumps({"peak_rss_mb": round(peak), "rss_after_load_mb": round(loaded),
                      "model_mb": round(lm.memory_mb), **gpu}))


# ---------------------------------------------------------------------------------- identity preset

def identity_preset(quick: bool) -> dict:
    from posttrain.runner import start_job

    overrides = {"max_steps": 6} if quick else {}
    req = methods.get("dpo").spec(None, "identity", "Nova Prime", "Starlight Labs", overrides=overrides)
    if quick:
        req.identity.n_identity = req.identity.n_control = 12
        req.compare_questions = list(banks.EVAL_IDENTITY_QUESTIONS[:8]) + list(banks.EVAL_UNRELATED_QUESTIONS[:8])
        req.compare_kinds = ["identity"] * 8 + ["unrelated"] * 8
    # The first run starts from an empty answer cache (posttrain.answer_cache), as on a fresh machine; unless quick,
    # a second run on the same machine is timed too: the untrained model's answers come from the cache.
    cache = Path(tempfile.mkdtemp())
    os.environ["POSTTRAIN_ANSWER_CACHE"] = str(cache)
    runs = []
    for _ in range(1 if quick else 2):
        out = Path(tempfile.mkdtemp()) / "identity"
        t0 = time.perf_counter()
        job = start_job(req.method, out, pipeline.recipe(req))
        job.wait()
        assert job.status == "done", job.error
        runs.append((time.perf_counter() - t0, job))
    os.environ["POSTTRAIN_ANSWER_CACHE"] = "0"  # the later sections generate their own answers
    (total, job), cached = runs[0], runs[1:]
    s = job.result["scores"]
    times = job.snapshot()["phase_times"]
    say(f"identity preset: {times}, scores {s}")
    if cached:
        second, again = cached[0]
        say(f"identity preset, answers cached: {again.snapshot()['phase_times']}, scores {again.result['scores']}")
        result = {"identity_cached_total_s": round(second, 1), "identity_cached_phase_s": again.snapshot()["phase_times"],
                  "identity_cached_name": again.result["scores"]["name_after"],
                  "identity_cached_organisation": again.result["scores"]["organisation_after"]}
    else:
        result = {}
    return {**result, "identity_train_s": times["train"], "identity_total_s": round(total, 1), "identity_phase_s": times,
            "demo_over_train": round(total / times["train"], 2), "name_before": s["name_before"],
            "degenerate_before": s["degenerate_before"], "degenerate_after": s["degenerate_after"],
            "facts_kept": s["facts_kept"],
            "name": s["name_after"], "organisation": s["organisation_after"], "leak": s["leak"],
            "leak_before": s.get("leak_before"), "facts_before": s.get("facts_before"), "facts_after": s.get("facts_after"),
            "unchanged": s["unchanged"]}


# ---------------------------------------------------------------------------------- engine vs plain TRL

def _plain_trl_dpo(model, tok, rows, settings, out, levers: bool = True) -> None:
    """What a user would write with TRL alone for the same job: DPOConfig + DPOTrainer + train + merge.

    With `levers` it runs the identical computation the engine runs (posttrain.cpu.cpu_training, whose
    levers include the CPU log-prob head), so the ratio measures the engine's own overhead.
    """
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer

    from posttrain import cpu

    data = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])
    device = next(model.parameters()).device.type
    args = DPOConfig(**settings.trl_kwargs(out, device, _bf16() if device == "cpu" else cpu.bf16_autocast(model)))
    lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    job = cpu.cpu_training(model, lora=True, max_length=settings.max_length) if levers else contextlib.nullcontext()
    with job as job_levers:
        trainer = DPOTrainer(model=model, args=args, train_dataset=data, processing_class=tok, peft_config=lora)
        if levers:
            job_levers.trainer_ready(trainer.model)
        trainer.train()
    trainer.model.merge_and_unload()


def _bf16() -> bool:
    from posttrain import switches
    from posttrain.cpu import cpu_bf16_supported

    return switches.cpu_bf16() and cpu_bf16_supported()


def _engine_dpo(model, tok, rows, settings, out) -> None:
    from posttrain.jobs import run_dpo
    from posttrain.metrics import MetricsLog, Progress, TrainingCallback

    log = MetricsLog(Path(out) / "metrics.jsonl")
    run_dpo(model, tok, rows, settings, out, [TrainingCallback(log, Progress(), threading.Event())])


def count_flops(job: Callable, model, tok, rows, settings) -> int | str:
    """FLOPs of `job(model, tok, rows, settings, out_dir)` by torch's FlopCounterMode, or why they could not be
    counted (on a GPU, torch 2.11's counter refused TRL's chunked log-prob kernel: `addmm(..., out_dtype=)`)."""
    from torch.utils.flop_counter import FlopCounterMode

    try:
        with tempfile.TemporaryDirectory() as out, FlopCounterMode(display=False) as counter:
            job(model, tok, rows, settings, out)
    except Exception as e:  # noqa: BLE001 - the timings stand without the count; the reason is kept
        return f"not counted: {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
    return counter.get_total_flops()


def engine_vs_trl(rows: list[dict], quick: bool, peak: Peaks) -> dict:
    settings = with_overrides(IDENTITY_LORA, {"max_steps": 3 if quick else 8, "probe_every": 0})
    # This machine's speed drifts by up to 1.7x: five alternating repeats, medians. Stock TRL (more than
    # twice as slow, only for the record) runs in the first two.
    repeats = 2 if quick else 5
    variants = [("engine", _engine_dpo), ("trl", _plain_trl_dpo)]
    if not quick:
        variants.append(("trl_stock", functools.partial(_plain_trl_dpo, levers=False)))
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    lm = load_model(None)  # warm-up (first-call costs of oneDNN kernels, imports), not timed
    with tempfile.TemporaryDirectory() as out:
        _engine_dpo(lm.model, lm.tokenizer, rows[:8], with_overrides(settings, {"max_steps": 1}), out)
    # The machine's speed drifts: the matmul peak is measured again before each repeat, beside the jobs,
    # and the highest of all is the one the ratio divides by.
    for r in range(repeats):
        peak()
        for name, fn in variants if r % 2 == 0 else variants[::-1]:  # alternate the order
            if name == "trl_stock" and r >= 2:
                continue
            lm = load_model(None)
            with tempfile.TemporaryDirectory() as out:
                t0 = time.perf_counter()
                fn(lm.model, lm.tokenizer, rows, settings, out)
                times[name].append(time.perf_counter() - t0)
            say(f"  {name}: {times[name][-1]:.1f} s")
            del lm
    med = {k: statistics.median(v) for k, v in times.items()}

    lm = load_model(None)  # FLOPs of the identical job, counted once (the counter slows it; not timed)
    flops = count_flops(_plain_trl_dpo, lm.model, lm.tokenizer, rows, settings)
    out = {"engine_over_trl": round(med["engine"] / med["trl"], 3), "dpo_engine_s": round(med["engine"], 1),
           "dpo_trl_s": round(med["trl"], 1), "dpo_steps": settings.max_steps, "dpo_repeats": repeats,
           **dpo_memory(rows, settings)}
    if isinstance(flops, str):
        out["dpo_flops_note"] = flops
    else:
        out["dpo_flops"] = flops
        out.update(flops_ratio=round(flops / med["engine"] / max(peak.seen), 3),
                   achieved_gflops=round(flops / med["engine"] / 1e9, 1))
    if "trl_stock" in med:
        out["trl_stock_over_engine"] = round(med["trl_stock"] / med["engine"], 2)
        out["dpo_trl_stock_s"] = round(med["trl_stock"], 1)
    return out


@contextlib.contextmanager
def time_spent_in(cls, name: str):
    """Time every call of the method `cls.name` until leaving: yields a one-item list of the seconds spent in it
    (the caller may reset it); the method is the class's own again afterwards."""
    original, spent = getattr(cls, name), [0.0]

    def timed(self, *a, **k):
        t0 = time.perf_counter()
        try:
            return original(self, *a, **k)
        finally:
            spent[0] += time.perf_counter() - t0

    setattr(cls, name, timed)
    try:
        yield spent
    finally:
        setattr(cls, name, original)


# ---------------------------------------------------------------------------------- the flip curve's cost

def watch_overhead(rows: list[dict], quick: bool) -> dict:
    """Seconds per DPO step (the identity LoRA settings) with and without posttrain.watch's flip curve and
    token rewards, every step and every 5th ($POSTTRAIN_WATCH_EVERY=5), alternating, medians of the repeats:
    watch_overhead = with ÷ without − 1. Runs alike differ by ±10 % on this machine, as much as the curve
    costs, so the seconds spent inside the watch are also timed within each run that has it every step:
    watch_share = those seconds ÷ the rest of the run's training time (median over the runs)."""
    from posttrain.jobs import run_dpo
    from posttrain.metrics import MetricsLog, Progress, TrainingCallback
    from posttrain.watch import Watch, flip_pairs

    settings = with_overrides(IDENTITY_LORA, {"max_steps": 4 if quick else 8, "probe_every": 0})
    lm = load_model(None)
    flip = flip_pairs(lambda qs: generate_answers(lm.model, lm.tokenizer, qs, max_new_tokens=40),
                      "Nova Prime", "Starlight Labs")
    times: dict[str, list[float]] = {"with": [], "every5": [], "without": []}
    shares = []
    with time_spent_in(Watch, "_record") as inside, watch_per_step() as seen:
        for r in range(1 if quick else 5):  # quick: one of each (the bench stays under 5 minutes on 2 cores)
            for name in list(times) if r % 2 == 0 else list(times)[::-1]:
                lm = load_model(None)
                log = MetricsLog()
                callbacks = [TrainingCallback(log, Progress(), threading.Event())]
                if name != "without":
                    callbacks.insert(0, Watch(lm.tokenizer, flip, flip[:1], settings.beta, log, MetricsLog(),
                                              every=5 if name == "every5" else 1))
                inside[0] = 0.0
                with tempfile.TemporaryDirectory() as out:
                    run_dpo(lm.model, lm.tokenizer, rows, settings, out, callbacks)
                runtime = next(x["train_runtime"] for x in log.rows() if "train_runtime" in x)
                times[name].append(runtime / settings.max_steps)
                if name == "with":
                    shares.append(inside[0] / (runtime - inside[0]))
                say(f"  watch {name}: {times[name][-1]:.2f} s/step" +
                    (f", {inside[0] / settings.max_steps:.2f} s of it in the watch" if name == "with" else ""))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"watch_overhead": round(med["with"] / med["without"] - 1, 3), "watch_step_s": round(med["with"], 2),
            "watch_every5_overhead": round(med["every5"] / med["without"] - 1, 3),
            "watch_share": round(statistics.median(shares), 3),
            "watch_step_share": round(statistics.median(seen["watch"]) / statistics.median(seen["step"]), 3),
            "plain_step_s": round(med["without"], 2), "watch_repeats": len(times["with"])}


@contextlib.contextmanager
def watch_per_step():
    """Time the watch at each step of the jobs run inside: yields a dict whose "watch" is the seconds of each scoring
    after the first (the first also scores the reference and picks the layout, once per run) and "step" the seconds
    between two step ends less the watch's (one optimiser step, and whatever else runs at its end)."""
    from posttrain.watch import Watch

    seen: dict[str, list[float]] = {"watch": [], "step": []}
    last: list[float | None] = [None]
    record, step_end, begin = Watch._record, Watch.on_step_end, Watch.on_train_begin

    def timed_record(self, model, step):
        t0 = time.perf_counter()
        record(self, model, step)
        if step > 0:
            seen["watch"].append(time.perf_counter() - t0)

    def timed_step_end(self, args, state, control, model=None, **kw):
        now = time.perf_counter()
        if last[0] is not None:
            seen["step"].append(now - last[0])
        step_end(self, args, state, control, model=model, **kw)
        last[0] = time.perf_counter()

    def timed_begin(self, *a, **k):
        begin(self, *a, **k)
        last[0] = time.perf_counter()

    Watch._record, Watch.on_step_end, Watch.on_train_begin = timed_record, timed_step_end, timed_begin
    try:
        yield seen
    finally:
        Watch._record, Watch.on_step_end, Watch.on_train_begin = record, step_end, begin


def watch_in_preset(quick: bool) -> dict:
    """The watch's cost per step in the identity preset itself (the gated edit, 4 pairs a step: the demo a room
    watches), probes off: watch_preset_share = median seconds of a scoring ÷ median seconds of a step without it."""
    from posttrain.runner import start_job

    req = methods.get("dpo").spec(None, "identity", "Nova Prime", "Starlight Labs",
                                  overrides={"max_steps": 8 if quick else 12, "probe_every": 0})
    req.identity.n_identity = req.identity.n_control = 12
    req.compare_questions = list(banks.EVAL_IDENTITY_QUESTIONS[:4]) + list(banks.EVAL_UNRELATED_QUESTIONS[:4])
    req.compare_kinds = ["identity"] * 4 + ["unrelated"] * 4
    with watch_per_step() as seen:
        job = start_job(req.method, Path(tempfile.mkdtemp()) / "watched", pipeline.recipe(req))
        job.wait()
    assert job.status == "done", job.error
    w, step = statistics.median(seen["watch"]), statistics.median(seen["step"])
    say(f"  watch in the identity preset: {w:.3f} s a scoring, {step:.3f} s a step without it")
    return {"watch_preset_share": round(w / step, 3), "watch_preset_s": round(w, 3), "preset_step_s": round(step, 3)}


# ---------------------------------------------------------------------------------- compare and GRPO

def compare_speedup(quick: bool) -> dict:
    lm = load_model(None)
    questions = list(banks.EVAL_IDENTITY_QUESTIONS) + list(banks.EVAL_UNRELATED_QUESTIONS)
    if quick:
        questions = questions[::4]
    t0 = time.perf_counter()
    one = generate_answers(lm.model, lm.tokenizer, questions, max_new_tokens=COMPARE_TOKENS, batch_size=1)
    seq = time.perf_counter() - t0
    t0 = time.perf_counter()
    batched = generate_answers(lm.model, lm.tokenizer, questions, max_new_tokens=COMPARE_TOKENS)
    bat = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(one, batched)) / len(questions)
    say(f"compare: {len(questions)} questions, sequential {seq:.1f} s, batched {bat:.1f} s, identical {same:.0%}")
    return {"compare_speedup": round(seq / bat, 2), "compare_sequential_s": round(seq, 1),
            "compare_batched_s": round(bat, 1), "compare_questions": len(questions), "compare_identical": round(same, 3)}


def generation_flops(quick: bool, peak: Peaks) -> dict:
    """The identity preset's own-answer pass (its questions, ONPOLICY_TOKENS new tokens) timed after a warm-up,
    its FLOPs counted over an identical pass; the matmul peak measured before and after it."""
    from torch.utils.flop_counter import FlopCounterMode

    from posttrain import identity
    from posttrain.methods.base import ONPOLICY_TOKENS

    lm = load_model(None)
    ident, ctrl = identity.select_identity_questions(12 if quick else 32, 12 if quick else 128, 0)
    questions = ident + ctrl
    generate_answers(lm.model, lm.tokenizer, questions[:8], max_new_tokens=4)  # warm-up, not timed
    peak()
    times = []
    for _ in range(1 if quick else 2):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        generate_answers(lm.model, lm.tokenizer, questions, max_new_tokens=ONPOLICY_TOKENS)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    peak()
    with FlopCounterMode(display=False) as counter:
        generate_answers(lm.model, lm.tokenizer, questions, max_new_tokens=ONPOLICY_TOKENS)
    flops, best = counter.get_total_flops(), min(times)
    say(f"generation: {len(questions)} questions × {ONPOLICY_TOKENS} tokens in {best:.1f} s, "
        f"{flops / best / 1e9:.0f} GFLOP/s")
    return {"gen_flops_ratio": round(flops / best / max(peak.seen), 3), "gen_s": round(best, 2),
            "gen_gflops": round(flops / best / 1e9, 1), "gen_questions": len(questions), "gen_flops": flops}


def grpo_steps(quick: bool) -> dict:
    from trl import GRPOTrainer

    from posttrain.jobs import run_grpo
    from posttrain.metrics import MetricsLog, Progress, TrainingCallback

    steps = 2 if quick else 5
    req = methods.get("grpo").spec(None, "arithmetic", overrides={"max_steps": steps, "probe_every": 0})
    lm = load_model(None)
    log = MetricsLog()
    with time_spent_in(GRPOTrainer, "_generate") as gen_time, tempfile.TemporaryDirectory() as out:
        run_grpo(lm.model, lm.tokenizer, req.rows, req.settings, out,
                 [TrainingCallback(log, Progress(), threading.Event())])
    train_s = next(r["train_runtime"] for r in log.rows() if "train_runtime" in r)
    say(f"grpo: {steps} steps in {train_s:.1f} s, generation {gen_time[0]:.1f} s")
    return {"grpo_step_s": round(train_s / steps, 1), "grpo_generation_share": round(gen_time[0] / train_s, 3),
            "grpo_steps": steps}


def grpo_preset() -> dict:
    """The arithmetic preset as a presenter runs it: its cold start, then RL, then the before/after answers."""
    from trl import GRPOTrainer

    from posttrain.runner import start_job

    req = methods.get("grpo").spec(None, "arithmetic")
    out = Path(tempfile.mkdtemp()) / "arithmetic"
    t0 = time.perf_counter()
    with time_spent_in(GRPOTrainer, "_generate") as gen_time:
        job = start_job(req.method, out, pipeline.recipe(req))
        job.wait()
    total = time.perf_counter() - t0
    assert job.status == "done", job.error
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rl_s = [m["train_runtime"] for m in metrics if "train_runtime" in m][-1]  # the RL trainer's (the cold start's has a prefix)
    s, times = job.result["scores"], job.snapshot()["phase_times"]
    say(f"arithmetic preset: {times}, sampling {gen_time[0]:.1f} s of RL's {rl_s:.1f} s, scores {s}")
    return {"grpo_preset_total_s": round(total, 1), "grpo_preset_phase_s": times,
            "grpo_preset_generation_share": round(gen_time[0] / rl_s, 3),
            "grpo_preset_correct": [s["correct_before"], s["correct_cold"], s["correct_after"]],
            "grpo_preset_boxed_after": s["boxed_after"], "grpo_preset_facts_kept": s["facts_kept"],
            "grpo_preset_alarms": s["alarms"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a reduced run (under 5 minutes on 2 CPU cores)")
    ap.add_argument("--dpo-memory", nargs=2, metavar=("ROWS_JSON", "STEPS"), help=argparse.SUPPRESS)
    ap.add_argument("--only", choices=["watch"], help="run one section alone")
    args = ap.parse_args()
    configure_threads()
    os.environ["POSTTRAIN_ANSWER_CACHE"] = "0"  # every section generates its answers (the identity preset says when not)
    if args.dpo_memory:
        return _dpo_memory_child(args.dpo_memory[0], int(args.dpo_memory[1]))
    t0 = time.perf_counter()
    result = {"quick": args.quick, **machine()}
    dtype = torch.bfloat16 if _bf16() or torch.cuda.is_available() else torch.float32
    peak = Peaks(dtype, 8192 if torch.cuda.is_available() else 1024 if args.quick else 2048)
    peak()
    result.update(matmul_dtype=str(dtype).removeprefix("torch."))
    say(f"machine: {result}")
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON line
        if not args.only:
            result.update(identity_preset(args.quick))
        spec = IdentitySpec("Nova Prime", "Starlight Labs", n_identity=12 if args.quick else 32,
                            n_control=12 if args.quick else 32)
        rows = identity_pairs(load_model(None), spec)
        result.update(watch_overhead(rows, args.quick))
        result.update(watch_in_preset(args.quick))
    if args.only:
        result.update(peak.summary())
        print(json.dumps(result))
        return
    with contextlib.redirect_stdout(sys.stderr):
        result.update(engine_vs_trl(rows, args.quick, peak))
        result.update(compare_speedup(args.quick))
        result.update(generation_flops(args.quick, peak))
        result.update(grpo_steps(args.quick))
        if not args.quick:
            result.update(grpo_preset())
    result.update(peak.summary())
    result["bench_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
