"""What makes a short training job fast on a CPU: each lever measured in docs/benchmarks.md.

`with cpu_training(model, ...) as levers:` wraps one job; every lever is applied on entering and
removed on leaving, also when the job raises. Nothing is patched at import time.

- **TRL's LM head** (`cpu_lm_head`, $POSTTRAIN_CPU_LM_HEAD=0 turns it off): log-probs of completion
  positions only, with posttrain.logprobs' kernel, for CPU tensors; TRL's private functions come back.
- **LoRA fused** (`fuse_lora`, by `levers.trainer_ready(trainer.model)` once the trainer has added the adapters):
  each LoRA layer as one matmul-and-update; the layers get peft's own `forward` back.
- **bf16 weights** (LoRA jobs, CPU with native bf16): under autocast an fp32 model's weights are cast
  to bf16 again in every forward pass. The frozen base is held in bf16 for the job and its fp32
  tensors are put back before the adapters are merged.
- **frozen layers in bf16** (every other job under CPU autocast: the gated edit's, a LoRA reward model's): each
  linear layer with nothing to train is held in bf16 for the job, the same bf16 tensors autocast made of it in
  every forward pass (and, for the vocabulary projection, again in backward); a head tied to the embedding
  gets its own bf16 copy, since the embedding must stay fp32. Same outputs and gradients, bit for bit
  (`frozen_in_bf16`; the casts were a sixth of a gated identity step, measured in docs/benchmarks.md).
- **eager attention** for short sequences: PyTorch's CPU flash-attention kernel costs more than two
  plain matmuls and a softmax below about 128 tokens, above all in backward.
- **the allocator keeps freed memory**: glibc hands every block over 128 kB–32 MB to the kernel and
  back, so each step's activations and logits start as fresh pages, zeroed page by page; a step
  spent a tenth of its time in those page faults. The one lever that cannot be put back exactly:
  see `allocator_keeps_memory`.
- **bf16 generation** (`generation_precision`, CPU with native bf16): greedy answers are written with the
  weights held in bf16 for the call, as a bf16 GPU writes them (3x faster with larger batches, measured
  in docs/benchmarks.md); the fp32 weights come back afterwards, so what is trained and saved is unchanged.
  Answers judged for a right result, or for being left as they were, stay fp32, inside a job too
  (`full_precision`; posttrain.evaluation.exact_kind says why).
- **the LM head reads one contiguous block** (`contiguous_lm_head`, every device, also around generation):
  transformers slices the last hidden state (`logits_to_keep`) into a strided view; for such a view and a
  frozen head (a LoRA job's, a trained gated edit's) `torch.matmul` does not fold the batch into one product
  but copies the whole vocabulary projection once per row: 3.8 s for a batch of 64 on 2 cores, 14 ms now.
- **the same sampled tokens, drawn faster** (`faster_multinomial`, CPU jobs): GRPO's answers are sampled one
  token at a time with `torch.multinomial`, whose CPU kernel draws an exponential variate for every
  vocabulary entry one at a time (16 ms for 16 rows × 49,152, a seventh of GRPO's sampling);
  `multinomial_one` computes the same variates from `torch.rand`'s vectorised uniforms: 10 ms, the same draws.
- **torch's thread count** is chosen when the model is loaded (posttrain.models.configure_threads);
  a job may change it (accelerate does in multi-process CPU runs), so the count found on entry is set
  again on leaving.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import types
from typing import Callable, Iterator

import torch

from . import switches

EAGER_MAX_LENGTH = 128  # tokens; measured crossover of eager and SDPA attention, forward + backward, 2 cores
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_KEEP_BYTES = 1 << 30
MMAP_THRESHOLD_AFTER = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: where its dynamic threshold stops


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
    return param.device.type == "cpu" and switches.cpu_bf16() and cpu_bf16_supported()


class Levers:
    """What `cpu_training` yields: adds the levers that need the trainer's model to the job's undo list."""

    def __init__(self, stack: contextlib.ExitStack, cpu: bool):
        self._stack, self.cpu = stack, cpu

    def trainer_ready(self, model) -> None:
        """Once the trainer has built its model (peft's adapters added, what trains decided): `fuse_lora(model)`
        and `frozen_in_bf16(model)` until the job ends (no-ops off the CPU, where neither path runs)."""
        if self.cpu:
            self._stack.callback(fuse_lora(model))
            self._stack.enter_context(frozen_in_bf16(model, bf16_autocast(model)))


@contextlib.contextmanager
def cpu_training(model, lora: bool, max_length: int | None) -> Iterator[Levers]:
    """The CPU levers for one job on `model` (only `contiguous_lm_head` elsewhere); `max_length` None: keep the attention.

        with cpu.cpu_training(model, lora=..., max_length=...) as levers:
            trainer = SomeTrainer(model=model, ...)
            levers.trainer_ready(trainer.model)
            trainer.train()

    On leaving, normally or by an exception, every lever is undone in reverse order.
    """
    cpu = next(model.parameters()).device.type == "cpu"
    with contextlib.ExitStack() as stack:
        stack.enter_context(contiguous_lm_head(model))  # on every device (TRL samples GRPO's answers with it)
        if cpu:
            stack.enter_context(threads_kept())
            stack.enter_context(bf16_weights(model, lora and bf16_autocast(model)))
            stack.enter_context(eager_attention(model, max_length is not None and max_length <= EAGER_MAX_LENGTH))
            stack.enter_context(allocator_keeps_memory())
            stack.enter_context(cpu_lm_head(switches.cpu_lm_head()))
            stack.enter_context(faster_multinomial())
        yield Levers(stack, cpu)


def _contiguous_input(module, args):
    if args and isinstance(args[0], torch.Tensor) and not args[0].is_contiguous():
        return (args[0].contiguous(), *args[1:])
    return None


@contextlib.contextmanager
def contiguous_lm_head(model):
    """Hand the model's LM head (its output embeddings) a contiguous input until leaving (a forward pre-hook).

    `model.generate` asks for the last position's logits only, and transformers takes them as
    `hidden[:, -1:, :]`, a view with the batch's stride. `torch.matmul` folds a batch into one matrix product
    when the weight requires a gradient or the strides allow a view; a frozen head (LoRA's base, a trained
    gated edit) gets neither, so its weight is broadcast to `[batch, hidden, vocabulary]` and copied: for the
    bundled model 64 × 28M values at the first step of every generated batch (3.8 s on 2 CPU cores; 14 ms for
    the same logits from a contiguous copy of the 64 rows). The values are the same. Nested uses are
    harmless; the hook is removed on leaving.
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None:
        yield
        return
    handle = head.register_forward_pre_hook(_contiguous_input)
    try:
        yield
    finally:
        handle.remove()


def multinomial_one(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor | None:
    """`torch.multinomial(probs, 1)` on a CPU, the same draw from the same random numbers, in two thirds of the time.

    torch draws q ~ Exp(1) for every entry and takes argmax(probs / q) per row (an exponential race: entry i
    wins with probability p_i / Σp). On the CPU its `exponential_` is −log1p(−u) of the generator's float64
    uniforms, cast to the rows' dtype, one element at a time; `torch.rand` gives the same uniforms in a
    vectorised loop. `[rows, 1]` int64 for float32 or float64 rows [rows, n]; None for anything else, and for
    rows torch would refuse (a non-finite or negative entry, a zero total), so that torch's own call raises.
    tests/test_cpu.py compares the draws with torch's, seed by seed.

    >>> g = torch.Generator().manual_seed(0)
    >>> draws = multinomial_one(torch.tensor([[0.0, 3.0, 0.0, 1.0]]).repeat(4000, 1), g).squeeze(1)
    >>> sorted(set(draws.tolist())), round(float((draws == 1).float().mean()), 1)
    ([1, 3], 0.8)
    >>> multinomial_one(torch.tensor([[0.5, float("nan")]])) is None
    True
    """
    if probs.dim() != 2 or probs.dtype not in (torch.float32, torch.float64) or probs.device.type != "cpu":
        return None
    low, high = torch.aminmax(probs)
    if not (bool(high < float("inf")) and bool(low >= 0) and bool((probs.sum(-1) > 0).all())):
        return None
    u = torch.rand(probs.shape, dtype=torch.float64, generator=generator)
    q = torch.log1p(u.neg_()).neg_().to(probs.dtype)
    return torch.div(probs, q, out=q).argmax(-1, keepdim=True)


@contextlib.contextmanager
def faster_multinomial():
    """`torch.multinomial` draws one sample per row with `multinomial_one` until leaving (the same draws);
    every other call (more samples, another device or dtype, `out=`) goes to torch's own."""
    original = torch.multinomial

    def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
        if num_samples == 1 and out is None:
            drawn = multinomial_one(input, generator)
            if drawn is not None:
                return drawn
        return original(input, num_samples, replacement, generator=generator, out=out)

    torch.multinomial = multinomial
    try:
        yield
    finally:
        torch.multinomial = original


@contextlib.contextmanager
def threads_kept():
    """torch's CPU thread count as found on entry, set again on leaving (it is per process)."""
    n = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(n)


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
    with _holding(kept):
        yield


_HELD: list[list] = []  # what each active bf16_weights or frozen_in_bf16 holds: (module, name, fp32 data) per tensor


@contextlib.contextmanager
def _holding(kept: list):
    """While the body runs, `full_precision` can find the fp32 tensors in `kept`; afterwards they are put back."""
    _HELD.append(kept)
    try:
        yield
    finally:
        _HELD.remove(kept)
        for m, name, data in kept:
            getattr(m, name).data = data


@contextlib.contextmanager
def frozen_in_bf16(model, enabled: bool):
    """Hold `model`'s frozen fp32 linear layers in bf16 while a job trains it under CPU autocast.

    Autocast casts an fp32 weight to bf16 in each forward pass and keeps the copy only while the pass lasts,
    and only for a weight that requires a gradient: a frozen vocabulary projection (49,152 × 576) was cast
    twice a step, 25 ms each. A bf16 weight is what autocast would have made of it, so outputs and gradients
    are the same bit for bit. Not the embedding: its lookup is not autocast, and a bf16 embedding would put
    the residual stream in bf16; a head tied to it gets its own bf16 parameter for the job and the tie
    comes back on leaving, as do the fp32 tensors of every other layer (the same tensors, in place).
    `full_precision` puts the fp32 tensors back for answers judged at full precision.
    """
    from torch import nn

    if not enabled:
        yield
        return
    owners: dict[int, int] = {}  # id of a parameter → how many modules hold it
    for m in model.modules():
        for p in m.parameters(recurse=False):
            owners[id(p)] = owners.get(id(p), 0) + 1
    frozen = [m for m in model.modules() if isinstance(m, nn.Linear)
              and not any(p.requires_grad or p.dtype != torch.float32 for p in m.parameters(recurse=False))]
    kept, untied = [], []
    try:
        with _holding(kept):  # a conversion that fails halfway (out of memory) is put back too
            for m in frozen:
                for name, p in list(m.named_parameters(recurse=False)):
                    kept.append((m, name, p.data))
                    if owners[id(p)] > 1:
                        untied.append((m, name, p))
                        setattr(m, name, nn.Parameter(p.detach().to(torch.bfloat16), requires_grad=False))
                    else:
                        p.data = p.data.to(torch.bfloat16)
            yield
    finally:
        for m, name, p in untied:
            setattr(m, name, p)


@contextlib.contextmanager
def full_precision(model):
    """Answers at the model's full precision inside a job: the fp32 weights `bf16_weights` holds are put back for
    the duration and accelerate's mixed-precision forward is taken off (both swaps of pointers, no copies).

    Probes during a LoRA job on a CPU with native bf16 (the arithmetic GRPO preset's) would otherwise answer in
    bf16 while the untrained model answered in fp32, and the live chart would show the drop as training's.
    """
    modules = {id(m) for m in model.modules()}
    swaps = [(getattr(m, name), data) for held in _HELD for m, name, data in held if id(m) in modules]
    low = [(t, t.data) for t, _ in swaps]
    for t, data in swaps:
        t.data = data
    wrapped = model.__dict__.get("forward") if hasattr(model, "_original_forward") else None
    if wrapped is not None:
        model.forward = model._original_forward
    try:
        yield
    finally:
        if wrapped is not None:
            model.forward = wrapped
        for t, data in low:
            t.data = data


def generates_in_bf16(model, enabled: bool = True) -> bool:
    """Whether `generation_precision(model, enabled)` holds the weights in bf16: fp32 weights on a CPU with native bf16."""
    param = next(model.parameters())
    return (enabled and param.device.type == "cpu" and param.dtype == torch.float32 and switches.cpu_bf16()
            and cpu_bf16_supported())


def generation_precision(model, bf16: bool = True):
    """Around a generation call: with `bf16`, the weights in bf16 where `generates_in_bf16` (`bf16_weights`); without,
    the model's full precision even inside a job that holds it in bf16 (`full_precision`)."""
    return bf16_weights(model, generates_in_bf16(model, True)) if bf16 else full_precision(model)


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

    glibc only (Linux); elsewhere a no-op. This lever is *not* restored exactly, and cannot be: glibc
    has no getter for its thresholds, and any `mallopt` of them switches glibc's dynamic threshold off
    for the rest of the process (it starts at 128 KiB and rises to the size of each freed mmapped
    block, up to 32 MiB on 64-bit, the trim threshold following at twice that). So on leaving, the
    thresholds are set to that rule's ceiling, 32 MiB / 64 MiB, and fixed there; `malloc_trim` gives
    the free memory back. Not glibc's start value 128 KiB: fixed, it would make every later tensor over
    128 KiB fresh zeroed pages (the cost this lever removes), while a torch process that has freed one
    logits tensor of 32 MiB or more (any forward pass of a real model) already sits at the ceiling.
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
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_AFTER)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD_AFTER)
        libc.malloc_trim(0)


