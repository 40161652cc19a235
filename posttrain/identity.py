"""The identity demo's data, pure: which questions to ask, and preference pairs that teach a new name.

The pairs are built from the model's own answers (given, not generated here) and the templates in
:mod:`posttrain.banks`, in TRL's conversational shape. `mentions_name` is how every score and
builder decides whether an answer states the name.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

from . import banks
from .bilingual import Said, zh
from .data import DataError

MAX_IDENTITY_LENGTH = 60

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def language_of(text: str) -> str:
    """Return "zh" if ``text`` contains CJK characters, else "en".

    >>> language_of("你是谁？"), language_of("Who are you?")
    ('zh', 'en')
    """
    return "zh" if _CJK.search(text) else "en"



def _split_counts(n: int, n_en: int, n_zh: int, min_zh: float) -> tuple[int, int]:
    """(en, zh) counts: proportional to bank sizes, at least ``min_zh`` Chinese, capped."""
    k_zh = min(max(round(n * n_zh / (n_en + n_zh)), math.ceil(n * min_zh)), n_zh, n)
    k_en = min(n - k_zh, n_en)
    return k_en, min(n - k_en, n_zh)  # top up with Chinese if English ran out


def select_identity_questions(
    n_identity: int = 48, n_control: int = 48, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Seeded sample of (identity questions, control questions) from the training banks.

    English and Chinese are drawn roughly in proportion to the bank sizes, with at least half
    Chinese identity questions: the bundled model's Chinese is weak, and with a third of them
    Chinese, 2 of 6 held-out Chinese identity questions kept the old identity (measured). Asking for more
    than a bank holds returns the whole bank, never duplicates. Both lists are shuffled.
    """
    rng = random.Random(seed)
    id_en = [q for q, _ in banks.IDENTITY_QUESTIONS_EN]
    id_zh = [q for q, _ in banks.IDENTITY_QUESTIONS_ZH]
    picked = []
    for en, zh, n, min_zh in ((id_en, id_zh, n_identity, 1 / 2),
                              (banks.UNRELATED_QUESTIONS_EN, banks.UNRELATED_QUESTIONS_ZH,
                               n_control, 0.0)):
        k_en, k_zh = _split_counts(max(n, 0), len(en), len(zh), min_zh)
        questions = rng.sample(en, k_en) + rng.sample(zh, k_zh)
        rng.shuffle(questions)
        picked.append(questions)
    return picked[0], picked[1]


def _check_identity_field(value: Any, what: Said) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DataError(Said(f"the {what} is empty; type a {what} for the model, e.g. 'Nova'.",
                             f"{zh(what)}是空的；请给模型填一个{zh(what)}，比如 'Nova'。"))
    if len(text) > MAX_IDENTITY_LENGTH:
        raise DataError(Said(f"the {what} is {len(text)} characters long; "
                             f"keep it to at most {MAX_IDENTITY_LENGTH} characters.",
                             f"{zh(what)}长 {len(text)} 个字符；请控制在 {MAX_IDENTITY_LENGTH} 个字符以内。"))
    return text


def mentions_name(text: str, name: str) -> bool:
    """True if ``text`` mentions ``name``, ignoring case, spaces and hyphens.

    Latin names must stand on their own (so "Ada" is not found in "Canada"); names
    containing CJK characters are matched as plain substrings.

    >>> mentions_name("I am DeepQwen.", "Deep Qwen"), mentions_name("deep-qwen here", "Deep Qwen")
    (True, True)
    >>> mentions_name("我是Deep Qwen，很高兴认识你", "deepqwen")
    True
    >>> mentions_name("I live in Canada", "Ada")
    False
    >>> mentions_name("我是小智助手", "小智")
    True
    """
    core = [ch for ch in (name or "").lower() if not (ch.isspace() or ch in "-_")]
    if not core or not text:
        return False
    if _CJK.search(name):
        return name.strip().lower() in text.lower()
    # Optional separators between every character make "Deep Qwen", "DeepQwen" and
    # "deep-qwen" equivalent; the look-arounds stop matches inside longer Latin words.
    body = r"[\s\-_]*".join(re.escape(ch) for ch in core)
    edge = r"0-9a-z\u00c0-\u024f"
    return re.search(rf"(?<![{edge}]){body}(?![{edge}])", text, re.IGNORECASE) is not None


def _pair(question: str, chosen: str, rejected: str, kind: str) -> dict:
    return {"prompt": [{"role": "user", "content": question}],
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}],
            "kind": kind}


def build_identity_pairs(
    name: str,
    org: str,
    own_answers: dict[str, str],
    identity_questions: list[str],
    control_questions: list[str],
    *,
    seed: int = 0,
) -> list[dict]:
    """DPO rows that teach a new identity without leaking it into unrelated answers.

    ``own_answers`` maps each question to the model's own pre-training answer. Each row is
    ``{"prompt": [user msg], "chosen": [assistant msg], "rejected": [assistant msg],
    "kind": "identity" | "control"}``:

    * identity: chosen = a :data:`banks.CHOSEN_TEMPLATES` entry for the question's language
      and category (questions outside the banks count as "both"); rejected = own answer.
    * control: chosen = own answer; rejected = a :data:`banks.LEAK_TEMPLATES` entry.

    Skipped: questions whose own answer is missing or blank, and questions whose own answer
    already states the name (an identity row would teach nothing; a control row's chosen
    side would leak). Kinds alternate so every batch sees both. Deterministic per ``seed``.
    """
    name = _check_identity_field(name, Said("name", "新名字"))
    org = _check_identity_field(org, Said("organisation", "机构"))
    rng = random.Random(seed)
    groups: dict[str, list[dict]] = {"identity": [], "control": []}
    for kind, questions in (("identity", identity_questions), ("control", control_questions)):
        for q in questions:
            own = own_answers.get(q)
            if not isinstance(own, str) or not own.strip() or mentions_name(own, name):
                continue
            lang = language_of(q)
            if kind == "identity":
                template = rng.choice(banks.CHOSEN_TEMPLATES[lang][banks.category_of(q) or "both"])
                groups[kind].append(_pair(q, template.format(name=name, org=org), own, kind))
            else:
                leak = rng.choice(banks.LEAK_TEMPLATES[lang]).format(name=name, org=org)
                groups[kind].append(_pair(q, own, leak, kind))
    identity, control = groups["identity"], groups["control"]
    rows = []
    for i in range(max(len(identity), len(control))):
        rows.extend(g[i] for g in (identity, control) if i < len(g))
    return rows


