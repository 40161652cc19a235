"""Sentences the engine says to a person, a run's notes, its alarms and its errors, in English and Chinese.

The engine writes them as `Said`: a `str` holding the English (what the CLI prints and every reader of a
run's files has always seen) that carries its Chinese as `.zh`. A list of them is filed twice, under its key
and under `key_zh` (`file`), and a face reads the one for its language (`pick`); a run written before the
Chinese was filed reads in English. An error is raised with a `Said` as its message: `str(e)` stays the
English, and `message_of(e)` gives the `Said` back to a face that shows it in its language.

>>> s = Said("Correct answers fell (30% → 0%).", "正确答案下降了（30% → 0%）。")
>>> s == "Correct answers fell (30% → 0%).", zh(s), zh("plain English")
(True, '正确答案下降了（30% → 0%）。', 'plain English')
"""

from __future__ import annotations


class Said(str):
    """An English sentence (the str itself) with its Chinese in `.zh`."""

    zh: str

    def __new__(cls, en: str, zh: str | None = None):
        said = super().__new__(cls, en)
        said.zh = en if zh is None else zh
        return said


def zh(sentence: str) -> str:
    """The Chinese of a `Said`; any other string as it is."""
    return getattr(sentence, "zh", sentence)


def in_lang(sentence: str, lang: str = "en") -> str:
    """A sentence in `lang` ("en" or "zh"): a `Said`'s Chinese for "zh", else the English."""
    return zh(sentence) if lang == "zh" else str(sentence)


def joined(parts: list[str], en: str = "; ", zh_sep: str = "；") -> Said:
    """Sentences run together, each language with its own separator.

    >>> j = joined([Said("a", "甲"), Said("b", "乙")])
    >>> j, j.zh
    ('a; b', '甲；乙')
    """
    return Said(en.join(parts), zh_sep.join(zh(p) for p in parts))


def message_of(error: BaseException) -> str:
    """What an exception says: the `Said` it was raised with (its Chinese kept through a re-raise), else `str(error)`.

    >>> said = message_of(ValueError(Said("no rows", "没有数据行")))
    >>> said, said.zh, message_of(KeyError("k"))
    ('no rows', '没有数据行', "'k'")
    """
    said = error.args[0] if len(error.args) == 1 else None
    return said if isinstance(said, Said) else str(error)


def first_line(sentence: str) -> Said:
    r"""A sentence's first line in each language (a failed job's status holds one line).

    >>> line = first_line(Said("bad value\ntraceback", "取值不对\n回溯"))
    >>> line, line.zh, first_line("")
    ('bad value', '取值不对', '')
    """
    return Said(*((text.splitlines() or [""])[0] for text in (str(sentence), zh(sentence))))


def file(record: dict, key: str, sentences: list[str]) -> dict:
    """`record` with `sentences` under `key` (English) and `key + "_zh"`.

    >>> file({}, "alarms", [Said("Loops.", "循环。")])
    {'alarms': ['Loops.'], 'alarms_zh': ['循环。']}
    """
    record[key] = [str(s) for s in sentences]
    record[key + "_zh"] = [zh(s) for s in sentences]
    return record


def append(record: dict, key: str, sentence: str) -> dict:
    """`record` with one more sentence at the end of `key` and of `key + "_zh"` (`file`'s lists).

    >>> append({"notes": ["a"], "notes_zh": ["甲"]}, "notes", Said("b", "乙"))
    {'notes': ['a', 'b'], 'notes_zh': ['甲', '乙']}
    """
    record[key] = [*record.get(key, []), str(sentence)]
    record[key + "_zh"] = [*record.get(key + "_zh", []), zh(sentence)]
    return record


def put(record: dict, key: str, sentence: str | None) -> dict:
    """`record` with one sentence (or None) under `key` (English) and `key + "_zh"`.

    >>> put({}, "error", Said("No rows.", "没有数据行。")), put({}, "error", None)
    ({'error': 'No rows.', 'error_zh': '没有数据行。'}, {'error': None, 'error_zh': None})
    """
    record[key] = None if sentence is None else str(sentence)
    record[key + "_zh"] = None if sentence is None else zh(sentence)
    return record


def pick(record: dict | None, key: str, lang: str = "en") -> list[str]:
    """The sentences under `key` in `lang` ("en" or "zh"): English where the Chinese was not filed.

    >>> run = {"notes": ["a", "b"], "notes_zh": ["甲", "乙"]}
    >>> pick(run, "notes", "zh"), pick(run, "notes"), pick({"notes": ["a"]}, "notes", "zh"), pick(None, "notes")
    (['甲', '乙'], ['a', 'b'], ['a'], [])
    """
    english = list((record or {}).get(key) or [])
    chinese = (record or {}).get(key + "_zh")
    if lang == "zh" and isinstance(chinese, list) and len(chinese) == len(english):
        return list(chinese)
    return english


def pick_one(record: dict | None, key: str, lang: str = "en") -> str | None:
    """The one sentence under `key` in `lang` (`put`'s): English where the Chinese was not filed.

    >>> failed = {"error": "No rows.", "error_zh": "没有数据行。"}
    >>> pick_one(failed, "error", "zh"), pick_one(failed, "error"), pick_one({"error": "No rows."}, "error", "zh")
    ('没有数据行。', 'No rows.', 'No rows.')
    """
    english = (record or {}).get(key)
    chinese = (record or {}).get(key + "_zh")
    return chinese if lang == "zh" and english and chinese else english


def loaded(record: dict | None, key: str) -> Said | None:
    """The sentence `put` filed under `key`, as the `Said` it was (read back from a run's files).

    >>> loaded({"error": "No rows.", "error_zh": "没有数据行。"}, "error").zh, loaded({}, "error")
    ('没有数据行。', None)
    """
    english = (record or {}).get(key)
    return None if english is None else Said(english, (record or {}).get(key + "_zh") or english)
