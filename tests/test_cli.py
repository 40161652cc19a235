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
    assert summary["status"] == "done" and "success" in summary["scores"]
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


def test_engine_never_imports_gradio():
    code = ("import sys, posttrain.cli, posttrain.recipes, posttrain.jobs, posttrain.runner; "
            "print('gradio' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr
