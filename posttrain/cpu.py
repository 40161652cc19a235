"""What makes a short training job fast on a CPU: each lever measured in docs/benchmarks.md.

`cpu_training(model, ...)` wraps a job; every lever leaves the model and the process as it found them:

- **bf16 weights** (LoRA jobs, CPU with native bf16): under autocast an fp32 model's weights are cast
  to bf16 again in every forward pass. The frozen base is held in bf16 for the job and its fp32
  tensors are put back before the adapters are merged.
- **eager attention** for short sequences: PyTorch's CPU flash-attention kernel costs more than two
  plain matmuls and a softmax below about 128 tokens, above all in backward.
- **the allocator keeps freed memory**: glibc hands every block over 128 kB–32 MB to the kernel and
  back, so each step's activations and logits start as fresh pages, zeroed page by page; a step
  spent a tenth of its time in those page faults.

`fuse_lora(model)` runs each LoRA layer as one matmul-and-update under CPU autocast, instead of
peft's separate adapter output, scaling, addition and input casts.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import types

import torch

EAGER_MAX_LENGTH = 128  # tokens; measured crossover of eager and SDPA attention, forward + backward, 2 cores
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_KEEP_BYTES = 1 << 30


def cpu_bf16_supported() -> bool:
    """Whether this CPU does bf16 matmuls natively (AVX512-BF16 / AMX): then autocast is ~2x faster."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bf16_autocast(model) -> bool:
    """Mixed precision: on a bf16 GPU model, and on CPUs with native bf16 ($POSTTRAIN_CPU_BF16=0 turns it off)."""
    param = next(model.parameters())
    if param.dtype == torch.bfloat16:
        return True
    return param.device.type == "cpu" and os.environ.get("POSTTRAIN_CPU_BF16", "1") != "0" and cpu_bf16_supported()


@contextlib.contextmanager
def cpu_training(model, lora: bool, max_length: int | None):
    """The CPU levers for one job on `model` (a no-op on other devices); `max_length` None: keep the attention."""
    cpu = next(model.parameters()).device.type == "cpu"
    with contextlib.ExitStack() as stack:
        if cpu:
            stack.enter_context(bf16_weights(model, lora and bf16_autocast(model)))
            stack.enter_context(eager_attention(model, max_length is not None and max_length <= EAGER_MAX_LENGTH))
            stack.enter_context(allocator_keeps_memory())
        yield


@contextlib.contextmanager
def bf16_weights(model, enabled: bool):
    """Hold the model's weights in bf16 for a LoRA job, as a bf16 GPU would; the LoRA adapters peft adds stay fp32.

    Sampling runs one forward per new token: a GRPO decode step of 8 sequences took 93 ms with fp32
    weights, 68 ms with bf16 ones. On leaving, the original fp32 weights come back in place (the same
    tensors), so the adapters are merged into the full-precision base.
    """
    if not enabled or next(model.parameters()).dtype != torch.float32:
        yield
        return
    kept = [(m, name, t.data) for m in model.modules()
            for name, t in (*m.named_parameters(recurse=False), *m.named_buffers(recurse=False))]
    model.to(torch.bfloat16)
    try:
        yield
    finally:
        for m, name, data in kept:
            getattr(m, name).data = data


@contextlib.contextmanager
def eager_attention(model, enabled: bool):
    """Plain matmul-and-softmax attention for the job, the model's own implementation back afterwards."""
    before = getattr(model.config, "_attn_implementation", None)
    if not enabled or before != "sdpa" or not hasattr(model, "set_attn_implementation"):
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(before)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


@contextlib.contextmanager
def allocator_keeps_memory():
    """Keep blocks up to 1 GiB in the heap during the job; afterwards return what is free to the system.

    glibc only (Linux); elsewhere a no-op. Afterwards the mmap threshold is set to 32 MB, the most its
    own dynamic threshold would have grown to, and `malloc_trim` gives free memory back.
    """
    libc = _libc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
        libc.malloc_trim(0)


def fuse_lora(model) -> None:
    """Run each LoRA linear layer of `model` as one autograd function under CPU autocast: `x W^T + s (x A^T) B^T`.

    peft computes the adapter's output beside the base layer's, scales it and adds it: two passes over
    the `[tokens, out]` output forward and two more backward, plus casting every bf16 input to the fp32
    adapter and back, for 210 adapters per pass. Here the scaled update is added inside the matmul
    (`addmm`) and backward computes the input gradient the same way, so nothing output-sized is
    written twice. Other cases (no autocast, dropout, DoRA, several adapters, adapters off or merged)
    take peft's own forward. Same outputs and gradients up to bf16 rounding (tests/test_cpu.py).
    """
    from peft.tuners.lora.layer import Linear

    for layer in model.modules():
        if isinstance(layer, Linear) and "forward" not in layer.__dict__:
            layer.forward = types.MethodType(_fused_forward, layer)


def _fused_forward(self, x, *args, **kwargs):
    adapter = self.active_adapters[0] if len(self.active_adapters) == 1 else None
    base = self.get_base_layer()
    if (args or kwargs or adapter is None or self.disable_adapters or self.merged or adapter not in self.lora_A
            or adapter in self.lora_variant or not isinstance(self.lora_dropout[adapter], torch.nn.Identity)
            or self.lora_B[adapter].bias is not None or base.weight.requires_grad or self.fan_in_fan_out
            or x.device.type != "cpu" or not torch.is_autocast_enabled("cpu")):
        return type(self).forward(self, x, *args, **kwargs)
    return _LoraLinear.apply(x, base.weight, base.bias, self.lora_A[adapter].weight, self.lora_B[adapter].weight,
                             self.scaling[adapter])


class _LoraLinear(torch.autograd.Function):
    """y = x W^T + b + s (x A^T) B^T in the autocast dtype, W and b frozen; shapes x [..., in], A [r, in], B [out, r]."""

    @staticmethod
    def forward(ctx, x, weight, bias, lora_a, lora_b, scaling):
        dtype = torch.get_autocast_dtype("cpu")
        with torch.autocast("cpu", enabled=False):
            x2 = x.reshape(-1, x.shape[-1]).to(dtype)
            w, a, b = weight.to(dtype), lora_a.to(dtype), lora_b.to(dtype)
            xa = x2 @ a.t()
            y = x2 @ w.t() if bias is None else torch.addmm(bias.to(dtype), x2, w.t())
            y.addmm_(xa, b.t(), alpha=scaling)
        ctx.save_for_backward(x2, w, a, b, xa)
        ctx.scaling, ctx.x_shape, ctx.dtypes = scaling, x.shape, (x.dtype, lora_a.dtype, lora_b.dtype)
        return y.reshape(*x.shape[:-1], y.shape[-1])

    @staticmethod
    def backward(ctx, grad):
        x2, w, a, b, xa = ctx.saved_tensors
        s = ctx.scaling
        with torch.autocast("cpu", enabled=False):
            g = grad.reshape(-1, grad.shape[-1]).to(w.dtype)
            gb = g @ b  # [tokens, r]
            grad_x = None
            if ctx.needs_input_grad[0]:
                grad_x = (g @ w).addmm_(gb, a, alpha=s).reshape(ctx.x_shape).to(ctx.dtypes[0])
            grad_a = (gb.t() @ x2).float().mul_(s).to(ctx.dtypes[1]) if ctx.needs_input_grad[3] else None
            grad_b = (g.t() @ xa).float().mul_(s).to(ctx.dtypes[2]) if ctx.needs_input_grad[4] else None
        return grad_x, None, None, grad_a, grad_b, None
