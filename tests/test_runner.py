"""The background job: one at a time, stoppable within a step, and a complete receipt on disk."""

import json
import time

import pytest

from posttrain import methods, pipeline
from posttrain.runner import JobBusy, current_job, start_job
from posttrain.runs import read_run


def _wait_for(cond, timeout=120):
    t0 = time.time()
    while not cond():
        assert time.time() - t0 < timeout, "timed out"
        time.sleep(0.05)


def _identity_job(tiny_dir, out, steps):
    req = methods.get("dpo").spec(str(tiny_dir), "identity", "Nova", "Acme", overrides=dict(
        max_steps=steps, batch_size=2, learning_rate=5e-3))
    req.identity.n_identity = req.identity.n_control = 4
    return start_job("dpo", out, pipeline.recipe(req))


def test_identity_job_writes_the_whole_receipt(tiny_dir, tmp_path):
    job = _identity_job(tiny_dir, tmp_path / "run", steps=2)
    job.wait(300)
    assert job.status == "done", job.error
    run = read_run(tmp_path / "run")
    assert run["status"]["status"] == "done"
    assert [r["step"] for r in run["metrics"] if "loss" in r] == [1, 2]
    assert run["probes"][0]["step"] == 0 and run["probes"][-1]["step"] == 2
    assert {"name_before", "name_after", "organisation_after", "degenerate_after", "leak", "facts_kept", "unchanged",
            "alarms"} <= set(run["scores"])
    assert isinstance(run["scores"]["alarms"], list)
    judged = [r for r in run["metrics"] if "eval/name" in r]  # the held-out scores the charts draw, from step 0
    assert judged and judged[0]["step"] == 0 and {"eval/organisation", "eval/degenerate"} <= set(judged[0])
    marks = run["before_after"][0]["marks"]
    assert {"name", "organisation", "degenerate", "leak", "fact"} <= set(marks)
    assert run["before_after"] and {"question", "before", "after", "kind"} <= set(run["before_after"][0])
    assert run["has_model"]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["identity"]["name"] == "Nova" and config["settings"]["max_steps"] == 2
    assert set(job.snapshot()["phase_times"]) >= {"load", "data", "before", "train", "after", "save"}


def test_stop_ends_early_and_second_start_is_refused(tiny_dir, tmp_path):
    job = _identity_job(tiny_dir, tmp_path / "a", steps=500)
    _wait_for(lambda: job.progress.step >= 1)
    with pytest.raises(JobBusy, match="dpo job is running"):
        _identity_job(tiny_dir, tmp_path / "b", steps=2)
    assert "stopping" in job.stop()
    job.stop()  # twice is harmless
    job.wait(120)
    assert job.status == "stopped"
    assert job.progress.step < 500
    run = read_run(tmp_path / "a")  # what was trained before the stop is kept
    assert run["has_model"] and run["before_after"] and run["status"]["status"] == "stopped"
    assert "nothing to stop" in job.stop()
    assert current_job() is job


def test_failed_recipe_reports_error_and_frees_the_slot(tmp_path):
    def broken(job):
        job.enter("train")
        raise ValueError("the loss became nan at step 3; lower the learning rate and try again")

    job = start_job("dpo", tmp_path / "x", broken)
    job.wait(10)
    assert job.status == "failed" and "lower the learning rate" in job.error
    assert read_run(tmp_path / "x")["status"]["status"] == "failed"
    ok = start_job("dpo", tmp_path / "y", lambda job: {"fine": True})
    ok.wait(10)
    assert ok.status == "done" and ok.result == {"fine": True}


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_eta_counts_down_within_a_step_and_follows_recent_steps():
    from posttrain.metrics import Progress

    clock = _Clock()
    p = Progress(clock)
    p.mark(0, 10)
    clock.now += 30  # the first step carries warm-up: it is not a step time
    p.mark(1, 10)
    assert p.eta_s() is None
    clock.now += 10
    p.mark(2, 10)
    assert p.eta_s() == pytest.approx(80)  # 8 steps at 10 s
    seen = []
    for _ in range(5):  # within the step the ETA falls, it never jumps up (it jumped 175 → 199 → 223 before)
        clock.now += 2
        seen.append(p.eta_s())
    assert seen == sorted(seen, reverse=True) and seen[-1] == pytest.approx(70)
    clock.now += 20  # an overdue step: the ETA holds at the steps after it
    assert p.eta_s() == pytest.approx(70)
    for step in range(3, 9):  # the run slows to 20 s a step: the ETA follows the last steps, not the average
        clock.now += 20 if step > 3 else 0
        p.mark(step, 10)
    assert p.eta_s() == pytest.approx(40)


def test_a_stop_during_the_cold_start_keeps_what_it_taught_and_skips_rl(tiny_dir, tmp_path):
    """A stop is never a loss: stopped while it learns the worked examples, the run answers and saves the
    cold-started model, and no RL step runs."""
    req = methods.get("grpo").spec(str(tiny_dir), "arithmetic", overrides=dict(
        cold_start_steps=500, max_steps=2, batch_size=4, num_generations=2, max_completion_length=8))
    req.rows, req.eval_problems = req.rows[:8], 2
    job = start_job("grpo", tmp_path / "run", pipeline.recipe(req))
    _wait_for(lambda: job.phase == "cold_start" and job.progress.step >= 1)
    job.stop()
    job.wait(300)
    assert job.status == "stopped", job.error
    run = read_run(tmp_path / "run")
    assert run["has_model"] and run["before_after"] and run["scores"]["correct_after"] is not None
    assert any("cold_start/loss" in r for r in run["metrics"]) and not any("reward" in r for r in run["metrics"])
    assert "train" not in job.phase_times and "correct_cold" not in run["scores"]


def test_the_clock_stops_when_the_job_ends_and_the_eta_covers_the_answering_after(tmp_path):
    release = __import__("threading").Event()

    def recipe(job):
        job.enter("before")
        time.sleep(0.3)
        job.enter("train")
        release.wait(30)
        return {}

    job = start_job("dpo", tmp_path / "run", recipe)
    _wait_for(lambda: job.phase == "train")
    job.progress._marks = [time.time() - 2, time.time()]  # two steps ended, 2 s each
    job.progress.step, job.progress.total = 2, 4
    eta = job.snapshot()["eta_s"]
    assert 4 + 0.3 <= eta < 4 + 1.5  # two steps left, then answering after training as long as before took
    release.set()
    job.wait(30)
    assert job.status == "done" and job.snapshot()["eta_s"] is None
    first = job.snapshot()["elapsed_s"]
    time.sleep(1.1)
    assert job.snapshot()["elapsed_s"] == first  # it kept counting after the job ended (123 → 185 → 215 s)
