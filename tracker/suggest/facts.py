"""The news of an article as a :class:`~tracker.types.Fact`: who did what, to what, when.

The sentence that states the news is found by what news writing does
(:mod:`tracker.suggest.key_sentence`). From the headline and that sentence come the
actor (a known lab, company, person or body, else the headline's subject), the object (the product,
model or paper: a name with a version number first), the kind of event
(release, open-source, ranking, funding, acquisition, award, regulation,
lawsuit, price, paper, milestone, rename), the date the article gives for the event
(else its publication date) and the key figures.

Pure and deterministic; no model, no I/O. It does not decide whether the news
is new to the report (:mod:`tracker.suggest.novelty`) or how to word it
(:mod:`tracker.suggest.phrasing`).
"""

from __future__ import annotations

import re

from tracker.figures import figures_in
from tracker.glossary import FIELD_GLOSSARY
from tracker.suggest.event_dates import event_date
from tracker.suggest.events import event_kind
from tracker.suggest.key_sentence import key_sentence, one_line, without_masthead
from tracker.suggest.name_runs import (
    COMMON_CAPITALS,
    NOT_A_THING,
    name_runs,
    product_names,
)
from tracker.suggest.names import Found, NameBook
from tracker.suggest.naming import product_instead
from tracker.textutil import split_sentences
from tracker.types import Article, Fact

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LONGEST_SENTENCE = 1000  # characters; news sentences run to a few hundred


_VERB_STARTS = re.compile(
    r"^(?:releas|launch|unveil|introduc|announc|ship|roll|debut|open|raise|acquir|buy|win|top"
    r"|rank|sue|ban|pass|cut|hit|reach|beat|surpass|publish|find|show|say|add|make|bring|let"
    r"|get|take|expand|update|upgrade|double|join|stop|end|drop|retir|fold|hand|donat)",
    re.IGNORECASE,
)
# Glossary concepts that are things news can be about (not activities or qualities).
_THING_TERMS = frozenset(
    ("推理模型", "编码智能体", "图像模型", "大语言模型", "智能体", "稀疏自编码器", "命令行")
)
_LAUNCHED = re.compile(
    r"\b(?:launches|releases|unveils|introduces|ships|debuts|open-sources|rolls out)\s+"
    r"(?:its\s+|a\s+|an\s+|the\s+)?([a-z][\w.-]*(?:\s[a-z][\w.-]*){0,2}?)"
    r"(?=,|:|\s+(?:to|for|with|that|in|on|as)\b|$)"
)
_QUOTED = re.compile(r"[“\"《「『]([^”\"》」』]{2,40})[”\"》」』]")


