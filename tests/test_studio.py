"""The app's engine side on the tiny model: one shared model, trained in the background, compared."""

import zipfile

import pytest
import torch

from posttrain import charts
from posttrain.models import generate_answers, load_model
from posttrain.recipes import COMPARE_TOKENS
from posttrain.runner import JobBusy
from posttrain.studio import Studio, StudioError


@pytest.fixture()
def studio(tiny_dir, tmp_path):
    return Studio(default_model=str(tiny_dir), root=tmp_path / "runs")


def _weights(model):
    return torch.cat([p.detach().flatten().clone() for p in model.parameters()])


def test_a_run_trains_the_shared_model_and_compare_sets_before_beside_after(studio, tiny_dir):
    rows = studio.identity_pairs("Nova", "Acme", n_pairs=8)
    assert {r["kind"] for r in rows} == {"identity", "control"}
    before = _weights(studio.lm.model)
    settings = studio.settings("dpo", max_steps=2, batch_size=2, learning_rate=5e-3, probe_every=1)
    job = studio.start("dpo", settings, rows, name="Nova", org="Acme")
    with pytest.raises(JobBusy, match="dpo job is"):  # the model is the job's until it ends
        studio.ask("Who are you?")
    job.wait(300)
    assert job.status == "done", job.error
    assert studio.card()["trained_by"] == str(job.run_dir)
    assert not torch.equal(before, _weights(studio.lm.model))
    view = studio.job_view()
    assert [r["step"] for r in view["metrics"] if "loss" in r] == [1, 2] and view["name"] == "Nova"

    questions = ["Who are you?", "Name three colours."]  # not among the run's own compare questions
    res = studio.compare(questions, ["identity", "unrelated"])
    base = load_model(str(tiny_dir))
    expected = generate_answers(base.model, base.tokenizer, questions, max_new_tokens=COMPARE_TOKENS)
    assert [r["before"] for r in res["rows"]] == expected  # before = the model the run started from
    assert res["trained"] and set(res["scores"]) >= {"success", "leak", "unchanged"}


def test_before_the_first_run_before_and_after_are_the_same_model(studio):
    res = studio.compare(["What is 2 + 2?"], [])
    assert not res["trained"] and not res["rows"][0]["changed"] and res["scores"] == {}
    with pytest.raises(StudioError, match="at least one question"):
        studio.compare(["  "], [])


def test_a_run_that_fails_mid_training_gives_back_a_clean_model(studio, monkeypatch):
    import posttrain.jobs

    def broken(*a, **k):
        raise RuntimeError("the training step broke")
    monkeypatch.setattr(posttrain.jobs, "run_dpo", broken)
    rows = studio.identity_pairs("Nova", "Acme", n_pairs=4)
    job = studio.start("dpo", studio.settings("dpo", max_steps=1, batch_size=2), rows)
    job.wait(300)
    assert job.status == "failed" and job.error == "the training step broke"
    assert studio.lm is None  # a half-trained model is dropped ...
    assert studio.ask("Hi") and studio.card()["trained_by"] is None  # ... and the base reloads on use


def test_bad_input_gets_a_sentence(studio):
    with pytest.raises(StudioError, match="type a question"):
        studio.ask(" ")
    with pytest.raises(StudioError, match="between 2 and 400 pairs"):
        studio.identity_pairs("Nova", "Acme", n_pairs=1)
    with pytest.raises(StudioError, match="build the data first"):
        studio.start("grpo", studio.settings("grpo"), None)
    with pytest.raises(StudioError, match="choose a run"):
        studio.run("/etc")


def test_a_finished_run_is_listed_and_downloads_as_zips(studio):
    job = studio.start("grpo", studio.settings("grpo", max_steps=1, batch_size=4, num_generations=4,
                                               max_completion_length=8, probe_every=0),
                       studio.arithmetic_data(4))
    job.wait(300)
    assert job.status == "done", job.error
    prompt, headers, rows = charts.group_table(studio.job_view()["groups"])  # the group inspector's view
    assert "step 1" in prompt and headers[0] == "advantage" and len(rows) == 4
    assert abs(sum(r[0] for r in rows)) < 1e-3  # advantages are relative to the group mean
    runs = studio.runs()
    assert runs[0]["method"] == "grpo" and runs[0]["status"] == "done" and runs[0]["has_model"]
    with zipfile.ZipFile(studio.archive(runs[0]["path"], "receipt")) as z:
        names = z.namelist()
    assert any(n.endswith("/metrics.jsonl") for n in names) and any(n.endswith("/scores.json") for n in names)
    with zipfile.ZipFile(studio.archive(runs[0]["path"], "model")) as z:
        assert any(n.endswith("model/config.json") for n in z.namelist())


def test_public_mode_reads_no_server_paths(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/posttrain")
    studio = Studio(default_model=str(tiny_dir), root=tmp_path / "runs")
    assert studio.public
    for path in (str(tiny_dir.parent), "/etc", "../secrets"):
        with pytest.raises(StudioError, match="this is a public app"):
            studio.load(path)
    with pytest.raises(StudioError, match="upload the file"):
        studio.preference_data("/etc/passwd")
    assert studio.lm is None  # nothing was loaded, and the app is still usable:
    assert studio.load(None)["source"] == str(tiny_dir)
    assert not Studio(default_model=str(tiny_dir), root=tmp_path / "runs", public=False).public
