"""The engine's errors speak the page's language: every sentence a person can cause is raised as a `bilingual.Said`,
its Chinese keeps the English's numbers and values in their order, and the page shows the one it speaks."""

import ast
import builtins
import re
import threading
from pathlib import Path

import pytest

from posttrain import bilingual, config, hub, methods, reward_model, tables, votes
from posttrain.bilingual import Said, message_of
from posttrain.data import MissingColumns, load_preference_data
from posttrain.identity import build_identity_pairs
from posttrain.models import resolve_source
from posttrain.runner import start_job
from posttrain.runs import read_run
from posttrain.studio import Studio, StudioError

PACKAGE = Path(__file__).resolve().parents[1] / "posttrain"
# The modules whose errors a person causes from the app or the CLI (cli.py's UsageError is the CLI's own, in English).
MODULES = ["studio", "tables", "data", "config", "models", "hub", "votes", "reward_model", "arithmetic", "identity",
           "recipe_file", "runner", "metrics", "methods/__init__", "methods/base", "methods/dpo", "methods/sft",
           "methods/grpo", "methods/reward", "methods/gated", "zerogpu"]
ERRORS = {"StudioError", "DataError", "MissingColumns", "SettingsError", "ModelError", "HubError", "VoteError",
          "RewardModelError", "JobBusy"}
