"""tracker.notify: composing, building and delivering the digest e-mail.

Delivery is tested against a real aiosmtpd server on 127.0.0.1 (plain, AUTH,
STARTTLS and implicit TLS with a CA made by trustme), never a mocked smtplib.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from tracker.config import SmtpConfig
from tracker.errors import NotifyError, PermanentNotifyError
from tracker.notify.compose import (
    ReportOutline,
    compose_digest,
    display_text,
    one_line,
    period_label,
    section_label,
)
from tracker.notify.message import build_message
from tracker.notify.outbox import write_outbox
from tracker.notify.render import render_digest
from tracker.notify.smtp import send_message
from tracker.types import Suggestion, SuggestionKind

NOW = datetime(2025, 11, 29, 0, 0, tzinfo=UTC)
START = NOW - timedelta(days=7)
TZ = ZoneInfo("Asia/Shanghai")
TITLE = "2024-2025年人工智能领域主要进展调研报告"
OUTLINE = ReportOutline(
    id="ai",
    title=TITLE,
    sections=(("x1", "摘要"), ("2", "二、大语言模型推理能力的突破"), ("2.1", "2.1 推理模型的兴起"),
              ("3.2", "3.2 编码智能体的崛起"), ("10", "十、附录")),
    language="zh",
    references=(("https://cited.example.org/one", 1), ("https://cited.example.org/four", 4)),
)  # fmt: skip
ENGLISH = ReportOutline(
    id="open",
    title="Open Models in 2025: A Field Report",
    sections=(("x1", "Executive Summary"), ("1", "1. Introduction"), ("2.1", "Notable models")),
    language="en",
)


def suggestion(ident: int, section: str, title: str, **changes: Any) -> Suggestion:
    base = Suggestion(
        report="ai",
        section=section,
        section_title=dict(OUTLINE.sections).get(section, f"Section {section}"),
        kind=SuggestionKind.ADDITION,
        score=0.5,
        title=title,
        url=f"https://news.example.org/{ident}",
        published=NOW - timedelta(days=2),
        source="Example News",
        excerpt=f"Excerpt of item {ident}.",
        proposed_text=f"在{section}节补充：item {ident}。",
        created_at=NOW - timedelta(days=1),
        id=ident,
    )
    return replace(base, **changes)


# --------------------------------------------------------------------------
# A real SMTP server on 127.0.0.1


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    def parse(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler: answers DATA with the queued replies first, then accepts."""

    replies: list[str] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    data_commands: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.replies:
            return self.replies.pop(0)
        auth = session.auth_data if session.authenticated else None
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login)
        )
        return "250 OK: queued"


USER, PASSWORD = "tracker", "s3cret pass"


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    # handled=False: aiosmtpd then sends the 535 reply itself on failure.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    handler: Recorder
    port: int
    client_context: ssl.SSLContext | None = None

    def settings(self, **changes: Any) -> SmtpConfig:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "timeout": 5,
            "retries": 2,
            "retry_backoff": 0.01,
        }
        values.update(changes)
        return SmtpConfig(**values)


