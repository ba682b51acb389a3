"""Commands to read what tracker collected (articles, suggestions, the report's cited
claims) and to decide on its suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from tracker.cli.base import app, errors, fail, open_tracker, out, print_json
from tracker.jsonout import to_jsonable
from tracker.report import section_label
from tracker.types import (
    ClaimStatus,
    Fact,
    PassageEvidence,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)


@app.command()
def articles(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Include the extracted text.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
) -> None:
    """List the articles collected so far, newest first."""
    tracker = open_tracker()
    with errors():
        found = tracker.articles(source=source, limit=limit)
    rows = []
    for article in found:
        row: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published": article.published,
            "language": article.language,
            "text_length": len(article.text),
            "from_feed_only": article.from_feed_only,
        }
        if full:
            row["text"] = article.text
        rows.append(row)
    if as_json:
        print_json(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    # Table cells are read as rich markup: feed text is escaped, or a title
    # such as "[/b]" would abort the listing.
    table = Table("published", "source", "lang", "chars", "title / url", show_lines=False)
    for row in rows:
        published = row["published"].date().isoformat() if row["published"] else "—"
        table.add_row(
            published,
            escape(row["source"]),
            escape(row["language"] or "?"),
            str(row["text_length"]),
            f"{escape(row['title'])}\n[dim]{escape(row['url'])}[/dim]",
        )
    out().print(table)
    if full:
        for row in rows:
            out().rule(row["title"])
            out().print(row["text"], markup=False)


@app.command()
def suggestions(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    status: Annotated[SuggestionStatus | None, typer.Option("--status")] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="A section id, e.g. 3.2.")
    ] = None,
    report: Annotated[str | None, typer.Option("--report", help="A report id.")] = None,
) -> None:
    """List suggested edits."""
    tracker = open_tracker()
    with errors():
        found = tracker.suggestions(report=report, status=status, section=section)
    if as_json:
        print_json([suggestion_json(s) for s in found])
        return
    from rich.markup import escape
    from rich.table import Table

    # Cells are rich markup: everything from feeds and reports is escaped.
    table = Table("id", "status", "section", "kind", "score", "title / source")
    for s in found:
        table.add_row(
            str(s.id),
            s.status,
            escape(section_label(s.section, s.section_title)),
            s.kind + (f"\n[yellow]{NEEDS_TRANSLATION}[/yellow]" if s.needs_translation else ""),
            f"{s.score:.2f}",
            f"{escape(s.title)}\n[dim]{escape(s.source)} · {escape(s.url)}[/dim]",
        )
    out().print(table)


NEEDS_TRANSLATION = "needs translation"


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    """A suggestion as ``tracker suggestions --json`` promises it (DESIGN.md)."""
    data: dict[str, Any] = to_jsonable(s)
    data["urls"] = list(s.urls) or [s.url]
    return data


@app.command()
def show(suggestion_id: Annotated[int, typer.Argument(help="A suggestion id.")]) -> None:
    """Show one suggestion and why it was made."""
    tracker = open_tracker()
    with errors():
        s = tracker.suggestion(suggestion_id)
    if s is None:
        fail(f"no suggestion {suggestion_id}")
    from rich.markup import escape

    console = out()
    console.print(f"[bold]#{s.id}[/bold] {s.kind} · {s.status} · report {escape(s.report)}")
    console.print(f"section {section_label(s.section, s.section_title)}", markup=False)
    console.print(f"title   {s.title}", markup=False)
    console.print(f"source  {s.source} · {s.published or 'undated'}", markup=False)
    for url in s.urls or (s.url,):
        console.print(f"url     {url}", markup=False)
    console.print(f"score   {s.score:.3f}", markup=False)
    for name, value in sorted(s.features.items()):
        console.print(f"  {name:<18} {value:.3f}", markup=False)
    console.print(f"drafter {s.drafter}", markup=False)
    console.print(f"novelty {s.novelty}", markup=False)
    console.print(f"needs translation: {'yes' if s.needs_translation else 'no'}", markup=False)
    if s.fact is not None:
        console.print("\n[bold]key fact[/bold]:")
        for label, text in _fact_lines(s.fact):
            console.print(f"  {label:<9}{text}", markup=False)
    console.print("\n[bold]why[/bold] (closest sentence):")
    console.print(s.excerpt, markup=False)
    if s.target is not None:
        console.print(f"\n[bold]{_TARGET_LABELS.get(s.kind, 'cites the article for')}[/bold]:")
        console.print(s.target, markup=False)
    if s.evidence is not None:
        _print_evidence(s.evidence)
    console.print("\n[bold]proposed text[/bold]:")
    console.print(s.proposed_text, markup=False)
    if s.edited_text is not None:
        console.print("\n[bold]accepted as[/bold] (the editor's wording):")
        console.print(s.edited_text, markup=False)
    if s.reference:
        console.print("\n[bold]new reference[/bold]:")
        console.print(s.reference, markup=False)


# What a suggestion's target is to it, by kind (a citation: the sentence it cites for).
_TARGET_LABELS = {
    SuggestionKind.REVISION: "replaces",
    SuggestionKind.CLAIM_CHANGED: "the report's sentence",
    SuggestionKind.CLAIM_ORPHANED: "the report's sentence",
    SuggestionKind.UNSUPPORTED_CLAIM: "the report's sentence",
}


def _print_evidence(evidence: PassageEvidence) -> None:
    """A claim check's passage of reference [n]: as it read, as it reads now, its score."""
    from rich.markup import escape

    console = out()
    reference = escape(f"[{evidence.reference}]")
    console.print(f"\n[bold]cited passage[/bold] (reference {reference}):")
    if evidence.before is not None:
        console.print("  before:", markup=False)
        console.print(f"    {evidence.before}", markup=False)
    if evidence.after is not None:
        label = "now" if evidence.before is not None else "closest passage"
        console.print(f"  {label}:", markup=False)
        console.print(f"    {evidence.after}", markup=False)
    elif evidence.before is not None:
        console.print("  now: gone from the page", markup=False)
    console.print(f"  support score: {evidence.score:.3f}", markup=False)
    if evidence.archived_url:
        console.print(f"  archived copy: {evidence.archived_url}", markup=False)


