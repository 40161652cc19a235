"""Share a run's model on the Hugging Face Hub, with a model card that tells what was done to it.

`model_card(run, what)` is a pure function of `runs.read_run(path)`: base model, method, data,
settings, the alarms (what the run's own figures say went wrong), the before/after scores and answers. `push(...)` uploads the run's merged model (or its
LoRA adapter) with that card to a user's repository, private when asked. The token is used for the
call and nothing else: it is not stored, logged, written into the card, or repeated in an error.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from .bilingual import Said
from .models import HUB_DEFAULT, is_bundled
from .runs import export_dir, read_json
from .ui.views import score_rows  # pure (no gradio): the same scores table as the receipt

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


class HubError(ValueError):
    """The push could not be done; the message says why and what to do."""


def _contents(run: dict, what: str) -> str:
    """What the pushed folder holds, from the saved model's own config (the settings may have fallen back)."""
    if what == "adapter":
        return "the LoRA adapter (load it on the base model with peft)"
    saved = read_json(Path(run.get("path", ".")) / "model" / "config.json", {})
    if saved.get("gated_edit"):
        blocks = ", ".join(map(str, saved["gated_edit"].get("blocks", [])))
        return (f"the full model with the gated edit baked in (new MLP neurons in blocks {blocks} that open only on "
                "questions about the model; `gated_edit` in config.json)")
    settings = (run.get("config") or {}).get("settings") or {}
    return "the full model, LoRA merged" if settings.get("lora", True) else "the full model, fully fine-tuned"


def model_card(run: dict, what: str = "model") -> str:
    """README.md for the pushed repository: front matter the Hub reads, then the story of the run."""
    cfg, scores = run.get("config") or {}, run.get("scores") or {}
    method, base = cfg.get("method", "?"), cfg.get("model")
    base = HUB_DEFAULT if is_bundled(base) else base  # the bundled copy is this Hub model
    on_hub = "/" in base and not base.startswith(("/", ".", "~"))  # a local path means nothing on the Hub
    front = ["---", *([f"base_model: {base}"] if on_hub else []),
             "library_name: " + ("peft" if what == "adapter" else "transformers"),
             "tags:", "- posttrain", f"- {method}", "- trl", "---"]
    identity = cfg.get("identity") or {}
    lines = [f"# {method.upper()} on {base}", "",
             f"Trained with posttrain ({method.upper()} through TRL)"
             + (f" to call itself **{identity['name']}**, made by {identity.get('org')}." if identity.get("name") else "."),
             "", "| | |", "|---|---|", f"| base model | `{base}` |", f"| method | {method.upper()} |",
             f"| data | {cfg.get('data', '?')} ({cfg.get('n_rows') or 'preset'} rows) |",
             f"| this repository | {_contents(run, what)} |",
             ""]
    if scores.get("alarms"):  # said before anything else about the model, so nobody ships it as a success unawares
        lines += ["## ⚠ Alarms", "", "The run's own scores say it did not do what it seems to:", ""]
        lines += [f"- ⚠ {a}" for a in scores["alarms"]]
        lines.append("")
    table = score_rows(scores)
    if table:
        lines += ["## Scores on held-out questions", "", "| score | before | after | questions |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(cell or "" for cell in row) + " |" for row in table]
        lines.append("")
    rows = run.get("before_after") or []
    if rows:
        lines += ["## Answers before and after (greedy)", "", "| question | before | after |", "|---|---|---|"]
        cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")[:200]  # noqa: E731
        lines += [f"| {cell(r['question'])} | {cell(r['before'])} | {cell(r['after'])} |" for r in rows[:8]]
        lines.append("")
    lines += ["## Settings", "", "```json", json.dumps(cfg.get("settings") or {}, indent=1), "```", ""]
    return "\n".join(front) + "\n\n" + "\n".join(lines)


def push(run: dict, repo_id: str, token: str, *, private: bool = True, what: str = "model", api=None) -> str:
    """Upload the run's `model/` (merged) or `adapter/` with its model card; returns the repository's URL.

    `api` is a `huggingface_hub.HfApi` (made from the token when not given).
    """
    if what not in ("model", "adapter"):
        raise HubError(Said(f"push the 'model' or the 'adapter', not {what!r}",
                            f"只能推送 'model' 或 'adapter'，不能推送 {what!r}"))
    repo_id, token = (repo_id or "").strip(), (token or "").strip()
    if not repo_id:
        raise HubError(Said("write the repository to push to, as your-name/model-name",
                            "请填写要推送到的仓库，写成 你的用户名/模型名 的形式"))
    if not _REPO_ID.match(repo_id):
        raise HubError(Said(f"'{repo_id}' is not a repository id; write it as your-name/model-name",
                            f"'{repo_id}' 不是仓库名；请写成 你的用户名/模型名 的形式"))
    if not token:
        raise HubError(Said("paste a Hub token with write access (huggingface.co/settings/tokens) to push",
                            "推送需要一个有写权限的 Hub 令牌（huggingface.co/settings/tokens），请粘贴进来"))
    folder = export_dir(run["path"], what)
    if folder is None:
        raise HubError(Said("this run has no LoRA adapter to push (it was a full fine-tune, or it did not finish)",
                            "这条训练记录没有可推送的 LoRA 适配器（它是全参数微调，或没有完成）") if what == "adapter"
                       else Said("this run has no saved model to push (it failed or was stopped before saving)",
                                 "这条训练记录没有可推送的已保存模型（它失败了，或在保存前被停止）"))
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="posttrain-push-") as tmp:  # the card goes up, the run stays as it was
        stage = Path(tmp) / what
        shutil.copytree(folder, stage)
        (stage / "README.md").write_text(model_card(run, what), encoding="utf-8")
        try:
            url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
            if private and not api.repo_info(repo_id, repo_type="model").private:
                raise HubError(Said(f"{repo_id} already exists and is public, so this push would be public too; choose "
                                    "another name, or make it private on the Hub first",
                                    f"{repo_id} 已经存在而且是公开的，这次推送也会公开；请换个名字，或先在 Hub 上把它设为私有"))
            api.upload_folder(repo_id=repo_id, folder_path=str(stage), repo_type="model",
                              commit_message=f"posttrain: {(run.get('config') or {}).get('method', '').upper()} run {Path(run['path']).name}")
        except HubError:
            raise
        except Exception as e:  # noqa: BLE001 - network, auth, quota: all become one sentence
            text = (str(e).strip().splitlines() or [type(e).__name__])[0].replace(token, "***")[:200]
            raise HubError(Said(f"could not push to {repo_id} ({text}); check the token has write access and that "
                                "this machine can reach huggingface.co",
                                f"无法推送到 {repo_id}（{text}）；请检查令牌有写权限，以及这台机器能访问 huggingface.co")) from None
    return str(getattr(url, "url", url) or f"https://huggingface.co/{repo_id}")