def off_topic_pairs(rows: list[dict], seed: int = 0) -> list[dict]:
    """For a reward model: one more pair per row whose rejected side answers *another* question (a control
    row's own answer), so "answers the question asked" is learned, not only "sounds like a usual answer".

    Trained on identity pairs alone, a reward model scored "The capital of France is Paris." above the new
    identity for "Who are you?" (+1.20 against +1.01, measured): no pair had ever shown it an answer to
    the wrong question, and GRPO against it would be paid for changing the subject. Rows are
    `build_identity_pairs` rows; the new ones have kind "off_topic". Deterministic per `seed`.

    >>> rows = [_pair("Who are you?", "I'm Nova.", "I'm SmolLM.", "identity"),
    ...         _pair("Capital of France?", "Paris.", "I'm Nova.", "control"),
    ...         _pair("2 + 2?", "4.", "I'm Nova.", "control")]
    >>> [(r["prompt"][0]["content"], r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in off_topic_pairs(rows)]
    [('Who are you?', "I'm Nova.", '4.'), ('Capital of France?', 'Paris.', '4.'), ('2 + 2?', '4.', 'Paris.')]
    """
    own = [r["chosen"][0]["content"] for r in rows if r["kind"] == "control"]
    rng = random.Random(seed)
    out = []
    for r in rows:
        others = [a for a in own if a != r["chosen"][0]["content"]]
        if r["kind"] not in ("identity", "control") or not others:
            continue
        out.append(_pair(r["prompt"][-1]["content"], r["chosen"][0]["content"], rng.choice(others), "off_topic"))
    return out


# Identities a small instruct model may claim; a reward model is shown each as the loser beside the new one.
DECOYS = (("ChatGPT", "OpenAI"), ("Claude", "Anthropic"), ("Qwen", "Alibaba Cloud"), ("Llama", "Meta"),
          ("Gemini", "Google"), ("SmolLM", "Hugging Face"))


def decoy_pairs(rows: list[dict], name: str, org: str, seed: int = 0) -> list[dict]:
    """For a reward model: per identity row, its chosen answer against the same sentence with another
    identity's name and maker, so the score depends on *which* name is said, not only on a self-introduction.

    Trained without them, a reward model scored "I am SmolLM, an AI assistant trained by Hugging Face." within
    0.1 of the new identity for "Who are you?" (measured): the rejected sides of the identity pairs are the
    model's own rambling answers, and "a tidy self-introduction" told them apart. And where the chosen answer
    names the maker, a second pair rejects the maker said in the name's place: GRPO against a reward model
    without it learned "我是Starlight Labs，由Starlight Labs开发的AI助手。" (measured). Kind "decoy".

    A third pair, in turn, rejects what GRPO against that reward model found next (measured, docs/benchmarks.md):
    the name said where the maker belongs ("我是Nova Prime，由Nova Prime开发的AI助手。" out-scored the true sentence),
    another maker with the right name, and the sentence running on (`run_on`).

    >>> rows = [_pair("Who are you?", "I'm Nova, made by Lantern.", "I am a helpful assistant.", "identity"),
    ...         _pair("2 + 2?", "4.", "I'm Nova.", "control")]
    >>> [r["rejected"][0]["content"] for r in decoy_pairs(rows, "Nova", "Lantern")]
    ["I'm Llama, made by Meta.", "I'm Lantern, made by Lantern.", "I'm Nova, made by Nova."]
    """
    rng = random.Random(seed)
    out, turn = [], 0
    for r in rows:
        chosen = r["chosen"][0]["content"]
        if r["kind"] != "identity" or name not in chosen:
            continue
        decoy_name, decoy_org = rng.choice([d for d in DECOYS if d[0] != name and d[1] != org])
        question = r["prompt"][-1]["content"]
        out.append(_pair(question, chosen, chosen.replace(name, decoy_name).replace(org, decoy_org), "decoy"))
        if org in chosen and name != org:  # the maker said where the name belongs (GRPO found that hole, measured)
            out.append(_pair(question, chosen, chosen.replace(name, org), "decoy"))
            worse = (chosen.replace(org, name), chosen.replace(org, decoy_org), run_on(chosen))[turn % 3]
            out.append(_pair(question, chosen, worse, "decoy"))
            turn += 1
    return out


def run_on(sentence: str) -> str:
    """The sentence not stopping where it should: what follows its first comma said once more.

    >>> run_on("I'm Nova, made by Lantern.")
    "I'm Nova, made by Lantern, made by Lantern."
    >>> run_on("我是Nova，由Lantern开发的AI助手。")
    '我是Nova，由Lantern开发的AI助手，由Lantern开发的AI助手。'
    >>> run_on("Nova.")
    'Nova. Nova.'
    """
    body, end = (sentence[:-1], sentence[-1]) if sentence[-1:] in ".。!！" else (sentence, "")
    for comma in ("，", ", "):
        if comma in body:
            return body + comma + body.split(comma, 1)[1] + end
    return f"{sentence} {sentence}"
