"""Reading a number out of an answer: the last `\\boxed{}` and a canonical form of a number.

Pure and doctested; the scores (posttrain.scores) and the rewards (posttrain.rewards) both read answers
this way, so what a reward pays for and what a person is shown as correct agree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

# Tolerate "\boxed {42}" as well as "\boxed{42}"; small models add spaces.
_BOXED_OPEN = re.compile(r"\\boxed\s*\{")

# A plain decimal number, optionally signed, with optional thousands commas
# already removed by the caller. Deliberately no exponents or fractions:
# the arithmetic answers are integers and "1e3" is more likely a typo.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


def extract_boxed(text: str) -> str | None:
    r"""Return the content of the last well-formed ``\boxed{...}`` in ``text``.

    Nested braces are matched, so LaTeX inside the box survives. A box that
    is never closed (a completion cut off by the length limit) is ignored.

    >>> extract_boxed(r"so the answer is \boxed{12}.")
    '12'
    >>> extract_boxed(r"\boxed{3} no wait \boxed{4}")
    '4'
    >>> extract_boxed(r"\boxed{\frac{1}{2}}")
    '\\frac{1}{2}'
    >>> extract_boxed(r"\boxed{7} then \boxed{8")
    '7'
    >>> extract_boxed("no box here") is None
    True
    """
    if not isinstance(text, str):
        return None
    last = None
    for match in _BOXED_OPEN.finditer(text):
        depth = 1
        for i in range(match.end(), len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    last = text[match.end() : i]
                    break
    return last


def normalize_number(s: Any) -> str | None:
    r"""Canonical string form of a number, or None when ``s`` is not one.

    Strips ``$`` (also LaTeX ``\$``), thousands commas, spaces, a trailing
    period and trailing zeros after the decimal point, so that ``"1,234.00"``
    and ``"1234"`` compare equal as strings.

    >>> normalize_number("$1,234.00")
    '1234'
    >>> normalize_number(" 42. ")
    '42'
    >>> normalize_number("12.0")
    '12'
    >>> normalize_number("-3.50")
    '-3.5'
    >>> normalize_number(7)
    '7'
    >>> normalize_number("twelve") is None
    True
    >>> normalize_number("") is None
    True
    """
    if s is None or isinstance(s, bool):
        return None
    text = str(s).replace("\\$", "").replace("$", "").replace(",", "")
    text = re.sub(r"\s+", "", text).rstrip(".")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        return None
    if value == value.to_integral_value():
        return str(int(value))
    # normalize() drops trailing zeros; format "f" avoids "1E+1" style output.
    return format(value.normalize(), "f")
