"""Training rows as editable tables and back: what the Data tab shows and what a user's edits become.

DPO rows (`{"prompt", "chosen", "rejected"}` as lists of chat messages, plus an optional `kind`)
become a table with one text cell per column; a single message is shown as its text, several as
`role: text` lines, so a multi-turn prompt survives the round trip. GRPO rows (`{"prompt": [system,
user], "answer"}`) become a question / answer table under one shared system prompt. Reading a table
back checks every cell and names the row of the first empty one. Pure: no model, no files.
"""

from __future__ import annotations

import re

from .bilingual import Said
from .data import DataError

from .arithmetic import arithmetic_questions

DPO_HEADERS = ["prompt", "chosen", "rejected", "kind"]
GRPO_HEADERS = ["question", "answer"]
_ROLE_LINE = re.compile(r"^(system|user|assistant):[ \t]?", re.MULTILINE)


def render_messages(messages: list[dict]) -> str:
    """A chat as one cell of text.

    >>> render_messages([{"role": "user", "content": "Who are you?"}])
    'Who are you?'
    >>> render_messages([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    'system: Be brief.\\nuser: Hi'
    """
    if len(messages) == 1:
        return messages[0]["content"]
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages)


def parse_messages(text: str, role: str) -> list[dict]:
    """The inverse of `render_messages`; plain text is one message with `role`.

    >>> parse_messages("system: Be brief.\\nuser: Hi", "user")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    >>> parse_messages("Hi there", "assistant")
    [{'role': 'assistant', 'content': 'Hi there'}]
    """
    text = str(text).strip()
    marks = list(_ROLE_LINE.finditer(text))
    if len(marks) < 2 or marks[0].start() != 0:
        return [{"role": role, "content": text}]
    return [{"role": m.group(1), "content": text[m.end(): nxt.start() if nxt else len(text)].strip()}
            for m, nxt in zip(marks, marks[1:] + [None])]


def dpo_table(rows: list[dict]) -> list[list[str]]:
    """Preference rows as table rows under `DPO_HEADERS`; SFT rows (prompt, completion) fill chosen and
    leave rejected empty."""
    return [[render_messages(r["prompt"]), render_messages(r["chosen"] if "chosen" in r else r["completion"]),
             render_messages(r["rejected"]) if r.get("rejected") else "", r.get("kind", "")] for r in rows]


def table_rows(table) -> list[list[str]]:
    """Rows of a table given as a list of lists or a pandas DataFrame; blank rows dropped."""
    if hasattr(table, "values") and hasattr(table, "columns"):
        table = table.values.tolist()
    out = []
    for row in table or []:
        cells = ["" if c is None or (isinstance(c, float) and c != c) else str(c) for c in row]
        if any(c.strip() for c in cells):
            out.append(cells)
    return out


def dpo_rows(table) -> list[dict]:
    """Table rows (prompt, chosen[, rejected][, kind]) back into training rows. A row with no rejected
    answer has no "rejected" key: SFT learns its chosen side, and DPO refuses it naming the row."""
    rows = []
    for i, cells in enumerate(table_rows(table), start=1):
        cells = (cells + ["", "", "", ""])[:4]
        for col, value in zip(DPO_HEADERS[:2], cells):
            if not value.strip():
                raise DataError(Said(f"row {i} has an empty {col}; fill it in or delete the row.",
                                     f"第 {i} 行的 {col} 是空的；请填上，或删除这一行。"))
        if cells[1].strip() == cells[2].strip():
            raise DataError(Said(f"row {i} has the same chosen and rejected answer; DPO learns nothing from it.",
                                 f"第 {i} 行的 chosen 和 rejected 回答相同；DPO 从中学不到任何东西。"))
        row = {"prompt": parse_messages(cells[0], "user"), "chosen": parse_messages(cells[1], "assistant")}
        if cells[2].strip():
            row["rejected"] = parse_messages(cells[2], "assistant")
        rows.append({**row, "kind": cells[3].strip() or "pair"})
    if not rows:
        raise DataError(Said("the table has no pairs; build the identity pairs or load a dataset first.",
                             "表格里没有偏好对；请先构建身份偏好对，或加载一个数据集。"))
    return rows


def grpo_table(rows: list[dict]) -> tuple[str, list[list[str]]]:
    """GRPO rows as (shared system prompt, [[question, answer], …]); the first row's system prompt is shown."""
    system = next((m["content"] for m in rows[0]["prompt"] if m["role"] == "system"), "") if rows else ""
    table = [[q, r["answer"]] for q, r in zip(arithmetic_questions(rows), rows)]
    return system, table


def grpo_rows(system: str, table) -> list[dict]:
    """(system prompt, question / answer table) back into GRPO rows; answers must be numbers."""
    from .answers import normalize_number

    rows = []
    for i, cells in enumerate(table_rows(table), start=1):
        question, answer = (cells + ["", ""])[:2]
        if not question.strip():
            raise DataError(Said(f"row {i} has an empty question; fill it in or delete the row.",
                                 f"第 {i} 行的问题是空的；请填上，或删除这一行。"))
        number = normalize_number(answer)
        if number is None:
            raise DataError(Said(f"row {i} has answer '{answer[:40]}', which is not a number; put only the final number there.",
                                 f"第 {i} 行的答案 '{answer[:40]}' 不是数字；那里只填最终的数字。"))
        prompt = ([{"role": "system", "content": system.strip()}] if system.strip() else []) + \
            [{"role": "user", "content": question.strip()}]
        rows.append({"prompt": prompt, "answer": number})
    if not rows:
        raise DataError(Said("the table has no problems; generate the arithmetic set or upload a file first.",
                             "表格里没有题目；请先生成算术题，或上传一个文件。"))
    return rows
