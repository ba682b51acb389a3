"""Name-like runs of words in news text: the candidates for what a piece of news is about.

A run is a sequence of capitalised words, words with digits, or a version number
after a name ("Gemini 3", "Claude Opus 4.5", "o3 and o4-mini"). Known actors
(the name book's labs, companies, people, bodies), generic acronyms (AI, GPU),
sizes ("20B") and dates are left out, so what remains are products, models and
papers. Pure: no I/O.
"""

from __future__ import annotations

import bisect
import re

from tracker.suggest.names import NameBook


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Latin letters, accented ones too: "Tülu 3" is a name as much as "Tulu 3".
_L = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
WORD = re.compile(rf"[{_L}][{_L}0-9.+'’-]*[{_L}0-9+]|[{_L}]|[0-9][{_L}0-9.+-]*")
STOP = _words(
    "a an the and or of to in on for with by from at as is are was were be its it this "
    "that new their his her our your now after over into than more most about says said "
    "will can could may how why what when who which has have had not no yes up out"
)
# Words that may start a headline in title case without being a name.
COMMON_CAPITALS = _words(
    "new first how why what when who the a an report study exclusive update breaking live "
    "opinion analysis watch inside meet here this these coding open latest big top"
)
_MONTH = re.compile(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?(?:\s+\d|$)"
    r"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_SIZE = re.compile(r"\d+(?:\.\d+)?[BMKT]", re.IGNORECASE)  # "20B" parameters
_GENERIC_ACRONYMS = _words("AI AGI API GPU GPUS CPU TPU LLM LLMS CEO CTO US UK EU UN IPO SDK")
# Where something is from is no product: "American open models", "China slips".
_DEMONYMS = _words(
    "American Chinese European British French German Japanese Korean Indian Canadian "
    "Israeli Emirati Saudi Russian Taiwanese Western Asian "
    "China America Europe Japan Korea India France Germany Britain Canada Israel Taiwan Russia"
)
# Names that are never what news is about: licences, and a place in a ranking
# ("slipped to 17th", "第17位").
NOT_A_THING = re.compile(
    r"^(?:(?:Apache|MIT|GPL|BSD|CC|Creative Commons)\b|\d+(?:st|nd|rd|th)$|第\d+(?:名|位)?$)"
)


def product_names(text: str, names: NameBook, actor: str = "") -> list[str]:
    """The products ``text`` names: its name-like runs other than known actors,
    licences, generic acronyms (AI, LLM) and dates."""
    return [r for r in name_runs(text, names, actor) if r and not NOT_A_THING.match(r)]


# A lower-case modifier glued to a name ("DeepSeek-day loss", "GPT-4-class model",
# "Claude-powered app") says what the name qualifies; the name is the part before it.
_CJK_BEFORE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]\s?$")
_POSSESSIVE_BEFORE = re.compile(r"['’]s\s$")

_GLUED_MODIFIER = re.compile(
    r"-(?:day|era|style|like|based|powered|backed|made|built|sized|class|level|led|driven"
    r"|related|fuell?ed|induced|linked)$"
)


