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

`lora_casts_outside_autocast(model)` stops peft casting each LoRA input to the adapters' fp32 under
autocast, where the linear layer casts it back to bf16 at once (two copies each way, same values).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os

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


def lora_casts_outside_autocast(model) -> None:
    """Under autocast, let each LoRA layer pass its input on as it is instead of casting it to the adapter's dtype.

    peft casts a bf16 input to the fp32 adapter; the adapter's linear layer then casts it back to bf16
    under autocast, and backward does both again. Outside autocast (generation in a probe) the cast is
    needed and stays.
    """
    from peft.tuners.tuners_utils import BaseTunerLayer

    for layer in model.modules():
        if isinstance(layer, BaseTunerLayer) and "_cast_input_dtype" not in layer.__dict__:
            cast = layer._cast_input_dtype
            layer._cast_input_dtype = (
                lambda x, dtype, cast=cast: x if x is not None and torch.is_autocast_enabled(x.device.type) else cast(x, dtype))
