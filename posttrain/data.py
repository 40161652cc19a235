"""Pure dataset builders and loaders for the DPO and GRPO demos.

Everything here turns questions, files or Hub ids into plain lists of dicts in TRL's standard
conversational shapes, without touching a model: identity preference pairs (built from the
model's own pre-training answers and the templates in :mod:`posttrain.banks`), uploaded
preference datasets (``prompt``/``chosen``/``rejected``), offline arithmetic word problems and
uploaded GSM8K-style GRPO datasets (``prompt``/``answer``). Any problem with user-supplied data
is raised as :class:`DataError`, whose message is one sentence a workshop participant can act on.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
from pathlib import Path
from typing import Any, Callable

from posttrain import banks
from posttrain.rewards import normalize_number

ARITHMETIC_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves problems step-by-step. "
    "Always include the final numeric answer inside \\boxed{}."
)
# Appended to some training questions, in turn, so that sampled answers use the format at all. Sampled
# at temperature 1 within 48 tokens (64 samples each, 8 problems): the first gave a box in 2 samples
# (2 of 8 groups had a reward difference), the second in 13 (7 of 8 groups). The second alone was
# learned only where it was asked for (0 % boxed on plain problems after 12 steps); the first carries
# the habit of ending with the box over to plain problems; together, 0 % -> 66 % (docs/benchmarks.md).
FORMAT_HINTS = (' End your reply with "The answer is \\boxed{N}." where N is the number.',
                ' Reply in one short sentence: "The answer is \\boxed{N}." where N is the number.')
SUPPORTED_EXTENSIONS = (".jsonl", ".json", ".csv", ".parquet")
PREFERENCE_COLUMNS = ("prompt", "chosen", "rejected")
MAX_IDENTITY_LENGTH = 60

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_GSM8K_ANSWER = re.compile(r"####\s*([-+]?\$?[\d,]*\.?\d+)")


class DataError(ValueError):
    """User-facing data problem; the message says what is wrong and what to do."""


def language_of(text: str) -> str:
    """Return "zh" if ``text`` contains CJK characters, else "en".

    >>> language_of("你是谁？"), language_of("Who are you?")
    ('zh', 'en')
    """
    return "zh" if _CJK.search(text) else "en"


# ------------------------------------------------------------------------------ identity DPO


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


def _check_identity_field(value: Any, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DataError(f"the {what} is empty; type a {what} for the model, e.g. 'Nova'.")
    if len(text) > MAX_IDENTITY_LENGTH:
        raise DataError(f"the {what} is {len(text)} characters long; "
                        f"keep it to at most {MAX_IDENTITY_LENGTH} characters.")
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
    name = _check_identity_field(name, "name")
    org = _check_identity_field(org, "organisation")
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


# ------------------------------------------------------------------------------ file reading


def _short(exc: BaseException, limit: int = 120) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_rows(path: Path) -> list[dict]:
    """Rows of a .jsonl/.json/.csv/.parquet file as a list of dicts (keys = column names).

    Raises :class:`DataError` for a missing file, an unsupported extension, non-UTF-8 text,
    unparseable content or a file without rows. CSV cells stay strings.
    """
    if not path.is_file():
        raise DataError(f"the file '{path}' was not found; check the path or upload it again.")
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise DataError(f"'{path.name}' has an unsupported file type '{ext or '(none)'}'; "
                        "upload a .jsonl, .json, .csv or .parquet file.")
    if ext == ".parquet":
        import pyarrow.parquet as pq  # lazy: only needed for Parquet uploads
        try:
            rows = pq.read_table(path).to_pylist()  # plain lists/dicts, unlike pandas' arrays
        except Exception as exc:  # pyarrow raises several unrelated types
            raise DataError(f"could not read '{path.name}' as Parquet ({_short(exc)}); "
                            "re-export it or upload a .jsonl file.") from None
    else:
        try:
            text = path.read_bytes().decode("utf-8-sig")  # -sig: Excel writes a BOM
        except UnicodeDecodeError:
            raise DataError(
                "the file is not UTF-8 text; save it as UTF-8 and upload again.") from None
        if not text.strip():
            raise DataError(
                f"the file '{path.name}' is empty; upload a file with at least one row.")
        rows = {".jsonl": _parse_jsonl, ".json": _parse_json, ".csv": _parse_csv}[ext](text)
    if not rows:
        raise DataError(f"the file '{path.name}' has no rows; upload a file with at least one row.")
    return rows


def _parse_jsonl(text: str) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(f"line {number} is not valid JSON; fix or delete that line "
                            "and upload again.") from None
        if not isinstance(row, dict):
            raise DataError(f"line {number} is not a JSON object; each line must look like "
                            '{"prompt": ..., ...}.')
        rows.append(row)
    return rows


def _parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"the file is not valid JSON (line {exc.lineno}: {exc.msg}); if it has "
                        "one object per line, rename it to .jsonl.") from None
    if isinstance(data, dict):  # tolerate {"data": [...]}-style wrappers
        data = next((data[k] for k in ("data", "rows", "train", "examples") if k in data), data)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError('a .json file must hold a list of objects like [{"prompt": ...}, ...]; '
                        "reshape it or use .jsonl.")
    return data


def _parse_csv(text: str) -> list[dict]:
    try:
        # DictReader files cells beyond the header under the key None; they are dropped.
        return [{k.strip(): v for k, v in row.items() if k is not None}
                for row in csv.DictReader(io.StringIO(text))]
    except csv.Error as exc:
        raise DataError(f"the CSV file could not be parsed ({_short(exc)}); "
                        "re-export it from your spreadsheet.") from None


def _columns(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def _is_empty(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)  # pandas-style missing cell
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def _to_messages(value: Any, role: str, row: int, column: str) -> list[dict[str, str]]:
    """Normalise one cell to ``[{"role", "content"}, ...]``; a string becomes one ``role`` msg."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:  # CSV cells may hold a JSON list of messages
            decoded = json.loads(value)
        except json.JSONDecodeError:
            decoded = None  # a prompt that merely starts with "[", e.g. "[INST] ..."
        if isinstance(decoded, list) and decoded and all(isinstance(m, dict) for m in decoded):
            value = decoded
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not _is_empty(value):
        value = str(value)
    if isinstance(value, str):
        value = [{"role": role, "content": value}]
    if not isinstance(value, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in value
    ):
        if _is_empty(value):
            raise DataError(
                f"row {row} has an empty '{column}' field; fill it in or delete the row.")
        raise DataError(f"row {row}, column '{column}' must be text or a list of "
                        '{"role", "content"} messages; fix that row and upload again.')
    if not any(m["content"].strip() for m in value):
        raise DataError(f"row {row} has an empty '{column}' field; fill it in or delete the row.")
    return [{"role": m["role"], "content": m["content"]} for m in value]


