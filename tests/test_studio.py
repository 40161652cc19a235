"""The app's engine side on the tiny model: one shared model, trained in the background, compared."""

import json
import zipfile

import pytest
import torch

from posttrain import charts
from posttrain.arithmetic import ARITHMETIC_SYSTEM_PROMPT
from posttrain.models import generate_answers, load_model
from posttrain.evaluation import COMPARE_TOKENS, kind_batches
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
    values = dict(max_steps=2, batch_size=2, learning_rate=5e-3, probe_every=1, gated=True)  # as typed on the Train tab
    job = studio.start("dpo", values, rows, name="Nova", org="Acme")
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
    expected = [generate_answers(base.model, base.tokenizer, [q], max_new_tokens=COMPARE_TOKENS, bf16=bf16)[0]
                for q, bf16 in zip(questions, (True, False))]  # each kind its own batch; unrelated ones in fp32
    assert [r["before"] for r in res["rows"]] == expected  # before = the model the run started from
    assert res["trained"] and set(res["scores"]) >= {"name_after", "organisation_after", "leak", "unchanged", "alarms"}
    assert view["org"] == "Acme" and res["scores"]["n_maker"] == 0  # "Who are you?" asks the name, not the maker
    assert res["rows"][0]["about"] == "name" and "name" in res["rows"][0]["marks"]
    res = studio.compare(["Who made you?", "What is 6 times 8?"], ["identity", "unrelated"])
    assert res["scores"]["n_maker"] == 1 and res["rows"][0]["marks"]["organisation"] is not None
    assert res["rows"][1]["facts"] == ["48"]  # a held-out question knows its answer
    assert all(k in res["scores"] for k in ("facts_kept", "n_facts"))


def test_compare_asks_the_base_model_the_batches_it_asks_the_current_one(studio, tmp_path, monkeypatch):
    """On a CPU with AMX a bf16 answer can depend on the other questions in its batch: before and after must be
    asked in the same batches, or Compare shows a change no training made. A run's own before answers seed the
    cache batch by batch, as the run asked them (its rows of each kind, those asked plainly apart)."""
    import posttrain.studio

    asked = []

    def tagged(model, tok, questions, **kw):  # an answer that shows the batch it was written in
        asked.append(list(questions))
        return [f"{q} (one of {len(questions)})" for q in questions]

    monkeypatch.setattr(posttrain.studio, "generate_answers", tagged)
    studio.load(None)  # the base model, loaded
    studio.trained_by = str(tmp_path)  # as after a run: before comes from the base model
    first = studio.compare(["Name a colour.", "What is 2 + 2?"], ["question", "question"])  # written in bf16
    grown = studio.compare(["Name a colour.", "What is 2 + 2?", "Name a fruit.", "Who are you?"],
                           ["question", "question", "question", "identity"])
    assert not any(r["changed"] for r in first["rows"] + grown["rows"])
    assert [r["before"] for r in grown["rows"]][:1] == ["Name a colour. (one of 3)"]
    again = len(asked)
    studio.compare(["Name a colour.", "What is 2 + 2?"], ["question", "question"])
    assert len(asked) == again + 1  # the same batch is served from the cache: only after is asked
    # fp32 on a CPU writes the same answer in any batch: an unrelated question's is kept on its own, and the base
    # model is asked only what it was not asked before
    studio.compare(["Name a colour."], ["unrelated"])
    again = len(asked)
    studio.compare(["Name a colour.", "Name a fruit."], ["unrelated", "unrelated"])
    assert asked[again:] == [["Name a colour.", "Name a fruit."], ["Name a fruit."]]  # after, then the base model

    # a run's before answers: its identity batch is reused whole; its unrelated ones, written in fp32 on a CPU, one
    # by one (fp32 wrote the same answers in any batch); those it asked with another system prompt are not
    studio.trained_by = None
    rows = [{"question": "Who made you?", "kind": "identity", "before": "I am SmolLM."},
            {"question": "Name a colour.", "kind": "unrelated", "before": "Blue."},
            {"question": "What is 6 times 8?", "kind": "unrelated", "before": "48."}]
    studio._remember_before("dpo", rows, system="You are terse.")
    studio.trained_by = str(tmp_path)
    monkeypatch.setattr(posttrain.studio, "load_model", lambda *a, **k: pytest.fail("the run's before answers were not used"))
    res = studio.compare(["Who made you?", "What is 6 times 8?"], ["identity", "unrelated"], "You are terse.")
    assert [r["before"] for r in res["rows"]] == ["I am SmolLM.", "48."]
    with pytest.raises(pytest.fail.Exception):  # asked without that system prompt: the base model is asked
        studio.compare(["Who made you?"], ["identity"])


