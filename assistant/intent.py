"""What a chat message is after: an ordered table of keyword rules, and a prompt-injection flag.

`classify` tries the intents in priority order (abuse, human, buying_signal, comparison, pricing,
small_talk, off_topic) and falls back to "question". `is_injection_attempt` is advisory: it feeds
logging and tone, and no safety property depends on it (the audience filter lives in the query).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from assistant.schemas import Intent

Patterns = tuple[re.Pattern[str], ...]


def _compile(*patterns: str) -> Patterns:
    """Compile case-insensitive patterns (messages are also lower-cased before matching)."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


ABUSE = _compile(
    r"\bf+u+c+k\w*|\bf[*#@]+c?k\w*|\bmotherf\w*",
    r"\bshit\w*|\bbullshit\b|\bbitch\w*|\basshole\w*|\bbastards?\b|\bdickheads?\b|\bcunts?\b",
    r"\bdumbass\w*|\bretard\w*|\bwtf\b|\bstfu\b|\bmorons?\b|\bidiots?\b|\bidiotic\b",
    r"\byou suck\b|\bshut up\b|\bscrew you\b|\bgo to hell\b|\bpiss off\b|\bi hate you\b",
    r"\bkill yourself\b|\bkys\b|\bdie in a fire\b",
    r"\byou(?:'re| are)\s+(?:so\s+|such\s+an?\s+|an?\s+|completely\s+|totally\s+)?"
    r"(?:stupid|useless|dumb|worthless|pathetic|garbage|trash|brainless)\b",
    r"\b(?:stupid|useless|dumb|worthless|garbage|brainless)\s+(?:bot|ai|machine|assistant|robot)\b",
    r"\bpiece of (?:shit|crap|garbage|junk|trash)\b",
)

_HUMAN_WHO = (
    r"(?:a |an |some |your |the |one of your )?(?:real |actual |live |human )?"
    r"(?:person|human|someone|somebody|sales(?:person|people| team| rep)?|agent|rep"
    r"|representative|account (?:manager|executive)|team member|people|operator)\b"
)
HUMAN = _compile(
    rf"\b(?:talk|speak|chat|connect|get in touch|be in touch)\s+(?:to|with)\s+{_HUMAN_WHO}",
    r"\b(?:want|need|like|prefer)\s+(?:to\s+(?:reach|contact)\s+)?(?:a|an|some|your|the)\s+"
    r"(?:real |actual |live )?(?:person|human|salesperson|sales rep|rep|representative)\b",
    r"\b(?:human being|human agent|live agent|live chat with)\b",
    r"\b(?:call|ring|phone) me\b|\b(?:give|gimme) me a call\b",
    r"\b(?:can|could|will|would) (?:someone|somebody|a person|sales|your team|a rep)"
    r"(?: from (?:your |the )?(?:team|sales|company))? (?:call|contact|email|reach out|get back)\b",
    r"\bhave (?:someone|somebody|sales|a rep|a person) (?:call|contact|email|reach)\b",
    r"\b(?:transfer|connect|put|escalate) me\b",
    r"\bcontact (?:sales|your sales team|a person|someone|a human)\b",
    r"\b(?:your|a) (?:sales )?phone number\b",
)

BUYING_SIGNAL = _compile(
    r"\bhow (?:do|can|would|should|could) (?:i|we)\s+(?:go about\s+)?"
    r"(?:buy|purchase|sign up|signup|subscribe|upgrade|get started|pay for|order|onboard)\b",
    r"\b(?:start|begin|activate|get|set up|kick off|sign up for)\s+(?:a |the |my |our )?"
    r"(?:free\s+)?trial\b",
    r"\bcheckout\b|\bproceed to (?:check ?out|payment)\b",
    r"\b(?:want|wanna|ready|like|love|planning|plan|looking|decided|going|intend)\s+(?:to\s+)?"
    r"(?:buy|purchase|sign up|subscribe|upgrade|go ahead|move forward|proceed|sign the contract)\b",
    r"\bsign (?:me|us) up\b|\btake my money\b|\bpurchase order\b",
    r"\b(?:book|schedule|set up|arrange|request|get|see)\s+(?:a |an )?(?:quick |short )?"
    r"(?:meeting|demo|call|walkthrough)\b",
    r"\b(?:send|give|get|prepare|email)\s+(?:me |us )?(?:a |an )?(?:formal |custom )?"
    r"(?:quote|proposal|order form)\b",
    r"\bwhere (?:do|can) (?:i|we) (?:enter|put|add) (?:my |our |a )?(?:credit )?"
    r"(?:card|payment)\b",
)

COMPARISON = _compile(
    r"\bvs\.?\b|\bversus\b",
    r"\bcompar(?:e|ed|es|ing|ison|isons)\b",
    r"\bdifferences? between\b|\bdiffer(?:s|ent)? from\b|\bwhat(?:'s| is) the difference\b",
    r"\bwhich (?:plan|tier|one|edition|option|package|subscription)\b",
    r"\b(?:better|worse|cheaper) than\b|\balternatives? to\b|\bstack up against\b",
    r"\b(?:instead of|over) (?:confluence|notion|gitbook|readme|document360|sharepoint)\b",
)

