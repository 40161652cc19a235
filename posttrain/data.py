"""Loading and checking the user's own data: files and Hub datasets for every method, and fitting rows to lengths.

A .jsonl/.json/.csv/.parquet file or a Hub dataset id becomes plain lists of dicts in TRL's standard
conversational shapes: preference pairs (``prompt``/``chosen``/``rejected``), SFT rows
(``prompt``/``completion`` or ``messages``) and GSM8K-style problems (``prompt``/``answer``). Any
problem with user-supplied data is raised as :class:`DataError`, whose message is one sentence a
workshop participant can act on. `hold_out` keeps a share of the rows out of training for a validation loss. The built-in demos' data: posttrain.identity, posttrain.arithmetic.
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

from . import network
from .answers import normalize_number
from .arithmetic import problem_row
from .bilingual import Said, joined

SUPPORTED_EXTENSIONS = (".jsonl", ".json", ".csv", ".parquet")
PREFERENCE_COLUMNS = ("prompt", "chosen", "rejected")

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_GSM8K_ANSWER = re.compile(r"####\s*([-+]?\$?[\d,]*\.?\d+)")


class DataError(ValueError):
    """User-facing data problem; the message (a `Said`) says what is wrong and what to do."""


class MissingColumns(DataError):
    """The data lacks the columns a method reads (its shape is another method's, or none)."""


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
        raise DataError(Said(f"the file '{path}' was not found; check the path or upload it again.",
                             f"找不到文件 '{path}'；请检查路径，或重新上传。"))
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise DataError(Said(f"'{path.name}' has an unsupported file type '{ext or '(none)'}'; "
                             "upload a .jsonl, .json, .csv or .parquet file.",
                             f"不支持 '{path.name}' 的文件类型 '{ext or '（无）'}'；"
                             "请上传 .jsonl、.json、.csv 或 .parquet 文件。"))
    if ext == ".parquet":
        import pyarrow.parquet as pq  # lazy: only needed for Parquet uploads
        try:
            rows = pq.read_table(path).to_pylist()  # plain lists/dicts, unlike pandas' arrays
        except Exception as exc:  # pyarrow raises several unrelated types
            raise DataError(Said(f"could not read '{path.name}' as Parquet ({_short(exc)}); "
                                 "re-export it or upload a .jsonl file.",
                                 f"无法按 Parquet 读取 '{path.name}'（{_short(exc)}）；请重新导出，或上传 .jsonl 文件。")) from None
    else:
        try:
            text = path.read_bytes().decode("utf-8-sig")  # -sig: Excel writes a BOM
        except UnicodeDecodeError:
            raise DataError(Said("the file is not UTF-8 text; save it as UTF-8 and upload again.",
                                 "文件不是 UTF-8 文本；请另存为 UTF-8 后重新上传。")) from None
        if not text.strip():
            raise DataError(Said(f"the file '{path.name}' is empty; upload a file with at least one row.",
                                 f"文件 '{path.name}' 是空的；请上传至少有一行数据的文件。"))
        rows = {".jsonl": _parse_jsonl, ".json": _parse_json, ".csv": _parse_csv}[ext](text)
    if not rows:
        raise DataError(Said(f"the file '{path.name}' has no rows; upload a file with at least one row.",
                             f"文件 '{path.name}' 里没有数据行；请上传至少有一行数据的文件。"))
    return rows


def _parse_jsonl(text: str) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(Said(f"line {number} is not valid JSON; fix or delete that line "
                                 "and upload again.",
                                 f"第 {number} 行不是有效的 JSON；请修正或删除这一行后重新上传。")) from None
        if not isinstance(row, dict):
            raise DataError(Said(f"line {number} is not a JSON object; each line must look like "
                                 '{"prompt": ..., ...}.',
                                 f"第 {number} 行不是 JSON 对象；每一行都应形如 " '{"prompt": ..., ...}。'))
        rows.append(row)
    return rows


def _parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(Said(f"the file is not valid JSON (line {exc.lineno}: {exc.msg}); if it has "
                             "one object per line, rename it to .jsonl.",
                             f"文件不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）；如果它每行一个对象，"
                             "请把扩展名改成 .jsonl。")) from None
    if isinstance(data, dict):  # tolerate {"data": [...]}-style wrappers
        data = next((data[k] for k in ("data", "rows", "train", "examples") if k in data), data)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(Said('a .json file must hold a list of objects like [{"prompt": ...}, ...]; '
                             "reshape it or use .jsonl.",
                             '.json 文件里必须是一个对象列表，形如 [{"prompt": ...}, ...]；请调整结构，或改用 .jsonl。'))
    return data


def _parse_csv(text: str) -> list[dict]:
    try:
        # DictReader files cells beyond the header under the key None; they are dropped.
        return [{k.strip(): v for k, v in row.items() if k is not None}
                for row in csv.DictReader(io.StringIO(text))]
    except csv.Error as exc:
        raise DataError(Said(f"the CSV file could not be parsed ({_short(exc)}); "
                             "re-export it from your spreadsheet.",
                             f"无法解析这个 CSV 文件（{_short(exc)}）；请从电子表格软件重新导出。")) from None


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
            raise _empty_field(row, column)
        raise DataError(Said(f"row {row}, column '{column}' must be text or a list of "
                             '{"role", "content"} messages; fix that row and upload again.',
                             f"第 {row} 行的 '{column}' 列必须是文本，或 " '{"role", "content"} '
                             "消息的列表；请修正这一行后重新上传。"))
    if not any(m["content"].strip() for m in value):
        raise _empty_field(row, column)
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _empty_field(row: int, column: str) -> DataError:
    return DataError(Said(f"row {row} has an empty '{column}' field; fill it in or delete the row.",
                          f"第 {row} 行的 '{column}' 是空的；请填上，或删除这一行。"))


def _source_rows(source: str | Path, max_rows: int | None) -> list[dict]:
    """Rows of a .jsonl/.json/.csv/.parquet file or, when no such path exists and `source` looks like
    "owner/name", of a Hub dataset's train split; `max_rows` keeps only the first (None: all)."""
    path = Path(source)
    if (not path.exists() and _HUB_ID.match(str(source))
            and path.suffix.lower() not in SUPPORTED_EXTENSIONS):
        if network.hub_unreachable():  # offline, the library retries for most of a minute before it says so
            host = network.hub_endpoint()[0]
            raise DataError(Said(f"this machine cannot reach the Hugging Face Hub ({host}), so the dataset '{source}' "
                                 "cannot be loaded; upload a file instead.",
                                 f"这台机器连不上 Hugging Face Hub（{host}），无法加载数据集 '{source}'；请改为上传文件。"))
        try:
            from datasets import load_dataset  # lazy: heavy import, only for Hub ids
            ds = load_dataset(str(source), split="train")
            rows = ds.select(range(min(max_rows, len(ds)))).to_list() if max_rows else ds.to_list()
        except Exception as exc:  # network, auth, unknown id, no train split...
            raise DataError(Said(f"could not load dataset '{source}' from the Hugging Face Hub "
                                 f"({_short(exc)}); check the id, or upload a file instead.",
                                 f"无法从 Hugging Face Hub 加载数据集 '{source}'（{_short(exc)}）；"
                                 "请检查数据集名，或改为上传文件。")) from None
        if not rows:
            raise DataError(Said(f"the dataset '{source}' has no rows; pick another dataset.",
                                 f"数据集 '{source}' 没有数据行；请换一个数据集。"))
    else:
        rows = _read_rows(path)
    return rows[:max_rows] if max_rows else rows


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
    rows = _source_rows(source, max_rows)
    if any(c not in _columns(rows) for c in PREFERENCE_COLUMNS):
        raise MissingColumns(Said(f"the dataset needs columns {', '.join(PREFERENCE_COLUMNS)}; "
                                  f"found: {', '.join(_columns(rows)) or 'none'}.",
                                  f"数据集需要 {'、'.join(PREFERENCE_COLUMNS)} 这几列；"
                                  f"现有的列：{'、'.join(_columns(rows)) or '（无）'}。"))
    return [{c: _to_messages(r.get(c), "user" if c == "prompt" else "assistant", i, c)
             for c in PREFERENCE_COLUMNS} for i, r in enumerate(rows, start=1)]


# ------------------------------------------------------------------------------ supervised fine-tuning

SFT_COLUMNS = ("prompt", "completion")


def load_sft_data(source: str | Path, *, max_rows: int | None = None) -> list[dict]:
    """Load an SFT dataset from a file or a Hub dataset id (as :func:`load_preference_data`).

    Either columns ``prompt`` + ``completion`` (text or messages), or one ``messages`` column with a
    whole conversation, whose last assistant message is the completion and everything before it the
    prompt. Returns rows ``{"prompt": [msgs], "completion": [assistant msg]}``; extra columns are dropped.
    """
    rows = _source_rows(source, max_rows)
    found = _columns(rows)
    if "messages" in found and "completion" not in found:
        out = []
        for i, row in enumerate(rows, start=1):
            messages = _to_messages(row.get("messages"), "user", i, "messages")
            last = max((j for j, m in enumerate(messages) if m["role"] == "assistant"), default=0)
            if last == 0:
                raise DataError(Said(f"row {i}'s messages need a user turn and then an assistant answer to learn; "
                                     "add the answer or delete the row.",
                                     f"第 {i} 行的 messages 要先有 user 的提问、再有 assistant 的回答，才有可学的内容；"
                                     "请补上回答，或删除这一行。"))
            out.append({"prompt": messages[:last], "completion": [messages[last]]})
        return out
    if any(c not in found for c in SFT_COLUMNS):
        raise MissingColumns(Said("an SFT dataset needs columns prompt and completion, or one messages column; "
                                  f"found: {', '.join(found) or 'none'}.",
                                  "SFT 数据集需要 prompt 和 completion 两列，或一个 messages 列；"
                                  f"现有的列：{'、'.join(found) or '（无）'}。"))
    return [{"prompt": _to_messages(r.get("prompt"), "user", i, "prompt"),
             "completion": _to_messages(r.get("completion"), "assistant", i, "completion")}
            for i, r in enumerate(rows, start=1)]


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
        raise MissingColumns(Said("a GRPO dataset needs columns question and answer (GSM8K) or prompt "
                                  f"and answer; found: {', '.join(found) or 'none'}.",
                                  "GRPO 数据集需要 question 和 answer 两列（GSM8K 格式），或 prompt 和 answer 两列；"
                                  f"现有的列：{'、'.join(found) or '（无）'}。"))
    out = []
    for i, row in enumerate(rows, start=1):
        messages = _to_messages(row.get(column), "user", i, column)
        raw = row.get("answer")
        if _is_empty(raw):
            raise DataError(Said(f"row {i} has no answer; a GRPO dataset needs an answer column with "
                                 "the final number (GSM8K style '#### 42' is accepted).",
                                 f"第 {i} 行没有答案；GRPO 数据集需要一个写着最终数字的 answer 列"
                                 "（也接受 GSM8K 格式的 '#### 42'）。"))
        raw = str(raw)
        answer = extract_gsm8k_answer(raw) if "####" in raw else normalize_number(raw)
        if answer is None:
            raise DataError(Said(f"row {i} has answer '{raw[:40]}', which is not a number; "
                                 "put only the final number there (or end it with '#### 42').",
                                 f"第 {i} 行的答案 '{raw[:40]}' 不是数字；那里只填最终的数字（或以 '#### 42' 结尾）。"))
        out.append(problem_row(messages, answer))
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
        raise DataError(Said(f"every prompt is longer than the max length ({max_length} tokens), so nothing would be "
                             "trained; raise max length or shorten the prompts",
                             f"每个问题都长于最大长度（{max_length} 个 token），没有可训练的内容；请调大最大长度，或缩短问题"))
    notes = []
    if cut:
        notes.append(Said(f"{cut} of {len(rows)} pairs are much longer than the max length ({max_length} tokens) and "
                          "are cut to fit (their ends are dropped)",
                          f"有 {cut} 个偏好对（共 {len(rows)} 个）远长于最大长度（{max_length} 个 token），会被截短（去掉结尾）"))
    if len(keep) < len(rows):
        n = len(rows) - len(keep)
        notes.append(Said(f"{n} {'pair whose prompt alone fills it is' if n == 1 else 'pairs whose prompt alone fills it are'} "
                          "left out; raise max length to keep them",
                          f"{n} 个偏好对的问题本身就占满了最大长度，已被排除；调大最大长度可保留它们"))
    return keep, joined(notes) if notes else None


def hold_out_prompts(rows: list[dict], share: float, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """(train, held out) like `hold_out`, but whole prompts go to one side: every row asking the same question
    is held out together, so a held-out row's question and chosen answer were never trained on (rows that
    share a prompt, as a reward model's pairs do, would otherwise leak their question into training).

    >>> rows = [{"prompt": p, "i": i} for i, p in enumerate("aabbccdd")]
    >>> train, held = hold_out_prompts(rows, 0.25, seed=0)
    >>> [r["prompt"] for r in held], len(train)
    (['d', 'd'], 6)
    """
    prompts = list(dict.fromkeys(str(r["prompt"]) for r in rows))
    if share <= 0 or len(prompts) < 2:
        return list(rows), []
    order = random.Random(seed).sample(prompts, len(prompts))
    held, n = set(), 0
    for p in order[:-1]:  # at least one prompt trains
        if n >= share * len(rows):
            break
        held.add(p)
        n += sum(str(r["prompt"]) == p for r in rows)
    return [r for r in rows if str(r["prompt"]) not in held], [r for r in rows if str(r["prompt"]) in held]


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
    note = (Said(f"{n_cut} of {len(rows)} prompts are longer than {limit} tokens; their beginnings are cut",
                 f"有 {n_cut} 个问题（共 {len(rows)} 个）长于 {limit} 个 token；它们的开头被截掉了") if n_cut else None)
    return out, note


def hold_out(rows: list[dict], share: float, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """(train, held out): about `share` of `rows`, drawn with `seed`, held out for a validation loss; at least
    one row on each side when `share` > 0, none held out from fewer than two rows. Order is kept.

    >>> hold_out([{"i": i} for i in range(10)], 0.2, seed=1)[1]
    [{'i': 1}, {'i': 2}]
    >>> hold_out([{"i": 0}], 0.5)
    ([{'i': 0}], [])
    """
    if share <= 0 or len(rows) < 2:
        return list(rows), []
    n = min(len(rows) - 1, max(1, round(len(rows) * share)))
    held = set(random.Random(seed).sample(range(len(rows)), n))
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]
