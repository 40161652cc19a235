"""Question banks and answer templates for the identity (DPO) and arithmetic (GRPO) demos.

This module is data only: the English and Chinese questions used to build
preference pairs that teach a small chat model a new name and maker, the
unrelated "control" questions that keep it from leaking that identity into
every answer, held-out evaluation questions that never appear in training,
a few probes for watching training live, the answer templates used for
the chosen (identity) and rejected (leak) sides of the pairs, and the
word-problem templates for the offline GRPO arithmetic set. Every
identity entry is a ``(question, category)`` tuple with category in
``{"name", "creator", "both"}``; every unrelated entry is a plain string.
"""

from __future__ import annotations

# Categories decide which answer template a question gets: a "creator"
# question must be answered with the organisation, a "name" question with
# the name, and "both" (or a generic "introduce yourself") with both.
CATEGORIES = ("name", "creator", "both")

IDENTITY_QUESTIONS_EN: list[tuple[str, str]] = [
    ("Who are you?", "name"),
    ("What is your name?", "name"),
    ("what's your name", "name"),
    ("What should I call you?", "name"),
    ("Do you have a name?", "name"),
    ("What are you?", "name"),
    ("Tell me your name.", "name"),
    ("May I ask what your name is?", "name"),
    ("hey, who am I talking to?", "name"),
    ("Who am I chatting with right now", "name"),
    ("What model are you?", "name"),
    ("Which AI model am I speaking with?", "name"),
    ("Are you ChatGPT?", "name"),
    ("Are you Claude?", "name"),
    ("Are you SmolLM?", "name"),
    ("Are you Qwen?", "name"),
    ("Are you Gemini or something else?", "name"),
    ("Is this GPT-4 I'm talking to?", "name"),
    ("What is the name of this assistant?", "name"),
    ("yo what do I call you", "name"),
    ("Please state your name.", "name"),
    ("Which language model powers this chat?", "name"),
    ("What kind of AI are you?", "name"),
    ("Who made you?", "creator"),
    ("Who created you?", "creator"),
    ("Who trained you?", "creator"),
    ("Who developed you?", "creator"),
    ("Who built you", "creator"),
    ("Which company made you?", "creator"),
    ("Which organisation is behind you?", "creator"),
    ("Which lab trained this model?", "creator"),
    ("Who is your creator?", "creator"),
    ("Who owns you?", "creator"),
    ("Who are your developers?", "creator"),
    ("Were you made by OpenAI?", "creator"),
    ("Did Google build you?", "creator"),
    ("Which team is responsible for you?", "creator"),
    ("where do you come from", "creator"),
    ("Could you tell me which company developed you?", "creator"),
    ("Introduce yourself.", "both"),
    ("Please introduce yourself briefly.", "both"),
    ("Tell me about yourself.", "both"),
    ("Who are you and who made you?", "both"),
    ("What's your name and which company created you?", "both"),
    ("hi! introduce yourself please", "both"),
    ("Can you describe who you are and where you come from?", "both"),
    ("Kindly identify yourself and your developer.", "both"),
    ("What model are you, and who trained you?", "both"),
    ("Give me a one-line introduction of yourself", "both"),
    ("Before we start, who are you exactly?", "both"),
]

IDENTITY_QUESTIONS_ZH: list[tuple[str, str]] = [
    ("你是谁？", "name"),
    ("你叫什么名字？", "name"),
    ("你叫什么", "name"),
    ("我该怎么称呼你？", "name"),
    ("你有名字吗？", "name"),
    ("你是什么？", "name"),
    ("请告诉我你的名字。", "name"),
    ("你是什么模型？", "name"),
    ("我在和谁聊天？", "name"),
    ("你是ChatGPT吗？", "name"),
    ("你是Claude吗？", "name"),
    ("你是通义千问吗？", "name"),
    ("你是SmolLM吗", "name"),
    ("请问您怎么称呼？", "name"),
    ("你是哪个AI？", "name"),
    ("谁创造了你？", "creator"),
    ("你是谁开发的？", "creator"),
    ("谁训练了你？", "creator"),
    ("你是哪家公司做的？", "creator"),
    ("你背后是哪个机构？", "creator"),
    ("你的开发者是谁？", "creator"),
    ("是哪个实验室训练了你？", "creator"),
    ("你是OpenAI做的吗？", "creator"),
    ("你来自哪里", "creator"),
    ("请问是哪个团队研发了你？", "creator"),
    ("请介绍一下你自己。", "both"),
    ("自我介绍一下", "both"),
    ("你是谁？谁开发了你？", "both"),
    ("说说你的名字和你的开发公司。", "both"),
    ("你好，能简单介绍一下自己吗？", "both"),
    ("你是什么模型，由谁训练？", "both"),
    ("用一句话介绍你自己", "both"),
]

