"""Helpers for tests that drive the launched app through gradio_client."""

import time

EMPTY_PAIRS = {"headers": ["prompt", "chosen", "rejected", "kind"], "data": []}
EMPTY_PROBLEMS = {"headers": ["question", "answer"], "data": []}


# A short run on the tiny model, by setting name (the values a participant would type on the Train tab).
SHORT = dict(lora=True, lora_r=8, learning_rate=5e-3, batch_size=4, grad_accum=1, beta=0.5, loss_type="sigmoid",
             sft_weight=1.0, label_smoothing=0.0, max_length=64, num_generations=4, max_completion_length=16,
             temperature=1.0, kl_beta=0.0, reward_funcs=["boxed_match", "boxed_format"], reward_weights="1.0, 0.5",
             eval_share=0.0, center_rewards=0.01, reward_model="", cold_start_steps=0)


def settings(steps, probe_every=1, gated=False, **changes):
    """The settings inputs of /start in their order (posttrain.ui.tabs.train.INPUTS): the shared ones, then each
    method's preset (its first) and own fields; `changes` by setting name apply to every method that has it."""
    from posttrain import methods
    from posttrain.ui.tabs.train import INPUTS

    values = {**SHORT, "max_steps": steps, "probe_every": probe_every, "gated": gated, **changes}
    out = []
    for name in INPUTS:
        method, _, setting = name.rpartition(".")
        out.append(next(iter(methods.get(method).presets)) if setting == "preset" else values[setting])
    return out


def wait_job(client, cond, timeout=240):
    t0 = time.time()
    while True:
        job = client.predict(api_name="/job")
        if cond(job):
            return job
        assert time.time() - t0 < timeout, job
        time.sleep(0.3)
