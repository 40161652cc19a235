"""Sentences the engine says to a person, a run's notes and its alarms, in English and Chinese.

The engine writes them as `Said`: a `str` holding the English (what the CLI prints and every reader of a
run's files has always seen) that carries its Chinese as `.zh`. A list of them is filed twice, under its key
and under `key_zh` (`file`), and a face reads the one for its language (`pick`); a run written before the
Chinese was filed reads in English.

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
