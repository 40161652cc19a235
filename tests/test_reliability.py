"""Issue 5's table, row by row, in the CLI and in the app: one clear sentence, and still in a good state.

Every row runs against the command line (in-process `cli.main`, so it is fast; tests/test_cli.py runs
the real process) and against the launched app through gradio_client. After each refusal the test
checks that nothing was lost and that the next request works: the CLI left no half-made run and freed
the job slot; the app still holds the same model and answers.
"""

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref

import pytest
from appkit import EMPTY_PROBLEMS, settings, wait_job

from posttrain import cli
from posttrain.runner import current_job

gradio_client = pytest.importorskip("gradio_client")

PAIR = {"prompt": "Who are you?", "chosen": "I am Nova.", "rejected": "I am SmolLM."}
SECRET = "hf_posttrainTESTsecret0123456789"


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tiny_dir, tmp_path_factory):
    """Every bad input of the table, made once: data files and model folders."""
    import torch
    from transformers import AutoModelForCausalLM

    d = tmp_path_factory.mktemp("bad")
    f = {"empty": d / "empty.jsonl", "garbled": d / "garbled.jsonl", "latin1": d / "latin1.csv"}
    f["empty"].write_text("")
    f["garbled"].write_text(json.dumps(PAIR) + "\n{\"prompt\": \"Hi\", \"chosen\":\n", encoding="utf-8")
    f["latin1"].write_bytes("prompt,chosen,rejected\ncafé,oui,non\n".encode("latin-1"))
    f["wrongcols"] = _jsonl(d / "wrongcols.jsonl", [{"question": "Who are you?", "answer": "Nova"}])
    f["emptyfield"] = _jsonl(d / "emptyfield.jsonl", [PAIR, dict(PAIR, chosen="  ")])
    f["noanswer"] = _jsonl(d / "noanswer.jsonl", [{"question": "What is 2+2?"}, {"question": "What is 3+3?"}])
    f["pairs"] = _jsonl(d / "pairs.jsonl", [PAIR, dict(PAIR, prompt="What is your name?")] * 2)
    f["long"] = _jsonl(d / "long.jsonl", [PAIR, dict(PAIR, chosen="I am Nova. " + "Really. " * 3000),
                                          dict(PAIR, prompt="Tell me " * 3000 + "who you are."), PAIR])
    f["notmodel"] = d / "notmodel"
    f["notmodel"].mkdir()
    (f["notmodel"] / "readme.txt").write_text("not a model")
    f["remote"] = d / "remote"  # a model that needs its own code (trust_remote_code)
    shutil.copytree(tiny_dir, f["remote"])
    cfg = json.loads((f["remote"] / "config.json").read_text())
    cfg.update(model_type="fancy-remote", architectures=["FancyLM"],
               auto_map={"AutoConfig": "modeling_fancy.FancyConfig", "AutoModelForCausalLM": "modeling_fancy.FancyLM"})
    (f["remote"] / "config.json").write_text(json.dumps(cfg))
    f["nan"] = d / "nan"  # a model whose loss can only be NaN
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))
    model.save_pretrained(f["nan"])
    for name in os.listdir(tiny_dir):
        if "token" in name or name.endswith(".jinja"):
            shutil.copy(tiny_dir / name, f["nan"])
    return f


# ------------------------------------------------------------------------------------------- CLI
DPO = ["dpo", "--name", "Nova", "--org", "Acme", "--model", "TINY"]
GRPO = ["grpo", "--model", "TINY"]
CLI_ROWS = [  # (row of the table, arguments, what the sentence says)
    ("hub id offline", ["dpo", "--name", "N", "--org", "O", "--model", "nobody/no-such-model"],
     "could not download 'nobody/no-such-model'"),
    ("path missing", ["dpo", "--name", "N", "--org", "O", "--model", "/no/such/model"], "does not exist"),
    ("path not a model", ["dpo", "--name", "N", "--org", "O", "--model", "NOTMODEL"], "is a folder but not a model"),
    ("remote code", ["dpo", "--name", "N", "--org", "O", "--model", "REMOTE"], "never runs code that comes with a model"),
    ("data empty", DPO + ["--data", "EMPTY"], "is empty"),
    ("data not parseable", DPO + ["--data", "GARBLED"], "line 2 is not valid JSON"),
    ("data not UTF-8", DPO + ["--data", "LATIN1"], "not UTF-8"),
    ("data wrong columns", DPO + ["--data", "WRONGCOLS"], "needs columns prompt, chosen, rejected; found: question, answer"),
    ("data empty field", DPO + ["--data", "EMPTYFIELD"], "row 2 has an empty 'chosen' field"),
    ("GRPO without answers", GRPO + ["--data", "NOANSWER"], "needs columns question and answer"),
    ("learning rate 0", DPO + ["--lr", "0"], "learning rate must be above 0"),
    ("learning rate < 0", DPO + ["--lr", "-0.001"], "learning rate must be above 0"),
    ("zero steps", DPO + ["--max-steps", "0"], "steps must be between 1 and"),
    ("one generation", GRPO + ["--num-generations", "1"], "generations per prompt must be between 2"),
    ("batch not divisible", GRPO + ["--batch-size", "6", "--num-generations", "4"], "must be divisible by generations"),
    ("absurd max length", DPO + ["--max-length", "1000000"], "max length must be between 16 and 8192"),
    ("absurd completion", GRPO + ["--max-completion-length", "100000"], "max completion length must be between"),
    ("NaN loss", ["dpo", "--model", "NAN", "--data", "PAIRS", "--max-steps", "3", "--batch-size", "2"],
     "the loss became nan at step 1; lower the learning rate"),
]