def name_runs(text: str, names: NameBook, actor: str) -> list[str]:
    """Runs of name-like words (capitalised, with digits, or a version number after a
    name: "Gemini 3"), joined by "and" when both sides carry a version ("o3 and
    o4-mini"); known actors and generic acronyms (AI, GPU) are left out."""
    # Only the actor as spelled is left out: another name may begin a product's name
    # ("Mistral AI releases Mistral Large 3", "阿里通义开源Qwen Code").
    actor_spans = [(f.start, f.start + len(f.form)) for f in names.find(text) if f.form == actor]
    at = text.find(actor) if actor else -1
    if at >= 0:
        actor_spans.append((at, at + len(actor)))
    # An actor that begins a product's name stays in it: "Mistral Large 3" (a maker's
    # product family), "Cursor 2.0" (the actor and a version).
    actor_spans = [(a, b) for a, b in actor_spans if not _begins_product(text, a, b, names)]
    # Every span has the actor's length, so the one starting last at or before a word is
    # the only one that may hold it: a bisect, not a scan of every span per word (a long
    # text naming its actor often was quadratic).
    actor_spans.sort()
    actor_starts = [a for a, _ in actor_spans]
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    previous_end = 0
    for match in WORD.finditer(text):
        word = match.group(0)
        # What separates it from the word before: one space or a hyphen continues a
        # name; a comma, a dash or a CJK character ends it ("Claude Opus 4.5, Anthropic's").
        gap = text[previous_end : match.start()] if previous_end else " "
        previous_end = match.end()
        bare_end = match.end() - (2 if re.search(r"['’]s$", word) else 0)  # "Nvidia's"
        last = bisect.bisect_right(actor_starts, match.start()) - 1
        inside_actor = last >= 0 and bare_end <= actor_spans[last][1]
        if current and not (gap.isspace() or gap == "-"):
            runs.append(current)
            current = []
        if inside_actor:
            if current:
                runs.append(current)
                current = []
            continue
        version = bool(current) and re.fullmatch(r"\d+(?:\.\d+)*", word) is not None
        # A capitalised common word goes on a name the report writes with it
        # ("Artificial Analysis"), though alone it is only title case.
        continues = bool(current) and word[:1].isupper() and word in names.report_words
        if version or continues or _name_like(word, first=match.start() == 0, names=names):
            current.append(match)
            continue
        if current:
            runs.append(current)
            current = []
        starts_name = match.start() == 0 and _name_like(word, first=False, names=names)
        # A capitalised common word right after Chinese text or a possessive is no title
        # case: it starts the name that follows ("谷歌智能体Big Sleep", "Google's Big Sleep").
        starts_name = starts_name or (
            word[:1].isupper()
            and word.lower() in COMMON_CAPITALS
            and (
                _CJK_BEFORE.search(text[: match.start()])
                or _POSSESSIVE_BEFORE.search(text[: match.start()])
            )
            is not None
        )
        if starts_name:
            # A headline's capitalised first word starts a name when a name follows it
            # ("Claude Code gets …", "Cursor 2.0 takes on …"); alone it is only title case.
            following = WORD.match(text, match.end() + 1)
            if following and (
                _name_like(following.group(0), first=False, names=names)
                or re.fullmatch(r"\d+(?:\.\d+)*", following.group(0))
            ):
                current.append(match)
    if current:
        runs.append(current)
    # Each run with where it stands in the text (its first word's start, last word's end).
    placed = [
        (
            _GLUED_MODIFIER.sub(
                "",
                _owner_apart(
                    re.sub(r"['’]s$", "", " ".join(m.group(0) for m in r).strip(".,:;")), names
                ),
            ),
            r[0].start(),
            r[-1].end(),
        )
        for r in runs
    ]
    placed = [
        (j, start, end)
        for j, start, end in placed
        if j.upper() not in _GENERIC_ACRONYMS
        and j not in _DEMONYMS
        and not _SIZE.fullmatch(j)
        and names.lookup(j) is None  # an actor is not what the news is about
        and not _MONTH.match(j)  # nor a date
    ]
    joined = [j for j, _, _ in placed]
    # "o3 and o4-mini": two versioned names joined by "and" in the text are one object.
    # Looked for where the two stand, not in the whole text (that was quadratic).
    for i in range(len(joined) - 1):
        pair = f"{joined[i]} and {joined[i + 1]}"
        stretch = text[placed[i][1] : placed[i + 1][2]]
        if all(any(c.isdigit() for c in n) for n in joined[i : i + 2]) and pair in stretch:
            joined[i : i + 2] = [pair, ""]
    return [j for j in joined if j]


def _owner_apart(run: str, names: NameBook) -> str:
    """A possessive inside a name run: an actor's is dropped ("OpenAI's o1" → "o1"), a
    product family's is the family's name ("Claude's Max 20x" → "Claude Max 20x")."""
    owned = re.match(r"^(.+?)['’]s (.+)$", run)
    if owned is None:
        return run
    owner, thing = owned.groups()
    return thing if names.lookup(owner) is not None else f"{owner} {thing}"


def _begins_product(text: str, start: int, end: int, names: NameBook) -> bool:
    following = re.match(r" (\d+(?:\.\d+)*\b|[A-Z][A-Za-z0-9.+-]*)", text[end:])
    if following is None:
        return False
    if following.group(1)[0].isdigit():
        return True
    return names.maker_of(text[start : end + following.end()]) is not None


def _name_like(word: str, *, first: bool, names: NameBook) -> bool:
    bare = word.strip(".,:;'’")
    if not bare or bare.lower() in STOP:
        return False
    if any(ch.isdigit() for ch in bare):
        return any(ch.isalpha() for ch in bare)  # "GPT-5", "o3"; a bare number is no name
    if any(ch.isupper() for ch in bare[1:]):
        return True  # "DeepSeek", "iPhone", "GPT"
    if bare[0].isupper():
        if bare.lower() in COMMON_CAPITALS or len(bare) <= 2:
            return False
        # A headline's first word is capitalised anyway: a name only if the report knows it.
        return not first or bare in names.report_words
    return False
