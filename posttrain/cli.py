"""The headless face of the engine: `python -m posttrain sft | dpo | grpo | run | ask`.

One training command per method in the registry (posttrain.methods), with the method's own flags:

    python -m posttrain sft --preset identity --name NAME --org ORG [--model M] [--data D] [--max-steps N] --out DIR
    python -m posttrain dpo --preset identity --name NAME --org ORG [--model M] [--data D] [--max-steps N] --out DIR
    python -m posttrain grpo --preset arithmetic|reward-hacking [--model M] [--data D] [--max-steps N] --out DIR
    python -m posttrain run RUN_DIR/recipe.json --out DIR
    torchrun --standalone --nproc_per_node N -m posttrain run RUN_DIR/recipe.json --out DIR
    python -m posttrain ask --model M --questions FILE [--system TEXT] [--max-new-tokens N] [--full-precision]

Progress and phase times go to stderr; `ask` prints a JSON list to stdout; a training command prints
its summary as JSON, and each alarm of its scores (posttrain.scores: what the figures say went wrong,
reward hacking among them) to stderr as "warning: …". Bad input exits non-zero with one clear line
and no traceback. The training commands run the same background job as the app
and wait for it, so Ctrl-C stops training after the current step and still writes the receipt.
Under a launcher (torchrun, accelerate launch) every process runs the job and trains data-parallel;
rank 0 writes DIR and prints, rank k writes DIR/rank{k}/ (see posttrain.recipe_file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from . import methods, pipeline  # noqa: E402  (after the environment above: they import the HF libraries)
from .config import SettingsError  # noqa: E402
from .data import DataError  # noqa: E402
from .evaluation import COMPARE_TOKENS  # noqa: E402
from .models import ModelError, generate_answers, load_model  # noqa: E402
from .processes import is_rank_dir, process_dir, process_rank, threads_per_process  # noqa: E402
from .recipe_file import read_recipe  # noqa: E402
from .runner import JobBusy, start_job  # noqa: E402
from .runs import read_json  # noqa: E402


class UsageError(ValueError):
    pass


# Flags every training command has: (flag, setting, type, help).
_COMMON_FLAGS = (("--max-steps", "max_steps", int, "optimiser steps (default: the preset's)"),
                 ("--lr", "learning_rate", float, "learning rate (default: the preset's)"),
                 ("--batch-size", "batch_size", int, "sequences per optimiser step (default: the preset's)"),
                 ("--seed", "seed", int, "random seed (default 0)"))


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m posttrain", description="Watch LLM post-training happen (headless).")
    sub = p.add_subparsers(dest="command", required=True)

    for method in methods.METHODS.values():
        sp = sub.add_parser(method.name, help=method.summary)
        names = list(method.presets)
        sp.add_argument("--preset", default=names[0], choices=names, help=f"the built-in recipe (default {names[0]})")
        sp.add_argument("--model", default=None, help="bundled default, a Hub id, a local model folder or a run folder")
        sp.add_argument("--data", default=None, help="a .jsonl/.csv/.parquet file or a Hub dataset id instead of the preset's data")
        if method.identity_presets:
            sp.add_argument("--name", default=None, help="the model's new name (identity preset)")
            sp.add_argument("--org", default=None, help="the organisation that made it (identity preset)")
        for flag, setting, kind, help_ in _COMMON_FLAGS:
            sp.add_argument(flag, dest=setting, type=kind, default=None, help=help_)
        for f in method.flags:
            sp.add_argument(f.flag, dest=f.setting, type=f.type, default=None, choices=f.choices, help=f.help)
        sp.add_argument("--no-lora", action="store_true", help="full fine-tuning instead of LoRA")
        sp.add_argument("--out", required=True, help="the run directory to write")

    r = sub.add_parser("run", help="rerun a recipe (a run folder's recipe.json), alone or under torchrun / accelerate launch")
    r.add_argument("recipe", help="a recipe.json, e.g. an earlier run's")
    r.add_argument("--out", required=True, help="the run directory to write (rank k of a launcher writes DIR/rank{k})")

    a = sub.add_parser("ask", help="answer questions (one per line) greedily and print JSON")
    a.add_argument("--model", required=True)
    a.add_argument("--questions", required=True, help="a UTF-8 text file, one question per line")
    a.add_argument("--system", default=None, help="a system prompt (none is added otherwise)")
    a.add_argument("--max-new-tokens", type=int, default=None)
    a.add_argument("--full-precision", action="store_true",
                   help="answer with fp32 weights (slower): what rounding in bf16 would change, it does not")
    return p


def _ask(args) -> int:
    path = Path(args.questions)
    if not path.is_file():
        raise UsageError(f"the questions file '{path}' was not found")
    try:
        questions = [q.strip() for q in path.read_text(encoding="utf-8").splitlines() if q.strip()]
    except UnicodeDecodeError:
        raise UsageError(f"'{path}' is not UTF-8 text; save it as UTF-8, one question per line") from None
    if not questions:
        raise UsageError(f"'{path}' has no questions; write one question per line")
    n = args.max_new_tokens or COMPARE_TOKENS
    if not 1 <= n <= 4096:
        raise UsageError(f"--max-new-tokens must be between 1 and 4096 (got {n})")
    lm = load_model(args.model)
    print(f"loaded {lm.card()}", file=sys.stderr)
    answers = generate_answers(lm.model, lm.tokenizer, questions, system=args.system, max_new_tokens=n,
                               bf16=not args.full_precision)
    json.dump([{"question": q, "answer": a} for q, a in zip(questions, answers)], sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


def _train(args) -> int:
    method = methods.get(args.command)
    _check_out(Path(args.out))
    settings = [setting for _, setting, _, _ in _COMMON_FLAGS] + [f.setting for f in method.flags]
    overrides = {k: getattr(args, k) for k in settings if getattr(args, k) is not None}
    if args.no_lora:
        overrides["lora"] = False
    if args.preset in method.identity_presets and not args.data and not (args.name and args.org):
        raise UsageError(f"the {args.preset} preset needs --name and --org (the model's new name and who made it)")
    spec = method.spec(args.model, args.preset, getattr(args, "name", None), getattr(args, "org", None),
                       args.data, overrides)
    spec.trained_on = _runs_under(args.model)
    return _watch(Path(args.out), spec)


def _runs_under(model: str | None) -> list[str]:
    """A run folder given as --model: the runs its model carries (theirs, then its own name), as config.json's
    `trained_on_top_of` records them; [] for any other model."""
    path = Path(model or "").expanduser()
    if not model or not (path / "model" / "config.json").exists():
        return []
    return list((read_json(path / "config.json", {}) or {}).get("trained_on_top_of") or []) + [path.resolve().name]


def _rerun(args) -> int:
    _check_out(Path(args.out))
    return _watch(Path(args.out), read_recipe(args.recipe))


def _check_out(out: Path) -> None:
    """Refuse a used output folder (the other ranks' rank{k}/ folders, made meanwhile, don't count)."""
    mine = process_dir(out)
    if mine.exists() and any(p for p in mine.iterdir() if not is_rank_dir(p)):
        raise UsageError(f"the output folder '{mine}' is not empty; choose a new --out so no earlier run is overwritten")


def _watch(out: Path, spec) -> int:
    """Run the spec as the background job in this process's folder and report it (rank 0 only)."""
    rank = process_rank()[0]
    threads_per_process()
    out = process_dir(out, rank)
    out.mkdir(parents=True, exist_ok=True)
    job = start_job(spec.method, out, pipeline.recipe(spec))
    _follow(job, quiet=rank != 0)
    s = job.snapshot()
    if s["status"] == "failed":
        raise UsageError(s["error"] if rank == 0 else f"rank {rank}: {s['error']}")
    if rank == 0:
        scores = job.result.get("scores", {})
        print(json.dumps({"status": s["status"], "run_dir": str(out), "scores": scores, "phase_times": s["phase_times"]}))
        for line in alarm_lines(scores):
            print(line, file=sys.stderr, flush=True)
    return 0


