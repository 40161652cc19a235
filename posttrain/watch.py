"""Teacher-forced views of a run, step by step: the identity flip curve and DPO's implicit reward per token.

Sampling an answer costs a generation; scoring a *given* answer costs one forward pass. `Watch` is a
`TrainerCallback` that scores a few fixed answers after every optimiser step (one forward, no gradients,
the answers laid out as a tree that runs each shared prompt once: `Answers`; the blocks below the lowest
trainable one run at the first scoring only, `frozen.FixedPass`; through the trainer's model, whose forward
accelerate runs under the trainer's autocast; its cost on 2 CPU cores is in docs/benchmarks.md) and writes:

- the **flip curve** (identity runs), to the metrics log: `{"step", "probe/logp_new_name",
  "probe/logp_old_name"}`, the log-probability per token of the answer with the new name and of the
  model's own answer from before training (their first ANSWER_TOKENS tokens), averaged over "Who are
  you?" and "你是谁？". Where the two lines cross, the answer with the new name has become the likelier
  one per token.
- **DPO's implicit reward per token** (DPO runs), to `token_rewards.jsonl`: `{"step", "prompt",
  "chosen": [[token, value], …], "rejected": [[token, value], …]}` with value = β·(log π − log π_ref) of
  each token, for one chosen/rejected pair. The reference is the model as training began (what TRL's
  reference is too: LoRA's adapters start at zero, a gated edit's new neurons start silent), so it is
  scored once, at the first call.

Pairs are rows `{"prompt": [messages] or text, "chosen": [messages] or text, "rejected": …}`, TRL's
preference shape.
"""

from __future__ import annotations

import torch
from transformers import TrainerCallback

from .frozen import FixedPass
from .identity import build_identity_pairs
from .metrics import MetricsLog

FLIP_QUESTIONS = ("Who are you?", "你是谁？")
# Answers are scored on their first tokens: where an identity is stated ("I'm Nova Prime, an AI assistant
# created by Starlight Labs." is 15), and what keeps the cost of a step low (the model's own answers run to
# 40 tokens). Each token's value does not depend on the ones after it, so the first ones are exact.
ANSWER_TOKENS = 16


def _content(side) -> str:
    return side[-1]["content"] if isinstance(side, list) else str(side)


def _prompt_text(tokenizer, prompt, system: str | None = None) -> str:
    """The prompt as the model sees it before its answer (the chat template's generation prompt)."""
    if isinstance(prompt, str):
        return prompt
    messages = ([{"role": "system", "content": system}] if system else []) + list(prompt)
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def pieces(tokenizer, ids: list[int]) -> list[str]:
    """The text each token adds, decoded cumulatively: a token that ends inside a multi-byte character (a
    Chinese one, split across byte-level tokens) adds "" and the character comes with the token that ends it."""
    out, shown = [], ""
    for i in range(len(ids)):
        text = tokenizer.decode(ids[: i + 1])
        if text.endswith("\ufffd"):
            out.append("")
            continue
        out.append(text[len(shown):])
        shown = text
    return out


def answer_ids(tokenizer, answer: str, limit: int | None = ANSWER_TOKENS) -> list[int]:
    """The answer's tokens, the first `limit` of them (a causal model scores them the same either way)."""
    return tokenizer(answer, add_special_tokens=False)["input_ids"][:limit]


def shared_layout(seqs: list[list[int]]) -> tuple[list[int], list[int], list[list[int]]]:
    """Token sequences laid out as one tree: tokens that begin several sequences alike appear once.

    Returns (ids, parents, paths): the tree's tokens in the order first met, each one's parent (-1 at the root),
    and each sequence as the places of its tokens. A place's depth in the tree is its position in its sequences.

    >>> shared_layout([[1, 2, 3], [1, 2, 4], [1, 5], [6]])
    ([1, 2, 3, 4, 5, 6], [-1, 0, 1, 1, 0, -1], [[0, 1, 2], [0, 1, 3], [0, 4], [5]])
    """
    ids, parents, paths, places = [], [], [], {}
    for seq in seqs:
        node, path = -1, []
        for token in seq:
            if (node, token) not in places:
                places[node, token] = len(ids)
                ids.append(token)
                parents.append(node)
            node = places[node, token]
            path.append(node)
        paths.append(path)
    return ids, parents, paths


def ancestry(parents: list[int]) -> torch.Tensor:
    """[n, n] bool: row i is True at i and at every token before it in its own sequence (its ancestors), the
    causal mask of the tree. A parent comes before its children (`shared_layout`'s order).

    >>> ancestry([-1, 0, 1, 1, 0]).int().tolist()
    [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 0, 1, 0], [1, 0, 0, 0, 1]]
    """
    seen = torch.eye(len(parents), dtype=torch.bool)
    for i, parent in enumerate(parents):
        if parent >= 0:
            seen[i] |= seen[parent]
    return seen


