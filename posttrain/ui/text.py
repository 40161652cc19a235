"""Every string the app shows, in English and Chinese: one small table next to the UI.

`TEXT[key] = (english, chinese)`; a key ending in `.info` is the one-line help under a setting.
`t(key, lang, **values)` formats one string; `LANGS` maps the language switch's choices to codes.
A test checks both columns are filled for every key.
"""

from __future__ import annotations

LANGS = {"English": "en", "中文": "zh"}

TEXT: dict[str, tuple[str, str]] = {
    # header and tabs
    "title": ("# posttrain · watch post-training happen",
              "# posttrain · 看见后训练的发生"),
    "subtitle": ("Load a small instruct model, run a short **DPO** or **GRPO** job, watch the charts move, "
                 "and read its answers before and after, side by side.",
                 "加载一个小型指令模型，运行一次简短的 **DPO** 或 **GRPO** 训练，看图表实时变化，并并排对比训练前后的回答。"),
    "language": ("Language", "语言"),
    "tab.model": ("1 · Model", "1 · 模型"),
    "tab.data": ("2 · Data", "2 · 数据"),
    "tab.train": ("3 · Train", "3 · 训练"),
    "tab.compare": ("4 · Compare", "4 · 对比"),
    "tab.runs": ("5 · Runs", "5 · 记录"),
    # model tab
    "model.source": ("Model", "模型"),
    "model.source.info": ("the bundled SmolLM2-135M-Instruct (works offline), a Hub id such as "
                          "Qwen/Qwen2.5-0.5B-Instruct, a local folder, or a run folder",
                          "内置的 SmolLM2-135M-Instruct（可离线使用）、Hub 模型名（如 Qwen/Qwen2.5-0.5B-Instruct）、"
                          "本地文件夹或某次训练记录的文件夹"),
    "model.load": ("Load", "加载"),
    "model.token": ("Hub token (only for private or gated models)", "Hub 令牌（仅私有或受限模型需要）"),
    "model.token.info": ("kept in this server's memory for this model only: never saved, logged or shown back",
                         "只保存在本服务器内存中、只用于这个模型：不会被保存、记录或显示"),
    "model.none": ("No model loaded yet: press **Load** (the bundled model loads in about a second after its "
                   "first conversion).", "尚未加载模型：请点击 **加载**（内置模型首次转换后约一秒即可加载）。"),
    "model.lora": ("LoRA (train small adapters instead of every weight)", "LoRA（只训练小型适配器，而非全部权重）"),
    "model.lora.info": ("on: faster and lighter, the adapters are merged into the saved model; off: full fine-tuning",
                        "开启：更快更省内存，适配器会合并进保存的模型；关闭：全参数微调"),
    "model.lora_r": ("LoRA rank", "LoRA 秩"),
    "model.lora_r.info": ("size of each adapter; 16 is plenty for a demo", "每个适配器的大小；演示用 16 足够"),
    "model.ask": ("Ask the current model", "向当前模型提问"),
    "model.ask.placeholder": ("Who are you?", "你是谁？"),
    "model.ask.button": ("Ask", "提问"),
    "model.answer": ("Answer (greedy)", "回答（贪心解码）"),
    "card.source": ("source", "来源"), "card.parameters": ("parameters", "参数量"), "card.device": ("device", "设备"),
    "card.dtype": ("dtype", "精度"), "card.memory": ("memory", "内存"), "card.load": ("load time", "加载用时"),
    "card.state": ("state", "状态"), "card.as_loaded": ("as loaded", "原始权重"),
    "card.trained": ("trained by run {run}", "已由训练 {run} 修改"),
    # data tab
    "data.dpo": ("DPO: preference pairs", "DPO：偏好对"),
    "data.grpo": ("GRPO: problems with answers", "GRPO：带答案的题目"),
    "data.identity": ("Identity builder: chosen = the new name, rejected = the model's own answer",
                      "身份构建器：chosen = 新名字，rejected = 模型自己的回答"),
    "data.name": ("New name", "新名字"),
    "data.org": ("Organisation", "机构"),
    "data.pairs": ("How many pairs", "偏好对数量"),
    "data.pairs.info": ("half identity questions (English and 中文), half unrelated ones that keep the model's own answer",
                        "一半是身份问题（英文和中文），一半是无关问题，保留模型自己的回答"),
    "data.build": ("Build identity pairs", "构建身份偏好对"),
    "data.or_load": ("…or load your own pairs (prompt / chosen / rejected)", "……或加载你自己的偏好数据（prompt / chosen / rejected）"),
    "data.hub": ("Hub dataset id", "Hub 数据集名"),
    "data.file": ("JSONL / CSV / Parquet file", "JSONL / CSV / Parquet 文件"),
    "data.load": ("Load dataset", "加载数据集"),
    "data.table": ("Pairs (editable: change a cell, add or delete rows)", "偏好对（可编辑：修改单元格、增删行）"),
    "data.problems": ("How many problems", "题目数量"),
    "data.hint": ("Share with a format hint", "带格式提示的比例"),
    "data.hint.info": ("the small model almost never writes \\boxed{} on its own; a hint on some prompts gives GRPO "
                       "groups with something to learn from", "小模型几乎从不自己写 \\boxed{}；给部分题目加提示，GRPO 的组内才有可学的差异"),
    "data.generate": ("Generate arithmetic problems", "生成算术题"),
    "data.system": ("System prompt (for every problem)", "系统提示词（用于每道题）"),
    "data.problem_table": ("Problems (editable)", "题目（可编辑）"),
    "data.n_pairs": ("{n} pairs ready ({identity} identity, {control} control)", "已准备 {n} 个偏好对（{identity} 个身份，{control} 个对照）"),
    "data.n_rows": ("{n} pairs ready from {source}", "已从 {source} 准备 {n} 个偏好对"),
    "data.n_problems": ("{n} problems ready", "已准备 {n} 道题"),
    "data.building": ("Building: the model answers every question itself first (about half a minute)…",
                      "构建中：模型先自己回答每个问题（约半分钟）……"),
    # train tab
    "train.method": ("Method", "方法"),
    "train.demo": ("▶ Identity change demo (one click: data, training, compare)", "▶ 身份转变演示（一键完成：数据、训练、对比）"),
    "train.demo.info": ("uses the name and organisation on the Data tab", "使用「数据」页上的新名字和机构"),
    "train.start": ("Start", "开始"),
    "train.stop": ("Stop", "停止"),
    "train.settings": ("Settings", "设置"),
    "train.lr": ("Learning rate", "学习率"), "train.lr.info": ("how big each update is", "每次更新的步长"),
    "train.steps": ("Steps", "步数"), "train.steps.info": ("optimiser steps in this run", "本次训练的优化步数"),
    "train.batch": ("Batch size", "批大小"),
    "train.batch.info": ("pairs per step (DPO) or completions per step (GRPO)", "每步的偏好对数（DPO）或回答数（GRPO）"),
    "train.accum": ("Gradient accumulation", "梯度累积"),
    "train.accum.info": ("batches added up before each update", "每次更新前累积的批次数"),
    "train.probe": ("Probe every k steps", "每 k 步探测一次"),
    "train.probe.info": ("answer the probe questions every k steps (0 = off)", "每 k 步回答一次探测问题（0 = 关闭）"),
    "train.beta": ("Beta", "Beta"),
    "train.beta.info": ("how far the policy may move from the reference; larger = stays closer", "策略可偏离参考模型的程度；越大越接近参考模型"),
    "train.loss": ("Loss", "损失函数"),
    "train.loss.info": ("sigmoid = DPO, ipo = IPO, hinge = SLiC, robust = label-smoothed DPO", "sigmoid = DPO，ipo = IPO，hinge = SLiC，robust = 标签平滑 DPO"),
    "train.sft": ("SFT weight", "SFT 权重"),
    "train.sft.info": ("adds plain supervised learning on the chosen answers (0 = off)", "在 chosen 回答上额外做监督学习（0 = 关闭）"),
    "train.smoothing": ("Label smoothing", "标签平滑"),
    "train.smoothing.info": ("for the robust loss: how noisy the preferences are assumed to be", "用于 robust 损失：假设偏好标签的噪声比例"),
    "train.max_length": ("Max length", "最大长度"),
    "train.max_length.info": ("tokens of prompt + answer kept per pair", "每个偏好对保留的 prompt + 回答 token 数"),
    "train.generations": ("Generations per prompt", "每个问题的采样数"),
    "train.generations.info": ("the group GRPO compares; advantages are relative to the group mean", "GRPO 比较的组；优势相对于组内平均"),
    "train.completion": ("Max completion length", "最大回答长度"),
    "train.completion.info": ("tokens per sampled answer; longer = slower steps", "每个采样回答的 token 数；越长每步越慢"),
    "train.temperature": ("Temperature", "温度"),
    "train.temperature.info": ("sampling temperature; the group needs variety", "采样温度；组内需要多样性"),
    "train.kl": ("KL beta", "KL beta"),
    "train.kl.info": ("penalty for drifting from the reference (0 = off, faster)", "偏离参考模型的惩罚（0 = 关闭，更快）"),
    "train.rewards": ("Reward functions", "奖励函数"),
    "train.rewards.info": ("boxed_match: 1 when \\boxed{} holds the right number; boxed_format: the format alone",
                           "boxed_match：\\boxed{} 中数字正确得 1 分；boxed_format：只看格式"),
    "train.weights": ("Reward weights", "奖励权重"),
    "train.weights.info": ("one number per reward function, comma-separated", "每个奖励函数一个数字，用逗号分隔"),
    "train.charts": ("Live charts", "实时图表"),
    "train.probes": ("Probe timeline: the same questions, answered during training (★ = says the new name)",
                     "探测时间线：训练过程中对同一组问题的回答（★ = 说出了新名字）"),
    "train.group": ("Group inspector: one prompt's sampled completions at the latest step",
                    "组检查器：最近一步中某个问题的全部采样回答"),
    "train.idle": ("No job yet. Build data and press **Start**, or press the identity demo.",
                   "还没有训练任务。构建数据后点击 **开始**，或点击身份转变演示。"),
    "train.started": ("Started the {kind} job; charts appear below as steps arrive.", "已开始 {kind} 训练；每完成一步，下方图表就会更新。"),
    "train.need_data": ("Build or load the {kind} data on the Data tab first.", "请先在「数据」页构建或加载 {kind} 数据。"),
    "status.running": ("running", "运行中"), "status.stopping": ("stopping", "正在停止"), "status.done": ("done", "完成"),
    "status.failed": ("failed", "失败"), "status.stopped": ("stopped", "已停止"),
    "status.line": ("**{kind}** · {status} · {phase}", "**{kind}** · {status} · {phase}"),
    "status.step": ("step {step} / {total}", "第 {step} / {total} 步"),
    "status.eta": ("about {eta} s left", "约剩 {eta} 秒"),
    "status.elapsed": ("{elapsed} s elapsed", "已用 {elapsed} 秒"),
    "status.error": ("The run failed: {error}", "训练失败：{error}"),
    "status.finished": ("Finished: see the Compare tab for before and after.", "已完成：在「对比」页查看训练前后的回答。"),
    "phase.starting": ("starting", "启动中"), "phase.load": ("loading the model", "加载模型"),
    "phase.data": ("building the data", "构建数据"), "phase.before": ("answering before training", "训练前作答"),
    "phase.train": ("training", "训练中"), "phase.after": ("answering after training", "训练后作答"),
    "phase.save": ("saving the model", "保存模型"), "phase.finished": ("finished", "已结束"),
    # compare tab
    "compare.questions": ("Questions (editable; kind: identity, unrelated or anything else)",
                          "问题（可编辑；类型：identity、unrelated 或其他）"),
    "compare.system": ("System prompt (optional; the same for before and after)", "系统提示词（可选；训练前后相同）"),
    "compare.run": ("Compare before and after", "对比训练前后"),
    "compare.reset": ("Reset the questions", "重置问题"),
    "compare.question": ("question", "问题"), "compare.before": ("before", "训练前"), "compare.after": ("after (changed words marked)", "训练后（标出改动的词）"),
    "compare.untrained": ("No run has changed the model yet, so before and after are the same model.",
                          "还没有训练改变过模型，所以训练前后是同一个模型。"),
    "compare.scores": ("**success** {success} of identity answers say the new name · **leak** {leak} of unrelated answers "
                       "mention it · **unchanged** {unchanged} of unrelated answers are word for word the same",
                       "**成功** {success} 的身份回答说出了新名字 · **泄漏** {leak} 的无关回答提到了它 · "
                       "**不变** {unchanged} 的无关回答与训练前逐字相同"),
    "compare.arith": ("**boxed** {boxed_before} → {boxed_after} · **accuracy** {accuracy_before} → {accuracy_after}",
                      "**含 \\boxed{{}}** {boxed_before} → {boxed_after} · **准确率** {accuracy_before} → {accuracy_after}"),
    "compare.changed": ("**changed** {changed} of the answers", "**有变化** {changed} 的回答"),
    # runs tab
    "runs.refresh": ("Refresh", "刷新"),
    "runs.pick": ("Run", "训练记录"),
    "runs.none": ("No runs yet in {root}.", "{root} 中还没有训练记录。"),
    "runs.receipt": ("Download the receipt (JSON)", "下载记录（JSON）"),
    "runs.model": ("Download the model (zip)", "下载模型（zip）"),
    "runs.file": ("Download", "下载"),
    # messages
    "msg.error": ("{error}", "出错了：{error}"),
    "msg.busy": ("Refused: {error}. Anyone can watch it on the Train tab.", "已拒绝：{error}。任何人都可以在「训练」页观看。"),
    "msg.loaded": ("Loaded {source}.", "已加载 {source}。"),
    "msg.stopping": ("Stopping after the current step; the model trained so far is kept and compared.",
                     "将在当前步结束后停止；已训练的模型会被保留并用于对比。"),
    "msg.nothing": ("Nothing is running.", "当前没有运行的任务。"),
}


def t(key: str, lang: str = "en", **values) -> str:
    """The string for `key` in `lang` ("en" or "zh"), with `values` filled in."""
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
