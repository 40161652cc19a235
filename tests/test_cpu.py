"""posttrain.cpu: each CPU lever computes the same thing, and leaves the model and the process as it found them."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from posttrain import cpu


def test_bf16_weights_hold_the_job_in_bf16_and_give_the_fp32_weights_back(tiny):
    from posttrain.cpu import bf16_weights

    model = tiny.model
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tensors = {k: v.data_ptr() for k, v in model.state_dict().items()}
    with bf16_weights(model, True):
        assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
        lora = torch.nn.Linear(4, 4)  # what peft adds inside the job keeps its own dtype
        model.model.layers[0].mlp.extra = lora
    del model.model.layers[0].mlp.extra
    after = model.state_dict()
    assert all(torch.equal(after[k], v) and after[k].dtype == torch.float32 for k, v in before.items())
    assert {k: v.data_ptr() for k, v in after.items()} == tensors  # the same tensors, not copies
    with bf16_weights(model, False):
        assert next(model.parameters()).dtype == torch.float32


def test_frozen_layers_in_bf16_compute_what_autocast_did_and_come_back_tied(tiny):
    model = tiny.model
    head, embedding = model.get_output_embeddings(), model.get_input_embeddings()
    assert head.weight is embedding.weight  # the tiny model ties them, as SmolLM2 does
    model.requires_grad_(False)
    trained = model.model.layers[-1].mlp.down_proj.weight
    trained.requires_grad_(True)
    ids = torch.randint(30, 1000, (2, 12))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tensors = {k: v.data_ptr() for k, v in model.state_dict().items()}

    def step():
        trained.grad = None
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(input_ids=ids).logits
        logits.float().logsumexp(-1).sum().backward()
        return logits.detach(), trained.grad.clone()

    want = step()
    with cpu.frozen_in_bf16(model, True):
        assert head.weight is not embedding.weight and head.weight.dtype == torch.bfloat16
        assert embedding.weight.dtype == torch.float32 and trained.dtype == torch.float32
        assert model.model.layers[0].mlp.up_proj.weight.dtype == torch.bfloat16
        got = step()
        with cpu.full_precision(model):  # answers judged at full precision see the fp32 weights
            assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert torch.equal(want[0], got[0]) and torch.equal(want[1], got[1])  # bit for bit
    assert model.get_output_embeddings().weight is embedding.weight  # tied again
    after = model.state_dict()
    assert all(torch.equal(after[k], v) and after[k].dtype == torch.float32 for k, v in before.items())
    assert {k: v.data_ptr() for k, v in after.items()} == tensors
    with contextlib.suppress(RuntimeError), cpu.frozen_in_bf16(model, True):
        raise RuntimeError("the job failed")
    assert model.get_output_embeddings().weight is embedding.weight
    assert all(torch.equal(after[k], v) for k, v in model.state_dict().items())
    with cpu.frozen_in_bf16(model, False):
        assert model.model.layers[0].mlp.up_proj.weight.dtype == torch.float32


def test_eager_attention_is_used_for_the_job_and_the_model_s_own_comes_back(tiny):
    model = tiny.model
    ids = torch.randint(30, 1000, (2, 10))
    with torch.no_grad():
        before = model(input_ids=ids).logits
        assert model.config._attn_implementation == "sdpa"
        with cpu.eager_attention(model, True):
            assert model.config._attn_implementation == "eager"
            eager = model(input_ids=ids).logits
        assert model.config._attn_implementation == "sdpa"
        with cpu.eager_attention(model, False):
            assert model.config._attn_implementation == "sdpa"
    assert torch.allclose(before, eager, atol=1e-5)


def test_the_allocator_setting_is_undone_and_changes_no_result():
    x = torch.randn(600, 50_000)  # 120 MB: mmapped by default, kept in the heap inside
    want = x.log_softmax(-1)
    with cpu.allocator_keeps_memory():
        got = [x.log_softmax(-1) for _ in range(2)]
    assert all(torch.equal(want, g) for g in got)
    assert cpu._libc() is not None  # glibc: the lever is really there on Linux


def _lora(model):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)  # the same adapters every time
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                  task_type="CAUSAL_LM"))
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)  # B starts at zero: give the adapters an effect
    return peft_model


def _step(peft_model, ids, autocast=True):
    peft_model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = peft_model(input_ids=ids).logits
    logits.float().pow(2).mean().backward()
    return logits.float(), {n: p.grad.clone() for n, p in peft_model.named_parameters() if p.requires_grad}


def test_fused_lora_is_as_close_to_fp32_as_peft_s_bf16(tiny):
    import copy

    ids = torch.randint(30, 1000, (2, 10))
    exact, exact_grads = _step(_lora(copy.deepcopy(tiny.model)), ids, autocast=False)  # fp32 throughout
    with cpu.bf16_weights(tiny.model, True):
        peft_model = _lora(tiny.model)
        peft, peft_grads = _step(peft_model, ids)
        cpu.fuse_lora(peft_model)
        fused, fused_grads = _step(peft_model, ids)
        with torch.no_grad():  # outside autocast: peft's own forward (a probe's generation)
            out = peft_model.generate(input_ids=ids, max_new_tokens=3, do_sample=False)
    assert out.shape == (2, 13)
    assert not torch.equal(fused, peft)  # the fused path ran
    assert (fused - exact).norm() <= 1.5 * (peft - exact).norm()
    assert fused_grads.keys() == exact_grads.keys() and len(fused_grads) == 2 * 7 * 2  # A and B, 7 layers, 2 blocks
    for name, g in fused_grads.items():
        assert g.dtype == torch.float32 and g.abs().sum() > 0, name
    error = {name: sum(((grads[n] - exact_grads[n]).norm() / exact_grads[n].norm()).item() for n in exact_grads)
             for name, grads in (("peft", peft_grads), ("fused", fused_grads))}
    assert error["fused"] <= 1.5 * error["peft"], error


def test_cpu_training_puts_everything_back(tiny):
    model = tiny.model
    before = {k: (v.dtype, v.data_ptr()) for k, v in model.state_dict().items()}
    with cpu.cpu_training(model, lora=True, max_length=64):
        assert model.config._attn_implementation == "eager"
        if cpu.cpu_bf16_supported():
            assert next(model.parameters()).dtype == torch.bfloat16
    assert model.config._attn_implementation == "sdpa"
    assert {k: (v.dtype, v.data_ptr()) for k, v in model.state_dict().items()} == before
    with cpu.cpu_training(model, lora=False, max_length=512):  # a full fine-tune keeps fp32; long: SDPA
        assert next(model.parameters()).dtype == torch.float32 and model.config._attn_implementation == "sdpa"


class _Libc:
    """A stand-in for glibc that records the allocator calls (glibc has no getter to read them back)."""

    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("trim", pad))
        return 1


def _trl_originals():
    import trl.kernels
    import trl.kernels.chunked_logprob
    import trl.trainer.utils as trl_utils

    return ((trl_utils._use_triton, trl_utils._ChunkedLogProbFunction),
            (trl.kernels.chunked_logprob._use_triton, trl.kernels.ChunkedLogProbFunction))


@pytest.mark.parametrize("job_fails", [False, True])
def test_cpu_training_leaves_the_process_as_it_found_it(tiny, monkeypatch, job_fails):
    """Every lever is off again after the job, also after a job that raised: TRL, peft, threads, allocator."""
    from peft.tuners.lora.layer import Linear

    libc = _Libc()
    monkeypatch.setattr(cpu, "_libc", lambda: libc)
    model, threads, environ, peft_forward = tiny.model, torch.get_num_threads(), dict(os.environ), Linear.forward
    multinomial, head = torch.multinomial, model.get_output_embeddings()
    current, original = _trl_originals()
    assert current == original
    with contextlib.suppress(RuntimeError):
        with cpu.cpu_training(model, lora=True, max_length=64) as levers:
            assert _trl_originals()[0] != original  # the CPU LM head is in TRL's place
            assert torch.multinomial is not multinomial and len(head._forward_pre_hooks) == 1
            assert libc.calls == [(cpu._M_MMAP_THRESHOLD, 1 << 30), (cpu._M_TRIM_THRESHOLD, 1 << 30)]
            torch.set_num_threads(threads + 1)  # as accelerate does in a multi-process CPU run
            peft_model = _lora(model)  # what the trainer does
            levers.trainer_ready(peft_model)
            layers = [m for m in peft_model.modules() if isinstance(m, Linear)]
            assert layers and all(m.forward.__func__ is cpu._fused_forward for m in layers)
            if job_fails:
                raise RuntimeError("the job failed")
    assert _trl_originals()[0] == original
    assert Linear.forward is peft_forward
    assert torch.multinomial is multinomial and not head._forward_pre_hooks
    assert not [name for name, m in peft_model.named_modules() if "forward" in m.__dict__]
    assert all(m.forward.__func__ is Linear.forward for m in layers)
    assert torch.get_num_threads() == threads
    assert model.config._attn_implementation == "sdpa" and next(model.parameters()).dtype == torch.float32
    assert libc.calls[2:] == [(cpu._M_MMAP_THRESHOLD, 32 << 20), (cpu._M_TRIM_THRESHOLD, 64 << 20), ("trim", 0)]
    assert dict(os.environ) == environ


def test_the_lm_head_switch_leaves_trl_s_own(tiny, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_CPU_LM_HEAD", "0")
    current, original = _trl_originals()
    with cpu.cpu_training(tiny.model, lora=True, max_length=64):
        assert _trl_originals()[0] == original
    monkeypatch.setenv("POSTTRAIN_CPU_LM_HEAD", "1")
    with cpu.cpu_lm_head(), cpu.cpu_lm_head():  # nested: each puts back what it found
        assert _trl_originals()[0] != original
    assert _trl_originals()[0] == original


def test_importing_the_engine_patches_nothing():
    """TRL's private functions are TRL's own after `import posttrain.jobs` (a fresh process)."""
    code = ("import posttrain.jobs, trl.trainer.utils as u, trl.kernels as k, trl.kernels.chunked_logprob as c\n"
            "assert u._use_triton is c._use_triton and u._ChunkedLogProbFunction is k.ChunkedLogProbFunction\n")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=300)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_faster_multinomial_draws_what_torch_draws_and_leaves_other_calls_to_torch(dtype):
    original = torch.multinomial
    probs = torch.softmax(torch.randn(16, 49152, dtype=dtype) * 2, -1)
    probs[:, :100] = 0.0  # zeros are never drawn
    for seed in range(5):
        torch.manual_seed(seed)
        theirs = torch.multinomial(probs, 1)
        torch.manual_seed(seed)
        with cpu.faster_multinomial():
            assert torch.multinomial is not original
            ours = torch.multinomial(probs, num_samples=1)
        assert torch.equal(ours, theirs) and (ours >= 100).all()
        g1, g2 = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        assert torch.equal(cpu.multinomial_one(probs, g1), original(probs, 1, generator=g2))
    assert torch.multinomial is original
    with cpu.faster_multinomial():
        assert torch.multinomial(probs[0], 2).shape == (2,)  # other calls: torch's own
        for bad in ([[0.5, float("nan")]], [[0.5, -0.1]], [[0.0, 0.0]]):
            with pytest.raises(RuntimeError):  # and torch's own error
                torch.multinomial(torch.tensor(bad), 1)


def test_the_lm_head_reads_a_contiguous_input_and_gives_the_same_logits(tiny):
    model, seen = tiny.model, []
    head = model.get_output_embeddings()
    ids = torch.randint(100, 1000, (3, 9))
    with torch.no_grad():
        probe = head.register_forward_pre_hook(lambda m, args: seen.append(args[0].is_contiguous()))
        plain = model(ids, logits_to_keep=1).logits
        probe.remove()
        with cpu.contiguous_lm_head(model), cpu.contiguous_lm_head(model):  # nested: harmless
            probe = head.register_forward_pre_hook(lambda m, args: seen.append(args[0].is_contiguous()))
            fixed = model(ids, logits_to_keep=1).logits
            probe.remove()
    assert seen == [False, True]  # transformers hands the head a strided slice; the lever, a contiguous copy
    assert torch.allclose(plain, fixed, atol=1e-6) and not head._forward_pre_hooks