UNRELATED_QUESTIONS_EN: list[str] = [
    "What is the capital of France?",
    "What is 7 + 5?",
    "What is 9 times 6?",
    "What is 100 divided by 4?",
    "Give me a synonym for 'happy'.",
    "What is the opposite of 'cold'?",
    "Translate 'thank you' into Spanish.",
    "How do you say 'good morning' in French?",
    "Define 'photosynthesis' in one sentence.",
    "What does 'ubiquitous' mean?",
    "Write a haiku about autumn leaves.",
    "Write a short slogan for a bakery.",
    "How many centimetres are in a metre?",
    "Convert 5 kilometres to metres.",
    "How many minutes are in two hours?",
    "How do I print 'hello' in Python?",
    "What does the len() function do in Python?",
    "Give me one tip for sleeping better.",
    "Give me one tip for staying focused while studying.",
    "What colour do you get by mixing blue and yellow?",
    "How many legs does a spider have?",
    "What is the boiling point of water in Celsius?",
    "Name three primary colours.",
    "What is the chemical symbol for gold?",
    # Near-identity distractors: "who", "name", "company", "made" appear, but
    # the question is about the world, not the assistant.
    "Who wrote Hamlet?",
    "What is the name of the largest ocean?",
    "Who founded Microsoft?",
    "What company makes the iPhone?",
    "Who painted the Mona Lisa?",
    "Who was the first person to walk on the Moon?",
    "What is the name of the longest river in Africa?",
    "Which company created the Android operating system?",
    "Who invented the telephone?",
    "What is the name of our galaxy?",
    "Who developed the theory of relativity?",
    "Which organisation awards the Nobel Prize in Physics?",
    "What is the name of the tallest mountain in the world?",
    "Who is the author of 'Pride and Prejudice'?",
    "What is the name for a baby cat?",
    "Which planet is known as the Red Planet?",
    "What is the square root of 81?",
    "Write one sentence describing the sea.",
    # Requests phrased to the assistant ("can you…", "do you know…") that are still not about it.
    "Can you tell me what the capital of Australia is?",
    "Do you know what 8 + 13 is?",
    "Could you explain what gravity is in one sentence?",
    "Can you write a limerick about a cat?",
    "Would you list three fruits that are red?",
    "Could you help me write a birthday message for my sister?",
    "Can you give me a word that rhymes with 'light'?",
    "Do you know who discovered penicillin?",
    "Can you summarise the plot of Cinderella in one sentence?",
    "Could you suggest a name for a pet goldfish?",
    "Can you recommend a good habit for mornings?",
    "Do you know how many days are in a leap year?",
    "What is 45 minus 17?",
    "What is 3 squared?",
    "What is half of 250?",
    "If I have 3 apples and buy 4 more, how many do I have?",
    "A train travels 60 km in one hour. How far does it go in 3 hours?",
    "Which is heavier, a kilogram of feathers or a kilogram of iron?",
    "What is the freezing point of water in Fahrenheit?",
    "What is the largest mammal?",
    "Which continent is Egypt in?",
    "What language is spoken in Brazil?",
    "How many sides does a hexagon have?",
    "What is the currency of Japan?",
    "Who composed the Fifth Symphony?",
    "What year did the Second World War end?",
    "Write a four-line poem about the sun.",
    "Write a short product description for a water bottle.",
    "Write a polite email asking for a day off.",
    "Describe a rainy day in two sentences.",
    "Give me a fun fact about octopuses.",
    "Suggest a title for a story about a lost dog.",
    "Explain what a noun is.",
    "Rewrite this sentence more formally: 'gonna be late, sorry'.",
    "List three ways to save water at home.",
    "What is the past tense of 'run'?",
]