def start_server(handler: Recorder, **kwargs: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_contexts(ca: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.fixture
def plain_server() -> Iterator[Server]:
    handler = Recorder()
    controller, port = start_server(handler)
    yield Server(handler, port)
    controller.stop()


@pytest.fixture
def auth_server() -> Iterator[Server]:
    """Plain-text AUTH, for security: none."""
    handler = Recorder()
    controller, port = start_server(handler, authenticator=authenticator, auth_require_tls=False)
    yield Server(handler, port)
    controller.stop()


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[Server]:
    server_context, client_context = tls_contexts(ca)
    handler = Recorder()
    controller, port = start_server(
        handler,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    yield Server(handler, port, client_context)
    controller.stop()


@pytest.fixture
def ssl_server(ca: trustme.CA) -> Iterator[Server]:
    server_context, client_context = tls_contexts(ca)
    handler = Recorder()
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the start.
    controller, port = start_server(
        handler, ssl_context=server_context, authenticator=authenticator, auth_require_tls=False
    )
    yield Server(handler, port, client_context)
    controller.stop()


def sample_message(recipients: tuple[str, ...] = ("editor@example.org",)) -> EmailMessage:
    data = compose_digest(
        [suggestion(1, "2.1", "OpenAI ships o5")],
        [OUTLINE],
        period_start=START,
        period_end=NOW,
        timezone=TZ,
    )
    rendered = render_digest(data)
    return build_message(
        subject=data.subject,
        text=rendered.text,
        html=rendered.html,
        sender="tracker@example.org",
        recipients=recipients,
        now=NOW,
    )


# --------------------------------------------------------------------------
# compose


def test_groups_by_section_in_report_order_not_by_id_or_score() -> None:
    items = [
        suggestion(1, "3.2", "Coding agents", score=0.9),
        suggestion(2, "2.1", "Reasoning A", score=0.4),
        suggestion(3, "99", "Unknown section"),
        suggestion(4, "2.1", "Reasoning B", score=0.8),
        suggestion(5, "x1", "Abstract"),
        suggestion(6, "10", "Appendix"),
    ]
    data = compose_digest(items, [OUTLINE], period_start=START, period_end=NOW, timezone=TZ)
    (report,) = data.reports
    outline_ids = [sid for sid, _ in OUTLINE.sections]
    known = [g.id for g in report.groups if g.id in outline_ids]
    assert known == sorted(known, key=outline_ids.index)
    assert report.groups[-1].id == "99"  # sections the report does not know come last
    two_one = next(g for g in report.groups if g.id == "2.1")
    assert [i.title for i in two_one.items] == ["Reasoning B", "Reasoning A"]  # best first
    assert two_one.title == dict(OUTLINE.sections)["2.1"]
    assert data.additions == len(items)


def test_cited_changes_are_listed_apart_and_counted() -> None:
    items = [
        suggestion(1, "2.1", "Addition"),
        suggestion(2, "2.1", "Cited page rewritten", kind=SuggestionKind.SOURCE_CHANGED),
        suggestion(3, "3.2", "Cited page gone", kind=SuggestionKind.SOURCE_GONE),
    ]
    data = compose_digest(items, [OUTLINE], period_start=START, period_end=NOW, timezone=TZ)
    (report,) = data.reports
    assert [i.id for g in report.groups for i in g.items] == [1]
    assert {i.id for i in report.cited} == {2, 3}
    assert (data.additions, data.changed, data.gone, data.total) == (1, 1, 1, 3)
    text = render_digest(data).text
    assert text.index("Addition") < text.index("引用来源变化") < text.index("Cited page rewritten")
    assert text.rstrip().endswith(data.summary)


def test_subject_counts_titles_and_dates() -> None:
    one = compose_digest(
        [suggestion(1, "2.1", "A")], [OUTLINE], period_start=START, period_end=NOW, timezone=UTC
    )
    assert one.subject == f"[tracker] 1 条修改建议 · {TITLE} · 11月22日–29日"
    seven = compose_digest(
        [suggestion(i, "2.1", f"T{i}") for i in range(1, 8)],
        [OUTLINE],
        period_start=START,
        period_end=NOW,
        timezone=UTC,
    )
    assert seven.subject == f"[tracker] 7 条修改建议 · {TITLE} · 11月22日–29日"


def test_subject_and_wording_of_an_english_report() -> None:
    items = [suggestion(i, "2.1", f"T{i}", report="open") for i in range(1, 8)]
    data = compose_digest(items, [ENGLISH], period_start=START, period_end=NOW, timezone=UTC)
    assert data.subject == f"[tracker] 7 suggested edits · {ENGLISH.title} · 22–29 Nov"
    one = compose_digest(items[:1], [ENGLISH], period_start=START, period_end=NOW, timezone=UTC)
    assert one.subject == f"[tracker] 1 suggested edit · {ENGLISH.title} · 22–29 Nov"
    rendered = render_digest(data)
    for body in (rendered.text, rendered.html):
        assert "Proposed text" in body and "Accept" in body and "Reject" in body
        assert "7 items" in body
        for chinese in ("建议修改", "采纳", "拒绝", "条", "月"):
            assert chinese not in body
    assert rendered.text.rstrip().endswith(
        "22–29 Nov: 7 suggested additions in 1 section of 1 report, 0 cited sources changed, "
        "0 gone."
    )
    assert 'lang="en"' in rendered.html


def test_chinese_report_wording() -> None:
    data = compose_digest(
        [suggestion(1, "2.1", "A"), suggestion(2, "3.2", "B", kind=SuggestionKind.SOURCE_GONE)],
        [OUTLINE],
        period_start=START,
        period_end=NOW,
        timezone=UTC,
    )
    rendered = render_digest(data)
    for body in (rendered.text, rendered.html):
        for label in ("建议修改", "采纳", "拒绝", "引用来源变化", "来源失效", "2 条"):
            assert label in body
        for english in ("Proposed text", "Accept", "Reject", "Cited sources", "items"):
            assert english not in body
    assert "2 条修改建议 · 11月22日–29日" in rendered.html
    assert rendered.text.startswith("tracker · 修改建议 · 11月22日–29日")
    assert data.summary == (
        "11月22日–29日：1 份报告的 1 个章节共有 1 条新增建议；0 个引用来源内容有变化，1 个已失效。"
    )
    # Dates of items in Chinese form.
    published = (NOW - timedelta(days=2)).date()
    assert f"{published.year}年{published.month}月{published.day}日" in rendered.text


def test_several_reports_share_the_first_reports_language() -> None:
    items = [
        suggestion(1, "2.1", "Chinese item"),
        suggestion(2, "x1", "English item", report="open"),
    ]
    data = compose_digest(
        items, [OUTLINE, ENGLISH], period_start=START, period_end=NOW, timezone=UTC
    )
    assert data.subject == f"[tracker] 2 条修改建议 · {TITLE} 等 2 份报告 · 11月22日–29日"
    text = render_digest(data).text
    chinese_block, english_block = text.split(ENGLISH.title)
    assert "建议修改" in chinese_block and "Proposed text" not in chinese_block
    assert "Proposed text" in english_block and "建议修改" not in english_block
    assert english_block.rstrip().endswith(data.summary) and "份报告" in data.summary
    flipped = compose_digest(
        items, [ENGLISH, OUTLINE], period_start=START, period_end=NOW, timezone=UTC
    )
    assert flipped.subject == f"[tracker] 2 suggested edits · {ENGLISH.title} +1 report · 22–29 Nov"


@pytest.mark.parametrize(
    ("section_id", "title", "label"),
    [
        ("3.2", "3.2 编码智能体的崛起", "3.2 编码智能体的崛起"),
        ("1", "一、引言", "一、引言"),
        ("2", "II. Releases", "II. Releases"),
        ("2.1", "Notable models", "2.1 Notable models"),
        ("x1", "摘要", "摘要"),
        ("references", "参考文献", "参考文献"),
        ("references", "References", "References"),
        ("7", "", "7"),
    ],
)
def test_section_label(section_id: str, title: str, label: str) -> None:
    assert section_label(section_id, title) == label


def test_section_labels_are_shown_once_and_the_reference_list_comes_last() -> None:
    items = [
        suggestion(1, "references", "Gone page", kind=SuggestionKind.SOURCE_GONE,
                   section_title="参考文献", url="https://cited.example.org/four"),
        suggestion(2, "2", "Changed page", kind=SuggestionKind.SOURCE_CHANGED,
                   url="https://cited.example.org/one"),
        suggestion(3, "x1", "Abstract news"),
        suggestion(4, "99", "Unknown section", kind=SuggestionKind.SOURCE_CHANGED),
    ]  # fmt: skip
    data = compose_digest(items, [OUTLINE], period_start=START, period_end=NOW, timezone=UTC)
    (report,) = data.reports
    assert [i.id for i in report.cited] == [2, 4, 1]  # report order, the reference list last
    assert [i.section_label for i in report.cited] == [
        dict(OUTLINE.sections)["2"],
        "99 Section 99",
        "参考文献",
    ]
    rendered = render_digest(data)
    for body in (rendered.text, rendered.html):
        assert "§ 摘要" in body and "§ x1" not in body
        assert "§ 参考文献" in body and "§ references" not in body
        assert f"§ {dict(OUTLINE.sections)['2']}" in body and "§ 2 二、" not in body


def test_cited_items_name_their_reference_and_url() -> None:
    items = [
        suggestion(1, "2.1", "Cited one", kind=SuggestionKind.SOURCE_CHANGED,
                   url="https://cited.example.org/one", source="cited.example.org",
                   published=None),
        suggestion(2, "3.2", "Cited elsewhere", kind=SuggestionKind.SOURCE_GONE,
                   url="https://unlisted.example.org/x", source="", published=None),
    ]  # fmt: skip
    data = compose_digest(items, [OUTLINE], period_start=START, period_end=NOW, timezone=UTC)
    number = dict(OUTLINE.references)["https://cited.example.org/one"]
    rendered = render_digest(data)
    assert f"参考文献 [{number}] · https://cited.example.org/one" in rendered.text
    assert f"参考文献 [{number}] · " in rendered.html
    assert ">https://cited.example.org/one</a>" in rendered.html
    # Not in the reference list the digest knows: the host stays as a hint beside the URL.
    assert "unlisted.example.org · https://unlisted.example.org/x" in rendered.text


def test_proposed_text_is_shown_without_list_markers_and_stored_text_is_untouched() -> None:
    stored = "- 2025-11-27，Example News 报道：“item”\n  - 新增：“a”\n* second"
    item = suggestion(1, "2.1", "A", proposed_text=stored)
    data = compose_digest([item], [OUTLINE], period_start=START, period_end=NOW, timezone=UTC)
    (shown,) = data.reports[0].groups[0].items
    assert shown.proposed_text == "2025-11-27，Example News 报道：“item”\n新增：“a”\nsecond"
    assert display_text("4. Vellum. (2025). Title. https://x.example") == (
        "4. Vellum. (2025). Title. https://x.example"  # a numbered reference keeps its number
    )
    assert item.proposed_text == stored
    text = render_digest(data).text
    assert "- 2025-11-27" not in text and "2025-11-27，Example News" in text


def test_subject_never_carries_line_breaks_from_a_report_title() -> None:
    outline = replace(OUTLINE, title="Evil\r\nBcc: victim@example.org")
    data = compose_digest(
        [suggestion(1, "2.1", "A")], [outline], period_start=START, period_end=NOW, timezone=UTC
    )
    assert "\r" not in data.subject and "\n" not in data.subject
    assert "Evil Bcc: victim@example.org" in data.subject


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime(2025, 11, 22, 1, tzinfo=UTC), datetime(2025, 11, 29, 1, tzinfo=UTC),
         "11月22日–29日"),
        (datetime(2025, 11, 28, tzinfo=UTC), datetime(2025, 12, 5, tzinfo=UTC), "11月28日–12月5日"),
        (datetime(2025, 12, 29, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC),
         "2025年12月29日–2026年1月5日"),
        (datetime(2025, 11, 29, 1, tzinfo=UTC), datetime(2025, 11, 29, 9, tzinfo=UTC), "11月29日"),
    ],
)  # fmt: skip
def test_period_label_in_chinese(start: datetime, end: datetime, label: str) -> None:
    assert period_label(start, end, UTC, "zh-CN") == label


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime(2025, 11, 22, 1, tzinfo=UTC), datetime(2025, 11, 29, 1, tzinfo=UTC), "22–29 Nov"),
        (datetime(2025, 11, 28, tzinfo=UTC), datetime(2025, 12, 5, tzinfo=UTC), "28 Nov – 5 Dec"),
        (
            datetime(2025, 12, 29, tzinfo=UTC),
            datetime(2026, 1, 5, tzinfo=UTC),
            "29 Dec 2025 – 5 Jan 2026",
        ),
        (datetime(2025, 11, 29, 1, tzinfo=UTC), datetime(2025, 11, 29, 9, tzinfo=UTC), "29 Nov"),
    ],
)
def test_period_label(start: datetime, end: datetime, label: str) -> None:
    assert period_label(start, end, UTC) == label


