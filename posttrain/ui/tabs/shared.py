"""What every tab uses: the page (its Blocks, the Studio, the language, and the labelled components the
language switch relabels), an engine error as a sentence, and a table as a DataFrame."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import gradio as gr
import pandas as pd

from ... import methods, tables
from ...bilingual import in_lang, message_of
from ...config import SettingsError
from ...data import DataError
from ...hub import HubError
from ...models import ModelError
from ...runner import JobBusy
from ...studio import Studio, StudioError
from ..text import TEXT, t, t_or

EXPECTED = (ModelError, DataError, SettingsError, StudioError, HubError)
DEFAULT_METHOD = "dpo"  # selected when the page opens: the identity demo's headline method (the gated edit)


@dataclass
class Page:
    """The Blocks being laid out, the Studio its handlers call, the per-visitor language State, and each
    component with the TEXT key of its label (plus `bold`, `labels` of its choices, format `values`)."""

    demo: gr.Blocks
    studio: Studio
    lang: gr.State
    labelled: list[tuple[gr.components.Component, str, dict]] = field(default_factory=list)

    def __call__(self, component, key: str, **opts):
        self.labelled.append((component, key, opts))
        return component

    def widget(self, cls, key: str, labels: list[tuple[str, object]] | None = None, **kw):
        """A component of class `cls` with the label, info line and placeholder TEXT has for `key`;
        `labels`: its choices as (TEXT key, value) pairs, shown translated (a key TEXT lacks is shown as is)."""
        for part in ("info", "placeholder"):
            if f"{key}.{part}" in TEXT:
                kw.setdefault(part, t(f"{key}.{part}"))
        if labels is not None:
            kw["choices"] = _choices(labels, "en")
        return self(cls(label=t(key), **kw), key, **({"labels": labels} if labels is not None else {}))

    def button(self, key: str, **kw) -> gr.Button:
        return self(gr.Button(t(key), **kw), key)

    def md(self, key: str, bold: bool = False, elem_classes: list[str] | None = None, **values) -> gr.Markdown:
        text = t(key, **values)
        return self(gr.Markdown(f"**{text}**" if bold else text, elem_classes=elem_classes), key, bold=bold,
                    values=values)

    def tab(self, key: str, id: str, **values) -> gr.Tab:
        return self(gr.Tab(t(key, **values), id=id), key, values=values)

    def accordion(self, key: str, open: bool = False, **kw) -> gr.Accordion:
        return self(gr.Accordion(t(key), open=open, **kw), key)

    def explain(self, tab: str) -> None:
        """The collapsed panels at the top of a tab: what am I looking at (TEXT "help.<tab>": what the tab is for,
        what to do, what to look for) and, beside it, the glossary of the field's words."""
        with gr.Row():
            with self.accordion("help.what", elem_id=f"help-{tab}"):
                self.md(f"help.{tab}")
            with self.accordion("help.glossary_title", elem_id=f"glossary-{tab}"):
                self.md("help.glossary")

    @property
    def components(self) -> list:
        return [c for c, _, _ in self.labelled]

    def relabel(self, lang: str) -> list:
        """One update per labelled component: its text in `lang`."""
        updates = []
        for comp, key, opts in self.labelled:
            text = t(key, lang, **opts.get("values", {}))
            if isinstance(comp, (gr.Button, gr.Markdown)):
                updates.append(gr.update(value=f"**{text}**" if opts.get("bold") else text))
            elif isinstance(comp, (gr.Tab, gr.Accordion)):
                updates.append(gr.update(label=text))
            else:
                kw = {"label": text}
                for part in ("info", "placeholder"):
                    if f"{key}.{part}" in TEXT:
                        kw[part] = t(f"{key}.{part}", lang)
                if "labels" in opts:
                    kw["choices"] = _choices(opts["labels"], lang)
                updates.append(gr.update(**kw))
        return updates


def _choices(labels: list[tuple[str, object]], lang: str) -> list[tuple[str, object]]:
    return [(t_or(k, lang, k), v) for k, v in labels]


def request_lang(request) -> str:
    """The language a page asks for ("zh" when the browser prefers Chinese), for handlers that run as the page
    opens, before the language switch has set the page's language."""
    accept = (request.headers.get("accept-language", "") if request else "").lower()
    return "zh" if accept.startswith("zh") else "en"


def message(e: Exception, lang: str) -> str:
    """An engine error as one readable sentence in `lang` (the engine raises its sentences as `bilingual.Said`);
    anything unexpected is logged, not shown raw."""
    if isinstance(e, JobBusy):
        return "⚠ " + t("msg.busy", lang, error=in_lang(message_of(e), lang))
    if isinstance(e, EXPECTED):
        return "⚠ " + t("msg.error", lang, error=in_lang(message_of(e), lang))
    traceback.print_exc()
    detail = str(e).splitlines()[0] if str(e) else ""
    return "⚠ " + t("msg.error", lang, error=t("msg.unexpected", lang, kind=type(e).__name__, detail=detail))


def frame(headers: list[str], rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=headers)


def question_headers(lang: str = "en") -> list[str]:
    """Compare's question table's columns in `lang`: question, kind, answer (a problem's number or the accepted
    answers). Read by position (`tables.table_rows`), so a table keeps its rows whichever language heads it."""
    return [t(f"compare.col.{c}", lang) for c in ("question", "kind", "answer")]


def questions_for(studio: Studio, method: str | None, lang: str = "en") -> tuple[pd.DataFrame, str]:
    """Compare's questions and system prompt after a run of `method` (held-out problems after GRPO)."""
    rows, system = studio.compare_setup(methods.get(method or studio.last_kind or DEFAULT_METHOD).name)
    return frame(question_headers(lang), rows), system


def retitled(table, lang: str) -> pd.DataFrame:
    """Compare's question table as it is (the reader's edits kept), headed in `lang`.

    >>> table = retitled([["Who are you?", "identity"], ["", "", ""], ["2 + 2?", "problem", "4"]], "zh")
    >>> table.columns.tolist(), table.values.tolist()
    (['问题', '类型', '答案'], [['Who are you?', 'identity', ''], ['2 + 2?', 'problem', '4']])
    """
    return frame(question_headers(lang), [(c + ["", "", ""])[:3] for c in tables.table_rows(table)])
