"""posttrain.cpu: each CPU lever leaves the model as it found it and computes the same thing."""

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
