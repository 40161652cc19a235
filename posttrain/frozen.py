"""Frozen lower blocks computed once per sequence, not once per step.

When training changes nothing below block n (the gated edit's lowest patch is block 14 of 30), the
output of blocks 0…n−1 for a given token sequence is the same at every step. DPO sees each pair
once to precompute the reference log-probs and then again every epoch, so `FrozenBlocks` keeps
that output from the first pass and, when every row of a later batch has been seen, skips those
blocks and hands block n what they computed then. Backpropagation stopped at block n anyway; this
also saves their forward pass (measured: 12 % of a gated DPO step on the bundled model).

Only plain full-sequence passes are memoised: right-padded rows, no KV cache (generation for probes
and answers runs the blocks as usual), no explicit position ids. The key includes whether autocast
was on, so a bf16 pass never replays an fp32 one.

`FixedPass` does the same for a pass whose input never changes (posttrain.watch scores the same answers
after every step, laid out as a tree with its own mask and positions): the depth is found from which
parameters train (`frozen_depth`), so it serves the gated edit, LoRA on the top blocks and any job alike.
"""

from __future__ import annotations

import contextlib

import torch

# The memo stops growing past this (64 tokens at hidden size 576 in fp32 are 150 kB).
MAX_BYTES = 512 * 2 ** 20


class FrozenBlocks:
    """Memoise the output of `model.model.layers[:n]`, which must have no trainable parameters.

    Use as a context manager around the trainer's construction (the reference pass fills the memo)
    and its training. `hits` and `misses` count forward passes replayed and computed.
    """

    def __init__(self, model, n: int):
        if frozen_depth(model) < n:
            raise ValueError(f"blocks below {n} have trainable parameters: their output changes during training")
        inner = model.model
        if getattr(model.config, "attention_dropout", 0.0):
            raise ValueError("attention dropout makes each pass through the blocks different")
        self.inner, self.n = inner, n
        self.memo: dict[tuple, torch.Tensor] = {}
        self.bytes = 0
        self.hits = self.misses = 0
        self._mode: str | None = None  # "replay", "record" or None (run as usual) for the current pass
        self._rows: list[tuple[tuple, int]] = []  # (memo key, real length) of each row in the current pass
        self._shape = None  # (batch, width) of the current pass
        self._hooks = []

    def __enter__(self) -> FrozenBlocks:
        self._hooks = [self.inner.register_forward_pre_hook(self._start, with_kwargs=True)]
        for i in range(self.n):
            self.inner.layers[i].forward = self._block(i, self.inner.layers[i].forward)
        return self

    def __exit__(self, *exc) -> None:
        for h in self._hooks:
            h.remove()
        for i in range(self.n):
            del self.inner.layers[i].forward  # back to the class's own forward
        self._mode = None

    def _start(self, module, args, kwargs) -> None:
        """Decide, per forward pass, whether to replay the memo, fill it, or stay out of the way."""
        self._mode = None
        ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        past = kwargs.get("past_key_values")
        if (ids is None or ids.dim() != 2 or kwargs.get("use_cache") or kwargs.get("position_ids") is not None
                or (past is not None and past.get_seq_length() > 0)):
            return
        lengths = mask.sum(1) if mask is not None else torch.full((ids.shape[0],), ids.shape[1])
        if mask is not None:  # right padding only: real tokens first, then padding
            right = torch.arange(ids.shape[1], device=mask.device)[None, :] < lengths[:, None]
            if not torch.equal(right.to(mask.dtype), mask):
                return
        autocast = torch.is_autocast_enabled(ids.device.type)
        self._rows = [(tuple(ids[i, :n].tolist()) + (autocast,), n) for i, n in enumerate(lengths.tolist())]
        self._shape = ids.shape
        if all(key in self.memo for key, _ in self._rows):
            self._mode, self.hits = "replay", self.hits + 1
        else:
            self._mode, self.misses = "record", self.misses + 1

    def _block(self, i: int, forward):
        last = i == self.n - 1

        def run(hidden_states, *args, **kwargs):
            if self._mode == "replay":
                if not last:
                    return hidden_states
                first = self.memo[self._rows[0][0]]
                out = first.new_zeros(*self._shape, first.shape[-1])
                for row, (key, n) in enumerate(self._rows):
                    out[row, :n] = self.memo[key]
                return out
            out = forward(hidden_states, *args, **kwargs)
            if self._mode == "record" and last:
                for row, (key, n) in enumerate(self._rows):
                    if key not in self.memo and self.bytes < MAX_BYTES:
                        self.memo[key] = out[row, :n].detach().clone()
                        self.bytes += self.memo[key].numel() * self.memo[key].element_size()
            return out

        return run


def decoder_blocks(model) -> tuple[torch.nn.Module | None, torch.nn.ModuleList | None]:
    """(the decoder, its list of blocks) of a causal LM, or of the one a peft model wraps; (None, None) if it has none."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inner = getattr(base, "model", None)
    layers = getattr(inner, "layers", None)
    return (inner, layers) if isinstance(layers, torch.nn.ModuleList) else (None, None)


def frozen_depth(model) -> int:
    """How many blocks from the bottom have no trainable parameter, nor the embeddings below them (0: none).

    SmolLM2 under the gated edit: 14 (its lowest patch); LoRA on the top 10 blocks: 20; LoRA on all: 0.
    """
    inner, layers = decoder_blocks(model)
    embed = getattr(inner, "embed_tokens", None)
    if layers is None or embed is None or any(p.requires_grad for p in embed.parameters()):
        return 0
    return next((i for i, block in enumerate(layers) if any(p.requires_grad for p in block.parameters())), len(layers))


class FixedPass:
    """The frozen lower blocks of a pass that is always the same input, computed once and replayed.

    posttrain.watch scores the same tokens after every step: what the blocks below the lowest trainable
    one give them does not change, so `with fixed.around(model, key):` records the output of block n−1
    at a key's first pass and, at later passes under the same key, skips blocks 0…n−1 and hands block n
    what they gave then. The key must name the input (the precision is the trainer's, the same for the whole
    training); the depth n is looked up at each pass, and when it changes everything kept is dropped (a block
    that trained in between may have moved).
    `forget()` when a new training starts. Blocks that return a tuple (not transformers 5's decoders) are
    run every time.
    """

    def __init__(self):
        self.saved: dict[tuple, torch.Tensor] = {}
        self.replayed = 0

    def forget(self) -> None:
        self.saved.clear()

    @contextlib.contextmanager
    def around(self, model, key):
        n = frozen_depth(model)
        key = (key, n, id(model))
        if any(k[1:] != key[1:] for k in self.saved):  # the depth changed: what was kept may have trained since
            self.saved.clear()
        if n == 0:
            yield
            return
        layers = decoder_blocks(model)[1]
        if key not in self.saved:  # this pass runs every block; block n−1's output is kept
            def keep(module, args, output):
                if isinstance(output, torch.Tensor):  # a block that returns a tuple is run every time
                    self.saved[key] = output.detach().clone()

            hook = layers[n - 1].register_forward_hook(keep)
            try:
                yield
            finally:
                hook.remove()
            return
        out = self.saved[key]
        own = [layers[i].__dict__.get("forward") for i in range(n)]  # an instance forward (FrozenBlocks') comes back
        for i in range(n - 1):
            layers[i].forward = lambda hidden_states, *a, **k: hidden_states
        layers[n - 1].forward = lambda *a, **k: out.clone()
        self.replayed += 1
        try:
            yield
        finally:
            for layer, forward in zip(layers, own):
                if forward is None:
                    del layer.forward
                else:
                    layer.forward = forward