def key_fact(article: Article, names: NameBook, *, evidence: str = "") -> Fact:
    """The article's news. ``evidence`` (the sentence the matcher found closest to the
    report section) only breaks ties between equally good sentences."""
    title = one_line(article.title)
    body = without_masthead(article.text, title)
    sentences = [s for s in split_sentences(body) if one_line(s) != title][:12]
    sentence = key_sentence(title, sentences, names, article, evidence) if sentences else title
    # A "sentence" longer than any sentence (a page without sentence ends) is cut: every
    # rule after this reads it several times over.
    sentence = sentence[:_LONGEST_SENTENCE]
    actor = _actor(title, sentence, names)
    thing = _object(title, sentence, names, actor)
    if _RELEASED_IT.search(sentence) and not product_names(title, names, actor):
        # "Anthropic then released it …": the product the story named before.
        thing = _named_before(sentence, sentences, names, actor) or thing
    updated = _UPDATE.search(title) is not None
    thing = _specific_member(thing, [sentence, *sentences[:3]], names, updated=updated)
    maker = names.maker_of(thing) if thing else None
    if maker is not None and (
        not actor
        or names.lookup(actor) is None
        # A model is released by its maker, not by the headline's other company
        # ("R1让英伟达蒸发6000亿美元") nor by a cloud that hosts it.
        or (
            event_kind(title, sentence) in ("release", "open-source")
            and names.lookup(actor) != maker
            # …unless the text has the actor itself release it ("Microsoft releases …").
            and not any(_releases(actor, text) for text in (title, sentence))
        )
    ):
        actor = maker.english[0]  # "Qwen3.5 tops …": the maker, not the headline's subject
    # The headline saying whose the thing is outranks the name book's maker: a
    # subsidiary's product or a namesake ("GitHub's Copilot coding agent").
    actor = _possessor(title, thing, names) or actor
    if actor and re.fullmatch(r"[A-Z]\d+(?:\.\d+)*\w*", thing):
        thing = f"{actor} {thing}"  # "DeepSeek releases V3.2": the model is "DeepSeek V3.2"
    elif actor and re.fullmatch(r"[A-Z][a-z]+", thing) and f"{actor} {thing}" in body:
        thing = f"{actor} {thing}"  # "推出…Max订阅" of "Perplexity Max": the text's full name
    event = event_kind(title, sentence)
    if event in _DOER_VERBS and event_kind(sentence) == event:
        actor, thing = _doer_and_done(_DOER_VERBS[event], title, sentence, names, actor, thing)
    if event == "funding":
        actor = _funded(title, sentence, names) or actor
    # A figure that is part of the thing's name ("Max 20x") is no figure of the news.
    figures = [
        f for f in figures_in(sentence) if f.kind not in ("date", "plain") and f.text not in thing
    ]
    if not figures:
        figures = [
            f for f in figures_in(title) if f.kind not in ("date", "plain") and f.text not in thing
        ]
    return Fact(
        actor=actor,
        event=event,
        object=thing,
        date=event_date(article, [sentence, *sentences[:3]]),
        numbers=tuple(dict.fromkeys(f.text for f in figures)),
        sentence=one_line(sentence),
    )


# A release whose object is a pronoun: what is released was named before.
_RELEASED_IT = re.compile(
    r"\b(?:released|launched|shipped|introduced|unveiled|open-sourced|announced) (?:it|them)\b"
    r"|将(?:其|它)(?:发布|推出|开源)|(?:发布|推出|开源)了(?:它|其)",
    re.IGNORECASE,
)


def _named_before(sentence: str, sentences: list[str], names: NameBook, actor: str) -> str:
    """The first product named in the sentences before ``sentence`` (the story's subject)."""
    for earlier in sentences:
        if earlier == sentence:
            break
        found = product_names(earlier, names, actor)
        if found:
            return found[0]
    return ""


# A headline about an update of what it names ("更新R1", "a September update").
_UPDATE = re.compile(
    r"更新|升级|新版|版本"
    r"|\b(?:update[sd]?|upgrade[sd]?|refresh(?:es|ed)?|new version|checkpoint)\b",
    re.IGNORECASE,
)


def _releases(actor: str, text: str) -> bool:
    """``actor`` is the subject of a release verb in ``text`` ("Microsoft releases",
    "英伟达发布")."""
    pattern = re.escape(actor) + r"(?:['’]s)?\s*(?:\w+\s+)?(?:" + _RELEASE_VERB.pattern + ")"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _specific_member(thing: str, texts: list[str], names: NameBook, *, updated: bool) -> str:
    """The text's fuller name for ``thing`` when the headline tells of an update and the
    text's name adds a version or date of its own ("更新R1" is DeepSeek-R1-0528; "Kimi K2's
    context in a September update" is Kimi-K2-Instruct-0905: a new checkpoint, not the
    model the report names); otherwise a fuller name is the same model's full id, and the
    news is of the model. Also its maker's spelling of a bare model name ("R1" →
    "DeepSeek R1")."""
    if not thing:
        return thing
    wanted = set(_name_tokens(thing))
    bare = re.fullmatch(r"[A-Z]\d+(?:\.\d+)*\w*", thing) is not None
    for text in texts:
        for run in product_names(text, names):
            tokens = _name_tokens(run)
            extra = [t for t in tokens if t not in wanted]
            if not wanted <= set(tokens) or not extra:
                continue
            if updated and any(ch.isdigit() for t in extra for ch in t):
                return run
            if bare and names.maker_of(run) is not None and run.endswith(thing):
                return run
    return thing


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s_-]+", name.lower()) if t]


