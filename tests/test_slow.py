"""End to end on the real bundled SmolLM2-135M-Instruct (minutes on 2 cores; CI runs them).

The identity preset must change who the model says it is and nothing else, on questions it never
trained on: the held-out evaluation questions in `posttrain.banks`, in English and Chinese.
"""

import json

import pytest

from posttrain import presets
from posttrain.runner import start_job

pytestmark = pytest.mark.slow


def test_identity_preset_flips_the_name_and_nothing_else(tmp_path):
    req = presets.identity_request(None, "Nova Prime", "Starlight Labs")
    job = start_job("dpo", tmp_path / "run", presets.recipe_for(req))
    job.wait(1200)
    assert job.status == "done", job.error
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    print("identity preset:", scores, job.snapshot()["phase_times"])
    assert scores["success"] >= 0.9, scores
    assert scores["leak"] <= 0.1, scores
    assert scores["unchanged"] >= 0.8, scores
    assert job.snapshot()["phase_times"]["train"] <= 180
