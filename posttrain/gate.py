"""A gated edit: new MLP neurons that fire only on the prompts a change is about.

DPO with LoRA moves every answer a little, and the bundled model's greedy answers sit on near ties
(the median smallest gap between its top two logits along an answer is 0.037), so a LoRA identity
change rewords most unrelated answers too. The gated edit keeps them bit-for-bit: in a few upper
blocks it adds neurons to the MLP whose gate is a linear detector, fitted before training on the
block's own input, that is switched on over an identity answer (from its first token to its end) and switched off, with a wide
margin, at every position of the model's answers to unrelated questions. DPO then trains only what
the new neurons write (their up and down projections). Where the gate is off they add less than a
rounding error, so the model computes exactly what it computed before.

The patch is baked into the model as ordinary neurons (a wider `intermediate_size`, MLP biases on),
so the result is a plain Llama checkpoint that `from_pretrained` loads. Each gated value neuron
becomes two SwiGLU neurons with the same detector, offset by `RAMP`, whose difference is a gate that
rises from 0 to 1 and stays there: silu(g) - silu(g - RAMP).

Supported where the architecture's MLP is SwiGLU and its config can turn on MLP biases (`mlp_bias`,
e.g. Llama and SmolLM); `supports(model)` says so. Fitting the detectors is posttrain.gate_fit's job.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .bilingual import Said

# The detector is fitted with a margin of 1 (on: score ≥ 1, off: score ≤ −1). The gate's input is
# SHARPNESS × (score − THRESHOLD): at score ≤ −0.1 that is ≤ −105, and silu(−105) ≈ −3e−44 is below
# float32's normal range, so the neuron adds nothing; the gate rises from 0 at THRESHOLD to 1 at
# THRESHOLD + RAMP / SHARPNESS (0.58). Held-out questions score well inside the margin, not at it.
SHARPNESS = 300.0
THRESHOLD = 0.25
RAMP = 100.0
SHUT = -105.0  # gate input at or below which a neuron's output is under float32's smallest normal number
WIDTH = 16  # value neurons per patched block (baked as 32 SwiGLU neurons)
# Positions from the last prompt token on where the gate must be on: the whole new answer (they are short).
# Open for only the first 4 (the name), the rest of the answer was the old model's: 0 % of answers about the
# maker named a three-word organisation and a third looped ("I'm Nova Sage Sage Sage…"); open for the whole
# answer, 92 % named it and none looped (docs/benchmarks.md).
ANSWER_TOKENS = 64


def supports(model) -> bool:
    """Whether the gated edit can be baked into this model (SwiGLU MLP whose config takes `mlp_bias`)."""
    cfg = getattr(model, "config", None)
    layers = getattr(getattr(model, "model", None), "layers", None)
    if cfg is None or layers is None or not hasattr(cfg, "mlp_bias") or not hasattr(cfg, "intermediate_size"):
        return False
    mlp = getattr(layers[0], "mlp", None)
    return all(isinstance(getattr(mlp, n, None), nn.Linear) for n in ("gate_proj", "up_proj", "down_proj")) \
        and getattr(cfg, "hidden_act", "") == "silu"


def default_layers(model) -> list[int]:
    """The blocks that get a patch: every fourth from the middle up (SmolLM2's 30 blocks: 14, 18, 22, 26).

    Backpropagation stops at the lowest one, so higher is cheaper, but without block 14 the name was
    learned for 9 of 16 held-out identity questions instead of 15; blocks below 40 % of the depth
    separate identity prompts from unrelated ones poorly in a linear probe (measured on SmolLM2).
    """
    n = model.config.num_hidden_layers
    return list(range(n // 2 - 1, n - 2, 4)) or [n - 1]


@dataclass
class Detector:
    """A linear score on a block's MLP input: > 1 on where the gate must be on, < −1 where it must be off."""

    weight: torch.Tensor  # (hidden,)
    bias: float
    train_on_min: float  # the lowest score at an "on" position of the fitting data
    train_off_max: float  # the highest score at an "off" position

    def score(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() @ self.weight + self.bias


class GatedPatch(nn.Module):
    """What a block's new neurons add: gate(x) · (down(up(x) + up_bias)), the gate frozen, the rest trained."""

    def __init__(self, detector: Detector, hidden: int, width: int, generator: torch.Generator | None = None):
        super().__init__()
        self.register_buffer("gate_weight", detector.weight.clone())
        self.gate_bias = detector.bias
        self.train_off_max = detector.train_off_max
        self.up = nn.Linear(hidden, width, bias=True)
        self.down = nn.Linear(width, hidden, bias=False)
        with torch.no_grad():  # like nn.Linear's own init, but from the run's seed
            bound = 1 / hidden ** 0.5
            self.up.weight.copy_(torch.rand(width, hidden, generator=generator) * 2 * bound - bound)
        nn.init.zeros_(self.down.weight)  # starts as no change: the reference is the model itself
        nn.init.zeros_(self.up.bias)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        g = SHARPNESS * (x @ self.gate_weight.to(x.dtype) + self.gate_bias - THRESHOLD)
        return (F.silu(g) - F.silu(g - RAMP)) / RAMP

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate(x).unsqueeze(-1) * self.down(self.up(x))


def attach(model, detectors: dict[int, Detector], width: int = WIDTH, seed: int = 0) -> dict[int, GatedPatch]:
    """Freeze the model and give each listed block a trainable `GatedPatch` (added to its MLP's output)."""
    for p in model.parameters():
        p.requires_grad_(False)
    patches = {}
    hidden = model.config.hidden_size
    generator = torch.Generator().manual_seed(seed)
    for layer, det in detectors.items():
        mlp = model.model.layers[layer].mlp
        patch = GatedPatch(det, hidden, width, generator).to(next(mlp.parameters()).device)
        mlp.gated_patch = patch  # a submodule, so the optimiser sees its parameters
        mlp._gated_hook = mlp.register_forward_hook(lambda m, inp, out: out + m.gated_patch(inp[0]))
        patches[layer] = patch
    return patches


@torch.no_grad()
def bake(model, patches: dict[int, GatedPatch]) -> None:
    """Turn the patches into ordinary neurons of a wider MLP, in place; the model saves as a plain checkpoint.

    Every block's MLP gets `2 × width` more neurons and biases (zero where unused); blocks without a
    patch compute exactly what they did. Each value neuron i becomes the pair
    (gate g, up +u_i, down d_i/RAMP) and (gate g − RAMP, up −u_i, down d_i/RAMP).
    """
    cfg = model.config
    width = max(p.up.out_features for p in patches.values())
    old, new = cfg.intermediate_size, cfg.intermediate_size + 2 * width
    for block in model.model.layers:
        mlp = block.mlp
        patch = getattr(mlp, "gated_patch", None)
        if patch is not None:
            mlp._gated_hook.remove()
            del mlp.gated_patch, mlp._gated_hook
        ref = mlp.gate_proj.weight
        gate, up, down = (_widened(mlp.gate_proj, new, rows=True), _widened(mlp.up_proj, new, rows=True),
                          _widened(mlp.down_proj, new, rows=False))
        if patch is not None:
            k = patch.up.out_features
            g_w = patch.gate_weight.to(ref.dtype) * SHARPNESS
            g_b = SHARPNESS * (patch.gate_bias - THRESHOLD)
            for half, sign in ((0, 1.0), (1, -1.0)):
                rows = slice(old + half * width, old + half * width + k)
                gate.weight[rows] = g_w
                gate.bias[rows] = g_b - half * RAMP
                up.weight[rows] = sign * patch.up.weight.to(ref.dtype)
                up.bias[rows] = sign * patch.up.bias.to(ref.dtype)
                down.weight[:, rows] = patch.down.weight.to(ref.dtype) / RAMP
        mlp.gate_proj, mlp.up_proj, mlp.down_proj = gate, up, down
        if hasattr(mlp, "intermediate_size"):
            mlp.intermediate_size = new
    cfg.intermediate_size = new
    cfg.mlp_bias = True
    # What the extra neurons are, for people reading the saved config.json (transformers keeps the key).
    cfg.gated_edit = {"blocks": sorted(patches), "value_neurons": width, "sharpness": SHARPNESS,
                      "threshold": THRESHOLD, "ramp": RAMP, "shut_below": THRESHOLD + SHUT / SHARPNESS,
                      "unrelated_max_score": round(max(p.train_off_max for p in patches.values()), 4)}


def _widened(linear: nn.Linear, size: int, rows: bool) -> nn.Linear:
    """`linear` with its intermediate side grown to `size` (new weights zero) and a bias (zero if it had none)."""
    w = linear.weight
    out_f, in_f = (size, w.shape[1]) if rows else (w.shape[0], size)
    wide = nn.Linear(in_f, out_f, bias=True, device=w.device, dtype=w.dtype)
    wide.weight.zero_()
    wide.bias.zero_()
    if rows:
        wide.weight[:w.shape[0]] = w
        if linear.bias is not None:
            wide.bias[:w.shape[0]] = linear.bias
    else:
        wide.weight[:, :w.shape[1]] = w
        if linear.bias is not None:
            wide.bias.copy_(linear.bias)
    wide.requires_grad_(False)
    return wide


def describe_baked(model) -> str:
    """One line for the run's notes: where the gates sit and how cleanly they separated the fitting data."""
    info = getattr(model.config, "gated_edit", None) or {}
    if not info:
        return Said("no gated edit in this model", "这个模型里没有门控编辑")
    blocks, blocks_zh = ', '.join(map(str, info['blocks'])), '、'.join(map(str, info['blocks']))
    high, shut = info["unrelated_max_score"], info["shut_below"]
    if high > shut:  # a linear detector could not separate this model's answers (e.g. a random model)
        return Said(f"gated edit in blocks {blocks}, but its gates could not be fitted to stay shut on all of the "
                    f"model's own unrelated answers (their highest score {high:+.2f}; shut below {shut:+.2f}): "
                    "some unrelated answers may change",
                    f"门控编辑位于第 {blocks_zh} 层，但它的门没能拟合成在模型自己的所有无关回答上都保持关闭"
                    f"（这些回答的最高分 {high:+.2f}；低于 {shut:+.2f} 才关闭）：有些无关回答可能会变")
    return Said(f"gated edit in blocks {blocks}: each gate opens over an identity answer and stays shut on "
                f"the model's own unrelated answers (their highest score {high:+.2f}; shut below {shut:+.2f})",
                f"门控编辑位于第 {blocks_zh} 层：每个门在身份回答上打开，在模型自己的无关回答上保持关闭"
                f"（这些回答的最高分 {high:+.2f}；低于 {shut:+.2f} 才关闭）")