def test_period_label_uses_the_digest_time_zone() -> None:
    # 20:00 UTC on the 28th is already the 29th in Shanghai.
    start = datetime(2025, 11, 21, 20, tzinfo=UTC)
    assert period_label(start, start + timedelta(days=7), TZ) == "22–29 Nov"


def test_html_escapes_feed_text_and_drops_unsafe_links() -> None:
    evil = suggestion(
        1,
        "2.1",
        "<script>alert(1)</script> & co",
        url="javascript:alert(2)",
        excerpt='"><img src=x onerror=alert(3)>',
        source="<b>Feed</b>",
    )
    html = render_digest(
        compose_digest([evil], [OUTLINE], period_start=START, period_end=NOW, timezone=TZ)
    ).html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
    assert "<b>Feed</b>" not in html
    assert "javascript:" not in html


def test_actions_and_links() -> None:
    data = compose_digest(
        [suggestion(42, "2.1", "A")],
        [OUTLINE],
        period_start=START,
        period_end=NOW,
        timezone=TZ,
        base_url="https://tracker.example.org/",
    )
    rendered = render_digest(data)
    for body in (rendered.text, rendered.html):
        assert "tracker accept 42" in body and "tracker reject 42" in body
        assert "https://tracker.example.org/suggestions/42" in body
    without = render_digest(
        compose_digest(
            [suggestion(42, "2.1", "A")], [OUTLINE], period_start=START, period_end=NOW, timezone=TZ
        )
    )
    assert "/suggestions/42" not in without.text + without.html