# ----------------------------------------------------------------- actor and object


def _possessor(title: str, thing: str, names: NameBook) -> str:
    """Whose the headline says ``thing`` is: "GitHub's Copilot …", "星河科技的Copilot…"
    (a Chinese possessor only opening the headline, where it is one name). A product
    or version is no possessor ("Kimi K2's context" is the model's, not a maker's)."""
    if not thing:
        return ""
    latin = re.search(
        r"(?<![\w.])([A-Z][\w.&-]*(?: [A-Z][\w.&-]*){0,2})['’]s " + re.escape(thing), title
    )
    chinese = re.match(r"^([\u4e00-\u9fffA-Za-z]{2,8}?)的" + re.escape(thing), title)
    said = latin or chinese
    found = said.group(1) if said is not None else ""
    if not found or re.search(r"\d", found) or names.maker_of(found) is not None:
        return ""
    return found


def _actor(title: str, sentence: str, names: NameBook) -> str:
    for text in (title, sentence):
        actors = [f for f in names.find(text) if f.name.kind in ("org", "person", "body")]
        if actors and not _led_by_strangers_product(text, actors[0], names):
            return actors[0].form
    # An unknown organisation: the headline's subject, the name before its verb.
    words = title.split()
    for i, word in enumerate(words[1:4], start=1):
        if _VERB_STARTS.match(word):
            # Without a possessive or colon ("Anthropic's", "Databricks:"); rstrip of a
            # character set would cut the s of "Analysis".
            subject = re.sub(r"(?:['’]s)?:?$", "", " ".join(words[:i])).strip()
            # A versioned name or a known maker's product is what the news is about, not
            # who did it ("GPT-5.1 lets ChatGPT decide …").
            product = bool(re.search(r"\d", subject)) or names.maker_of(subject) is not None
            if subject and subject.split()[0].lower() not in COMMON_CAPITALS and not product:
                return subject
            break
    # A Chinese headline's doer opens it; when what opens it ends in an adverb ("万亿参数
    # 也开源：蚂蚁百灵发布…"), it is a subject phrase, and the doer opens a later clause.
    for clause in re.split(r"[：:，,｜|！!？?\s]+", title):
        match = re.match(
            r"^([\u4e00-\u9fff]{2,8}?)(?:发布|推出|宣布|开源|完成|获得|收购|起诉)", clause
        )
        if match is None or not _ADVERB_END.search(match.group(1)):
            return match.group(1) if match else ""
    return ""


_ADVERB_END = re.compile(r"(?:也|都|又|再|将|已|还|才|就|正式|终于|再次|首次|率先|同时|今日|今天)$")


def _led_by_strangers_product(text: str, first_actor: Found, names: NameBook) -> bool:
    """The text's subject is a product named before any actor, made by someone else
    ("FLUX.3登顶…，谷歌Nano Banana Pro跌至第3名"): the actor named later is not the doer."""
    runs = [r for r in product_names(text, names) if re.search(r"\d", r)]
    if not runs:
        return False
    at = text.find(runs[0])
    maker = names.maker_of(runs[0])
    owner = names.affiliation(first_actor.name) or first_actor.name
    return 0 <= at < first_actor.start and maker != owner


# "the ChatGPT maker", "ChatGPT的开发商": a product named for its maker is not the thing.
_MAKER_OF = re.compile(
    r"(?:['’]s)?\s(?:maker|developer|creator|owner|parent)\b|(?:的)?(?:开发商|母公司|背后的公司)"
)


# An outlet doing its job ("IEEE Spectrum专访…", "《连线》报道"): it tells the news, it is
# not what the news is about.
_OUTLET_ACTS = re.compile(r"[》」]?\s*(?:专访|采访|报道|刊发|援引|独家|披露|撰文)")


