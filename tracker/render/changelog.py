"""The report's CHANGELOG.md: one dated entry per refresh that changed something.

An entry lists each suggestion (section id and title, kind, status, title
linked to its source; under a revision its old text struck and the new,
under a citation the sentence it cites the article for) and each change of
a cited source (text changed, gone, redirected). Entries are newest first.
Two refreshes on the same day give two entries under the same date, stacked
newest first: nothing is merged, so an entry always says exactly what one
refresh found. Prepending an entry whose lines are all in the newest entry
of the same day is a no-op, so writing an entry again that a killed publish
may or may not have written adds it once.
Which cited changes were reported before comes from the caller (the store),
never from reading the changelog. Pure text in, text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import jinja2

from tracker.render.edition import suggestion_order
from tracker.render.edits import shown_replacement
from tracker.render.labels import Labels, labels_for
from tracker.render.mdtext import md_link, md_report_text, md_struck, safe_url
from tracker.report import section_label
from tracker.types import CLAIM_KINDS, CitedCheck, CitedStatus, Report, Suggestion, SuggestionKind

# Markdown output: escaping is done per value by tracker.render.mdtext instead.
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tracker.render", "templates"),
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class _Item:
    section: str
    kind: str
    status: str
    link: str
    id: int | None
    detail: str  # a revision's "~~old~~ → new", a citation's sentence; "" otherwise


def changelog_entry(
    report: Report, *, day: date, suggestions: Sequence[Suggestion], cited: Sequence[CitedCheck]
) -> str:
    """One dated Markdown entry (``## YYYY-MM-DD`` …) for ``suggestions`` and ``cited``.

    Cited checks that are no change (ok and unchanged, or unreachable) are
    left out; see :func:`cited_changes`.
    """
    labels = labels_for(report.language)
    items = [_item(report, s, labels) for s in sorted(suggestions, key=suggestion_order)]
    lines = [_cited_line(c, labels) for c in cited_changes(cited)]
    text = _ENV.get_template("changelog_entry.md.j2").render(
        day=day.isoformat(), labels=labels, suggestions=items, cited=lines
    )
    return text.rstrip() + "\n"


def cited_changes(cited: Sequence[CitedCheck]) -> list[CitedCheck]:
    """The checks worth a changelog line: new text, gone, or redirected."""
    return [
        c for c in cited if c.text_changed or c.status in (CitedStatus.GONE, CitedStatus.REDIRECTED)
    ]


def unreported_cited(
    cited: Sequence[CitedCheck], reported: Mapping[str, CitedCheck]
) -> list[CitedCheck]:
    """The changes in ``cited`` worth a line that the changelog has not reported yet.

    ``reported`` holds, per URL, the change the changelog last reported. A
    source that stays gone, or stays redirected to the same place, is checked
    on every refresh; it belongs in the changelog once, not once per refresh:
    a gone or redirected check is dropped when that is the URL's last
    reported state. A changed text is a new snapshot each time and is always
    kept.
    """
    kept = []
    for check in cited_changes(cited):
        last = reported.get(check.url)
        if not check.text_changed and last is not None and _same_state(last, check):
            continue
        kept.append(check)
    return kept


def _same_state(a: CitedCheck, b: CitedCheck) -> bool:
    if a.status is not b.status:
        return False
    return a.status is not CitedStatus.REDIRECTED or a.final_url == b.final_url


def prepend_changelog(existing: str | None, entry: str, *, title: str) -> str:
    """``existing`` with ``entry`` inserted above its newest entry.

    The document's own ``# title`` block is kept (``# {title}`` is written
    when there is none yet). An entry identical to the current top one is
    not added again.
    """
    entry = entry.strip()
    if not existing or not existing.strip():
        return f"# {md_report_text(title)}\n\n{entry}\n"
    lines = existing.splitlines()
    first_entry = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
    header = "\n".join(lines[:first_entry]).strip()
    body = "\n".join(lines[first_entry:]).strip()
    if _already_on_top(body, entry):
        return existing
    if not header.startswith("# "):
        header = f"# {md_report_text(title)}\n\n{header}".strip()
    parts = [header, entry] + ([body] if body else [])
    return "\n\n".join(parts) + "\n"


def _already_on_top(body: str, entry: str) -> bool:
    """True when the newest entry has the same date and every line of ``entry``.

    That is the file after a publish killed between writing an entry and
    recording it written, when the entry is written again: it is not stacked
    again.
    """
    lines = body.splitlines()
    if not lines or lines[0].strip() != entry.splitlines()[0].strip():
        return False
    end = next((i for i, ln in enumerate(lines[1:], 1) if ln.startswith("## ")), len(lines))
    top = {ln.strip() for ln in lines[:end]}
    return all(ln.strip() in top for ln in entry.splitlines() if ln.strip())


def _item(report: Report, s: Suggestion, labels: Labels) -> _Item:
    section = report.section(s.section)
    title = s.section_title or (section.title if section else "")
    return _Item(
        section=md_report_text(section_label(s.section, title)),
        kind=labels.kinds[s.kind],
        status=labels.statuses[s.status],
        link=md_link(s.title or s.url, s.url),
        id=s.id,
        detail=_detail(s, labels),
    )


def _detail(s: Suggestion, labels: Labels) -> str:
    """The line under a revision, a citation or a claim check (labelled, so it never starts
    a block): a claim revised reads like a revision, any other the sentence it concerns."""
    if s.kind is SuggestionKind.REVISION or (
        s.kind is SuggestionKind.CLAIM_CHANGED and (s.edited_text or s.proposed_text)
    ):
        return f"{md_struck(s.target or '')} → {shown_replacement(s)}"
    if s.kind is SuggestionKind.CITATION:
        return f"{labels.cited_for}{md_report_text(s.target or '')}"
    if s.kind in CLAIM_KINDS:
        return f"{labels.claim_sentence}{md_report_text(s.target or '')}"
    return ""


def _cited_line(check: CitedCheck, labels: Labels) -> str:
    url = safe_url(check.url)
    states = []
    if check.status is CitedStatus.GONE:
        states.append(labels.cited_gone)
    if check.status is CitedStatus.REDIRECTED:
        target = f" → <{safe_url(check.final_url)}>" if check.final_url else ""
        states.append(f"{labels.cited_redirected}{target}")
    if check.text_changed:
        states.append(labels.cited_changed)
    return f"<{url}> — {labels.clause_separator.join(states)}"