def test_one_line_removes_every_kind_of_break() -> None:
    assert one_line("a\r\nb\u2028c\x85d\te\x00f") == "a b c d e f"


@pytest.mark.parametrize(
    ("outline", "subject", "note"),
    [
        (OUTLINE, "[tracker] 本期无修改建议 · 11月22日–29日", "本期没有新内容"),
        (ENGLISH, "[tracker] no suggested edits · 22–29 Nov", "Nothing new"),
    ],
)
def test_empty_digest_is_a_short_note(outline: ReportOutline, subject: str, note: str) -> None:
    data = compose_digest([], [outline], period_start=START, period_end=NOW, timezone=TZ)
    assert data.empty and data.reports == ()
    assert data.subject == subject
    rendered = render_digest(data)
    assert note in rendered.text and note in rendered.html


ROW = "| 1 | GLM-4.7 | 智谱AI |"
SENTENCE = "Google推出Gemini 2.5和3.0系列，同样具备强大的推理能力[1]。"


def edits_of_one_section(report: str = "ai") -> list[Suggestion]:
    """A section's addition, revision and citation, stored in an order unlike the digest's."""
    return [
        suggestion(1, "2.1", "Gemini 3 reasons", kind=SuggestionKind.CITATION, report=report,
                   target=SENTENCE, proposed_text=SENTENCE.replace("[1]", "[1][6]"), score=0.9),
        suggestion(2, "2.1", "GLM-5 tops the ranking", kind=SuggestionKind.REVISION,
                   report=report, target=ROW, proposed_text="| 1 | GLM-5[6] | 智谱AI |",
                   needs_translation=True, score=0.8),
        suggestion(3, "2.1", "New reasoning model", report=report, score=0.1),
        suggestion(4, "2.1", "Second revision", kind=SuggestionKind.REVISION, report=report,
                   target="o4-mini", proposed_text="o5-mini[6]", score=0.7),
    ]  # fmt: skip


