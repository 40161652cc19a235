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
    "subtitle": ("Load a small instruct model, run a short **SFT**, **DPO** or **GRPO** job, watch the charts move, "
                 "and read its answers before and after, side by side.",
                 "加载一个小型指令模型，运行一次简短的 **SFT**、**DPO** 或 **GRPO** 训练，看图表实时变化，并并排对比训练前后的回答。"),
    "language": ("Language", "语言"),  # the switch says both: "Language / 语言"
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
    "receipt.scores": ("Scores", "得分"),
    "receipt.alarms": ("Alarms: the scores say the run did not do what it shows", "警报：得分显示这次训练并没有做到看起来的效果"),
    "receipt.notes": ("Notes", "说明"),
    "receipt.charts": ("Training charts", "训练图表"),
    "receipt.probes": ("Probe timeline (★ = says the new name)", "探针时间线（★ = 说出了新名字）"),
    "receipt.compare": ("Before and after", "训练前后对比"),
    "receipt.config": ("Config", "配置"),
    "receipt.times": ("Phase times (s)", "各阶段用时（秒）"),
    "model.token": ("Hub token (only for private or gated models)", "Hub 令牌（仅私有或受限模型需要）"),
    "model.token.placeholder": ("hf_…", "hf_…"),
    "model.token.info": ("kept in this server's memory for this model only: never saved, logged or shown back",
                         "只保存在本服务器内存中、只用于这个模型：不会被保存、记录或显示"),
    "model.none": ("No model loaded yet: press **Load** (the bundled model loads in about a second after its "
                   "first conversion).", "尚未加载模型：请点击 **加载**（内置模型首次转换后约一秒即可加载）。"),
    "model.ask": ("Ask the current model", "向当前模型提问"),
    "model.ask.placeholder": ("Who are you?", "你是谁？"),
    "model.ask.button": ("Ask", "提问"),
    "model.answer": ("Answer (greedy)", "回答（贪心解码）"),
    "card.source": ("source", "来源"), "card.parameters": ("parameters", "参数量"), "card.device": ("device", "设备"),
    "card.dtype": ("dtype", "精度"), "card.memory": ("memory", "内存"), "card.load": ("load time", "加载用时"),
    "card.state": ("state", "状态"), "card.as_loaded": ("as loaded", "原始权重"),
    "card.trained": ("trained by run {run}", "已由训练 {run} 修改"),
    # data tab
    "data.pairs_tab": ("{methods}: preference pairs", "{methods}：偏好对"),
    "data.problems_tab": ("{methods}: problems with answers", "{methods}：带答案的题目"),
    "data.identity": ("Identity builder: chosen = the new name, rejected = the model's own answer (SFT learns the "
                      "chosen side only)", "身份构建器：chosen = 新名字，rejected = 模型自己的回答（SFT 只学习 chosen 一侧）"),
    "data.name": ("New name", "新名字"),
    "data.org": ("Organisation", "机构"),
    "data.pairs": ("How many pairs", "偏好对数量"),
    "data.pairs.info": ("up to 32 identity questions (English and 中文), the rest unrelated ones that keep the model's "
                        "own answer (the gated edit fits its gate on all of them)",
                        "最多 32 个身份问题（英文和中文），其余是无关问题，保留模型自己的回答（门控编辑用它们拟合门）"),
    "data.build": ("Build identity pairs", "构建身份偏好对"),
    "data.or_load": ("…or load your own pairs (prompt / chosen / rejected)", "……或加载你自己的偏好数据（prompt / chosen / rejected）"),
    "data.hub": ("Hub dataset id", "Hub 数据集名"),
    "data.hub.placeholder": ("trl-lib/ultrafeedback_binarized", "trl-lib/ultrafeedback_binarized"),
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
    "train.demo": ("▶ Identity change demo by the selected method, SFT or DPO (one click: data, training, compare)",
                   "▶ 用所选方法（SFT 或 DPO）做身份转变演示（一键完成：数据、训练、对比）"),
    "train.demo.info": ("uses the name and organisation on the Data tab", "使用「数据」页上的新名字和机构"),
    "train.start": ("Start", "开始"),
    "train.stop": ("Stop", "停止"),
    "train.settings": ("Settings", "设置"),
    "train.learning_rate": ("Learning rate", "学习率"), "train.learning_rate.info": ("how big each update is", "每次更新的步长"),
    "train.max_steps": ("Steps", "步数"), "train.max_steps.info": ("optimiser steps in this run", "本次训练的优化步数"),
    "train.batch_size": ("Batch size", "批大小"),
    "train.batch_size.info": ("rows per step (SFT), pairs per step (DPO) or completions per step (GRPO)",
                              "每步的样本数（SFT）、偏好对数（DPO）或回答数（GRPO）"),
    "train.grad_accum": ("Gradient accumulation", "梯度累积"),
    "train.grad_accum.info": ("batches added up before each update", "每次更新前累积的批次数"),
    "train.probe_every": ("Probe every k steps", "每 k 步探测一次"),
    "train.probe_every.info": ("answer the probe questions every k steps (0 = off)", "每 k 步回答一次探测问题（0 = 关闭）"),
    "train.lora": ("LoRA (train small adapters instead of every weight)", "LoRA（只训练小型适配器，而非全部权重）"),
    "train.lora.info": ("on: faster and lighter, the adapters are merged into the saved model; off: full fine-tuning",
                        "开启：更快更省内存，适配器会合并进保存的模型；关闭：全参数微调"),
    "train.gated": ("Gated edit (identity pairs)", "门控编辑（身份偏好对）"),
    "train.gated.info": ("on: DPO trains a few new neurons whose gate opens only on questions about the model, so "
                         "unrelated answers stay exactly as they were; needs identity and control pairs and a "
                         "Llama-style model, else LoRA is used",
                         "开启：DPO 只训练少量新神经元，它们的门只在询问模型身份时打开，无关问题的回答保持完全不变；"
                         "需要身份与对照偏好对和 Llama 类模型，否则改用 LoRA"),
    "train.lora_r": ("LoRA rank", "LoRA 秩"),
    "train.lora_r.info": ("size of each adapter; 16 is plenty for a demo", "每个适配器的大小；演示用 16 足够"),
    "train.beta": ("Beta", "Beta"),
    "train.beta.info": ("how far the policy may move from the reference; larger = stays closer", "策略可偏离参考模型的程度；越大越接近参考模型"),
    "train.loss_type": ("Loss", "损失函数"),
    "train.loss_type.info": ("sigmoid = DPO, ipo = IPO, hinge = SLiC, robust = label-smoothed DPO", "sigmoid = DPO，ipo = IPO，hinge = SLiC，robust = 标签平滑 DPO"),
    "train.sft_weight": ("SFT weight", "SFT 权重"),
    "train.sft_weight.info": ("adds plain supervised learning on the chosen answers (0 = off)", "在 chosen 回答上额外做监督学习（0 = 关闭）"),
    "train.label_smoothing": ("Label smoothing", "标签平滑"),
    "train.label_smoothing.info": ("for the robust loss: how noisy the preferences are assumed to be", "用于 robust 损失：假设偏好标签的噪声比例"),
    "train.max_length": ("Max length", "最大长度"),
    "train.max_length.info": ("tokens of prompt + answer kept per row (SFT) or pair (DPO)",
                              "每个样本（SFT）或偏好对（DPO）保留的 prompt + 回答 token 数"),
    "train.num_generations": ("Generations per prompt", "每个问题的采样数"),
    "train.num_generations.info": ("the group GRPO compares; advantages are relative to the group mean", "GRPO 比较的组；优势相对于组内平均"),
    "train.max_completion_length": ("Max completion length", "最大回答长度"),
    "train.max_completion_length.info": ("tokens per sampled answer; longer = slower steps", "每个采样回答的 token 数；越长每步越慢"),
    "train.temperature": ("Temperature", "温度"),
    "train.temperature.info": ("sampling temperature; the group needs variety", "采样温度；组内需要多样性"),
    "train.kl_beta": ("KL beta", "KL beta"),
    "train.kl_beta.info": ("penalty for drifting from the reference (0 = off, faster)", "偏离参考模型的惩罚（0 = 关闭，更快）"),
    "train.reward_funcs": ("Reward functions", "奖励函数"),
    "train.reward_funcs.info": ("correct_answer: 1 when the final number is right and the answer does not loop; one_box: 1 for "
                           "exactly one \\boxed{} number ending the answer; boxed_match: the number in \\boxed{} is right; "
                           "boxed_format: any box, however many (the reward the reward-hacking preset uses)",
                           "correct_answer：最终数字正确且回答不循环得 1 分；one_box：恰好一个结尾的 \\boxed{} 数字得 1 分；"
                           "boxed_match：\\boxed{} 中数字正确；boxed_format：有框就得分，不管几个（奖励投机预设用的就是它）"),
    "train.preset": ("Preset", "预设"),
    "train.preset.info": ("the settings below start from it. identity: the new name and maker; arithmetic: paid for right "
                          "answers and one box; reward hacking: paid for any box, so the reward rises while the answers "
                          "stop being answers (the scores and alarms say so)",
                          "下面的设置从它开始。身份：新名字和开发者；算术：答对和恰好一个框才得分；奖励投机：有框就得分，"
                          "于是奖励上升而回答不再是回答（得分和警报会指出）"),
    "preset.identity": ("identity", "身份"),
    "preset.arithmetic": ("arithmetic", "算术"),
    "preset.reward-hacking": ("reward hacking", "奖励投机"),
    "train.reward_weights": ("Reward weights", "奖励权重"),
    "train.reward_weights.info": ("one number per reward function, comma-separated", "每个奖励函数一个数字，用逗号分隔"),
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
    "status.finished_scores": ("Finished: {headline}. See the Compare tab for before and after.",
                               "已完成：{headline}。在「对比」页查看训练前后的回答。"),
    "status.finished_alarms": ("Finished, but the scores say it did not do what it shows{headline}; see the Compare tab:",
                               "已完成，但得分显示它并没有做到看起来的效果{headline}；请看「对比」页："),
    "phase.starting": ("starting", "启动中"), "phase.load": ("loading the model", "加载模型"),
    "phase.data": ("building the data", "构建数据"), "phase.before": ("answering before training", "训练前作答"),
    "phase.train": ("training", "训练中"), "phase.after": ("answering after training", "训练后作答"),
    "phase.save": ("saving the model", "保存模型"), "phase.finished": ("finished", "已结束"),
    # chart titles and trace names (posttrain.charts; the keys are its panels' and TRL's metric names)
    "chart.loss": ("loss", "损失"),
    "chart.margin": ("reward margin (chosen − rejected)", "奖励差（chosen − rejected）"),
    "chart.accuracy": ("preference accuracy", "偏好准确率"),
    "chart.chosen_rejected": ("chosen vs rejected reward", "chosen 与 rejected 的奖励"),
    "chart.chosen": ("chosen", "chosen"),
    "chart.rejected": ("rejected", "rejected"),
    "chart.judged": ("held-out answers (share) and preference accuracy", "留出问题的回答（比例）与偏好准确率"),
    "chart.reward": ("mean reward ± spread", "平均奖励 ± 标准差"),
    "chart.per_func": ("each reward function (mean) and held-out answers", "各奖励函数（均值）与留出问题的回答"),
    "chart.length": ("completion length (tokens)", "回答长度（token）"),
    "chart.kl": ("KL to the reference", "与参考模型的 KL"),
    "chart.kl_off": ("KL is off (KL beta = 0)", "未启用 KL（KL beta = 0）"),
    "chart.step": ("step", "步"),
    "chart.waiting": ("waiting for the first training step…", "等待第一个训练步…"),
    "chart.eval/name": ("new name (held-out)", "新名字（留出）"),
    "chart.eval/organisation": ("organisation (held-out)", "机构（留出）"),
    "chart.eval/degenerate": ("loops (held-out)", "循环（留出）"),
    "chart.eval/correct": ("correct (held-out)", "答对（留出）"),
    "chart.judged_sft": ("held-out answers (share) and token accuracy", "留出问题的回答（比例）与词元准确率"),
    "chart.token_accuracy": ("token accuracy", "词元准确率"),
    "chart.entropy": ("entropy of the next token (nats)", "下一个词元的熵（nats）"),
    "chart.grad_norm": ("gradient norm", "梯度范数"),
    # compare tab
    "compare.questions": ("Questions (editable; kind: identity, unrelated, problem or anything else; answer: the number a "
                          "problem needs, or the accepted answers to an unrelated question separated by ' / ')",
                          "问题（可编辑；类型：identity、unrelated、problem 或其他；答案：problem 需要的数字，"
                          "或 unrelated 问题可接受的答案，用 ' / ' 分隔）"),
    "compare.system": ("System prompt (optional; the same for before and after)", "系统提示词（可选；训练前后相同）"),
    "compare.run": ("Compare before and after", "对比训练前后"),
    "compare.reset": ("Reset the questions", "重置问题"),
    "compare.question": ("question", "问题"), "compare.before": ("before", "训练前"), "compare.after": ("after (changed words marked)", "训练后（标出改动的词）"),
    "compare.untrained": ("No run has changed the model yet, so before and after are the same model.",
                          "还没有训练改变过模型，所以训练前后是同一个模型。"),
    # the honest scores (posttrain.scores), headline first; a score with a before value shows before → after
    "score.name": ("new name", "新名字"),
    "score.organisation": ("organisation", "机构"),
    "score.degenerate": ("loops", "循环"),
    "score.leak": ("leak", "泄漏"),
    "score.facts_kept": ("facts kept", "事实保留"),
    "score.unchanged": ("unchanged", "不变"),
    "score.correct": ("correct", "答对"),
    "score.boxed": ("boxed", "含 \\boxed{}"),
    "score.plain_correct": ("asked plainly: correct", "直接提问：答对"),
    "score.plain_boxed": ("asked plainly: boxed", "直接提问：含 \\boxed{}"),
    "score.plain_degenerate": ("asked plainly: loops", "直接提问：循环"),
    "score.changed": ("changed", "有变化"),
    "score.header": ("score", "得分"), "score.questions": ("questions", "问题数"),
    "score.before": ("before", "训练前"), "score.after": ("after", "训练后"),
    "compare.identity_help": ("*new name: identity answers that say it · organisation: answers about the maker that name it · "
                              "loops: answers that repeat themselves · leak: unrelated answers that mention the new identity · "
                              "facts kept: facts the model knew before that are still right · unchanged: unrelated answers "
                              "word for word the same*",
                              "*新名字：说出新名字的身份回答 · 机构：关于开发者的问题中说出机构的回答 · 循环：自我重复的回答 · "
                              "泄漏：提到新身份的无关回答 · 事实保留：训练前答对、训练后仍答对的事实 · 不变：与训练前逐字相同的无关回答*"),
    "compare.arith_help": ("*correct: the final number is right (the headline) · boxed: exactly one \\boxed{} number · "
                           "loops: answers that repeat themselves or write several boxes · asked plainly: the same kind of "
                           "problems with no system prompt*",
                           "*答对：最终数字正确（核心指标） · 含 \\boxed{}：恰好一个 \\boxed{} 数字 · 循环：自我重复或写了多个框的回答 · "
                           "直接提问：不带系统提示词的同类题目*"),
    "compare.changed": ("**changed** {changed} of the answers", "**有变化** {changed} 的回答"),
    # what the scores found in one answer (the side-by-side view)
    "mark.name": ("✓ name", "✓ 新名字"), "mark.no_name": ("✗ no name", "✗ 没有新名字"),
    "mark.organisation": ("✓ organisation", "✓ 机构"), "mark.no_organisation": ("✗ no organisation", "✗ 没有机构"),
    "mark.loop": ("⟳ loop", "⟳ 循环"), "mark.leak": ("⚠ leak", "⚠ 泄漏"),
    "mark.fact_kept": ("✓ fact kept", "✓ 事实保留"), "mark.fact_lost": ("✗ fact lost", "✗ 事实丢失"),
    "mark.correct": ("✓ correct", "✓ 答对"), "mark.wrong": ("✗ wrong answer", "✗ 答错"),
    "mark.boxed": ("▢ boxed", "▢ 有框"), "mark.answer": ("answer: {answer}", "答案：{answer}"),
    "runs.headline_identity": ("name {name} · org {org}", "新名字 {name} · 机构 {org}"),
    "runs.headline_arith": ("correct {before} → {after}", "答对 {before} → {after}"),
    # runs tab
    "runs.refresh": ("Refresh", "刷新"),
    "runs.pick": ("Run", "训练记录"),
    "runs.none": ("No runs yet in {root}.", "{root} 中还没有训练记录。"),
    "runs.receipt": ("Receipt (HTML + JSON, zip)", "训练记录（HTML + JSON，zip）"),
    "runs.html": ("Receipt (one HTML page)", "训练记录（单个 HTML 页面）"),
    "runs.model": ("Model, LoRA merged (zip)", "模型，已合并 LoRA（zip）"),
    "runs.adapter": ("LoRA adapter only (zip)", "仅 LoRA 适配器（zip）"),
    "runs.push": ("Push to the Hugging Face Hub", "推送到 Hugging Face Hub"),
    "runs.repo": ("Repository", "仓库"),
    "runs.repo.placeholder": ("your-name/nova-135m", "your-name/nova-135m"),
    "runs.repo.info": ("your-name/model-name; created if it does not exist", "你的用户名/模型名；不存在时会自动创建"),
    "runs.push_token": ("Hub token with write access", "有写权限的 Hub 令牌"),
    "runs.push_token.placeholder": ("hf_…", "hf_…"),
    "runs.push_token.info": ("used for this push only: never saved, logged or shown back",
                             "只用于这一次推送：不会被保存、记录或显示"),
    "runs.private": ("Private repository", "私有仓库"),
    "runs.what": ("What to push", "推送内容"),
    "runs.what.model": ("model, LoRA merged", "完整模型"),
    "runs.what.adapter": ("LoRA adapter", "LoRA 适配器"),
    "runs.push_btn": ("Push with a model card", "连同模型卡片一起推送"),
    "msg.pushed": ("Pushed to {url}", "已推送到 {url}"),
    "runs.file": ("Download", "下载"),
    "runs.compare_with": ("Compare with", "与之对比"),
    "runs.compare_with.info": ("another run of the same demo, e.g. the identity demo by SFT beside the one by DPO: "
                               "why not just SFT?", "同一演示的另一次训练，例如 SFT 与 DPO 的身份转变演示并排：为什么不只用 SFT？"),
    "runs.compare_btn": ("Compare the two runs' answers", "对比两次训练的回答"),
    "runs.side": ("{name} · {method}", "{name} · {method}"),
    "runs.side_diff": ("{name} · {method} (words the other run lacks marked)", "{name} · {method}（标出另一次没有的词）"),
    # messages
    "msg.error": ("{error}", "出错了：{error}"),
    "msg.unexpected": ("unexpected {kind}: {detail}", "意外错误 {kind}：{detail}"),
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