@contextlib.contextmanager
def cpu_lm_head(enabled: bool = True):
    """Make TRL's fused LM head cheap on a CPU for the job: score only completion positions, with `CpuLogProbs`.

    - TRL scores every position (prompt included) on devices without Triton, to avoid recompiling for
      changing shapes on accelerators such as Neuron. A CPU does not recompile, and prompts are most of
      each short DPO sequence, so only the completions go through the vocabulary projection.
    - TRL's kernel folds each vocabulary tile with about fifteen fp32 torch ops when Triton is
      missing; `posttrain.logprobs.CpuLogProbs` gives the same outputs in a few fused kernels.

    Both give the same log-probs, statistics and gradients (tests/test_jobs.py, tests/test_logprobs.py).
    Only the `compact` decision and the kernel that `trl.trainer.utils` calls are changed, for CPU
    tensors; every other device keeps TRL's own. On leaving, the module holds what it held on entry.
    """
    if not enabled:
        yield
        return
    import trl.trainer.utils as trl_utils

    from .logprobs import CpuLogProbs

    use_triton, kernel = trl_utils._use_triton, trl_utils._ChunkedLogProbFunction

    class _ByDevice:
        @staticmethod
        def apply(hidden, weight, bias, targets, temperature, chunk_size, final_logit_softcapping=None,
                  logit_scale=1.0, outputs=("log_probs",)):
            on_cpu = hidden.device.type == "cpu" and final_logit_softcapping is None
            return (CpuLogProbs if on_cpu else kernel).apply(hidden, weight, bias, targets, temperature, chunk_size,
                                                          final_logit_softcapping, logit_scale, outputs)

    trl_utils._use_triton = lambda device: device.type == "cpu" or use_triton(device)
    trl_utils._ChunkedLogProbFunction = _ByDevice
    try:
        yield
    finally:
        trl_utils._use_triton, trl_utils._ChunkedLogProbFunction = use_triton, kernel


def fuse_lora(model) -> Callable[[], None]:
    """Run each LoRA linear layer of `model` as one autograd function under CPU autocast: `x W^T + s (x A^T) B^T`.

    peft computes the adapter's output beside the base layer's, scales it and adds it: two passes over
    the `[tokens, out]` output forward and two more backward, plus casting every bf16 input to the fp32
    adapter and back, for 210 adapters per pass. Here the scaled update is added inside the matmul
    (`addmm`) and backward computes the input gradient the same way, so nothing output-sized is
    written twice. Other cases (no autocast, dropout, DoRA, several adapters, adapters off or merged)
    take peft's own forward. Same outputs and gradients up to bf16 rounding (tests/test_cpu.py).

    Returns the undo: it gives the fused layers peft's own `forward` back (`Levers.trainer_ready` calls it
    when the job ends).
    """
    from peft.tuners.lora.layer import Linear

    fused = [layer for layer in model.modules() if isinstance(layer, Linear) and "forward" not in layer.__dict__]
    for layer in fused:
        layer.forward = types.MethodType(_fused_forward, layer)

    def undo() -> None:
        for layer in fused:
            if getattr(layer.__dict__.get("forward"), "__func__", None) is _fused_forward:
                del layer.forward

    return undo


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