def test_a_sections_additions_revisions_and_citations_are_grouped_in_that_order() -> None:
    data = compose_digest(
        edits_of_one_section(), [OUTLINE], period_start=START, period_end=NOW, timezone=UTC
    )
    ((group,),) = [r.groups for r in data.reports]
    assert [(k.kind, k.title, [i.id for i in k.items]) for k in group.kinds] == [
        ("addition", "新增", [3]),
        ("revision", "修订", [2, 4]),  # best first within a kind
        ("citation", "补充引用", [1]),
    ]
    assert [i.id for i in group.items] == [3, 2, 4, 1]
    assert (data.additions, data.revisions, data.citations, data.total) == (1, 2, 1, 4)
    assert data.subject.startswith("[tracker] 4 条修改建议 · ")
    assert data.summary == (
        "11月22日–29日：1 份报告的 1 个章节共有 1 条新增、2 条修订和 1 条补充引用建议；"
        "0 个引用来源内容有变化，0 个已失效。"
    )
    text = render_digest(data).text
    order = ["新增：", "[3]", "修订：", "[2]", "[4]", "补充引用：", "[1]"]
    assert [text.index(word) for word in order] == sorted(text.index(word) for word in order)


def test_a_revision_shows_its_old_text_struck_and_a_citation_its_sentence() -> None:
    data = compose_digest(
        edits_of_one_section(), [OUTLINE], period_start=START, period_end=NOW, timezone=UTC
    )
    rendered = render_digest(data)
    revision = rendered.text.split("[2] ")[1].split("[4] ")[0]
    assert revision.index("原文：") < revision.index(ROW) < revision.index("建议修改：")
    assert revision.index("建议修改：") < revision.index("| 1 | GLM-5[6] | 智谱AI |")
    citation = rendered.text.split("[1] ")[1]
    assert f"为此句补充引用：\n        {SENTENCE}" in citation
    assert "[1][6]" not in citation  # the sentence, not the proposal that repeats it
    html = rendered.html
    assert f'<del style="text-decoration:line-through;">{ROW}</del>' in html
    assert "| 1 | GLM-5[6] | 智谱AI |</p>" in html
    assert f">{SENTENCE}</p>" in html and "<del" not in html.split("#1<")[1]


