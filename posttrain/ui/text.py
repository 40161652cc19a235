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
    "tab.pipeline": ("6 · RLHF pipeline", "6 · RLHF 流程"),
    # what am I looking at, and the glossary (issue 16)
    # (posttrain.ui.tabs.shared.Page.explain; the Chinese keeps the field's English words in `code`, as the charts show them)
    "help.what": ("What am I looking at?", "我在看什么？"),
    "help.data": (
        "**What this tab is for:** the rows training learns from. What you see in the tables is exactly what trains.\n\n"
        "**What to do:** for SFT and DPO, type a new name and organisation and press **Build identity pairs** (the model "
        "first answers every question itself), or load your own pairs; for GRPO, generate arithmetic problems or load "
        "a file. Edit any cell, add or delete rows.\n\n"
        "**What to look for:**\n"
        "- a **preference pair** is one prompt with two answers: **chosen**, the one to prefer (the new name), and "
        "**rejected**, the one to avoid (what the model says today). DPO learns the difference; SFT only copies chosen.\n"
        "- **kind**: identity rows teach the new name; control rows are unrelated questions where chosen is the model's "
        "own answer and rejected drags the new name in, so the edit stays on questions about the model.\n"
        "- a **problem** is a question and its final number only: GRPO samples several answers and rewards the right "
        "ones, so nobody has to write a worked answer.",
        "**这一页做什么**：训练要学习的数据。表格里看到的，就是训练用的。\n\n"
        "**怎么做**：SFT 和 DPO：填写新名字和机构，点击 **构建身份偏好对**（模型会先自己回答每个问题），或加载你自己的偏好数据；"
        "GRPO：生成算术题或加载文件。任何单元格都可以修改，也可以增删行。\n\n"
        "**看什么**：\n"
        "- 一个 **偏好对** 是一个问题加两个回答：**chosen** 是想要的回答（新名字），**rejected** 是要避免的回答（模型现在自己的回答）。"
        "DPO 学习两者的差别；SFT 只模仿 chosen。\n"
        "- **类型**（`kind`）：identity 行教新名字；对照行（`control`）是无关问题，chosen 是模型自己的回答，rejected 硬塞进新名字，"
        "这样修改只作用于询问模型身份的问题。\n"
        "- 一道 **题目** 只有问题和最终数字：GRPO 为它采样多个回答，奖励答对的那些，所以不需要有人写出完整解答。"),
    "help.train": (
        "**What this tab is for:** training one model, live, and seeing what changes while it learns.\n\n"
        "**What to do:** press the ▶ identity demo (one click: data, training, compare), or pick a method, open "
        "**Settings** and press **Start**. **Stop** ends the run early; the model trained so far is kept.\n\n"
        "**What to look for:**\n"
        "- **the loss** falls: it is what training makes smaller. Plain DPO starts at ln 2 ≈ 0.69 (policy = reference); "
        "with an SFT weight the SFT term is added, so it starts higher.\n"
        "- **DPO's margin** (chosen minus rejected implicit reward) grows. **Preference accuracy** (the share of pairs "
        "with a positive margin) often reaches 1 within a few steps; after that only the margin and the held-out "
        "answers still tell you something.\n"
        "- **the flip curve**: after \"Who are you?\", how likely (per token) the model finds an answer with its new name "
        "and the answer it gave before training. Where the two lines cross, the new-name answer has become the likelier "
        "one; the probe timeline below shows the sampled answers around that step (★ = says the new name).\n"
        "- **the held-out scores** (dashed, 0–1: says the new name, correct, loops) beside what training optimises. A "
        "reward that rises while correct answers fall is reward hacking, and the chart says so in red.\n"
        "- **GRPO's group inspector**: one prompt's sampled answers with their rewards, advantage and whether they are "
        "right. A group where every answer scores the same teaches nothing.",
        "**这一页做什么**：实时训练一个模型，看它在学习时哪里发生了变化。\n\n"
        "**怎么做**：点击 ▶ 身份转变演示（一键完成数据、训练、对比），或选择一种方法，打开 **设置**，再点 **开始**。"
        "**停止** 会提前结束训练，已训练的模型会保留。\n\n"
        "**看什么**：\n"
        "- **损失**（`loss`）在下降：这是训练要减小的数。单纯的 DPO 从 ln 2 ≈ 0.69 开始（此时策略 = 参考模型）；"
        "SFT 权重大于 0 时还会加上 SFT 项，所以起点更高。\n"
        "- **DPO 的奖励差**（chosen 与 rejected 的隐式奖励之差）在增大。**偏好准确率**（奖励差为正的偏好对比例）往往几步就到 1；"
        "之后只有奖励差和留出问题的回答还有信息。\n"
        "- **翻转曲线**：在「你是谁？」之后，模型认为带新名字的回答、以及它训练前自己的回答（按词元平均）各有多可能。"
        "两条线交叉的地方，带新名字的回答成了更可能的那个；"
        "下方的探测时间线给出那几步的采样回答（★ = 说出了新名字）。\n"
        "- **留出问题的得分**（虚线，0–1：说出新名字、答对、循环）与训练优化的目标并排。奖励上升而答对率下降就是奖励投机，"
        "图上会用红字指出。\n"
        "- **GRPO 的组检查器**：某个问题的全部采样回答，各自的奖励、优势以及是否答对。组内得分全都一样的组学不到任何东西。"),
    "help.compare": (
        "**What this tab is for:** the same questions put to the model a run started from (before) and to the trained "
        "one (after), side by side and scored.\n\n"
        "**What to do:** a finished run fills it in; press **Compare before and after** to ask again. Edit the questions "
        "to try your own: **kind** says how an answer is scored, **answer** what counts as right.\n\n"
        "**What to look for:**\n"
        "- **changed words** are highlighted in the after column; grey rows did not change at all.\n"
        "- **the badges** under each answer say what the scores found in it: ✓ name / ✗ no name, ✓ organisation, "
        "⟳ loop (the answer repeats itself), ⚠ leak (an unrelated answer mentions the new identity), ✓ fact kept / "
        "✗ fact lost / ✓ fact mended (wrong before, right after), ✓ correct / ✗ wrong answer, ▢ boxed.\n"
        "- **the scores** above the table, the headline in bold: a good identity edit says the new name on questions "
        "it never trained on and leaves unrelated answers as they were, with no loops or leaks. A ⚠ line means the "
        "run did not do what its charts suggest.\n"
        "- **the blind vote** (under the questions): people judge A and B without knowing which is after; the win rate "
        "of after, with its 95% interval, is the human verdict (the course's DPO tutorial: 68% of tuned titles "
        "preferred). With few votes the interval is wide: read it before the rate.",
        "**这一页做什么**：把同一组问题分别交给训练开始时的模型（训练前）和训练后的模型（训练后），并排显示并打分。\n\n"
        "**怎么做**：训练结束后这里会自动填好；点击 **对比训练前后** 可以重新提问。修改问题来试试你自己的："
        "**类型** 决定回答怎样打分，**答案** 决定什么算对。\n\n"
        "**看什么**：\n"
        "- **改动的词** 在训练后一列中高亮；灰色的行完全没有变化。\n"
        "- 每个回答下面的 **标记** 说明得分发现了什么：✓ 新名字 / ✗ 没有新名字、✓ 机构、⟳ 循环（回答自我重复）、"
        "⚠ 泄漏（无关回答提到了新身份）、✓ 事实保留 / ✗ 事实丢失 / ✓ 事实改正（之前答错、之后答对）、✓ 答对 / ✗ 答错、▢ 有框。\n"
        "- 表格上方的 **得分**，核心指标为粗体：好的身份修改在没训练过的问题上说出新名字，无关回答保持原样，没有循环和泄漏。"
        "出现 ⚠ 行说明这次训练并没有做到图表看起来的效果。\n"
        "- **盲评投票**（在问题下方）：大家在不知道哪个是训练后的情况下评判 A 和 B；训练后的胜率及其 95% 区间就是人的裁决"
        "（课程的 DPO 教程：68% 的微调标题被偏好）。票数少时区间很宽：先看区间，再看胜率。"),
    "help.pipeline": (
        "**What this tab is for:** the classic RLHF pipeline of the course, runnable: **SFT** teaches the new identity "
        "by example; a **reward model** learns from preference pairs which answer people prefer; **RL** (GRPO) then "
        "samples answers and is paid by the reward model, with a KL leash to the model it started from (the modern form "
        "of the PPO step). Beside it, **DPO** gets there from the same pairs without a reward model.\n\n"
        "**What to do:** give the new name and organisation on the Data tab, then press the steps in order. SFT, the "
        "reward model and DPO start from the base model; RL starts from SFT's model and is paid by the reward model. "
        "The boxes show which run backs each step and its headline score.\n\n"
        "**What to look for:** the reward model's accuracy on pairs it never saw (0.5 is a coin), whether RL against it "
        "moved the identity scores, and whether the alarms say the policy pleased the reward model in ways a person "
        "would not. RL can only reinforce what the model already samples: after a full SFT there is nothing left for it "
        "to move, and a name or maker the model never says cannot be found, so step 1 is a short SFT (6 steps). After it, "
        "on the bundled model, RL moved the maker from 62% to 69% and to 100% in two seeds and the name from 95% to 100%, "
        "with fewer loops; in one seed one more unrelated answer named the new identity, and the alarm said so. "
        "**Score any answer** shows what the reward model thinks of an answer you type.",
        "**这一页做什么**：课程里经典的 RLHF 流程，可以直接运行：**SFT** 用示例教会新身份；**奖励模型** 从偏好对中学会人们更喜欢哪个回答；"
        "**RL**（GRPO）再对回答采样，由奖励模型打分，并用 KL 约束拉住起点模型（PPO 步骤的现代形式）。旁边的 **DPO** 用同样的偏好对、"
        "不需要奖励模型就能达到目标。\n\n"
        "**怎么做**：在「数据」页填写新名字和机构，然后依次点击各步骤。SFT、奖励模型和 DPO 都从基础模型开始；RL 从 SFT 的模型开始，由奖励模型打分。"
        "方框显示每一步由哪次训练完成及其主要得分。\n\n"
        "**看什么**：奖励模型在从未见过的偏好对上的准确率（0.5 就是抛硬币）、对它做 RL 是否提升了身份得分，以及警报是否指出策略在以人不认可的方式"
        "讨好奖励模型。RL 只能强化模型本来就会采样到的回答：完整 SFT 之后它没什么可改的，模型从不说出的名字或机构它也找不到，"
        "所以第 1 步是较短的 SFT（6 步）。在内置模型上，之后的 RL 在两个种子中把机构从 62% 提到 69% 和 100%，名字从 95% 提到 100%，"
        "循环也更少；其中一个种子多了一个无关回答说出新身份，警报也指出了这一点。**给任意回答打分** 显示奖励模型对你输入的回答的看法。"),
    "pipeline.sft": ("1 · SFT", "1 · SFT"),
    "pipeline.sft.what": ("learns the new identity from examples, 6 steps: half-way, so RL has something left to learn",
                          "从示例学习新身份，6 步：学到一半，给 RL 留下可学的东西"),
    "pipeline.reward": ("2 · Reward model", "2 · 奖励模型"),
    "pipeline.reward.what": ("learns which answer of a pair is preferred (from the base model's answers)",
                             "学习偏好对中哪个回答更好（基于基础模型的回答）"),
    "pipeline.rl": ("3 · RL against it", "3 · 对它做 RL"),
    "pipeline.rl.what": ("GRPO on step 1's model, paid by step 2's reward model, KL leash to step 1",
                         "在第 1 步的模型上做 GRPO，由第 2 步的奖励模型打分，KL 约束拉住第 1 步"),
    "pipeline.dpo": ("or · DPO", "或 · DPO"),
    "pipeline.dpo.what": ("the same kind of pairs in one step, no reward model, no sampling",
                          "同样的偏好对一步完成，无需奖励模型，无需采样"),
    "pipeline.none": ("not run yet", "尚未运行"),
    "pipeline.unlinked": ("⚠ not built on the run of the step before", "⚠ 不是在上一步的训练上完成的"),
    "pipeline.start.sft": ("▶ 1 · SFT", "▶ 1 · SFT"),
    "pipeline.start.reward": ("▶ 2 · Reward model", "▶ 2 · 奖励模型"),
    "pipeline.start.rl": ("▶ 3 · RL against it", "▶ 3 · 对它做 RL"),
    "pipeline.start.dpo": ("▶ or · DPO", "▶ 或 · DPO"),
    "pipeline.refresh": ("Refresh", "刷新"),
    "pipeline.show": ("Show this step's before and after", "显示这一步训练前后"),
    "pipeline.step": ("Step", "步骤"),
    "pipeline.score_title": ("Score any answer with a reward model", "用奖励模型给任意回答打分"),
    "pipeline.rm": ("Reward model", "奖励模型"),
    "pipeline.question": ("Question", "问题"),
    "pipeline.answer": ("Answer", "回答"),
    "pipeline.score_btn": ("Score", "打分"),
    "pipeline.score": ("score **{score:+.2f}** — only differences between answers mean anything; try another answer "
                       "to the same question", "得分 **{score:+.2f}**——只有回答之间的差值有意义；对同一个问题换一个回答试试"),
    "pipeline.no_rm": ("No reward model yet: run step 2.", "还没有奖励模型：先运行第 2 步。"),
    "help.runs": (
        "**What this tab is for:** every past run, and two or more of them side by side.\n\n"
        "**What to do:** pick a run to see its charts, probe timeline and answers; pick one or more other runs under "
        "**Compare with** and press **Compare the runs**.\n\n"
        "**What to look for:** their curves overlaid, one colour per run (β 0.1 vs 0.5, DPO vs SFT, LoRA vs the gated "
        "edit: the legend names the settings that differ), their scores in one table, and their answers to the same "
        "questions in columns, words the first run's answer lacks highlighted.",
        "**这一页做什么**：所有训练记录，以及两次或更多次训练的并排对比。\n\n"
        "**怎么做**：选择一次训练，查看它的图表、探测时间线和回答；在 **与之对比** 中再选一次或多次训练，点击 **对比这些训练**。\n\n"
        "**看什么**：它们的曲线叠在一起，每次训练一种颜色（β 0.1 对 0.5、DPO 对 SFT、LoRA 对门控编辑：图例写出它们不同的设置），"
        "它们的得分在同一张表里，它们对同一组问题的回答分列显示，第一次训练的回答里没有的词会高亮。"),
    "help.glossary_title": ("Glossary: the words on these charts", "术语表：图表上的这些词"),
    "help.glossary": (
        "- **policy** (π): the model being trained; every update changes it. π(y|x) is the probability it gives "
        "answer y to prompt x.\n"
        "- **reference** (`π_ref`): a frozen copy of the model as it was before training. DPO and the KL penalty "
        "measure how far the policy has moved from it.\n"
        "- **chosen / rejected**: the two answers of a preference pair: the one we want (chosen, e.g. the new name) and "
        "the one we don't (rejected, e.g. the model's old answer).\n"
        "- **β (beta)**: how tightly the policy is tied to the reference. Small β lets it move far; large β keeps it close.\n"
        "- **implicit reward**: DPO has no reward model; it scores an answer by how much more likely the policy makes it "
        "than the reference did: `β · log π(y|x) / π_ref(y|x)`. Positive = more likely than before training.\n"
        "- **margin**: chosen's implicit reward minus rejected's. DPO's loss pushes it up; it can grow while both "
        "rewards fall, as long as the rejected one falls faster.\n"
        "- **preference accuracy**: the share of pairs with a positive margin.\n"
        "- **loss**: the number training makes smaller. DPO's is `−log σ(margin)`: ln 2 ≈ 0.69 at the start, near 0 "
        "once chosen clearly beats rejected.\n"
        "- **SFT** (supervised fine-tuning): learn to copy the chosen answers token by token; its loss is the mean "
        "`−log π(token)` over the answer.\n"
        "- **group** (GRPO): several answers sampled for the same prompt, judged against each other rather than a fixed bar.\n"
        "- **advantage** (GRPO): how much better an answer did than its group: `(r − group mean) / group std`. "
        "Answers above the mean are made more likely, those below less; a group whose rewards are all equal gives no "
        "learning signal.\n"
        "- **reward model**: a model trained on preference pairs to score any answer, chosen above rejected "
        "(`−log σ(r(chosen) − r(rejected))`, the Bradley-Terry loss). RL against it learns whatever it rewards, its "
        "mistakes included; only its accuracy on pairs it never saw says how far to trust it.\n"
        "- **reward** (GRPO): what a reward function pays an answer (e.g. 1 for a right number in \\boxed{}). It is what "
        "training sees, not necessarily what you want: check it against the held-out correct answers.\n"
        "- **KL**: how far the policy's next-token probabilities have drifted from the reference's; GRPO penalises it "
        "when KL beta > 0.\n"
        "- **LoRA**: train small add-on matrices instead of every weight: faster, lighter, easy to undo. The gated edit "
        "instead adds a few neurons that switch on only for questions about the model.\n"
        "- **held-out**: questions never trained on; their scores tell learning from memorising.",
        "- **策略**（`policy`，π）：正在训练的模型，每次更新都会改变它。π(y|x) 是它对问题 x 给出回答 y 的概率。\n"
        "- **参考模型**（`reference`，`π_ref`）：训练开始前模型的冻结副本。DPO 和 KL 惩罚都用它衡量策略走了多远。\n"
        "- **chosen / rejected**：偏好对里的两个回答：想要的那个（chosen，例如说出新名字）和不想要的那个（rejected，例如模型原来的回答）。\n"
        "- **β（beta）**：策略被拴在参考模型上的松紧。β 小，策略可以走得很远；β 大，它留在参考模型附近。\n"
        "- **隐式奖励**（`implicit reward`）：DPO 没有奖励模型，它按「策略比参考模型更倾向这个回答多少」给回答打分："
        "`β · log π(y|x) / π_ref(y|x)`。为正 = 比训练前更可能。\n"
        "- **奖励差**（`margin`）：chosen 的隐式奖励减去 rejected 的。DPO 的损失把它往上推；即使两个奖励都在下降，"
        "只要 rejected 降得更快，它也会增大。\n"
        "- **偏好准确率**（`preference accuracy`）：奖励差为正的偏好对所占比例。\n"
        "- **损失**（`loss`）：训练要减小的数。DPO 的损失是 `−log σ(margin)`：开始时为 ln 2 ≈ 0.69，chosen 明显胜过 rejected 后接近 0。\n"
        "- **SFT**（监督微调）：逐个 token 模仿 chosen 回答；它的损失是回答上 `−log π(token)` 的平均值。\n"
        "- **组**（`group`，GRPO）：对同一个问题采样的几个回答，它们互相比较，而不是和一个固定标准比较。\n"
        "- **优势**（`advantage`，GRPO）：一个回答比组内表现好多少：`(r − group mean) / group std`。高于平均的回答变得更可能，"
        "低于平均的更不可能；组内奖励全都相同时没有学习信号。\n"
        "- **奖励模型**（`reward model`）：用偏好对训练、能给任意回答打分的模型，让 chosen 高于 rejected"
        "（`−log σ(r(chosen) − r(rejected))`，`Bradley-Terry` 损失）。对它做 RL 会学到它奖励的一切，包括它的错误；"
        "只有它在从未见过的偏好对上的准确率能说明它有多可信。\n"
        "- **奖励**（`reward`，GRPO）：奖励函数给一个回答的分数（例如 \\boxed{} 里数字正确得 1 分）。这是训练看到的，"
        "不一定是你想要的：请和留出问题的答对率对照。\n"
        "- **KL**：策略的下一个词元概率偏离参考模型有多远；GRPO 在 KL beta > 0 时对它加惩罚。\n"
        "- **LoRA**：只训练附加的小矩阵，而不是全部权重：更快、更省，也容易撤销。门控编辑则加入少量新神经元，只在询问模型身份时打开。\n"
        "- **留出问题**（`held-out`）：训练中从未见过的问题；它们上的得分区分了学会与背下。"),
    # runs side by side: each overlaid panel's title, by TRL's metric name (posttrain.charts.overlay_figure)
    "overlay.loss": ("loss", "损失"),
    "overlay.eval_loss": ("validation loss", "验证损失"),
    "overlay.eval_rewards/accuracies": ("validation preference accuracy", "验证集偏好准确率"),
    "overlay.rewards/margins": ("reward margin (chosen − rejected)", "奖励差（chosen − rejected）"),
    "overlay.rewards/accuracies": ("preference accuracy", "偏好准确率"),
    "overlay.reward": ("mean reward", "平均奖励"),
    "overlay.mean_token_accuracy": ("token accuracy", "词元准确率"),
    "overlay.kl": ("KL to the reference", "与参考模型的 KL"),
    "overlay.eval/name": ("says the new name (held-out share)", "说出新名字（留出问题比例）"),
    "overlay.eval/organisation": ("names the organisation (held-out share)", "说出机构（留出问题比例）"),
    "overlay.eval/correct": ("correct (held-out share)", "答对（留出问题比例）"),
    "overlay.eval/degenerate": ("loops (held-out share)", "循环（留出问题比例）"),
    "overlay.probe/logp_new_name": ("log-prob per token: the answer with the new name", "每词元对数概率：带新名字的回答"),
    "overlay.probe/logp_old_name": ("log-prob per token: its answer before training", "每词元对数概率：训练前它自己的回答"),
    "overlay.none": ("These runs log no metric in common: pick runs of the same method to overlay their curves.",
                     "这些训练没有共同的指标：请选择同一种方法的训练来叠加曲线。"),
    "runs.no_common": ("These runs answered no question in common: pick runs of the same demo to read their answers "
                       "side by side.", "这些训练没有回答过相同的问题：请选择同一演示的训练来并排阅读回答。"),
    "runs.score": ("score (after; before → after where measured)", "得分（训练后；有训练前数据时：前 → 后）"),
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
    "model.none": ("The model is not loaded yet: it loads with the first thing you do (the bundled model in a few "
                   "seconds), or press **Load** under *Load another model*.",
                   "模型尚未加载：做第一件事时会自动加载（内置模型只需几秒），也可以在「加载其他模型」里点击 **加载**。"),
    "model.intro": (
        "### Watch a language model being post-trained\n"
        "posttrain trains a small instruct model for a minute or two, **right here**, and shows you what changed: "
        "live charts while it learns, then its answers **before and after**, side by side, scored.\n\n"
        "1. **Try the demo** on the right: the model learns a new name and maker (\"Who are you?\" → "
        "\"I'm Deep Qwen, made by Acme AI\"). Nothing to set up.\n"
        "2. Then build your own data (**2 · Data**), pick SFT, DPO or GRPO (**3 · Train**), and compare (**4 · Compare**).",
        "### 看一个语言模型被后训练\n"
        "`posttrain` 就在这里把一个小型指令模型训练一两分钟，然后告诉你变了什么：训练时的实时图表，以及训练**前后**并排、打过分的回答。\n\n"
        "1. 先点右边的**演示**：模型学会一个新名字和新机构（「你是谁？」→「我是 `Deep Qwen`，由 `Acme AI` 开发」），无需任何设置。\n"
        "2. 然后构建自己的数据（**2 · 数据**），选择 SFT、DPO 或 GRPO（**3 · 训练**），再对比（**4 · 对比**）。"),
    "model.demo": ("▶ Run the identity demo", "▶ 运行身份转变演示"),
    "model.demo.info": ("One to three minutes on a laptop CPU: builds the data from the model's own answers, trains by "
                        "DPO, and opens the before/after answers when it ends. The new name and organisation are on "
                        "the Data tab.", "在笔记本电脑的处理器上约一到三分钟：用模型自己的回答构建数据，用 DPO 训练，结束后自动打开训练前后的回答。"
                        "新名字和机构在「数据」页。"),
    "model.reset": ("↺ Reset to the base model", "↺ 恢复为基础模型"),
    "model.other": ("Load another model (Hub id, folder, a run; Hub token)", "加载其他模型（Hub id、文件夹、训练记录；Hub 令牌）"),
    "model.ask": ("Ask the current model", "向当前模型提问"),
    "model.ask.placeholder": ("Who are you?", "你是谁？"),
    "model.ask.button": ("Ask", "提问"),
    "model.answer": ("Answer (greedy)", "回答（贪心解码）"),
    "card.source": ("source", "来源"), "card.parameters": ("parameters", "参数量"), "card.device": ("device", "设备"),
    "card.dtype": ("dtype", "精度"), "card.memory": ("memory", "内存"), "card.load": ("load time", "加载用时"),
    "card.history": ("history", "来历"), "card.as_loaded": ("as loaded, untrained", "原始权重，未训练"),
    "card.trained": ("trained by {n} runs since it was loaded", "加载后已训练 {n} 次"),
    "card.trained_once": ("trained by one run since it was loaded", "加载后已训练 1 次"),
    "card.ready": ("Ready: {source} on {device}.", "已就绪：{source}，运行于 {device}。"),
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
    "data.n_demo": ("{n} pairs the identity demo built from the model's own answers (run {run})",
                    "身份演示用模型自己的回答构建了 {n} 个偏好对（训练 {run}）"),
    "data.n_run": ("{n} rows the run {run} trains on", "训练 {run} 使用的 {n} 行数据"),
    "data.n_pairs": ("{n} pairs ready ({identity} identity, {control} control)", "已准备 {n} 个偏好对（{identity} 个身份，{control} 个对照）"),
    "data.fewer": ("; fewer than the {asked} asked: the question banks hold no more, or some of the model's own answers "
                   "were blank or already said the new name",
                   "；少于所要的 {asked} 个：题库里没有更多问题，或模型自己的某些回答是空的、或已经说了新名字"),
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
    "train.from_base": ("from the base model", "从基础模型开始"),
    "train.from_base.info": ("untick to train further the model earlier runs trained", "取消勾选则在之前训练过的模型上继续训练"),
    "train.stacked": ("This run trains further a model already trained ({lineage}): what it learns comes on top of "
                      "that. To start from the base model, tick **from the base model** and start again.",
                      "这次训练是在已训练过的模型上继续（{lineage}）：学到的内容叠加在之前的训练之上。若要从基础模型开始，请勾选"
                      "**从基础模型开始**后重新开始。"),
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
    "train.eval_share": ("Validation share", "验证集比例"),
    "train.eval_share.info": ("share of your rows kept out of training: their loss (and, for DPO, accuracy) is drawn "
                              "beside the training one, so you see whether it generalises (0 = none)",
                              "不参与训练的数据比例（验证集）：它们的损失（DPO 还有准确率）画在训练曲线旁，看模型是否泛化（0 = 不用）"),
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
                           "exactly one \\boxed{} number ending the answer; boxed_answer: 1 when the answer is right and "
                           "given as one \\boxed{} ending it; boxed_match: the number in \\boxed{} is right; "
                           "boxed_format: any box, however many (the reward the reward-hacking preset uses); "
                           "reward_model: the score of the reward model named below (a learned reward)",
                           "correct_answer：最终数字正确且回答不循环得 1 分；one_box：恰好一个结尾的 \\boxed{} 数字得 1 分；"
                           "boxed_answer：答案正确、且只用一个结尾的 \\boxed{} 给出，得 1 分；boxed_match：\\boxed{} 中数字正确；"
                           "boxed_format：有框就得分，不管几个（奖励投机预设用的就是它）；"
                           "reward_model：下面所填奖励模型给的分（学到的奖励）"),
    "train.cold_start_steps": ("Cold start (SFT steps)", "冷启动（SFT 步数）"),
    "train.cold_start_steps.info": ("SFT steps on worked examples before RL, so that answers already have the format "
                                    "and the rewards can tell right from wrong (0: none)",
                                    "强化学习之前先在带解题过程的例子上做 SFT 的步数，让回答先学会格式，奖励才能分辨对错（0：不做）"),
    "train.reward_model": ("Reward model (run folder)", "奖励模型（运行文件夹）"),
    "train.reward_model.info": ("a reward-model run (Runs tab: copy its folder); its score becomes the reward "
                                "'reward_model'. The identity preset trains against it alone",
                                "一个奖励模型的训练记录（在「记录」页复制它的文件夹）；它的得分就是奖励「reward_model」。身份预设只用它"),
    "train.center_rewards": ("Centering", "居中"),
    "train.center_rewards.info": ("a small penalty on the scores' size that keeps them near 0 (only differences count)",
                                  "对得分大小的小惩罚，使其保持在 0 附近（只有差值有意义）"),
    "train.preset": ("Preset", "预设"),
    "train.preset.info": ("the settings below start from it. identity: the new name and maker; arithmetic: paid for right "
                          "answers and one box, after a cold start on worked examples; reward hacking: paid for any box, "
                          "from the base model, so the reward rises while the answers "
                          "stop being answers (the scores and alarms say so). GRPO's identity preset: paid by a reward "
                          "model",
                          "下面的设置从它开始。身份：新名字和开发者；算术：先在解题示例上冷启动，再按答对和恰好一个框得分；"
                          "奖励投机：从基座模型开始，有框就得分，"
                          "于是奖励上升而回答不再是回答（得分和警报会指出）。GRPO 的身份预设：以奖励模型为奖励"),
    "preset.identity": ("identity", "身份"),
    "preset.arithmetic": ("arithmetic", "算术"),
    "preset.reward-hacking": ("reward hacking", "奖励投机"),
    "preset.warm-up": ("identity, warm-up (6 steps)", "身份，热身（6 步）"),
    "train.reward_weights": ("Reward weights", "奖励权重"),
    "train.reward_weights.info": ("one number per reward function, comma-separated", "每个奖励函数一个数字，用逗号分隔"),
    "train.charts": ("Live charts", "实时图表"),
    "train.probes": ("Probe timeline: the same questions, answered during training (★ = says the new name)",
                     "探测时间线：训练过程中对同一组问题的回答（★ = 说出了新名字）"),
    "train.group": ("Group inspector: one prompt's sampled completions at the latest step",
                    "组检查器：最近一步中某个问题的全部采样回答"),
    "train.idle": ("No job yet. Build data and press **Start**, or press the identity demo.",
                   "还没有训练任务。构建数据后点击 **开始**，或点击身份转变演示。"),
    # where a run's rows came from (its config.json's "data", the Runs tab's summary)
    "train.source": ("Data tab: the {table} table, {n} rows", "数据页：{table}表，{n} 行"),
    "table.pairs": ("pairs", "偏好对"),
    "table.problems": ("problems", "题目"),
    "train.started": ("Started the {kind} job; charts appear below as steps arrive.", "已开始 {kind} 训练；每完成一步，下方图表就会更新。"),
    "train.need_data": ("Build or load the {kind} data on the Data tab first.", "请先在「数据」页构建或加载 {kind} 数据。"),
    "status.running": ("running", "运行中"), "status.stopping": ("stopping", "正在停止"), "status.done": ("done", "完成"),
    "status.failed": ("failed", "失败"), "status.stopped": ("stopped", "已停止"),
    "status.interrupted": ("interrupted", "已中断"),
    "status.line": ("**{kind}** · {status} · {phase}", "**{kind}** · {status} · {phase}"),
    "status.step": ("step {step} / {total}", "第 {step} / {total} 步"),
    "status.eta": ("about {eta} s left", "约剩 {eta} 秒"),
    "status.elapsed": ("{elapsed} s elapsed", "已用 {elapsed} 秒"),
    "status.error": ("The run failed: {error}", "训练失败：{error}"),
    "status.finished": ("Finished: see the Compare tab for before and after.", "已完成：在「对比」页查看训练前后的回答。"),
    "status.finished_scores": ("Finished: {headline}. See the Compare tab for before and after.",
                               "已完成：{headline}。在「对比」页查看训练前后的回答。"),
    "status.finished_alarms": ("Finished, but the scores say it did not do what it shows{headline}: {n} alarm{s}, on the "
                               "Compare tab.", "已完成，但得分显示它并没有做到看起来的效果{headline}：{n} 条警报，见「对比」页。"),
    "phase.starting": ("starting", "启动中"), "phase.load": ("loading the model", "加载模型"),
    "phase.data": ("building the data", "构建数据"), "phase.before": ("answering before training", "训练前作答"),
    "phase.cold_start": ("cold start (SFT on worked examples)", "冷启动（在解题示例上 SFT）"),
    "phase.train": ("training", "训练中"), "phase.after": ("answering after training", "训练后作答"),
    "phase.save": ("saving the model", "保存模型"), "phase.finished": ("finished", "已结束"),
    # chart panels (posttrain.charts): for each panel its title, the formula it plots (`.formula`), a one-line
    # caption underneath (`.caption`) and its y axis (`.y`); then trace names (TRL's metric names as keys)
    "chart.loss": ("DPO loss", "DPO 损失"),
    "chart.loss.formula": ("sigmoid: −log σ(β·[Δ(chosen) − Δ(rejected)]) + w·NLL(chosen),  Δ = log π/π_ref",
                           "sigmoid：−log σ(β·[Δ(chosen) − Δ(rejected)]) + w·NLL(chosen)，Δ = log π/π_ref"),
    "chart.loss.caption": ("With the sigmoid loss (the default) the preference term starts at ln 2 ≈ 0.69, a coin flip "
                           "between chosen and rejected (hinge starts at 1, IPO at (1/2β)²), and falls as the margin grows. "
                           "With SFT weight w > 0 the chosen answers' surprise per token is added on top: the solid line "
                           "is the total, so it starts higher; the dashed lines are its two terms.",
                           "使用 sigmoid 损失（默认）时，偏好项从 ln 2 ≈ 0.69 开始，相当于在 chosen 与 rejected 之间抛硬币"
                           "（hinge 从 1 开始，IPO 从 (1/2β)² 开始），随奖励差变大而下降。SFT 权重 w > 0 时，再加上 chosen 回答"
                           "每个词元的意外程度：实线是两者之和，所以起点更高；虚线是它的两项。"),
    "chart.loss.y": ("nats", "nats"),
    "chart.loss.total": ("loss (total)", "损失（总）"),
    "chart.loss.preference": ("preference term", "偏好项"),
    "chart.loss.sft": ("SFT term (× w)", "SFT 项（× w）"),
    "chart.loss.eval": ("validation loss (validation rows)", "验证损失（验证集）"),
    "chart.judged": ("held-out answers and preference accuracy", "留出问题的回答与偏好准确率"),
    "chart.judged.formula": ("accuracy = share of pairs with margin > 0", "准确率 = 奖励差 > 0 的偏好对比例"),
    "chart.judged.caption": ("Accuracy reaches 1 as soon as every pair in the batch leans the right way, and says little "
                             "after. The "
                             "dashed lines are what a person would judge: answers to questions never trained on that "
                             "say the new name, name the organisation, or loop.",
                             "只要批次中每个偏好对都偏向正确一侧，准确率就到 1，之后几乎不再提供信息。虚线才是人会判断的：在从未训练过的"
                             "问题上，回答里说出新名字、说出机构、或陷入循环的比例。"),
    "chart.judged.y": ("share (0–1)", "比例（0–1）"),
    "chart.accuracy": ("preference accuracy", "偏好准确率"),
    "chart.accuracy.eval": ("validation accuracy", "验证准确率"),
    "chart.margin": ("reward margin", "奖励差"),
    "chart.margin.formula": ("margin = r(chosen) − r(rejected),  r = β·log π/π_ref",
                             "奖励差 = r(chosen) − r(rejected)，r = β·log π/π_ref"),
    "chart.margin.caption": ("How much more the policy prefers chosen over rejected than the reference did. It keeps "
                             "growing because the loss only reaches 0 at an infinite margin; β scales it.",
                             "策略比参考模型更偏好 chosen 的程度。损失只有在奖励差无穷大时才为 0，所以它会一直增长；β 决定其尺度。"),
    "chart.margin.y": ("nats × β", "nats × β"),
    "chart.margin.train": ("training pairs", "训练偏好对"),
    "chart.margin.eval": ("validation pairs", "验证集偏好对"),
    "chart.chosen_rejected": ("implicit rewards", "隐式奖励"),
    "chart.chosen_rejected.formula": ("r(y) = β·log π(y|x)/π_ref(y|x)", "r(y) = β·log π(y|x)/π_ref(y|x)"),
    "chart.chosen_rejected.caption": ("How much likelier the policy makes each answer than the reference does (0 = "
                                      "unchanged). The chosen reward can fall while the margin grows: DPO only asks "
                                      "the rejected one to fall faster.",
                                      "策略让每个回答比参考模型更可能多少（0 = 未变）。chosen 的奖励可以下降而奖励差仍在增长："
                                      "DPO 只要求 rejected 下降得更快。"),
    "chart.chosen_rejected.y": ("nats × β", "nats × β"),
    "chart.chosen": ("chosen", "chosen"),
    "chart.rejected": ("rejected", "rejected"),
    "chart.flip": ("the identity flip: “Who are you?” and “你是谁？”", "身份翻转：“Who are you?” 与 “你是谁？”"),
    "chart.flip.formula": ("mean log π(token | question, earlier tokens) over each answer's first 16 tokens, teacher-forced",
                           "每个回答前 16 个词元的平均 log π(词元 | 问题, 前文)，教师强制"),
    "chart.flip.caption": ("How likely, per token, the model finds an answer with its new name and the answer it gave "
                           "before training, as training goes. Where the lines cross, the new-name answer has become "
                           "the likelier one.",
                           "训练过程中，模型认为带新名字的回答、以及它训练前自己的回答（按词元平均）各有多可能。"
                           "两条线交叉处，带新名字的回答成了更可能的那个。"),
    "chart.flip.y": ("log-prob per token", "每词元对数概率"),
    "chart.flip.new": ("answer with the new name", "带新名字的回答"),
    "chart.flip.old": ("its answer before training", "训练前它自己的回答"),
    "chart.flip.at": ("flips at step {step}", "第 {step} 步翻转"),
    "chart.reward": ("mean reward ± spread", "平均奖励 ± 标准差"),
    "chart.reward.formula": ("r = Σ weight·r_f(completion), over every sampled completion",
                             "r = Σ 权重·r_f(回答)，对所有采样回答"),
    "chart.reward.caption": ("What training is paid. The band is one standard deviation: without spread inside a "
                             "group there is nothing to learn from.",
                             "训练得到的报酬。阴影是一个标准差：组内没有差异就没有可学的东西。"),
    "chart.reward.y": ("reward", "奖励"),
    "chart.per_func": ("each reward function and held-out answers", "各奖励函数与留出问题的回答"),
    "chart.per_func.formula": ("mean r_f per step;  dashed: judged on problems never trained on",
                               "每步各 r_f 的均值；虚线：在未训练过的题目上判定"),
    "chart.per_func.caption": ("Solid: what each reward function pays. Dashed: the share of held-out answers that are "
                               "right or loop. A reward that climbs while 'correct' does not is reward hacking.",
                               "实线：每个奖励函数给的报酬。虚线：留出题目中答对或循环的比例。奖励上升而「答对」不升，就是奖励投机。"),
    "chart.per_func.y": ("share (0–1)", "比例（0–1）"),
    "chart.length": ("completion length", "回答长度"),
    "chart.length.formula": ("mean tokens per sampled completion", "每个采样回答的平均词元数"),
    "chart.length.caption": ("Falling length can mean the model found a shortcut; rising to the maximum, that answers "
                             "no longer end.", "长度下降可能是找到了捷径；涨到上限则说明回答停不下来了。"),
    "chart.length.y": ("tokens", "词元"),
    "chart.no_signal": ("groups with no learning signal", "没有学习信号的组"),
    "chart.no_signal.formula": ("advantage = (r − group mean) / group std (scale_rewards = group);  share of groups with std = 0",
                                "优势 = (r − 组均值) / 组标准差（scale_rewards = group）；标准差为 0 的组所占比例"),
    "chart.no_signal.caption": ("When every completion of a prompt earns the same reward, every advantage is 0 and that "
                                "group teaches nothing.", "当一个问题的所有回答得到相同奖励时，每个优势都是 0，这个组什么也教不了。"),
    "chart.no_signal.y": ("share of groups", "组的比例"),
    "chart.cold_start": ("cold start: SFT before RL", "冷启动：强化学习之前的 SFT"),
    "chart.cold_start.formula": ("−mean log π(worked answer tokens)", "−mean log π（解题示例回答的词元）"),
    "chart.cold_start.caption": ("Worked examples teach the answer format first, so that RL's rewards can tell right "
                                 "answers from wrong ones. Its steps come before RL's step 1.",
                                 "先用带解题过程的例子教会回答格式，强化学习的奖励才能分辨对错。这些步骤在强化学习第 1 步之前。"),
    "chart.cold_start.y": ("loss", "损失"),
    "chart.kl": ("KL to the reference", "与参考模型的 KL"),
    "chart.kl.formula": ("KL(π ‖ π_ref), per token, penalised with KL beta", "KL(π ‖ π_ref)，每词元，以 KL beta 惩罚"),
    "chart.kl.caption": ("How far the policy has drifted from the model it started from.", "策略离起点模型漂移了多远。"),
    "chart.kl.y": ("nats", "nats"),
    "chart.kl_off": ("KL is off (KL beta = 0)", "未启用 KL（KL beta = 0）"),
    "chart.kl_off.caption": ("No penalty keeps the policy near the reference: only the rewards steer it.",
                             "没有惩罚把策略拉回参考模型：只有奖励在引导它。"),
    "chart.rm_loss": ("reward model loss", "奖励模型损失"),
    "chart.rm_loss.formula": ("−log σ(r(chosen) − r(rejected))  (Bradley-Terry)", "−log σ(r(选中) − r(拒绝))（Bradley-Terry）"),
    "chart.rm_loss.caption": ("ln 2 ≈ 0.69 is a coin flip: the score head starts random. It falls as chosen answers "
                              "get higher scores than rejected ones.",
                              "ln 2 ≈ 0.69 相当于抛硬币：打分头一开始是随机的。选中回答的得分高过被拒回答时，它就下降。"),
    "chart.rm_loss.y": ("loss", "损失"),
    "chart.rm_accuracy": ("pair accuracy", "偏好对准确率"),
    "chart.rm_accuracy.formula": ("share of pairs with r(chosen) > r(rejected)", "r(选中) > r(拒绝) 的偏好对所占比例"),
    "chart.rm_accuracy.caption": ("Dotted: pairs held out of training, the only honest judge. 0.5 is guessing.",
                                  "虚线：训练时留出的偏好对，唯一诚实的评判。0.5 就是在猜。"),
    "chart.rm_accuracy.y": ("share (0–1)", "比例（0–1）"),
    "chart.rm_margin": ("margin", "差值"),
    "chart.rm_margin.formula": ("mean r(chosen) − r(rejected)", "r(选中) − r(拒绝) 的均值"),
    "chart.rm_margin.caption": ("Only differences between scores mean anything: GRPO compares the answers of one group.",
                                "只有得分之差有意义：GRPO 只比较同一组内的回答。"),
    "chart.rm_margin.y": ("score", "得分"),
    "chart.rm_scores": ("scores in the batch", "批内得分"),
    "chart.rm_scores.formula": ("lowest, mean and highest r(prompt, answer)", "r(问题, 回答) 的最低、平均、最高值"),
    "chart.rm_scores.caption": ("A small penalty keeps the mean near 0, so the scores can sit beside rule-based rewards.",
                                "一个小惩罚让均值保持在 0 附近，便于与基于规则的奖励相加。"),
    "chart.rm_scores.y": ("score", "得分"),
    "chart.train": ("training pairs", "训练偏好对"),
    "chart.held_out": ("held-out pairs", "留出的偏好对"),
    "chart.max_reward": ("highest", "最高"),
    "chart.mean_reward": ("mean", "平均"),
    "chart.min_reward": ("lowest", "最低"),
    "chart.loss_sft": ("SFT loss", "SFT 损失"),
    "chart.loss_sft.formula": ("NLL = −mean log π(token | earlier tokens), over the answer's tokens",
                               "NLL = −mean log π(词元 | 前文)，对回答的词元"),
    "chart.loss_sft.caption": ("How surprised the model is by the answers it is taught, per token; it falls as it "
                               "learns to write them.", "模型对被教的回答每个词元的意外程度；学会写出它们时就下降。"),
    "chart.loss_sft.y": ("nats per token", "每词元 nats"),
    "chart.judged_sft": ("held-out answers and token accuracy", "留出问题的回答与词元准确率"),
    "chart.judged_sft.formula": ("token accuracy = share of answer tokens that are the model's top guess",
                                 "词元准确率 = 回答中模型首选猜中的词元比例"),
    "chart.judged_sft.caption": ("Token accuracy is about the training answers. The dashed lines are questions never "
                                 "trained on: the new name, the organisation, loops.",
                                 "词元准确率只针对训练回答。虚线是从未训练过的问题：新名字、机构、循环。"),
    "chart.judged_sft.y": ("share (0–1)", "比例（0–1）"),
    "chart.token_accuracy": ("token accuracy", "词元准确率"),
    "chart.token_accuracy.eval": ("validation token accuracy", "验证词元准确率"),
    "chart.entropy": ("entropy of the next token", "下一个词元的熵"),
    "chart.entropy.formula": ("H = −Σ p·log p over the vocabulary", "H = −Σ p·log p，对整个词表"),
    "chart.entropy.caption": ("How unsure the model is about each next token of the answers; low means it has "
                              "memorised them.", "模型对回答中每个下一个词元有多不确定；低表示已经背下来了。"),
    "chart.entropy.y": ("nats", "nats"),
    "chart.grad_norm": ("gradient norm", "梯度范数"),
    "chart.grad_norm.formula": ("‖∇ loss‖ before clipping", "‖∇ 损失‖（裁剪前）"),
    "chart.grad_norm.caption": ("How hard each step pushes the weights; spikes mean a rough step.",
                                "每一步推动权重的力度；尖峰表示这一步很颠簸。"),
    "chart.grad_norm.y": ("norm", "范数"),
    "chart.step": ("step", "步"),
    "chart.waiting": ("waiting for the first training step…", "等待第一个训练步…"),
    "chart.eval/name": ("new name (held-out)", "新名字（留出）"),
    "chart.eval/organisation": ("organisation (held-out)", "机构（留出）"),
    "chart.eval/degenerate": ("loops (held-out)", "循环（留出）"),
    "chart.eval/correct": ("correct (held-out)", "答对（留出）"),
    # the inspectors under the charts (posttrain.ui.inspectors)
    "tokens.heading": ("Which words carry the preference: DPO's implicit reward per token, for one pair",
                       "哪些词承载了偏好：一个偏好对上 DPO 的逐词元隐式奖励"),
    "tokens.title": ("step {step}: β·(log π − log π_ref) of each token", "第 {step} 步：每个词元的 β·(log π − log π_ref)"),
    "tokens.prompt": ("question: {prompt}", "问题：{prompt}"),
    "tokens.carried_chosen": ("made likelier most: {tokens}", "被提升最多：{tokens}"),
    "tokens.carried_rejected": ("made less likely most: {tokens}", "被压低最多：{tokens}"),
    "tokens.caption": ("Green: training made this token likelier than the reference model does; red: less likely "
                       "(hover for the value). The sum over a side is the implicit reward of the part shown (each "
                       "answer's first 16 tokens); DPO widens the gap between the two sums, and the tokens where the "
                       "answers differ, such as the new name, carry it.",
                       "绿色：训练后这个词元比参考模型更可能；红色：更不可能（悬停可看数值）。一侧词元之和就是所显示部分"
                       "（每个回答的前 16 个词元）的隐式奖励；DPO 拉大两侧之和的差距，而两个回答不同的词元（比如新名字）承载了这个差距。"),
    "group.no_spread": ("No learning signal: every completion in this group got the same reward, so every advantage is 0 "
                        "and the group changes nothing.", "没有学习信号：这一组所有回答得到相同奖励，每个优势都是 0，这一组什么也不会改变。"),
    "group.pushed_wrong": ("{n} wrong answer(s) got a positive advantage: training makes them likelier because the "
                           "reward pays for something other than being right.",
                           "{n} 个错误回答得到了正的优势：训练会让它们更可能出现，因为奖励看重的不是答对。"),
    "group.advantage": ("advantage", "优势"),
    "group.correct": ("right?", "对吗？"),
    "group.completion": ("completion", "回答"),
    "group.caption": ("advantage = (reward − group mean) / group std (with scale_rewards = group, the default): "
                      "completions above their group's mean are made "
                      "likelier (green bar), those below less likely (red). ✓/✗ is whether the final number is right, "
                      "judged apart from the reward.",
                      "优势 = (奖励 − 组均值) / 组标准差（scale_rewards = group，默认）：高于组均值的回答被提升（绿条），"
                      "低于的被压低（红条）。✓/✗ 表示最终数字是否正确，"
                      "与奖励分开判定。"),
    # compare tab
    "vote.title": ("Blind vote: which answer is better? (A/B, the room judges)", "盲评投票：哪个回答更好？（A/B，由大家评判）"),
    "vote.intro": ("Each question's two answers are shown as A and B in an order drawn for you, so nobody knows which "
                   "model wrote which. Vote A, B or tie; the labels are revealed after each vote. Every visitor's "
                   "votes count, are saved in the run's folder as they arrive, and give the win rate below with its "
                   "95% interval. Then turn the votes into DPO pairs for the next round of training.",
                   "每个问题的两个回答以 A、B 显示，顺序为你随机抽取，谁也不知道哪个回答出自哪个模型。投 A、B 或平局；每次投票后揭晓标签。"
                   "每位访客的投票都会计入，随到随存到训练记录的文件夹里，并给出下面的胜率及其 95% 区间。之后可以把投票变成 DPO 偏好对，用于下一轮训练。"),
    "vote.run": ("Run", "训练记录"),
    "vote.other": ("Against", "对比对象"),
    "vote.before_after": ("its model before training (before vs after)", "它训练前的模型（训练前 vs 训练后）"),
    "vote.load": ("Start voting", "开始投票"),
    "vote.a": ("A is better", "A 更好"), "vote.b": ("B is better", "B 更好"), "vote.tie": ("Tie", "平局"),
    "vote.pairs": ("Turn the votes into DPO pairs (Data tab)", "把投票变成 DPO 偏好对（数据页）"),
    "vote.pairs_ready": ("Pairs from the votes: {n}, now in the Data tab's table (chosen = the answer most voters "
                         "preferred). Train DPO on them for the next round.",
                         "由投票得到的 {n} 个偏好对已放入数据页的表格：chosen = 多数人偏好的回答。用它们训练 DPO，开始下一轮。"),
    "vote.load_first": ("Press Start voting first.", "请先点击「开始投票」。"),
    "vote.done": ("You have voted on all {n} questions. Thank you!", "你已为全部 {n} 个问题投票，谢谢！"),
    "vote.of": ("question {i} of {n}", "第 {i} / {n} 题"),
    "vote.side.before": ("before (the model as it started)", "训练前（开始时的模型）"),
    "vote.side.after": ("after (the trained model)", "训练后（训练过的模型）"),
    "vote.chose": ("You chose **{choice}**.", "你选择了 **{choice}**。"),
    "vote.tied": ("You called it a **tie**.", "你判为**平局**。"),
    "vote.reveal": ("A was **{a}**, B was **{b}**.", "A 是 **{a}**，B 是 **{b}**。"),
    "method.reward": ("Reward model", "奖励模型"),
    "kind.identity": ("identity", "身份问题"),
    "kind.unrelated": ("unrelated", "无关问题"),
    "kind.problem": ("problem", "算术题"),
    "kind.question": ("question", "问题"),
    "kind.control": ("control", "对照问题"),
    "vote.none": ("No votes yet.", "还没有投票。"),
    "vote.tally": ("**{side}** preferred in **{rate}** of {n} blind votes (95% interval {low}–{high}; won {wins}, "
                   "lost {losses}, tied {ties}; voters: {voters})",
                   "**{side}** 在 {n} 次盲评中有 **{rate}** 被偏好（95% 区间 {low}–{high}；胜 {wins}、负 {losses}、平 {ties}；"
                   "{voters} 位投票者）"),
    "compare.asked": ("Questions asked (edit them, then press Compare)", "提问的问题（修改后点击「对比」）"),
    "compare.questions": ("Questions (editable; kind: identity, unrelated, problem or anything else; answer: the number a "
                          "problem needs, or the accepted answers to an unrelated question separated by ' / ')",
                          "问题（可编辑；类型：identity、unrelated、problem 或其他；答案：problem 需要的数字，"
                          "或 unrelated 问题可接受的答案，用 ' / ' 分隔）"),
    "compare.col.question": ("question", "问题"), "compare.col.kind": ("kind", "类型"), "compare.col.answer": ("answer", "答案"),
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
    "score.facts": ("facts right", "事实答对"),
    "score.cold": ("{score}, after the cold start", "冷启动后：{score}"),
    "score.facts_kept": ("facts kept", "事实保留"),
    "score.unchanged": ("unchanged", "不变"),
    "score.correct": ("correct", "答对"),
    "score.boxed": ("boxed", "含 \\boxed{}"),
    "score.plain_correct": ("asked plainly: correct", "直接提问：答对"),
    "score.plain_boxed": ("asked plainly: boxed", "直接提问：含 \\boxed{}"),
    "score.plain_degenerate": ("asked plainly: loops", "直接提问：循环"),
    "score.changed": ("changed", "有变化"),
    "score.pair_accuracy": ("held-out pair accuracy", "留出偏好对准确率"),
    "runs.headline_pairs": ("pairs {before} → {after}", "偏好对 {before} → {after}"),
    "score.header": ("score", "得分"), "score.questions": ("questions", "问题数"),
    "score.before": ("before", "训练前"), "score.after": ("after", "训练后"),
    "compare.identity_help": ("*new name: identity answers that say it · organisation: answers about the maker that name it · "
                              "loops: answers that repeat themselves · leak: unrelated answers that mention the new identity · "
                              "facts right: unrelated questions with a known answer answered right · facts kept: facts the model knew before that are still right · unchanged: unrelated answers "
                              "word for word the same*",
                              "*新名字：说出新名字的身份回答 · 机构：关于开发者的问题中说出机构的回答 · 循环：自我重复的回答 · "
                              "泄漏：提到新身份的无关回答 · 事实答对：有已知答案的无关问题中答对的 · 事实保留：训练前答对、训练后仍答对的事实 · 不变：与训练前逐字相同的无关回答*"),
    "compare.arith_help": ("*correct: the final number is right (the headline) · boxed: exactly one \\boxed{} number · "
                           "loops: answers that repeat themselves or write several boxes · asked plainly: the same kind of "
                           "problems with no system prompt · facts right / kept: unrelated questions with a known answer, "
                           "asked plainly (teaching arithmetic must not break the rest)*",
                           "*答对：最终数字正确（核心指标） · 含 \\boxed{}：恰好一个 \\boxed{} 数字 · 循环：自我重复或写了多个框的回答 · "
                           "直接提问：不带系统提示词的同类题目 · 事实答对 / 保持：不相关、有已知答案的问题，直接提问"
                           "（教算术不能弄坏别的）*"),
    "compare.cold_help": ("*three figures: before → after the cold start (SFT on worked examples) → after RL. The cold "
                          "start taught the format; RL's own part is the last step*",
                          "*三个数字：训练前 → 冷启动后（在解题示例上 SFT）→ 强化学习后。格式是冷启动教的；强化学习自己的贡献是最后一步*"),
    # how many questions the scores above were judged on (a run's 40, or the Compare table's own rows)
    "compare.on_identity": ("on {identity} identity and {unrelated} unrelated questions",
                            "基于 {identity} 个身份问题和 {unrelated} 个无关问题"),
    "compare.on_problems": ("on {problems} problems; asked plainly: {plain} questions",
                            "基于 {problems} 道题；直接提问：{plain} 个问题"),
    "compare.changed": ("**changed** {changed} of the answers", "**有变化**的回答占 {changed}"),
    "compare.changed_all": ("**changed** {changed} of all the answers (identity questions included; \"unchanged\" above "
                            "counts the unrelated ones only)",
                            "所有回答中**有变化**的占 {changed}（包括身份问题；上面的「不变」只统计无关问题）"),
    # what the scores found in one answer (the side-by-side view)
    "mark.name": ("✓ name", "✓ 新名字"), "mark.no_name": ("✗ no name", "✗ 没有新名字"),
    "mark.organisation": ("✓ organisation", "✓ 机构"), "mark.no_organisation": ("✗ no organisation", "✗ 没有机构"),
    "mark.loop": ("⟳ loop", "⟳ 循环"), "mark.leak": ("⚠ leak", "⚠ 泄漏"),
    "mark.fact_kept": ("✓ fact kept", "✓ 事实保留"), "mark.fact_lost": ("✗ fact lost", "✗ 事实丢失"),
    "mark.fact_mended": ("✓ fact mended", "✓ 事实改正"),
    "mark.correct": ("✓ correct", "✓ 答对"), "mark.wrong": ("✗ wrong answer", "✗ 答错"),
    "mark.boxed": ("▢ boxed", "▢ 有框"), "mark.answer": ("answer: {answer}", "答案：{answer}"),
    "runs.headline_identity": ("name {name} · org {org}", "新名字 {name} · 机构 {org}"),
    "runs.headline_arith": ("correct {path}", "答对 {path}"),
    # runs tab
    "runs.refresh": ("Refresh", "刷新"),
    "runs.pick": ("Run", "训练记录"),
    "probes.step": ("step", "步"),
    "runs.folder": ("Folder: `{path}`", "文件夹：`{path}`"),
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
    "runs.compare_with.info": ("one or more other runs, e.g. the identity demo by SFT beside the one by DPO (why not "
                               "just SFT?), or DPO at β 0.1 and 0.5",
                               "一次或多次其他训练，例如 SFT 与 DPO 的身份转变演示并排（为什么不只用 SFT？），或 β 为 0.1 与 0.5 的 DPO"),
    "runs.compare_btn": ("Compare the runs", "对比这些训练"),
    "runs.side_diff": ("{label} (words the first run lacks marked)", "{label}（标出第一次训练没有的词）"),
    # messages
    "msg.error": ("{error}", "出错了：{error}"),
    "msg.unexpected": ("unexpected {kind}: {detail}", "意外错误 {kind}：{detail}"),
    "msg.busy": ("Refused: {error}. Anyone can watch it on the Train tab.", "已拒绝：{error}。任何人都可以在「训练」页观看。"),
    "msg.loaded": ("Loaded {source}.", "已加载 {source}。"),
    "msg.reset": ("Reset: {source} as loaded, untrained.", "已恢复：{source} 的原始权重，未训练。"),
    "msg.stopping": ("Stopping after the current step; the model trained so far is kept and compared.",
                     "将在当前步结束后停止；已训练的模型会被保留并用于对比。"),
    "msg.nothing": ("Nothing is running.", "当前没有运行的任务。"),
}


def t(key: str, lang: str = "en", **values) -> str:
    """The string for `key` in `lang` ("en" or "zh"), with `values` filled in."""
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def t_or(key: str, lang: str, default: str) -> str:
    """The string for `key` in `lang`, or `default` where the table has none (a word it does not know, as given).

    >>> t_or("status.done", "zh", "done"), t_or("status.queued", "zh", "queued")
    ('完成', 'queued')
    """
    return t(key, lang) if key in TEXT else default
