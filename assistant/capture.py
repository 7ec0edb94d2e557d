"""Lead facts a prospect volunteered in a chat message, and the one question worth asking next.

Every field comes from an explicit phrase ("my name is", "team of 40", "budget of $5,000"); a
field no rule matched stays None, and nothing is inferred from tone or from other fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.schemas import ProfileFacts

QUALIFYING_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("team_size", "How many people on your team would be using it?"),
    ("use_case", "What would you mainly use it for, say product docs or an internal wiki?"),
    ("timeline", "When are you hoping to have this up and running?"),
    ("role", "What's your role on the team?"),
)
MAX_ROLE_WORDS = 5
MAX_USE_CASE_WORDS = 10

# --- names -----------------------------------------------------------------------------------
_CAP_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_CAP_NAME = rf"{_CAP_WORD}(?:[ ]{_CAP_WORD}){{0,2}}"
_ANY_NAME = (
    r"[A-Za-z][a-z]+(?:[-'][A-Za-z]?[a-z]+)?(?:[ ][A-Za-z][a-z]+(?:[-'][A-Za-z]?[a-z]+)?){0,2}"
)
NAME_PATTERNS = (
    re.compile(rf"(?i:\bmy name is|\bmy name's|\bname's)\s+(?P<name>{_ANY_NAME})"),
    re.compile(rf"(?i:\bi'm|\bi am)\s+(?P<name>{_CAP_NAME})\b"),
    re.compile(
        rf"(?i:\bthis is|\bit's|\bit is)\s+(?P<name>{_CAP_NAME})(?=\s+(?i:from|at|with|here)\b)"
    ),
    re.compile(rf"^(?:(?i:hi|hello|hey),?\s+)?(?P<name>{_CAP_NAME})\s+(?i:here)\b"),
)
NOT_NAMES = frozenset(
    {
        *("interested", "looking", "here", "just", "not", "new", "trying", "curious", "happy"),
        *("glad", "sorry", "sure", "currently", "also", "still", "evaluating", "wondering"),
        *("from", "with", "at", "in", "on", "the", "a", "an", "and", "but", "so", "very", "really"),
        *("free", "team", "business", "enterprise", "head", "director", "chief", "senior", "lead"),
        *("founder", "manager", "engineer", "developer", "writer", "owner", "part", "responsible"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "ready"),
        *("good", "fine", "great", "okay", "ok", "excited", "hoping", "planning", "going", "able"),
        *("working", "building", "using", "considering", "comparing", "reaching", "writing"),
    }
)

# --- companies -------------------------------------------------------------------------------
_COMPANY = r"(?P<company>[A-Z][\w&'-]*(?:[ ](?:[A-Z0-9][\w&'.-]*|&))*)"
_CAP_RUN = r"[A-Z][\w&'-]*(?:[ ][A-Z][\w&'-]*)*"
_SUFFIX = r"(?:Inc|Corp|Corporation|LLC|Ltd|GmbH|AG|SA|Labs|Technologies|Software|Systems|Group|Co)"
COMPANY_PATTERNS = (
    re.compile(
        r"(?i:\b(?:i|we)\s+(?:currently\s+)?(?:work|am working|'m working|are working|'re working)"
        rf"\s+(?:at|for|with))\s+{_COMPANY}"
    ),
    re.compile(
        r"(?i:\b(?:i'm|i am|we're|we are)\s+with|\bwe at|\bhere at|\b(?:team|department|group)\s+at"
        rf"|^at)\s+{_COMPANY}"
    ),
    re.compile(
        r"(?i:\bour company is(?: called)?|\bcompany(?: name)? is|\bcompany called|\bour company,)"
        rf"\s+{_COMPANY}"
    ),
    re.compile(rf"(?i:\b(?:at|from|with|for))\s+(?P<company>{_CAP_RUN}[ ]{_SUFFIX})\b"),
)
_AFTER_PERSON = re.compile(rf"\s*,?\s*(?i:from|at|with)\s+{_COMPANY}")
NOT_COMPANIES = frozenset(
    {
        *("the", "this", "that", "our", "my", "your", "least", "most", "all", "some", "i"),
        *("noon", "midnight", "eod", "eow", "asap", "night", "home", "work", "christmas"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december", "free", "team", "business"),
        *("enterprise", "first", "scale", "launch", "once", "times", "pm", "am"),
    }
)

# --- roles -----------------------------------------------------------------------------------
ROLE_INTRO = re.compile(
    r"\b(?:i'm|i am|i work as|i'm working as|working as|i serve as|as"
    r"|my (?:role|title|job title|job|position) is)\s+(?:(?:the|a|an|our|their)\s+)?",
    re.IGNORECASE,
)
ROLE_APPOSITIVE = re.compile(r"\s*,\s*(?:(?:the|a|an|our)\s+)?", re.IGNORECASE)
_ROLE_TEXT = re.compile(r"[^,.;!?()]{2,80}")
ROLE_STOP = re.compile(
    r"\b(?:at|from|for|with|in|and|but|so|who|here|on|looking|trying|interested|evaluating"
    r"|responsible|currently|and|of (?:our|the|a|my|this|an))\b",
    re.IGNORECASE,
)
ROLE_WORDS = frozenset(
    {
        *("cto", "ceo", "cfo", "coo", "cio", "cmo", "cpo", "ciso", "vp", "director", "manager"),
        *("head", "lead", "engineer", "developer", "writer", "founder", "co-founder", "cofounder"),
        *("owner", "architect", "designer", "consultant", "analyst", "administrator", "admin"),
        *("officer", "president", "pm", "intern", "specialist", "editor", "marketer", "sre"),
        *("principal", "devops", "scientist", "freelancer", "recruiter", "coordinator"),
        *("strategist", "researcher", "programmer", "technologist", "partner", "contractor"),
    }
)

# --- team size -------------------------------------------------------------------------------
NUMBER_WORDS = {
    **{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8},
    **{"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20},
    **{"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12},
}
_COUNT = rf"(?:\d[\d,]*(?:\.\d+)?\s?k?|(?:a\s+)?(?:{'|'.join(NUMBER_WORDS)}))"
_QUALIFIER = (
    r"(?:(?:about|around|roughly|approximately|approx\.?|~|over|nearly|almost|some|just)\s+)?"
)
_BAND = rf"(?P<low>{_COUNT})(?:\s*(?:-|–|to)\s*(?P<high>{_COUNT}))?(?P<plus>\s?\+)?"
_MEMBERS = (
    r"(?:people|persons|employees|staff|engineers|developers|devs|writers|users|members|seats"
    r"|folks|ftes?|heads|person)"
)
_GROUP = r"(?:team|company|org|organi[sz]ation|startup|department|group|headcount|staff)"
TEAM_SIZE_PATTERNS = (
    re.compile(
        rf"\b{_GROUP}\s+(?:size\s+)?(?:of|is|has|with|:)\s+{_QUALIFIER}{_BAND}", re.IGNORECASE
    ),
    re.compile(
        rf"\bbetween\s+(?P<low>{_COUNT})\s+and\s+(?P<high>{_COUNT})\s+{_MEMBERS}\b", re.IGNORECASE
    ),
    re.compile(rf"(?<![$€£\d.,]){_QUALIFIER}{_BAND}[\s-]*(?:{_MEMBERS})\b", re.IGNORECASE),
)

# --- timeline --------------------------------------------------------------------------------
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_SPAN = (
    r"(?:a|an|one|two|three|four|five|six|a few|a couple of|\d+)"
    r"\s+(?:days?|weeks?|months?|quarters?)"
)
_PERIOD = r"(?:week|month|quarter|year|sprint|few weeks|few months|couple of (?:weeks|months))"
_MONTH_PART = r"(?:early\s+|mid[- ]|late\s+|the end of\s+|end of\s+)?"
TIMELINE_PATTERNS = (
    re.compile(rf"(?i:\b(?:this|next|the coming|the next)\s+{_PERIOD}\b)"),
    re.compile(rf"(?i:\b(?:within|in|in the next)\s+{_SPAN}\b)"),
    re.compile(rf"(?i:\b(?:by|before|in|around|starting|from|until)\s+{_MONTH_PART}){_MONTH}\b"),
    re.compile(
        r"(?i:\b(?:by|before|for)\s+(?:the\s+)?end of\s+(?:the\s+)?(?:week|month|quarter|year)\b)"
    ),
    re.compile(r"(?i:\b(?:by|before|in|for|during)\s+(?:q[1-4]|h[12]|eo[mqy])(?:\s+\d{4})?\b)"),
    re.compile(r"(?i:\b(?:asap|as soon as possible|right away|immediately|urgently)\b)"),
)

# --- budget ----------------------------------------------------------------------------------
_MONEY = (
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?\s?[km]?\b"
    r"|\d[\d,]*(?:\.\d+)?\s?[km]?\s?(?:usd|eur|gbp|dollars|euros|pounds|bucks)\b"
    r"|\d+(?:\.\d+)?k\b)"
)
_PER = r"(?:\s?(?:/|a|an|per)\s?(?:month|mo|year|yr|annum|seat|user)\b)"
_NOT_A_NUMBER = r"[^.!?\d$€£]"
_SPEND = r"(?:spend|afford|allocated?|set aside|(?:can|could|willing to|able to|happy to) pay)"
_ABOUT = r"(?:around|about|roughly|up to|max(?:imum)?|no more than|under|less than|~)"
BUDGET_PATTERNS = (
    re.compile(
        rf"(?i:\bbudget(?:ed)?\b{_NOT_A_NUMBER}{{0,30}}?)(?P<amount>(?:{_MONEY}|\d[\d,]*){_PER}*)"
    ),
    re.compile(rf"(?i:\b{_SPEND}\b{_NOT_A_NUMBER}{{0,20}}?)(?P<amount>{_MONEY}{_PER}*)"),
    # "around 2k a month" is a budget only when it is not asked ("is it around $8 a month?").
    re.compile(rf"(?i:{_ABOUT}\s*)(?P<amount>{_MONEY}{_PER}+)(?![^.!]*\?)"),
)

# --- use case --------------------------------------------------------------------------------
_DOC_NOUNS = (
    r"(?:docs|documentation|wiki|knowledge base|kb|handbook|runbooks?|guides?|manuals?"
    r"|help cent(?:er|re)|api reference|onboarding|sops?|playbooks?|release notes|changelog"
    r"|intranet|policies|specs|notes|tutorials|faqs?)"
)
_PHRASE = r"(?P<use>[^.,;!?]{3,80})"
_IT = r"(?:it|this|them|quillstack|your (?:product|tool|platform|app))"
_TOOL = r"(?:it|something|a tool|a platform|a solution|a place|a way)"
USE_CASE_PATTERNS = (
    re.compile(rf"(?i:\buse\s+{_IT}\s+(?:for|as|to))\s+{_PHRASE}"),
    re.compile(rf"(?i:\b(?:need|want|looking for)\s+{_TOOL}\s+(?:for|to))\s+{_PHRASE}"),
    re.compile(rf"(?i:\buse case is|\buse case:|\b(?:mainly|primarily|mostly) for)\s+{_PHRASE}"),
    re.compile(rf"(?i:\bfor\s+)(?P<use>(?i:our|my|the)\s+[^.,;!?]{{0,40}}?\b(?i:{_DOC_NOUNS}))\b"),
)
_USE_CASE_CUT = re.compile(
    r"\s+(?:and we|and i|but|so|because|since|which|asap)\b.*$", re.IGNORECASE
)
_LEADING_DETERMINER = re.compile(r"^(?:our|my|the|a|an)\s+", re.IGNORECASE)
NOT_USE_CASES = re.compile(
    r"^(?:free|a trial|trial|now|a while|a month|a year|\d.*|(?:it|that|this)\b.*"
    r"|.*\b(?:team|teams|company|org|organi[sz]ation|department|staff|people|employees|group))$",
    re.IGNORECASE,
)

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def _first(patterns: Sequence[re.Pattern[str]], text: str, group: str | int) -> str | None:
    """Return the named group of the earliest match of any pattern."""
    matches = [m for p in patterns for m in p.finditer(text)]
    matches.sort(key=lambda m: m.start(group))
    return matches[0].group(group).strip() if matches else None


def _name_match(text: str) -> re.Match[str] | None:
    """Return the first introduction whose name is not a common word."""
    for pattern in NAME_PATTERNS:
        for match in pattern.finditer(text):
            words = match.group("name").split()
            kept: list[str] = []
            for word in words:
                if word.lower() in NOT_NAMES:
                    break
                kept.append(word)
            if kept and len(kept) == len(words):
                return match
    return None


def _name(match: re.Match[str] | None) -> str | None:
    """Return the introduced name, title-cased when typed in lower case."""
    if match is None:
        return None
    name = match.group("name")
    return name if any(c.isupper() for c in name) else name.title()


def _company(text: str, name: re.Match[str] | None) -> str | None:
    """Return the company named by an explicit phrase, never a time, month or plan."""
    candidates = [m for p in COMPANY_PATTERNS for m in p.finditer(text)]
    if name is not None:
        after = _AFTER_PERSON.match(text, name.end())
        candidates += [after] if after else []
    candidates += _companies_after_role(text, name)
    candidates.sort(key=lambda m: m.start("company"))
    for match in candidates:
        company = match.group("company").rstrip(".'-")
        if company.split()[0].lower() not in NOT_COMPANIES:
            return company
    return None


def _role_spans(text: str, name: re.Match[str] | None) -> list[tuple[str, int]]:
    """Return each role phrase after an introduction, with where the phrase ends."""
    starts = [m.end() for m in ROLE_INTRO.finditer(text)]
    appositive = ROLE_APPOSITIVE.match(text, name.end()) if name else None
    starts += [appositive.end()] if appositive else []
    roles: list[tuple[str, int]] = []
    for start in sorted(starts):
        phrase = _ROLE_TEXT.match(text, start)
        if phrase is None:
            continue
        stop = ROLE_STOP.search(phrase.group(0))
        kept = phrase.group(0)[: stop.start()] if stop else phrase.group(0)
        words = kept.split()[:MAX_ROLE_WORDS]
        if any(w.lower().strip("-") in ROLE_WORDS for w in words):
            role = " ".join(words)
            roles.append((role, start + phrase.group(0).index(role) + len(role)))
    return roles


def _role(text: str, name: re.Match[str] | None) -> str | None:
    """Return the speaker's role or title, if they gave one."""
    roles = _role_spans(text, name)
    return roles[0][0] if roles else None


