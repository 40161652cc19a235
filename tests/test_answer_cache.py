"""posttrain.answer_cache: the untrained model's answers served again only to the same model, prompt and settings."""

from __future__ import annotations

import json

import pytest
import torch

from posttrain import answer_cache, cpu, methods, pipeline
from posttrain.runner import start_job


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_ANSWER_CACHE", str(tmp_path / "answers"))
    return tmp_path / "answers"


def _counting(monkeypatch):
    calls = []
    real = answer_cache.generate_answers

    def spy(model, tok, questions, **kw):
        calls.append(list(questions))
        return real(model, tok, questions, **kw)

    monkeypatch.setattr(answer_cache, "generate_answers", spy)
    return calls


def test_a_second_ask_is_served_and_only_what_is_missing_is_generated(tiny, cache, monkeypatch):
    calls = _counting(monkeypatch)
    qs = ["Who are you?", "What is 2 + 2?", "你是谁？"]
    first = answer_cache.answers(tiny.model, tiny.tokenizer, qs, max_new_tokens=6, bf16=False)
    counted = answer_cache.tally()
    again = answer_cache.answers(tiny.model, tiny.tokenizer, qs + ["Name a colour."], max_new_tokens=6, bf16=False)
    assert again[:3] == first and calls == [qs, ["Name a colour."]]
    assert (counted.hits, counted.asked) == (3, 4) and "3 of 4 answers" in counted.sentence()
    # other settings, another system prompt: other answers, generated afresh
    answer_cache.answers(tiny.model, tiny.tokenizer, qs[:1], max_new_tokens=7, bf16=False)
    answer_cache.answers(tiny.model, tiny.tokenizer, qs[:1], max_new_tokens=6, system="You are terse.", bf16=False)
    answer_cache.answers(tiny.model, tiny.tokenizer, qs[:1], max_new_tokens=6)
    assert len(calls) == 4 + int(cpu.generates_in_bf16(tiny.model))
    assert len(list(cache.glob("*.json"))) == 1


def test_a_bf16_answer_is_served_again_only_to_the_same_batch(tiny, cache, monkeypatch):
    """On a CPU with AMX a bf16 answer can depend on the rest of its batch: what another batch asked is not reused."""
    calls = _counting(monkeypatch)
    monkeypatch.setattr(answer_cache.cpu, "generates_in_bf16", lambda model, enabled=True: enabled)
    qs = ["Who are you?", "What is 2 + 2?"]
    first = answer_cache.answers(tiny.model, tiny.tokenizer, qs, max_new_tokens=6)
    assert answer_cache.answers(tiny.model, tiny.tokenizer, qs, max_new_tokens=6) == first  # the same batch again
    answer_cache.answers(tiny.model, tiny.tokenizer, qs + ["Name a colour."], max_new_tokens=6)
    answer_cache.answers(tiny.model, tiny.tokenizer, qs[:1], max_new_tokens=6)
    assert calls == [qs, qs + ["Name a colour."], qs[:1]]


def test_any_trained_weight_changes_the_fingerprint(tiny):
    model = tiny.model
    before = answer_cache.fingerprint(model)
    assert answer_cache.fingerprint(model) == before  # stable
    with torch.no_grad():
        p = model.model.layers[-1].mlp.down_proj.weight
        p[-1, -1] += 1e-3  # one value, the last of a tensor
    after_small = answer_cache.fingerprint(model)
    assert after_small != before
    with torch.no_grad():
        big = model.get_input_embeddings().weight  # 49152 × 32 values: far more than the sample
        assert big.numel() > 2 * answer_cache.SAMPLE
        big[-1, -1] += 1e-3
    assert answer_cache.fingerprint(model) != after_small


def test_the_fingerprint_reaches_the_last_value_of_a_tensor_too_big_for_float_positions():
    """2**24 + 2 values: float32 cannot hold the last position exactly (it rounded past the end once)."""
    holder = torch.nn.Module()
    holder.register_buffer("big", torch.zeros(2**24 + 2))
    before = answer_cache.fingerprint(holder)
    holder.big[-1] = 1.0
    assert answer_cache.fingerprint(holder) != before


def test_switched_off_it_neither_reads_nor_writes(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_ANSWER_CACHE", "0")
    calls = _counting(monkeypatch)
    for _ in range(2):
        answer_cache.answers(tiny.model, tiny.tokenizer, ["Who are you?"], max_new_tokens=4)
    assert len(calls) == 2


def test_an_unreadable_cache_is_only_slower(tiny, cache, monkeypatch):
    qs = ["Who are you?"]
    first = answer_cache.answers(tiny.model, tiny.tokenizer, qs, max_new_tokens=5)
    for f in cache.glob("*.json"):
        f.write_text("{not json")
    assert answer_cache.answers(tiny.model, tiny.tokenizer, qs, max_new_tokens=5) == first


def test_a_second_identity_run_starts_from_cached_answers_and_says_so(tiny_dir, cache, tmp_path):
    runs = []
    for i in range(2):
        spec = methods.get("dpo").spec(str(tiny_dir), "identity", "Nova Prime", "Starlight Labs",
                                       overrides=dict(max_steps=1, batch_size=2, probe_every=0))
        spec.identity.n_identity, spec.identity.n_control = 4, 8
        spec.compare_questions, spec.compare_kinds = ["Who are you?", "What is 2 + 2?"], ["identity", "unrelated"]
        job = start_job("dpo", tmp_path / f"run{i}", pipeline.recipe(spec))
        job.wait(300)
        assert job.status == "done", job.error
        runs.append(job)
    assert not any("answer cache" in n for n in runs[0].notes)
    assert any("answers of the untrained model came from the answer cache" in n for n in runs[1].notes), runs[1].notes
    data = [json.loads((tmp_path / f"run{i}" / "data.json").read_text()) for i in range(2)]
    before = [[r["before"] for r in json.loads((tmp_path / f"run{i}" / "before_after.json").read_text())]
              for i in range(2)]
    assert data[0] == data[1] and before[0] == before[1]
