"""End to end on the real bundled SmolLM2-135M-Instruct (minutes on 2 cores; CI runs them).

Each preset runs once per module through the same background job the CLI uses, with a name the
preset was not tuned on, and is judged on held-out questions it never trained on.
"""

import json

import pytest

from posttrain import methods, pipeline
from posttrain.runner import start_job

pytestmark = pytest.mark.slow


def _run(tmp_path_factory, req, kind):
    out = tmp_path_factory.mktemp(kind) / "run"
    job = start_job(kind, out, pipeline.recipe(req))
    job.wait(1500)
    assert job.status == "done", job.error
    scores = json.loads((out / "scores.json").read_text())
    print(kind, scores, job.snapshot()["phase_times"])
    return scores, out


@pytest.fixture(scope="module", autouse=True)
def answer_cache(tmp_path_factory):
    """As the app runs by default: the untrained model's answers are cached, so the SFT run reuses the ones the DPO
    run wrote (the same answers, tests/test_answer_cache.py) instead of writing them again."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POSTTRAIN_ANSWER_CACHE", str(tmp_path_factory.mktemp("answers")))
        yield


@pytest.fixture(scope="module")
def identity_run(tmp_path_factory):
    return _run(tmp_path_factory, methods.get("dpo").spec(None, "identity", "Nova Prime", "Starlight Labs"), "dpo")


def test_identity_preset_learns_name_and_organisation_in_clean_text(identity_run):
    """Issue 14's bars, on the repo's held-out questions (English and Chinese) with a name it was not tuned on."""
    scores, _ = identity_run
    assert scores["name_after"] >= 0.9, scores
    assert scores["organisation_after"] >= 0.75, scores
    assert scores["degenerate_after"] <= scores["degenerate_before"], scores  # no more loops than the base model
    assert scores["leak"] <= 0.05, scores
    assert scores["facts_kept"] >= 0.9, scores
    assert scores["alarms"] == [], scores  # times are printed and kept in docs/benchmarks.md, not asserted


def test_the_flip_curve_crosses_and_the_new_name_carries_the_preference(identity_run):
    """Issue 16 on the real model: the new answer overtakes the model's own before the run ends (step 7 of 24
    in docs/benchmarks.md), and the tokens DPO's implicit reward raises most are the new name's and maker's."""
    from posttrain.charts import flip_step
    from posttrain.runs import read_run

    run = read_run(identity_run[1])
    flip = [m for m in run["metrics"] if "probe/logp_new_name" in m]
    assert [m["step"] for m in flip] == list(range(25)), flip  # every step, the untrained model first
    step = flip_step(run["metrics"])
    assert step is not None and step < 24, flip
    chosen = run["token_rewards"][-1]["chosen"]
    top = {text.strip() for text, _ in sorted(chosen, key=lambda x: -x[1])[:3]}
    assert top & {"Nova", "Prime", "Labs", "Star", "St"}, chosen
    loss = [m for m in run["metrics"] if "loss/preference" in m][0]
    assert abs(loss["loss/preference"] - 0.693) < 0.01  # a coin flip before the first update


def test_why_not_just_sft(identity_run, tmp_path_factory):
    """The course's question, measured: SFT through the registry learns the same name and maker, cleanly,
    but moves far more of the unrelated answers than the gated DPO edit (SFT 15–20 % unchanged, the gated
    edit 100 %, unrelated answers written in fp32; docs/benchmarks.md). The leak and the facts it loses are its
    alarms, and are shown (at 5e-4 it kept 7 of the 8 facts in two seeds: no alarm)."""
    dpo, _ = identity_run
    sft, out = _run(tmp_path_factory, methods.get("sft").spec(None, "identity", "Nova Prime", "Starlight Labs"), "sft")
    assert sft["name_after"] >= 0.9 and sft["organisation_after"] >= 0.75, sft
    assert sft["degenerate_after"] <= sft["degenerate_before"], sft
    assert sft["unchanged"] < dpo["unchanged"], (sft, dpo)
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("mean_token_accuracy" in m for m in metrics)  # TRL's SFT metric, beside the held-out name:
    assert [m["step"] for m in metrics if "eval/name" in m][:1] == [0]


def test_saved_model_keeps_the_facts_the_base_knew(identity_run, tmp_path, capsys):
    """The way a user checks it: `ask --full-precision` on the bundled model and on the run's saved model. Every
    fact the base model states is still stated, and the unrelated answers are the base model's own: 20 of 20 on
    an Intel CPU with AMX (in bf16 there, 2 to 18 of 20, by rounding alone: the extra neurons change the shapes of
    the MLP's products; docs/benchmarks.md). Nine in ten is the floor."""
    from posttrain import banks, cli
    from posttrain.scores import states_fact

    _, out = identity_run
    questions = tmp_path / "q.txt"
    questions.write_text("\n".join(banks.EVAL_UNRELATED_QUESTIONS), encoding="utf-8")
    answers = {}
    for model in ("bundled", str(out / "model")):
        assert cli.main(["ask", "--model", model, "--questions", str(questions), "--max-new-tokens", "48",
                         "--full-precision"]) == 0
        answers[model] = [r["answer"] for r in json.loads(capsys.readouterr().out)]
    base, tuned = answers.values()
    known = [(q, t) for q, b, t in zip(banks.EVAL_UNRELATED_QUESTIONS, base, tuned)
             if q in banks.EVAL_FACTS and states_fact(b, banks.EVAL_FACTS[q])]
    assert len(known) >= 5, answers
    kept = sum(states_fact(t, banks.EVAL_FACTS[q]) for q, t in known)
    assert kept >= 0.9 * len(known), answers
    same = sum(a == b for a, b in zip(base, tuned))
    assert same >= 0.9 * len(base), answers


def test_arithmetic_preset_learns_the_box_and_keeps_the_answers_right(tmp_path_factory):
    """Issue 14's bar for the arithmetic preset (docs/benchmarks.md): boxed >= 70 %, correct answers not below the
    base model's, loops <= 5 %, plain questions not broken (problems, and unrelated facts), and no alarm (which also
    holds RL to the answers the cold start had right: an alarm is raised when they fall by more than one in twenty,
    or when fewer than 80 % of the facts right before are still right)."""
    scores, out = _run(tmp_path_factory, methods.get("grpo").spec(None, "arithmetic"), "grpo")
    assert scores["boxed_after"] >= 0.7, scores
    assert scores["correct_after"] >= scores["correct_before"], scores
    assert scores["plain_correct_after"] >= scores["plain_correct_before"] - 0.05, scores
    assert scores["degenerate_after"] <= 0.05 and scores["plain_degenerate_after"] <= 0.05, scores
    # unrelated questions asked plainly: no fewer right than before (and no alarm: at least 80 % of those right before
    # still right; the preset keeps 7 of 8, docs/benchmarks.md)
    assert scores["facts_after"] >= scores["facts_before"], scores
    assert scores["alarms"] == [], scores
    assert scores["correct_cold"] is not None and scores["boxed_cold"] is not None  # what the cold start alone did
    rows = json.loads((out / "before_after.json").read_text())
    assert all({"correct", "boxed", "degenerate"} <= set(r["marks"]) for r in rows if r["kind"] == "problem")
    facts = [r for r in rows if r["kind"] == "unrelated"]  # asked plainly, marked, readable on the Compare tab
    assert len(facts) == scores["n_fact_questions"] and all(r["plain"] and "fact" in r["marks"] for r in facts)
    evals = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if "eval/correct" in line]
    assert [e["step"] for e in evals][:1] == [0] and len(evals) >= 2  # correctness beside the reward, as it trains