PRICING = _compile(
    r"\bpric(?:e|es|ed|ing)\b|\bcosts?\b|\bcosting\b|\bhow much\b",
    r"\bexpensive\b|\bcheap(?:er|est)?\b|\baffordable\b|\bfees?\b",
    r"\bdiscounts?\b|\bcoupons?\b|\bpromo(?:tion)? codes?\b",
    r"\bbill(?:ing|ed)\b|\binvoic\w*|\brefunds?\b|\bsubscriptions?\b|\bpayments?\b",
    r"\bannual(?:ly)?\b|\bmonthly\b|\byearly\b|\bper (?:seat|user|month|year)\b",
    r"[$€£]\s?\d|\b\d+\s?(?:usd|eur|gbp|dollars|euros)\b",
    r"\bfree (?:plan|tier|trial|version)\b|\bpay\b",
)

_SMALL_TALK_PHRASES = re.compile(
    r"\b(?:hi|hello|hey|heya|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening|day)"
    r"|thanks?(?: you)?|thx|ty|cheers|much appreciated|appreciate it|how are you(?: doing)?"
    r"|how(?:'s| is) it going|what(?:'s| is) up|sup|nice to meet you|bye|goodbye"
    r"|see (?:you|ya)(?: later)?|have a (?:good|nice|great) (?:day|one|weekend)|take care"
    r"|got it|sounds good|that helps|that(?:'s| is| was) (?:very )?helpful|lol|haha"
    r"|who are you|what(?:'s| is) your name|are you a (?:bot|robot|real bot|chatbot)"
    r"|good bot|well done|you rock)\b"
)
_SMALL_TALK_FILLER = frozenset(
    {
        *("there", "so", "much", "very", "a", "lot", "again", "all", "everyone", "guys", "folks"),
        *("you", "too", "for", "the", "help", "your", "and", "oh", "well", "just", "ok", "okay"),
        *("yes", "no", "yeah", "yep", "nope", "sure", "please", "cool", "great", "awesome"),
        *("perfect", "nice", "thank", "today", "morning", "evening", "bot", "really", "super"),
    }
)

OFF_TOPIC_ALWAYS = _compile(
    r"\bwrite (?:me )?an? (?:poem|song|story|essay|haiku|limerick|rap|sonnet)\b",
    r"\btell me a (?:joke|story)\b",
    r"\bwhat(?:'s| is) \d+\s*[-+*/x×^]\s*\d+",
    r"\bsolve (?:this|for x|the equation|my)\b|\bmath homework\b",
)
OFF_TOPIC_UNLESS_PRODUCT = _compile(
    r"\bweather\b|\bforecast\b|\brecipes?\b|\bcook(?:ing)?\b|\bbak(?:e|ing)\b",
    r"\b(?:football|soccer|basketball|baseball|nba|nfl|premier league|world cup|super bowl"
    r"|tennis|cricket|hockey)\b",
    r"\bhomework\b|\bequation\b|\bintegral of\b|\bderivative of\b",
    r"\bpolitic\w*|\belections?\b|\bpresident\b|\bprime minister\b|\bdemocrats?\b"
    r"|\brepublicans?\b|\bsenat\w*",
    r"\bhoroscope\b|\bzodiac\b|\bastrology\b|\bmeaning of life\b|\bcapital of\b",
    r"\bmovies?\b|\bfilms?\b|\btv shows?\b|\bbitcoin\b|\bcrypto\w*|\bstock tips?\b",
    r"\bgirlfriend\b|\bboyfriend\b|\bdating\b|\bvacation\b|\bholiday plans?\b",
)
PRODUCT_ANCHOR = re.compile(
    r"\b(?:quillstack|quill|docs?|documentation|wiki|workspaces?|pages?|editor|integrat\w*|api"
    r"|sso|plans?|seats?|features?|export\w*|import\w*|publish\w*|templates?|accounts?|spaces?)\b"
)