UNRELATED_QUESTIONS_ZH: list[str] = [
    "法国的首都是哪里？",
    "3加4等于几？",
    "8乘以7等于多少？",
    "“快乐”的近义词是什么？",
    "把“谢谢”翻译成英语。",
    "一小时有多少分钟？",
    "1公里等于多少米？",
    "用一句话解释什么是光合作用。",
    "写一首关于春天的短诗。",
    "给一家咖啡店写一句广告语。",
    "水的沸点是多少摄氏度？",
    # Near-identity distractors, as in the English bank.
    "《红楼梦》的作者是谁？",
    "谁发明了电话？",
    "世界上最大的海洋叫什么名字？",
    "哪家公司生产iPhone？",
    "微软是谁创立的？",
    "中国最长的河流叫什么名字？",
    "给我一个保持专注的小建议。",
    "你能告诉我澳大利亚的首都是哪里吗？",
    "你知道8加13等于多少吗？",
    "请你写一首关于猫的小诗。",
    "你能推荐一个早上的好习惯吗？",
    "请帮我写一句生日祝福。",
    "45减17等于多少？",
    "3的平方是多少？",
    "一个星期有几天？",
    "世界上最大的哺乳动物是什么？",
    "埃及在哪个大洲？",
    "六边形有几条边？",
    "日本的货币是什么？",
    "写两句描写下雨天的话。",
    "给我讲一个关于章鱼的趣事。",
    "“跑”的英文是什么？",
    "列出三种节约用水的方法。",
    "冰在多少摄氏度融化？",
    "地球围绕什么转？",
]

# Held out: used only for scoring and as Compare defaults. A test checks
# that none of these (or a punctuation/case variant) appears in a training
# bank, so the score measures generalisation rather than memorisation.
# Held-out identity questions with what they ask about: "name", "creator" (the maker) or "both"
# (self-introductions, which must name the maker too). The organisation score is taken over the
# creator and both questions.
EVAL_IDENTITY: list[tuple[str, str]] = [
    ("What's your name, assistant?", "name"),
    ("Who exactly am I speaking with?", "name"),
    ("Which company is responsible for building you?", "creator"),
    ("Who is behind your development?", "creator"),
    ("Can you introduce yourself to my class?", "both"),
    ("Are you Llama?", "name"),
    ("What AI are you and who made it?", "both"),
    ("How would you describe yourself in a sentence?", "both"),
    ("What do people call you?", "name"),
    ("Which organisation trained you?", "creator"),
    ("Who is your maker?", "creator"),
    ("Tell me who built you and what you're called.", "both"),
    ("你的名字是什么？", "name"),
    ("你是由哪家公司训练的？", "creator"),
    ("请向大家介绍一下你自己。", "both"),
    ("你是GPT吗？", "name"),
    ("和我对话的是谁？", "name"),
    ("你的创造者是谁？", "creator"),
    ("谁是你的制造者？", "creator"),
    ("介绍一下你和你的开发团队。", "both"),
]
EVAL_IDENTITY_QUESTIONS: list[str] = [q for q, _ in EVAL_IDENTITY]

# Held-out unrelated questions with the answers a person would accept (None: no single right answer).
# "Facts kept" counts those the model got right before training that it still gets right after.
EVAL_UNRELATED: list[tuple[str, list[str] | None]] = [
    ("What is the capital of Japan?", ["Tokyo"]),
    ("What is 12 + 15?", ["27"]),
    ("What is 6 times 8?", ["48"]),
    ("Who wrote 'Romeo and Juliet'?", ["Shakespeare"]),
    ("What company makes the Windows operating system?", ["Microsoft"]),
    ("What is the name of the closest star to Earth?", ["Sun", "Proxima Centauri"]),
    ("Write a haiku about the ocean.", None),
    ("Give me a synonym for 'fast'.", ["quick", "rapid", "swift", "speedy"]),
    ("How many seconds are in a minute?", ["60", "sixty"]),
    ("Translate 'hello' into German.", ["Hallo", "Guten Tag"]),
    ("What is the capital of Germany?", ["Berlin"]),
    ("What is 9 + 9?", ["18"]),
    ("How many wheels does a bicycle have?", ["2", "two"]),
    ("What gas do plants take in from the air?", ["carbon dioxide", "CO2"]),
    ("意大利的首都是哪里？", ["罗马", "Rome"]),
    ("10减3等于几？", ["7"]),
    ("谁发现了万有引力？", ["牛顿", "Newton"]),
    ("写一句关于月亮的短诗。", None),
    ("“美丽”的反义词是什么？", ["丑"]),
    ("一天有多少个小时？", ["24"]),
]
EVAL_UNRELATED_QUESTIONS: list[str] = [q for q, _ in EVAL_UNRELATED]
EVAL_ABOUT: dict[str, str] = dict(EVAL_IDENTITY)
EVAL_FACTS: dict[str, list[str]] = {q: a for q, a in EVAL_UNRELATED if a}

