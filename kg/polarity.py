"""Say whether a finding sentence states a strength, a weakness or neither.

A small rule-based reader of inspection prose, written so that every decision can be traced
to a cue in the lists below (which is why it is rules, not a model). It scores cues in one
part of the sentence, the *focus*:

1. Cue phrases are matched as whole words, longest first, so "without delay" (strength) is
   read before "delay" (weakness) and "as well as" (neutral) before "well".
2. A strength cue with a negator shortly before it in the same clause ("not effective",
   "lack of consistent", "not sufficiently robust") counts as a weakness. The negation's scope
   passes over a short aside set off by commas or brackets ("not, however, always
   proportionate", "not (yet) effective") and over the words coordinated with the cue ("not
   been rigorous or tenacious enough"): a negated strength, or a word that is no cue, before
   the "or"/"and" shares the negation.
3. Contrast decides the focus. After an adversative ("however", "but", "yet",
   "nevertheless") the part after it decides; one set off as an aside inside a verb phrase
   ("This is not, however, always ...", "is not (yet) ...") answers the sentence before and
   leaves the sentence whole. A sentence opening with a concession
   ("Despite ...,", "Although ...,", "While ...,") is decided by its main clause, after the
   first comma. A concessive conjunction inside the sentence ("..., although they do not
   ...") makes the sentence a weakness if a weakness follows it; otherwise the main clause
   before it decides ("improving, despite the pandemic").
4. A condition ("When risks do not reduce, ...", "... if they cannot live at home") names the
   situation, not the finding: its cues are left out when the rest of the sentence has any
   ("When children cannot live at home, they enter care in a timely way" is a strength).
5. Weakness wins ties: inspection prose states shortfalls next to the good ("not always as
   well as it could be"). No cue at all means neutral.
"""

from __future__ import annotations

import re
import unicodedata

# Weakness cues: shortfalls, delay, inconsistency, negated practice ("do not"), and
# recommendation language. Weight 1, 2 if in _STRONG_WEAKNESS, 0.5 if in _WEAK_WEAKNESS
# (words that lean negative but also appear in neutral prose).
WEAKNESS_CUES: tuple[str, ...] = (
    "not always",
    "not consistently",
    "not yet",
    "not sufficiently",
    "not fully",
    "not routinely",
    "not regularly",
    "not clear",
    "not clearly",
    "not evident",
    "not enough",
    "not as",
    "not being",
    "not been",
    "not have",
    "not had",
    "do not",
    "does not",
    "did not",
    "is not",
    "are not",
    "was not",
    "were not",
    "has not",
    "have not",
    "had not",
    "cannot",
    "can not",
    "could not",
    "will not",
    "nor",
    "no evidence",
    "there is no",
    "there are no",
    "there was no",
    "there were no",
    "too",
    "far too",
    "too slow",
    "too long",
    "too variable",
    "too many",
    "too much",
    "too few",
    "too early",
    "too soon",
    "too recent",
    "delay",
    "delays",
    "delayed",
    "drift",
    "insufficient",
    "insufficiently",
    "lack",
    "lacks",
    "lacking",
    "weak",
    "weaker",
    "weakness",
    "weaknesses",
    "inadequate",
    "poor",
    "poorly",
    "variable",
    "variability",
    "variation",
    "inconsistent",
    "inconsistently",
    "inconsistency",
    "limited",
    "limits",
    "limitation",
    "limitations",
    "need to improve",
    "needs to improve",
    "need to be improved",
    "needs to be improved",
    "to be improved",
    "requires improvement",
    "require improvement",
    "further work",
    "more work",
    "still",
    "gap",
    "gaps",
    "shortfall",
    "shortfalls",
    "deficit",
    "deficits",
    "fail",
    "fails",
    "failed",
    "failure",
    "failures",
    "unable",
    "unclear",
    "unnecessary",
    "unnecessarily",
    "inappropriate",
    "inappropriately",
    "ineffective",
    "piecemeal",
    "hampers",
    "hampered",
    "hinder",
    "hinders",
    "hindered",
    "impeded",
    "impedes",
    "barrier",
    "barriers",
    "concern that",
    "serious",
    "widespread",
    "deteriorated",
    "declined",
    "slow",
    "slower",
    "slowly",
    "overly",
    "underdeveloped",
    "under-developed",
    "not embedded",
    "yet to",
    "only adequate",
    "absence of",
    "unsafe",
    "missed",
    "should have",
    "less effective",
    "less well",
    "less",
    "fewer",
    "risk that",
    "runs the risk",
    "at risk of drift",
    "struggling",
    "struggle",
    "pressure",
    "pressures",
    "stretched",
    "high caseloads",
    "caseloads are high",
    "high workloads",
    "high workload",
    "may not",
    "might not",
    "not all",
    "instability",
    "unstable",
    "some way to go",
    "way to go",
    "needs to",
    "need to",
    "urgently needs",
    "urgently need",
    "longer than necessary",
    "longer than needed",
    "longer than they should",
    "however",
)

