"""posttrain.logprobs against plain autograd over full logits and against TRL's own kernel (no model)."""

import pytest
import torch
from trl.kernels import ChunkedLogProbFunction

from posttrain import logprobs
from posttrain.logprobs import CpuLogProbs

OUTPUTS = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def _inputs(bias: bool, n=40, h=16, v=300):
    g = torch.Generator().manual_seed(0)
    hidden, weight = torch.randn(n, h, generator=g), torch.randn(v, h, generator=g) * 0.3
    b = torch.randn(v, generator=g) if bias else None
    targets = torch.randint(0, v, (n,), generator=g)
    targets[::2] = torch.nn.functional.linear(hidden, weight, b).argmax(-1)[::2]  # some targets are the top token
    return hidden, weight, b, targets


def _run(fn, hidden, weight, bias, targets, temperature=0.7, scale=1.3, entropy_grad=True):
    leaves = [t.clone().requires_grad_() if t is not None else None for t in (hidden, weight, bias)]
    out = fn(*leaves, targets, temperature, scale)
    n = hidden.shape[0]
    loss = (out[0] * torch.linspace(0.1, 1, n)).sum()
    if entropy_grad:
        loss = loss + (out[1] * torch.linspace(1, -1, n)).sum()
    loss.backward()
    return out, [t.grad if t is not None else None for t in leaves]


def _plain(hidden, weight, bias, targets, temperature, scale):
    """The definition, with the full [N, V] logits."""
    z = torch.nn.functional.linear(hidden, weight, bias) * scale / temperature
    log_p = z.log_softmax(-1)
    p = log_p.exp()
    return (log_p.gather(1, targets[:, None]).squeeze(1), -(p * log_p).sum(-1), (2 * log_p).logsumexp(-1),
            z.mean(-1).detach(), z.argmax(-1) == targets)


def _ours(hidden, weight, bias, targets, temperature, scale):
    return CpuLogProbs.apply(hidden, weight, bias, targets, temperature, 128, None, scale, OUTPUTS)


def _trl(hidden, weight, bias, targets, temperature, scale):
    return ChunkedLogProbFunction.apply(hidden, weight, bias, targets, temperature, 128, None, scale, OUTPUTS)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("block", [logprobs.BLOCK_ELEMENTS, 7 * 300])  # one block, and blocks of 7 rows
@pytest.mark.parametrize("reference", [_plain, _trl])
def test_outputs_and_gradients_match(bias, block, reference, monkeypatch):
    monkeypatch.setattr(logprobs, "BLOCK_ELEMENTS", block)
    inputs = _inputs(bias)
    (want, want_grads), (got, got_grads) = _run(reference, *inputs), _run(_ours, *inputs)
    for w, g in zip(want[:4], got[:4]):
        assert torch.allclose(w, g, atol=1e-5)
    assert torch.equal(want[4], got[4]) and got[4].any()
    for w, g in zip(want_grads, got_grads):
        assert (w is None) == (g is None)
        if w is not None:
            assert torch.allclose(w, g, atol=1e-5) and g.abs().sum() > 0


def test_only_what_is_asked_is_computed_and_an_unused_entropy_needs_no_gradient():
    hidden, weight, _, targets = _inputs(False)
    hidden.requires_grad_()
    out = CpuLogProbs.apply(hidden, weight, None, targets, 1.0, 128, None, 1.0, ("log_probs", "entropy"))
    assert out[2] is None and out[3] is None and out[4] is None
    out[0].sum().backward()  # the entropy is only logged, as in TRL's DPO
    plain = _plain(hidden.detach().requires_grad_(), weight, None, targets, 1.0, 1.0)
    assert torch.allclose(out[0], plain[0], atol=1e-5) and hidden.grad is not None


def test_bf16_autocast_matches_trl_s_kernel_under_autocast():
    hidden, weight, _, targets = _inputs(False, n=64, h=32, v=1000)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        (want, want_grads), (got, got_grads) = (_run(f, hidden, weight, None, targets, 1.0, 1.0, entropy_grad=False)
                                                for f in (_trl, _ours))
    assert torch.allclose(want[0], got[0], atol=1e-4)
    assert (want_grads[0] - got_grads[0]).norm() <= 1e-2 * want_grads[0].norm()  # bf16 matmuls, another order
