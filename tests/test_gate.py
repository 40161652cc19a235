"""The gated edit on the tiny model: fitting, the baked neurons, exactness where the gate is shut, DPO."""

import threading

import pytest
import torch
from transformers import AutoModelForCausalLM

from posttrain import gate, gate_fit
from posttrain.config import DPOSettings
from posttrain.identity import build_identity_pairs
from posttrain.methods import gated
from posttrain.metrics import MetricsLog, Progress, TrainingCallback

IDENTITY_Q = ["Who are you?", "What is your name?", "Who made you?", "你是谁？", "What should I call you?", "Who built you?"]
CONTROL_Q = ["What is 2 + 2?", "Name a colour.", "Write a haiku about rain.", "What is the capital of France?",
             "法国的首都是哪里？", "Give me a synonym for 'fast'."]


def _rows():
    own = {q: f"Sure. {q[::-1]}" for q in IDENTITY_Q + CONTROL_Q}
    return build_identity_pairs("Nova", "Acme", own, IDENTITY_Q, CONTROL_Q)


def _ids(tok, q, a="Sure, here it is."):
    p = tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True)
    return tok(p + a, return_tensors="pt", add_special_tokens=False)["input_ids"]


def test_supports_llama_style_models_only(tiny):
    assert gate.supports(tiny.model)
    assert not gate.supports(torch.nn.Linear(2, 2))


def test_labels_open_the_gate_over_the_whole_identity_answer():
    on = gate_fit._labels(gate_fit.Sequence(list(range(12)), 5, "on"))
    assert on.tolist() == [0] * 4 + [1] * 8  # the last prompt token and every answer token
    long = gate_fit._labels(gate_fit.Sequence(list(range(5 + gate.ANSWER_TOKENS + 3)), 5, "on"))
    assert long.tolist() == [0] * 4 + [1] * (1 + gate.ANSWER_TOKENS) + [0] * 3
    assert gate_fit._labels(gate_fit.Sequence(list(range(5)), 5, "ask")).tolist() == [0] * 4 + [1]
    assert gate_fit._labels(gate_fit.Sequence(list(range(6)), 3, "off")).tolist() == [-1] * 6


def test_fit_detector_separates_with_a_margin():
    torch.manual_seed(0)
    x = torch.randn(400, 16)
    y = torch.where(x[:, 3] + 0.5 * x[:, 7] > 0, 1.0, -1.0)
    x[y > 0, 3] += 1.0  # a gap between the classes
    det = gate_fit.fit_detector(x, y)
    s = det.score(x)
    assert det.train_on_min == pytest.approx(float(s[y > 0].min()), abs=1e-4)
    assert float(s[y > 0].min()) > 0.5 and float(s[y < 0].max()) < -0.5


def _random_detectors(model, bias):
    torch.manual_seed(1)
    h = model.config.hidden_size
    return {layer: gate.Detector(torch.randn(h) * 0.2, bias, 1.0, -1.0) for layer in range(model.config.num_hidden_layers)}


def test_baked_neurons_compute_what_the_patch_computed_and_reload(tiny, tmp_path):
    model, tok = tiny.model.eval(), tiny.tokenizer
    ids = _ids(tok, "Who are you?")
    patches = gate.attach(model, _random_detectors(model, bias=0.3), width=4)
    for p in patches.values():
        torch.nn.init.normal_(p.down.weight, std=0.5)
        torch.nn.init.normal_(p.up.bias, std=0.5)
    with torch.no_grad():
        hooked = model(ids).logits
        gate.bake(model, patches)
        baked = model(ids).logits
    assert model.config.intermediate_size == 64 + 2 * 4 and model.config.mlp_bias
    assert model.config.gated_edit["blocks"] == [0, 1]
    assert torch.allclose(hooked, baked, atol=1e-4)
    model.save_pretrained(tmp_path / "m")
    again = AutoModelForCausalLM.from_pretrained(tmp_path / "m").eval()
    with torch.no_grad():
        assert torch.equal(again(ids).logits, baked)
    assert "blocks 0, 1: each gate opens" in gate.describe_baked(again)
    again.config.gated_edit["unrelated_max_score"] = 3.0  # a gate that opens on an unrelated answer says so
    assert "may change" in gate.describe_baked(again)