def test_suggestions_still_to_be_translated_are_marked() -> None:
    data = compose_digest(
        edits_of_one_section(), [OUTLINE], period_start=START, period_end=NOW, timezone=UTC
    )
    rendered = render_digest(data)
    assert "[2] GLM-5 tops the ranking [待翻译]" in rendered.text
    assert rendered.text.count("待翻译") == 1
    assert rendered.html.count(">待翻译</span>") == 1
    english = compose_digest(
        edits_of_one_section("open"), [ENGLISH], period_start=START, period_end=NOW, timezone=UTC
    )
    body = render_digest(english)
    for word in ("Additions", "Revisions", "Citations", "Current text", "Cite the article for"):
        assert word in body.text and word in body.html
    assert "GLM-5 tops the ranking [needs translation]" in body.text
    assert english.summary == (
        "22–29 Nov: 1 suggested addition, 2 revisions and 1 citation in 1 section of 1 report, "
        "0 cited sources changed, 0 gone."
    )
    for chinese in ("新增", "修订", "补充引用", "原文", "待翻译"):
        assert chinese not in body.text + body.html


def test_revision_and_citation_text_from_feeds_is_escaped() -> None:
    evil = [
        suggestion(1, "2.1", "t", kind=SuggestionKind.REVISION,
                   target="</del><script>alert(1)</script>",
                   proposed_text='"><img src=x onerror=alert(2)>'),
        suggestion(2, "2.1", "t", kind=SuggestionKind.CITATION,
                   target="<b onclick=x>cited</b>\r\nBcc: victim@example.org"),
    ]  # fmt: skip
    rendered = render_digest(
        compose_digest(evil, [OUTLINE], period_start=START, period_end=NOW, timezone=TZ)
    )
    html = rendered.html
    assert "<script>" not in html and "&lt;/del&gt;&lt;script&gt;" in html
    assert "<img" not in html and "<b onclick" not in html
    assert html.count("<del ") == 1 and html.count("</del>") == 1
    assert "&lt;b onclick=x&gt;cited&lt;/b&gt; Bcc: victim@example.org" in html
    assert "\nBcc:" not in rendered.text  # a target is one line


# --------------------------------------------------------------------------
# message


