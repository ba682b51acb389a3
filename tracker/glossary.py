"""Terms that tie an article to a report across languages: names and glossary pairs.

A :class:`Term` is one concept with every surface form it is written as —
Latin forms matched as whole token sequences (case-insensitive, plural ``s``
folded), CJK forms matched as substrings. Terms come from three places:

* names the report itself writes in Latin script (models, labs, products,
  benchmarks, prices: ``Claude Code``, ``GLM-4.7``, ``RLVR``, ``$200``);
* zh↔en pairs the report spells out, e.g. ``稀疏自编码器（sparse autoencoders）``
  or ``强化学习可验证奖励（Reinforcement Learning from Verifiable Rewards, RLVR）``;
* a small curated field glossary (:data:`FIELD_GLOSSARY`).

Forms shared between sources merge into one term, so ``深度求索`` and
``DeepSeek`` count once. This module only finds terms; how much a term is
worth is the matcher's business. No I/O, no third-party imports.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Curated zh↔en pairs for the field. Each row is one concept: its forms, any script.
FIELD_GLOSSARY: tuple[tuple[str, ...], ...] = (
    ("智能体", "agent", "agents", "agentic", "AI agent"),
    ("编码智能体", "编程智能体", "coding agent", "coding assistant", "agentic coding"),
    ("推理模型", "reasoning model", "reasoning models", "thinking model"),
    ("推理", "reasoning"),
    # News writing uses these interchangeably, so one concept.
    (
        "开源权重",
        "开源",
        "open weights",
        "open-weight",
        "open weight",
        "open source",
        "open-source",
        "open-sources",
        "open-sourced",
        "open models",
        "open model",
    ),
    ("智谱", "Zhipu", "Z.ai", "GLM"),
    ("月之暗面", "Moonshot", "Moonshot AI", "Kimi"),
    ("深度求索", "DeepSeek"),
    ("通义千问", "千问", "Qwen", "Tongyi"),
    ("阿里巴巴", "阿里", "Alibaba"),
    ("稀宇科技", "MiniMax"),
    ("小米", "Xiaomi", "MiMo"),
    ("零一万物", "01.AI"),
    ("字节跳动", "豆包", "ByteDance", "Doubao", "Seedream"),
    ("腾讯", "混元", "Tencent", "Hunyuan"),
    ("百度", "文心", "Baidu", "ERNIE"),
    ("谷歌", "Google"),
    ("纳米香蕉", "Nano Banana"),  # the Chinese press's name for Google's image model
    ("英伟达", "NVIDIA"),
    ("可解释性", "interpretability", "explainability"),
    ("机械可解释性", "mechanistic interpretability"),
    ("稀疏自编码器", "sparse autoencoder", "SAE"),
    ("神经元", "neuron"),
    ("思维链", "chain of thought", "chain-of-thought", "CoT"),
    ("图像生成", "image generation", "image generator", "text-to-image", "文生图"),
    ("图像编辑", "image editing", "photo editing", "edit images", "edit photos"),
    ("图像模型", "image model", "图片模型"),
    ("多模态", "multimodal"),
    ("订阅", "subscription", "subscriber", "paid tier", "paid plan"),
    ("定价", "价格", "pricing", "price", "per month", "/month"),
    ("年收入", "营收", "annual revenue", "revenue", "ARR", "run-rate"),
    ("市值", "market value", "market cap", "market capitalization"),
    ("强化学习", "reinforcement learning", "RL"),
    ("可验证奖励", "verifiable rewards", "verifiable reward"),
    ("工具调用", "tool use", "tool calling", "tool call", "function calling"),
    ("代码", "编程", "编码", "code", "coding", "programming"),
    ("命令行", "终端", "CLI", "command line", "command-line", "terminal"),
    ("异步", "后台", "asynchronous", "background", "async"),
    ("拉取请求", "pull request"),
    ("排名", "排行榜", "ranking", "leaderboard", "ranked"),
    ("基准", "基准测试", "benchmark", "benchmarks"),
    ("训练成本", "training cost", "trained for"),
    ("数学奥林匹克", "math olympiad", "maths olympiad", "mathematical olympiad", "IMO"),
    ("程序设计竞赛", "programming contest", "ICPC"),
    ("任务时长", "time horizon", "task length", "task duration", "long tasks"),
    ("翻倍", "doubling", "doubles", "doubled"),
    ("大语言模型", "大模型", "语言模型", "LLM", "large language model", "language model"),
    ("安全", "safety"),
    ("作弊", "钻空子", "cheating", "reward hacking"),
    ("监控", "monitoring", "monitor"),
    # Field vocabulary for concepts the report's own sections are written around
    # (agents in a loop, research and search, contests, competition, trends …),
    # so English news can reach those sections by meaning, not only by name.
    ("循环", "loop", "in a loop", "loops"),
    ("目标", "goal", "goals"),
    ("多步骤", "multi-step", "multistep", "step by step", "step-by-step"),
    ("规划", "plan", "plans", "planning"),
    ("搜索", "search", "web search", "searches"),
    ("调试", "debug", "debugging"),
    ("代码库", "codebase", "codebases", "repository", "repositories"),
    ("竞赛", "contest", "contests", "olympiad"),
    ("金牌", "gold medal", "gold-medal"),
    ("竞争", "competition", "competitor", "competitors", "rival", "rivals", "compete"),
    ("挑战者", "challenger", "challengers"),
    ("趋势", "trend", "trends"),
    ("消费级硬件", "consumer hardware", "consumer-grade", "consumer GPU"),
    ("许可证", "licence", "license", "licensed"),
    ("微调", "fine-tuning", "fine-tune", "fine-tuned"),
    ("开发者", "developer", "developers", "programmer", "programmers", "coder", "coders"),
    ("实验室", "lab", "labs"),
    # Research vocabulary of safety and interpretability papers, so a paper's topic can be
    # written in Chinese ("发表关于涌现式失调的研究") rather than quoted in English.
    ("涌现式失调", "emergent misalignment"),
    ("失调", "misalignment", "misaligned"),
    ("对齐", "alignment"),
    ("图谋", "密谋", "scheming", "covert actions"),
    ("欺骗", "deception", "deceptive", "deceive"),
    ("提示词注入", "提示注入", "prompt injection", "prompt-injection"),
    ("越狱", "jailbreak", "jailbreaks", "jailbreaking"),
    ("红队测试", "red teaming", "red-teaming", "red team", "red-team"),
    ("幻觉", "hallucination", "hallucinations"),
    ("谄媚", "sycophancy", "sycophantic"),
    ("内省", "introspection", "introspective"),
    ("忠实性", "faithfulness", "faithful"),
    ("可监控性", "monitorability"),
    ("电路追踪", "circuit tracing", "attribution graph", "attribution graphs"),
    ("电路", "circuits", "circuit"),
    ("权重稀疏", "weight-sparse", "weight sparsity"),
    ("蒸馏", "distillation", "distilled"),
    ("混合专家", "mixture of experts", "mixture-of-experts", "MoE"),
    ("上下文窗口", "context window", "context length"),
    ("残差连接", "residual connection", "residual connections"),
    ("超连接", "hyper-connections", "hyper-connection"),
)

# Hyphens split tokens ("DeepSeek-R1" = "DeepSeek R1"); dots and slashes do not ("4.5").
_LATIN_TOKEN = re.compile(r"\$?[a-z0-9]+(?:[.+'/][a-z0-9]+)*\+?", re.IGNORECASE)
_LATIN_WORD = r"\$?[A-Za-z0-9]+(?:[.\-+'/][A-Za-z0-9]+)*\+?"
_LATIN_RUN = re.compile(rf"{_LATIN_WORD}(?:[ ]{_LATIN_WORD})*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def is_name_row(row: Sequence[str]) -> bool:
    """Whether a glossary row is a name (a company, a product: every Latin form
    capitalised, "Google", "Nano Banana") rather than a field concept ("agent",
    "AI agent", "reasoning model")."""
    latin = [form for form in row if not _CJK.search(form)]
    return bool(latin) and all(form[:1].isupper() for form in latin)


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "via",
        "vs",
        "with",
        "this",
        "that",
        "these",
        "those",
        "be",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "its",
        "their",
    ]
)
_YEAR = re.compile(r"^(19|20)\d\d$")

# "中文（English）", "中文(English, ABBR)", and the quoted form “中文”（English）.
_PAIR = re.compile(
    r"[\"“「]?([\u3400-\u4dbf\u4e00-\u9fff]{2,})[\"”」]?"
    r"\s*[（(]\s*([A-Za-z][A-Za-z0-9 .,\-+/']{1,80})\s*[）)]"
)
# Words that end a clause before a term: the term is what follows them.
_CLAUSE_WORDS = re.compile(
    r".*(?:使用|采用|利用|通过|基于|包括|例如|比如|称为|名为|叫做|发布|推出|"
    r"的|了|在|和|与|及|是|为|将|把|被|对|等|即|从|由|向|中|上|下)"
)


@dataclass
class Term:
    """One concept and its surface forms (Latin forms as lower-case token tuples)."""

    key: str
    latin: set[tuple[str, ...]] = field(default_factory=set)
    cjk: set[str] = field(default_factory=set)
    curated: bool = False  # from the field glossary, not from the report


def latin_tokens(text: str) -> list[str]:
    """Lower-case Latin tokens with a trailing plural ``s`` folded (``agents`` → ``agent``)."""
    return [_fold(t) for t in _LATIN_TOKEN.findall(text.lower())]


def _fold(token: str) -> str:
    if len(token) > 3 and token.isalpha() and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def report_entities(text: str) -> set[str]:
    """Latin-script names in ``text``: runs like ``Claude Code``, ``GLM-4.7``, ``o3-mini``.

    Keeps whole runs of up to four tokens, their leading bigrams, and single
    tokens that look like names (inner capitals, digits, all caps, or a
    capitalised word standing alone). Drops years and plain short numbers,
    which would tie an article to every section.
    """
    found: set[str] = set()
    for match in _LATIN_RUN.finditer(text):
        words = match.group(0).split()
        while words and words[-1].lower() in _STOPWORDS:
            words.pop()
        while words and words[0].lower() in _STOPWORDS:
            words.pop(0)
        if not words:
            continue
        if 2 <= len(words) <= 4:
            found.add(" ".join(words))
        for first, second in itertools.pairwise(words):
            if _name_like(first, alone=False) and second.lower() not in _STOPWORDS:
                found.add(f"{first} {second}")
        for word in words:
            if _name_like(word, alone=len(words) == 1):
                found.add(word)
    return {f for f in found if not _is_noise(f)}


def _name_like(word: str, *, alone: bool) -> bool:
    if word.lower() in _STOPWORDS:
        return False
    if word.startswith("$") or any(ch.isdigit() for ch in word):
        return any(ch.isalpha() for ch in word) or word.startswith("$")
    if word.isupper() and len(word) >= 2:
        return True
    if any(ch.isupper() for ch in word[1:]):
        return True
    return alone and word[:1].isupper() and len(word) >= 3


def _is_noise(form: str) -> bool:
    bare = form.strip("$")
    return bool(_YEAR.match(bare)) or (bare.replace(".", "").isdigit() and not form.startswith("$"))


def report_pairs(text: str) -> list[tuple[str, ...]]:
    """zh↔en pairs the text spells out: ``稀疏自编码器（sparse autoencoders）``.

    The Chinese side is trimmed to what follows the last clause word
    (``研究人员使用稀疏自编码器`` → ``稀疏自编码器``); a comma inside the
    parentheses separates an expansion from its abbreviation, both kept.
    """
    pairs: list[tuple[str, ...]] = []
    for match in _PAIR.finditer(text):
        chinese = match.group(1)
        clause = _CLAUSE_WORDS.match(chinese)
        if clause and clause.end() < len(chinese) - 1:
            chinese = chinese[clause.end() :]
        english = [p.strip() for p in re.split(r"[,，]", match.group(2)) if p.strip()]
        english = [e for e in english if any(ch.isalpha() for ch in e)]
        if len(chinese) >= 2 and english:
            pairs.append((chinese, *english))
    return pairs


class TermIndex:
    """Finds which terms occur in a text. Built once per report; matching is fast
    (a token n-gram lookup for Latin forms, substring tests for CJK forms)."""

    MAX_NGRAM = 5

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        self._latin: dict[tuple[str, ...], int] = {}
        self._cjk: list[tuple[str, int]] = []
        for index, term in enumerate(self.terms):
            for form in term.latin:
                self._latin.setdefault(form, index)
            for text in term.cjk:
                self._cjk.append((text, index))
        self._max_n = max((len(f) for f in self._latin), default=1)

    def find(self, text: str) -> set[int]:
        """Indices of the terms occurring in ``text``."""
        found: set[int] = set()
        tokens = latin_tokens(text)
        latin = self._latin
        for n in range(1, min(self._max_n, self.MAX_NGRAM) + 1):
            for i in range(len(tokens) - n + 1):
                hit = latin.get(tuple(tokens[i : i + n]))
                if hit is not None:
                    found.add(hit)
        if _CJK.search(text):
            for form, index in self._cjk:
                if form in text:
                    found.add(index)
        return found


def build_terms(
    report_text: str, *, curated: Iterable[tuple[str, ...]] = FIELD_GLOSSARY
) -> list[Term]:
    """Every term of a report: its names, its own zh↔en pairs, the curated glossary.

    Forms that already belong to a term join it instead of starting another.
    """
    terms: list[Term] = []
    by_latin: dict[tuple[str, ...], Term] = {}
    by_cjk: dict[str, Term] = {}

    def add(forms: Iterable[str], *, is_curated: bool) -> None:
        latin_forms = []
        cjk_forms = []
        for form in forms:
            if _CJK.search(form):
                cjk_forms.append(form)
            else:
                tokens = tuple(latin_tokens(form))
                if tokens:
                    latin_forms.append(tokens)
        existing = next(
            (by_latin[f] for f in latin_forms if f in by_latin),
            next((by_cjk[f] for f in cjk_forms if f in by_cjk), None),
        )
        if existing is None:
            key = " ".join(latin_forms[0]) if latin_forms else cjk_forms[0]
            existing = Term(key=key, curated=is_curated)
            terms.append(existing)
        for tokens in latin_forms:
            existing.latin.add(tokens)
            by_latin.setdefault(tokens, existing)
        for cjk in cjk_forms:
            existing.cjk.add(cjk)
            by_cjk.setdefault(cjk, existing)

    for pair in curated:
        add(pair, is_curated=True)
    for pair in report_pairs(report_text):
        add(pair, is_curated=False)
    for name in sorted(report_entities(report_text)):
        add((name,), is_curated=False)
    return terms
