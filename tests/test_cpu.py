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


def test_lora_inputs_are_not_cast_under_autocast_and_still_are_outside(tiny):
    from peft import LoraConfig, get_peft_model

    model = tiny.model
    ids = torch.randint(30, 1000, (2, 10))
    with cpu.bf16_weights(model, True):
        peft_model = get_peft_model(model, LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"))
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.1)  # B starts at zero: give the adapters an effect
        assert {p.dtype for n, p in peft_model.named_parameters() if "lora_" in n} == {torch.float32}
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            want = peft_model(input_ids=ids).logits
            cpu.lora_casts_outside_autocast(peft_model)
            got = peft_model(input_ids=ids).logits
        assert torch.equal(want, got)  # casting to fp32 and back to bf16 changed nothing
        with torch.no_grad():  # outside autocast the bf16 input meets fp32 adapters: still cast
            out = peft_model.generate(input_ids=ids, max_new_tokens=3, do_sample=False)
        assert out.shape == (2, 13)


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