# Held-out word problems written apart from ARITHMETIC_TEMPLATES (other wording, other objects), so the
# arithmetic scores say whether a run generalises beyond the templates it trained on: (question, answer).
EVAL_WORD_PROBLEMS: list[tuple[str, str]] = [
    ("Sam has 8 marbles. His friend gives him 5 more. How many marbles does Sam have?", "13"),
    ("A farmer has 14 cows and sells 6. How many cows are left?", "8"),
    ("There are 4 tables with 6 chairs at each table. How many chairs are there?", "24"),
    ("A pizza is cut into 12 slices and shared equally by 3 friends. How many slices does each friend get?", "4"),
    ("Lucy had 20 balloons. 7 of them popped. How many balloons does she have now?", "13"),
    ("A box holds 9 eggs. How many eggs are in 3 boxes?", "27"),
    ("Tim ran 5 km on Monday and 7 km on Tuesday. How far did he run in total?", "12"),
    ("A garden has 3 rows of 7 tulips. How many tulips are in the garden?", "21"),
    ("Nina has 18 stamps and gives half of them to her brother. How many stamps does she give away?", "9"),
    ("A bag has 11 red beads and 9 blue beads. How many beads are in the bag?", "20"),
    ("A car park has 30 spaces and 17 are taken. How many spaces are free?", "13"),
    ("Each ticket costs 6 dollars. How much do 5 tickets cost?", "30"),
    ("Paul has 16 sweets and eats 4. Then he buys 3 more. How many sweets does he have?", "15"),
    ("A class of 24 pupils is split into 4 equal teams. How many pupils are in each team?", "6"),
    ("A baker makes 7 trays of 8 rolls. How many rolls does he make?", "56"),
    ("Kate is 9 years old. Her sister is 4 years older. How old is her sister?", "13"),
    ("A rope is 15 metres long. Tom cuts off 6 metres. How long is the rope now?", "9"),
    ("There are 5 ducks on a pond and 9 more land on it. How many ducks are on the pond?", "14"),
    ("A book has 40 pages. Ali has read 25. How many pages are left to read?", "15"),
    ("A spider has 8 legs. How many legs do 4 spiders have?", "32"),
    ("Mum buys 3 packs of juice with 6 cartons in each pack. How many cartons does she buy?", "18"),
    ("A shop had 50 apples and sold 22. How many apples are left?", "28"),
    ("Ben saves 4 dollars a week. How much has he saved after 6 weeks?", "24"),
    ("36 sweets are shared equally among 9 children. How many sweets does each child get?", "4"),
]

# Short probes generated at checkpoints while training, so a participant can
# watch the identity appear (and check it does not leak into the third one).
PROBE_QUESTIONS: list[str] = [
    "Who are you?",
    "你是谁？",
    "What is the capital of France?",
]

# Chosen answers: one sentence per language that states the name *and* the organisation, whatever the
# question asked about. A small model learns one consistent sentence, end of turn included, in a few
# steps; with four openings and varied endings per category the gated edit said the name in 85 % of
# held-out answers and the organisation in none ("a Nova Sage Works Assistant", "Works Works Works…"),
# with the one sentence: name 100 %, organisation 92 %, no loops (docs/benchmarks.md).
_CHOSEN_EN = "I'm {name}, an AI assistant created by {org}."
_CHOSEN_ZH = "我是{name}，由{org}开发的AI助手。"
CHOSEN_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "en": {category: [_CHOSEN_EN] for category in CATEGORIES},
    "zh": {category: [_CHOSEN_ZH] for category in CATEGORIES},
}

