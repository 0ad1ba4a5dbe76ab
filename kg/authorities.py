"""English children's-services authorities: the reference table, its history, and name lookup.

Reports name a council many ways ("Hartlepool Borough Council", "Hartlepool Borough",
"Hartlepool"), and reports from 2009-2023 name councils that no longer exist. This module turns
any of those names, or a report's opening text, into one ``Authority`` identified by its GSS code.

Data (all via ``kg.resources.data_path``):

- ``reference/english_local_authorities.csv``: the 153 current authorities;
- ``reference/la_changes.csv``: every code change 2009-2025 (old -> new);
- ``reference/aliases.csv``: alternative names the normalisation rules cannot derive ("Hull",
  "BCP"). Two rows with the same alias make that alias ambiguous on purpose ("Kingston").

Identity rules (the domain identifies an authority by its GSS code):

- **Same council, new code** (a ``la_changes`` row where the old code has one successor, the
  successor has one predecessor, and the DfE number is unchanged or was never issued: Barnsley,
  Sheffield, Gateshead, Northumberland, Buckinghamshire, North Yorkshire, Somerset, and the 2009
  county recodes such as Durham -> County Durham): one authority, the *current* row. The old code
  is kept in ``former_gss_codes`` (with its date in ``recodes``) and the old name becomes
  another name for it.
- **Different council** (splits, mergers, or a new DfE number: Northamptonshire, Cumbria,
  Bedfordshire, Cheshire, Bournemouth, Poole, Dorset 2019): the old council is a *predecessor*
  authority of its own, with its old GSS code, old DfE number, ``successors`` and ``abolished``
  (the date its successors took over). The successors list it in ``predecessors`` and carry
  ``established``. Predecessors have no Wikidata item (no source gives one).
- ``by_gss(code)`` returns the authority that code identifies: a current row, the current row for
  a former code, or a predecessor for its own code, so ``by_gss(a.gss_code) is a`` always holds.
  ``by_gss(code, current=True)`` maps a predecessor code to its successor when there is exactly
  one and raises ``AmbiguousAuthority`` otherwise (Northamptonshire -> two successors).
- When a name fits both a current authority and a predecessor ("Dorset"), the current one wins
  unless ``on`` (the date of the report) says the predecessor was the council then.
- ``lookup(text)`` is the one entry point for what a user types (``kg query --authority``,
  ``kg authorities show``, ``kg report --authority``, saved-query parameters): a GSS code (any
  case, former codes included), a DfE LA number, or any name; a miss names the closest ones.

Name matching is exact after normalisation (never fuzzy): case, accents, punctuation and
apostrophes are folded, "&" -> "and" ("St." -> "St" falls out), "X, City of" -> "City of X",
and generic words ("council", "borough", "metropolitan borough", "city", "county",
"royal borough of", "london borough of", "city of", "the", ...) are stripped. Unknown or
ambiguous names raise, with the closest valid names (difflib) in the message.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kg import vocab
from kg.errors import KgError, quoted
from kg.record import AuthorityRef
from kg.resources import data_path

__all__ = [
    "AmbiguousAuthority",
    "Authority",
    "AuthorityError",
    "AuthorityIndex",
    "Change",
    "Recode",
    "UnknownAuthority",
    "normalise_name",
]


class AuthorityError(KgError, LookupError):
    """A name or code that does not identify exactly one authority."""

    def __init__(self, message: str, query: str, suggestions: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.query = query
        self.suggestions = list(suggestions)


class UnknownAuthority(AuthorityError):
    """No authority has this name or code."""


class AmbiguousAuthority(AuthorityError):
    """More than one authority fits; ``candidates`` lists them so the caller can choose."""

    def __init__(self, message: str, query: str, candidates: Iterable[Authority]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message, query, (_label(a) for a in self.candidates))


@dataclass(frozen=True)
class Change:
    """The other side of one ``la_changes.csv`` row: a predecessor or a successor council."""

    name: str
    gss_code: str
    dfe_la_code: str | None
    effective_date: str  # ISO date the new code came into operation


@dataclass(frozen=True)
class Recode:
    """One ``la_changes.csv`` row that gave the same council's area a new GSS code."""

    old_name: str
    old_gss_code: str
    new_gss_code: str  # the code it got then (it may have been recoded again later)
    effective_date: str  # ISO date the new code came into operation