def test_message_structure_and_encoded_headers() -> None:
    raw = sample_message(("editor@example.org", "second@example.org")).as_bytes()
    assert raw.isascii()  # 7-bit clean: RFC 2047 headers, quoted-printable bodies
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert TITLE in str(parsed["Subject"])
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]
    assert parsed["From"].addresses[0].addr_spec == "tracker@example.org"
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "editor@example.org",
        "second@example.org",
    ]
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Date"].datetime == NOW
    assert "推理模型的兴起" in parts[0].get_content()
    assert "推理模型的兴起" in parts[1].get_content()


def test_message_refuses_header_injection() -> None:
    with pytest.raises(NotifyError):
        build_message(subject="x\r\nBcc: a@b.c", text="", html="", sender="t@example.org",
                      recipients=["e@example.org"], now=NOW)  # fmt: skip
    with pytest.raises(NotifyError):
        build_message(subject="x", text="", html="", sender="t@example.org",
                      recipients=["e@example.org\r\nBcc: a@b.c"], now=NOW)  # fmt: skip


def test_message_without_recipients_names_the_empty_group() -> None:
    parsed = email.message_from_bytes(sample_message(()).as_bytes(), policy=email.policy.default)
    assert str(parsed["To"]) == "undisclosed-recipients:;"


# --------------------------------------------------------------------------
# smtp


def send(server: Server, message: EmailMessage, **changes: Any) -> Any:
    environ = changes.pop("environ", {})
    return send_message(
        message.as_bytes(),
        server.settings(**changes),
        sender="tracker@example.org",
        recipients=["editor@example.org"],
        environ=environ,
        ssl_context=server.client_context,
    )


def test_plain_delivery(plain_server: Server) -> None:
    message = sample_message()
    delivery = send(plain_server, message)
    assert delivery.attempts == 1 and delivery.refused == {}
    (received,) = plain_server.handler.messages
    assert received.rcpt_tos == ["editor@example.org"]
    assert received.parse()["Message-ID"] == message["Message-ID"]


def test_login_uses_the_password_from_the_named_environment_variable(auth_server: Server) -> None:
    send(auth_server, sample_message(), username=USER, password_env="SMTP_PW",
         environ={"SMTP_PW": PASSWORD})  # fmt: skip
    assert [m.login for m in auth_server.handler.messages] == [USER]


def test_wrong_password_is_permanent(auth_server: Server) -> None:
    with pytest.raises(PermanentNotifyError):
        send(auth_server, sample_message(), username=USER, password_env="SMTP_PW",
             environ={"SMTP_PW": "wrong"})  # fmt: skip
    assert auth_server.handler.messages == []


def test_a_password_smtplib_cannot_encode_is_reported(auth_server: Server) -> None:
    with pytest.raises(PermanentNotifyError, match="ASCII"):
        send(auth_server, sample_message(), username=USER, password_env="SMTP_PW",
             environ={"SMTP_PW": "口令"})  # fmt: skip


def test_missing_password_variable_is_reported_by_name(auth_server: Server) -> None:
    with pytest.raises(PermanentNotifyError, match="SMTP_PW"):
        send(auth_server, sample_message(), username=USER, password_env="SMTP_PW")


def test_starttls_with_login(starttls_server: Server) -> None:
    send(starttls_server, sample_message(), security="starttls", username=USER,
         password_env="SMTP_PW", environ={"SMTP_PW": PASSWORD})  # fmt: skip
    assert [m.login for m in starttls_server.handler.messages] == [USER]


def test_starttls_rejects_an_untrusted_certificate(starttls_server: Server) -> None:
    starttls_server.client_context = ssl.create_default_context()  # does not know the test CA
    with pytest.raises(PermanentNotifyError, match="certificate"):
        send(starttls_server, sample_message(), security="starttls")
    assert starttls_server.handler.messages == []


def test_starttls_is_never_skipped(plain_server: Server) -> None:
    with pytest.raises(PermanentNotifyError, match="STARTTLS"):
        send(plain_server, sample_message(), security="starttls")
    assert plain_server.handler.messages == []


def test_implicit_tls(ssl_server: Server) -> None:
    send(ssl_server, sample_message(), security="ssl", username=USER, password_env="SMTP_PW",
         environ={"SMTP_PW": PASSWORD})  # fmt: skip
    assert len(ssl_server.handler.messages) == 1


