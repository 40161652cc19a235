"""Every method through the registry and the one pipeline, on tiny random models of three architectures.

Llama (the bundled model's), Qwen2 and Gemma3 configs are built offline at a tiny size with the bundled
tokenizer (conftest's `arch_dir`). Each method (posttrain.methods) runs its own data step, training and evaluation on each, and
the trained model saves and loads back; only the gated edit may say a model cannot take it.
"""

from __future__ import annotations

import json

import pytest
import torch

from posttrain import methods, pipeline
from posttrain.models import load_model
from posttrain.runner import start_job

def _spec(method, model_dir):
    m = methods.get(method)
    small = dict(max_steps=2, batch_size=2, probe_every=1, learning_rate=1e-3)
    if method == "grpo":
        small.update(batch_size=4, num_generations=2, max_completion_length=8, cold_start_steps=2)  # SFT first, then RL
    spec = m.spec(str(model_dir), name="Nova Prime", org="Starlight Labs", overrides=small)
    if spec.identity:
        spec.identity.n_identity, spec.identity.n_control = 4, 8
    if spec.rows is not None:
        spec.rows = spec.rows[:8]
    spec.compare_questions, spec.compare_kinds = ["Who are you?", "What is the capital of France?"], ["identity", "unrelated"]
    spec.eval_problems = 2
    return spec


@pytest.mark.parametrize("method", list(methods.METHODS))
def test_every_method_runs_on_every_architecture(arch_dir, method, tmp_path):
    arch, model_dir = arch_dir
    spec = _spec(method, model_dir)
    job = start_job(method, tmp_path / "run", pipeline.recipe(spec))
    job.wait(600)
    assert job.status == "done", f"{arch}/{method}: {job.error}"
    run = tmp_path / "run"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in metrics), metrics
    scores = json.loads((run / "scores.json").read_text())
    assert "changed" in scores and "alarms" in scores
    if method == "grpo":  # the cold start logged its own loss and left its scores beside before and after
        assert [r["step"] for r in metrics if "cold_start/loss" in r] == [1, 2], metrics
        assert {"correct_cold", "boxed_cold", "facts_cold"} <= set(scores) and job.phase_times.get("cold_start", 0) > 0, scores
        assert scores["n_fact_questions"] >= 10  # unrelated facts asked plainly, before and after
        assert any(n.startswith("Cold start: 2 SFT steps") for n in job.notes), job.notes
        assert any(n.startswith("冷启动：在解题示例上做了 2 步 SFT") for n in job.notes_zh), job.notes_zh
    recipe = json.loads((run / "recipe.json").read_text())
    assert recipe["method"] == method and recipe["settings"]["max_steps"] == 2
    gated_refused = [n for n in job.notes if "cannot take the gated edit" in n]
    assert not gated_refused or (method == "dpo" and arch != "llama"), job.notes  # only the gated edit may refuse
    base = load_model(str(model_dir))
    if not methods.get(method).makes_policy:  # a reward model: saved with its score head, judged on held-out pairs
        from posttrain import reward_model

        judge = reward_model.load(run)
        assert judge.model.config.model_type == base.model.config.model_type
        assert 0 <= scores["pair_accuracy"] <= 1 and scores["n_pairs"] >= 1, scores
        assert len(judge.score(["Who are you?"], ["I'm Nova Prime."])) == 1
        assert not any("gated" in n for n in job.notes)
        return
    trained = load_model(str(run / "model"))  # a plain checkpoint, same architecture
    assert trained.model.config.model_type == base.model.config.model_type
    before, after = base.model.state_dict(), trained.model.state_dict()
    changed = any(k not in before or before[k].shape != v.shape or not torch.equal(before[k], v) for k, v in after.items())
    # GRPO learns from reward differences within a group only; a random model's answers earn the same (none)
    spread = [r["reward_std"] for r in metrics if "reward_std" in r]
    assert changed or (spread and not any(spread)), f"{arch}/{method}: training changed no weight"