def _fact_lines(fact: Fact) -> list[tuple[str, str]]:
    return [
        ("actor", fact.actor or "—"),
        ("event", fact.event or "—"),
        ("object", fact.object or "—"),
        ("date", fact.date.isoformat() if fact.date else "—"),
        ("numbers", ", ".join(fact.numbers) or "—"),
        ("sentence", fact.sentence or "—"),
    ]


@app.command()
def claims(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    report: Annotated[str | None, typer.Option("--report", help="A report id.")] = None,
    status: Annotated[ClaimStatus | None, typer.Option("--status")] = None,
) -> None:
    """List the report's cited sentences and whether their cited pages still back them."""
    tracker = open_tracker()
    with errors():
        found = tracker.claims(report=report, status=status)
    if as_json:
        print_json(found)
        return
    from rich.markup import escape
    from rich.table import Table

    # Cells are rich markup: the report's text is escaped ("[1]" is a markup tag to rich).
    table = Table("id", "report", "section", "status", "refs")
    table.add_column("sentence", overflow="fold")  # whole, wrapped: it is what to look for
    for claim in found:
        table.add_row(
            claim.id,
            escape(claim.report),
            claim.section,
            claim.status,
            ",".join(map(str, claim.references)),
            escape(claim.text),
        )
    out().print(table)


def _decide(ids: Sequence[int], status: SuggestionStatus, edited_text: str | None = None) -> None:
    tracker = open_tracker()
    with errors():
        decided = tracker.decide(ids, status, edited_text=edited_text)
    for suggestion_id in decided.done:
        out().print(f"{status} #{suggestion_id}" + (" (edited)" if edited_text else ""))
    if decided.missing:
        fail(f"no suggestion {', '.join(map(str, decided.missing))}")
    out().print("The next refresh publishes an edition that reflects this.")


@app.command()
def accept(
    ids: Annotated[list[int], typer.Argument(help="Suggestion ids.")],
    text: Annotated[
        str | None,
        typer.Option("--text", help="Accept one suggestion in these words instead."),
    ] = None,
) -> None:
    """Accept suggestions: the next edition merges them into their sections."""
    _decide(ids, SuggestionStatus.ACCEPTED, text)


@app.command()
def reject(ids: Annotated[list[int], typer.Argument(help="Suggestion ids.")]) -> None:
    """Reject suggestions: they leave the next edition."""
    _decide(ids, SuggestionStatus.REJECTED)


@app.command()
def undo() -> None:
    """Take back the last accept or reject (all the ids it named)."""
    tracker = open_tracker()
    with errors():
        undone = tracker.undo()
    if not undone:
        out().print("nothing to undo")
        return
    for decision in undone:
        out().print(f"undid {decision.status} #{decision.suggestion_id}")
