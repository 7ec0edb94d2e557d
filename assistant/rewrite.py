"""Stand-alone search queries from follow-up messages such as "and the annual one?".

The rule is deterministic. A message is a follow-up when

- it opens with a connective ("and", "also", "what about", "how about", "same for") and what
  follows is not a complete question of its own (one that opens like a question and has no
  pronoun pointing back);
- or it has a pronoun pointing back ("it", "that", "they", "the annual one") and at most three
  content words;
- or it is a fragment of at most two content words that does not open like a question ("SCIM?").

Greetings, thanks, insults and requests for a person are never follow-ups. A follow-up is joined to
the topic: the latest earlier user message with a content word that is not small talk, itself
resolved the same way (only its last question, when it asks several). The join tries in order:

1. slot swap: a plan name or billing period in the follow-up replaces the topic's own
   ("How much is the Team plan?" + "what about Business?" → "How much is the Business plan?");
2. name swap: a capitalised name or acronym replaces the topic's last one of the same kind
   ("Does Quillstack support SSO?" + "what about SCIM?" → "Does Quillstack support SCIM?");
3. pronoun fill: a question with a pronoun gets the topic's focus in the pronoun's place
   ("How much is the Team plan?" + "does it include SSO?" → "does the Team plan include SSO?");
   with no focus to put there, both questions are kept whole, the topic first;
4. otherwise the follow-up's content words are appended to the topic
   ("How much is the Team plan?" + "and the annual one?" → "How much is the Team plan annual?").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from assistant.intent import classify
from assistant.schemas import Intent

MAX_PRONOUN_CONTENT_WORDS = 3
MAX_FRAGMENT_CONTENT_WORDS = 2
MAX_SWAP_WORDS = 4
NOT_A_TOPIC: frozenset[Intent] = frozenset({"small_talk", "abuse", "human", "off_topic"})
FRAGMENT_INTENTS: frozenset[Intent] = frozenset({"question", "pricing", "comparison"})

_LEAD = re.compile(
    r"^(?:(?:and|also|plus|but|or|ok|okay|so)\b[\s,]*)*"
    r"(?:(?:what|how) about\b|same (?:question |thing )?for\b|what of\b)?[\s,]*",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(
    r"^(?:is|are|was|were|does|do|did|can|could|will|would|should|has|have|how|what|which|who"
    r"|when|where|why|i|i'm|we|we're|you|my|our|please|tell|show|explain|let)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"\b(?:it|they|them|those|these)\b"
    r"|\b(?:that|this)\b(?=\s*(?:[?.!,]|$|'s\b|is\b|was\b|does\b|do\b|can\b|will\b|would\b"
    r"|one\b|plan\b|tier\b|option\b|include|cost|work|come|support|apply|need))"
    r"|\bones?\b(?!\s+(?:of\b|[a-z]+s\b|user|seat|person|member|account|workspace|year|month"
    r"|day|week|time|page|space|team|site))",
    re.IGNORECASE,
)
_PRONOUN_AFTER_VERB = re.compile(
    r"\b(?:about|for|with|of|on|in|get|buy|need|want|use) (that|this)\b", re.IGNORECASE
)
_DUMMY_IT = re.compile(
    r"\b(?:is )?it(?:'s| is)? (?:possible|easy|hard|difficult|ok|okay|true|necessary|required"
    r"|safe)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z0-9][\w'.+-]*[\w+]|[A-Za-z0-9]")
_STOPWORDS = frozenset(
    {
        *("a", "an", "the", "and", "or", "but", "also", "plus", "what", "about", "how", "is"),
        *("are", "was", "were", "be", "do", "does", "did", "can", "could", "will", "would"),
        *("should", "has", "have", "had", "i", "we", "you", "me", "us", "my", "our", "your"),
        *("of", "for", "to", "in", "on", "at", "with", "by", "from", "as", "if", "so", "then"),
        *("than", "there", "here", "any", "some", "much", "many", "please", "just", "ok", "okay"),
        *("which", "who", "when", "where", "why", "same", "question", "thing", "its", "it's"),
        *("it", "they", "them", "those", "these", "that", "this", "one", "ones", "get", "got"),
    }
)
_PLAN_IN_TOPIC = re.compile(
    r"\b(?i:free|team|business|enterprise)(?=\s+(?i:plan|tier|edition)s?\b)"
    r"|\b(?:Free|Team|Business|Enterprise)\b"
)
_PLAN_IN_FOLLOWUP = re.compile(r"\b(?:free|team|business|enterprise)\b", re.IGNORECASE)
_PERIOD = re.compile(
    r"\b(?:annual(?:ly)?|monthly|yearly|per (?:month|year)|a (?:month|year)|month-to-month"
    r"|billed (?:monthly|annually|yearly))\b",
    re.IGNORECASE,
)
_SENTENCE_AUX = frozenset(
    {"does", "do", "is", "are", "can", "could", "will", "would", "should", "has", "did"}
)
_LEADING_FILLER = re.compile(r"^(?:(?:with|for|in|on|to|the|a|an|using)\s+)+", re.IGNORECASE)
_QUESTION = re.compile(r"[^.!?]*\?")


@dataclass(frozen=True)
class _Name:
    """A run of capitalised words or acronyms in a message, and where it sits."""

    start: int
    end: int
    text: str

    @property
    def acronym(self) -> bool:
        """Return whether every word of the run is upper case."""
        return all(w.isupper() for w in self.text.split())


def _clean(text: str) -> str:
    """Collapse whitespace and straighten quotes."""
    return " ".join(text.replace("’", "'").split())


def _content_words(text: str) -> list[str]:
    """Return the words of the text that are neither stopwords nor pronouns, as written."""
    return [w for w in _WORD.findall(text) if w.lower() not in _STOPWORDS]


def _pronoun(text: str) -> tuple[int, int] | None:
    """Return where the first pronoun pointing back sits, ignoring "is it possible"."""
    masked = _DUMMY_IT.sub(lambda m: "_" * len(m.group(0)), text)
    spans = [m.span() for m in _PRONOUN.finditer(masked)]
    spans += [m.span(1) for m in _PRONOUN_AFTER_VERB.finditer(masked)]
    return min(spans) if spans else None


def _split_lead(message: str) -> tuple[bool, str]:
    """Return whether the message opens with a connective, and the rest without punctuation."""
    lead = _LEAD.match(message)
    end = lead.end() if lead else 0
    return end > 0, message[end:].strip().rstrip("?!.,;: ")


def _is_followup(message: str) -> bool:
    """Return whether the message depends on earlier context (see the module docstring)."""
    intent = classify(message)
    if intent in NOT_A_TOPIC:
        return False
    has_lead, rest = _split_lead(message)
    if not rest:
        return False
    pronoun = _pronoun(rest) is not None
    content = _content_words(rest)
    clause = _CLAUSE_START.match(rest) is not None
    if has_lead:
        return pronoun or not clause
    if pronoun:
        return len(content) <= MAX_PRONOUN_CONTENT_WORDS
    return intent in FRAGMENT_INTENTS and not clause and len(content) <= MAX_FRAGMENT_CONTENT_WORDS


def _names(text: str, *, product_names: Collection[str], skip_subject: bool) -> list[_Name]:
    """Return the capitalised runs of a topic, leaving out sentence openers and the product."""
    products = {p.lower() for p in product_names}
    runs: list[_Name] = []
    previous = ""
    for match in _WORD.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        opener = not before or before[-1] in ".!?"
        subject = skip_subject and previous.lower() in _SENTENCE_AUX and _opens(text, previous)
        previous = word
        if opener or subject or word == "I" or word.lower() in products:
            continue
        if not (word[0].isupper() or (word.isupper() and len(word) > 1)):
            continue
        if runs and text[runs[-1].end : match.start()].strip() == "":
            last = runs[-1]
            runs[-1] = _Name(last.start, match.end(), text[last.start : match.end()])
        else:
            runs.append(_Name(match.start(), match.end(), word))
    return [r for r in runs if not _PLAN_IN_TOPIC.fullmatch(r.text)]


def _opens(text: str, word: str) -> bool:
    """Return whether the word opens a sentence of the text (so what follows is its subject)."""
    return re.search(rf"(?:^|[.!?]\s+){re.escape(word)}\b", text) is not None


def _swap_slot(topic: str, rest: str) -> str | None:
    """Replace the topic's plan or billing period with the follow-up's, if both name one."""
    plan_new, plan_old = _PLAN_IN_FOLLOWUP.search(rest), _PLAN_IN_TOPIC.search(topic)
    if plan_new and plan_old:
        value = plan_new.group(0).capitalize()
        return topic[: plan_old.start()] + value + topic[plan_old.end() :]
    period_new, period_old = _PERIOD.search(rest), _PERIOD.search(topic)
    if period_new and period_old:
        return topic[: period_old.start()] + period_new.group(0) + topic[period_old.end() :]
    return None


def _swap_name(topic: str, rest: str, *, product_names: Collection[str]) -> str | None:
    """Replace the topic's last name of the same kind with a short capitalised follow-up."""
    replacement = _LEADING_FILLER.sub("", rest)
    words = replacement.split()
    if not words or len(words) > MAX_SWAP_WORDS or not words[0][0].isupper():
        return None
    acronym = words[0].isupper() and len(words[0]) > 1
    names = _names(topic, product_names=product_names, skip_subject=True)
    same_kind = [n for n in names if n.acronym == acronym] or names
    if not same_kind:
        return None
    old = same_kind[-1]
    return topic[: old.start] + replacement + topic[old.end :]


