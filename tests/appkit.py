"""Helpers for tests that drive the launched app through gradio_client."""

import time

EMPTY_PAIRS = {"headers": ["prompt", "chosen", "rejected", "kind"], "data": []}
EMPTY_PROBLEMS = {"headers": ["question", "answer"], "data": []}


def settings(steps, probe_every=1, gated=False):
    # lora, lora_r, lr, steps, batch, accum, probe, beta, loss, sft, smoothing, max_length,
    # generations, completion length, temperature, kl, reward functions, weights, gated edit
    return [True, 8, 5e-3, steps, 4, 1, probe_every, 0.5, "sigmoid", 1.0, 0.0, 64,
            4, 16, 1.0, 0.0, ["boxed_match", "boxed_format"], "1.0, 0.5", gated]


def wait_job(client, cond, timeout=240):
    t0 = time.time()
    while True:
        job = client.predict(api_name="/job")
        if cond(job):
            return job
        assert time.time() - t0 < timeout, job
        time.sleep(0.3)
