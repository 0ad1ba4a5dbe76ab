"""Tag sentences with the themes of ``ontology/themes.ttl``.

The theme scheme is the only source of the tagger's vocabulary, so that a user can add a
synonym to ``themes.ttl`` and rebuild. Every ``skos:prefLabel``, ``skos:altLabel`` and
``skos:hiddenLabel`` of a ``kg:Theme`` is a phrase to match; ``kg:excludedLabel`` phrases
contain words of a label but do not mean the theme ("improvement plan" is not a child's plan):
the tagger matches them like labels but tags nothing for them, unless some other theme lists
the same phrase as a label.

Matching rules, chosen to be predictable for someone editing the Turtle:

* case-insensitive, on whole words; a label written in capitals (an acronym such as ``IRO``,
  ``SEND``, ``PLO``) matches only in capitals, so ``SEND`` does not fire on "send";
* every word also matches its plural and possessive (``plan`` matches "plans", "plan's";
  ``authority`` matches "authorities"); write the singular to match both, the plural to
  match only the plural; a trailing ``*`` matches any ending (``supervis*``);
* spaces, hyphens, commas and slashes between words are interchangeable
  ("multi-agency" = "multi agency");
* where phrases overlap, the one that starts first wins, then the longest; so
  "improvement plan" (governance) swallows "plan" (written plans).

All phrases are compiled into one trie-shaped regular expression (plus one for acronyms), so
tagging costs one regex scan per sentence.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from kg.resources import data_path
from kg.vocab import KG, SKOS, THEME

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABEL_PROPS = {SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel"}
_EXCLUDED = KG + "excludedLabel"

# Symbols of a compiled phrase besides literal characters.
_SUFFIX = "\x00suffix"  # plural / possessive ending of an ordinary word
_YSUFFIX = "\x00ysuffix"  # ending of a word in consonant + y: policy -> policies
_WILD = "\x00wild"  # a trailing * in a label
_SEP = "\x00sep"  # between two words
_END = "\x00end"  # a phrase ends here (trie leaf marker)

_SYMBOL_PATTERNS = {
    _SUFFIX: r"(?:'s|s'|es|s|')?",
    _YSUFFIX: r"(?:y's|ies'|ies|y)",
    _WILD: r"[\w']*",
    _SEP: r"[\s,/\-]+",
}
_WORD_SPLIT = re.compile(r"[\s,/\-]+")
# Typographic variants folded before matching: curly quotes, odd hyphens and the U+FFFE that
# PDF text extraction leaves at a line-break hyphen.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00ad": "-",
        "\ufffe": "-",
    }
)


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def _is_acronym(label: str) -> bool:
    letters = [c for c in label if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _symbols(label: str) -> tuple[str, ...]:
    """The symbol sequence of one label: characters, word endings and separators."""
    symbols: list[str] = []
    words = [w for w in _WORD_SPLIT.split(label.strip()) if w]
    for i, word in enumerate(words):
        if i:
            symbols.append(_SEP)
        if word.endswith("*"):
            symbols.extend(word[:-1])
            symbols.append(_WILD)
        elif len(word) > 2 and word[-1] in "yY" and word[-2].lower() not in "aeiou":
            symbols.extend(word[:-1])
            symbols.append(_YSUFFIX)
        else:
            symbols.extend(word)
            symbols.append(_SUFFIX)
    return tuple(symbols)


def _trie_regex(
    phrases: list[tuple[str, ...]], *, groups: bool = True, literal_first: bool = False
) -> re.Pattern[str] | None:
    """One regex for all phrases, each starting where no word character precedes it.

    With ``groups``, phrase ``i`` ends with the empty named group ``p<i>`` (which phrase
    matched). Without them the regex matches the same spans several times faster (``re`` saves
    and restores group marks in every alternation that contains a group), so the scan uses it
    and asks the grouped regex, at the start of each match, which phrase it was.
    ``literal_first`` puts the word-start check after the first character, which lets ``re``
    skip at C speed every position whose character cannot start a phrase (worth it where few
    can, as with acronyms in mixed-case text); it matches exactly what the plain form matches.
    """
    if not phrases:
        return None
    trie: dict = {}
    for index, symbols in enumerate(phrases):
        node = trie
        for symbol in symbols:
            node = node.setdefault(symbol, {})
        node[_END] = index

    def emit(node: dict, top: bool = False) -> str:
        alternatives = []
        # literal characters before word endings, so "partner's" beats "partner" + "'s"
        for symbol in sorted((k for k in node if k != _END), key=lambda k: (k[0] == "\x00", k)):
            piece = _SYMBOL_PATTERNS.get(symbol) or re.escape(symbol)
            if top and literal_first:
                # the character before this one (a phrase starts with a literal character,
                # never a newline) is not a word character: the (?<!\w) of the plain form
                piece = piece + r"(?<!\w.)" if symbol[0] != "\x00" else r"(?<!\w)" + piece
            alternatives.append(piece + emit(node[symbol]))
        if _END in node:  # last, so that longer phrases are preferred
            end = rf"(?P<p{node[_END]}>)" if groups else ""
            alternatives.append(r"(?!\w)" + end)
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    if literal_first:
        return re.compile(emit(trie, top=True))
    return re.compile(r"(?<!\w)" + emit(trie))


def scheme_path(path: Path | None = None) -> Path:
    """The theme scheme to read: ``path``, else ``$KG_THEMES``, else the shipped themes.ttl
    (the tagger, the stored ontology graph and the build fingerprint all use this one)."""
    if path is not None:
        return Path(path)
    env = os.environ.get("KG_THEMES")
    return Path(env) if env else data_path("ontology/themes.ttl")


def _theme_id(iri: str) -> str:
    """A theme concept's id: what follows the theme namespace, or the IRI's last segment."""
    return iri[len(THEME) :] if iri.startswith(THEME) else re.split(r"[/#]", iri)[-1]


@dataclass(frozen=True)
class _Theme:
    id: str
    label: str
    position: float


class ThemeTagger:
    """Tags text with theme ids, using the synonyms of a SKOS theme scheme."""

    def __init__(
        self,
        themes: Iterable[tuple[str, str, float]],
        labels: dict[str, set[str]],
        excluded: Iterable[str] = (),
        groups: Iterable[str] = (),
    ) -> None:
        """``themes``: (id, prefLabel, order); ``labels``: theme id -> phrases; ``groups``:
        the themes that name a group of children (``kg:groupOfChildren``)."""
        ordered = sorted((_Theme(*t) for t in themes), key=lambda t: (t.position, t.id))
        self._themes = ordered
        self._groups = frozenset(groups)
        self._rank = {t.id: i for i, t in enumerate(ordered)}
        # phrase key -> theme ids (empty set for a phrase that is only excluded)
        phrases: dict[tuple[str, ...], set[str]] = {}
        acronyms: dict[tuple[str, ...], set[str]] = {}
        for phrase in excluded:
            self._add(phrases, acronyms, phrase, None)
        for theme_id, theme_labels in labels.items():
            for phrase in theme_labels:
                self._add(phrases, acronyms, phrase, theme_id)
        self._plain = _Compiled(phrases, self._rank)
        # few characters of mixed-case text can start an acronym: let re skip the others
        self._acronyms = _Compiled(acronyms, self._rank, literal_first=True)

    @staticmethod
    def _add(
        phrases: dict[tuple[str, ...], set[str]],
        acronyms: dict[tuple[str, ...], set[str]],
        phrase: str,
        theme_id: str | None,
    ) -> None:
        phrase = _fold(phrase).strip()
        if not phrase.strip("*"):
            return
        if _is_acronym(phrase):
            target, key = acronyms, _symbols(phrase)
        else:
            target, key = phrases, _symbols(phrase.lower())
        themes = target.setdefault(key, set())
        if theme_id is not None:
            themes.add(theme_id)

    @classmethod
    def load(cls, path: Path | None = None) -> ThemeTagger:
        """Read a theme scheme: ``path``, else ``$KG_THEMES``, else the shipped themes.ttl."""
        path = scheme_path(path)
        quads = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
        theme_iris: set[str] = set()
        pref: dict[str, list[tuple[str, str]]] = {}
        labels: dict[str, set[str]] = {}
        excluded: list[str] = []
        positions: dict[str, float] = {}
        groups: set[str] = set()
        for quad in quads:
            s, p, o = quad.subject, quad.predicate.value, quad.object
            if not isinstance(s, pyoxigraph.NamedNode):
                continue
            if p == _RDF_TYPE and o.value == KG + "Theme":
                theme_iris.add(s.value)
            elif p in _LABEL_PROPS and isinstance(o, pyoxigraph.Literal):
                labels.setdefault(s.value, set()).add(o.value)
                if p == SKOS + "prefLabel":
                    pref.setdefault(s.value, []).append((o.language or "", o.value))
            elif p == _EXCLUDED and isinstance(o, pyoxigraph.Literal):
                excluded.append(o.value)
            elif p == KG + "position" and isinstance(o, pyoxigraph.Literal):
                positions[s.value] = float(o.value)
            elif p == KG + "groupOfChildren" and o.value == "true":
                groups.add(s.value)
        themes = []
        theme_labels: dict[str, set[str]] = {}
        for iri in theme_iris:
            theme_id = _theme_id(iri)
            names = sorted(pref.get(iri, []), key=lambda lv: (lv[0] not in ("en", ""), lv))
            label = names[0][1] if names else theme_id
            themes.append((theme_id, label, positions.get(iri, float("inf"))))
            theme_labels[theme_id] = labels.get(iri, set())
        group_ids = [_theme_id(iri) for iri in theme_iris & groups]
        return cls(themes, theme_labels, excluded, group_ids)

    @classmethod
    def shared(cls, path: Path | None = None) -> ThemeTagger:
        """A tagger loaded once per process and file version (tagging a build's reports
        should not re-read the scheme for each one; an edited file is re-read)."""
        resolved = scheme_path(path).resolve()
        key = (str(resolved), resolved.stat().st_mtime_ns)
        if key not in _SHARED:
            _SHARED[key] = cls.load(resolved)
        return _SHARED[key]

    def tag(self, text: str) -> list[str]:
        """Theme ids of what the text is about, in scheme order.

        A purpose clause ("... so that plans progress", "... to inform planning") says why,
        not what: only the words before it are read, unless they name no theme at all; the
        group of children it names still counts (``kg:groupOfChildren``: care leavers,
        disabled children ...). See docs/theme-tagging.md, rule 1. A cross-reference to the
        national framework ("(outcome 2, national framework)") is not read.
        """
        folded = _CROSS_REFERENCE.sub("", _fold(text))
        cut = _PURPOSE.search(folded)
        found = self._find(folded)
        if cut:
            head = self._find(folded[: cut.start()])
            if head:  # the purpose clause still says for whom ("... of disabled children")
                found = head | (found & self._groups)
        return sorted(found, key=self._rank.__getitem__)

    def _find(self, folded: str) -> set[str]:
        return self._plain.find(folded.lower()) | self._acronyms.find(folded)

    def matches(self, text: str) -> list[tuple[str, list[str]]]:
        """The phrases found in ``text`` and the themes each gives (for explaining a tag)."""
        folded = _fold(text)
        return self._plain.explain(folded.lower()) + self._acronyms.explain(folded)

    def labels(self) -> dict[str, str]:
        """Theme id -> preferred label, in scheme order."""
        return {t.id: t.label for t in self._themes}

    @property
    def ids(self) -> list[str]:
        """Theme ids in scheme order."""
        return [t.id for t in self._themes]


# The cross-reference newer reports append to each point ("(outcome 2, national framework)",
# "(enabler: leaders drive conditions for effective practice, national framework)"): the
# framework's headings, not what the point is about.
_CROSS_REFERENCE = re.compile(r"\([^()]*national\s+framework[^()]*\)", re.IGNORECASE)

# Where a purpose clause starts: what follows says why the point matters, not what it is about.
_PURPOSE = re.compile(
    r",?\s+(?:so\s+that|in\s+order\s+(?:to|that)|so\s+as\s+to|to\s+(?:inform|support|help"
    r"|enable))\b",
    re.IGNORECASE,
)

_SHARED: dict[tuple[str, int], ThemeTagger] = {}


_CACHE_SIZE = 20_000  # distinct matched phrases remembered per regex


class _Compiled:
    """The trie regexes of a set of phrases and the themes each phrase gives."""

    def __init__(
        self,
        phrases: dict[tuple[str, ...], set[str]],
        rank: dict[str, int],
        literal_first: bool = False,
    ) -> None:
        keys = list(phrases)
        self._regex = _trie_regex(keys)  # with a group per phrase: which one matched
        self._scan = _trie_regex(keys, groups=False, literal_first=literal_first)
        self._themes = [frozenset(t for t in phrases[k] if t in rank) for k in keys]
        self._cache: dict[str, frozenset[str]] = {}

    def _phrase_themes(self, phrase: str) -> frozenset[str]:
        """The themes of the phrase the scan matched as ``phrase``.

        The grouped regex matched alone against ``phrase`` takes the path the scan took in
        its sentence: paths that failed there fail here too (the lookahead after a path ending
        where the match ends sees the same character for all of them), so it names the same
        phrase. The answer depends on the matched text only, so it is cached.
        """
        themes = self._cache.get(phrase)
        if themes is None:
            match = self._regex.match(phrase)  # type: ignore[union-attr]
            themes = self._themes[int(match.lastgroup[1:])]  # type: ignore[union-attr, index]
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[phrase] = themes
        return themes

    def find(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._scan is None:
            return found
        for match in self._scan.finditer(text):
            found |= self._phrase_themes(match.group())
        return found

    def explain(self, text: str) -> list[tuple[str, list[str]]]:
        if self._scan is None:
            return []
        return [
            (m.group(0), sorted(self._phrase_themes(m.group(0)))) for m in self._scan.finditer(text)
        ]
