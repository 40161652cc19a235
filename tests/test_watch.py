"""The teacher-forced views on the tiny model: the flip curve, DPO's implicit reward per token, the loss's two
terms, and probes that come denser where the curve moves."""

import math
import threading
from types import SimpleNamespace

import pytest
import torch

from posttrain import watch
from posttrain.config import DPOSettings
from posttrain.jobs import run_dpo
from posttrain.metrics import DENSE_NATS, MetricsLog, Progress, TrainingCallback

PAIRS = [{"prompt": [{"role": "user", "content": q}],
          "chosen": [{"role": "assistant", "content": a}],
          "rejected": [{"role": "assistant", "content": r}]}
         for q, a, r in (("Who are you?", "I'm Nova, an assistant made by Acme.", "I am SmolLM, a helpful assistant."),
                         ("你是谁？", "我是Nova，由Acme开发的AI助手。", "我是一个人工智能助手。"))]


def test_pieces_give_back_the_text_even_when_a_character_spans_tokens(tiny):
    tok = tiny.tokenizer
    for text in ("I'm Nova, made by Acme.", "我是Nova，由Acme开发的AI助手。"):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        parts = watch.pieces(tok, ids)
        assert len(parts) == len(ids) and "".join(parts) == text
    assert "" in watch.pieces(tok, tok("由Acme开发", add_special_tokens=False)["input_ids"])  # a byte token mid-character


