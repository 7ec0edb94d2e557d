"""Plain words for the lead-store features, so a rep reads "Viewed pricing 4 times in the
last 7 days", not "pricing_views_7d = 4". Models trained on a CSV keep "column = value"."""

from __future__ import annotations

from collections.abc import Callable

Phrase = Callable[[float | str | None], str]
_WINDOW = {1: "in the last day", 7: "in the last 7 days", 30: "in the last 30 days"}


def _count(value: float | str | None) -> int:
    return round(float(value)) if isinstance(value, int | float) else 0


def _times(value: float | str | None) -> str:
    n = _count(value)
    return "once" if n == 1 else f"{n:,} times"


def _plural(value: float | str | None, noun: str) -> str:
    n = _count(value)
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _level(label: str) -> Phrase:
    return lambda v: f"{label} {v}" if v is not None else f"{label} unknown"


def _flag(yes: str, no: str) -> Phrase:
    return lambda v: yes if isinstance(v, int | float) and v >= 0.5 else no


def _share(template: str) -> Phrase:
    return lambda v: template.format(float(v) if isinstance(v, int | float) else 0.0)


def _days(template: str, today: str, unknown: str) -> Phrase:
    def say(v: float | str | None) -> str:
        if not isinstance(v, int | float):
            return unknown
        days = _count(v)
        if days == 0:
            return today
        return template.format("1 day" if days == 1 else f"{days:,} days")

    return say


_COUNTED: dict[str, Phrase] = {
    "page_views": lambda v: f"Viewed {_plural(v, 'page')}",
    "docs_views": lambda v: f"Read the docs {_times(v)}",
    "pricing_views": lambda v: f"Viewed pricing {_times(v)}",
    "chat_messages": lambda v: f"Sent {_plural(v, 'chat message')}",
    "email_opens": lambda v: f"Opened {_plural(v, 'email')}",
    "email_clicks": lambda v: f"Clicked {_plural(v, 'email link')}",
}


def _windowed(phrase: Phrase, days: int) -> Phrase:
    return lambda v: f"{phrase(v)} {_WINDOW[days]}"


PHRASES: dict[str, Phrase] = {
    "team_size_band": _level("Company size"),
    "role": _level("Role:"),
    "industry": _level("Industry:"),
    "country": _level("Country:"),
    "budget": _level("Budget:"),
    "timeline": _level("Timeline:"),
    "first_channel": lambda v: (
        f"First came from {str(v).replace('_', ' ')}" if v is not None else "First channel unknown"
    ),
    "first_source": _level("First source:"),
    "first_medium": _level("First medium:"),
    "team_size_floor": lambda v: (
        f"At least {_count(v):,} people" if isinstance(v, int | float) else "Company size unknown"
    ),
    "has_company": _flag("Gave a company name", "No company name given"),
    "qualification_answers": lambda v: f"Answered {_plural(v, 'qualifying question')}",
    **{
        f"{name}_{days}d": _windowed(phrase, days)
        for name, phrase in _COUNTED.items()
        for days in _WINDOW
    },
    "days_since_first_touch": _days("First seen {} ago", "First seen today", "First visit unknown"),
    "days_since_last_activity": _days("Last active {} ago", "Active today", "No activity yet"),
    "active_days_30d": lambda v: f"Active on {_plural(v, 'day')} in the last 30 days",
    "activity_decayed": _share("Recent activity level {:.1f}"),
    "pricing_decayed": _share("Recent pricing interest {:.1f}"),
    "docs_pages_distinct": lambda v: f"Read {_plural(v, 'different docs page')}",
    "pricing_share": _share("{:.0%} of page views on pricing"),
    "pricing_views_total": lambda v: f"Viewed pricing {_times(v)} in all",
    "chat_asked_pricing": _flag("Asked about pricing in chat", "Never asked about pricing"),
    "page_views_total": lambda v: f"Viewed {_plural(v, 'page')} in all",
    "email_opens_total": lambda v: f"Opened {_plural(v, 'email')} in all",
    "email_click_rate": _share("Clicked {:.0%} of the emails opened"),
    "signed_up": _flag("Signed up", "Has not signed up"),
    "trial_started": _flag("Started a trial", "No trial started"),
    "meeting_booked": _flag("Booked a meeting", "No meeting booked"),
    "checkout_started": _flag("Started checkout", "Has not started checkout"),
    "marketing_consent": _flag("Agreed to marketing email", "No marketing consent"),
}

# Columns the feature spec derives (see `FeatureSpec.columns`).
DERIVED_PHRASES: dict[str, Phrase] = {
    "missing fields": lambda v: f"{_plural(v, 'profile or activity fact')} unknown",
}