_REVEAL = (
    r"\b(?:reveal|show|print|display|leak|dump|output|expose|share|tell me|give me|list)\s+"
    r"(?:me\s+|us\s+)?(?:all\s+)?(?:of\s+)?"
)
INJECTION = _compile(
    r"\b(?:ignore|disregard|forget) (?:the |everything |all )?(?:above|previous|prior)\b",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|everything\s+)?"
    r"(?:of\s+)?(?:your|the|my|previous|prior|above|earlier|preceding|these|those|system)?\s*"
    r"(?:previous\s+|prior\s+|earlier\s+|original\s+|initial\s+)?"
    r"(?:instructions?|rules|prompts?|guidelines|directions|directives|programming|constraints)",
    r"\bsystem[\s_-]*prompt\b|\binitial prompt\b|\bhidden prompt\b|\bpre-?prompt\b",
    r"\byou(?:'re| are)\s+now\s+(?:a|an|the|my|in|called|named|dan|free|unrestricted|no longer"
    r"|going to|acting|operating|jailbroken)\b",
    r"\bfrom now on,?\s+(?:you|act|respond|answer|behave)\b",
    r"\bpretend(?:ing)?\s+(?:to be|you(?:'re| are)|that you|as)\b|\bact as (?:if|an?|my|the)\b",
    r"\brole-?\s?play(?:ing)?\b(?!-based)|\bin character as\b",
    r"\bdeveloper mode\b|\bdev mode\b|\bgod mode\b|\bjailbreak\w*|\bdo anything now\b|\bdan mode\b",
    rf"{_REVEAL}(?:your|the)\s+(?:\w+\s+){{0,2}}(?:internal|confidential|secret|hidden|private)\s+"
    r"(?:\w+\s+)?(?:instructions|rules|prompt|playbook|notes|guidelines|polic(?:y|ies)|config\w*"
    r"|discounts?|pricing)\b",
    rf"{_REVEAL}your\s+(?:\w+\s+){{0,2}}(?:instructions|prompt|rules)\b",
    rf"{_REVEAL}(?:your|the)\s+(?:\w+\s+){{0,2}}"
    r"(?:playbook|discount (?:rules|matrix|table|policy|limits))\b",
    r"\brepeat (?:the|all|everything|the words|the text)\s*(?:\w+\s+){0,2}(?:above|before this)\b",
    r"\bwhat (?:were|are) your (?:initial|original|system|hidden|secret)? ?instructions\b",
    r"\bnew instructions\s*:|<\|im_start\|>|\[/?(?:system|inst)\]|^\s*#{2,}\s*system\b",
    r"\brot-?13\b|\b(?:decode|decrypt|follow|execute|run)\b.{0,40}\b(?:base64|base-64|hex)\b",
    r"\b(?:base64|base-64|hex)[- ](?:encoded|decoded)?\s*(?:instructions?|payload|command|prompt)",
)
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:\\x[0-9a-f]{2}){8,}|\b(?:[0-9a-f]{2}[\s:]?){12,}", re.IGNORECASE)


def _normalize(text: str) -> str:
    """Lower-case, straighten quotes and collapse whitespace."""
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


def _any(patterns: Sequence[re.Pattern[str]], text: str) -> bool:
    """Return whether any pattern occurs in the text."""
    return any(p.search(text) for p in patterns)


def _is_small_talk(text: str) -> bool:
    """Return whether the message is only greetings, thanks or pleasantries."""
    rest = _SMALL_TALK_PHRASES.sub(" ", text)
    words = re.findall(r"[a-z0-9']+", rest)
    return all(w in _SMALL_TALK_FILLER for w in words)


def _is_off_topic(text: str) -> bool:
    """Return whether the message is clearly about something other than the product."""
    if _any(OFF_TOPIC_ALWAYS, text):
        return True
    return _any(OFF_TOPIC_UNLESS_PRODUCT, text) and not PRODUCT_ANCHOR.search(text)


RULES: tuple[tuple[Intent, Patterns], ...] = (
    ("abuse", ABUSE),
    ("human", HUMAN),
    ("buying_signal", BUYING_SIGNAL),
    ("comparison", COMPARISON),
    ("pricing", PRICING),
)


def classify(text: str) -> Intent:
    """Return the intent of a chat message by the first matching rule in priority order."""
    normalized = _normalize(text)
    for intent, patterns in RULES:
        if _any(patterns, normalized):
            return intent
    if _is_small_talk(normalized):
        return "small_talk"
    if _is_off_topic(normalized):
        return "off_topic"
    return "question"


def _printable_text(data: bytes) -> bool:
    """Return whether decoded bytes read as a phrase of plain ASCII text."""
    try:
        decoded = data.decode("ascii")
    except UnicodeDecodeError:
        return False
    return decoded.isprintable() and " " in decoded and any(c.isalpha() for c in decoded)


def _has_encoded_payload(text: str) -> bool:
    """Return whether the text carries a base64 or hex run that decodes to readable text."""
    for token in _BASE64_TOKEN.findall(text):
        if len(token) % 4 == 0:
            try:
                if _printable_text(base64.b64decode(token, validate=True)):
                    return True
            except binascii.Error:
                pass
    for run in _HEX_RUN.findall(text):
        digits = re.sub(r"[^0-9a-fA-F]", "", run.replace("\\x", ""))
        if len(digits) % 2 == 0 and _printable_text(bytes.fromhex(digits)):
            return True
    return False


def is_injection_attempt(text: str) -> bool:
    """Return whether the message looks like a prompt-injection or jailbreak attempt."""
    return _any(INJECTION, _normalize(text)) or _has_encoded_payload(text)