def test_compare_asks_a_runs_questions_inside_the_batch_the_run_asked_them_in(studio, tmp_path, monkeypatch):
    """A presenter saw the untrained model answer one question two ways on one tab: the Compare table's identity rows
    (a batch of 6) and the run's side-by-side (its batch of 20), bf16 on a CPU with AMX. Compare now asks a question
    a run's evaluation asks inside the run's batch: before any run, and served from the run's before answers after."""
    import posttrain.studio
    from posttrain.evaluation import IdentityEvaluation, run_batch

    ev = IdentityEvaluation("Nova", "Acme")  # the batches an identity run asks, kind by kind (evaluation.by_kind)
    assert [tuple(ev.questions[i] for i in b) for b in kind_batches(ev.kinds)] == \
        [run_batch("identity"), run_batch("unrelated")]
    asked = []

    def tagged(model, tok, questions, **kw):  # an answer that shows the batch it was written in
        asked.append(list(questions))
        return [f"{q} (one of {len(questions)})" for q in questions]

    monkeypatch.setattr(posttrain.studio, "generate_answers", tagged)
    ident = list(run_batch("identity"))
    studio.load(None)
    first = studio.compare([ident[2], "Who are you?"], ["identity", "identity"])  # before any run
    assert [r["after"] for r in first["rows"]] == [f"{ident[2]} (one of 20)", "Who are you? (one of 1)"]
    assert asked == [ident, ["Who are you?"]]

    studio._before.clear()
    studio._remember_before("dpo", [{"question": q, "kind": "identity", "before": f"run: {q}"} for q in ident], system="")
    studio.trained_by = str(tmp_path)  # the run trained the model: before comes from its answers, no base model
    monkeypatch.setattr(posttrain.studio, "load_model", lambda *a, **k: pytest.fail("the run's before answers were not used"))
    res = studio.compare([ident[5], ident[2]], ["identity", "identity"])
    assert [r["before"] for r in res["rows"]] == [f"run: {ident[5]}", f"run: {ident[2]}"]
    assert [r["after"] for r in res["rows"]] == [f"{ident[5]} (one of 20)", f"{ident[2]} (one of 20)"]
    assert asked[-1] == ident


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
    job = studio.start("dpo", dict(max_steps=1, batch_size=2), rows)
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
        studio.start("grpo", {}, None)
    with pytest.raises(StudioError, match="choose a run"):
        studio.run("/etc")


def test_a_finished_run_is_listed_and_downloads_as_zips(studio):
    job = studio.start("grpo", dict(max_steps=1, batch_size=4, num_generations=4, max_completion_length=8, probe_every=0),
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
    assert any(n.endswith("/receipt.html") for n in names)
    with zipfile.ZipFile(studio.archive(runs[0]["path"], "model")) as z:
        assert any(n.endswith("model/config.json") for n in z.namelist())
    with zipfile.ZipFile(studio.archive(runs[0]["path"], "adapter")) as z:  # LoRA: the adapter alone, too
        assert any(n.endswith("adapter/adapter_config.json") for n in z.namelist())
    page = studio.receipt(runs[0]["path"]).read_text(encoding="utf-8")
    for section in ("Scores", "Training charts", "Before and after", "Config", "<td>correct</td>",
                    "asked plainly: correct"):  # no probes: probe_every 0
        assert section in page, section
    assert "✓ correct" in page or "✗ wrong answer" in page  # each answer marked

    # after a GRPO run Compare asks held-out problems, with the system prompt the run used, and scores them
    defaults = studio.default_questions()
    assert {kind for _, kind, _ in defaults} == {"problem"} and all(answer.isdigit() for _, _, answer in defaults)
    res = studio.compare([q for q, _, _ in defaults[:3]], ["problem"] * 3, ARITHMETIC_SYSTEM_PROMPT,
                         [a for _, _, a in defaults[:3]])
    assert res["scores"]["n_problems"] == 3 and {"correct_before", "correct_after", "boxed_after",
                                                 "degenerate_after", "alarms"} <= set(res["scores"])
    assert res["rows"][0]["answer"] == defaults[0][2] and set(res["rows"][0]["marks"]) == {"correct", "boxed", "degenerate"}
    assert studio.default_questions("dpo")[0][1] == "identity"
    assert '<script src="http' not in page and len(page) > 1_000_000  # plotly.js is inside: it opens offline


class FakeHub:
    """Records what posttrain asks of the Hub (the real push needs a network and an account)."""

    def __init__(self, fail=None, public=False):
        self.calls, self.fail, self.public = [], fail, public

    def repo_info(self, repo_id, **kw):
        return type("Info", (), {"private": not self.public})()

    def create_repo(self, repo_id, **kw):
        if self.fail:
            raise self.fail
        self.calls.append(("create_repo", repo_id, kw))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, *, repo_id, folder_path, **kw):
        from pathlib import Path

        files = {p.name: p.read_text(encoding="utf-8") for p in Path(folder_path).iterdir() if p.suffix in (".md", ".json")}
        self.calls.append(("upload_folder", repo_id, files))


