"""Fitting the gated edit's gates: which positions open them, the block inputs there, one detector per block.

A gate (see posttrain.gate) must open over an identity answer and stay shut at every
position of the model's own answers to unrelated questions. `sequences` turns the identity preset's
pairs into labelled token sequences, `fit` reads each patched block's MLP input at their positions
and fits a large-margin linear detector per block (`fit_detector`).

Reading those inputs is a forward pass over every unrelated answer. The data phase already makes
that pass: the model generates those answers itself. `Recorder` keeps the block inputs while it
generates, so `fit` only computes the few sequences nobody generated (the new identity answers).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from .gate import ANSWER_TOKENS, Detector, default_layers


@dataclass
class Sequence:
    """One tokenised conversation for fitting: `role` is "on" (an identity answer), "ask" (an identity
    prompt: only its last token is on), or "off" (an unrelated question and the model's answer).

    `feats` holds the block inputs at every position (block → (len(ids), hidden)) when they were
    recorded during generation; otherwise `fit` computes them.
    """

    ids: list[int]
    prompt_len: int
    role: str
    feats: dict[int, torch.Tensor] | None = None


def _labels(seq: Sequence) -> torch.Tensor:
    """+1 where the gate must be on, −1 where it must be off, 0 where it may be either."""
    n, p = len(seq.ids), seq.prompt_len
    if seq.role == "off":
        return torch.full((n,), -1.0)
    lab = torch.zeros(n)
    last = p + ANSWER_TOKENS if seq.role == "on" else p
    lab[p - 1:min(n, last)] = 1.0
    return lab


class _Enough(Exception):
    """Raised after the last block whose input is wanted: the rest of the forward pass is not needed."""


@torch.no_grad()
def block_inputs(model, seqs: list[Sequence], layers: list[int], batch_size: int = 16,
                 bf16: bool = False) -> dict[int, torch.Tensor]:
    """The MLP input of each block in `layers` at every real position of `seqs` (rows in order).

    The forward pass stops after the highest block asked for; `bf16` runs it under bf16 autocast
    (twice as fast on a CPU with native bf16; the scores move by far less than the gate's margin).
    """
    feats: dict[int, list[torch.Tensor]] = {layer: [] for layer in layers}
    current: dict[int, torch.Tensor] = {}
    blocks = model.model.layers
    hooks = [blocks[layer].mlp.register_forward_pre_hook(lambda m, inp, layer=layer: current.__setitem__(layer, inp[0]))
             for layer in layers]

    def enough(module, inp):
        raise _Enough

    hooks.append(blocks[max(layers)].mlp.register_forward_pre_hook(enough))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(seqs), batch_size):
            batch = seqs[start:start + batch_size]
            width = max(len(s.ids) for s in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros(len(batch), width, dtype=torch.long)
            for i, s in enumerate(batch):
                ids[i, :len(s.ids)] = torch.tensor(s.ids)
                mask[i, :len(s.ids)] = 1
            try:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False)
            except _Enough:
                pass
            for layer in layers:
                for i, s in enumerate(batch):
                    feats[layer].append(current[layer][i, :len(s.ids)].float().cpu())
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return {layer: torch.cat(v) if v else torch.empty(0, model.config.hidden_size) for layer, v in feats.items()}


@dataclass
class Recorded:
    """What `Recorder` kept of one generated row: its prompt and the tokens fed back, and the block inputs."""

    ids: list[int]
    prompt_len: int
    feats: dict[int, list[torch.Tensor]]


class Recorder:
    """Keeps each patched block's MLP input at every real position while the model generates.

    Use it around greedy batched generation (`models.generate_answers`: left padding, a KV cache).
    The first call of each batch (the prompts) is recorded at the unpadded positions; every later
    call feeds one token per row, recorded until the row's end-of-turn token has been fed. The last
    token a row generates is never fed back, so it has no inputs to record.
    """

    def __init__(self, model, layers: list[int] | None = None):
        self.model = model
        self.layers = layers or default_layers(model)
        ends = model.generation_config.eos_token_id
        self.ends = set(ends if isinstance(ends, list) else [ends])
        self.rows: list[Recorded] = []
        self._batch: list[Recorded] = []
        self._where: list[tuple[int, torch.Tensor | None]] = []  # (row in batch, positions) for this call
        self._hooks = []

    def __enter__(self) -> Recorder:
        inner = self.model.model
        self._hooks = [inner.register_forward_pre_hook(self._call, with_kwargs=True)]
        self._hooks += [inner.layers[layer].mlp.register_forward_pre_hook(
            lambda m, inp, layer=layer: self._keep(layer, inp[0])) for layer in self.layers]
        return self

    def __exit__(self, *exc) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks = []

    def _call(self, module, args, kwargs) -> None:
        ids, mask, past = kwargs.get("input_ids"), kwargs.get("attention_mask"), kwargs.get("past_key_values")
        self._where = []
        if ids is None:
            return
        if past is None or past.get_seq_length() == 0:  # a new batch of prompts
            self._batch = []
            for i in range(ids.shape[0]):
                real = (mask[i] == 1).nonzero().flatten().cpu() if mask is not None else torch.arange(ids.shape[1])
                row = Recorded(ids[i, real].tolist(), len(real), {layer: [] for layer in self.layers})
                self._batch.append(row)
                self.rows.append(row)
                self._where.append((i, real))
            return
        for i, row in enumerate(self._batch):
            if row.ids[-1] in self.ends and len(row.ids) > row.prompt_len:
                continue  # this row finished; generation keeps feeding it padding
            row.ids.append(int(ids[i, -1]))
            self._where.append((i, None))

    def _keep(self, layer: int, x: torch.Tensor) -> None:
        for i, real in self._where:
            kept = x[i, real] if real is not None else x[i, -1:]
            self._batch[i].feats[layer].append(kept.float().cpu())

    def by_prompt(self) -> dict[tuple[int, ...], Recorded]:
        """Recorded rows keyed by their prompt's token ids."""
        return {tuple(r.ids[:r.prompt_len]): r for r in self.rows}


def sequences(tokenizer, rows: list[dict], recorder: Recorder | None = None) -> list[Sequence]:
    """Fitting data from the identity preset's pairs (rows with `kind` "identity" or "control").

    An identity row's chosen answer is "on" (the gate must open where the new answer begins) and
    its prompt is "ask" (the model's own answer is free); a control row, the model's own answer to
    an unrelated question, is "off" at every position. With a `recorder` that watched the model
    answer these prompts, "ask" and "off" use what it recorded: the tokens the model generated and
    the block inputs it computed for them.
    """
    end = tokenizer.eos_token or ""
    seen = recorder.by_prompt() if recorder else {}

    def answer(messages):
        return tokenizer("".join(m["content"] for m in messages) + end, add_special_tokens=False)["input_ids"]

    def recorded(p, role):
        r = seen.get(tuple(p))
        if r is None:
            return None
        n = len(p) if role == "ask" else len(r.ids)
        return Sequence(r.ids[:n], len(p), role, {k: torch.cat(v)[:n] for k, v in r.feats.items()})

    out = []
    for row in rows:
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if row.get("kind") == "identity":  # cut where the labels end: the rest would be "either"
            out += [Sequence((p + answer(row["chosen"]))[:len(p) + ANSWER_TOKENS], len(p), "on"),
                    recorded(p, "ask") or Sequence(p, len(p), "ask")]
        elif row.get("kind") == "control":
            out.append(recorded(p, "off") or Sequence(p + answer(row["chosen"]), len(p), "off"))
    return out


def fit_detector(x: torch.Tensor, labels: torch.Tensor, l2: float = 1e-3, max_steps: int = 50) -> Detector:
    """A large-margin linear separation of the labelled positions (squared hinge, classes balanced).

    The squared hinge is a least-squares problem on the positions inside the margin, so Newton's
    method with that active set (a finite Newton method for L2-loss linear SVMs) solves it exactly
    in 15–20 steps, in float64 so the result does not depend on the thread count; on the bundled
    model it matched 300 L-BFGS iterations' loss to six digits in a fifth of the time.
    """
    keep = labels != 0
    x, y = x[keep].double(), labels[keep].double()
    mu, sd = x.mean(0), x.std(0) + 1e-3
    z = torch.cat([(x - mu) / sd, torch.ones(len(y), 1, dtype=torch.float64)], 1)  # last column: the bias
    weight = torch.where(y > 0, (y < 0).sum() / (y > 0).sum().clamp(min=1), torch.ones_like(y)) / len(y)
    ridge = torch.full((z.shape[1],), l2, dtype=torch.float64)
    ridge[-1] = 0.0

    def loss(theta):
        return float((weight * F.relu(1 - y * (z @ theta)) ** 2).sum() + (ridge * theta ** 2).sum())

    theta = torch.zeros(z.shape[1], dtype=torch.float64)
    active = None
    for _ in range(max_steps):
        f = z @ theta
        now = y * f < 1
        za, wa = z[now], weight[now]
        grad = za.T @ (wa * (f[now] - y[now])) + ridge * theta
        step = torch.linalg.solve((za.T * wa) @ za + torch.diag(ridge), grad)
        t, start = 1.0, loss(theta)
        while loss(theta - t * step) > start - 1e-4 * t * float(grad @ step) and t > 1e-8:
            t /= 2
        theta = theta - t * step
        if t == 1.0 and active is not None and torch.equal(active, now):
            break
        active = now
    w_x = theta[:-1] / sd
    b_x = float(theta[-1] - (mu * w_x).sum())
    s = x @ w_x + b_x
    return Detector(w_x.float(), b_x, float(s[y > 0].min()), float(s[y < 0].max()))


def _shared_prefix(seqs: list[Sequence]) -> int:
    """How many leading tokens every sequence shares (the chat template's system prompt, mostly)."""
    first = seqs[0].ids
    n = min(len(s.ids) for s in seqs)
    for s in seqs[1:]:
        while n and s.ids[:n] != first[:n]:
            n -= 1
    return n


def fit(model, seqs: list[Sequence], layers: list[int] | None = None, bf16: bool = False) -> dict[int, Detector]:
    """One detector per patched block, fitted on that block's MLP input over `seqs`.

    Inputs not recorded during generation are computed here. Positions inside the prefix all
    sequences share have the same input everywhere; they are labelled once, so the shared system
    prompt does not outweigh the answers.
    """
    layers = layers or default_layers(model)
    recorded = [s.feats is not None and all(layer in s.feats for layer in layers) for s in seqs]
    computed = block_inputs(model, [s for s, r in zip(seqs, recorded) if not r], layers, bf16=bf16)
    at = 0
    parts: dict[int, list[torch.Tensor]] = {layer: [] for layer in layers}
    for s, r in zip(seqs, recorded):
        for layer in layers:
            parts[layer].append(s.feats[layer] if r else computed[layer][at:at + len(s.ids)])
        at += 0 if r else len(s.ids)
    shared = _shared_prefix(seqs)
    labels = []
    for i, s in enumerate(seqs):
        lab = _labels(s)
        if i:
            lab[:min(shared, s.prompt_len - 1)] = 0
        labels.append(lab)
    labels = torch.cat(labels)
    return {layer: fit_detector(torch.cat(parts[layer]), labels) for layer in layers}