# A person, by the role written before the name or the speech after it ("论文作者之一Megan
# Kinniment", "Boris Cherny表示"): who said it, not what the news is about.
_ROLE_BEFORE = re.compile(
    r"(?:作者|研究员|创始人|联合创始人|首席执行官|首席科学家|负责人|科学家|工程师|教授|之一|总裁|主管)\s*$"
)
_SPEECH_AFTER = re.compile(r"\s*(?:说|表示|称|认为|坦言|指出|透露)")


def _a_person(text: str, run: str) -> bool:
    at = text.find(run)
    if at < 0 or re.search(r"\d", run) or len(run.split()) != 2:
        return False
    return bool(
        _ROLE_BEFORE.search(text[max(0, at - 8) : at]) or _SPEECH_AFTER.match(text, at + len(run))
    )


_RENAMED = re.compile(
    r"\b(?:renam|rebrand)\w*\b.*?\b(?:to|as)\s+(?:the\s+)?|更名为|改名为|重命名为|正式命名为"
)


def _object(title: str, sentence: str, names: NameBook, actor: str) -> str:
    """The product, model or paper the news is about: the first name-like run of the
    headline (a run with a version number first), else of the key sentence."""
    for text in (title, sentence):
        # A product renamed is news of its new name ("renames X to Y", "X更名为Y").
        renamed = _RENAMED.search(text)
        if renamed:
            clause = re.split(r"[，。,;；(（]", text[renamed.end() :], maxsplit=1)[0]
            new_names = product_names(clause, names, actor)
            if new_names:
                return new_names[0]
        runs = _own_first(
            [
                r
                for r in name_runs(text, names, actor)
                if r
                and not NOT_A_THING.match(r)
                and not _MAKER_OF.match(text, text.find(r) + len(r))
                and not _OUTLET_ACTS.match(text, text.find(r) + len(r))
                and not _a_person(text, r)
            ],
            names,
            actor,
        )
        with_digits = [r for r in runs if any(ch.isdigit() for ch in r)]
        if not with_digits:
            # What a headline's release verb releases comes after it ("改进Strassen纪录：
            # DeepMind发布…AlphaEvolve"): that name before one it names in passing.
            runs = _released_first(text, runs)
        instead = product_instead(runs, name_runs(sentence, names, actor), names)
        if text is title and not with_digits and instead:
            return instead  # the key sentence's product, not a headline's stranger
        if with_digits or runs:
            return (with_digits or runs)[0]
        # A quoted term is the thing ("金门大桥"); a quoted figure or remark ("0%") is not.
        quoted = next(
            (
                m.group(1)
                for m in _QUOTED.finditer(text)
                if not figures_in(m.group(1))
                and len(m.group(1).split()) <= 4
                and not _OUTLET_ACTS.match(text, m.end())
            ),
            None,
        )
        if quoted:
            return quoted.strip()
        launched = _LAUNCHED.search(text) if text is title else None
        if launched and not field_term(launched.group(1)):
            # "OpenAI launches deep research, an agent …": what the headline launches.
            return launched.group(1).strip()
    # Nothing named: a kind of thing ("image model") is better than nothing.
    return field_term(title) or field_term(sentence)


_RELEASE_VERB = re.compile(
    r"发布|推出|开源|上线|\b(?:releases|released|launches|launched|unveils|unveiled"
    r"|introduces|introduced|open-sources|open-sourced|ships|shipped)\b",
    re.IGNORECASE,
)


def _released_first(text: str, runs: list[str]) -> list[str]:
    """The runs named after the text's first release verb first, in order."""
    verb = _RELEASE_VERB.search(text)
    if verb is None:
        return runs
    after = [r for r in runs if text.find(r, verb.end()) >= 0 and text.find(r) >= verb.start()]
    return after + [r for r in runs if r not in after]