def test_push_sends_the_model_with_a_card_and_never_the_token(studio, tiny_dir):
    from posttrain import hub
    from posttrain.runs import read_run

    job = studio.start("dpo", dict(max_steps=1, batch_size=2, probe_every=0),
                       [{"prompt": [{"role": "user", "content": f"Who are you? {i}"}],
                         "chosen": [{"role": "assistant", "content": "I am Nova."}],
                         "rejected": [{"role": "assistant", "content": "I am SmolLM."}], "kind": "identity"}
                        for i in range(2)], name="Nova", org="Acme")
    job.wait(300)
    assert job.status == "done", job.error
    run, secret = read_run(job.run_dir), "hf_secretTOKEN123456"
    fake = FakeHub()
    assert hub.push(run, "me/nova", secret, private=True, what="adapter", api=fake) == "https://huggingface.co/me/nova"
    (_, repo, kw), (_, _, files) = fake.calls
    assert repo == "me/nova" and kw["private"] is True
    card = files["README.md"]
    assert "library_name: peft" in card and "- dpo" in card and "call itself **Nova**, made by Acme" in card
    assert "| new name |" in card and run["before_after"][0]["question"] in card and "adapter_config.json" in files
    assert secret not in json.dumps(fake.calls)
    assert "Trained with posttrain" not in (job.run_dir / "adapter" / "README.md").read_text()  # the run is untouched
    with pytest.raises(hub.HubError, match=r"could not push to me/nova \(401 Unauthorized: \*\*\*\)") as e:
        hub.push(run, "me/nova", secret, api=FakeHub(fail=RuntimeError(f"401 Unauthorized: {secret}")))
    assert secret not in str(e.value)
    with pytest.raises(hub.HubError, match="already exists and is public"):  # "private" is not silently ignored
        hub.push(run, "me/nova", secret, private=True, api=FakeHub(public=True))
    with pytest.raises(hub.HubError, match="push the 'model' or the 'adapter'"):
        hub.push(run, "me/nova", secret, what="../../etc", api=fake)
    with pytest.raises(hub.HubError, match="not a repository id"):
        studio.push(str(job.run_dir), "no slash", secret)
    with pytest.raises(hub.HubError, match="^write the repository to push to, as your-name/model-name$"):
        studio.push(str(job.run_dir), "  ", secret)  # (it said "'' is not a repository id")
    with pytest.raises(hub.HubError, match="could not push to me/nova"):  # offline here: a sentence, no traceback
        studio.push(str(job.run_dir), "me/nova", secret)