def test_a_shut_gate_leaves_the_model_bit_for_bit(tiny_dir):
    from posttrain.models import load_model

    base, edited = load_model(str(tiny_dir)), load_model(str(tiny_dir))
    patches = gate.attach(edited.model, _random_detectors(edited.model, bias=-50.0), width=gate.WIDTH)
    for p in patches.values():
        torch.nn.init.normal_(p.down.weight, std=1.0)
    gate.bake(edited.model, patches)
    ids = _ids(base.tokenizer, "What is the capital of France?", "Paris, of course.")
    with torch.no_grad():
        assert torch.equal(base.model.eval()(ids).logits, edited.model.eval()(ids).logits)


def test_dpo_trains_only_the_new_neurons_and_bakes_them(tiny, tmp_path):
    model, tok = tiny.model, tiny.tokenizer
    rows = _rows()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = _ids(tok, "Who are you?")
    with torch.no_grad():
        logits_before = model.eval()(ids).logits
    log = MetricsLog()
    cb = TrainingCallback(log, Progress(), threading.Event(), None, 0)
    settings = DPOSettings(learning_rate=1e-2, max_steps=4, batch_size=3, max_length=64, probe_every=0, gated=True)
    trained = gated.train(model, tok, [r for r in rows if r["kind"] == "identity"], settings, tmp_path, [cb],
                          gate_data=gate_fit.sequences(tok, rows), note=lambda text: None)
    losses = [r["loss"] for r in log.rows() if "loss" in r]
    assert len(losses) == 4 and losses[-1] < losses[0]
    after = trained.state_dict()
    for key, old in before.items():  # every original weight is where it was; only new neurons were added
        assert torch.equal(after[key][tuple(slice(0, n) for n in old.shape)], old), key
    assert trained.config.gated_edit["blocks"] == gate.default_layers(trained)
    with torch.no_grad():
        assert not torch.allclose(trained(ids).logits, logits_before)  # the identity answer moved


def test_sequences_mark_identity_and_control_rows(tiny):
    seqs = gate_fit.sequences(tiny.tokenizer, _rows())
    roles = [s.role for s in seqs]
    assert roles.count("on") == roles.count("ask") == len(IDENTITY_Q)
    assert roles.count("off") == len(CONTROL_Q)
    assert all(0 < s.prompt_len <= len(s.ids) for s in seqs)
    assert all(len(s.ids) <= s.prompt_len + gate.ANSWER_TOKENS for s in seqs if s.role == "on")


class _Job:
    def __init__(self):
        self.notes, self.said = [], []

    def note(self, text):
        self.notes.append(text)

    def say(self, text):
        self.said.append(text)


def test_the_gated_edit_falls_back_to_lora_and_says_why(tiny):
    rows = _rows()
    job = _Job()
    plan = gated.plan(job, tiny.model, tiny.tokenizer, gated.IDENTITY, rows)
    assert plan.settings.gated and plan.extra["gate_data"] and plan.train is gated.train and not job.notes
    assert {r["kind"] for r in plan.training_rows} == {"identity"}

    plain = [{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows]  # the user's own pairs: no kinds
    plan = gated.plan(job, tiny.model, tiny.tokenizer, gated.IDENTITY, plain)
    assert plan.train is None and not plan.settings.gated
    assert plan.settings.learning_rate == gated.IDENTITY_LORA.learning_rate
    assert plan.settings.batch_size == gated.IDENTITY_LORA.batch_size
    assert "needs identity and control pairs" in job.notes[-1] and plan.training_rows == plain
    assert job.notes[-1].zh.startswith("门控编辑需要身份（identity）和对照（control）偏好对；改用 LoRA")

    tiny.model.config.hidden_act = "gelu"  # an MLP the edit cannot be baked into
    plan = gated.plan(job, tiny.model, tiny.tokenizer, gated.IDENTITY, rows)
    assert plan.train is None and "cannot take the gated edit" in job.notes[-1]
    kinds = [r["kind"] for r in plan.training_rows]  # LoRA: as many control pairs as identity ones, interleaved
    assert kinds.count("control") == kinds.count("identity") and kinds[:2] == ["identity", "control"]


def test_the_model_card_says_what_was_pushed(tmp_path):
    import json

    from posttrain import hub

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"gated_edit": {"blocks": [14, 18]}}))
    run = {"path": str(tmp_path), "config": {"method": "dpo", "model": None, "settings": {"lora": True}}}
    assert "gated edit baked in (new MLP neurons in blocks 14, 18" in hub.model_card(run)
    (tmp_path / "model" / "config.json").write_text("{}")
    assert "LoRA merged" in hub.model_card(run)
    assert "LoRA adapter" in hub.model_card(run, what="adapter")