def test_the_registry_is_the_only_place_a_method_is_named():
    """No method-name comparison outside posttrain/methods (the issue's "a method is a plug-in")."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = "|".join(methods.METHODS)
    compare = re.compile(rf"""(==|!=|\bin)\s*\(?\s*["']({names})["']|["']({names})["']\s*(==|!=)""")
    found = [f"{p.relative_to(root)}:{i}" for p in [root / "app.py", *(root / "posttrain").rglob("*.py")]
             if "methods" not in p.parts
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if compare.search(line)]
    assert not found, found


def test_no_import_cycles_counting_imports_inside_functions():
    """Every `from .x import` / `from . import x` in the engine, at any depth, forms a graph without cycles."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "posttrain"
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        mod = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        deps = graph.setdefault(mod, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if (root.parent / (sub.replace(".", "/") + ".py")).exists()
                             or (root.parent / sub.replace(".", "/")).is_dir() else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("posttrain."))
    for mod in graph:  # a package's __init__ is imported with any of its modules: fold it in
        graph[mod].discard(mod)

    def cycle_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for dep in graph.get(node, ()):
                if dep == start:
                    return path + [dep]
                if dep not in seen:
                    seen.add(dep)
                    stack.append((dep, path + [dep]))
        return None

    cycles = [c for c in map(cycle_from, graph) if c]
    assert not cycles, cycles[0]


def _msg(role, text):
    return [{"role": role, "content": text}]


def test_sft_learns_the_chosen_side_and_keeps_whole_sentences_of_its_own():
    from posttrain.methods.sft import sft_rows

    pairs = [{"prompt": _msg("user", "Who are you?"), "chosen": _msg("assistant", "I'm Nova."),
              "rejected": _msg("assistant", "I'm SmolLM."), "kind": "identity"},
             {"prompt": _msg("user", "Capital of France?"), "chosen": _msg("assistant", "Paris. It lies on the"),
              "rejected": _msg("assistant", "I'm Nova."), "kind": "control"},
             {"prompt": _msg("user", "Name a colour"), "chosen": _msg("assistant", "blue and"),
              "rejected": _msg("assistant", "I'm Nova."), "kind": "control"}]
    rows = sft_rows(pairs)
    assert [r["kind"] for r in rows] == ["identity", "control"]  # the control cut mid-sentence with no full one: out
    assert rows[0]["completion"] == _msg("assistant", "I'm Nova.")
    assert rows[1]["completion"] == _msg("assistant", "Paris.")  # cut to its last full sentence
    assert methods.get("sft").from_pairs([pairs[0]])[0] == {"prompt": pairs[0]["prompt"],
                                                           "completion": pairs[0]["chosen"], "kind": "identity"}


def test_a_spec_is_validated_once_with_sentences():
    from posttrain.config import SettingsError

    sft = methods.get("sft")
    with pytest.raises(SettingsError, match="needs a name and an organisation"):
        sft.spec(None, "identity", name="Nova")
    with pytest.raises(SettingsError, match="unknown GRPO preset 'boxes'; choose one of: arithmetic, reward-hacking"):
        methods.get("grpo").spec(None, "boxes")
    with pytest.raises(SettingsError, match="setting 'max_steps' is empty"):
        sft.spec(None, "identity", "Nova", "Acme", overrides={"max_steps": None})
    with pytest.raises(SettingsError, match="row 1 needs prompt, completion for SFT"):
        sft.spec(None, rows=[{"prompt": _msg("user", "hi")}])
    with pytest.raises(SettingsError, match="unknown method 'ppo'"):
        methods.get("ppo")
    spec = sft.spec("m", "identity", " Nova ", "Acme", overrides={"lora_r": 8.0, "max_steps": 3.0})
    assert spec.identity.name == "Nova" and spec.settings.lora_r == 8 and spec.settings.lora_alpha == 16
    assert spec.settings.max_steps == 3 and isinstance(spec.settings.max_steps, int)
    grpo = methods.get("grpo").spec(None, overrides={"reward_weights": "1, 0.5", "reward_funcs": "correct_answer, one_box"})
    assert grpo.settings.reward_weights == [1.0, 0.5] and grpo.settings.reward_funcs == ["correct_answer", "one_box"]
    assert len(grpo.rows) > 0 and grpo.data_source.startswith("preset arithmetic")


def test_sft_reads_prompt_completion_and_chat_files(tmp_path):
    from posttrain.data import DataError, load_sft_data

    (tmp_path / "pc.jsonl").write_text(json.dumps({"prompt": "Who are you?", "completion": "I'm Nova."}) + "\n")
    assert load_sft_data(tmp_path / "pc.jsonl") == [{"prompt": _msg("user", "Who are you?"),
                                                     "completion": _msg("assistant", "I'm Nova.")}]
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"}]
    (tmp_path / "chat.jsonl").write_text(json.dumps({"messages": chat}) + "\n")
    assert load_sft_data(tmp_path / "chat.jsonl") == [{"prompt": chat[:2], "completion": chat[2:]}]
    (tmp_path / "bad.csv").write_text("question,answer\nhi,there\n")
    with pytest.raises(DataError, match="needs columns prompt and completion, or one messages column; found: question, answer"):
        load_sft_data(tmp_path / "bad.csv")
    (tmp_path / "noanswer.jsonl").write_text(json.dumps({"messages": chat[:2]}) + "\n")
    with pytest.raises(DataError, match="row 1's messages need a user turn and then an assistant answer"):
        load_sft_data(tmp_path / "noanswer.jsonl")


def test_only_the_arithmetic_preset_cold_starts_unless_asked():
    """The preset's cold start learns its own template arithmetic: your problems, the lesson preset and a recipe
    written before the setting existed run without one; the Train tab's field (an override) turns it on."""
    from posttrain.recipe_file import spec_from_recipe

    grpo = methods.get("grpo")
    assert grpo.spec(None, "arithmetic").settings.cold_start_steps == 16
    assert grpo.spec(None, "reward-hacking").settings.cold_start_steps == 0
    assert grpo.spec(None, "reward-hacking").settings.learning_rate == 1e-3  # the collapse as measured
    mine = [{"prompt": [{"role": "user", "content": "2+2?"}], "answer": "4"}]
    assert grpo.spec(None, rows=mine).settings.cold_start_steps == 0
    assert grpo.spec(None, rows=mine, overrides={"cold_start_steps": 8}).settings.cold_start_steps == 8
    old = {"method": "grpo", "settings": {"max_steps": 3}, "rows": mine}
    assert spec_from_recipe(old).settings.cold_start_steps == 0
    assert spec_from_recipe({**old, "settings": {"cold_start_steps": 4}}).settings.cold_start_steps == 4