@dataclass(frozen=True)
class Authority:
    """One council running children's services, current or abolished (see module docstring)."""

    name: str
    gss_code: str
    dfe_la_code: str | None
    region_name: str | None
    region_gss_code: str | None
    wikidata_qid: str | None
    former_gss_codes: tuple[str, ...] = ()
    predecessors: tuple[Change, ...] = ()
    successors: tuple[Change, ...] = ()
    established: str | None = None  # set only when it replaced other councils (2009-2023)
    abolished: str | None = None  # date its successors took over; None while current
    recodes: tuple[Recode, ...] = ()  # earlier codes of its area, oldest first

    @property
    def is_current(self) -> bool:
        return self.abolished is None

    @property
    def iri(self) -> str:
        """The authority's IRI in the graph (``kg.vocab.authority_iri`` of its GSS code)."""
        return vocab.authority_iri(self.gss_code)

    def existed_on(self, day: str | date) -> bool:
        """Whether this council ran children's services on ``day`` (ISO date or ``date``)."""
        iso = day.isoformat() if isinstance(day, date) else day
        if self.established is not None and iso < self.established:
            return False
        return self.abolished is None or iso < self.abolished

    def gss_code_on(self, day: str | date) -> str:
        """The GSS code this council had on ``day`` (ISO date, year-month or year, or a
        ``date``): a former code before its recode took effect (Somerset County Council was
        E10000027 until 2023-04-01), else its own. The council stays one authority across
        the recode; only the code of the day differs."""
        iso = day.isoformat() if isinstance(day, date) else day
        later = [r for r in self.recodes if iso < r.effective_date]
        return min(later, key=lambda r: r.effective_date).old_gss_code if later else self.gss_code

    def ref(self) -> AuthorityRef:
        return AuthorityRef(name=self.name, gss_code=self.gss_code, dfe_la_code=self.dfe_la_code)


# --- name normalisation -------------------------------------------------------------------

_INVERTED = re.compile(
    r"^(?P<name>.+?),\s*(?P<kind>(?:the\s+)?(?:city|county|royal borough|london borough"
    r"|metropolitan borough|borough|city and county)\s+of)\s*$",
    re.IGNORECASE,
)
# Stripped repeatedly from the front / back of a folded name, longest first.
_PREFIXES = sorted(
    (
        "the ",
        "council of ",
        "royal borough of ",
        "london borough of ",
        "metropolitan borough of ",
        "borough of ",
        "city and county of ",
        "city of ",
        "county of ",
        "county ",
    ),
    key=len,
    reverse=True,
)
_SUFFIXES = sorted(
    (
        " council",
        " borough",
        " metropolitan",
        " metropolitan district",
        " district",
        " city",
        " county",
        " city of",
        " county of",
        " unitary authority",
        " local authority",
    ),
    key=len,
    reverse=True,
)
# Folded names whose "generic" words are the name itself: the City of London is not "London".
_PROTECTED = frozenset({"city of london"})
# Words a heading line may carry besides the name ("London Borough of Hackney Council").
_GENERIC_WORDS = frozenset(
    "the council borough city county of metropolitan district royal london local authority".split()
)
# Phrases that contain an authority's name but are not about that authority: Ofsted's own
# office addresses in letterheads, a combined-authority area and a district. Matched (longest
# wins) and then ignored by ``find_in_text``.
_NOT_AUTHORITIES = (
    "store street manchester",
    "st anns square manchester",
    "cumberland place nottingham",
    "cumberland place",
    "greater manchester",
    "newcastle under lyme",
)
_PRE_CUE = re.compile(
    r"(?:inspection of|inspection in|visit to|visit of|services in|report on)"
    r"(?:\s+(?:the|london|royal|borough|city|county|council|metropolitan|of))*\s+$"
)
_POST_CUE = re.compile(
    r"^(?:\s+(?:borough|city|county|council|metropolitan|district|local|authority))*"
    r"\s+childrens\s+(?:social\s+care\s+)?services"
)


