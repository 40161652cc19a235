"""End to end on the real bundled SmolLM2-135M-Instruct (minutes on 2 cores; CI runs them).

Each preset runs once per module through the same background job the CLI uses, with a name the
preset was not tuned on, and is judged on held-out questions it never trained on.
"""

import json

import pytest

from posttrain import presets
from posttrain.runner import start_job

pytestmark = pytest.mark.slow


def _run(tmp_path_factory, req, kind):
    out = tmp_path_factory.mktemp(kind) / "run"
    job = start_job(kind, out, presets.recipe_for(req))
    job.wait(1500)
    assert job.status == "done", job.error
    scores = json.loads((out / "scores.json").read_text())
    print(kind, scores, job.snapshot()["phase_times"])
    return scores, out


@pytest.fixture(scope="module")
def identity_run(tmp_path_factory):
    return _run(tmp_path_factory, presets.identity_request(None, "Nova Prime", "Starlight Labs"), "dpo")


def test_identity_preset_flips_the_name_without_leaking_it(identity_run):
    scores, _ = identity_run
    assert scores["success"] >= 0.9, scores
    assert scores["leak"] <= 0.1, scores  # times are printed and kept in docs/benchmarks.md, not asserted


def test_identity_preset_leaves_unrelated_answers_unchanged(identity_run):
    scores, _ = identity_run
    assert scores["unchanged"] >= 0.8, scores


def test_saved_model_answers_unrelated_questions_as_the_base_did(identity_run, tmp_path, capsys):
    """The way the issue judges it: `ask` on the bundled model and on the run's saved model."""
    from posttrain import banks, cli

    _, out = identity_run
    questions = tmp_path / "q.txt"
    questions.write_text("\n".join(banks.EVAL_UNRELATED_QUESTIONS), encoding="utf-8")
    answers = {}
    for model in ("bundled", str(out / "model")):
        assert cli.main(["ask", "--model", model, "--questions", str(questions), "--max-new-tokens", "48"]) == 0
        answers[model] = [r["answer"] for r in json.loads(capsys.readouterr().out)]
    same = sum(a == b for a, b in zip(*answers.values()))
    assert same >= 0.8 * len(banks.EVAL_UNRELATED_QUESTIONS), answers


def test_arithmetic_preset_teaches_the_boxed_format(tmp_path_factory):
    scores, _ = _run(tmp_path_factory, presets.arithmetic_request(None), "grpo")
    assert scores["boxed_after"] - scores["boxed_before"] >= 0.3, scores
    assert scores["accuracy_after"] >= scores["accuracy_before"], scores
