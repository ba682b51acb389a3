"""The day an article gives for its event: a day it names near its publication, else
the publication date (not the feed's fetch date). Split from :mod:`facts` for size."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.figures import figures_in
from tracker.types import Article


def event_date(article: Article, sentences: list[str]) -> date | None:
    """A day the article names for the event, near its publication; else the
    publication date."""
    published = article.published.date() if article.published else None
    for sentence in sentences:
        for figure in figures_in(sentence):
            if figure.kind != "date" or figure.unit != "day":
                continue
            day = date.fromordinal(int(figure.value))
            if day.year < 1000:  # a day without a year: the publication's year
                if published is None:
                    continue
                day = day.replace(year=published.year)
                if day > published + timedelta(days=2):
                    day = day.replace(year=published.year - 1)
            if published is None or published - timedelta(days=400) <= day <= published + timedelta(
                days=2
            ):
                return day
    return published