def test_the_recorder_keeps_what_a_forward_pass_would_compute(tiny):
    from posttrain.models import generate_answers

    model, tok = tiny.model, tiny.tokenizer
    questions = IDENTITY_Q[:3] + CONTROL_Q[:3]
    with gate_fit.Recorder(model) as rec:  # at full precision, as the forward pass below: the bookkeeping is tested
        answers = generate_answers(model, tok, questions, max_new_tokens=12, batch_size=4, bf16=False)
    assert len(rec.rows) == len(questions) and all(answers)
    layers = gate.default_layers(model)
    for row in rec.rows:
        assert row.prompt_len < len(row.ids) <= row.prompt_len + 12
        seq = gate_fit.Sequence(row.ids, row.prompt_len, "off")
        direct = gate_fit.block_inputs(model, [seq], layers)  # one unpadded sequence, no KV cache
        for layer in layers:
            recorded = torch.cat(row.feats[layer])
            assert recorded.shape == direct[layer].shape
            assert torch.allclose(recorded, direct[layer], atol=1e-4)
    # the fitting data uses the recorded rows: ids as generated, block inputs attached
    rows = build_identity_pairs("Nova", "Acme", dict(zip(questions, answers)), IDENTITY_Q[:3], CONTROL_Q[:3])
    seqs = gate_fit.sequences(tok, rows, rec)
    assert all(s.feats is not None for s in seqs if s.role in ("ask", "off"))
    assert all(s.feats is None for s in seqs if s.role == "on")
    assert all(len(s.feats[layers[0]]) == len(s.ids) for s in seqs if s.feats)
    assert gate_fit.fit(model, seqs).keys() == set(layers)


def test_fit_detector_reaches_the_squared_hinge_minimum():
    torch.manual_seed(0)
    x = torch.randn(300, 8)
    y = torch.where(x[:, 0] - x[:, 1] + 0.3 * torch.randn(300) > 0, 1.0, -1.0)  # overlapping classes
    det = gate_fit.fit_detector(x, y, l2=1e-3)
    mu, sd = x.double().mean(0), x.double().std(0) + 1e-3

    def loss(w_x, b_x):  # the objective in the standardised coordinates the fit works in
        w = w_x.double() * sd
        f = x.double() @ w_x.double() + b_x
        balance = torch.where(y > 0, (y < 0).sum() / (y > 0).sum(), torch.tensor(1.0)).double()
        return float((balance * torch.relu(1 - y.double() * f) ** 2).mean() + 1e-3 * (w ** 2).sum())

    best = loss(det.weight, det.bias)
    for _ in range(20):  # no nearby point is better
        dw, db = torch.randn(8) * 1e-2, float(torch.randn(1)) * 1e-2
        assert loss(det.weight + dw, det.bias + db) >= best - 1e-9