def test_temporary_failure_is_retried_once_accepted(plain_server: Server) -> None:
    plain_server.handler.replies.append("451 4.3.0 try again later")
    delivery = send(plain_server, sample_message())
    assert delivery.attempts == 2
    assert plain_server.handler.data_commands == 2
    assert len(plain_server.handler.messages) == 1


def test_temporary_failures_give_up_after_the_retries(plain_server: Server) -> None:
    plain_server.handler.replies.extend(["451 busy"] * 5)
    with pytest.raises(NotifyError, match="451") as caught:
        send(plain_server, sample_message(), retries=2)
    assert not isinstance(caught.value, PermanentNotifyError)
    assert plain_server.handler.data_commands == 3
    assert plain_server.handler.messages == []


def test_permanent_failure_is_not_retried(plain_server: Server) -> None:
    plain_server.handler.replies.append("550 5.7.1 rejected by policy")
    with pytest.raises(PermanentNotifyError, match="550"):
        send(plain_server, sample_message())
    assert plain_server.handler.data_commands == 1
    assert plain_server.handler.messages == []


def test_connection_refused_is_retried_then_reported() -> None:
    closed = Server(Recorder(), free_port())
    sleeps: list[float] = []
    with pytest.raises(NotifyError, match="3 attempts") as caught:
        send_message(sample_message().as_bytes(), closed.settings(retries=2, retry_backoff=0.5),
                     sender="t@example.org", recipients=["e@example.org"], environ={},
                     sleep=sleeps.append)  # fmt: skip
    assert not isinstance(caught.value, PermanentNotifyError)
    assert sleeps == [0.5, 1.0]  # exponential backoff between attempts


# --------------------------------------------------------------------------
# outbox


def test_outbox_writes_one_parseable_file_and_replaces_it(tmp_path: Path) -> None:
    message = sample_message()
    outbox = tmp_path / "state" / "outbox"
    path = write_outbox(message.as_bytes(), outbox, "digest-1.eml")
    again = write_outbox(message.as_bytes(), outbox, "digest-1.eml")
    assert path == again == outbox / "digest-1.eml"
    assert [p.name for p in outbox.iterdir()] == ["digest-1.eml"]  # no temporary files left
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"


def test_outbox_refuses_names_that_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_outbox(b"x", tmp_path, "../escape.eml")


# ------------------------------------------------- credentials on a plain connection


@pytest.mark.parametrize("host", ["mail.example.org", "192.0.2.25", "127.evil.example"])
def test_a_password_in_clear_to_another_machine_is_refused_at_load(host: str) -> None:
    with pytest.raises(ValidationError, match="allow_plaintext_auth"):
        SmtpConfig(host=host, security="none", username=USER, password_env="SMTP_PW")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "[::1]"])
def test_a_password_in_clear_to_this_machine_is_allowed(host: str) -> None:
    assert not SmtpConfig(host=host, security="none", username=USER).credentials_in_clear


def test_allow_plaintext_auth_lets_a_remote_login_through() -> None:
    settings = SmtpConfig(
        host="mail.example.org", security="none", username=USER, allow_plaintext_auth=True
    )
    assert not settings.credentials_in_clear
    assert not SmtpConfig(host="mail.example.org", security="none").credentials_in_clear
    assert not SmtpConfig(host="mail.example.org", username=USER).credentials_in_clear


def test_send_refuses_a_password_in_clear_before_connecting(auth_server: Server) -> None:
    # Built without validation, as a config loaded before the rule existed might be.
    checked = auth_server.settings(username=USER, password_env="SMTP_PW")
    settings = SmtpConfig.model_construct(**{**dict(checked), "host": "mail.example.org"})
    with pytest.raises(PermanentNotifyError, match="in clear"):
        send_message(
            sample_message().as_bytes(),
            settings,
            sender="tracker@example.org",
            recipients=["editor@example.org"],
            environ={"SMTP_PW": PASSWORD},
            sleep=lambda _: pytest.fail("a refusal is not retried"),
        )
    assert auth_server.handler.messages == []
