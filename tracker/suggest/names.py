"""Who and what news is about, in both languages: the name book.

A :class:`Name` is one organisation, person, body or leaderboard with every
spelling it is written in (``Google`` / ``谷歌``, ``Moonshot AI`` /
``月之暗面``). The :class:`NameBook` of a report holds a small curated list
of the field's actors (labs, companies, people, regulators, leaderboards) and knows
which spelling the report itself uses, so that text drafted for the report
names things as the report does (the seed writes ``Google`` and
``NVIDIA``, not 谷歌 and 英伟达; it writes 月之暗面 and 智谱AI).

No I/O. Finding *products* (``Gemini 3``, ``Kimi K3``) is
:mod:`tracker.suggest.facts`' business: they are too many to list.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

# kind, English spellings, Chinese spellings (the first of each is the usual one).
_CURATED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("org", ("OpenAI",), ("OpenAI",)),
    ("org", ("Anthropic",), ("Anthropic",)),
    ("org", ("Google DeepMind", "DeepMind"), ("Google DeepMind", "谷歌DeepMind")),
    ("org", ("Google",), ("谷歌",)),
    ("org", ("Meta",), ("Meta",)),
    ("org", ("Microsoft",), ("微软",)),
    ("org", ("NVIDIA", "Nvidia"), ("英伟达",)),
    ("org", ("Apple",), ("苹果",)),
    ("org", ("Amazon", "AWS"), ("亚马逊",)),
    ("org", ("xAI",), ("xAI",)),
    ("org", ("Mistral AI", "Mistral"), ("Mistral",)),
    ("org", ("DeepSeek",), ("深度求索", "DeepSeek")),
    ("org", ("Alibaba", "Alibaba Cloud"), ("阿里巴巴", "阿里", "阿里云")),
    ("org", ("Qwen", "Qwen team", "Tongyi Qianwen"), ("通义千问", "千问")),
    ("org", ("Moonshot AI", "Moonshot"), ("月之暗面",)),
    ("org", ("Zhipu AI", "Zhipu", "Z.ai"), ("智谱AI", "智谱")),
    ("org", ("MiniMax",), ("MiniMax", "稀宇科技")),
    ("org", ("ByteDance",), ("字节跳动",)),
    ("org", ("Tencent",), ("腾讯",)),
    ("org", ("Baidu",), ("百度",)),
    ("org", ("Xiaomi",), ("小米",)),
    ("org", ("01.AI",), ("零一万物",)),
    ("org", ("StepFun",), ("阶跃星辰",)),
    ("org", ("Huawei",), ("华为",)),
    ("org", ("Samsung",), ("三星",)),
    ("org", ("IBM",), ("IBM",)),
    ("org", ("Hugging Face",), ("Hugging Face",)),
    ("org", ("Stability AI",), ("Stability AI",)),
    ("org", ("Perplexity",), ("Perplexity",)),
    ("org", ("Cohere",), ("Cohere",)),
    ("org", ("Allen Institute for AI", "Ai2", "AI2"), ("艾伦人工智能研究所", "Ai2")),
    ("org", ("METR",), ("METR",)),
    ("org", ("Black Forest Labs",), ("Black Forest Labs",)),
    ("org", ("Stanford University", "Stanford"), ("斯坦福大学", "斯坦福")),
    ("org", ("Menlo Ventures",), ("Menlo Ventures",)),
    ("org", ("Sakana AI",), ("Sakana AI",)),
    ("org", ("Midjourney",), ("Midjourney",)),
    ("org", ("Runway",), ("Runway",)),
    ("body", ("Linux Foundation",), ("Linux基金会",)),
    ("org", ("Epoch AI",), ("Epoch AI",)),
    ("org", ("Cursor", "Anysphere"), ("Cursor",)),
    ("org", ("GitHub",), ("GitHub",)),
    ("org", ("TSMC",), ("台积电",)),
    ("org", ("AMD",), ("AMD",)),
    ("org", ("Intel",), ("英特尔",)),
    ("body", ("European Union", "EU", "European Commission"), ("欧盟", "欧盟委员会")),
    ("body", ("European Parliament",), ("欧洲议会",)),
    ("body", ("US government", "White House", "U.S. government"), ("美国政府", "白宫")),
    ("body", ("Congress",), ("美国国会",)),
    ("body", ("Cyberspace Administration of China", "CAC"), ("国家网信办", "网信办")),
    ("body", ("UK government",), ("英国政府",)),
    ("body", ("New York Times", "The New York Times"), ("纽约时报",)),
    ("person", ("Sam Altman", "Altman"), ("萨姆·奥尔特曼", "奥尔特曼")),
    ("person", ("Dario Amodei", "Amodei"), ("达里奥·阿莫迪",)),
    ("person", ("Demis Hassabis", "Hassabis"), ("哈萨比斯",)),
    ("person", ("Sundar Pichai", "Pichai"), ("皮查伊",)),
    ("person", ("Jensen Huang",), ("黄仁勋",)),
    ("person", ("Elon Musk", "Musk"), ("马斯克",)),
    ("person", ("Andrej Karpathy", "Karpathy"), ("Andrej Karpathy", "卡帕西")),
    ("person", ("Simon Willison",), ("Simon Willison",)),
    ("person", ("Yann LeCun", "LeCun"), ("杨立昆",)),
    ("person", ("Geoffrey Hinton", "Hinton"), ("辛顿",)),
    ("person", ("Liang Wenfeng",), ("梁文锋",)),
    ("board", ("Artificial Analysis",), ("Artificial Analysis",)),
    ("board", ("LMArena", "LMSYS Chatbot Arena", "Chatbot Arena"), ("LMArena",)),
    ("board", ("SWE-bench Verified", "SWE-bench"), ("SWE-bench",)),
    ("board", ("Humanity's Last Exam",), ("人类最后的考试",)),
    ("board", ("ARC-AGI",), ("ARC-AGI",)),
)

# Product families and who makes them: news naming only a product ("Qwen3.5 tops
# the leaderboard") still has a maker. Prefixes of product names, by maker.
_MAKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("OpenAI", ("GPT", "ChatGPT", "o1", "o3", "o4", "Sora", "Codex", "DALL-E", "gpt-oss")),
    ("Anthropic", ("Claude",)),
    ("Google", ("Gemini", "Gemma", "Nano Banana", "Veo", "Imagen", "Jules")),
    ("Meta", ("Llama",)),
    ("xAI", ("Grok",)),
    ("Mistral AI", ("Mistral", "Devstral", "Magistral", "Codestral", "Pixtral")),
    ("DeepSeek", ("DeepSeek",)),
    ("Qwen", ("Qwen", "QwQ")),
    ("Moonshot AI", ("Kimi",)),
    ("Zhipu AI", ("GLM",)),
    ("MiniMax", ("MiniMax",)),
    ("ByteDance", ("Seedream", "Seedance", "Seed-OSS", "Doubao")),
    ("StepFun", ("Step-",)),
    ("Xiaomi", ("MiMo",)),
    ("Baidu", ("ERNIE",)),
    ("Tencent", ("Hunyuan",)),
    ("NVIDIA", ("Nemotron",)),
    ("Microsoft", ("Phi-", "Copilot")),
    ("Allen Institute for AI", ("Olmo", "OLMo", "Tülu")),
    ("Black Forest Labs", ("FLUX",)),
)

# Who a person speaks for, so news of "Altman" is news of OpenAI.
_AFFILIATIONS = {
    "Sam Altman": "OpenAI",
    "Dario Amodei": "Anthropic",
    "Demis Hassabis": "Google DeepMind",
    "Sundar Pichai": "Google",
    "Jensen Huang": "NVIDIA",
    "Elon Musk": "xAI",
    "Liang Wenfeng": "DeepSeek",
}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Name:
    """One actor and its spellings; ``report_form`` is how the report writes it, if it does."""

    kind: str  # "org", "person", "body" (governments, courts, newspapers), "board"
    english: tuple[str, ...]
    chinese: tuple[str, ...]
    report_form: str | None = None

    @property
    def forms(self) -> tuple[str, ...]:
        return (*self.english, *self.chinese)

    def spelled_for(self, language: str) -> str:
        """The spelling to write in a text of ``language``: the report's own first."""
        if self.report_form:
            return self.report_form
        if language.lower().startswith("zh") and self.chinese:
            return self.chinese[0]
        return self.english[0] if self.english else self.chinese[0]