def alarm_lines(scores: dict | None) -> list[str]:
    """The lines a finished run prints to stderr for its alarms: a run whose figures say it failed must
    not end like a plain success.

    >>> alarm_lines({"correct_after": 0.0, "alarms": ["Correct answers fell (30% → 0%)."]})
    ['warning: Correct answers fell (30% → 0%).']
    >>> alarm_lines({"name_after": 1.0, "alarms": []})
    []
    """
    return [f"warning: {a}" for a in (scores or {}).get("alarms") or []]


STEPPED_PHASES = ("cold_start", "train")  # phases that train, step by step: a progress bar each


def _follow(job, quiet: bool = False) -> None:
    """Show the job until it ends: a line per phase, one progress bar for the training steps (loss and
    margin or reward beside it), and every note. Ctrl-C stops training after the current step."""
    from tqdm import tqdm

    last, n_notes, bar, bar_phase = None, 0, None, None

    def say(text: str) -> None:
        (bar.write if bar is not None else lambda t: print(t, file=sys.stderr, flush=True))(text)

    def open_bar(total: int, phase: str):
        # disable=False: the library bars are off through TQDM_DISABLE, ours is not
        return tqdm(total=total, desc=f"[{phase}]", unit="step", file=sys.stderr, disable=False, dynamic_ncols=True,
                    mininterval=0.5)

    try:
        while job.thread.is_alive():
            job.wait(0.5)
            if quiet:
                continue
            s = job.snapshot()
            for note in s["notes"][n_notes:]:
                say(f"note: {note}")
            n_notes = len(s["notes"])
            key = (s["phase"], s["step"])
            if key == last:
                continue
            last_phase = last[0] if last else None
            last = key
            if bar is not None and s["phase"] != bar_phase:  # its phase ended between two looks
                bar.update((bar.total if s["phase"] in STEPPED_PHASES else s["step"]) - bar.n)
                bar.close()
                bar = None
            if s["phase"] in STEPPED_PHASES:
                if not s["total"]:
                    continue  # the bar appears once the trainer knows its steps
                if bar is None:
                    bar, bar_phase = open_bar(s["total"], s["phase"]), s["phase"]
                prefix = "cold_start/" if s["phase"] == "cold_start" else ""
                row = next((r for r in reversed(job.metrics.rows()) if prefix + "loss" in r), {})
                bar.set_postfix_str(", ".join(f"{k.split('/')[-1]} {row[prefix + k]:.3f}"
                                              for k in ("loss", "rewards/margins", "reward")
                                              if isinstance(row.get(prefix + k), float)), refresh=False)
                bar.update(s["step"] - bar.n)
                continue
            if last_phase in STEPPED_PHASES and bar_phase != last_phase and s["total"]:  # it ended between two looks
                short = open_bar(s["total"], last_phase)
                short.update(s["step"])
                short.close()
            say(f"[{s['phase']}]")
    except KeyboardInterrupt:
        say(job.stop())
        job.wait()
    if bar is not None:
        bar.close()
    if quiet:
        return
    s = job.snapshot()
    for note in s["notes"][n_notes:]:  # notes are never lost to the polling
        print(f"note: {note}", file=sys.stderr, flush=True)
    print("phase times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in s["phase_times"].items()), file=sys.stderr)


def quiet_library_bars() -> None:
    """One progress display per job, ours: transformers' load/save bars and TRL's reference-pass bar go.

    TRL reads $TQDM_DISABLE for its bars; transformers and huggingface_hub have their own switches.
    """
    os.environ["TQDM_DISABLE"] = "1"
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    disable_progress_bars()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "ask":
        quiet_library_bars()
    t0 = time.perf_counter()
    try:
        code = {"ask": _ask, "run": _rerun}.get(args.command, _train)(args)
    except (UsageError, SettingsError, DataError, ModelError, JobBusy) as e:
        _err(str(e))
        return 2
    print(f"total {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