def _companies_after_role(text: str, name: re.Match[str] | None) -> list[re.Match[str]]:
    """Return the companies named right after a role ("the CTO at Globex")."""
    found = [_AFTER_PERSON.match(text, end) for _, end in _role_spans(text, name)]
    return [m for m in found if m is not None]


def _count(value: str) -> int | None:
    """Return a head count written as digits, "2k" or a number word."""
    cleaned = value.lower().replace(",", "").replace("a ", "").strip()
    if cleaned in NUMBER_WORDS:
        return NUMBER_WORDS[cleaned]
    multiplier = 1000 if cleaned.endswith("k") else 1
    try:
        return round(float(cleaned.rstrip("k").strip()) * multiplier)
    except ValueError:
        return None


def _team_size(text: str) -> str | None:
    """Return the team size as a number ("12"), a band ("50-100") or a floor ("200+")."""
    matches = [m for p in TEAM_SIZE_PATTERNS for m in p.finditer(text)]
    matches.sort(key=lambda m: m.start("low"))
    for match in matches:
        low = _count(match.group("low"))
        high = _count(match.group("high")) if match.group("high") else None
        if low is None or low == 0:
            continue
        if high is not None:
            return f"{low}-{high}"
        plus = "plus" in match.re.groupindex and match.group("plus")
        return f"{low}+" if plus else str(low)
    return None