def test_public_mode_reads_no_server_paths(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/posttrain")
    studio = Studio(default_model=str(tiny_dir), root=tmp_path / "runs")
    assert studio.public
    for path in (str(tiny_dir.parent), "/etc", "../secrets"):
        with pytest.raises(StudioError, match="this is a public app"):
            studio.load(path)
    with pytest.raises(StudioError, match="upload the file"):
        studio.preference_data("/etc/passwd")
    with pytest.raises(StudioError, match="does not load private or gated models"):  # every visitor shares the model
        studio.load("someone/private-model", "hf_secretTOKEN123456")
    assert studio.lm is None  # nothing was loaded, and the app is still usable:
    assert studio.load(None)["source"] == str(tiny_dir)
    assert not Studio(default_model=str(tiny_dir), root=tmp_path / "runs", public=False).public


def test_the_identity_demo_by_sft_and_by_dpo_side_by_side(studio, monkeypatch):
    """The presenter's one click with each method, both from the base model, then the two runs compared."""
    from dataclasses import replace

    from posttrain import methods

    for name in ("sft", "dpo"):  # the presets as the presenter presses them, two steps long on the tiny model
        m = methods.get(name)
        monkeypatch.setitem(m.presets, "identity", replace(m.presets["identity"], max_steps=2, probe_every=1))
    runs = {}
    for method in ("sft", "dpo"):
        job = studio.start_identity_demo("Nova", "Acme", method)
        job.wait(600)
        assert job.status == "done" and job.kind == method, job.error
        runs[method] = str(job.run_dir)
        assert studio.last_kind == method and studio.identity_name == "Nova"
    from pathlib import Path

    rows = json.loads((Path(runs["sft"]) / "data.json").read_text())
    assert {"prompt", "completion", "kind"} <= set(rows[0])  # SFT learned answers, not pairs
    both = studio.compare_runs([runs["sft"], runs["dpo"]])
    assert [r["method"] for r in both["runs"]] == ["sft", "dpo"] and both["rows"]
    assert all(len(r["answers"]) == len(r["marks"]) == 2 and all(r["marks"]) for r in both["rows"])
    assert all(any("loss" in m for m in r["metrics"]) for r in both["runs"])  # for the overlaid curves
    with pytest.raises(StudioError, match="choose a run from the list"):
        studio.compare_runs([runs["sft"], "/etc"])


def _fake_run(root, name, method, settings, answers, loss):
    """A finished run's folder as the pipeline writes it, without training (config, metrics, answers, scores)."""
    from posttrain.runs import write_json

    path = root / name
    path.mkdir(parents=True)
    write_json(path / "config.json", {"method": method, "settings": settings})
    (path / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": loss / s}) + "\n" for s in (1, 2)))
    write_json(path / "before_after.json", [{"question": q, "kind": "identity", "before": "I am Smol.", "after": a,
                                             "marks": {"name": "Nova" in a}} for q, a in answers.items()])
    write_json(path / "scores.json", {"name_before": 0.0, "name_after": 1.0 if "Nova" in str(answers) else 0.0})
    return str(path)


def test_runs_side_by_side_take_two_or_more_runs_and_refuse_bad_picks_in_a_sentence(studio):
    from posttrain.ui import views

    root = studio.root
    low = _fake_run(root, "1-dpo", "dpo", {"beta": 0.1, "lora": True}, {"Who are you?": "I am Nova.", "Hi?": "Hello."}, 0.7)
    high = _fake_run(root, "2-dpo", "dpo", {"beta": 0.5, "lora": True}, {"Who are you?": "I am Smol.", "Hi?": "Hey."}, 0.6)
    sft = _fake_run(root, "3-sft", "sft", {"lora": True}, {"Hi?": "Hello there.", "Only here?": "Yes."}, 2.0)
    three = studio.compare_runs([low, high, sft, low])  # the same run twice counts once
    assert [r["label"] for r in three["runs"]] == ["1-dpo · DPO", "2-dpo · DPO", "3-sft · SFT"]
    assert [r["question"] for r in three["rows"]] == ["Hi?"]  # only what all three were asked
    assert three["rows"][0]["answers"] == ["Hello.", "Hey.", "Hello there."]
    pair = studio.compare_runs([low, high])
    assert [r["label"] for r in pair["runs"]] == ["1-dpo · DPO · beta=0.1", "2-dpo · DPO · beta=0.5"]  # what differs
    assert [r["question"] for r in pair["rows"]] == ["Who are you?", "Hi?"]
    md, page = views.runs_scores_md(pair), views.runs_answers_html(pair)
    assert "| new name | 0% → 100% | 0% → 0% |" in md
    assert page.count("<tr>") == 3 and "<mark>Nova.</mark>" not in page and "<mark>Smol.</mark>" in page
    fig = charts.overlay_figure([(r["label"], r["metrics"]) for r in three["runs"]])
    assert [t.name for t in fig.data] == ["1-dpo · DPO", "2-dpo · DPO", "3-sft · SFT"]  # one panel: loss
    lone = _fake_run(root, "4-grpo", "grpo", {}, {"2+2?": "4"}, 1.0)
    assert views.runs_answers_html(studio.compare_runs([low, lone])).startswith("<p>These runs answered no question")
    for picks, sentence in (([low], "pick at least two runs"), ([low, low], "pick at least two runs"),
                            ([low, None, ""], "pick at least two runs"), ([], "pick at least two runs"),
                            ([low, "/etc"], "choose a run from the list"),
                            ([low, str(root / ".." / "x")], "choose a run from the list")):
        with pytest.raises(StudioError, match=sentence):
            studio.compare_runs(picks)
    many = [_fake_run(root, f"9-{i}-dpo", "dpo", {}, {"Hi?": "Hi."}, 1.0) for i in range(7)]
    with pytest.raises(StudioError, match="pick at most 6 runs"):
        studio.compare_runs(many)


def test_the_pairs_table_loads_dpo_pairs_and_sft_rows_and_names_both_shapes(studio, tmp_path):
    pair = {"prompt": "Who are you?", "chosen": "I'm Nova.", "rejected": "I'm SmolLM."}
    (tmp_path / "pairs.jsonl").write_text(json.dumps(pair) + "\n")
    (tmp_path / "sft.jsonl").write_text(json.dumps({"prompt": "Who are you?", "completion": "I'm Nova."}) + "\n")
    (tmp_path / "qa.jsonl").write_text(json.dumps({"question": "Who are you?", "answer": "Nova"}) + "\n")
    (tmp_path / "gap.jsonl").write_text(json.dumps(pair) + "\n" + json.dumps({**pair, "rejected": " "}) + "\n")
    assert "rejected" in studio.preference_data(str(tmp_path / "pairs.jsonl"))[0]
    assert "completion" in studio.preference_data(str(tmp_path / "sft.jsonl"))[0]
    with pytest.raises(ValueError, match="DPO: the dataset needs columns prompt, chosen, rejected; found: question, "
                                         "answer.* SFT: an SFT dataset needs columns prompt and completion"):
        studio.preference_data(str(tmp_path / "qa.jsonl"))
    with pytest.raises(ValueError, match="^row 2 has an empty 'rejected' field"):  # a bad row is said once
        studio.preference_data(str(tmp_path / "gap.jsonl"))


def test_trainings_stack_only_when_asked_and_the_model_keeps_its_history(studio, tiny_dir):
    rows = studio.identity_pairs("Nova", "Acme", n_pairs=4)
    quick = dict(max_steps=1, batch_size=2, probe_every=0)
    first = studio.start("dpo", quick, rows, name="Nova", org="Acme")
    first.wait(300)
    assert first.status == "done", first.error
    assert studio.card()["lineage"] == [str(tiny_dir), first.run_dir.name]
    trained = _weights(studio.lm.model)

    # asked to train further: the run says on top of what (it used to name only the base model)
    second = studio.start("sft", quick, rows, name="Nova", org="Acme", from_base=False)
    second.wait(300)
    assert second.status == "done", second.error
    config = json.loads((second.run_dir / "config.json").read_text())
    assert config["trained_on_top_of"] == [first.run_dir.name]
    assert any("trains on top of " + first.run_dir.name in n for n in studio.job_view()["notes"])
    assert studio.card()["lineage"] == [str(tiny_dir), first.run_dir.name, second.run_dir.name]
    assert studio.setup()["method"] == "sft" and studio.setup()["rows"] == rows and not studio.setup()["running"]

    # from the base model (the default on the Train tab): the base is reloaded first, nothing stacks
    third = studio.start("dpo", quick, rows, name="Nova", org="Acme", from_base=True)
    third.wait(300)
    config = json.loads((third.run_dir / "config.json").read_text())
    assert "trained_on_top_of" not in config and studio.card()["lineage"] == [str(tiny_dir), third.run_dir.name]
    assert torch.equal(trained, _weights(studio.lm.model))  # the first run again, from the same start: same weights

    card = studio.reset_to_base()
    assert card["lineage"] == [str(tiny_dir)] and card["trained_by"] is None
    assert torch.equal(_weights(studio.lm.model), _weights(load_model(str(tiny_dir)).model))
