"""The RLHF pipeline's reward model and GRPO against it, on the tiny model: built from the policy, judged on
held-out pairs, loaded back from its run folder, refused with a sentence where a folder is not one, and
used as GRPO's reward (`rewards/reward_model/mean`) judged by the identity scores."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from posttrain import cli, methods, pipeline, reward_model
from posttrain.config import SettingsError
from posttrain.identity import _pair
from posttrain.runner import start_job

SMALL = dict(max_steps=2, batch_size=2, learning_rate=1e-3)


def _run(method: str, model_dir, out, preset: str | None = None, **overrides):
    m = methods.get(method)
    spec = m.spec(str(model_dir), preset, name="Nova Prime", org="Starlight Labs", overrides={**SMALL, **overrides})
    spec.identity.n_identity, spec.identity.n_control = 6, 8
    spec.compare_questions, spec.compare_kinds = ["Who are you?", "Who made you?", "What is 2 + 2?"], \
        ["identity", "identity", "unrelated"]
    job = start_job(method, out, pipeline.recipe(spec))
    job.wait(600)
    assert job.status == "done", job.error
    return job


@pytest.fixture(scope="module")
def rm_run(tiny_dir, tmp_path_factory):
    """A finished reward-model run of the identity preset on the tiny model."""
    out = tmp_path_factory.mktemp("rm") / "run"
    _run("reward", tiny_dir, out)
    return out


def test_the_untrained_reward_model_is_the_policy_under_a_new_head(tiny):
    before = {k: v.clone() for k, v in tiny.model.state_dict().items()}
    rm = reward_model.from_policy(tiny.model, tiny.tokenizer)
    body = getattr(rm, rm.base_model_prefix).state_dict()
    assert all(torch.equal(body[k.removeprefix("model.")], v) for k, v in before.items() if k.startswith("model."))
    assert rm.config.num_labels == 1 and not hasattr(rm, "lm_head")
    body["embed_tokens.weight"].add_(1.0)  # a copy: training it leaves the policy as it was
    assert all(torch.equal(tiny.model.state_dict()[k], v) for k, v in before.items())
    scores = reward_model.RewardModel(rm, tiny.tokenizer).score(["Who are you?"] * 3, ["I'm Nova.", "Paris.", ""])
    assert len(scores) == 3 and all(isinstance(x, float) for x in scores)  # (a tiny random head: all near 0)


def test_a_reward_model_run_is_judged_on_held_out_pairs_and_loads_back(rm_run):
    scores = json.loads((rm_run / "scores.json").read_text())
    data = json.loads((rm_run / "data.json").read_text())
    kinds = {r["kind"] for r in data}
    assert {"identity", "control", "off_topic", "decoy"} <= kinds, kinds  # the preset's four kinds of pair
    rows = json.loads((rm_run / "before_after.json").read_text())
    held = {r["question"] for r in rows}  # held out by whole question: no held-out question was trained on
    assert sum(r["prompt"][-1]["content"] in held for r in data) == scores["n_pairs"] >= 0.2 * len(data)
    assert 0 <= scores["pair_accuracy"] <= 1
    assert scores["changed"] is None  # a verdict changing is not an answer changing
    assert len(rows) == scores["n_pairs"] and all("prefers the" in r["after"] for r in rows)
    metrics = [json.loads(line) for line in (rm_run / "metrics.jsonl").read_text().splitlines()]
    assert any("accuracy" in r and "margin" in r for r in metrics) and any("eval_accuracy" in r for r in metrics)
    judge = reward_model.load(rm_run)
    result = judge.pair_accuracy(data[:4])
    assert len(result["chosen"]) == 4 and result["accuracy"] in (0, 0.25, 0.5, 0.75, 1.0)
    reward = judge.reward_function()
    assert reward.__name__ == "reward_model"  # TRL logs it as rewards/reward_model/mean
    got = reward(prompts=[[{"role": "user", "content": "Who are you?"}]],
                 completions=[[{"role": "assistant", "content": "I'm Nova Prime."}]], trainer_state=None)
    assert got == judge.score(["Who are you?"], ["I'm Nova Prime."])


def test_folders_that_are_not_reward_models_get_a_sentence(rm_run, tiny_dir, tmp_path):
    cases = {"": "no reward model given", str(tmp_path / "gone"): "there is no folder",
             str(tiny_dir): "holds no reward model"}
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text(json.dumps({"method": "reward"}))
    cases[str(unfinished)] = "has no model yet"
    dpo = tmp_path / "dpo"
    shutil.copytree(tiny_dir, dpo / "model")
    (dpo / "config.json").write_text(json.dumps({"method": "dpo"}))
    cases[str(dpo)] = "is a DPO run: its model writes answers"
    for folder, says in cases.items():
        with pytest.raises(reward_model.RewardModelError, match=says):
            reward_model.locate(folder)
    assert reward_model.locate(rm_run) == rm_run / "model"
    from posttrain.models import ModelError, load_model

    with pytest.raises(ModelError, match="holds a reward model: it scores answers"):
        load_model(str(rm_run))


def test_a_reward_model_of_another_tokenizer_is_refused(rm_run, tiny):
    judge = reward_model.load(rm_run)
    judge.check_tokenizer(tiny.tokenizer)  # the same tokenizer: fine
    tiny.tokenizer.add_tokens(["<posttrain-extra>"])
    with pytest.raises(reward_model.RewardModelError, match="another tokenizer .* train a reward model from this model"):
        judge.check_tokenizer(tiny.tokenizer)


def test_grpo_settings_name_the_reward_model(rm_run, tmp_path):
    grpo = methods.get("grpo")
    with pytest.raises(SettingsError, match="trains against a reward model: train one first"):
        grpo.settings("identity")
    with pytest.raises(SettingsError, match="there is no folder"):
        grpo.settings("identity", {"reward_model": str(tmp_path / "nope")})
    s = grpo.settings("identity", {"reward_model": str(rm_run)})
    assert s.reward_funcs == ["reward_model"] and s.kl_beta > 0
    mixed = grpo.settings("arithmetic", {"reward_model": str(rm_run), "reward_weights": "1, 0.5"})  # as a form sends
    assert mixed.reward_funcs == ["correct_answer", "one_box", "reward_model"] and mixed.reward_weights == [1, 0.5, 1]
    assert mixed.reward_model == str(rm_run.resolve())  # absolute: a recipe rerun elsewhere finds it
    # the one-click demo needs nothing trained before it: GRPO (a reward model first) and a reward model fall back
    assert [m.name for m in methods.METHODS.values() if m.has_demo] == ["sft", "dpo"]


def test_grpo_trains_against_the_reward_model_and_is_judged_by_the_identity_scores(rm_run, tiny_dir, tmp_path):
    job = _run("grpo", tiny_dir, tmp_path / "grpo", "identity", reward_model=str(rm_run), batch_size=4,
               num_generations=2, max_completion_length=8, probe_every=1)
    metrics = [json.loads(line) for line in (tmp_path / "grpo" / "metrics.jsonl").read_text().splitlines()]
    assert any("rewards/reward_model/mean" in r for r in metrics)
    assert any("kl" in r for r in metrics)  # the KL leash is on
    scores = json.loads((tmp_path / "grpo" / "scores.json").read_text())
    assert {"name_after", "organisation_after", "facts_kept", "degenerate_after"} <= set(scores), scores
    data = json.loads((tmp_path / "grpo" / "data.json").read_text())
    assert {r["kind"] for r in data} == {"identity", "control"} and "answer" not in data[0]
    assert job.result["scores"] is scores or job.result["scores"] == scores


def test_the_cli_trains_a_reward_model_and_refuses_a_wrong_folder(rm_run, tiny_dir, tmp_path, capsys):
    code = cli.main(["grpo", "--preset", "identity", "--name", "Nova Prime", "--org", "Starlight Labs",
                     "--model", str(tiny_dir), "--reward-model", str(tiny_dir), "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err
    assert code == 2 and "holds no reward model" in err and "Traceback" not in err
    assert not (tmp_path / "g").exists()


def test_the_studio_keeps_its_model_and_refuses_votes_on_a_reward_model(rm_run, tiny_dir):
    from posttrain.studio import Studio, StudioError

    studio = Studio(default_model=str(tiny_dir), root=rm_run.parent)
    with pytest.raises(StudioError, match="a reward model's run: it scores answers"):
        studio.ballot(str(rm_run), "voter-1")
    said = studio.score_answer(str(rm_run), "Who are you?", "I'm Nova Prime.")
    assert said == reward_model.load(rm_run).score(["Who are you?"], ["I'm Nova Prime."])[0]
    with pytest.raises(StudioError, match="choose a run from the list"):
        studio.score_answer("/etc", "Who are you?", "I'm Nova.")  # only the studio's own runs


def test_a_reward_model_run_leaves_the_studio_model_as_it_was(tiny_dir, tmp_path):
    from posttrain.studio import Studio

    studio = Studio(default_model=str(tiny_dir), root=tmp_path / "runs")
    studio.ready()
    model, weights = studio.lm.model, {k: v.clone() for k, v in studio.lm.model.state_dict().items()}
    job = studio.start("reward", dict(SMALL), None, name="Nova Prime", org="Starlight Labs", preset="identity")
    job.wait(600)
    assert job.status == "done", job.error
    assert studio.lm.model is model and studio.trained_by is None and studio.lineage == []
    assert all(torch.equal(studio.lm.model.state_dict()[k], v) for k, v in weights.items())
    assert studio.card()["lineage"] == [str(tiny_dir)]