class Answers:
    """(prompt, answer) texts tokenized once, scored teacher-forced in one forward pass, two ways:

    - `tree(model)`: all of them in one row laid out as a tree (`shared_layout`): the system prompt and each
      question are run once however many answers follow them, each answer sees only its own prompt (a 4-D
      mask, `ancestry`) and keeps its positions. The watched identity answers come to 109 tokens this way
      instead of 216, and their scoring inside a DPO step from 0.48 s to 0.19 s on 2 CPU cores, with the
      contiguous head below (docs/benchmarks.md).
    - `padded(model)`: a left-padded batch, the way every causal LM runs; `tree` is checked against it once
      (`Watch`), since a model may not take a 4-D mask (flash attention does not), and `tree` refuses
      sequences longer than a sliding window (its one mask would let the window's layers see too far).

    Both return log π(token | prompt, earlier tokens) of each answer's first `limit` tokens, one fp32 tensor
    `[answer tokens]` per answer; logits (the LM head over the whole vocabulary) are computed only for the
    answers' positions, gathered into one contiguous block (with a strided slice, a frozen head went through a
    batched matmul that copied its weight once per row: a third of the scoring time).
    """

    def __init__(self, tokenizer, prompts: list[str], answers: list[str], limit: int | None = ANSWER_TOKENS):
        self.prompt_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        self.answer_ids = [answer_ids(tokenizer, a, limit) for a in answers]
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        seqs = [p + a for p, a in zip(self.prompt_ids, self.answer_ids)]
        self.ids, parents, paths = shared_layout(seqs)
        self.depth = [0] * len(self.ids)  # a place's position in its sequences
        for path in paths:
            for position, place in enumerate(path):
                self.depth[place] = position
        self.seen = ancestry(parents)
        # each answer token is predicted at the place of the token before it; the head reads only those places
        at = [path[len(p) - 1: len(path) - 1] for path, p in zip(paths, self.prompt_ids)]
        self.keep = sorted({place for places in at for place in places})
        row = {place: k for k, place in enumerate(self.keep)}
        self.rows = [[row[place] for place in places] for places in at]

    @staticmethod
    def _gather(logits: torch.Tensor, targets: list[list[int]], rows: list[list[int]]) -> list[torch.Tensor]:
        lp = torch.log_softmax(logits.float(), dim=-1)
        return [lp[r].gather(1, torch.tensor(t, device=lp.device)[:, None]).squeeze(1).cpu()
                for r, t in zip(rows, targets)]

    @torch.no_grad()
    def tree(self, model) -> list[torch.Tensor]:
        window, longest = getattr(model.config, "sliding_window", None), max(self.depth) + 1
        if window and longest > window:  # one mask for all layers cannot hold a window counted in depth
            raise ValueError(f"answers of up to {longest} tokens exceed the sliding window ({window})")
        device = next(model.parameters()).device
        if getattr(model.config, "_attn_implementation", None) == "eager":  # eager attention adds its mask
            mask = torch.zeros(self.seen.shape).masked_fill(~self.seen, torch.finfo(torch.float32).min)
        else:  # SDPA takes a boolean one (True: may attend)
            mask = self.seen
        logits = model(input_ids=torch.tensor([self.ids], device=device), attention_mask=mask[None, None].to(device),
                       position_ids=torch.tensor([self.depth], device=device), use_cache=False,
                       logits_to_keep=torch.tensor(self.keep, device=device)).logits[0]
        return self._gather(logits, self.answer_ids, self.rows)

    @torch.no_grad()
    def padded(self, model) -> list[torch.Tensor]:
        device = next(model.parameters()).device
        seqs = [p + a for p, a in zip(self.prompt_ids, self.answer_ids)]
        width, keep = max(map(len, seqs)), max(map(len, self.answer_ids)) + 1
        ids = torch.tensor([[self.pad] * (width - len(s)) + s for s in seqs], device=device)
        mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False,
                       logits_to_keep=torch.arange(width - keep, width, device=device)).logits
        # the logits at position t predict token t + 1; every answer ends at the last position
        rows = [[i * keep + t for t in range(keep - len(a) - 1, keep - 1)] for i, a in enumerate(self.answer_ids)]
        return self._gather(logits.reshape(-1, logits.shape[-1]), self.answer_ids, rows)


def answer_logprobs(model, tokenizer, prompts: list[str], answers: list[str],
                    limit: int | None = ANSWER_TOKENS) -> list[torch.Tensor]:
    """log π(token | prompt, earlier tokens) of each answer's first `limit` tokens, teacher-forced, in one padded
    batch (`Answers.padded`); `prompts` are texts as `_prompt_text` lays them out."""
    return Answers(tokenizer, prompts, answers, limit).padded(model)


def agree(a: list[torch.Tensor], b: list[torch.Tensor], nats: float = 0.05) -> bool:
    """Whether two scorings of the same answers agree: each answer's mean log-probability per token within
    `nats` (bf16 weights differ by under 0.01 between the two layouts; a mask a model ignores, by whole nats).

    >>> agree([torch.tensor([-1.0, -2.0])], [torch.tensor([-1.02, -2.01])]), agree([torch.tensor([-1.0])], [torch.tensor([-3.0])])
    (True, False)
    """
    return len(a) == len(b) and all(x.shape == y.shape and abs(float(x.mean() - y.mean())) <= nats for x, y in zip(a, b))


