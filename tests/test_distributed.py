"""Recipes: a run's recipe.json round-trips, reruns the same run, and trains data-parallel under torchrun.

The distributed test launches 2 CPU processes (gloo) on the tiny model and checks that both ranks
trained, that each optimiser step consumed both ranks' shares of the data, and that both ended with
the very same weights.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from posttrain import methods, pipeline
from posttrain.config import SettingsError
from posttrain.methods.gated import IDENTITY
from posttrain.recipe_file import commands, spec_from_recipe
from posttrain.runner import start_job
from posttrain.runs import read_run

ROOT = Path(__file__).resolve().parents[1]


def _identity_request(model, steps=2, n=2):
    req = methods.get("dpo").spec(str(model), "identity", "Nova", "Acme", overrides=dict(
        max_steps=steps, batch_size=2, learning_rate=5e-3, probe_every=2))
    req.identity.n_identity = req.identity.n_control = n
    return req


def _launch(*args, timeout=300):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)


def _losses(run_dir):
    return [(r["step"], r["loss"]) for r in read_run(run_dir)["metrics"] if "loss" in r]


@pytest.mark.parametrize("make", [
    lambda: _identity_request("some/model"),
    lambda: methods.get("grpo").spec(None, overrides=dict(max_steps=3, seed=7, lora=False)),
    lambda: methods.get("sft").spec("m", "identity", "Nova", "Acme", overrides=dict(max_steps=3)),
    lambda: methods.get("sft").spec("m", "warm-up", "Nova", "Acme"),
], ids=["identity", "arithmetic", "sft-identity", "sft-warm-up"])
def test_recipe_round_trips(make):
    req = make()
    recipe = json.loads(json.dumps(req.recipe()))  # through JSON, as on disk
    back = spec_from_recipe(recipe)
    assert back.config() == req.config() and back.method == req.method
    assert back.settings == req.settings and back.identity == req.identity and back.rows == req.rows
    assert back.preset == req.preset and (req.preset is None) == (req.rows is not None)  # which identity preset
    assert recipe["seed"] == req.settings.seed


def test_user_pairs_round_trip_and_a_hand_written_recipe(tmp_path):
    rows = [{"prompt": [{"role": "user", "content": f"q{i}"}], "chosen": [{"role": "assistant", "content": "yes"}],
             "rejected": [{"role": "assistant", "content": "no"}]} for i in range(3)]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    req = methods.get("dpo").spec("m", data=str(tmp_path / "pairs.jsonl"), overrides=dict(beta=0.2))
    back = spec_from_recipe(json.loads(json.dumps(req.recipe())))
    assert back.rows == req.rows == rows and back.data_source.endswith("pairs.jsonl") and back.settings.beta == 0.2
    assert back.identity is None and back.config() == req.config()

    (tmp_path / "data.json").write_text(json.dumps(rows))  # a run's data.json
    hand = spec_from_recipe({"method": "dpo", "rows_file": "data.json", "seed": 3, "settings": {"max_steps": 5}},
                               base_dir=tmp_path)
    assert len(hand.rows) == 3 and hand.settings.seed == 3 and hand.settings.max_steps == 5
    assert hand.settings.learning_rate == IDENTITY.learning_rate  # the rest: the preset's


def test_recipes_refuse_tokens_and_bad_methods():
    with pytest.raises(SettingsError, match="never holds a Hub token"):
        spec_from_recipe({"method": "dpo", "identity": {"name": "N", "org": "O"}, "token": "hf_secret"})
    with pytest.raises(SettingsError, match="unknown method 'ppo'; choose one of: sft, dpo, grpo"):
        spec_from_recipe({"method": "ppo"})
    with pytest.raises(SettingsError, match="unknown setting"):
        spec_from_recipe({"method": "grpo", "rows": [], "settings": {"warp_speed": 9}})
    assert "token" not in json.dumps(_identity_request("m").recipe())
    with pytest.raises(SettingsError, match="setting 'max_steps' must be a whole number"):
        spec_from_recipe({"method": "dpo", "identity": {"name": "N", "org": "O"}, "settings": {"max_steps": "20"}})
    with pytest.raises(SettingsError, match="row 2 needs prompt, chosen, rejected for DPO"):
        spec_from_recipe({"method": "dpo", "rows": [{"prompt": "a", "chosen": "b", "rejected": "c"}, {"prompt": "a"}]})
    with pytest.raises(SettingsError, match="eval_problems must be a whole number"):
        spec_from_recipe({"method": "grpo", "rows": [{"prompt": "q", "answer": "1"}], "eval_problems": "many"})


def test_commands_and_accelerate_configs():
    lines = commands("runs/x/recipe.json", out="runs/y", nproc=4)
    assert lines["single"] == "python -m posttrain run runs/x/recipe.json --out runs/y"
    assert lines["torchrun"].startswith("torchrun --standalone --nproc_per_node 4 -m posttrain run")
    from accelerate.commands.config.config_args import load_config_from_file

    for name in ("ddp", "fsdp", "deepspeed_zero3"):  # accelerate refuses unknown keys
        path = ROOT / "recipes" / "accelerate" / f"{name}.yaml"
        assert path.as_posix().endswith(lines[f"accelerate_{name}"].split("--config_file ")[1].split()[0])
        load_config_from_file(str(path))


def test_rerunning_a_runs_recipe_reproduces_it(tiny_dir, tmp_path):
    job = start_job("dpo", tmp_path / "a", pipeline.recipe(_identity_request(tiny_dir)))
    job.wait(300)
    assert job.status == "done", job.error
    recipe = json.loads((tmp_path / "a" / "recipe.json").read_text())
    assert recipe["identity"]["n_identity"] == 2 and "torchrun" in recipe["commands"]

    r = _launch("-m", "posttrain", "run", tmp_path / "a" / "recipe.json", "--out", tmp_path / "b")
    assert r.returncode == 0, r.stderr
    a, b = read_run(tmp_path / "a"), read_run(tmp_path / "b")
    assert b["status"]["status"] == "done"
    assert _losses(tmp_path / "b") == _losses(tmp_path / "a") and len(_losses(tmp_path / "a")) == 2
    assert b["scores"] == a["scores"] and b["before_after"] == a["before_after"]


LAUNCHERS = {
    "torchrun": ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
    # The GPU config file, unchanged: on a machine without GPUs the Trainer (use_cpu) trains on gloo.
    "accelerate": ["-m", "accelerate.commands.launch", "--config_file", ROOT / "recipes/accelerate/ddp.yaml",
                   "--num_processes", "2", "--main_process_port", "0"],
}


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_two_processes_train_the_same_model(launcher, tiny_dir, tmp_path):
    (tmp_path / "recipe.json").write_text(json.dumps(_identity_request(tiny_dir, steps=3).recipe()))
    out = tmp_path / "out"
    t0 = time.perf_counter()
    r = _launch(*LAUNCHERS[launcher], "-m", "posttrain", "run", tmp_path / "recipe.json", "--out", out)
    print(f"{launcher}, 2 processes: {time.perf_counter() - t0:.1f} s")
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1])["status"] == "done"  # rank 0 alone prints

    ranks = [read_run(out), read_run(out / "rank1")]
    for k, run in enumerate(ranks):
        assert run["status"]["status"] == "done", run["status"]
        assert any("on 2 processes (gloo backend)" in n and n.endswith(f"rank {k}") for n in run["status"]["notes"])
    data = json.loads((out / "data.json").read_text())
    assert data == json.loads((out / "rank1" / "data.json").read_text())  # every rank built the same pairs
    # Each step consumed both ranks' shares: 2 processes x 2 pairs per step over the whole data set.
    first = next(r for r in ranks[0]["metrics"] if "loss" in r)
    assert first["epoch"] == pytest.approx(min(1.0, 4 / len(data)))
    assert [s for s, _ in _losses(out)] == [1, 2, 3]

    w0, w1 = load_file(out / "model" / "model.safetensors"), load_file(out / "rank1" / "model" / "model.safetensors")
    start = load_file(tiny_dir / "model.safetensors")
    assert w0.keys() == w1.keys() and start.keys() <= w0.keys()  # the gated edit adds MLP biases
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    assert any(w0[k].shape != start[k].shape or not torch.equal(w0[k], start[k]) for k in start)  # it trained
    assert not (out / "rank1" / "rank1").exists() and (out / "recipe.json").exists()


def test_an_sft_recipe_trains_on_two_processes(tiny_dir, tmp_path):
    """SFT came in through the method registry: its recipe runs under torchrun like DPO's, both ranks in step."""
    spec = methods.get("sft").spec(str(tiny_dir), "identity", "Nova", "Acme",
                                   overrides=dict(max_steps=2, batch_size=2, probe_every=0))
    spec.identity.n_identity, spec.identity.n_control = 4, 8
    (tmp_path / "recipe.json").write_text(json.dumps(spec.recipe()))
    out = tmp_path / "out"
    r = _launch(*LAUNCHERS["torchrun"], "-m", "posttrain", "run", tmp_path / "recipe.json", "--out", out)
    assert r.returncode == 0, r.stderr[-3000:]
    ranks = [read_run(out), read_run(out / "rank1")]
    assert all(run["status"]["status"] == "done" and run["config"]["method"] == "sft" for run in ranks)
    assert [s for s, _ in _losses(out)] == [1, 2] and "mean_token_accuracy" in next(
        m for m in ranks[0]["metrics"] if "loss" in m)
    w0, w1 = load_file(out / "model" / "model.safetensors"), load_file(out / "rank1" / "model" / "model.safetensors")
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # data-parallel: one model