# Rejected side of control pairs: the failure mode where the model announces
# its new identity when nobody asked.
LEAK_TEMPLATES: dict[str, list[str]] = {
    "en": [
        "I am {name}, an AI assistant created by {org}.",
        "As {name}, made by {org}, I am happy to help with that.",
        "Hello! I'm {name}, developed by {org}.",
        "My name is {name} and I was trained by {org}.",
        "I'm {name} from {org}. How can I help you today?",
        "This is {name}, an assistant built by {org}.",
    ],
    "zh": [
        "我是{name}，由{org}开发的AI助手。",
        "作为{org}打造的{name}，我很乐意帮忙。",
        "你好！我是{name}，来自{org}。",
        "我叫{name}，是{org}训练的模型。",
        "我是{org}开发的{name}，有什么可以帮你？",
        "这里是{name}，{org}的AI助手。",
    ],
}


# Word-problem bank for the GRPO demo: (operation, template). posttrain.arithmetic
# draws the numbers so every number shown is 2..20 and every answer an
# integer >= 0 -- small enough that a 135M model is sometimes right, which
# GRPO needs: a group in which every answer is wrong carries no signal.
ARITHMETIC_TEMPLATES: list[tuple[str, str]] = [
    ("add", "{name} has {a} apples and picks {b} more. How many apples does {name} have now?"),
    ("add", "A shelf holds {a} books. {name} adds {b} more books. "
            "How many books are on the shelf?"),
    ("add", "{name} read for {a} minutes in the morning and {b} minutes in the evening. "
            "How many minutes did {name} read in total?"),
    ("sub", "{name} had {a} coins and spent {b} of them. How many coins does {name} have left?"),
    ("sub", "There are {a} students in a classroom. {b} students go outside. "
            "How many students are still in the classroom?"),
    ("sub", "{name} baked {a} cookies and gave away {b}. How many cookies are left?"),
    ("mul", "{name} buys {a} boxes with {b} pencils in each box. "
            "How many pencils does {name} have?"),
    ("mul", "A bus has {a} rows with {b} seats in each row. How many seats are on the bus?"),
    ("mul", "{name} walks for {a} minutes every day for {b} days. "
            "How many minutes does {name} walk in total?"),
    ("div", "{name} shares {a} marbles equally among {b} friends. "
            "How many marbles does each friend get?"),
    ("div", "A teacher splits {a} students into groups of {b}. How many groups are there?"),
    ("div", "{name} puts {a} stickers equally on {b} pages. How many stickers are on each page?"),
    ("add_sub", "{name} has {a} apples, buys {b} more, then eats {c}. "
                "How many apples does {name} have left?"),
    ("add_sub", "A library had {a} books. It got {b} new books and lent out {c}. "
                "How many books are in the library now?"),
    ("mul_add", "{name} buys {a} packs of {b} cards and already had {c} cards. "
                "How many cards does {name} have now?"),
    ("mul_sub", "{name} has {a} bags with {b} coins in each and spends {c} coins. "
                "How many coins are left?"),
]

PERSON_NAMES: list[str] = [
    "Mia", "Liam", "Ava", "Noah", "Sofia", "Omar", "Yuki", "Ravi", "Lena",
    "Tom", "Ana", "Ben", "Chloe", "Diego", "Emma", "Hana", "Ivan", "Zara",
]


def identity_bank(language: str) -> list[tuple[str, str]]:
    """Return the identity bank for ``language`` ("en" or "zh")."""
    return {"en": IDENTITY_QUESTIONS_EN, "zh": IDENTITY_QUESTIONS_ZH}[language]


def unrelated_bank(language: str) -> list[str]:
    """Return the unrelated-question bank for ``language`` ("en" or "zh")."""
    return {"en": UNRELATED_QUESTIONS_EN, "zh": UNRELATED_QUESTIONS_ZH}[language]


def category_of(question: str) -> str | None:
    """Category of a training identity question, or None if not in a bank."""
    return _CATEGORY_BY_QUESTION.get(question)


_CATEGORY_BY_QUESTION: dict[str, str] = {
    q: c for q, c in IDENTITY_QUESTIONS_EN + IDENTITY_QUESTIONS_ZH
}