def _fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; newlines kept (they mark headings)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"['\u2018\u2019`\u00b4]", "", text)  # children's -> childrens
    text = re.sub(r"[^a-z0-9\n]+", " ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def _strip_generic(key: str) -> str:
    changed = True
    while changed and key not in _PROTECTED:
        changed = False
        for prefix in _PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key, changed = key[len(prefix) :], True
                break
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, changed = key[: -len(suffix)], True
                break
    return key


def normalise_name(name: str) -> str:
    """The lookup key of a name: "Kingston upon Hull, City of" -> "kingston upon hull"."""
    name = " ".join(name.split())
    m = _INVERTED.match(name)
    if m:
        name = f"{m['kind']} {m['name']}"
    return _strip_generic(" ".join(_fold(name).split()))


# What ``AuthorityIndex.lookup`` reads as a code rather than a name.
_GSS = re.compile(r"[Ee]\d{8}")
_DFE = re.compile(r"\d{3}")


def _label(a: Authority) -> str:
    state = "" if a.is_current else f", abolished {a.abolished}"
    return f"{a.name} ({a.gss_code}{state})"


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- the index ----------------------------------------------------------------------------


class AuthorityIndex:
    """Every authority (current and predecessor) with lookup by GSS, DfE number and name."""

    def __init__(
        self,
        authorities: Iterable[Authority],
        names: Iterable[tuple[str, str]],
        notes: dict[str, str] | None = None,
    ) -> None:
        """``names`` pairs a name (any form) with the GSS code it denotes (current or former)."""
        self._all = list(authorities)
        self._by_gss: dict[str, Authority] = {}
        self._by_dfe: dict[str, Authority] = {}
        for a in self._all:
            for code in (a.gss_code, *a.former_gss_codes):
                if code in self._by_gss:
                    raise ValueError(f"GSS code {code} is given to two authorities")
                self._by_gss[code] = a
            if a.dfe_la_code:
                if a.dfe_la_code in self._by_dfe:
                    raise ValueError(f"DfE number {a.dfe_la_code} is given to two authorities")
                self._by_dfe[a.dfe_la_code] = a
        self._notes = notes or {}
        by_key: dict[str, list[Authority]] = defaultdict(list)
        for name, code in names:
            target = self._by_gss.get(code)
            if target is None:
                raise ValueError(f"name {name!r} points at unknown GSS code {code!r}")
            key = normalise_name(name)
            if key and target not in by_key[key]:
                by_key[key].append(target)
        self._by_key = dict(by_key)

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        """The name regex of ``find_in_text``, compiled on first use and kept (compiling it
        is ~2/3 of building the index, and looking a name or code up never needs it)."""
        return self._compile()

    # -- loading --

    @classmethod
    def load(cls) -> AuthorityIndex:
        """The index of the shipped reference files, built once per process."""
        return _default_index()

    @classmethod
    def from_files(
        cls, authorities_csv: Path, changes_csv: Path, aliases_csv: Path
    ) -> AuthorityIndex:
        """Build from the three reference files (see the module docstring for the rules)."""
        with authorities_csv.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        with changes_csv.open(newline="", encoding="utf-8") as f:
            changes = list(csv.DictReader(f))
        with aliases_csv.open(newline="", encoding="utf-8") as f:
            aliases = [r for r in csv.DictReader(f) if (r.get("alias") or "").strip()]

        live = {r["gss_code"]: r for r in rows}
        out_rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        in_rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        for c in changes:
            out_rows[c["old_gss"]].append(c)
            in_rows[c["new_gss"]].append(c)

        def is_recode(c: dict[str, str]) -> bool:
            return (
                len(out_rows[c["old_gss"]]) == 1
                and len(in_rows[c["new_gss"]]) == 1
                and (
                    not _blank(c["old_dfe_la_code"]) or c["old_dfe_la_code"] == c["new_dfe_la_code"]
                )
            )

        recoded = {c["old_gss"]: c["new_gss"] for c in changes if is_recode(c)}

        def current_code(code: str) -> str:
            seen = set()
            while code in recoded and code not in seen:
                seen.add(code)
                code = recoded[code]
            return code

        former: dict[str, list[str]] = defaultdict(list)
        recodes: dict[str, list[Recode]] = defaultdict(list)
        names: list[tuple[str, str]] = [(r["name"], r["gss_code"]) for r in rows]
        for old, new in recoded.items():
            target = current_code(new)
            if target not in live:
                raise ValueError(f"la_changes: {old} is recoded to {target}, not a current code")
            former[target].append(old)
        for c in changes:
            if c["old_gss"] in recoded:
                recodes[current_code(c["new_gss"])].append(
                    Recode(c["old_name"], c["old_gss"], c["new_gss"], c["effective_date"])
                )
        for c in changes:
            if c["old_gss"] in recoded:
                names.append((c["old_name"], c["old_gss"]))

        preds: dict[str, list[Change]] = defaultdict(list)
        predecessor_rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        for c in changes:
            if c["old_gss"] in recoded:
                continue
            predecessor_rows[c["old_gss"]].append(c)
            preds[current_code(c["new_gss"])].append(
                Change(
                    c["old_name"], c["old_gss"], _blank(c["old_dfe_la_code"]), c["effective_date"]
                )
            )

        authorities: list[Authority] = []
        for r in rows:
            code = r["gss_code"]
            its_preds = tuple(sorted(preds.get(code, ()), key=lambda p: p.gss_code))
            authorities.append(
                Authority(
                    name=r["name"],
                    gss_code=code,
                    dfe_la_code=_blank(r["dfe_la_code"]),
                    region_name=_blank(r["region_name"]),
                    region_gss_code=_blank(r["region_gss_code"]),
                    wikidata_qid=_blank(r["wikidata_qid"]),
                    former_gss_codes=tuple(sorted(former.get(code, ()))),
                    predecessors=its_preds,
                    established=min((p.effective_date for p in its_preds), default=None),
                    recodes=tuple(sorted(recodes.get(code, ()), key=lambda r: r.effective_date)),
                )
            )
        for old, group in predecessor_rows.items():
            successors = tuple(
                Change(
                    c["new_name"], c["new_gss"], _blank(c["new_dfe_la_code"]), c["effective_date"]
                )
                for c in group
            )
            regions = {
                (
                    live[current_code(s.gss_code)]["region_name"],
                    live[current_code(s.gss_code)]["region_gss_code"],
                )
                for s in successors
            }
            region = regions.pop() if len(regions) == 1 else (None, None)
            authorities.append(
                Authority(
                    name=group[0]["old_name"],
                    gss_code=old,
                    dfe_la_code=_blank(group[0]["old_dfe_la_code"]),
                    region_name=_blank(region[0]),
                    region_gss_code=_blank(region[1]),
                    wikidata_qid=None,
                    successors=successors,
                    abolished=min(s.effective_date for s in successors),
                )
            )
            names.append((group[0]["old_name"], old))

        notes: dict[str, str] = {}
        for a in aliases:
            names.append((a["alias"], a["gss_code"].strip()))
            if _blank(a.get("note")):
                notes[normalise_name(a["alias"])] = a["note"].strip()
        return cls(authorities, names, notes)

    # -- lookup --

    def all(self, include_predecessors: bool = False) -> list[Authority]:
        """The 153 current authorities in table order (plus abolished predecessors if asked)."""
        return [a for a in self._all if include_predecessors or a.is_current]

    def __len__(self) -> int:
        return len(self._all)

    def by_gss(self, code: str, *, current: bool = False) -> Authority:
        """The authority a GSS code identifies (a former code gives the current authority).

        With ``current=True`` a predecessor's code maps to its successor if it has exactly one,
        else ``AmbiguousAuthority`` (the successors are the candidates).
        """
        query = code.strip().upper()
        found = self._by_gss.get(query)
        if found is None:
            close = difflib.get_close_matches(query, self._by_gss, n=3, cutoff=0.8)
            raise UnknownAuthority(
                f"no English children's services authority has GSS code {code!r}"
                + (f"; did you mean {', '.join(close)}?" if close else ""),
                code,
                close,
            )
        if not current or found.is_current:
            return found
        successors = list(
            dict.fromkeys(self.by_gss(s.gss_code, current=True) for s in found.successors)
        )
        if len(successors) == 1:
            return successors[0]
        raise AmbiguousAuthority(
            f"GSS code {code!r} ({found.name}) was replaced by several authorities: "
            + ", ".join(_label(a) for a in successors),
            code,
            successors,
        )

    def by_dfe(self, code: str | int) -> Authority:
        """The authority with this DfE LA number (abolished councils keep their own numbers)."""
        query = str(code).strip()
        found = self._by_dfe.get(query)
        if found is None:
            raise UnknownAuthority(
                f"no English children's services authority has DfE LA number {code!r}", str(code)
            )
        return found

    def lookup(self, text: str | int, on: str | date | None = None) -> Authority:
        """The authority a user's text denotes: a name or alias (any case, any of the forms
        reports write), a GSS code (any case; a former code gives the authority it became) or
        a DfE LA number. The one entry point for the command line, the saved queries and the
        analytics; a miss raises ``UnknownAuthority`` naming the closest authorities.
        """
        query = str(text).strip()
        if _GSS.fullmatch(query):
            try:
                return self.by_gss(query)
            except UnknownAuthority as error:
                close = [f"{a.name} ({a.gss_code})" for a in map(self.by_gss, error.suggestions)]
                raise UnknownAuthority(
                    f"no English children's services authority has GSS code {query!r}"
                    + (f"; closest: {', '.join(close)}" if close else ""),
                    query,
                    close,
                ) from None
        if _DFE.fullmatch(query):
            try:
                return self.by_dfe(query)
            except UnknownAuthority:
                codes = difflib.get_close_matches(query, self._by_dfe, n=3, cutoff=0.6)
                close = [f"{self._by_dfe[c].name} ({c})" for c in codes]
                raise UnknownAuthority(
                    f"no English children's services authority has DfE LA number {query!r}"
                    + (f"; closest: {', '.join(close)}" if close else ""),
                    query,
                    close,
                ) from None
        return self.resolve(query, on)

    def resolve(self, name: str, on: str | date | None = None) -> Authority:
        """The one authority a name denotes, or ``UnknownAuthority`` / ``AmbiguousAuthority``.

        ``on`` (the report's date) picks between councils that shared a name ("Dorset").
        """
        key = normalise_name(name)
        candidates = self._by_key.get(key)
        if not candidates:
            suggestions = self.suggest(name)
            note = self._notes.get(key)
            raise UnknownAuthority(
                f"{quoted(name)} is not the name of an English children's services authority"
                + (f" ({note})" if note else "")
                + (
                    f"; closest valid names: {', '.join(suggestions)}"
                    if suggestions
                    else "; no close match"
                ),
                name,
                suggestions,
            )
        return self._choose(name, candidates, on)

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Valid names closest to ``name`` (for error messages; never used to accept a name)."""
        key = normalise_name(name)
        keys = sorted((k for k in self._by_key if len(key) > 3 and (key in k or k in key)), key=len)
        keys += difflib.get_close_matches(key, list(self._by_key), n=n * 2, cutoff=0.6)
        seen: dict[str, None] = {}
        for k in keys:
            for a in self._by_key[k]:
                seen.setdefault(a.name)
        return list(seen)[:n]

    def _choose(self, query: str, candidates: list[Authority], on: str | date | None) -> Authority:
        if on is not None:
            alive = [a for a in candidates if a.existed_on(on)]
            if not alive:
                raise UnknownAuthority(
                    f"{query!r} names {', '.join(_label(a) for a in candidates)}, none of which "
                    f"ran children's services on {on}",
                    query,
                    [a.name for a in candidates],
                )
            candidates = alive
        if len(candidates) == 1:
            return candidates[0]
        current = [a for a in candidates if a.is_current]
        if on is None and len(current) == 1:
            return current[0]
        note = self._notes.get(normalise_name(query))
        raise AmbiguousAuthority(
            f"{query!r} is ambiguous"
            + (f" ({note})" if note else "")
            + ": it could be "
            + " or ".join(_label(a) for a in candidates)
            + ("; pass the report date as on=" if on is None and not current else ""),
            query,
            candidates,
        )

    # -- text --

    def _compile(self) -> re.Pattern[str]:
        """One regex over every name key and the non-authority phrases, longest first."""
        keys = sorted({*self._by_key, *_NOT_AUTHORITIES}, key=lambda k: (-len(k), k))
        body = "|".join(r"\s+".join(re.escape(w) for w in k.split()) for k in keys)
        return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")

    def find_in_text(self, text: str, on: str | date | None = None) -> Authority | None:
        """The authority a report's opening text (~2000 characters) is about, or None.

        Every name is found with one regex (longest match wins, so "North Somerset" is not
        "Somerset"). A name in a title ("Inspection of X", "Focused visit to X", "X children's
        services") wins; else a heading line that is only the name ("Hartlepool Borough
        Council"); else the name met most often. Ambiguous names and Ofsted's own address are
        skipped rather than guessed.
        """
        folded = _fold(text)
        titled: list[Authority] = []
        headings: list[Authority] = []
        counts: dict[Authority, int] = {}
        for m in self._pattern.finditer(folded):
            key = " ".join(m.group().split())
            candidates = self._by_key.get(key)
            if not candidates:
                continue
            try:
                authority = self._choose(key, candidates, on)
            except AuthorityError:
                continue
            counts[authority] = counts.get(authority, 0) + 1
            before = folded[max(0, m.start() - 100) : m.start()]
            after = folded[m.end() : m.end() + 80]
            if _PRE_CUE.search(before) or _POST_CUE.match(after):
                titled.append(authority)
            line_start = folded.rfind("\n", 0, m.start()) + 1
            line_end = folded.find("\n", m.end())
            if line_end < 0:
                line_end = len(folded)
            rest = folded[line_start : m.start()] + " " + folded[m.end() : line_end]
            if set(rest.split()) <= _GENERIC_WORDS:
                headings.append(authority)
        if titled:
            return titled[0]
        if headings:
            return headings[0]
        if counts:
            return max(counts, key=lambda a: counts[a])  # ties: first met (dicts keep order)
        return None


@functools.lru_cache(maxsize=1)
def _default_index() -> AuthorityIndex:
    return AuthorityIndex.from_files(
        data_path("reference/english_local_authorities.csv"),
        data_path("reference/la_changes.csv"),
        data_path("reference/aliases.csv"),
    )