def test_frozen_blocks_replay_exactly_and_stay_out_of_generation(tiny):
    from posttrain.frozen import FrozenBlocks
    from posttrain.models import generate_answers

    model, tok = tiny.model.eval(), tiny.tokenizer
    enc = tok(["Who are you? Tell me.", "Hi"], return_tensors="pt", padding=True, padding_side="right")
    with torch.no_grad():
        plain = model(**enc, use_cache=False).logits
    with pytest.raises(ValueError, match="trainable"):
        FrozenBlocks(model, 1)
    for p in model.parameters():
        p.requires_grad_(False)
    answers = generate_answers(model, tok, ["Who are you?"], max_new_tokens=8)
    with FrozenBlocks(model, 1) as frozen, torch.no_grad():
        first = model(**enc, use_cache=False).logits
        again = model(**enc, use_cache=False).logits
        assert (frozen.misses, frozen.hits, len(frozen.memo)) == (1, 1, 2)
        assert generate_answers(model, tok, ["Who are you?"], max_new_tokens=8) == answers
        assert frozen.hits == 1  # generation (KV cache) ran the blocks as usual
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model(**enc, use_cache=False)
        assert frozen.misses == 2  # an autocast pass is not replayed from an fp32 one
    real = enc["attention_mask"].bool()
    assert torch.equal(first[real], plain[real]) and torch.equal(again[real], plain[real])
    with torch.no_grad():  # the blocks are themselves again afterwards
        assert torch.equal(model(**enc, use_cache=False).logits[real], plain[real])


def test_a_fixed_pass_replays_the_frozen_blocks_below_the_lowest_trainable_one(tiny):
    from peft import LoraConfig, get_peft_model

    from posttrain.frozen import FixedPass, decoder_blocks, frozen_depth

    model, tok = tiny.model.eval(), tiny.tokenizer
    layers = decoder_blocks(model)[1]
    assert frozen_depth(model) == 0  # everything trains
    for p in model.parameters():
        p.requires_grad_(False)
    for p in layers[1].parameters():
        p.requires_grad_(True)
    assert frozen_depth(model) == 1
    enc = tok(["Who are you?"], return_tensors="pt")
    fixed = FixedPass()
    with torch.no_grad():
        with fixed.around(model, "q"):
            first = model(**enc, use_cache=False).logits
        layers[1].mlp.down_proj.weight.mul_(1.5)  # training moves block 1: the replayed pass follows it exactly
        truth = model(**enc, use_cache=False).logits
        with fixed.around(model, "q"):
            again = model(**enc, use_cache=False).logits
        assert fixed.replayed == 1 and torch.equal(again, truth) and not torch.equal(again, first)
        # block 0 is not run at a replay: a change to it (which a frozen block never has) goes unseen, and is seen
        # again once the blocks are themselves (the instance forwards are gone)
        layers[0].mlp.down_proj.weight.mul_(1.5)
        with fixed.around(model, "q"):
            assert torch.equal(model(**enc, use_cache=False).logits, truth)
        assert "forward" not in layers[0].__dict__ and not torch.equal(model(**enc, use_cache=False).logits, truth)
        with fixed.around(model, "another input"):  # a new key runs every block
            assert not torch.equal(model(**enc, use_cache=False).logits, truth)
    # LoRA on the top block of two: the embeddings and block 0 are frozen under peft's wrapper
    for p in model.parameters():
        p.requires_grad_(False)
    peft_model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"], layers_to_transform=[1]))
    assert frozen_depth(peft_model) == 1 and decoder_blocks(peft_model)[1] is layers


def test_a_fixed_pass_forgets_what_it_kept_when_the_frozen_depth_changes(tiny):
    from posttrain.frozen import FixedPass, decoder_blocks

    model, tok = tiny.model.eval(), tiny.tokenizer
    layers = decoder_blocks(model)[1]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in layers[1].parameters():
        p.requires_grad_(True)
    enc, fixed = tok(["Who are you?"], return_tensors="pt"), FixedPass()
    with torch.no_grad():
        with fixed.around(model, "q"):
            model(**enc, use_cache=False)
        for p in layers[0].parameters():  # block 0 trains for a while, then is frozen again
            p.requires_grad_(True)
        with fixed.around(model, "q"):
            model(**enc, use_cache=False)
        layers[0].mlp.down_proj.weight.mul_(1.5)
        for p in layers[0].parameters():
            p.requires_grad_(False)
        truth = model(**enc, use_cache=False).logits
        with fixed.around(model, "q"):  # not the output block 0 gave before it moved
            assert torch.equal(model(**enc, use_cache=False).logits, truth) and fixed.replayed == 0
