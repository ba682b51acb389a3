"""tracker.notify.digest: the weekly digest from a real store to a real SMTP server.

The store is a real SQLite file in tmp_path; mail goes to aiosmtpd on
127.0.0.1 (helpers shared with test_notify). Expectations are derived from
the seed report and the suggestions each test stores.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from test_notify import Recorder, free_port, start_server

from tracker.config import Config, parse_config
from tracker.errors import NotifyError, PermanentNotifyError
from tracker.notify.digest import run_digest
from tracker.report import load_report
from tracker.store import Store, open_store
from tracker.suggest import source_changed, source_gone
from tracker.types import Fact, Report, Suggestion, SuggestionKind, SuggestionStatus

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "data" / "reports" / "seed.md"
ENGLISH = REPO / "tests" / "data" / "reports" / "english.md"
OLD_PAGE = (
    "Researchers study models like biologists study organisms.\nThey use sparse autoencoders.\n"
)
ADDED = "A correction: the bridge feature was found in Claude 3 Sonnet, not in Opus."
NOW = datetime(2025, 11, 29, 0, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CRLF_TITLE = "Line one\r\nBcc: victim@example.org\r\nX-Injected: yes"
SCRIPT_TITLE = "<script>alert('x')</script> Agents"


@pytest.fixture
def report() -> Report:
    return load_report(SEED, report_id="ai", language="zh")


def make_config(
    tmp_path: Path, source: Path = SEED, language: str = "zh", **sections: Any
) -> Config:
    shutil.copyfile(source, tmp_path / "report.md")
    raw: dict[str, Any] = {
        "reports": [{"id": "ai", "path": "report.md", "language": language}],
        "schedule": {"timezone": "UTC"},
    }
    raw.update(sections)
    return parse_config(raw, tmp_path / "sources.yaml")


def smtp_email(port: int, **smtp: Any) -> dict[str, Any]:
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5,
                "retries": 2, "retry_backoff": 0.01} | smtp  # fmt: skip
    return {"to": ["editor@example.org"], "from": "tracker@example.org", "smtp": settings}


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    controller, port = start_server(handler)
    yield handler, port
    controller.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "state" / "tracker.sqlite3", now=NOW)
    yield opened
    opened.close()


def add(store: Store, report: Report, section: str, title: str, **changes: Any) -> int:
    found = report.section(section)
    assert found is not None, section
    base = Suggestion(
        report="ai",
        section=section,
        section_title=found.title,
        kind=SuggestionKind.ADDITION,
        score=0.6,
        title=title,
        url=f"https://news.example.org/{len(title)}-{section}",
        published=NOW - timedelta(days=3),
        source="Example Feed",
        excerpt=f"Key sentence about {title}.",
        proposed_text=f"建议在{found.title}中补充：{title}。",
        created_at=NOW - timedelta(days=2),
    )
    return store.add_suggestion(replace(base, **changes))


def seed(store: Store, report: Report) -> dict[str, int]:
    """Suggestions spread over sections in an order unlike the report's, plus ones
    that must stay out of the digest (decided, too old, from the future)."""
    ids = {
        "coding": add(store, report, "3.2", SCRIPT_TITLE),
        "reasoning": add(store, report, "2.1", "Reasoning models get cheaper"),
        "crlf": add(store, report, "5.2", CRLF_TITLE),
        "images": add(store, report, "4.1", "Image model update"),
        "changed": add(store, report, "2.1", "Cited page was rewritten",
                       kind=SuggestionKind.SOURCE_CHANGED),
        "gone": add(store, report, "3.2", "Cited page disappeared",
                    kind=SuggestionKind.SOURCE_GONE),
        "old": add(store, report, "2.2", "Old news", created_at=NOW - WEEK - timedelta(hours=1)),
        "future": add(store, report, "2.2", "Future news", created_at=NOW + timedelta(hours=1)),
        "decided": add(store, report, "2.3", "Already accepted"),
    }  # fmt: skip
    store.set_suggestion_status([ids["decided"]], SuggestionStatus.ACCEPTED, NOW)
    return ids


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.iter_parts()
    return plain.get_content(), html.get_content()


def test_send_delivers_one_well_formed_message(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))

    result = run_digest(config, store, now=NOW, send=True)

    assert result.sent and result.skipped_reason is None
    assert (result.period_start, result.period_end) == (NOW - WEEK, NOW)
    assert result.suggestions == 6
    (received,) = handler.messages
    assert received.mail_from == "tracker@example.org"
    assert received.rcpt_tos == ["editor@example.org"]
    message = parse(received.data)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    subject = str(message["Subject"])
    # A Chinese report: the digest's own wording is Chinese too.
    assert subject == f"[tracker] {result.suggestions} 条修改建议 · {report.title} · 11月22日–29日"
    assert message["Message-ID"] == result.message_id
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"].datetime == NOW
    # The CR/LF title created no header: the header set is exactly what we build.
    assert sorted(k.lower() for k in message) == sorted(
        ["subject", "from", "to", "date", "message-id", "auto-submitted", "mime-version",
         "content-type"]
    )  # fmt: skip
    text, html = bodies(message)
    assert "Line one Bcc: victim@example.org X-Injected: yes" in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert result.text == text.replace("\r\n", "\n")

    # Additions grouped by section in report order; cited changes after them.
    order = [s.id for s in report.sections]
    positions = {sid: text.index(f"§ {sid} ") for sid in ("2.1", "3.2", "4.1", "5.2")}
    assert sorted(positions, key=positions.__getitem__) == sorted(positions, key=order.index)
    cited_at = text.index("引用来源变化")
    assert max(positions.values()) < cited_at < text.index("Cited page disappeared")
    for left_out in ("Old news", "Future news", "Already accepted"):
        assert left_out not in text and left_out not in html

    record = store.last_digest()
    assert record is not None
    assert record.message_id == result.message_id
    assert (record.period_start, record.period_end) == (NOW - WEEK, NOW)
    assert list(record.recipients) == ["editor@example.org"]


def test_the_same_period_is_sent_once_also_after_a_restart(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))
    first = run_digest(config, store, now=NOW, send=True)
    assert first.sent

    again = run_digest(config, store, now=NOW, send=True)
    assert not again.sent and again.skipped_reason and "already sent" in again.skipped_reason
    store.close()
    with open_store(config.database_path) as reopened:
        after_restart = run_digest(config, reopened, now=NOW, send=True)
        explicit = run_digest(config, reopened, now=NOW, send=True, since=NOW - WEEK)
    assert not after_restart.sent and not explicit.sent
    assert len(handler.messages) == 1


def test_the_next_digest_starts_where_the_last_one_ended(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))
    run_digest(config, store, now=NOW, send=True)
    add(store, report, "6.1", "Interpretability news", created_at=NOW + timedelta(days=1))

    later = NOW + WEEK
    result = run_digest(config, store, now=later, send=True)

    assert result.sent and (result.period_start, result.period_end) == (NOW, later)
    text, _ = bodies(parse(handler.messages[-1].data))
    assert "Interpretability news" in text and "Future news" in text
    assert "Reasoning models get cheaper" not in text
    assert result.suggestions == 2


def test_a_temporary_failure_is_retried_and_delivered_once(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    handler.replies.append("451 4.3.0 mailbox busy, try later")
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))

    result = run_digest(config, store, now=NOW, send=True)

    assert result.sent and result.attempts == 2
    assert handler.data_commands == 2 and len(handler.messages) == 1
    assert store.digest_sent(NOW - WEEK, NOW)


def test_a_permanent_failure_is_not_retried_and_not_recorded(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    handler.replies.append("550 5.7.1 relaying denied")
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))

    with pytest.raises(PermanentNotifyError, match="550"):
        run_digest(config, store, now=NOW, send=True)
    assert handler.data_commands == 1 and handler.messages == []
    assert store.last_digest() is None

    # Once the server accepts, the same period goes out.
    result = run_digest(config, store, now=NOW, send=True)
    assert result.sent and len(handler.messages) == 1


def test_an_unreachable_server_is_reported_and_not_recorded(
    tmp_path: Path, store: Store, report: Report
) -> None:
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(free_port(), retries=1))
    with pytest.raises(NotifyError, match="2 attempts"):
        run_digest(config, store, now=NOW, send=True, sleep=lambda _: None)
    assert store.last_digest() is None


def test_without_smtp_the_digest_goes_to_the_outbox_once(
    tmp_path: Path, store: Store, report: Report
) -> None:
    seed(store, report)
    config = make_config(
        tmp_path, email={"to": ["editor@example.org"], "from": "tracker@example.org"}
    )

    result = run_digest(config, store, now=NOW, send=True)
    again = run_digest(config, store, now=NOW, send=True)

    assert result.sent and result.outbox_path is not None and not again.sent
    assert result.outbox_path.parent == config.outbox_dir
    assert list(config.outbox_dir.iterdir()) == [result.outbox_path]
    message = parse(result.outbox_path.read_bytes())
    assert message["Message-ID"] == result.message_id
    assert report.title in str(message["Subject"])
    assert [a.addr_spec for a in message["To"].addresses] == ["editor@example.org"]
    record = store.last_digest()
    assert record is not None and record.outbox_path == str(result.outbox_path)


def test_without_any_email_config_the_outbox_still_works(
    tmp_path: Path, store: Store, report: Report
) -> None:
    seed(store, report)
    config = make_config(tmp_path)
    result = run_digest(config, store, now=NOW, send=True)
    assert result.outbox_path is not None
    assert str(parse(result.outbox_path.read_bytes())["To"]) == "undisclosed-recipients:;"
    with_to = run_digest(config, store, now=NOW + WEEK, send=True, to=["me@example.org"])
    assert with_to.outbox_path is not None
    assert parse(with_to.outbox_path.read_bytes())["To"].addresses[0].addr_spec == "me@example.org"


def test_an_empty_period_sends_nothing_by_default(
    tmp_path: Path, store: Store, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    config = make_config(tmp_path, email=smtp_email(port))
    result = run_digest(config, store, now=NOW, send=True)
    assert not result.sent and result.skipped_reason == "nothing new in this period"
    assert handler.messages == [] and store.last_digest() is None


def test_send_empty_sends_a_short_note(
    tmp_path: Path, store: Store, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    config = make_config(tmp_path, email=smtp_email(port), digest={"send_empty": True})
    result = run_digest(config, store, now=NOW, send=True)
    assert result.sent and result.suggestions == 0
    (received,) = handler.messages
    message = parse(received.data)
    assert str(message["Subject"]) == "[tracker] 本期无修改建议 · 11月22日–29日"
    text, html = bodies(message)
    assert "本期没有新内容" in text and "本期没有新内容" in html


def test_preview_only_renders_text(tmp_path: Path, store: Store, report: Report) -> None:
    seed(store, report)
    config = make_config(
        tmp_path,
        email={"to": ["editor@example.org"], "from": "tracker@example.org"},
        digest={"base_url": "https://tracker.example.org"},
    )
    ids = store.suggestions(report="ai", status=SuggestionStatus.PENDING)
    result = run_digest(config, store, now=NOW, send=False)
    assert not result.sent and result.message_id is None and result.outbox_path is None
    assert "Reasoning models get cheaper" in result.text
    reasoning = next(s for s in ids if s.title == "Reasoning models get cheaper")
    assert f"tracker accept {reasoning.id}" in result.text
    assert f"https://tracker.example.org/suggestions/{reasoning.id}" in result.text
    assert store.last_digest() is None and not config.outbox_dir.exists()


def test_to_replaces_the_configured_recipients(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    seed(store, report)
    config = make_config(tmp_path, email=smtp_email(port))
    run_digest(config, store, now=NOW, send=True, to=["other@example.org"])
    assert handler.messages[0].rcpt_tos == ["other@example.org"]


def test_a_naive_since_is_read_in_the_schedule_time_zone(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, schedule={"timezone": "Asia/Shanghai"})
    result = run_digest(config, store, now=NOW, send=False, since=datetime(2025, 11, 25))
    assert result.period_start == datetime(2025, 11, 24, 16, tzinfo=UTC)


def cited_suggestions(store: Store, report: Report) -> tuple[Suggestion, Suggestion, Suggestion]:
    """A real source-changed and source-gone suggestion (tracker.suggest), stored, plus
    an addition whose proposed text is a Markdown bullet as tracker.suggest writes it."""
    listed_only = next(
        (r for r in report.references if all(r.number not in s.citations for s in report.sections)),
        report.references[-1],
    )
    made = NOW - timedelta(days=1)
    gone = source_gone(report, listed_only, consecutive_failures=3, status="410", now=made)
    new_page = OLD_PAGE.replace("They use", f"{ADDED}\nThey use")
    changed = source_changed(report, report.references[0], OLD_PAGE, new_page, now=made)
    assert gone is not None and changed is not None
    section = report.sections[-1]
    addition = replace(
        changed,
        section=section.id,
        section_title=section.title,
        kind=SuggestionKind.ADDITION,
        url="https://news.example.org/a",
        proposed_text="- 2025-11-27, Example reports: a new model. [9]",
        source="Example Feed",
    )
    # Stored gone first: the display order must follow the report, not the ids.
    gone, changed, addition = (
        replace(s, id=store.add_suggestion(s)) for s in (gone, changed, addition)
    )
    return gone, changed, addition


@pytest.mark.parametrize(
    ("source", "language", "words", "other_words"),
    [
        (SEED, "zh", ("建议修改", "采纳", "拒绝", "引用来源变化", "来源内容变化", "来源失效"),
         ("Proposed text", "Accept", "Reject", "Cited sources")),
        (ENGLISH, "en", ("Proposed text", "Accept", "Reject", "Cited sources that changed",
                         "Source changed", "Source gone"),
         ("建议修改", "采纳", "拒绝", "引用来源变化")),
    ],
)  # fmt: skip
def test_cited_sources_read_as_prose_with_their_reference_and_place(
    tmp_path: Path,
    store: Store,
    source: Path,
    language: str,
    words: tuple[str, ...],
    other_words: tuple[str, ...],
) -> None:
    report = load_report(source, report_id="ai", language=language)
    gone, changed, addition = cited_suggestions(store, report)
    config = make_config(tmp_path, source=source, language=language)

    result = run_digest(config, store, now=NOW, send=True)

    assert result.outbox_path is not None
    message = parse(result.outbox_path.read_bytes())
    text, html = bodies(message)
    text = text.replace("\r\n", "\n")
    for word in words:
        assert word in text and word in html
    for word in other_words:
        assert word not in text and word not in html
    period = "11月22日–29日" if language == "zh" else "22–29 Nov"
    counted = "3 条修改建议" if language == "zh" else "3 suggested edits"
    assert str(message["Subject"]) == f"[tracker] {counted} · {report.title} · {period}"

    # No diff sigils or Markdown bullets: the added passage reads as a quotation.
    assert not re.search(r"^\s*[-+*] ", text, re.MULTILINE)
    assert not re.search(r"[“\">]\s*[-+] ", html)
    assert ADDED in text and ADDED in html
    assert addition.proposed_text[2:] in text  # shown without its "- " (stored with it)

    # Sections named once, as the report writes them; the reference list last. Both
    # reports first cite [1] where the heading carries its own number or has none.
    citing = next(s for s in report.sections if 1 in s.citations)
    assert f"§ {citing.title}\n" in text and f"§ {citing.id} " not in text + html
    if gone.section == "references":
        heading = report.markdown.splitlines()[report.references_start_line or 0].lstrip("# ")
        assert f"§ {heading}\n" in text and "§ references" not in text + html
    assert text.index(f"[{changed.id}]") < text.index(f"[{gone.id}]")
    assert html.index(f"#{changed.id}<") < html.index(f"#{gone.id}<")

    # Each cited item names its entry in the reference list and its URL, not just a host.
    listed = {r.url: r.number for r in report.references}
    reference_word = "参考文献" if language == "zh" else "Reference"
    for item in (changed, gone):
        assert f"{reference_word} [{listed[item.url]}] · {item.url}" in text
        assert f'href="{item.url}"' in html


def test_stored_revisions_and_citations_reach_the_digest_grouped_in_their_section(
    tmp_path: Path, store: Store, report: Report, server: tuple[Recorder, int]
) -> None:
    handler, port = server
    section = report.section("5.1")
    assert section is not None
    row = next(line for line in section.text.splitlines() if line.startswith("| 1 |"))
    sentence = next(s for s in section.text.splitlines() if s.startswith("2025年"))
    fact = Fact("Zhipu", "ranking", "GLM-5", None, ("#1",), "GLM-5 ranks first.")
    ids = {
        "citation": add(store, report, "5.1", "Open models keep leading",
                        kind=SuggestionKind.CITATION, target=sentence, score=0.9,
                        proposed_text=sentence.replace("[1]。", "[1][6]。")),
        "revision": add(store, report, "5.1", "GLM-5 tops the open-weights ranking",
                        kind=SuggestionKind.REVISION, target=row, fact=fact,
                        proposed_text=row.replace("GLM-4.7", "GLM-5[6]"),
                        needs_translation=True),
        "addition": add(store, report, "5.1", "A new open model", score=0.1),
    }  # fmt: skip
    config = make_config(tmp_path, email=smtp_email(port))

    result = run_digest(config, store, now=NOW, send=True)

    assert result.suggestions == 3
    text, html = bodies(parse(handler.messages[0].data))
    text = text.replace("\r\n", "\n")
    group = text.split(f"§ {section.title}\n")[1]
    positions = [group.index(f"[{ids[k]}]") for k in ("addition", "revision", "citation")]
    assert positions == sorted(positions)
    assert group.index("新增：") < positions[0] < group.index("修订：") < positions[1]
    assert positions[1] < group.index("补充引用：") < positions[2]
    assert f"原文：\n        {row}" in text and "[待翻译]" in text
    assert f"为此句补充引用：\n        {sentence}" in text
    assert f'<del style="text-decoration:line-through;">{row}</del>' in html
    assert "1 条新增、1 条修订和 1 条补充引用建议" in text


def test_digest_since_on_the_command_line_is_midnight_in_the_schedule_time_zone(
    tmp_path: Path, store: Store
) -> None:
    from tracker.cli.operate import _parse_day

    config = make_config(tmp_path, schedule={"timezone": "Asia/Shanghai"})
    since = _parse_day("2025-11-25")
    result = run_digest(config, store, now=NOW, send=False, since=since)
    assert result.period_start == datetime(2025, 11, 24, 16, tzinfo=UTC)
