"""The command line: JSON on stdout, one clear line on bad input, no tracebacks."""

import json
import subprocess
import sys

import pytest


def _cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "posttrain", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_ask_prints_json_answers(tiny_dir, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text("Who are you?\n\nWhat is 2+2?\n", encoding="utf-8")
    r = _cli("ask", "--model", tiny_dir, "--questions", q, "--max-new-tokens", "5")
    assert r.returncode == 0, r.stderr
    answers = json.loads(r.stdout)
    assert [a["question"] for a in answers] == ["Who are you?", "What is 2+2?"]
    assert all(isinstance(a["answer"], str) for a in answers)


def test_ask_full_precision_answers_with_fp32_weights(tiny_dir, tmp_path, monkeypatch, capsys):
    from posttrain import cli

    seen, real = [], cli.generate_answers
    monkeypatch.setattr(cli, "generate_answers", lambda *a, **k: seen.append(k["bf16"]) or real(*a, **k))
    q = tmp_path / "q.txt"
    q.write_text("Who are you?\n", encoding="utf-8")
    for flag in ([], ["--full-precision"]):
        assert cli.main(["ask", "--model", str(tiny_dir), "--questions", str(q), "--max-new-tokens", "3", *flag]) == 0
    first, _ = json.JSONDecoder().raw_decode(capsys.readouterr().out)  # two JSON lists, one per call
    assert seen == [True, False] and len(first) == 1


@pytest.mark.parametrize("args, message", [
    (["ask", "--model", "/no/such/dir", "--questions", "QFILE"], "does not exist"),
    (["ask", "--model", "TINY", "--questions", "/no/such/file.txt"], "was not found"),
    (["ask", "--model", "TINY", "--questions", "LATIN1"], "not UTF-8"),
    (["dpo", "--preset", "identity", "--model", "TINY", "--out", "OUT"], "needs --name and --org"),
])
def test_bad_input_is_one_clear_line(args, message, tiny_dir, tmp_path):
    """In a real process (tests/test_reliability.py runs every row of issue 5's table in-process)."""
    (tmp_path / "q.txt").write_text("hi\n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "empty.jsonl").write_text("")
    subst = {"QFILE": tmp_path / "q.txt", "TINY": tiny_dir, "LATIN1": tmp_path / "latin1.txt",
             "OUT": tmp_path / "out", "EMPTY": tmp_path / "empty.jsonl"}
    r = _cli(*[subst.get(a, a) for a in args])
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, r.stderr


def test_dpo_identity_preset_writes_a_loadable_run(tiny_dir, tmp_path):
    out = tmp_path / "run"
    r = _cli("dpo", "--preset", "identity", "--name", "Nova", "--org", "Acme", "--model", tiny_dir,
             "--max-steps", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["status"] == "done" and {"name_after", "organisation_after", "alarms"} <= set(summary["scores"])
    # a tiny random model never learns the name in 2 steps: the run ends with its alarms on stderr
    assert [f"warning: {a}" for a in summary["scores"]["alarms"]] == [
        line for line in r.stderr.splitlines() if line.startswith("warning: ")]
    assert summary["scores"]["alarms"]
    assert "phase times" in r.stderr
    assert "[train]" in r.stderr and "2/2" in r.stderr  # our one bar for the training steps...
    assert "Loading weights" not in r.stderr and "Computing reference log probs" not in r.stderr  # ...and no others
    for name in ("config.json", "metrics.jsonl", "probes.jsonl", "before_after.json", "scores.json"):
        assert (out / name).exists(), name
    q = tmp_path / "q.txt"
    q.write_text("Who are you?\n")
    r = _cli("ask", "--model", out / "model", "--questions", q, "--max-new-tokens", "3")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["question"] == "Who are you?"
    r = _cli("dpo", "--preset", "identity", "--name", "Nova", "--org", "Acme", "--model", tiny_dir, "--out", out)
    assert r.returncode == 2 and "not empty" in r.stderr


def test_grpo_takes_the_reward_hacking_preset_and_a_run_with_alarms_warns(tmp_path, monkeypatch, capsys):
    """In-process, with a finished fake job: the parser passes the preset on, and each alarm is a warning."""
    import threading

    from posttrain import cli, methods
    from posttrain.spec import RunSpec

    asked = {}
    grpo = methods.get("grpo")

    def spec(model, preset=None, *args, **kw):
        asked["preset"] = preset
        return RunSpec("grpo", model, grpo.presets[preset], rows=[])

    class Finished:
        thread = threading.Thread(target=lambda: None)
        result = {"scores": {"correct_before": 0.3, "correct_after": 0.0,
                             "alarms": ["Reward hacking: the reward rose (0.10 → 1.40) while correct answers fell (30% → 0%)."]}}

        def snapshot(self):
            return {"status": "done", "notes": [], "phase_times": {"train": 1.0}}

    monkeypatch.setattr(grpo, "spec", spec)
    monkeypatch.setattr(cli, "start_job", lambda *a, **k: Finished())
    assert cli.main(["grpo", "--preset", "reward-hacking", "--out", str(tmp_path / "run")]) == 0
    out, err = capsys.readouterr()
    assert asked["preset"] == "reward-hacking"
    assert json.loads(out.strip().splitlines()[-1])["scores"]["correct_after"] == 0.0
    assert "warning: Reward hacking: the reward rose (0.10 → 1.40) while correct answers fell (30% → 0%)." in err
    with pytest.raises(SystemExit):  # argparse refuses an unknown preset with its usage line
        cli.main(["grpo", "--preset", "boxes", "--out", str(tmp_path / "other")])


def test_engine_never_imports_gradio():
    code = ("import sys, posttrain.cli, posttrain.pipeline, posttrain.methods, posttrain.jobs, posttrain.runner; "
            "print('gradio' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr


def test_a_run_folder_as_model_is_recorded_as_what_the_run_trains_on(tmp_path):
    """`--model RUN` continues that run's model: config.json's `trained_on_top_of` names it (and the runs under
    it), so the pipeline page can draw the chain; any other model adds nothing."""
    import json

    from posttrain.cli import _runs_under

    run = tmp_path / "3-sft"
    (run / "model").mkdir(parents=True)
    (run / "model" / "config.json").write_text("{}")
    (run / "config.json").write_text(json.dumps({"method": "sft", "trained_on_top_of": ["1-dpo"]}))
    assert _runs_under(str(run)) == ["1-dpo", "3-sft"]
    assert _runs_under(str(run / "model")) == [] and _runs_under(None) == [] and _runs_under("SmolLM2-135M-Instruct") == []
