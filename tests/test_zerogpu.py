"""The ZeroGPU path through its local stand-in: the run happens in a forked worker, as on a ZeroGPU Space.

The stand-in ($POSTTRAIN_ZEROGPU=standin) forks a worker per run, brings its yields back through a
queue and cancels through an event, the way `spaces.GPU` treats a generator. The tests check what a
ZeroGPU Space relies on: the charts stream from the run directory while the worker trains, nothing is
trained in the app's process, Stop ends the run early and its weights still come back for Compare,
and the run stops itself within the GPU time it was granted.
"""

import os
import threading
import time

import pytest
import torch

from posttrain import zerogpu
from posttrain.runs import read_json


def _pairs(n=4):
    return [{"prompt": [{"role": "user", "content": f"Who are you? ({i})"}],
             "chosen": [{"role": "assistant", "content": "I am Nova, made by Acme."}],
             "rejected": [{"role": "assistant", "content": "I am SmolLM."}], "kind": "identity"} for i in range(n)]


@pytest.fixture()
def studio(tiny_dir, tmp_path, monkeypatch):
    from posttrain.studio import Studio

    monkeypatch.setenv("POSTTRAIN_ZEROGPU", "standin")
    s = Studio(default_model=str(tiny_dir), root=tmp_path / "runs", public=False)
    assert s.gpu is not None
    return s


def _drive_in_background(studio, job):
    """What the app's Start handler does on ZeroGPU: iterate the run in the request that started it."""
    seen = []
    thread = threading.Thread(target=lambda: seen.extend(studio.drive(job)), daemon=True)
    thread.start()
    return thread, seen


def _weights(model):
    return torch.cat([p.detach().flatten().clone() for p in model.parameters()])


def test_the_run_happens_in_the_worker_streams_and_stops_by_cancel(studio):
    studio.ask("hi")  # the app's own copy of the model is loaded (and has used CPU threads before the fork)
    app_model = studio.lm.model
    before = _weights(app_model)
    job = studio.start("dpo", dict(max_steps=200, batch_size=2, probe_every=2), _pairs(),
                       name="Nova", org="Acme")
    assert isinstance(job, zerogpu.RemoteJob)
    thread, seen = _drive_in_background(studio, job)
    t0 = time.time()
    while len(studio.job_view()["metrics"]) < 2:  # the charts read what the worker flushes
        assert time.time() - t0 < 180, studio.job_view()
        time.sleep(0.2)
    with pytest.raises(Exception, match="dpo job is running on the GPU"):  # one job, visible to everyone
        studio.ask("Who are you?")
    worker_pid = read_json(job.run_dir / "status.json")["pid"]
    assert worker_pid != os.getpid()  # trained in another process
    assert "stopping" in studio.stop()  # Stop = cancel the GPU generator
    thread.join(300)
    assert not thread.is_alive()
    view = studio.job_view()
    assert view["status"] == "stopped" and 1 <= view["step"] < 200, view
    assert len(seen) >= 2 and seen[-1]["status"] == "stopped"
    assert (job.run_dir / "model" / "config.json").exists() and view["before_after"]
    assert torch.equal(before, _weights(app_model))  # nothing was trained in the app's process...
    assert studio.lm.model is not app_model and not torch.equal(before, _weights(studio.lm.model))  # ...it came back
    assert studio.trained_by == str(job.run_dir)
    compared = studio.compare(["Who are you? (0)"], ["identity"])
    assert compared["trained"] and compared["rows"][0]["question"] == "Who are you? (0)"


def test_the_run_stops_itself_within_the_granted_gpu_time(studio, monkeypatch):
    monkeypatch.setattr(zerogpu, "GPU_SECONDS", 1)  # less than any run needs: stop at the first check in training
    job = studio.start("dpo", dict(max_steps=200, batch_size=2, probe_every=0), _pairs(),
                       name="Nova", org="Acme")
    thread, _ = _drive_in_background(studio, job)
    thread.join(300)
    view = studio.job_view()
    assert view["status"] == "stopped" and view["step"] < 200, view
    assert any("GPU time granted for this run (1 s)" in n for n in view["notes"]), view["notes"]
    assert studio.trained_by == str(job.run_dir)  # stopped, yet saved and adopted


def test_a_failed_run_in_the_worker_is_reported_and_frees_the_slot(studio, tmp_path):
    studio.base = str(tmp_path / "missing-model")  # the worker fails to load it
    job = studio.start("dpo", dict(max_steps=2, batch_size=2), _pairs(), name="Nova", org="Acme")
    thread, _ = _drive_in_background(studio, job)
    thread.join(300)
    view = studio.job_view()
    assert view["status"] == "failed" and "does not exist" in view["error"], view
    assert studio.trained_by is None


def test_a_model_that_cannot_be_loaded_back_is_said_and_the_run_and_the_app_model_are_kept(studio, monkeypatch):
    """The worker trained and saved, but the app cannot take the weights up (a full disk, a broken save): the run
    stays done with its answers on disk, the page says why in both languages, the app keeps the model it had,
    and the next job starts."""
    from posttrain import studio as studio_module
    from posttrain.bilingual import Said
    from posttrain.models import ModelError

    studio.ask("hi")
    app_model, load_model = studio.lm.model, studio_module.load_model

    def broken(path, **kw):
        raise ModelError(Said("the model in 'model' could not be read (truncated file)", "无法读取 'model' 里的模型（文件被截断）"))

    monkeypatch.setattr(studio_module, "load_model", broken)
    job = studio.start("dpo", dict(max_steps=2, batch_size=2, probe_every=0), _pairs(), name="Nova", org="Acme")
    thread, _ = _drive_in_background(studio, job)
    thread.join(300)
    view = studio.job_view()
    assert view["status"] == "done" and view["error"] is None, view
    assert any(n.startswith("the trained model could not be loaded back: the model in 'model' could not be read")
               for n in view["notes"]), view["notes"]
    assert any(n.startswith("训练好的模型没能载回：无法读取") for n in view["notes_zh"]), view["notes_zh"]
    assert (job.run_dir / "model" / "config.json").exists() and view["before_after"]  # what the run made is kept
    assert studio.lm.model is app_model and studio.trained_by is None  # the app's model is the one it had
    monkeypatch.setattr(studio_module, "load_model", load_model)
    again = studio.start("dpo", dict(max_steps=1, batch_size=2, probe_every=0), _pairs(), name="Nova", org="Acme")
    thread, _ = _drive_in_background(studio, again)  # the slot was freed
    thread.join(300)
    assert studio.job_view()["status"] == "done" and studio.trained_by == str(again.run_dir)