# ------------------------------------------------------------------------------ preferences


def load_preference_data(source: str | Path, *, max_rows: int | None = None) -> list[dict]:
    """Load a DPO dataset from a file or a Hugging Face Hub dataset id.

    ``source`` is a .jsonl/.json/.csv/.parquet path or, when no such path exists and it
    looks like "owner/name", a Hub dataset id (split "train"). Returns rows
    ``{"prompt": [msgs], "chosen": [msgs], "rejected": [msgs]}``: a string prompt becomes
    one user message, a string answer one assistant message, conversational cells are kept;
    extra columns are dropped. ``max_rows`` keeps only the first rows (None: all). Error row
    numbers are 1-based data rows (the CSV header does not count).
    """
    path = Path(source)
    if (not path.exists() and _HUB_ID.match(str(source))
            and path.suffix.lower() not in SUPPORTED_EXTENSIONS):
        try:
            from datasets import load_dataset  # lazy: heavy import, only for Hub ids
            ds = load_dataset(str(source), split="train")
            rows = ds.select(range(min(max_rows, len(ds)))).to_list() if max_rows else ds.to_list()
        except Exception as exc:  # network, auth, unknown id, no train split...
            raise DataError(f"could not load dataset '{source}' from the Hugging Face Hub "
                            f"({_short(exc)}); check the id, or upload a file instead.") from None
        if not rows:
            raise DataError(f"the dataset '{source}' has no rows; pick another dataset.")
    else:
        rows = _read_rows(path)
    rows = rows[:max_rows] if max_rows else rows
    if any(c not in _columns(rows) for c in PREFERENCE_COLUMNS):
        raise DataError(f"the dataset needs columns {', '.join(PREFERENCE_COLUMNS)}; "
                        f"found: {', '.join(_columns(rows)) or 'none'}.")
    return [{c: _to_messages(r.get(c), "user" if c == "prompt" else "assistant", i, c)
             for c in PREFERENCE_COLUMNS} for i, r in enumerate(rows, start=1)]