class Watch(TrainerCallback):
    """After every step, score the watched answers teacher-forced and log the flip curve and token rewards.

    `flip`: identity pairs (chosen = the new name, rejected = the model's own answer) whose per-token means
    make the flip curve, appended to `metrics`. `shown`: the one pair whose per-token implicit reward
    (β = `beta`) is appended to `tokens`. Either may be empty; an answer in both is scored once. Both are
    scored every `every` steps and at the last (posttrain.switches.watch_every: 1 unless asked). Like the
    probes, it runs without gradients and restores the model's train mode, so it does not change what is
    trained.
    """

    def __init__(self, tokenizer, flip: list[dict], shown: list[dict], beta: float | None,
                 metrics: MetricsLog, tokens: MetricsLog | None, system: str | None = None, every: int = 1):
        def scorable(row: dict) -> bool:  # an answer with no tokens has no log-probability per token
            return all(answer_ids(tokenizer, _content(row[side])) for side in ("chosen", "rejected"))

        self.tok, self.flip = tokenizer, [r for r in flip if scorable(r)]
        self.shown = [r for r in shown if scorable(r)][:1] if beta else []
        self.beta, self.metrics, self.tokens, self.every = beta, metrics, tokens, max(1, every)
        seqs: dict[tuple[str, str], int] = {}  # each distinct (prompt, answer) → its place in the scored batch

        def index(row: dict, side: str) -> int:
            return seqs.setdefault((_prompt_text(tokenizer, row["prompt"], system), _content(row[side])), len(seqs))

        self.flip_at = [(index(r, "chosen"), index(r, "rejected")) for r in self.flip]
        self.shown_at = [index(r, side) for r in self.shown for side in ("chosen", "rejected")]
        self.prompts, self.answers = [p for p, _ in seqs], [a for _, a in seqs]
        self.scored = Answers(tokenizer, self.prompts, self.answers)
        self.layout: str | None = None  # "tree" once it agreed with "padded" at the first scoring, else "padded"
        self.fixed = FixedPass()  # the blocks below the lowest trainable one run at the first scoring only
        self.ref: list[torch.Tensor] | None = None
        self.gaps: dict[int, float] = {}  # step → new − old, per token (posttrain.metrics probes where it moves)
        self._pieces: list[list[str]] | None = None

    @property
    def active(self) -> bool:
        return bool(self.answers)

    def on_train_begin(self, args, state, control, model=None, **kw):
        self.fixed.forget()
        if self.active:
            self._record(model, 0)

    def on_step_end(self, args, state, control, model=None, **kw):
        if self.active and (state.global_step % self.every == 0 or state.global_step == state.max_steps):
            self._record(model, state.global_step)

    def _score(self, model) -> list[torch.Tensor]:
        was_training = model.training
        model.eval()
        try:
            if self.layout is None:
                self.layout, now = "padded", self._pass(model, "padded")
                try:
                    if agree(self._pass(model, "tree"), now):
                        self.layout = "tree"
                except (RuntimeError, ValueError, TypeError):  # a model that takes no 4-D mask scores padded
                    pass
                return now
            return self._pass(model, self.layout)
        finally:
            model.train(was_training)

    def _pass(self, model, layout: str) -> list[torch.Tensor]:
        with self.fixed.around(model, layout):
            return getattr(self.scored, layout)(model)

    def _record(self, model, step: int) -> None:
        now = self._score(model)
        if self.ref is None:
            self.ref = now
        if self.flip:
            new = sum(float(now[i].mean()) for i, _ in self.flip_at) / len(self.flip_at)
            old = sum(float(now[j].mean()) for _, j in self.flip_at) / len(self.flip_at)
            self.gaps[step] = new - old
            self.metrics.append({"step": step, "probe/logp_new_name": round(new, 4), "probe/logp_old_name": round(old, 4)})
        if self.shown_at and self.tokens is not None:
            self.tokens.append(self._token_row(step, now))

    def _token_row(self, step: int, now: list[torch.Tensor]) -> dict:
        if self._pieces is None:
            self._pieces = [pieces(self.tok, self.scored.answer_ids[i]) for i in self.shown_at]
        row = {"step": step, "prompt": _content(self.shown[0]["prompt"])}
        for side, texts, i in zip(("chosen", "rejected"), self._pieces, self.shown_at):
            values = (self.beta * (now[i] - self.ref[i])).tolist()
            merged, carry = [], 0.0
            for text, v in zip(texts, values):  # a byte token that ends mid-character joins the next one
                carry += v
                if text:
                    merged.append([text, round(carry, 4)])
                    carry = 0.0
            row[side] = merged
        return row


def flip_pairs(ask_untrained, name: str, org: str, seed: int = 0) -> list[dict]:
    """The flip curve's pairs: for each of FLIP_QUESTIONS, chosen = an answer with the new name (as the
    identity data writes it), rejected = the model's own answer. `ask_untrained(questions) -> answers`
    asks the model before training."""
    own = dict(zip(FLIP_QUESTIONS, ask_untrained(list(FLIP_QUESTIONS))))
    return build_identity_pairs(name, org, own, list(FLIP_QUESTIONS), [], seed=seed)
