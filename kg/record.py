"""The typed record of one report: what the extractor read, before it becomes RDF.

Plain dataclasses so that every step can be tested alone: ``kg.extract`` produces a
``Report``, ``kg.rdf`` turns it into quads, ``kg extract --json`` prints ``Report.to_json()``.
Character offsets (``start``/``end``) index the cleaned text of the source (``Report.text``),
so every statement can be traced back to the words it came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kg import families

# Visit kinds: SKOS concept ids in ontology/ontology.ttl (kg:VisitKind scheme), one per family.
KINDS = families.KINDS

# Recommendation timescales (SLAC "Areas for improvement" groups).
TIMESCALES = ("immediately", "within-three-months", "within-six-months")

# Recommendation priority groups (SIF "What does the local authority need to improve?").
PRIORITIES = ("priority-and-immediate-action", "areas-for-improvement")

POLARITIES = ("strength", "weakness", "neutral")


@dataclass
class AuthorityRef:
    """The authority a report is about, resolved against the reference table."""

    name: str
    gss_code: str
    dfe_la_code: str | None
    # The code the council had when the visit started, where a recode since changed it
    # (Somerset County Council was E10000027 until 2023-04-01); None: ``gss_code``.
    gss_code_at_visit: str | None = None


@dataclass
class Inspector:
    name: str
    lead: bool = False


@dataclass
class Addressee:
    """One person a letter is addressed to (focused and monitoring visits, JTAI); a letter
    to two directors, or a JTAI letter to the heads of each agency, has one per person."""

    name: str | None
    role: str | None

    @property
    def label(self) -> str:
        """How a table shows them: "Jane Doe (Director of Children's Services)"."""
        if self.name and self.role:
            return f"{self.name} ({self.role})"
        return self.name or self.role or ""


@dataclass
class Recommendation:
    """One improvement point, verbatim, in the order the report gives it."""

    text: str
    section: str | None
    timescale: str | None
    priority: str | None
    themes: list[str]
    start: int
    end: int
    # The kinds of organisation (``kg.vocab.BODIES``) it is addressed to: the subject of its
    # sentence, else its part's or lead-in's; several for a joint subject ("The council and
    # NHS ...").
    addressed_to: list[str] = field(default_factory=lambda: ["council"])
    # The subject's words when the sentence names them ("NHS Hartlepool in conjunction with
    # the HSCB"); None when the point has no subject of its own.
    addressed_as: str | None = None

    @property
    def for_council(self) -> bool:
        """Whether the council is told (alone or jointly): it counts as the council's."""
        return "council" in self.addressed_to


@dataclass
class Judgement:
    """A graded judgement on the framework's own scale (``kg.record.Report.kind`` says which)."""

    section: str | None
    area: str
    grade: str


@dataclass
class Finding:
    """One sentence of a findings, overview or judgement section."""

    text: str
    polarity: str
    themes: list[str]
    start: int
    end: int
    section: str | None = None
    # Whose work it is about: "council", or "board" for the review of the Local Safeguarding
    # Children Board (a SIF inspection's LSCB part, or a review of the board alone).
    about: str = "council"


@dataclass
class EarlierInspection:
    """An earlier inspection the report mentions ("last inspected in July 2018, ... good").

    ``date`` is ISO, as precise as the text: ``2018-07`` or ``2018-07-23``.
    """

    date: str
    overall_effectiveness: str | None
    start: int | None = None
    end: int | None = None


@dataclass
class Report:
    """Everything extracted from one source file."""

    source: str
    sha256: str
    kind: str
    authority: AuthorityRef | None
    letter_date: str | None = None
    publication_date: str | None = None
    visit_start: str | None = None
    visit_end: str | None = None
    title: str | None = None
    inspectors: list[Inspector] = field(default_factory=list)
    # Everyone the letter is addressed to, in the order its address block lists them.
    addressees: list[Addressee] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    # A SIF inspection that re-inspects an authority judged inadequate ("Re-inspection of ...").
    reinspection: bool = False
    recommendations: list[Recommendation] = field(default_factory=list)
    # Points addressed to the Local Safeguarding Children Board (its review), not the council.
    lscb_recommendations: list[Recommendation] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    previous_inspections: list[EarlierInspection] = field(default_factory=list)
    # The cleaned text every offset refers to; not part of the JSON record.
    text: str = field(default="", repr=False)

    @property
    def lead_inspector(self) -> Inspector | None:
        return next((i for i in self.inspectors if i.lead), None)

    def to_json(self) -> dict[str, Any]:
        """The record as ``kg extract --json`` prints it (null or [] where absent)."""
        data = asdict(self)
        data.pop("text")
        data.pop("title")
        for earlier in data["previous_inspections"]:
            earlier.pop("start")
            earlier.pop("end")
        return data