def _args(args, files, tiny_dir, out):
    subst = {"TINY": tiny_dir, "OUT": out, **{k.upper(): v for k, v in files.items()}}
    return [str(subst.get(a, a)) for a in args] + ["--out", str(out)]


def _main(capsys, args):
    code = cli.main(args)
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize("row, args, sentence", CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_cli_bad_input(row, args, sentence, files, tiny_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code, err = _main(capsys, _args(args, files, tiny_dir, out))
    assert code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and sentence in last, err
    assert current_job() is None or current_job().status not in ("running", "stopping")  # the slot is free
    if out.exists():  # the job started and failed: its receipt says so, and why
        status = json.loads((out / "status.json").read_text())
        assert status["status"] == "failed" and sentence in status["error"]
        assert json.loads((out / "config.json").read_text())["method"] == args[0]
    else:
        assert row not in ("hub id offline", "NaN loss")  # these fail inside the job, after it started


def test_cli_cuts_long_rows_and_says_so(files, tiny_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code, err = _main(capsys, _args(["dpo", "--model", "TINY", "--data", "LONG", "--max-steps", "1", "--batch-size",
                                     "2", "--max-length", "64"], files, tiny_dir, out))
    assert code == 0, err
    assert ("note: 1 of 4 pairs are much longer than the max length (64 tokens) and are cut to fit (their ends are "
            "dropped); 1 pair whose prompt alone fills it is left out; raise max length to keep them") in err
    assert len(json.loads((out / "data.json").read_text())) == 3
    status = json.loads((out / "status.json").read_text())
    assert "cut to fit" in status["notes"][0] and "截短" in status["notes_zh"][0]  # the Chinese page's note


def _run_out_of_memory_at_step_1(monkeypatch):
    """A real allocator failure inside training: the callback asks for 4 PiB at the end of step 1."""
    import torch

    from posttrain.metrics import TrainingCallback

    original = TrainingCallback.on_step_end

    def greedy(self, args, state, control, **kw):
        if state.global_step == 1:
            torch.empty(1 << 50)
        return original(self, args, state, control, **kw)

    monkeypatch.setattr(TrainingCallback, "on_step_end", greedy)


def test_cli_out_of_memory_fails_with_a_sentence_and_the_next_job_runs(files, tiny_dir, tmp_path, capsys, monkeypatch):
    _run_out_of_memory_at_step_1(monkeypatch)
    args = ["dpo", "--model", "TINY", "--data", "PAIRS", "--max-steps", "3", "--batch-size", "2"]
    code, err = _main(capsys, _args(args, files, tiny_dir, tmp_path / "a"))
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: ran out of memory; the memory is freed")
    monkeypatch.undo()
    code, err = _main(capsys, _args(args, files, tiny_dir, tmp_path / "b"))
    assert code == 0, err


def test_a_killed_run_still_reads_charts_and_is_listed_as_interrupted(tiny_dir, tmp_path):
    """kill -9 mid-training: the run directory keeps every flushed row, charts, and lists as interrupted."""
    from posttrain import methods
    from posttrain.runs import read_run
    from posttrain.studio import Studio
    from posttrain.ui import views

    out = tmp_path / "runs" / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "posttrain", "dpo", "--name", "Nova", "--org", "Acme", "--model",
                             str(tiny_dir), "--max-steps", "500", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = out / "metrics.jsonl"
    t0 = time.time()
    # wait for three training steps' rows (the probes' held-out `eval/…` rows share the file)
    while not (metrics.exists() and sum('"loss"' in line for line in metrics.read_text().splitlines()) >= 3):
        assert proc.poll() is None and time.time() - t0 < 300, "the run ended before it could be killed"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    run = read_run(out)
    assert run["status"]["status"] == "interrupted" and run["status"]["phase"] == "train"
    losses = [r["loss"] for r in run["metrics"] if "loss" in r]
    assert len(losses) >= 3
    fig = methods.figure("dpo", run["metrics"])
    assert list(fig.data[0].y)[:3] == losses[:3]  # the loss chart is drawn from what was flushed
    listed = Studio(root=tmp_path / "runs", public=False).runs()  # as the app sees it after a restart
    assert [(r["name"], r["status"]) for r in listed] == [("killed", "interrupted")]
    assert views.run_choices(listed)[0][0] == "killed · DPO · interrupted"


# ------------------------------------------------------------------------------------------- app
@pytest.fixture(scope="module")
def app(tiny_dir, tmp_path_factory, serve):
    from posttrain.studio import Studio

    studio = Studio(default_model=str(tiny_dir), root=tmp_path_factory.mktemp("reliable") / "runs", public=False)
    client = serve(studio)
    client.predict("", "", api_name="/load_model")
    return client, studio


def _pairs_table(n=4):
    return {"headers": ["prompt", "chosen", "rejected", "kind"],
            "data": [[f"Who are you? ({i})", "I am Nova.", "I am SmolLM.", "identity"] for i in range(n)]}


def _start(client, method="dpo", pairs=None, problems=None, steps=2, **changes):
    values = settings(steps=steps, **changes)  # changes by setting name: batch_size=2, learning_rate=0, …
    return client.predict(method, pairs or _pairs_table(), "", problems or EMPTY_PROBLEMS, "Nova", "Acme", *values,
                          api_name="/start")


def _still_good(client, studio, card_before=None):
    """The app answers, holds the model it held, and has no job stuck running."""
    answer, card = client.predict("Who are you?", api_name="/ask")
    assert not answer.startswith("⚠"), answer
    if card_before is not None:
        assert card == card_before
    assert client.predict(api_name="/job")["status"] not in ("running", "stopping")


APP_LOADS = [
    ("hub id offline", "nobody/no-such-model", "could not download 'nobody/no-such-model'"),
    ("path missing", "/no/such/model", "does not exist"),
    ("path not a model", "NOTMODEL", "is a folder but not a model"),
    ("remote code", "REMOTE", "never runs code that comes with a model"),
]


@pytest.mark.parametrize("row, source, sentence", APP_LOADS, ids=[r[0] for r in APP_LOADS])
def test_app_bad_model(row, source, sentence, app, files):
    client, studio = app
    _, card = client.predict("Who are you?", api_name="/ask")
    _, msg = client.predict(str(files.get(source.lower(), source)), "", api_name="/load_model")
    assert msg.startswith("⚠") and sentence in msg and "\n" not in msg.strip()
    _still_good(client, studio, card)  # the model loaded before is still the current one


APP_FILES = [
    ("data empty", "/load_pairs", "empty", "is empty"),
    ("data not parseable", "/load_pairs", "garbled", "line 2 is not valid JSON"),
    ("data not UTF-8", "/load_pairs", "latin1", "not UTF-8"),
    ("data wrong columns", "/load_pairs", "wrongcols", "needs columns prompt, chosen, rejected; found: question, answer"),
    ("data empty field", "/load_pairs", "emptyfield", "row 2 has an empty 'chosen' field"),
    ("GRPO without answers", "/load_problems", "noanswer", "needs columns question and answer"),
]


@pytest.mark.parametrize("row, api, name, sentence", APP_FILES, ids=[r[0] for r in APP_FILES])
def test_app_bad_data_file(row, api, name, sentence, app, files):
    client, studio = app
    upload = gradio_client.handle_file(str(files[name]))
    out = client.predict("", upload, api_name=api) if api == "/load_pairs" else client.predict(upload, api_name=api)
    msg = out[-1]
    assert msg.startswith("⚠") and sentence in msg, out
    _still_good(client, studio)


APP_SETTINGS = [
    ("learning rate 0", "dpo", dict(learning_rate=0), "learning rate must be above 0"),
    ("learning rate < 0", "dpo", dict(learning_rate=-1e-3), "learning rate must be above 0"),
    ("zero steps", "dpo", dict(max_steps=0), "steps must be between 1 and"),
    ("one generation", "grpo", dict(num_generations=1, batch_size=2), "generations per prompt must be between 2"),
    ("batch not divisible", "grpo", dict(num_generations=4, batch_size=6), "must be divisible by generations"),
    ("absurd max length", "dpo", dict(max_length=10**6), "max length must be between 16 and 8192"),
    ("absurd completion", "grpo", dict(max_completion_length=10**5), "max completion length must be between"),
]


@pytest.mark.parametrize("row, method, changes, sentence", APP_SETTINGS, ids=[r[0] for r in APP_SETTINGS])
def test_app_settings_out_of_range(row, method, changes, sentence, app):
    client, studio = app
    before = client.predict(api_name="/job")
    problems = {"headers": ["question", "answer"], "data": [["What is 2+3?", "5"]] * 4}
    msg = _start(client, method, problems=problems, **changes)
    assert msg.startswith("⚠") and sentence in msg, msg
    assert client.predict(api_name="/job").get("run_dir") == before.get("run_dir")  # nothing started
    _still_good(client, studio)


def test_app_cuts_long_rows_and_says_so(app, files):
    client, studio = app
    table, msg = client.predict("", gradio_client.handle_file(str(files["long"])), api_name="/load_pairs")
    assert msg.startswith("✓ 4"), msg
    assert _start(client, pairs=table, steps=1, batch_size=2).startswith("✓"), table
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "done", job
    assert job["notes"] == ["1 of 4 pairs are much longer than the max length (64 tokens) and are cut to fit (their ends "
                            "are dropped); 1 pair whose prompt alone fills it is left out; raise max length to keep them"]
    _still_good(client, studio)


def test_app_nan_loss_stops_the_job_and_says_why(app, files, tiny_dir):
    client, studio = app
    assert client.predict(str(files["nan"]), "", api_name="/load_model")[1].startswith("✓")
    assert _start(client, steps=3, batch_size=2).startswith("✓")
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "failed" and job["step"] == 1, job
    assert job["error"] == "the loss became nan at step 1; lower the learning rate and try again"
    assert client.predict(str(tiny_dir), "", api_name="/load_model")[1].startswith("✓")
    _still_good(client, studio)


def test_app_out_of_memory_frees_the_model_and_the_next_job_runs(app, monkeypatch):
    client, studio = app
    _run_out_of_memory_at_step_1(monkeypatch)  # the server runs in this process
    trained = weakref.ref(studio.lm.model)
    assert _start(client, steps=3, batch_size=2).startswith("✓")
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "failed" and job["error"].startswith("ran out of memory; the memory is freed"), job
    gc.collect()
    assert trained() is None  # the half-trained model is gone, not kept alive by the failed job
    monkeypatch.undo()
    assert _start(client, steps=2, batch_size=2).startswith("✓")  # the base model reloads and trains
    assert wait_job(client, lambda j: j["status"] not in ("running", "stopping"))["status"] == "done"
    _still_good(client, studio)


def test_app_start_while_running_and_stop_twice_or_idle_are_harmless(app):
    client, studio = app
    assert client.predict(api_name="/stop") == "Nothing is running."  # a sentence, and nothing breaks
    assert _start(client, steps=400).startswith("✓")
    wait_job(client, lambda j: j["step"] >= 1)
    assert _start(client, steps=2).startswith("⚠ Refused: a dpo job is running")
    first, second = client.predict(api_name="/stop"), client.predict(api_name="/stop")
    assert first.startswith("■ Stopping") and second.startswith("■"), (first, second)
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "stopped" and job["step"] < 400
    assert client.predict(api_name="/stop") == "Nothing is running."
    _still_good(client, studio)


def test_a_hub_token_is_never_written_logged_or_shown(app, tiny_dir, capfd):
    client, studio = app
    card, msg = client.predict("nobody/private-model", SECRET, api_name="/load_model")
    assert msg.startswith("⚠") and SECRET not in msg + str(card)
    card, msg = client.predict(str(tiny_dir), SECRET, api_name="/load_model")
    assert msg.startswith("✓") and SECRET not in card
    assert _start(client, steps=1, batch_size=2).startswith("✓")
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "done" and SECRET not in json.dumps(job)
    shown = [client.predict(api_name="/runs"), client.predict("Who are you?", api_name="/ask")]
    assert SECRET not in json.dumps(shown, default=str)
    for path in studio.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    out, err = capfd.readouterr()
    assert SECRET not in out + err


def test_trust_remote_code_is_never_enabled():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = [p for p in [root / "app.py", *root.joinpath("posttrain").rglob("*.py")]]
    assert not [p.name for p in sources if "trust_remote_code=True" in p.read_text(encoding="utf-8")]


def test_uploads_over_the_limit_are_refused(app, tmp_path):
    client, studio = app
    big = tmp_path / "big.jsonl"
    with big.open("w") as f:
        line = json.dumps(dict(PAIR, chosen="x" * 1000)) + "\n"
        f.write(line * (51 * 2**20 // len(line) + 1))
    with pytest.raises(Exception, match="(?i)file size|too large|exceeds"):
        client.predict("", gradio_client.handle_file(str(big)), api_name="/load_pairs")
    _still_good(client, studio)