@dataclass(frozen=True)
class Found:
    name: Name
    form: str  # the spelling found
    start: int


class NameBook:
    """The names a report's suggestions may be about, and how the report spells them."""

    def __init__(self, names: Iterable[Name], report_words: Iterable[str] = ()) -> None:
        self.names = list(names)
        # Latin words the report itself writes: a capitalised word it uses is a name.
        self.report_words = frozenset(report_words)
        # Longest forms first, so "Google DeepMind" wins over "Google".
        pairs = [(form, name) for name in self.names for form in name.forms if form]
        pairs.sort(key=lambda p: -len(p[0]))
        self._forms = pairs
        latin = [re.escape(f) for f, _ in pairs if not _CJK.search(f)]
        self._latin = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(latin) + r")(?![A-Za-z0-9])" if latin else r"(?!x)x"
        )
        self._by_form: dict[str, Name] = {}
        for form, name in pairs:
            self._by_form.setdefault(form.lower(), name)
        self._cjk = [(f, n) for f, n in pairs if _CJK.search(f)]

    @classmethod
    def for_report(cls, report_text: str) -> NameBook:
        """The curated actors, each with the spelling the report uses most (if any)."""
        return cls(
            (
                Name(kind, english, chinese, _most_used((*chinese, *english), report_text))
                for kind, english, chinese in _CURATED
            ),
            re.findall(r"[A-Za-z][A-Za-z0-9]*", report_text),
        )

    def find(self, text: str) -> list[Found]:
        """Every name in ``text``, in order of appearance, longest spelling first at a place."""
        found: list[Found] = []
        # Places already found, sorted and never overlapping, so whether a place is free
        # is a look at its two neighbours (a scan of all of them made a long text with
        # many names quadratic).
        starts: list[int] = []
        ends: list[int] = []

        def free(start: int, end: int) -> bool:
            at = bisect.bisect_right(starts, start)
            before_free = at == 0 or ends[at - 1] <= start
            after_free = at == len(starts) or end <= starts[at]
            return before_free and after_free

        def take(start: int, end: int) -> None:
            at = bisect.bisect_right(starts, start)
            starts.insert(at, start)
            ends.insert(at, end)

        for match in self._latin.finditer(text):
            name = self._by_form.get(match.group(1).lower())
            if name is not None and free(match.start(), match.end()):
                found.append(Found(name, match.group(1), match.start()))
                take(match.start(), match.end())
        if _CJK.search(text):
            for form, name in self._cjk:
                start = text.find(form)
                while start >= 0:
                    if free(start, start + len(form)):
                        found.append(Found(name, form, start))
                        take(start, start + len(form))
                    start = text.find(form, start + len(form))
        return sorted(found, key=lambda f: f.start)

    def lookup(self, form: str) -> Name | None:
        return self._by_form.get(form.lower())

    def affiliation(self, name: Name) -> Name | None:
        """The organisation a person speaks for (Sam Altman → OpenAI), if known."""
        org = _AFFILIATIONS.get(name.english[0]) if name.english else None
        return self.lookup(org) if org else None

    def maker_of(self, product: str) -> Name | None:
        """Who makes ``product``, by the family its name begins with (``Kimi K3`` → Moonshot)."""
        lowered = product.lower()
        for maker, prefixes in _MAKERS:
            if any(lowered.startswith(p.lower()) for p in prefixes):
                return self.lookup(maker)
        return None


def _most_used(forms: Iterable[str], text: str) -> str | None:
    counts = {f: _count(f, text) for f in forms if f}
    best = max(counts, key=lambda f: (counts[f], len(f)), default=None)
    return best if best is not None and counts[best] > 0 else None


def _count(form: str, text: str) -> int:
    if _CJK.search(form):
        return text.count(form)
    pattern = r"(?<![A-Za-z0-9])" + re.escape(form) + r"(?![A-Za-z0-9])"
    return len(re.findall(pattern, text))