_STRONG_WEAKNESS = {
    "inadequate",
    "poor",
    "poorly",
    "serious",
    "widespread",
    "failure",
    "failures",
    "too slow",
    "too long",
    "too variable",
    "too many",
    "far too",
    "longer than necessary",
    "longer than needed",
    "longer than they should",
    "weak",
    "weaknesses",
}
_WEAK_WEAKNESS = {"however", "still", "pressure", "pressures", "less", "too"}

# Strength cues: effectiveness, quality, timeliness, care and improvement; negated weakness
# ("without delay"). Weight 1, 2 if in _STRONG_STRENGTH.
STRENGTH_CUES: tuple[str, ...] = (
    "effective",
    "effectively",
    "highly effective",
    "good",
    "very good",
    "good quality",
    "high quality",
    "high-quality",
    "strong",
    "stronger",
    "strength",
    "strengths",
    "strengthened",
    "well",
    "very well",
    "well attended",
    "well supported",
    "well coordinated",
    "well-coordinated",
    "well considered",
    "improved",
    "improving",
    "improvement in",
    "outstanding",
    "excellent",
    "exceptional",
    "exceptionally",
    "impressive",
    "timely",
    "swift",
    "swiftly",
    "swifter",
    "prompt",
    "promptly",
    "quickly",
    "robust",
    "robustly",
    "thorough",
    "thoroughly",
    "comprehensive",
    "detailed",
    "clear",
    "clearly",
    "clarity",
    "appropriate",
    "appropriately",
    "skilled",
    "skilful",
    "skilfully",
    "committed",
    "dedicated",
    "passionate",
    "proactive",
    "creative",
    "sensitive",
    "sensitively",
    "thoughtful",
    "meaningful",
    "child-centred",
    "consistent",
    "consistently",
    "regular",
    "regularly",
    "stable",
    "secure",
    "safe",
    "successful",
    "successfully",
    "success",
    "positive",
    "positively",
    "benefit",
    "benefits",
    "benefiting",
    "benefit from",
    "valued",
    "supported",
    "supportive",
    "ambitious",
    "ambition",
    "determined",
    "enthusiastic",
    "proud",
    "rightly",
    "sound",
    "careful",
    "carefully",
    "diligently",
    "relentless",
    "persistent",
    "with ease",
    "early signs",
    "sustained",
    "embedded",
    "purposeful",
    "confident",
    "knowledgeable",
    "helpful",
    "responsive",
    "flourish",
    "without delay",
    "without unnecessary delay",
    "no delay",
    "no delays",
    "avoidance of drift",
    "avoid drift",
    "no gaps",
    "met",
    "exceeds",
    "good-quality",
    "safely",
    "decisive",
    "decisively",
    "instrumental",
    "enhanced",
    "suitable",
    "suitably",
    "significant improvement",
    "meets their needs",
    "meet their needs",
    "well-structured",
    "better",
    "good progress",
    "better progress",
    "making progress",
    "made progress",
    "significant progress",
    "without undue delay",
    "without any delay",
    "without any unnecessary delay",
    # evaluative words of inspection prose that praise with no other cue ("caseloads are
    # manageable", "decisions are proportionate", "children enjoy ...")
    "manageable",
    "proportionate",
    "proportionately",
    "valuable",
    "enjoy",
    "enjoys",
    "tenacious",
    "tenacity",
) + tuple(
    # a hardship the children are spared ("children do not experience delay"): read before
    # "do not" (weakness), which would otherwise make the sentence a shortfall
    f"{verb} not {spared}"
    for verb in ("do", "does", "did")
    for spared in (
        "experience delay",
        "experience delays",
        "experience unnecessary delay",
        "experience unnecessary delays",
        "experience drift",
        "have to wait",
    )
)

