"""Shared fixtures: a tiny randomly initialised model with the bundled model's real tokenizer.

The tiny model has the bundled model's architecture (Llama, tied embeddings, the same vocabulary and
chat template) at a fraction of the width and depth, so training tests run in seconds on 2 cores with
no network. The real tokenizer comes from the bundled model's converted cache (converted once).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the network
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Every run generates its own answers here (the cache would serve a test what an earlier test wrote);
# tests/test_answer_cache.py turns the cache on where it is the subject.
os.environ["POSTTRAIN_ANSWER_CACHE"] = "0"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end to end on the real bundled model (minutes)")


@pytest.fixture(scope="session")
def bundled_dir():
    from posttrain.models import ensure_bundled

    return ensure_bundled()


@pytest.fixture(scope="session")
def tiny_dir(bundled_dir, tmp_path_factory):
    """A saved tiny model folder, loadable by `load_model(path)` and `from_pretrained`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    cfg = AutoConfig.from_pretrained(bundled_dir)
    cfg.update(dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=8))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg)
    tok = AutoTokenizer.from_pretrained(bundled_dir)
    # A random model's argmax collapses onto one token; keep it from being a special or blank one,
    # so greedy answers are non-empty text (tied embeddings: a zero row means a zero logit).
    blank = [i for i in range(len(tok)) if i < 23 or not tok.decode([i]).strip()]
    with torch.no_grad():
        model.get_input_embeddings().weight[blank] = 0
    path = tmp_path_factory.mktemp("tiny") / "model"
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=8)


def _config(arch: str, vocab: int):
    from transformers import Gemma3TextConfig, Qwen2Config

    if arch == "qwen2":
        return Qwen2Config(vocab_size=vocab, tie_word_embeddings=True, **TINY)
    if arch == "gemma3":
        return Gemma3TextConfig(vocab_size=vocab, sliding_window=16, query_pre_attn_scalar=8, **TINY)
    raise ValueError(arch)


@pytest.fixture(scope="session", params=["llama", "qwen2", "gemma3"])
def arch_dir(request, tiny_dir, bundled_dir, tmp_path_factory):
    """A saved tiny model folder of each architecture (Llama: `tiny_dir`'s)."""
    if request.param == "llama":
        return request.param, tiny_dir
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(bundled_dir)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(_config(request.param, len(tok)))
    blank = [i for i in range(len(tok)) if i < 23 or not tok.decode([i]).strip()]  # as `tiny_dir`: non-blank argmax
    with torch.no_grad():
        model.get_input_embeddings().weight[blank] = 0
        model.get_output_embeddings().weight[blank] = 0
    path = tmp_path_factory.mktemp(request.param) / "model"
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return request.param, path


@pytest.fixture()
def tiny(tiny_dir):
    """A freshly loaded tiny model (training mutates models, so each test gets its own)."""
    from posttrain.models import load_model

    return load_model(str(tiny_dir))


@pytest.fixture()
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture(scope="module")
def serve():
    """`serve(studio)` launches the app over `studio` on a free port and returns a gradio_client.Client."""
    import socket

    gradio_client = pytest.importorskip("gradio_client")  # a dev requirement; CI installs it
    import app

    demos = []

    def launch(studio):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        demo = app.build_demo(studio)
        demo.queue().launch(prevent_thread_lock=True, server_port=port, quiet=True, **app.LAUNCH)
        demos.append(demo)
        return gradio_client.Client(f"http://127.0.0.1:{port}", verbose=False)

    yield launch
    for demo in demos:
        demo.close()
