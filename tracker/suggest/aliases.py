"""Other names an article gives the thing its news is about.

News often names a product by one name and says in passing what else it is
called: a model id and its brand ("gemini-3-pro-image-preview, which Google
markets as Nano Banana Pro"), a nickname ("GPT-5 Thinking …, which he
nicknames his "Research Goblin""), a code name in brackets ("Gemini 2.5 Flash
Image（代号nano-banana）"). The report may use any of them, so whether it
already states the news is asked of every one.

Only constructions anchored on the thing itself are read: an apposition or a
bracket right after it, or a nickname clause right before it. Pure: no I/O.
"""

from __future__ import annotations

import re

# A name as news writes it: words with capitals or digits, or a lower-case id with
# hyphens ("gemini-3-pro-image-preview"), up to five words. Latin letters only, not \w:
# \w takes CJK too, and "代号nano-banana的模型" would make "nano-banana的模型" the name.
_NAME = (
    r"(?<![A-Za-z0-9.-])(?:[a-z]*[A-Z0-9][A-Za-z0-9_.+-]*|[a-z0-9]+(?:-[A-Za-z0-9_.+]+)+)"
    r"(?: [A-Z0-9][A-Za-z0-9_.+-]*){0,4}"
)
# A word of English between "which" and its verb ("which Google markets as").
_WORD = r"[A-Za-z0-9_]+"
_QUOTE_OPEN = r"[\"“「『]?"
_QUOTE_CLOSE = r"[\"”」』]?"
_CALLS = r"(?:markets?|sells?|brands?|calls?|names?|nicknames?|dubs?|bills?|refers to)"
_POSSESSIVE = r"(?:(?:it|his|her|their|its)\s+)?"
_KNOWN_AS = (
    r"(?:also |better |widely |now |publicly )?"
    r"(?:known|marketed|sold|branded|nicknamed|dubbed|code-?named|released) as"
)
_ZH_ALIAS = r"(?:又称|又名|俗称|代号|昵称|外号|即|正式名称?为?|后正式命名为|正式命名为)"


def _after(thing: str) -> list[re.Pattern[str]]:
    """Constructions that name the thing first and its other name after it."""
    anchor = re.escape(thing)
    return [
        re.compile(
            anchor + rf"(?: in [A-Z][A-Za-z0-9_.-]*)?,? which (?:{_WORD} ){{0,3}}{_CALLS} (?:as )?"
            rf"{_POSSESSIVE}{_QUOTE_OPEN}(?P<alias>{_NAME}){_QUOTE_CLOSE}"
        ),
        re.compile(anchor + rf",? {_KNOWN_AS} {_QUOTE_OPEN}(?P<alias>{_NAME}){_QUOTE_CLOSE}"),
        re.compile(
            anchor + r" \((?:aka |also known as |code-?named |officially |formerly )?"
            rf"{_QUOTE_OPEN}(?P<alias>{_NAME}){_QUOTE_CLOSE}\)"
        ),
        re.compile(
            anchor + rf"[（(]{_ZH_ALIAS}?{_QUOTE_OPEN}(?P<alias>{_NAME}){_QUOTE_CLOSE}[）)]"
        ),
        re.compile(anchor + rf"[，,]?{_ZH_ALIAS}{_QUOTE_OPEN}(?P<alias>{_NAME}){_QUOTE_CLOSE}"),
    ]


def _before(thing: str) -> list[re.Pattern[str]]:
    """Constructions that name the other name first and the thing after it."""
    anchor = re.escape(thing)
    return [
        # "GPT-5 Thinking in ChatGPT, which he nicknames his "Research Goblin""
        re.compile(
            rf"(?P<alias>{_NAME})(?: in [A-Z][A-Za-z0-9_.-]*)?,? which (?:{_WORD} ){{0,3}}{_CALLS} "
            rf"(?:as )?{_POSSESSIVE}{_QUOTE_OPEN}{anchor}"
        ),
        re.compile(rf"(?P<alias>{_NAME}),? {_KNOWN_AS} {_QUOTE_OPEN}{anchor}"),
        re.compile(rf"(?P<alias>{_NAME})[（(]{_ZH_ALIAS}?{_QUOTE_OPEN}{anchor}{_QUOTE_CLOSE}[）)]"),
    ]


def aliases_of(thing: str, text: str) -> tuple[str, ...]:
    """Other names ``text`` gives ``thing``, in order of appearance, without repeats."""
    if not thing or thing not in text:
        return ()
    found: list[tuple[int, str]] = []
    for pattern in (*_after(thing), *_before(thing)):
        for match in pattern.finditer(text):
            alias = match.group("alias").strip(" .,:;")
            if alias and alias.lower() != thing.lower() and re.search(r"[A-Za-z]", alias):
                found.append((match.start("alias"), alias))
    return tuple(dict.fromkeys(alias for _, alias in sorted(found)))