_STRONG_STRENGTH = {
    "highly effective",
    "outstanding",
    "excellent",
    "exceptional",
    "exceptionally",
    "very good",
    "impressive",
    "high quality",
    "high-quality",
}

# Phrases that look like cues but are neutral here: consumed, scored 0.
NEUTRAL_PHRASES: tuple[str, ...] = (
    "as well as",
    "well-being",
    "well being",
    "wellbeing",
    "the effectiveness",
    "no longer",
    "no further action",
    "not only",
    "but also",
    "good practice guidance",
    "safeguarding concerns",
    "risk of harm",
    "at risk",
    "for a while",
    "improvement plan",
    "improvement board",
    "areas for improvement",
    "met with",
    "less than",
    "fewer than",
    "more or less",
    "still in",
)

# Negators: a strength cue within _NEGATION_WINDOW words after one of these, with no clause
# break between, counts as a weakness.
NEGATORS: frozenset[str] = frozenset(
    {
        "not",
        "no",
        "never",
        "nor",
        "without",
        "lack",
        "lacks",
        "lacking",
        "insufficiently",
        "less",
        "fail",
        "fails",
        "failed",
        "cannot",
        "rarely",
        "seldom",
        "neither",
        "nothing",
        "none",
        "absence",
        "limited",
        "inconsistently",
    }
)
_NEGATION_WINDOW = 3

# Contrast markers (see the module docstring for how each sets the focus).
ADVERSATIVE: frozenset[str] = frozenset({"however", "but", "yet", "nevertheless", "nonetheless"})
CONCESSIVE: frozenset[str] = frozenset(
    {"although", "though", "even though", "while", "whilst", "despite", "in spite of"}
)

_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-", "\ufffe": "-"})