def _own_first(runs: list[str], names: NameBook, actor: str) -> list[str]:
    """The actor's own products before a rival's it is measured against ("OpenAI answers
    Gemini 3 with GPT-5.2" is news of GPT-5.2): a name whose known maker is another
    organisation than the (known) actor goes last."""
    doer = names.lookup(actor) if actor else None
    if doer is None or any(run.lower().startswith(actor.lower()) for run in runs):
        return runs  # an actor read off a product's name ("MiniMax-M2.1") is no doer

    def rivals(run: str) -> bool:
        maker = names.maker_of(run)
        return maker is not None and maker != doer and names.affiliation(doer) != maker

    return sorted(runs, key=rivals)  # stable: the order of the text otherwise


def field_term(text: str) -> str:
    """The longest field-glossary term of ``text`` naming a kind of thing ("image
    model", "reasoning model"), for news about something the article does not name."""
    lowered = text.lower()
    found = [
        form
        for row in FIELD_GLOSSARY
        if row[0] in _THING_TERMS
        for form in row
        if not _CJK.search(form) and re.search(rf"\b{re.escape(form.lower())}\b", lowered)
    ]
    found += [row[0] for row in FIELD_GLOSSARY if row[0] in _THING_TERMS and row[0] in text]
    return max(found, key=len, default="")


# Who raises: the name just before "raises", "完成…融资", "获…融资" ("Goodfire获5000万美元
# A轮融资，Anthropic参投" is Goodfire's round, whoever invests).
_RAISES = re.compile(
    r"(?:宣布)?(?:完成|获得?)[^，。；]{0,24}?融资"
    r"|\b(?:raises|raised|secures|secured|closes|closed|lands|landed|nabs)\b",
    re.IGNORECASE,
)


def _funded(title: str, sentence: str, names: NameBook) -> str:
    for text in (title, sentence):
        verb = _RAISES.search(text)
        if verb is None:
            continue
        before = text[: verb.start()]
        known = [f for f in names.find(before) if f.name.kind == "org"]
        runs = name_runs(before, names, "")
        candidates = [(before.rfind(f.form), f.form) for f in known]
        candidates += [(before.rfind(r), r) for r in runs]
        if candidates:
            return max(candidates)[1]  # the name nearest the verb
    return ""


# Verbs whose subject and object are the news' actor and thing, whichever of them the
# name book knows: who buys what, who sues whom ("Getty Images sues Stability AI").
_DOER_VERBS = {
    "acquisition": re.compile(
        r"\b(?:acquires|acquired|to acquire|agrees to acquire|buys|bought|to buy)\b|收购|并购"
    ),
    "lawsuit": re.compile(r"\b(?:sues|sued|to sue|v\.|versus)\s|起诉|状告|诉(?!讼)"),
}


def _doer_and_done(
    verbs: re.Pattern[str], title: str, sentence: str, names: NameBook, actor: str, thing: str
) -> tuple[str, str]:
    """Who does it and to what: the name just before the verb and the last of its clause
    after it ("Salesforce宣布以80亿美元收购数据管理公司Informatica"), known to the name
    book or not. The actor and thing found otherwise stand when a text does not say both."""
    for text in (title, sentence):
        verb = verbs.search(text)
        if verb is None:
            continue
        before = [f.form for f in names.find(text[: verb.start()]) if f.name.kind == "org"]
        before += name_runs(text[: verb.start()], names, "")
        # What it buys ends its clause: "收购高性能JavaScript运行时Bun，…" buys Bun.
        clause = re.split(r"[，。,;；(（]", text[verb.end() :], maxsplit=1)[0]
        after = name_runs(clause, names, "")
        after += [f.form for f in names.find(clause) if f.name.kind == "org"]
        if before and after:
            # The buyer is the name nearest the verb; the bought, the last of its clause.
            last = max(before, key=lambda name: text.rfind(name, 0, verb.start()))
            bought = max(after, key=clause.rfind)
            return last, bought
    return actor, thing