# ------------------------------------------------------------------------------ arithmetic GRPO


def _draw(op: str, r: Any) -> tuple[dict[str, int], int]:
    """Numbers (all 2..20) for a problem of kind ``op``, and its integer answer >= 0."""
    if op == "add":
        a, b = r(2, 20), r(2, 20)
        return {"a": a, "b": b}, a + b
    if op == "sub":
        a = r(3, 20)
        b = r(2, a - 1)
        return {"a": a, "b": b}, a - b
    if op == "add_sub":
        a, b = r(2, 20), r(2, 20)
        c = r(2, min(20, a + b))
        return {"a": a, "b": b, "c": c}, a + b - c
    if op == "mul":
        a, b = r(2, 10), r(2, 10)
        return {"a": a, "b": b}, a * b
    if op == "div":  # dividend <= 20 keeps every shown number small and the result exact
        b = r(2, 10)
        q = r(2, 20 // b)
        return {"a": b * q, "b": b}, q
    a, b = r(2, 6), r(2, 6)
    c = r(2, 20) if op == "mul_add" else r(2, min(20, a * b))
    return {"a": a, "b": b, "c": c}, (a * b + c if op == "mul_add" else a * b - c)


def _grpo_row(messages: list[dict[str, str]], answer: str) -> dict:
    if messages[0]["role"] != "system":
        messages = [{"role": "system", "content": ARITHMETIC_SYSTEM_PROMPT}, *messages]
    return {"prompt": messages, "answer": answer}


def build_arithmetic_problems(n: int = 64, seed: int = 0, format_hint: float = 0.0,
                              hinted_first: bool = False) -> list[dict]:
    """``n`` distinct small arithmetic word problems, generated offline.

    Rows: ``{"prompt": [system msg (ARITHMETIC_SYSTEM_PROMPT), user msg], "answer": "12"}``.
    Deterministic per ``seed``; use another seed for held-out evaluation problems.
    A share ``format_hint`` of the questions end with one of :data:`FORMAT_HINTS`, in turn: the
    bundled model never writes ``\\boxed{}`` from the system prompt alone (0 of 64 samples), but
    does with a hint, so hinted prompts give GRPO groups with a reward difference to learn from, and
    the habit carries over to plain prompts.
    """
    rng = random.Random(seed)
    rows, seen, hinted = [], set(), 0
    for _ in range(max(n, 0) * 200):  # bounded: duplicates are redrawn, not looped forever
        if len(rows) >= n:
            break
        op, template = rng.choice(banks.ARITHMETIC_TEMPLATES)
        numbers, answer = _draw(op, rng.randint)
        question = template.format(name=rng.choice(banks.PERSON_NAMES), **numbers)
        if question not in seen:
            seen.add(question)
            text = question
            if rng.random() < format_hint:
                text, hinted = question + FORMAT_HINTS[hinted % len(FORMAT_HINTS)], hinted + 1
            rows.append(_grpo_row([{"role": "user", "content": text}], str(answer)))
    if len(rows) < n:
        raise DataError(f"could only generate {len(rows)} distinct problems; ask for fewer.")
    if hinted_first:  # a curriculum: learn the format where it is asked for, then keep it where it is not
        rows.sort(key=lambda r: not r["prompt"][-1]["content"].endswith(FORMAT_HINTS))
    return rows


def arithmetic_questions(rows: list[dict]) -> list[str]:
    """Text of the last user message of each GRPO row (for held-out evaluation)."""
    return [next(m["content"] for m in reversed(r["prompt"]) if m["role"] == "user") for r in rows]


def extract_gsm8k_answer(text: str) -> str | None:
    """Final number after the last "####" of a GSM8K answer, commas removed.

    >>> extract_gsm8k_answer("3 * 4 = <<3*4=12>>12 eggs.\\n#### 1,234")
    '1234'
    >>> extract_gsm8k_answer("#### 72"), extract_gsm8k_answer("no marker") is None
    ('72', True)
    """
    matches = _GSM8K_ANSWER.findall(text or "")
    return normalize_number(matches[-1]) if matches else None


def load_grpo_data(path: str | Path, *, max_rows: int | None = None) -> list[dict]:
    """Load a GRPO dataset with ``question``+``answer`` (GSM8K) or ``prompt``+``answer``.

    Rows are shaped like :func:`build_arithmetic_problems`: ``{"prompt": [system msg,
    user msg...], "answer": "42"}``. GSM8K answers ("... #### 42") are cut to the number;
    plain answers are normalised ("1,234.0" -> "1234"). A conversational prompt keeps its
    messages and gets the system prompt unless it starts with its own.
    """
    rows = _read_rows(Path(path))
    rows = rows[:max_rows] if max_rows else rows
    found = _columns(rows)
    column = "question" if "question" in found else "prompt"
    if column not in found or "answer" not in found:
        raise DataError("a GRPO dataset needs columns question and answer (GSM8K) or prompt "
                        f"and answer; found: {', '.join(found) or 'none'}.")
    out = []
    for i, row in enumerate(rows, start=1):
        messages = _to_messages(row.get(column), "user", i, column)
        raw = row.get("answer")
        if _is_empty(raw):
            raise DataError(f"row {i} has no answer; a GRPO dataset needs an answer column with "
                            "the final number (GSM8K style '#### 42' is accepted).")
        raw = str(raw)
        answer = extract_gsm8k_answer(raw) if "####" in raw else normalize_number(raw)
        if answer is None:
            raise DataError(f"row {i} has answer '{raw[:40]}', which is not a number; "
                            "put only the final number there (or end it with '#### 42').")
        out.append(_grpo_row(messages, answer))
    return out


# GRPO prompts are generated from in full, so a very long one is cut here (its start, keeping the
# question that usually ends it); DPO pairs are cut by TRL itself at the max length (keeping the start).
GRPO_PROMPT_TOKENS = 512


def fit_pairs(rows: list[dict], lengths: list[tuple[int, int, int]], max_length: int) -> tuple[list[dict], str | None]:
    """Check DPO pairs against the max length; return the rows to train on and a note for the user.

    `lengths[i]` is (prompt, chosen, rejected) in tokens. A pair longer than `max_length` is cut to
    fit by the trainer (its end is dropped), and the note counts those that lose a quarter or more; a pair whose prompt alone leaves fewer than 4 tokens of
    answer would train on nothing and is left out. Raises DataError when no pair is left.
    """
    fits = [p + 4 <= max_length for p, _, _ in lengths]
    # Trimming a few tokens off the end of an answer is ordinary DPO practice (the identity preset's own
    # answers run past 64 tokens by design); what is worth saying is a pair that loses a quarter or more.
    cut = sum(ok and p + max(c, r) > 1.25 * max_length for ok, (p, c, r) in zip(fits, lengths))
    keep = [row for row, ok in zip(rows, fits) if ok]
    if not keep:
        raise DataError(f"every prompt is longer than the max length ({max_length} tokens), so nothing would be "
                        "trained; raise max length or shorten the prompts")
    notes = []
    if cut:
        notes.append(f"{cut} of {len(rows)} pairs are much longer than the max length ({max_length} tokens) and are "
                     f"cut to fit (their ends are dropped)")
    if len(keep) < len(rows):
        n = len(rows) - len(keep)
        notes.append(f"{n} {'pair whose prompt alone fills it is' if n == 1 else 'pairs whose prompt alone fills it are'} "
                     "left out; raise max length to keep them")
    return keep, "; ".join(notes) or None


def fit_prompts(rows: list[dict], lengths: list[int], count: Callable[[str], int], cut: Callable[[str, int], str],
                limit: int = GRPO_PROMPT_TOKENS) -> tuple[list[dict], str | None]:
    """Cut GRPO prompts longer than `limit` tokens; return the rows and a note for the user.

    `lengths[i]` is the whole prompt's length in tokens, `count(text)` a text's and `cut(text, n)`
    keeps a text's last `n` tokens. The longest message of an over-long prompt loses as many tokens
    from its start as the prompt is over.
    """
    out, n_cut = [], 0
    for row, n in zip(rows, lengths):
        if n <= limit:
            out.append(row)
            continue
        n_cut += 1
        messages = [dict(m) for m in row["prompt"]]
        longest = max(messages, key=lambda m: len(m["content"]))
        longest["content"] = cut(longest["content"], max(8, count(longest["content"]) - (n - limit)))
        out.append({**row, "prompt": messages})
    note = (f"{n_cut} of {len(rows)} prompts are longer than {limit} tokens; their beginnings are cut"
            if n_cut else None)
    return out, note