def _use_case(text: str) -> str | None:
    """Return what the prospect wants the product for, as they put it."""
    phrase = _first(USE_CASE_PATTERNS, text, "use")
    if phrase is None:
        return None
    phrase = _LEADING_DETERMINER.sub("", _USE_CASE_CUT.sub("", phrase)).strip()
    words = phrase.split()
    if not words or len(words) > MAX_USE_CASE_WORDS or NOT_USE_CASES.match(phrase):
        return None
    return phrase


def extract_profile(text: str) -> ProfileFacts:
    """Return the lead facts stated in a message; fields not stated stay None."""
    text = " ".join(text.replace("’", "'").split())
    name = _name_match(text)
    email = EMAIL.search(text)
    return ProfileFacts(
        name=_name(name),
        email=email.group(0).lower() if email else None,
        company=_company(text, name),
        role=_role(text, name),
        team_size=_team_size(text),
        timeline=_first(TIMELINE_PATTERNS, text, 0),
        budget=_first(BUDGET_PATTERNS, text, "amount"),
        use_case=_use_case(text),
    )


def next_qualifying_question(known: Mapping[str, str]) -> str | None:
    """Return one friendly question about the most useful missing field, or None."""
    for field, question in QUALIFYING_QUESTIONS:
        if not known.get(field, "").strip():
            return question
    return None