RAISES_ITS = {"_check": 1}  # config's check raises SettingsError with its argument at this place
CARRIERS = {"Said", "joined", "message_of"}  # calls that give a Said (message_of: the one an error was raised with)
CJK = re.compile(r"[\u4e00-\u9fff]")
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # its words or its punctuation (“：”, “（”)


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _said_names(tree) -> set[str]:
    """Names the module binds to a Said: parameters annotated `Said`, variables assigned one, and functions that
    return one."""
    names = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg) and _name(a.annotation) == "Said"}
    names |= {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and _name(f.returns) == "Said"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _carries(node.value, set()):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _carries(node, said: set[str]) -> bool:
    if isinstance(node, ast.IfExp):
        return _carries(node.body, said) and _carries(node.orelse, said)
    if isinstance(node, ast.Call):
        return _name(node.func) in CARRIERS | said
    return isinstance(node, ast.Name) and node.id in said


def english_only(source: str) -> list[str]:
    """The user-facing errors in `source` made with a message that carries no Chinese, as source lines."""
    tree = ast.parse(source)
    said, found = _said_names(tree), []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        at = 0 if name in ERRORS else RAISES_ITS.get(name)
        if at is not None and len(node.args) > at and not _carries(node.args[at], said):
            found.append(ast.get_source_segment(source, node).splitlines()[0])
    return found


def test_every_error_a_person_can_cause_carries_its_chinese():
    """A new English-only error in these modules fails here: its message is a Said, or a name or call that gives one."""
    assert english_only('raise StudioError(f"ask for between 2 and 400 pairs (got {n})")')  # what it catches
    assert english_only('_check(n > 0, "steps must be above 0")')
    assert english_only('raise DataError("a" if x else Said("b", "乙"))')
    assert not english_only('raise StudioError(Said("type a question first", "请先输入一个问题"))')
    assert not english_only('def f(msg: Said):\n    raise SettingsError(msg)')
    found = {m: english_only((PACKAGE / f"{m}.py").read_text(encoding="utf-8")) for m in MODULES}
    assert {m: f for m, f in found.items() if f} == {}


def _reads(expr) -> tuple[str, ...] | None:
    """The values a {…} fills in: the names and name.attr it reads, not the functions it calls (`zh(x)` reads x), a
    Said's `.zh` or a `_zh` suffix (`label_zh`: the label in Chinese); None for a choice between two wordings."""
    if isinstance(expr, ast.IfExp) and isinstance(expr.body, ast.Constant) and isinstance(expr.orelse, ast.Constant):
        return None
    called = {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
    reads = set()
    for n in ast.walk(expr):
        if id(n) in called or isinstance(n, ast.Attribute) and n.attr == "zh":
            continue
        if isinstance(n, ast.Name) and n.id not in dir(builtins):
            reads.add(n.id.removesuffix("_zh"))
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            reads.add(f"{n.value.id}.{n.attr.removesuffix('_zh')}")
    return tuple(sorted(reads))


def _template(node) -> tuple[str, list[tuple[str, ...]]]:
    """A string literal or f-string as (its literal text, the values each {…} fills in)."""
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    text, places = "", []
    for part in parts:
        if isinstance(part, ast.Constant):
            text += str(part.value)
        elif (reads := _reads(part.value if isinstance(part, ast.FormattedValue) else part)) is not None:
            places.append(reads)
    return text, places


def mismatch(said: ast.Call) -> str | None:
    """What is wrong with a Said(english, chinese): Chinese that is not written in Chinese, or is the English; other
    literal numbers, or the values filled in (`{n}`, `{path}`) in another order, than the English's."""
    if len(said.args) != 2:
        return "no Chinese"
    (en, en_places), (zh, zh_places) = (_template(a) for a in said.args)
    if not CHINESE.search(zh) or zh == en:
        return "not Chinese"
    if re.findall(r"\d+", en) != re.findall(r"\d+", zh):
        return "other numbers"
    return None if en_places == zh_places else "other values"


def test_every_sentence_has_its_chinese_with_the_same_numbers_and_values_in_order():
    """Each Said in those modules, so that "(got 0)" never reads as another number on the Chinese page."""
    def said(source):
        return ast.parse(source).body[0].value

    assert mismatch(said('Said(f"{cut} of {n} pairs", f"{n} 个中有 {cut} 个")')) == "other values"  # what it catches
    assert mismatch(said('Said(f"between 2 and 400 (got {n})", f"在 2 到 40 之间（当前为 {n}）")')) == "other numbers"
    assert mismatch(said('Said("type a question first", "type a question first")')) == "not Chinese"
    assert mismatch(said('Said(f"{n} {\'pair is\' if n == 1 else \'pairs are\'} out", f"{n} 个被排除")')) is None
    assert mismatch(said('Said(f"the {what}: {e}", f"{zh(what)}：{zh(message_of(e))}")')) is None
    found, checked = {}, 0
    for m in MODULES:
        source = (PACKAGE / f"{m}.py").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and _name(node.func) == "Said":
                checked += 1
                if (wrong := mismatch(node)) is not None:
                    found[f"{m}.py:{node.lineno}"] = wrong
    assert found == {} and checked >= 150


def _raised(call) -> Said:
    with pytest.raises(Exception) as e:
        call()
    return message_of(e.value)


def test_the_errors_read_in_chinese_with_the_numbers_the_english_has(tmp_path):
    """What a participant meets, raised for real: every one in Chinese, its numbers those of the English."""
    (tmp_path / "pairs.csv").write_text("question,reply\nWho are you?,Nova\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"prompt": "a"}\nnot json\n', encoding="utf-8")
    studio = Studio(default_model=str(tmp_path / "no-model"), root=tmp_path / "runs", public=False)
    said = [_raised(lambda: studio.identity_pairs("Nova", "Acme", 0)),
            _raised(lambda: studio.arithmetic_data(5000)),
            _raised(lambda: studio.compare_runs([])),
            _raised(lambda: studio.preference_data(str(tmp_path / "pairs.csv"))),
            _raised(lambda: load_preference_data(tmp_path / "bad.jsonl")),
            _raised(lambda: tables.dpo_rows([["Who are you?", "Nova", "Nova"]])),
            _raised(lambda: tables.grpo_rows("", [["2 + 2?", "four"]])),
            _raised(lambda: build_identity_pairs("N" * 61, "Acme", {}, [], [])),
            _raised(lambda: config.GRPOSettings(batch_size=6, num_generations=4)),
            _raised(lambda: config.DPOSettings(max_length=8)),
            _raised(lambda: config.with_overrides(config.DPOSettings(), {"max_steps": "ten"})),
            _raised(lambda: methods.get("ppo")),
            _raised(lambda: methods.get("dpo").settings("fast")),
            _raised(lambda: votes.make_vote(votes.Side("before", {"q": "a"}), votes.Side("after", {"q": "b"}), "v", 3,
                                            "A")),
            _raised(lambda: hub.push({"path": str(tmp_path)}, "not a repo", "hf_x")),
            _raised(lambda: reward_model.locate(tmp_path / "gone")),
            _raised(lambda: resolve_source(str(tmp_path / "pairs.csv")))]
    for s in said:
        assert isinstance(s, Said) and CJK.search(s.zh) and s.zh != s, s
        assert re.findall(r"-?\d+(?:\.\d+)?", s) == re.findall(r"-?\d+(?:\.\d+)?", s.zh), (s, s.zh)


def test_the_page_shows_an_error_in_its_language_and_the_english_as_before(tmp_path):
    from posttrain.ui.tabs.shared import message

    studio = Studio(default_model=str(tmp_path / "no-model"), root=tmp_path / "runs", public=False)
    with pytest.raises(StudioError) as e:
        studio.identity_pairs("A", "B", 0)
    assert str(e.value) == "ask for between 2 and 400 pairs (got 0)"  # the CLI and the logs read this
    assert message(e.value, "en") == "⚠ ask for between 2 and 400 pairs (got 0)"
    assert message(e.value, "zh") == "⚠ 出错了：偏好对数量须在 2 到 400 之间（当前为 0）"
    (tmp_path / "other.csv").write_text("question,reply\nWho are you?,Nova\n", encoding="utf-8")
    with pytest.raises(MissingColumns) as missing:  # each reader's refusal, joined in both languages
        studio.preference_data(str(tmp_path / "other.csv"))
    assert str(missing.value).startswith("DPO: the dataset needs columns prompt, chosen, rejected; found: question, "
                                         "reply. Reward model: ")
    assert " SFT: an SFT dataset needs columns prompt and completion" in str(missing.value)
    assert message(missing.value, "zh").startswith("⚠ 出错了：DPO：数据集需要 prompt、chosen、rejected 这几列；"
                                                   "现有的列：question、reply。奖励模型：")
    assert "。SFT：SFT 数据集需要 prompt 和 completion 两列" in message(missing.value, "zh")
    assert message(ValueError("plain English"), "zh").startswith("⚠ 出错了：意外错误 ValueError")  # not shown raw

    go = threading.Event()  # a job that holds the model: asking is refused, in the page's language
    job = start_job("dpo", tmp_path / "held", lambda job: go.wait(30) and {})
    try:
        with pytest.raises(Exception) as busy:
            studio.ask("Who are you?")
        assert str(busy.value).startswith("a dpo job is running (starting, ")
        assert message(busy.value, "zh").startswith("⚠ 已拒绝：DPO 任务运行中（启动中，已用 ")
        assert "模型一直被占用" in message(busy.value, "zh")
    finally:
        go.set()
        job.wait(30)


def test_a_failed_jobs_error_reads_in_the_pages_language_and_an_old_runs_in_english(tmp_path):
    from posttrain.data import DataError
    from posttrain.ui import views

    def broken(job):
        job.enter("data")
        raise DataError(Said("the table has no pairs; build the identity pairs or load a dataset first.\nmore",
                             "表格里没有偏好对；请先构建身份偏好对，或加载一个数据集。\n更多"))

    job = start_job("dpo", tmp_path / "run", broken)
    job.wait(30)
    view = job.snapshot()
    assert view["status"] == "failed"
    assert view["error"] == "the table has no pairs; build the identity pairs or load a dataset first."
    assert "训练失败：表格里没有偏好对；请先构建身份偏好对，或加载一个数据集。" in views.status_md(view, "zh")
    assert "The run failed: the table has no pairs;" in views.status_md(view, "en")
    run = read_run(tmp_path / "run")
    assert "训练失败：表格里没有偏好对" in views.run_md(run, "zh")
    old = {**run, "status": {k: v for k, v in run["status"].items() if k != "error_zh"}}  # saved before the Chinese
    assert "训练失败：the table has no pairs;" in views.run_md(old, "zh")
    assert bilingual.pick_one(old["status"], "error", "zh") == view["error"]