def _focus(topic: str, *, product_names: Collection[str]) -> str | None:
    """Return what a pronoun most likely points to: a plan, else the topic's last name."""
    plan = _PLAN_IN_TOPIC.search(topic)
    if plan:
        return f"the {plan.group(0).capitalize()} plan"
    names = _names(topic, product_names=product_names, skip_subject=False)
    if names:
        return names[-1].text
    mentioned = [p for p in product_names if re.search(rf"\b{re.escape(p)}\b", topic, re.I)]
    return mentioned[0] if mentioned else None


def _fill_pronoun(topic: str, rest: str, *, product_names: Collection[str]) -> str | None:
    """Put the topic's focus in place of the follow-up question's pronoun."""
    pronoun = _pronoun(rest)
    focus = _focus(topic, product_names=product_names)
    if pronoun is None or focus is None or not _CLAUSE_START.match(rest):
        return None
    start, end = pronoun
    return rest[:start] + focus + rest[end:]


def _join(message: str, topic: str, *, product_names: Collection[str]) -> str:
    """Combine a follow-up with its topic by the first rule that applies."""
    _, rest = _split_lead(message)
    asks = message.endswith("?") or topic.endswith("?")
    core = topic.rstrip("?!.,;: ")
    joined = (
        _swap_slot(core, rest)
        or _swap_name(core, rest, product_names=product_names)
        or _fill_pronoun(core, rest, product_names=product_names)
    )
    if joined is None and _CLAUSE_START.match(rest):
        # A question whose pronoun has nothing to point to: keep both questions whole.
        joined = f"{core}{'?' if asks else '.'} {rest}"
    if joined is None:
        joined = " ".join([core, *_content_words(rest)])
    return joined + ("?" if asks else "")


def _topic_of(message: str) -> str:
    """Return the last question a message asks, or the whole message."""
    questions = [q.strip() for q in _QUESTION.findall(message) if _content_words(q)]
    return questions[-1] if questions else message


def _latest_topic(history: Sequence[str], *, product_names: Collection[str]) -> str | None:
    """Return the latest substantive earlier message, its own follow-ups resolved."""
    topic: str | None = None
    for earlier in history:
        message = _clean(earlier)
        if classify(message) in NOT_A_TOPIC or not _content_words(message):
            continue
        if topic is not None and _is_followup(message):
            topic = _join(message, topic, product_names=product_names)
        else:
            topic = _topic_of(message)
    return topic


def rewrite_followup(
    text: str, history: Sequence[str], *, product_names: Collection[str] = ()
) -> str:
    """Return the message as a stand-alone query, joined to its topic if it is a follow-up."""
    message = _clean(text)
    if not message or not _is_followup(message):
        return text.strip()
    topic = _latest_topic(history, product_names=product_names)
    if topic is None:
        return text.strip()
    return _join(message, topic, product_names=product_names)