def _trie_pattern(phrases: list[str]) -> str:
    """Whole-word phrases as one regex shaped like a character trie (fast in ``re``); where
    phrases share a start the longest that fits wins."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alternatives = [re.escape(c) + emit(node[c]) for c in sorted(node) if c]
        if "" in node:
            alternatives.append(r"(?!\w)")  # last: prefer the longer phrase
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return r"(?<!\w)" + emit(trie)


def _build_cue_regex() -> tuple[re.Pattern[str], dict[str, float]]:
    """All cues in one regex (one scan per sentence) and the signed weight of each."""
    weights: dict[str, float] = {}
    for cue in WEAKNESS_CUES:
        w = 2.0 if cue in _STRONG_WEAKNESS else 0.5 if cue in _WEAK_WEAKNESS else 1.0
        weights[cue] = -w
    for cue in STRENGTH_CUES:
        weights[cue] = 2.0 if cue in _STRONG_STRENGTH else 1.0
    for phrase in NEUTRAL_PHRASES:
        weights[phrase] = 0.0
    return re.compile(_trie_pattern(list(weights))), weights


_CUES, _WEIGHTS = _build_cue_regex()
# "not yet", "as yet", "yet to" and "but also" are no contrast.
_CONTRAST = re.compile(
    r"(?<![\w-])(even though|in spite of|however|but(?! also)|(?<!not )(?<!as )yet(?! to)"
    r"|nevertheless|nonetheless|although|though|whilst|while|despite)(?![\w-])"
)
_WORD = re.compile(r"[a-z']+")


# A condition: "when", "if" or (leading) "once" to the end of its clause; not "by when", "is
# when", "if needed" and the like (no situation named).
_CONDITION = re.compile(
    r"(?:^|(?<![\w-])(?<!by )(?<!is )(?<!was ))(?:when|whenever|if|^once)\b"
    r"(?! (?:needed|necessary|required|appropriate|possible|deemed)\b)"
)
_CLAUSE_END = re.compile(r"[,;:]| (?:but|and|although|though|while|whilst|however)\b")

# Every contrast marker contains one of these; a sentence without any skips the regex scan.
_CONTRAST_HINT = re.compile("but|yet|though|whil|however|theless|spite")


def _normalise(sentence: str) -> str:
    # NFKC and the fold table leave ASCII unchanged; str.split() splits on the same whitespace
    # as ``\s`` and drops it at both ends, so this is ``re.sub(r"\s+", " ", ...).strip()``.
    if sentence.isascii():
        return " ".join(sentence.lower().split())
    text = unicodedata.normalize("NFKC", sentence).translate(_FOLD).lower()
    return " ".join(text.split())


# A word, or a mark that may end a clause or open or close an aside.
_TOKEN = re.compile(r"[a-z']+|[,;:()]")
_ASIDE_WORDS = 3  # an aside (", however,", "(yet)", ", in all cases,") has at most this many
_COORDINATORS = frozenset({"or", "and"})
_PRONOUN_NEGATORS = frozenset({"none", "nothing", "neither"})


def _aside_start(tokens: list[tuple[str, int]], close: int) -> int | None:
    """The index of the comma or bracket that opens the short aside closed at ``close``, when
    it interrupts a verb phrase ("is not, however, always", "not (yet) effective"); None: a
    clause break or a list ("not only recognised, but also celebrated, shared and ...")."""
    opening = "(" if tokens[close][0] == ")" else ","
    for index in range(close - 1, max(-1, close - _ASIDE_WORDS - 2), -1):
        token = tokens[index][0]
        if token == opening:
            interrupted = index > 0 and tokens[index - 1][0]
            return index if interrupted in _AUXILIARIES or interrupted in NEGATORS else None
        if not token[0].isalpha():
            return None
    return None


def _negated(text: str, start: int, before: dict[int, bool]) -> bool:
    """Whether a negator stands within a few words before ``start``, in the same clause, past
    a short aside and the words coordinated with the cue. ``before``: the cues found so far,
    by their end: whether each is a negated strength."""
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text, max(0, start - 100), start)]
    index, words, at_item, coordinated = len(tokens), 0, True, False
    while index > 0 and words < _NEGATION_WINDOW:
        index -= 1
        token = tokens[index][0]
        if token in NEGATORS:
            # a pronoun heads a noun phrase of its own: "with none in custody or secure
            # institutions" negates no quality of the institutions
            return not (coordinated and token in _PRONOUN_NEGATORS)
        if token in ",)":
            opening = _aside_start(tokens, index)
            if opening is None:
                return False
            index = opening
            continue
        if not token[0].isalpha():
            return False
        if at_item and token in _COORDINATORS and index > 0:
            # "rigorous or tenacious", "timely and effective": the word before shares it
            item, item_position = tokens[index - 1]
            cue = before.get(item_position + len(item))
            if cue is not None:
                return cue  # a negated strength passes it on; any other cue stops it
            if not item[0].isalpha() or item in NEGATORS:
                return False
            index, words, coordinated = index - 1, 0, True
            continue
        words += 1
        at_item = False
    return False


_Cue = tuple[int, int, float]  # start, end, weight (> 0 strength, < 0 weakness)


def _cues(text: str) -> list[_Cue]:
    """Every cue of the sentence, with negated strengths already turned into weaknesses."""
    cues = []
    weights = _WEIGHTS
    found: dict[int, bool] = {}  # every cue so far, neutral ones too, by its end
    for match in _CUES.finditer(text):
        weight = weights[match.group()]
        start = match.start()
        negated = weight > 0 and _negated(text, start, found)
        found[match.end()] = negated
        if weight:
            cues.append((start, match.end(), -weight if negated else weight))
    return cues


def _score(cues: list[_Cue], start: int, end: int) -> tuple[float, float]:
    """(strength, weakness) scores of the cues lying within ``[start, end)``."""
    strength = weakness = 0.0
    for cue_start, cue_end, weight in cues:
        if cue_start >= start and cue_end <= end:
            if weight > 0:
                strength += weight
            else:
                weakness -= weight
    return strength, weakness


def _outside_conditions(text: str, cues: list[_Cue]) -> list[_Cue]:
    """The cues outside the sentence's conditions ("When X, ...", "... when X, ..."): a
    condition names the situation ("when risks are not diminishing"), the rest of the sentence
    what is done about it, which decides. All the cues when nothing outside them has one."""
    clauses = []
    for m in _CONDITION.finditer(text):
        stop = _CLAUSE_END.search(text, m.end())
        clauses.append((m.start(), stop.start() if stop else len(text)))
    if not clauses:
        return cues
    kept = [c for c in cues if not any(a <= c[0] < b for a, b in clauses)]
    return kept or cues


# Words after which a clause's verb phrase is not over: an aside there interrupts it.
_AUXILIARIES = frozenset(
    "is are was were be been being has have had do does did can could will would should may"
    " might must".split()
)
_ASIDE_BEFORE = re.compile(r"([a-z']+)\s*[,(]\s*$")
_ASIDE_AFTER = re.compile(r"\s*[,)]")


def _aside_in_verb_phrase(text: str, marker: re.Match[str]) -> bool:
    """Whether a contrast marker is an aside inside a verb phrase ("This is not, however,
    always ...", "is not (yet) effective"): it answers the sentence before, and the clause it
    interrupts is one."""
    before = _ASIDE_BEFORE.search(text, 0, marker.start())
    return (
        before is not None
        and (before.group(1) in _AUXILIARIES or before.group(1) in NEGATORS)
        and _ASIDE_AFTER.match(text, marker.end()) is not None
    )


def _focus(text: str, cues: list[_Cue]) -> tuple[int, int]:
    """The span of the sentence whose cues decide its polarity."""
    start, end = 0, len(text)
    if _CONTRAST_HINT.search(text) is None:
        return start, end
    markers = [m for m in _CONTRAST.finditer(text) if not _aside_in_verb_phrase(text, m)]
    leading = bool(markers) and len(_WORD.findall(text[: markers[0].start()])) <= 2
    if leading and markers[0].group(1) in CONCESSIVE:  # "Despite X, Y": Y decides
        comma = text.find(",", markers[0].end())
        if comma != -1:
            start = comma + 1
        markers = [m for m in markers if m.start() >= start]
    for m in reversed(markers):  # the last contrast of the sentence decides first
        after = _score(cues, m.end(), end)
        if m.group(1) in ADVERSATIVE:
            if any(after):
                return m.end(), end
        elif after[1] > 0:  # "..., although they do not ...": the weakness decides
            return m.end(), end
        elif any(_score(cues, start, m.start())):  # "improving, despite ...": main clause
            return start, m.start()
    return start, end


def polarity(sentence: str) -> str:
    """``"strength"``, ``"weakness"`` or ``"neutral"`` for one sentence of a finding."""
    text = _normalise(sentence)
    if not text:
        return "neutral"
    cues = _cues(text)
    if not cues:  # nothing to score anywhere
        return "neutral"
    if "if" in text or "when" in text or text.startswith("once"):
        cues = _outside_conditions(text, cues)
    start, end = _focus(text, cues)
    strength, weakness = _score(cues, start, end)
    if not strength and not weakness:
        strength, weakness = _score(cues, 0, len(text))
    if not strength and not weakness:
        return "neutral"
    return "weakness" if weakness >= strength else "strength"
