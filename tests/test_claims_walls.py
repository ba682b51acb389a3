"""A cited page that supports none or almost none of the sentences citing it (a
cookie wall, a login wall, a paywall's teaser), through real refreshes.

The seed report cites reference [3] in seven sentences (sections 6.1 and 6.2).
Served as a cookie wall, the page gets one ``unsupported-claim`` for the page,
not seven; its claims are all recorded unsupported. The normal case, a page
stating six of the seven with one unsupported claim told on its own, is
tests/test_claims_refresh.py's first test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tracker.config import Config, load_config
from tracker.demo.server import LocalServer
from tracker.refresh import run_refresh
from tracker.store import open_store
from tracker.types import Claim, ClaimStatus, Suggestion, SuggestionKind

SEED = Path(__file__).parent / "data" / "reports" / "seed.md"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

COOKIE_WALL = """<html><head><title>Before you continue</title></head><body>
<div class="consent"><h1>We value your privacy</h1>
<p>We and our 842 partners store and access information on your device, such as cookies,
and process personal data such as unique identifiers and browsing data.</p>
<p>With your permission we and our partners may use precise geolocation data and
identification through device scanning for personalised advertising and content,
advertising and content measurement, audience research and service development.</p>
<p>You can change your choices at any time by clicking Privacy Preferences at the
bottom of any page.</p>
<button>Accept all</button> <button>Reject all</button> <button>Manage options</button>
</div></body></html>"""

# What the article says, sentence by sentence, for the seven sentences citing it.
ARTICLE = [
    "Researchers at Anthropic and other labs now study large language models the way "
    "biologists study an alien creature, dissecting them like an autopsy.",
    "They use sparse autoencoders to understand the mechanisms inside a model.",
    "In Claude 3 Sonnet they found a neuron tied to the Golden Gate Bridge.",
    "Models were found to use different mechanisms when they handle true and false statements.",
    "Fine-tuning a model on one narrow task can make its behaviour worse across the board.",
    "Reasoning models expose a chain of thought that makes their inner thinking visible.",
    "OpenAI used the chain of thought to catch a model cheating on coding tasks: it deleted "
    "the broken code instead of fixing it.",
]


def article(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html><head><title>Meet the new biologists</title></head><body>"
        f"<article><h1>Meet the new biologists</h1>{body}</article></body></html>"
    )


@dataclass
class Site:
    server: LocalServer
    config: Config
    page: str  # reference [3]'s URL

    def refresh(self, hours: int) -> list[Suggestion]:
        """One refresh; the suggestions it made about reference [3]'s page."""
        summary = run_refresh(self.config, clock=lambda: NOW + timedelta(hours=hours))
        assert summary.outcome == "ok", summary.failures
        with open_store(self.config.database_path) as store:
            made = [s for s in store.suggestions() if s.created_at == NOW + timedelta(hours=hours)]
        return [s for s in made if s.url == self.page]

    def claims(self) -> list[Claim]:
        """The claims citing reference [3], in reading order, as `tracker claims` lists them."""
        with open_store(self.config.database_path) as store:
            return [c for c in store.claims(report="ai") if 3 in c.references]


@pytest.fixture
def site(tmp_path: Path, local_server: LocalServer) -> Site:
    page = local_server.add("/biologists", COOKIE_WALL)
    markdown = SEED.read_text(encoding="utf-8")
    for number in (1, 2, 3, 4, 5):
        # Only [3] answers: the other pages' claims wait, unchecked, out of the way.
        url = page if number == 3 else local_server.url(f"/missing/{number}")
        markdown = re.sub(rf"^({number}\. .*?)https?://\S+$", lambda m, u=url: m.group(1) + u,
                          markdown, flags=re.M)  # fmt: skip
    (tmp_path / "report.md").write_text(markdown, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump(
            {
                "state_dir": "state",
                "reports": [{"id": "ai", "path": "report.md", "since": "2026-02-11"}],
                "watch_cited": True,
                "fetch": {"allow_private_networks": True},
                "match": {"cited_recheck_days": 0},
            }
        ),
        encoding="utf-8",
    )
    return Site(local_server, load_config(tmp_path / "sources.yaml"), page)


def test_a_cookie_wall_cited_by_seven_sentences_gets_one_suggestion_for_the_page(
    site: Site,
) -> None:
    made = site.refresh(0)

    claims = site.claims()
    assert len(claims) == 7
    assert {c.status for c in claims} == {ClaimStatus.UNSUPPORTED}
    [wall] = made
    assert wall.kind is SuggestionKind.UNSUPPORTED_CLAIM
    assert (wall.target, wall.section) == (claims[0].text, claims[0].section)
    assert wall.evidence is not None and wall.evidence.reference == 3
    assert wall.evidence.after is not None  # the closest passage of the wall
    assert wall.evidence.after in " ".join(COOKIE_WALL.split())
    # In the report's language: the page, how many claims, where they are.
    assert "参考文献 [3]" in wall.excerpt and "7 句" in wall.excerpt
    assert "一句也不支撑" in wall.excerpt and "Cookie" in wall.excerpt
    assert "6.1 " in wall.excerpt and "6.2 " in wall.excerpt
    assert wall.proposed_text == ""

    # Still the wall on the next refresh: nothing new to say about it.
    assert site.refresh(6) == []
    # The wall is lifted: the claims are looked for again and found, without a word.
    site.server.add("/biologists", article(ARTICLE))
    assert site.refresh(12) == []
    assert {c.status for c in site.claims()} == {ClaimStatus.SUPPORTED}


def test_a_teaser_stating_one_of_seven_sentences_is_told_about_once(site: Site) -> None:
    site.server.add("/biologists", article(ARTICLE[:1]) + COOKIE_WALL)

    made = site.refresh(0)

    statuses = [c.status for c in site.claims()]
    assert statuses.count(ClaimStatus.SUPPORTED) == 1
    assert statuses.count(ClaimStatus.UNSUPPORTED) == 6
    [teaser] = made
    first_unsupported = next(c for c in site.claims() if c.status is ClaimStatus.UNSUPPORTED)
    assert teaser.target == first_unsupported.text
    assert "7 句" in teaser.excerpt and "只支撑其中 1 句" in teaser.excerpt


def test_a_page_stating_two_of_seven_sentences_tells_each_unsupported_claim(site: Site) -> None:
    # Two of seven is no longer "almost none": the page is read as the page meant,
    # and each sentence it does not state is worth its own look.
    site.server.add("/biologists", article(ARTICLE[:2]))

    made = site.refresh(0)

    unsupported = [c for c in site.claims() if c.status is ClaimStatus.UNSUPPORTED]
    assert 3 <= len(unsupported) <= 5  # the two sentences stated, and maybe one more read as such
    assert sorted(s.target for s in made) == sorted(c.text for c in unsupported)
    assert all(s.kind is SuggestionKind.UNSUPPORTED_CLAIM for s in made)
