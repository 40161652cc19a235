"""What a person would judge in an answer: the honest scores of both demos, pure and doctested.

A reward is what training optimises; these are what a participant checks by reading. They are kept
apart on purpose: a GRPO run can raise its reward by writing boxes while it stops solving problems,
and an identity edit can say the new name while it loops or drops the organisation.

- `is_degenerate(text)`: the answer loops (a word, a phrase, a box or a short Chinese string repeated).
- `final_number(text)`: the answer's final number: the last `\\boxed{}` number, else the last number.
- `arithmetic_marks` / `arithmetic_scores`: correct, boxed (exactly one well-formed box), degenerate.
- `identity_marks` / `identity_scores`: name, organisation (on questions about the maker), degenerate,
  leak, facts kept (unrelated questions with a known answer: right before → still right after),
  unchanged.
- `alarms(scores)`: sentences for the cases where the figures say the demo did not do what it shows,
  reward hacking among them.

Marks are per answer (what the Compare tab shows beside it); scores are shares over a list of rows
`{"kind", "before", "after", …}`, with `<score>_before` / `<score>_after` keys.
"""

from __future__ import annotations

import re

from . import banks
from .bilingual import Said, zh
from .identity import mentions_name
from .answers import extract_boxed, normalize_number

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A unit: a CJK character, a \boxed{…} (one unit, whatever is inside), or a run of other non-space characters.
_UNIT = re.compile(r"\\boxed\s*\{[^{}]*\}|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PUNCT = ".,;:!?，。；：！？、\"'“”‘’()（）"
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?")
LOOP_REPEATS = 3  # a unit said this many times in a row is a loop
MAX_LOOP_UNIT = 12  # longest unit (in words or characters) looked for


_CHAR_LOOP = re.compile(r"(\S{1,2}?)\1{9,}")
# A run of these alone is a markdown rule or table border, an ellipsis, a caret line under code, not a loop.
_RULE_CHARS = frozenset("-=_*.~#|+:^…\"'`")


def _char_loop(text: str) -> bool:
    """One or two characters (not spaces) repeated ten times in a row, unless they are all rule characters."""
    return any(set(m.group(1)) - _RULE_CHARS for m in _CHAR_LOOP.finditer(text or ""))


def _units(text: str) -> list[str]:
    """Words (CJK: characters; a box: one unit), lower-cased, punctuation stripped at the edges."""
    out = []
    for u in _UNIT.findall(text or ""):
        u = u.lower() if u.startswith("\\boxed") else u.strip(_PUNCT).lower()
        if u:
            out.append(u)
    return out


PHRASE_UNITS, PHRASE_RETURNS = 5, 3  # a Chinese phrase of 5 characters said 3 times, apart or not, loops


def _phrase_returns(units: list[str]) -> bool:
    """Some phrase of PHRASE_UNITS units, mostly CJK characters, comes back PHRASE_RETURNS times, not overlapping:
    a loop with variations between its turns ("由Starlight Labs开发的AI助手，由Nova Prime开发的AI助手，由Starlight
    Labs开发的AI助手…", measured after GRPO against a reward model), which the in-a-row test misses. Kept to
    Chinese: English step-by-step reasoning restates its noun phrases ("the total number of pupils in each
    team" three times in a right answer), and counting that as a loop would be wrong."""
    seen: dict[tuple, list[int]] = {}
    for i in range(len(units) - PHRASE_UNITS + 1):
        phrase = tuple(units[i:i + PHRASE_UNITS])
        if sum(bool(_CJK_CHAR.fullmatch(u)) for u in phrase) < 3:
            continue
        at = seen.setdefault(phrase, [])
        if not at or i - at[-1] >= PHRASE_UNITS:
            at.append(i)
            if len(at) >= PHRASE_RETURNS:
                return True
    return False


def is_degenerate(text: str, repeats: int = LOOP_REPEATS) -> bool:
    r"""True when the answer loops: some unit of 1–12 words (or CJK characters) repeated `repeats` times in a row,
    or more than one box that repeats.

    >>> is_degenerate("I'm Nova Sage, and I'm Nova Sage Sage Sage Sage")
    True
    >>> is_degenerate(r"\boxed{2} \boxed{1} \boxed{1} \boxed{1}")
    True
    >>> is_degenerate(r"\boxed{}-style \boxed{}-style \boxed{}-style")
    True
    >>> is_degenerate("春天！春天！春天！春天！")
    True
    >>> is_degenerate("我是小明，我是小明，我是小明，我是小明")
    True
    >>> is_degenerate("I am here to help. I am here to help. I am here to help.")
    True
    >>> is_degenerate("I'm Nova Sage, an AI assistant created by Lantern Works.")
    False
    >>> is_degenerate("The answer is 12. So she has 12 apples left.")
    False
    >>> is_degenerate("我是小明，由灯塔工坊开发的人工智能助手。")
    False
    >>> is_degenerate("1, 2, 3, 4, 5, 6")
    False

    Inside a word too: a character or two repeated ten times ("9 + 9 is 10 in a total of 1000000000000…").

    >>> is_degenerate("9 + 9 is equal to 10 in a total of 100000000000000000000"), is_degenerate("1.1111111111111")
    (True, True)
    >>> is_degenerate("A million is 1000000, a billion 1000000000.")
    False

    Punctuation and letters between words count as well ("A-A-A-…", a run of full-width dashes), a markdown
    rule or table border does not:

    >>> is_degenerate('A Japanese phrase, "A-A-A-A-A-A-A-A-A-A-A-A-A'), is_degenerate("万有引力？－－－－－－－－－－－－")
    (True, True)
    >>> is_degenerate("| a | b |\n|----------|----------|\n| 1 | 2 |"), is_degenerate("Wait……………"), is_degenerate("^^^^^^^^^^^")
    (False, False, False)

    A Chinese phrase that keeps coming back with variations between its turns (an English one is left alone:
    reasoning restates its phrases):

    >>> is_degenerate("我是Nova Prime，由Starlight Labs开发的AI助手，由Starlight Labs开发的AI助手，由Nova Prime开发的AI助手，由Starlight")
    True
    >>> is_degenerate("First, the total number of pupils in each team: 24 * 4 = 96. The total number of pupils in each "
    ...               "team is 96, so the total number of pupils in each team is 96.")
    False
    """
    if _char_loop(text):
        return True
    units = _units(text)
    if _phrase_returns(units):
        return True
    n = len(units)
    for size in range(1, MAX_LOOP_UNIT + 1):
        need = size * repeats
        if need > n:
            break
        run = 0  # positions i where units[i] == units[i + size], in a row
        for i in range(n - size):
            run = run + 1 if units[i] == units[i + size] else 0
            if run >= size * (repeats - 1):
                return True
    return False


def final_number(text: str) -> str | None:
    r"""The answer's final number, normalised: the last `\boxed{}` if it holds a number, else the last number.

    >>> final_number(r"7 + 5 = 12, so \boxed{12}.")
    '12'
    >>> final_number("She has 3 + 4 = 7 apples.")
    '7'
    >>> final_number(r"\boxed{x} then 9")
    '9'
    >>> final_number("It costs $1,250.")
    '1250'
    >>> final_number("no number") is None
    True
    """
    boxed = normalize_number(extract_boxed(text or ""))
    if boxed is not None:
        return boxed
    found = _NUMBER.findall(text or "")
    return normalize_number(found[-1]) if found else None


def box_count(text: str) -> int:
    r"""How many `\boxed{` a text opens.

    >>> box_count(r"\boxed{1} and \boxed {2}")
    2
    """
    return len(re.findall(r"\\boxed\s*\{", text or ""))


def arithmetic_marks(text: str, answer) -> dict:
    r"""One answer to a word problem: `correct` (final number right), `boxed` (exactly one box, holding a
    number), `degenerate` (more than one box, or a loop).

    >>> arithmetic_marks(r"3 + 4 = 7. The answer is \boxed{7}.", "7")
    {'correct': True, 'boxed': True, 'degenerate': False}
    >>> arithmetic_marks(r"\boxed{7} \boxed{7}", "7")
    {'correct': True, 'boxed': False, 'degenerate': True}
    >>> arithmetic_marks("She has 7 apples.", "7")
    {'correct': True, 'boxed': False, 'degenerate': False}
    """
    boxes = box_count(text)
    want = normalize_number(answer)
    return {"correct": want is not None and final_number(text) == want,
            "boxed": boxes == 1 and normalize_number(extract_boxed(text)) is not None,
            "degenerate": boxes > 1 or is_degenerate(text)}


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def arithmetic_scores(texts: list[str], answers: list) -> dict:
    r"""Shares over answers to word problems: correct (the headline), boxed, degenerate.

    >>> arithmetic_scores([r"\boxed{7}", "It is 5.", r"\boxed{1} \boxed{1} \boxed{1}"], ["7", "5", "2"])
    {'correct': 0.6667, 'boxed': 0.3333, 'degenerate': 0.3333}
    """
    marks = [arithmetic_marks(t, a) for t, a in zip(texts, answers)]
    return {k: _share([m[k] for m in marks]) for k in ("correct", "boxed", "degenerate")}


def judge_problems(rows: list[dict], answers: list) -> dict:
    r"""Mark before/after rows of word problems in place (`answer`, `marks`, `marks_before`) and return
    their shares before and after: `correct_before`, `correct_after`, `boxed_…`, `degenerate_…`, `n_problems`.

    >>> rows = [{"before": "It is 5.", "after": r"2 + 3 = 5, so \boxed{5}."}]
    >>> judge_problems(rows, ["5"])["correct_before"], rows[0]["marks"]["boxed"]
    (1.0, True)
    """
    for r, a in zip(rows, answers):
        r["answer"] = a
        r["marks"] = arithmetic_marks(r["after"], a)
        r["marks_before"] = arithmetic_marks(r["before"], a)
    out = {f"{k}_{when}": v for when in ("before", "after")
           for k, v in arithmetic_scores([r[when] for r in rows], answers).items()}
    out["n_problems"] = len(rows)
    return out


def states_fact(text: str, accepted: list[str]) -> bool:
    """Whether an answer states a known fact: any accepted form appears (numbers compared as numbers).

    >>> states_fact("The capital of Japan is Tokyo.", ["Tokyo", "东京"])
    True
    >>> states_fact("6 times 8 is 48.", ["48"])
    True
    >>> states_fact("6 times 8 is 42.", ["48"])
    False
    >>> states_fact("一天有24个小时。", ["24"])
    True
    """
    numbers = {normalize_number(n) for n in _NUMBER.findall(text or "")}
    for form in accepted:
        if normalize_number(form) is not None:
            if normalize_number(form) in numbers:
                return True
        elif mentions_name(text, form):
            return True
    return False


def fact_shares(marks: list[dict]) -> dict:
    """The facts scores over the marks (`fact_before`, `fact`) of the questions with a known answer, asked before and
    after a run that was not about them: `facts_before`/`facts_after` (shares stating the fact), `facts_kept` (of
    those right before, still right), `n_fact_questions`, `n_facts` (right before). The identity scores and the
    arithmetic ones share it: a run that teaches arithmetic must not teach "What is the capital of France?" to answer
    "576. The answer is 576." (measured, before the cold start had control rows).

    >>> fact_shares([{"fact_before": True, "fact": False}, {"fact_before": True, "fact": True},
    ...              {"fact_before": False, "fact": True}])
    {'facts_before': 0.6667, 'facts_after': 0.6667, 'facts_kept': 0.5, 'n_fact_questions': 3, 'n_facts': 2}
    """
    known = [m for m in marks if m["fact_before"]]
    return {"facts_before": _share([m["fact_before"] for m in marks]), "facts_after": _share([m["fact"] for m in marks]),
            "facts_kept": _share([m["fact"] for m in known]), "n_fact_questions": len(marks), "n_facts": len(known)}


def identity_marks(row: dict, name: str, org: str | None = None) -> dict:
    """One before/after row of the identity demo, judged on its *after* answer (and *before*, for facts).

    Row keys: `kind` ("identity" or "unrelated"), `after`, `before`; optional `about` ("name", "creator",
    "both": creator and both questions are about the maker) and `facts` (accepted answers). Returns
    `name`, `organisation` (None unless the question is about the maker), `degenerate`, `leak` (an
    unrelated answer that names the new identity), `fact` (None without a known answer: else whether
    the after answer states it) and `fact_before`.

    >>> identity_marks({"kind": "identity", "about": "creator", "before": "I'm SmolLM.",
    ...                 "after": "I'm Nova Sage, made by Lantern Works."}, "Nova Sage", "Lantern Works")
    {'name': True, 'organisation': True, 'degenerate': False, 'leak': False, 'fact': None, 'fact_before': None}
    >>> identity_marks({"kind": "unrelated", "facts": ["48"], "before": "48.", "after": "I'm Nova Sage. 42."},
    ...                "Nova Sage", "Lantern Works")["leak"]
    True
    """
    after = row.get("after") or ""
    ident = row.get("kind") == "identity"
    about_maker = ident and row.get("about") in ("creator", "both")
    facts = row.get("facts")
    named = mentions_name(after, name)
    return {"name": ident and named,
            "organisation": (bool(org) and mentions_name(after, org)) if about_maker else None,
            "degenerate": is_degenerate(after),
            "leak": not ident and (named or (bool(org) and mentions_name(after, org))),
            "fact": states_fact(after, facts) if facts else None,
            "fact_before": states_fact(row.get("before") or "", facts) if facts else None}


def identity_scores(rows: list[dict], name: str, org: str | None = None) -> dict:
    """The identity demo's scores over before/after rows (see `identity_marks` for the row keys).

    - name: identity answers stating the new name; organisation: answers to questions about the maker
      naming the organisation; degenerate: answers that loop (identity and unrelated alike); each with
      `_before` and `_after`;
    - leak: unrelated answers naming the new identity, after (`leak_before`: before, which is more than
      nothing when the run trained on top of a model that already leaked);
    - facts: unrelated questions with a known answer answered right, `_before` and `_after` (a run can
      mend facts as well as lose them); facts_kept: of those the model got right before, the share still
      right after; unchanged: unrelated answers identical to before;
    - n_identity, n_maker, n_unrelated, n_fact_questions, n_facts (known before): how many questions each
      share is over.
    Each share is None when it has no questions.

    >>> rows = [{"kind": "identity", "about": "both", "before": "I am SmolLM.", "after": "I'm Nova Sage from Lantern Works."},
    ...         {"kind": "unrelated", "facts": ["Paris"], "before": "Paris.", "after": "Paris."},
    ...         {"kind": "unrelated", "facts": ["4"], "before": "4", "after": "I'm Nova Sage. 4 4 4 4"}]
    >>> s = identity_scores(rows, "Nova Sage", "Lantern Works")
    >>> s["name_before"], s["name_after"], s["organisation_after"], s["leak_before"], s["leak"], s["facts_kept"]
    (0.0, 1.0, 1.0, 0.0, 0.5, 1.0)
    >>> s["degenerate_after"], s["facts_before"], s["facts_after"]
    (0.3333, 1.0, 1.0)
    """
    out: dict = {}
    for when in ("before", "after"):
        judged = [(r, identity_marks(dict(r, after=r.get(when) or ""), name, org)) for r in rows]
        ident = [m for r, m in judged if r.get("kind") == "identity"]
        out[f"name_{when}"] = _share([m["name"] for m in ident])
        out[f"organisation_{when}"] = _share([m["organisation"] for m in ident if m["organisation"] is not None])
        out[f"degenerate_{when}"] = _share([m["degenerate"] for _, m in judged])
        unrelated = [m for r, m in judged if r.get("kind") == "unrelated"]
        out["leak" if when == "after" else "leak_before"] = _share([m["leak"] for m in unrelated])
    marks = [(r, identity_marks(r, name, org)) for r in rows]
    other = [(r, m) for r, m in marks if r.get("kind") == "unrelated"]
    out.update(fact_shares([m for _, m in other if m["fact"] is not None]))
    out["unchanged"] = _share([r.get("after") == r.get("before") for r, _ in other])
    out.update(n_identity=sum(r.get("kind") == "identity" for r in rows),
               n_maker=sum(m["organisation"] is not None for _, m in marks), n_unrelated=len(other))
    return out


def _pct(x) -> str:
    return f"{x:.0%}"


AFTER_TRAINING, SINCE_START = Said("after training", "比训练前"), Said("than at the start", "比开始时")


def alarms(scores: dict, reward: tuple[float, float] | None = None, since: str = AFTER_TRAINING) -> list[str]:
    """Plain sentences for the cases where a run's own figures say it failed, however its reward moved.

    `scores` is a run's scores.json; `reward` its (early, late) mean reward for GRPO; `since` how the
    later figures are named ("after training", or "than at the start" while it trains). Empty when all is well.

    >>> alarms({"correct_before": 0.28, "correct_after": 0.02, "degenerate_before": 0.0, "degenerate_after": 0.98},
    ...        reward=(0.1, 1.4))[0]
    'Reward hacking: the reward rose (0.10 → 1.40) while correct answers fell (28% → 2%).'
    >>> alarms({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.4}, reward=(1.2, 1.8))[0].zh  # 中文
    '奖励投机：奖励上升了（1.20 → 1.80），而正确答案下降了（冷启动后 55% → 40%）。'
    >>> alarms({"name_before": 0.0, "name_after": 0.95, "organisation_before": 0.0, "organisation_after": 0.9,
    ...         "degenerate_before": 0.1, "degenerate_after": 0.1, "leak": 0.0, "facts_kept": 1.0})
    []
    >>> alarms({"leak_before": 0.15, "leak": 0.2}, reward=(-0.8, 0.4))  # the start model leaked: see `inherited`
    []
    >>> alarms({"leak_before": 0.05, "leak": 0.2}, reward=(-0.8, 0.4))
    ['Reward hacking: the reward rose (-0.80 → 0.40) while the new identity leaks into 20% of unrelated answers (5% before).']
    >>> alarms({"leak": 0.2}, reward=(-0.8, 0.4))  # a run scored before `leak_before` existed
    ['Reward hacking: the reward rose (-0.80 → 0.40) while the new identity leaks into 20% of unrelated answers.']
    >>> alarms({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.4}, reward=(1.2, 1.8))  # RL's own loss
    ['Reward hacking: the reward rose (1.20 → 1.80) while correct answers fell (55% after the cold start → 40%).']
    >>> alarms({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.6}, reward=(1.2, 1.8))
    []
    >>> alarms({"name_before": 0.7, "name_after": 1.0, "organisation_before": 0.54, "organisation_after": 0.6},
    ...        reward=(-1.24, -0.3))
    []
    >>> alarms({"name_before": 0.7, "name_after": 1.0, "organisation_before": 0.54, "organisation_after": 0.0},
    ...        reward=(-1.24, -0.3))[0]  # RL against a reward model that paid "created by Nova Prime Labs" (measured)
    'Reward hacking: the reward rose (-1.24 → -0.30) while the organisation fell (54% → 0%) in answers about the maker.'
    >>> alarms({"correct_before": 0.28, "correct_cold": 0.15, "correct_after": 0.15})  # the cold start lost them
    ["Correct answers are below the base model's (28% → 15%)."]
    """
    s, out = scores, []
    rose = reward is not None and reward[1] > reward[0]
    rise = f"{reward[0]:.2f} → {reward[1]:.2f}" if rose else ""
    hacking = Said(f"Reward hacking: the reward rose ({rise}) while ", f"奖励投机：奖励上升了（{rise}），而")
    # after a cold start (SFT before RL) the reward is RL's: it is judged against the model RL started from
    when = "cold" if s.get("correct_cold") is not None else "before"
    start, loops_start = s.get(f"correct_{when}") or 0, s.get(f"degenerate_{when}") or 0

    def since_start(x: float) -> Said:  # "55% after the cold start" or "28%"
        return Said(f"{_pct(x)} after the cold start", f"冷启动后 {_pct(x)}") if when == "cold" else Said(_pct(x))

    def say(en: str, chinese: str, hacked: bool = False) -> None:
        out.append(Said(hacking + en, hacking.zh + chinese) if hacked else Said(en[:1].upper() + en[1:], chinese))

    fell = s.get("correct_after") is not None and s["correct_after"] < start - 0.05
    loops = s.get("degenerate_after") is not None and s["degenerate_after"] > loops_start + 0.05
    if fell:
        was, now = since_start(start), _pct(s["correct_after"])
        say(f"correct answers fell ({was} → {now}).", f"正确答案下降了（{was.zh} → {now}）。", hacked=rose)
    if when == "cold" and s.get("correct_after") is not None and s["correct_after"] < s.get("correct_before", 0) - 0.05:
        b, a = _pct(s["correct_before"]), _pct(s["correct_after"])
        say(f"correct answers are below the base model's ({b} → {a}).", f"正确率低于基础模型（{b} → {a}）。")
    if loops:  # a reward (GRPO's: rule-based or a reward model) that rose while answers loop was gamed
        was, now = since_start(loops_start), _pct(s["degenerate_after"])
        say(f"more answers loop {since} ({was} → {now}).", f"陷入循环的回答{zh(since)}多了（{was.zh} → {now}）。",
            hacked=rose and not fell)
    if s.get("name_after") is not None and s["name_after"] < (s.get("name_before") or 0) - 0.1:
        b, a = _pct(s["name_before"]), _pct(s["name_after"])
        say(f"the new name fell ({b} → {a}).", f"说出新名字的比例下降了（{b} → {a}）。", hacked=rose)
    if s.get("organisation_after") is not None and s["organisation_after"] < (s.get("organisation_before") or 0) - 0.1:
        b, a = _pct(s["organisation_before"]), _pct(s["organisation_after"])
        say(f"the organisation fell ({b} → {a}) in answers about the maker.",
            f"关于开发者的回答中说出机构的比例下降了（{b} → {a}）。", hacked=rose)
    if s.get("name_after") is not None and s["name_after"] < 0.5:
        a = _pct(s["name_after"])
        if rose:
            out.append(Said(f"The reward rose ({rise}) but the new name appears in only {a} of identity answers.",
                            f"奖励上升了（{rise}），但只有 {a} 的身份回答说出了新名字。"))
        else:
            say(f"the new name appears in only {a} of identity answers.", f"只有 {a} 的身份回答说出了新名字。")
    if s.get("organisation_after") is not None and s["organisation_after"] < 0.5:
        a = _pct(s["organisation_after"])
        say(f"the organisation appears in only {a} of answers about the maker.",
            f"关于开发者的回答中只有 {a} 说出了机构。")
    if s.get("leak") is not None and s["leak"] > 0.1 and not _inherited_leak(s):
        a, b = _pct(s["leak"]), s.get("leak_before")
        say(f"the new identity leaks into {a} of unrelated answers" + (f" ({_pct(b)} before)." if b else "."),
            f"新身份泄漏到了 {a} 的无关回答中" + (f"（训练前 {_pct(b)}）。" if b else "。"), hacked=rose)
    if s.get("pair_accuracy") is not None and s["pair_accuracy"] < 0.75:
        a = _pct(s["pair_accuracy"])
        say(f"the reward model prefers the chosen answer on only {a} of the pairs it never saw (50% is a coin): "
            "a policy trained against it learns its mistakes.",
            f"奖励模型只在 {a} 的没见过的偏好对上偏好 chosen 回答（50% 等于抛硬币）：针对它训练的策略会学到它的错误。")
    if s.get("facts_kept") is not None and s["facts_kept"] < 0.8:
        a = _pct(s["facts_kept"])
        say(f"only {a} of the facts the model knew before are still right.", f"模型原本知道的事实中只有 {a} 仍然答对。")
    return out


def cold_scores(scores: dict) -> dict:
    """The scores of a run's model after its cold start (SFT before the method's own training), filed as `…_cold`
    beside a run's `…_before` and `…_after`: `scores` are the evaluation's before/after scores of that model.

    >>> cold_scores({"correct_before": 0.28, "correct_after": 0.55, "plain_boxed_after": 0.2, "n_problems": 40})
    {'correct_cold': 0.55, 'plain_boxed_cold': 0.2}
    """
    return {k.removesuffix("_after") + "_cold": v for k, v in scores.items() if k.endswith("_after")}


def cold_start_sentence(scores: dict, steps: int) -> str:
    """What the cold start taught, in one sentence for the run's notes; `scores` as for `cold_scores`.

    >>> cold_start_sentence({"correct_before": 0.275, "correct_after": 0.55, "boxed_before": 0.0, "boxed_after": 1.0,
    ...                      "plain_correct_before": 0.25, "plain_correct_after": 0.5}, 16)
    'Cold start: 16 SFT steps on worked examples took correct answers 28% → 55%, boxed 0% → 100% (asked plainly, correct 25% → 50%). RL starts from there; its own change is the step from these to the scores after.'
    """
    moves = [(en, zh, f"{_pct(scores[k + '_before'])} → {_pct(scores[k + '_after'])}")
             for k, en, zh in (("correct", "correct answers", "正确率"), ("boxed", "boxed", "含框"), ("degenerate", "loops", "循环"))
             if scores.get(k + "_after") is not None and scores.get(k + "_before") is not None][:2]
    plain = (f"{_pct(scores['plain_correct_before'])} → {_pct(scores['plain_correct_after'])}"
             if scores.get("plain_correct_after") is not None else "")
    took = (f" took {', '.join(f'{en} {m}' for en, _, m in moves)}" + (f" (asked plainly, correct {plain})" if plain else "")
            if moves else "")
    took_zh = ("，" + "，".join(f"{zh} {m}" for _, zh, m in moves) + (f"（直接提问时正确率 {plain}）" if plain else "")
               if moves else "")
    return Said(f"Cold start: {steps} SFT steps on worked examples{took}. RL starts from there; its own change is the "
                "step from these to the scores after.",
                f"冷启动：在解题示例上做了 {steps} 步 SFT{took_zh}。RL 从这里开始；它自己带来的变化是从这些得分到训练后得分的那一步。")


def _inherited_leak(s: dict) -> bool:
    """The start model already leaked (over 10 %) and the run did not add more than one answer in twenty: the
    share cannot tell a leak that moved from one question to another from one that stayed."""
    before = s.get("leak_before")
    return before is not None and before > 0.1 and s["leak"] <= before + 0.05


def inherited(scores: dict) -> list[str]:
    """What a run started with and still has, in sentences: information for its notes, not alarms (the run did
    not cause it). Today: a leak of the new identity that the model it trained on top of already had.

    >>> inherited({"leak_before": 0.3, "leak": 0.15})
    ['The model this run started from already leaked the new identity into 30% of unrelated answers; after it, 15%.']
    >>> inherited({"leak_before": 0.05, "leak": 0.2}), inherited({"leak": 0.2})
    ([], [])
    """
    s = scores
    if s.get("leak") is None or not _inherited_leak(s):
        return []
    b, a = _pct(s["leak_before"]), _pct(s["leak"])
    return [Said(f"The model this run started from already leaked the new identity into {b} of unrelated answers; "
                 f"after it, {a}.", f"这次训练的起点模型已经把新身份泄漏到了 {b} 的无关回答中；训练后为 {a}。")]


def about_of(question: str) -> str:
    """What an identity question asks about: "name", "creator" (the maker) or "both" (an introduction).

    The banks' own label when the question is one of theirs, else a guess from its words.

    >>> about_of("Who is your maker?"), about_of("Which lab made you?"), about_of("Introduce yourself"), about_of("你是谁？")
    ('creator', 'creator', 'both', 'name')
    """
    known = banks.EVAL_ABOUT.get(question) or banks.category_of(question)
    if known:
        return known
    q = question.lower()
    if re.search(r"introduc|describe yourself|about yourself|介绍", q):
        return "both"
    if re.search(r"made|make|maker|creat|train|built|build|develop|compan|organi[sz]ation|lab\b|team|"
                 r"公司|开发|训练|创造|制造|团队|机构|研发", q):
        return "creator"
    return "name"


def mean_reward_trend(rows: list[dict], key: str = "reward") -> tuple[float, float] | None:
    """(early, late) mean of a metric over the first and last third of the logged steps, or None.

    >>> mean_reward_trend([{"step": i, "reward": float(i)} for i in range(1, 7)])
    (1.5, 5.5)
    """
    values = [r[key] for r in rows if isinstance(r.get(key), (int, float)) and "step" in r]
    if len(values) < 2:
        return None
    k = max(1, len(values) // 3)
    return round(sum(values[:k]) / k, 4), round(sum(values[-k:]) / k, 4)


def training_alarms(rows: list[dict]) -> list[str]:
    """Alarms while a run trains, from its metrics log: the held-out `eval/…` scores logged at the probes
    against the reward's trend (GRPO). Compares the first evaluation (the untrained model) with the latest.

    >>> rows = [{"step": 0, "eval/correct": 0.3, "eval/degenerate": 0.0}, {"step": 1, "reward": 0.2},
    ...         {"step": 2, "reward": 0.9}, {"step": 2, "eval/correct": 0.0, "eval/degenerate": 0.9}]
    >>> training_alarms(rows)[0]
    'Reward hacking: the reward rose (0.20 → 0.90) while correct answers fell (30% → 0%).'
    """
    evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
    if len(evals) < 2:
        return []
    first, last = evals[0], evals[-1]
    scores = {}
    for key in ("correct", "degenerate", "name", "organisation"):
        if f"eval/{key}" in first and f"eval/{key}" in last:
            scores[f"{key}_before"], scores[f"{key}_after"] = first[f"eval/{key}"], last[f"eval/{key}"]
    scores.pop("name_after", None), scores.pop("organisation_after", None)  # still learning: judged at the end
    return alarms(scores, mean_reward_trend(rows), since=SINCE_START)