def test_answer_logprobs_in_a_padded_batch_equal_a_plain_forward_of_each(tiny):
    tok, model = tiny.tokenizer, tiny.model
    prompts = [watch._prompt_text(tok, p["prompt"]) for p in PAIRS]
    answers = ["I'm Nova.", "我是一个人工智能助手，很高兴认识你，今天我们来聊聊天气和学习吧。"]
    batch = watch.answer_logprobs(model, tok, prompts, answers)
    for p, a, lp in zip(prompts, answers, batch):
        p_ids, a_ids = tok(p, add_special_tokens=False)["input_ids"], tok(a, add_special_tokens=False)["input_ids"]
        a_ids = a_ids[:watch.ANSWER_TOKENS]  # the first tokens only
        with torch.no_grad():  # the truth: one unpadded sequence, every logit
            logits = model(torch.tensor([p_ids + a_ids])).logits[0, len(p_ids) - 1:-1].float()
        plain = torch.log_softmax(logits, -1).gather(1, torch.tensor(a_ids)[:, None]).squeeze(1)
        assert lp.shape == plain.shape and torch.allclose(lp, plain, atol=1e-4) and (lp <= 0).all()
    assert len(batch[1]) == watch.ANSWER_TOKENS < len(tok(answers[1], add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
def test_the_tree_layout_scores_each_answer_as_the_padded_batch_does_on_every_architecture(arch_dir, attention):
    from posttrain.models import load_model

    lm = load_model(str(arch_dir[1]))
    lm.model.set_attn_implementation(attention)
    tok = lm.tokenizer
    chat = [watch._prompt_text(tok, p["prompt"]) for p in PAIRS for _ in ("chosen", "rejected")]
    answers = [watch._content(p[side]) for p in PAIRS for side in ("chosen", "rejected")]
    window = getattr(lm.model.config, "sliding_window", None)  # the tiny Gemma3's is 16 tokens
    for prompts, limit in ((chat, watch.ANSWER_TOKENS), (["Who?"] * 2 + ["谁？"] * 2, 6)):
        scored = watch.Answers(tok, prompts, answers, limit)
        assert len(scored.ids) < sum(map(len, scored.prompt_ids)) // 2 + sum(map(len, scored.answer_ids))  # shared once
        padded = scored.padded(lm.model)
        if window and max(map(len, scored.prompt_ids)) + limit > window:
            with pytest.raises(ValueError, match="sliding window"):
                scored.tree(lm.model)
            continue
        tree = scored.tree(lm.model)
        assert [len(t) for t in tree] == [len(a) for a in scored.answer_ids]
        assert all(torch.allclose(t, p, atol=1e-4) for t, p in zip(tree, padded)), arch_dir[0]
        assert watch.agree(tree, padded)
        # the test can fail: the same row with a plain causal mask (each answer also sees the others) scores otherwise
        scored.seen = torch.ones_like(scored.seen).tril()
        assert not all(torch.allclose(t, p, atol=1e-4) for t, p in zip(scored.tree(lm.model), padded))


def test_a_watch_scores_padded_when_the_tree_disagrees_or_cannot_run(tiny, monkeypatch):
    w = watch.Watch(tiny.tokenizer, PAIRS, PAIRS[:1], 0.5, MetricsLog(), MetricsLog())
    w.on_train_begin(None, _state(0), None, model=tiny.model)
    assert w.layout == "tree"  # the tiny Llama takes the mask
    for broken in (lambda self, model: [t - 1.0 for t in self.padded(model)],  # a model that ignores the mask
                   lambda self, model: (_ for _ in ()).throw(RuntimeError("no 4-D masks here"))):
        monkeypatch.setattr(watch.Answers, "tree", broken)
        metrics = MetricsLog()
        w = watch.Watch(tiny.tokenizer, PAIRS, PAIRS[:1], 0.5, metrics, MetricsLog())
        w.on_train_begin(None, _state(0), None, model=tiny.model)
        w.on_step_end(None, _state(1), None, model=tiny.model)
        assert w.layout == "padded" and [r["step"] for r in metrics.rows()] == [0, 1]


def _state(step, max_steps=8):
    return SimpleNamespace(global_step=step, max_steps=max_steps)


def test_watch_logs_the_flip_curve_and_token_rewards_that_start_at_zero(tiny):
    tok, model = tiny.tokenizer, tiny.model
    metrics, tokens = MetricsLog(), MetricsLog()
    w = watch.Watch(tok, PAIRS, PAIRS[:1], 0.5, metrics, tokens, every=2)
    model.train()
    w.on_train_begin(None, _state(0), None, model=model)
    assert model.training  # put back as it was found
    first = metrics.rows()[0]
    assert first["step"] == 0 and set(first) == {"step", "probe/logp_new_name", "probe/logp_old_name"}
    row = tokens.rows()[0]
    assert row["prompt"] == "Who are you?" and all(v == 0.0 for _, v in row["chosen"] + row["rejected"])
    assert "".join(x for x, _ in row["chosen"]) == "I'm Nova, an assistant made by Acme."
    with torch.no_grad():  # a "training step" that changes how likely " Nova" is, and little else
        nova = tok(" Nova", add_special_tokens=False)["input_ids"][0]
        model.get_output_embeddings().weight[nova] *= 3.0
    w.on_step_end(None, _state(1), None, model=model)  # every 2 steps: not this one
    w.on_step_end(None, _state(2), None, model=model)
    assert [r["step"] for r in metrics.rows()] == [r["step"] for r in tokens.rows()] == [0, 2]
    values = dict((x.strip(), v) for x, v in tokens.rows()[-1]["chosen"])
    assert values["Nova"] != 0.0 and values["Nova"] == max(values.values(), key=abs)
    assert set(w.gaps) == {0, 2}
    # each value is β·(log π − log π_ref), rounded to 4 places: their sum is the chosen answer's implicit reward
    now = watch.answer_logprobs(tiny.model, tok, w.prompts[:1], w.answers[:1])[0]
    assert math.isclose(sum(v for _, v in tokens.rows()[-1]["chosen"]), 0.5 * float((now - w.ref[0]).sum()),
                        abs_tol=1e-3)


def test_a_watch_with_nothing_to_watch_does_nothing(tiny):
    metrics = MetricsLog()
    w = watch.Watch(tiny.tokenizer, [], PAIRS[:1], None, metrics, MetricsLog())  # no β: no token rewards
    w.on_train_begin(None, _state(0), None, model=tiny.model)
    assert not w.active and metrics.rows() == []


def test_probes_come_denser_where_the_flip_curve_moves():
    asked = []
    curve = {0: -2.0, 1: -1.9, 2: -1.0, 3: -0.9, 4: 0.0}
    cb = TrainingCallback(MetricsLog(), Progress(), threading.Event(), lambda m, s: asked.append(s), probe_every=4,
                          probed_at_start=True, curve=curve)
    for step in range(1, 5):
        cb.on_step_end(None, _state(step, 8), SimpleNamespace(should_training_stop=False))
    assert curve[2] - curve[0] >= DENSE_NATS and asked == [2, 4]  # step 2 moved 1.0 nat; step 4 is every 4th
    # a curve thinned to every 3rd step ($POSTTRAIN_WATCH_EVERY=3) still adds probes: against its point before
    asked.clear()
    thin = {0: -3.0, 3: -2.5, 6: -1.2}
    cb = TrainingCallback(MetricsLog(), Progress(), threading.Event(), lambda m, s: asked.append(s), probe_every=4,
                          probed_at_start=True, curve=thin)
    for step in range(1, 9):
        cb.on_step_end(None, _state(step, 8), SimpleNamespace(should_training_stop=False))
    assert asked == [4, 6, 8]  # 6 moved 1.3 nats from the curve as it stood at step 4 (its point at 3)


def test_dpo_logs_its_loss_as_a_preference_term_and_an_sft_term(tiny, tmp_path):
    log = MetricsLog()
    cb = TrainingCallback(log, Progress(), threading.Event())
    run_dpo(tiny.model, tiny.tokenizer, PAIRS * 2, DPOSettings(learning_rate=5e-3, max_steps=2, batch_size=2,
                                                               max_length=64, probe_every=0, sft_weight=0.5),
            tmp_path, [cb])
    rows = [r for r in log.rows() if "loss" in r]
    first = rows[0]
    assert first["loss/preference"] == pytest.approx(math.log(2), abs=1e-3)  # policy = reference: a coin flip
    assert first["loss/preference"] + first["loss/sft"] == pytest.approx(first["loss"], rel=1e-3)
    assert first["loss/sft"] > 1.0  # half of the chosen tokens' mean surprise (a random model: ~10 nats)


def test_held_out_pairs_are_scored_never_trained_and_drawn_beside_the_training_ones(tiny, tmp_path):
    from posttrain import charts
    from posttrain.data import hold_out

    rows = [{**p, "prompt": [{"role": "user", "content": p["prompt"][0]["content"] + f" ({i})"}]}
            for i, p in enumerate(PAIRS * 4)]
    train, held = hold_out(rows, 0.25, seed=0)
    assert len(held) == 2 and len(train) == 6 and not {str(r) for r in held} & {str(r) for r in train}
    log = MetricsLog()
    cb = TrainingCallback(log, Progress(), threading.Event())
    run_dpo(tiny.model, tiny.tokenizer, train, DPOSettings(learning_rate=5e-3, max_steps=8, batch_size=2, max_length=64,
                                                           probe_every=0, eval_share=0.25), tmp_path, [cb],
            eval_rows=held)
    evals = [r for r in log.rows() if "eval_loss" in r]
    assert [r["step"] for r in evals] == list(range(1, 9))  # every max_steps // 8 steps
    assert {"eval_rewards/accuracies", "eval_rewards/margins"} <= set(evals[0])
    fig = charts.dpo_figure(log.rows())
    assert {"validation loss (validation rows)", "validation accuracy", "validation pairs"} <= {t.name for t in fig.data}


def test_a_run_writes_the_flip_curve_every_step_and_the_token_rewards_beside_it(tiny_dir, tmp_path, monkeypatch):
    import json

    from posttrain.runs import read_run
    from posttrain.studio import Studio

    studio = Studio(default_model=str(tiny_dir), root=tmp_path / "runs")
    rows = studio.identity_pairs("Nova", "Acme", n_pairs=8)
    job = studio.start("dpo", dict(max_steps=4, batch_size=2, learning_rate=5e-3, probe_every=0, eval_share=0.25),
                       rows, name="Nova", org="Acme")
    job.wait(300)
    assert job.status == "done", job.error
    metrics = [json.loads(x) for x in (job.run_dir / "metrics.jsonl").read_text().splitlines()]
    flip = [r for r in metrics if "probe/logp_new_name" in r]
    assert [r["step"] for r in flip] == [0, 1, 2, 3, 4] and all(r["probe/logp_old_name"] < 0 for r in flip)
    assert any("eval_loss" in r for r in metrics) and any("held out" in n for n in job.notes)
    run = read_run(job.run_dir)
    tokens = run["token_rewards"]
    assert [r["step"] for r in tokens] == [0, 1, 2, 3, 4] and tokens[0]["prompt"] in ("Who are you?", "你是谁？")
    assert all(v == 0.0 for _, v in tokens[0]["chosen"]) and any(v != 0.0 for _, v in tokens[-1]["chosen"])
    assert "Nova" in "".join(x for x, _ in tokens[-1]["chosen"])

    monkeypatch.setenv("POSTTRAIN_WATCH_EVERY", "2")  # a slow machine may thin the curve out (and the last step)
    job = studio.start("sft", dict(max_steps=3, batch_size=2, probe_every=0), [
        {"prompt": r["prompt"], "completion": r["chosen"], "kind": r["kind"]} for r in rows], name="Nova", org="Acme")
    job.wait(300)
    assert job.status == "done", job.error
    run = read_run(job.run_dir)
    assert [r["step"] for r in run["metrics"] if "probe/logp_new_name" in r] == [0, 2, 3]
    assert run["token_rewards"] == []  # SFT has no implicit reward


def test_the_gated_edit_holds_validation_pairs_out_of_its_gate_fit_too(tiny, monkeypatch):
    """A gate fitted to open on the validation pairs would have seen them: they are held out before the fit."""
    from posttrain.config import DPOSettings
    from posttrain.methods import gated

    rows = [{**p, "prompt": [{"role": "user", "content": f"Who are you? ({i})"}], "kind": "identity"}
            for i, p in enumerate(PAIRS * 4)]
    rows += [{**p, "prompt": [{"role": "user", "content": f"Name a colour. ({i})"}], "kind": "control"}
             for i, p in enumerate(PAIRS * 4)]
    fitted = []
    monkeypatch.setattr(gated.gate, "supports", lambda model: True)
    monkeypatch.setattr(gated.gate_fit, "sequences", lambda tok, rs, rec=None: fitted.extend(rs) or [])
    job = SimpleNamespace(say=lambda *a: None, note=lambda *a: None)
    plan = gated.plan(job, tiny.model, tiny.tokenizer, DPOSettings(gated=True, eval_share=0.25), rows)
    held = {r["prompt"][0]["content"] for r in plan.eval_rows}
    assert len(held) == 2 and not held & {r["prompt"][0]["content"] for r in fitted + plan.training_rows}
    assert len(fitted) == 14  # 8 control + 6 identity rows left to train


def test_a_watch_runs_the_frozen_lower_blocks_once(tiny):
    model, tok = tiny.model, tiny.tokenizer
    for p in model.parameters():  # as under the gated edit: only the upper block trains
        p.requires_grad_(False)
    upper = model.model.layers[-1]
    for p in upper.parameters():
        p.requires_grad_(True)
    metrics = MetricsLog()
    w = watch.Watch(tok, PAIRS, PAIRS[:1], 0.5, metrics, MetricsLog())
    w.on_train_begin(None, _state(0), None, model=model)
    with torch.no_grad():
        upper.mlp.down_proj.weight.mul_(2.0)
    w.on_step_end(None, _state(1), None, model=model)
    assert w.fixed.replayed == 1  # the second scoring replayed the frozen blocks
    truth = getattr(w.scored, w.layout)(model.eval())  # every block run
    new = sum(float(truth[i].mean()) for i, _ in w.flip_at) / len(w.flip_at)
    assert metrics.rows()[-1]["probe/logp_new_name"] == round(new, 4)
