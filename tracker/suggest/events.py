"""The kind of news a text tells: release, ranking, funding, paper, price …

Each kind is a pattern of the words news uses for it in English and Chinese. They
are tried in a fixed order, so a text that names several ("raises $2B to reach
a $60B valuation") is the first kind (funding, before milestone). A launch named
only to date or describe something else ("上线一周后", "2025年发布的模型") is not
the news. Pure: no I/O.
"""

from __future__ import annotations

import re

# Kinds of news, tried in this order on the headline, then on the key sentence:
# the first that matches wins, so "raises $2B" is funding before it is a milestone.
EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("acquisition", r"\b(?:acquir\w*|buys|bought|takeover|to buy)\b|收购|并购"),
        (
            "funding",
            r"\b(?:rais(?:es|ed|ing)\s+\$|funding round|series [a-f]\b|valuation|valued at"
            r"|valu(?:es|ing) (?:the (?:company|startup|lab|firm)|it)\b[^.]{0,30}? at \$"
            r"|(?:share|stock|secondary) sale|tender offer)"
            r"|融资|估值|老股(?:出售|转让)",
        ),
        ("lawsuit", r"\b(?:sues|sued|lawsuit|court|judge|ruling|litigation)\b|起诉|诉讼|法院|判决"),
        (
            "market",
            r"\bmarket (?:value|cap\w*)\b|\bshares? (?:fell|fall|drop\w*|plunge\w*|rose|jump\w*)"
            # A share of a market or of its traffic: "ChatGPT's share of chatbot traffic".
            r"|\b(?:market share|share of (?:the )?[\w -]{0,30}?(?:market|traffic|usage|visits))\b"
            r"|市值|股价|市场份额|市占率",
        ),
        (
            "regulation",
            r"\b(?:regulat\w+|legislat\w+|executive order|ban|bans|banned|law|AI Act)\b"
            r"|监管|法案|法规|禁令|条例|立法",
        ),
        (
            "award",
            # "won strong reviews" is no award: a win is of a prize, a medal, a contest.
            r"\b(?:wins?|won|earn(?:s|ed)?)\b(?=[^.;]{0,40}\b(?:awards?|prize|medal|gold|silver|bronze|title"
            r"|championship|competition|contest|olympiad|place|finals?)\b)"
            r"|\b(?:awards?|awarded|prize|medal)\b|获奖|金牌|奖项",
        ),
        ("rename", r"\b(?:renam\w+|rebrand\w*)\b|更名|改名|重命名"),
        (
            "ranking",
            r"\b(?:tops|topped|top spot|ranks?|ranked|leaderboard|number one"
            r"|(?:first|second|third|fourth|fifth|\d+(?:st|nd|rd|th)) place|ranking"
            r"|overtak\w+|top (?:five|ten|\d+)|off the top|(?:at|to) the top of)\b"
            # A score on a benchmark is a benchmark result: "scored 75.7%", "得分44.4%".
            r"|\bscor(?:es|ed)\s+(?:of\s+|about\s+|over\s+)?\d|\bscore of \d|得分\s*\d"
            r"|\bNo\.\s?1\b|#\s?1\b|排名|榜首|登顶|排行榜|位列|榜单|标杆|领先",
        ),
        (
            "open-source",
            r"\bopen[- ](?:sourc\w+|weights?)\b|\b(?:releases?|opens?) (?:up )?(?:the )?weights\b"
            r"|开源",
        ),
        ("price", r"\b(?:price[sd]?|pricing|per month|a month|/month)\b|价格|定价|降价|涨价|/月"),
        (
            "paper",
            r"\b(?:paper|study|researchers?|preprint|arxiv|survey|report finds)\b"
            r"|\b(?:finds|found) that\b|\bmeasur(?:ed|es|ements?)\b|论文|测量|测算|测评"
            r"|研究(?:发现|表明|显示|人员|团队|成果)",
        ),
        (
            "feature",
            r"\b(?:can now|now lets|now supports|now offers|adds|added|gets|gains(?! ground)"
            r"|new feature)\b|新增|新功能|功能",
        ),
        (
            "release",
            r"\b(?:releas\w+|launch\w*|unveil\w*|introduc\w+|announc\w+|debut\w*|ships|shipped"
            r"|rolls? out|rolled out|makes? available|now available|generally available"
            r"|general availability|switch(?:es|ed)? on)\b|发布|推出|上线|亮相|正式开放|全面开放",
        ),
        (
            "milestone",
            r"\b(?:reach\w*|hits?|surpass\w*|milestone|revenue|run-rate|users|doubl\w+)\b"
            r"|达到|突破|里程碑|营收|收入|用户数|用户量|翻倍|[\d万亿][^，。；\d]{0,3}用户",
        ),
    )
)


# A launch named only to date something else ("上线一周后", "a week after its launch",
# "since launch") or to describe it ("2026年初发布的模型", "models released in 2025") is
# not the news.
_SINCE_LAUNCH = re.compile(
    r"(?:上线|发布|推出)(?:[一两三四五六七八九十百\d]+(?:天|日|周|个月|月|年))?(?:之?后|以来)"
    r"|(?:上线|发布|推出)的"
    r"|\b(?:since|after|following) (?:its |the |their )?(?:launch|release|debut)\b"
    r"|\b(?:models?|systems?) (?:recently |newly )?released (?:in|by|since|before|last)\b",
    re.IGNORECASE,
)


def event_kind(*texts: str) -> str:
    """The kind of news the first text that names one describes (``"other"`` if none)."""
    for text in texts:
        text = _SINCE_LAUNCH.sub(" ", text)
        for kind, pattern in EVENTS:
            if pattern.search(text):
                return kind
    return "other"
