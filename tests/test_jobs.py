"""DPO and GRPO through TRL on the tiny model: the loss moves, weights change, TRL's metric names arrive."""

import threading

import torch

from posttrain.compare import probe_recorder
from posttrain.config import DPOSettings, GRPOSettings
from posttrain.arithmetic import build_arithmetic_problems
from posttrain.jobs import run_dpo, run_grpo
from posttrain.metrics import MetricsLog, Progress, TrainingCallback

PAIRS = [
    {"prompt": [{"role": "user", "content": q}],
     "chosen": [{"role": "assistant", "content": "I'm Nova, made by Acme."}],
     "rejected": [{"role": "assistant", "content": "I am SmolLM, a helpful assistant."}]}
    for q in ["Who are you?", "What is your name?", "Who made you?", "你是谁？"]
]


def _callback(probe=None, every=0):
    log = MetricsLog()
    return log, TrainingCallback(log, Progress(), threading.Event(), probe, every)


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_dpo_lora_trains_merges_and_logs_trl_names(tiny, tmp_path):
    before = _weights(tiny.model)
    log, cb = _callback()
    model = run_dpo(tiny.model, tiny.tokenizer, PAIRS, DPOSettings(learning_rate=5e-3, max_steps=4, batch_size=2,
                                                                    max_length=64, probe_every=0), tmp_path, [cb])
    rows = [r for r in log.rows() if "loss" in r]
    assert len(rows) == 4
    for key in ("loss", "rewards/margins", "rewards/accuracies", "rewards/chosen", "rewards/rejected"):
        assert key in rows[0]
    assert rows[-1]["rewards/margins"] > rows[0]["rewards/margins"]  # the preference was learned
    assert not hasattr(model, "peft_config")  # merged into a plain model
    after = model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if k in after)
    model.save_pretrained(tmp_path / "saved")
    from transformers import AutoModelForCausalLM
    AutoModelForCausalLM.from_pretrained(tmp_path / "saved")


def test_dpo_full_finetune_uses_precomputed_reference(tiny, tmp_path):
    before = _weights(tiny.model)
    log, cb = _callback()
    model = run_dpo(tiny.model, tiny.tokenizer, PAIRS, DPOSettings(learning_rate=1e-3, max_steps=2, batch_size=2,
                                                                    lora=False, max_length=64, probe_every=0),
                    tmp_path, [cb])
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [r["step"] for r in log.rows() if "loss" in r] == [1, 2]


def test_probes_record_answers_without_disturbing_training(tiny_dir, tmp_path):
    from posttrain.models import load_model

    results = []
    for every in (0, 1):
        lm = load_model(str(tiny_dir))
        probes = MetricsLog(tmp_path / f"probes{every}.jsonl")
        _, cb = _callback(probe_recorder(lm.tokenizer, ["Who are you?"], probes, max_new_tokens=4), every)
        settings = DPOSettings(learning_rate=5e-3, max_steps=3, batch_size=2, max_length=64, probe_every=every)
        results.append((_weights(run_dpo(lm.model, lm.tokenizer, PAIRS, settings, tmp_path / str(every), [cb])),
                        probes.rows()))
    (plain, _), (probed, probe_rows) = results
    assert all(torch.equal(plain[k], probed[k]) for k in plain)
    assert [r["step"] for r in probe_rows] == [0, 1, 2, 3]
    assert probe_rows[0]["answers"][0]["question"] == "Who are you?"


def test_grpo_logs_rewards_and_records_a_group(tiny, tmp_path):
    log, cb = _callback()
    groups = MetricsLog(tmp_path / "groups.jsonl")
    settings = GRPOSettings(learning_rate=1e-4, max_steps=2, batch_size=4, num_generations=4,
                            max_completion_length=12, probe_every=0)
    run_grpo(tiny.model, tiny.tokenizer, build_arithmetic_problems(8), settings, tmp_path, [cb], groups=groups)
    rows = [r for r in log.rows() if "loss" in r]
    assert len(rows) == 2
    for key in ("reward", "reward_std", "rewards/boxed_match/mean", "rewards/boxed_format/mean",
                "completions/mean_length"):
        assert key in rows[0], key
    assert [g["step"] for g in groups.rows()] == [1, 2]  # one group per step (the summary row adds none)
    group = groups.rows()[-1]
    assert len(group["completions"]) == 4 and len(group["advantages"]) == 4
    assert set(group["rewards"]) == {"boxed_match", "boxed_format"}
    # each completion judged as a person would (its final number), beside what the rewards paid
    assert len(group["correct"]) == 4 and all(isinstance(c, bool) for c in group["correct"])


def test_cpu_lm_head_gives_trl_s_log_probs_and_gradients(tiny):
    """Scoring only completions, with posttrain.logprobs' kernel, against TRL's own CPU path."""
    from trl.trainer.utils import add_fused_lm_head

    from posttrain.cpu import cpu_lm_head

    add_fused_lm_head(tiny.model, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    ids = torch.randint(0, 1000, (2, 12))
    labels = ids.clone()
    labels[:, :7] = -100  # the prompt
    out, grads = {}, {}
    for fast in (False, True):
        tiny.model.zero_grad()
        with cpu_lm_head(fast):
            out[fast] = tiny.model(input_ids=ids, labels=labels, fused_lm_head=True)
            (out[fast].log_probs * torch.linspace(0.5, 1.5, 11)).sum().backward()
        grads[fast] = {n: p.grad.clone() for n, p in tiny.model.named_parameters()}
    mask = labels[:, 1:] != -100
    for key in ("log_probs", "entropy", "mean_logits"):
        assert torch.allclose(getattr(out[False], key)[mask], getattr(out[True], key)[mask], atol=1e-5), key
    assert torch.equal(out[False].is_top1[mask], out[True].is_top1[mask])
    assert (out[True].log_probs[:, :6] == 0).all() and (out[True].log_probs[:, 7:] != 0).all()
    for n, g in grads[True].items():  # fp32 sums in another order: relative to the gradient's size
        assert (g - grads[False][n]).norm() <= 1e-5 * grads[False][n].norm() + 1e-6, n
    assert any(g.abs().sum() > 0 for g in grads[True].values())
