"""Per-token log-probabilities through the LM head on a CPU, in a few whole-row kernels.

TRL scores completions with a fused LM head (`trl.kernels.ChunkedLogProbFunction`): it never holds
the `[tokens, vocabulary]` logits at once, and on a GPU a Triton kernel folds each tile in one pass.
Without Triton it folds each tile with about fifteen separate fp32 torch ops, forward and backward;
on a 2-core CPU that made the LM head a quarter of a LoRA DPO step. `CpuLogProbs` computes the same
outputs from blocks of whole rows with ATen's fused `logsumexp`, `exp`, `argmax` and one
`scatter_add`, recomputing the logits in backward as TRL does, so memory stays one block of rows
(about 128 MB) whatever the number of tokens. Same signature and outputs as TRL's function;
`posttrain.cpu.cpu_lm_head` puts it in TRL's place for CPU tensors.

Shapes: hidden `[N, H]`, weight `[V, H]`, bias `[V]` or None, targets `[N]`; returns
`(log_probs, entropy, log_sum_sq_probs, mean_logits, is_top1)`, each `[N]` or None when not asked for.
"""

from __future__ import annotations

import torch

BLOCK_ELEMENTS = 1 << 25  # logits held at once: 32 M floats (128 MB); 682 rows of a 49 152-token vocabulary


class CpuLogProbs(torch.autograd.Function):
    """`log softmax(hidden @ weight.T * logit_scale / temperature)[targets]`, with optional per-token statistics."""

    @staticmethod
    def forward(ctx, hidden, weight, bias, targets, temperature, chunk_size, final_logit_softcapping=None,
                logit_scale=1.0, outputs=("log_probs",)):
        # `chunk_size` is TRL's vocabulary tile width; whole rows are taken here, in blocks of BLOCK_ELEMENTS.
        if final_logit_softcapping is not None:
            raise ValueError("CpuLogProbs does not softcap logits; TRL's kernel does")
        ctx.set_materialize_grads(False)  # entropy is mostly logged, not differentiated: no zero gradients
        dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else hidden.dtype
        n, vocab = hidden.shape[0], weight.shape[0]
        rows = max(1, BLOCK_ELEMENTS // vocab)
        scale = logit_scale / temperature
        log_probs, log_z = hidden.new_empty(n, dtype=torch.float32), hidden.new_empty(n, dtype=torch.float32)
        extra = {name: hidden.new_empty(n, dtype=torch.bool if name == "is_top1" else torch.float32)
                 for name in ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1") if name in outputs}
        w = weight.to(dtype)
        with torch.autocast("cpu", enabled=False):
            for s in range(0, n, rows):
                e, t = min(s + rows, n), targets[s: s + rows]
                z = _logits(hidden[s:e].to(dtype), w, bias, scale)
                lz = torch.logsumexp(z, -1)
                log_probs[s:e] = z.gather(1, t[:, None]).squeeze(1) - lz
                log_z[s:e] = lz
                if "mean_logits" in extra:
                    extra["mean_logits"][s:e] = z.mean(-1)
                if "is_top1" in extra:  # argmax takes the first maximum, as TRL's kernel does
                    extra["is_top1"][s:e] = z.argmax(-1) == t
                if "entropy" in extra or "log_sum_sq_probs" in extra:
                    z -= lz[:, None]  # log p
                    if "log_sum_sq_probs" in extra:
                        extra["log_sum_sq_probs"][s:e] = torch.logsumexp(2 * z, -1)
                    if "entropy" in extra:
                        extra["entropy"][s:e] = -(z.exp() * z).sum(-1)
        # The entropy is saved for its own gradient; without it `log_z` only fills the slot.
        ctx.save_for_backward(hidden, weight, bias, targets, log_z, extra.get("entropy", log_z))
        ctx.dtype, ctx.scale, ctx.rows = dtype, scale, rows
        ctx.mark_non_differentiable(*(extra[k] for k in ("log_sum_sq_probs", "mean_logits", "is_top1") if k in extra))
        return (log_probs, extra.get("entropy"), extra.get("log_sum_sq_probs"), extra.get("mean_logits"),
                extra.get("is_top1"))

    @staticmethod
    def backward(ctx, grad_log_probs, grad_entropy, *_):
        hidden, weight, bias, targets, log_z, entropy = ctx.saved_tensors
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        dtype, scale, rows = ctx.dtype, ctx.scale, ctx.rows
        n = hidden.shape[0]
        grad_hidden = torch.zeros(hidden.shape, dtype=torch.float32) if need_hidden else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32) if need_weight else None
        grad_bias = torch.zeros(bias.shape, dtype=torch.float32) if need_bias else None
        if grad_log_probs is not None or grad_entropy is not None:
            w = weight.to(dtype)
            with torch.autocast("cpu", enabled=False):
                for s in range(0, n, rows):
                    e, t, h = min(s + rows, n), targets[s: s + rows], hidden[s: s + rows].to(dtype)
                    log_p = _logits(h, w, bias, scale)
                    log_p -= log_z[s:e, None]
                    grad_z = _logits_grad(log_p, t,
                                          None if grad_log_probs is None else grad_log_probs[s:e].float(),
                                          None if grad_entropy is None else grad_entropy[s:e].float(),
                                          entropy[s:e])
                    if scale != 1.0:
                        grad_z *= scale
                    if need_bias:
                        grad_bias += grad_z.sum(0)
                    grad_z = grad_z.to(dtype)
                    if need_hidden:
                        grad_hidden[s:e] = grad_z @ w
                    if need_weight:
                        grad_weight += grad_z.t() @ h
        return (None if grad_hidden is None else grad_hidden.to(hidden.dtype),
                None if grad_weight is None else grad_weight.to(weight.dtype),
                None if grad_bias is None else grad_bias.to(bias.dtype), None, None, None, None, None, None)


def _logits_grad(log_p, targets, grad_log_probs, grad_entropy, entropy) -> torch.Tensor:
    """The gradient on one block of logits, computed in place of `log_p` (fp32 `[rows, V]`).

    d log p_target / dz_j = 1[j = target] - p_j;  d entropy / dz_j = -p_j (log p_j + entropy).
    """
    p = log_p.exp()
    if grad_entropy is None:
        grad = p.mul_(-grad_log_probs[:, None])
    else:
        grad = log_p.add_(entropy[:, None]).mul_(p).mul_(-grad_entropy[:, None])
        if grad_log_probs is not None:
            grad.sub_(p.mul_(grad_log_probs[:, None]))
    if grad_log_probs is not None:
        grad.scatter_add_(1, targets[:, None], grad_log_probs[:, None])
    return grad


def _logits(hidden, weight, bias, scale: float) -> torch.Tensor:
    """One block of fp32 logits from a matmul in the compute dtype."""
    z = (hidden @ weight.t()).float()
    if bias is not None:
        z += bias.float()
    if scale != 1.0:
        z *= scale
    return z
