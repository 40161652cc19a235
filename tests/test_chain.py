"""The RLHF pipeline page on the tiny model: SFT → reward model → RL and DPO started step by step through the
launched app, RL on top of SFT's model loaded back from its run and paid by the reward model's run, the diagram
read back from the run folders, a step's before/after, the score box, and bad input as sentences."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path

import pytest
from appkit import wait_job

from posttrain import chain, methods

gradio_client = pytest.importorskip("gradio_client")  # a dev requirement; CI installs it


@pytest.fixture(scope="module")
def small_presets():
    """Each step's identity preset cut to a few steps (restored afterwards)."""
    cuts = {"sft": dict(max_steps=2, batch_size=4), "reward": dict(max_steps=2, batch_size=4),
            "grpo": dict(max_steps=2, batch_size=4, num_generations=2, max_completion_length=8, probe_every=1),
            "dpo": dict(max_steps=2, batch_size=4)}
    kept = {(name, p): methods.get(name).presets[p] for name in cuts for p in methods.get(name).identity_presets}
    for (name, p), settings in kept.items():
        methods.get(name).presets[p] = replace(settings, **cuts[name])
    yield
    for (name, p), settings in kept.items():
        methods.get(name).presets[p] = settings


@pytest.fixture(scope="module")
def client(tiny_dir, tmp_path_factory, serve, small_presets):
    from posttrain.studio import Studio

    return serve(Studio(default_model=str(tiny_dir), root=tmp_path_factory.mktemp("chain") / "runs"))


def _step(client, key: str) -> dict:
    said, *_ = client.predict("Nova Prime", "Starlight Labs", "en", api_name=f"/step_{key}")
    assert said.startswith("✓ Started"), said
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping", "starting"), timeout=600)
    assert job["status"] == "done", job
    return job


def test_the_pipeline_runs_step_by_step_chained_through_run_folders(client):
    said, *_ = client.predict("Nova Prime", "Starlight Labs", "en", api_name="/step_rl")
    assert said.startswith("⚠") and "train the reward model first" in said  # no reward model yet: a sentence
    said, *_ = client.predict("", "", "en", api_name="/step_sft")
    assert "give the new name and organisation first" in said

    sft = _step(client, "sft")
    rm = _step(client, "reward")
    rl = _step(client, "rl")
    dpo = _step(client, "dpo")
    rm_config = json.loads(Path(rm["run_dir"], "config.json").read_text())
    rl_config = json.loads(Path(rl["run_dir"], "config.json").read_text())
    dpo_config = json.loads(Path(dpo["run_dir"], "config.json").read_text())
    assert "trained_on_top_of" not in rm_config and "trained_on_top_of" not in dpo_config  # from the base model
    assert rl_config["trained_on_top_of"] == [Path(sft["run_dir"]).name]  # RL starts from SFT's model, loaded back
    sft_config = json.loads(Path(sft["run_dir"], "config.json").read_text())
    assert "warm-up" in sft_config["data"]  # the pipeline's SFT is the short one: RL has something left
    assert rl_config["settings"]["reward_model"] == rm["run_dir"] and rl_config["settings"]["kl_beta"] > 0
    metrics = [json.loads(x) for x in Path(rl["run_dir"], "metrics.jsonl").read_text().splitlines()]
    assert any("rewards/reward_model/mean" in r for r in metrics)
    assert "pair_accuracy" in rm["scores"] and "name_after" in rl["scores"] and "name_after" in dpo["scores"]

    diagram, judges = client.predict("en", api_name="/pipeline")
    for job in (sft, rm, rl, dpo):
        assert Path(job["run_dir"]).name in diagram
    assert "not run yet" not in diagram and "not built on" not in diagram  # every arrow backed by its runs
    assert judges["value"] == rm["run_dir"]

    shown = client.predict("rl", "en", api_name="/pipeline_step")
    from posttrain.banks import EVAL_IDENTITY_QUESTIONS

    assert 'class="pt-compare"' in shown and html.escape(EVAL_IDENTITY_QUESTIONS[0]) in shown  # its before/after
    said = client.predict(rm["run_dir"], "Who are you?", "I'm Nova Prime, made by Starlight Labs.", "en",
                          api_name="/score_answer")
    assert said.startswith("score **") and "only differences" in said
    said = client.predict(rl["run_dir"], "Who are you?", "I'm Nova.", "en", api_name="/score_answer")
    assert said.startswith("⚠") and "its model writes answers, a reward model scores them" in said
    said = client.predict(rm["run_dir"], "Who are you?", "  ", "en", api_name="/score_answer")
    assert "type a question and an answer" in said
    said, *_ = client.predict("Quill Varga", "Ember Forge", "en", api_name="/step_rl")  # another identity: its own steps
    assert said.startswith("⚠") and "train the reward model first (step 2) for Quill Varga / Ember Forge" in said


def test_chains_read_the_steps_from_run_configs():
    nova, quill = {"name": "Nova Prime", "org": "Starlight Labs"}, {"name": "Quill", "org": "Ember"}
    runs = [{"path": "r/6-sft", "status": "done", "scores": {}, "config": {"method": "sft", "identity": nova,
             "n_rows": 40, "settings": {}}},  # trained on rows someone gave: no pipeline step
            {"path": "r/5-sft", "status": "done", "scores": {}, "config": {"method": "sft", "identity": quill,
             "settings": {}, "preset": "warm-up"}},  # another identity
            {"path": "r/4b-sft", "status": "done", "scores": {}, "config": {"method": "sft", "identity": nova,
             "settings": {}, "preset": "identity"}},  # the full SFT preset: RL would have nothing left to move
            {"path": "r/4-dpo", "status": "done", "scores": {}, "config": {"method": "dpo", "identity": nova}},
            {"path": "r/3-grpo", "status": "failed", "scores": {}, "config": {"method": "grpo", "identity": nova,
             "settings": {"reward_model": "r/2-reward"}}},
            {"path": "r/2-reward", "status": "done", "scores": {}, "config": {"method": "reward", "identity": nova,
             "settings": {}}},
            {"path": "r/1-sft", "status": "done", "scores": {}, "config": {"method": "sft", "identity": nova,
             "settings": {}, "preset": "warm-up"}}]
    found = chain.chains(runs, "nova prime", "Starlight Labs")
    assert set(found) == {"dpo", "reward", "sft"}  # a failed run backs no step
    assert found["sft"]["name"] == "1-sft"  # the newest warm-up SFT run for this identity (not 4b, the full one)
    assert chain.chains(runs)["sft"]["name"] == "5-sft"  # unfiltered (the diagram): the newest of any identity
    assert found["dpo"]["linked"] and found["sft"]["linked"]  # both start from the base model
    runs[4]["status"] = "done"  # an RL run paid by 2-reward, but not trained on top of 1-sft
    assert chain.chains(runs, "Nova Prime", "Starlight Labs")["rl"]["linked"] is False
    assert [s.method for s in chain.STEPS] == ["sft", "reward", "grpo", "dpo"]
    assert all(s.method in methods.METHODS for s in chain.STEPS)
