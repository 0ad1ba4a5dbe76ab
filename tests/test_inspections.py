"""Full inspection reports (SLAC, SIF, ILACS): facts checked by hand against the clean text.

Each ``test_<file>`` below states what a person reading the report's clean text found: dates,
inspectors in order, every judgement and grade, the number of improvement points and the
first one verbatim, and the earlier inspections named. The remaining tests pin the general
rules (grade scales, earlier-inspection rule, improvement groups, inspector names) on small
texts written the way each framework writes them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kg.authorities import AuthorityIndex
from kg.extract import Context, extract, read
from kg.extract.common import earlier_inspections
from kg.families import family
from kg.record import Report
from kg.text import clean_plain_text, read_source

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class _Context(Context):
    """Real authority lookup; themes and polarity belong to their own tests."""

    def themes(self, text: str) -> list[str]:
        return []

    def polarity(self, sentence: str) -> str:
        return "neutral"


@pytest.fixture(scope="module")
def context() -> Context:
    return _Context(authorities=AuthorityIndex.load())


_CACHE: dict[str, Report] = {}


def record(name: str, context: Context) -> Report:
    if name not in _CACHE:
        _CACHE[name] = extract(read_source(SEEDS / name), context)
    return _CACHE[name]


def judgements(report: Report) -> dict[str | None, dict[str, str]]:
    out: dict[str | None, dict[str, str]] = {}
    for j in report.judgements:
        out.setdefault(j.section, {})[j.area] = j.grade
    return out


def previous(report: Report) -> list[tuple[str, str | None]]:
    return [(p.date, p.overall_effectiveness) for p in report.previous_inspections]


def assert_quotes_exact(report: Report) -> None:
    for rec in report.recommendations:
        assert report.text[rec.start : rec.end] == rec.text
    for finding in report.findings:
        assert report.text[finding.start : finding.end] == finding.text
    for earlier in report.previous_inspections:
        assert earlier.start is not None and earlier.end is not None
        assert earlier.date[:4] in report.text[earlier.start : earlier.end]


# ------------------------------------------------------------------ every inspection PDF

SIF_LA = (
    "Children who need help and protection",
    "Children looked after and achieving permanence",
    "Adoption performance",
    "Experiences and progress of care leavers",
    "Leadership, management and governance",
)
ILACS_LEADERS = "The impact of leaders on social work practice with children and families"
ILACS_HELP = "The experiences and progress of children who need help and protection"
ILACS_CARE = "The experiences and progress of children in care and care leavers"
ILACS_IN_CARE = "The experiences and progress of children in care"
ILACS_LEAVERS = "The experiences and progress of care leavers"

# file, kind, authority, visit start, visit end, lead inspector, number of improvement points
PDFS = [
    (
        "darlington_2015-09-01_inspection.pdf",
        "sif-inspection",
        "E06000005",
        "2015-06-23",
        "2015-07-16",
        "Wendy Ghaffar",
        24,
    ),
    (
        "darlington_2018-05-21_inspection.pdf",
        "sif-inspection",
        "E06000005",
        "2018-02-27",
        "2018-03-22",
        "Graham Reiter",
        14,
    ),
    (
        "darlington_2022-12-02_inspection.pdf",
        "ilacs-inspection",
        "E06000005",
        "2022-10-10",
        "2022-10-21",
        "Vicky Metheringham",
        3,
    ),
    (
        "hartlepool_2014-02-11_inspection.pdf",
        "sif-inspection",
        "E06000001",
        "2013-11-19",
        "2013-12-11",
        "Lynn Radley",
        17,
    ),
    (
        "hartlepool_2018-08-28_inspection.pdf",
        "ilacs-inspection",
        "E06000001",
        "2018-07-23",
        "2018-07-27",
        "Tracey Metcalfe",
        4,
    ),
    (
        "hartlepool_2024-05-16_inspection.pdf",
        "ilacs-inspection",
        "E06000001",
        "2024-03-18",
        "2024-03-22",
        "Louise Walker",
        2,
    ),
    (
        "middlesbrough_2016-02-19_inspection.pdf",
        "sif-inspection",
        "E06000002",
        "2015-11-24",
        "2015-12-17",
        "Dominic Stevens",
        22,
    ),
    (
        "middlesbrough_2020-01-24_inspection.pdf",
        "ilacs-inspection",
        "E06000002",
        "2019-11-25",
        "2019-12-06",
        "Jan Edwards",
        15,
    ),
    (
        "middlesbrough_2023-05-25_inspection.pdf",
        "ilacs-inspection",
        "E06000002",
        "2023-03-13",
        "2023-03-24",
        "Louise Walker",
        6,
    ),
    (
        "redcar-and-cleveland_2017-04-07_inspection.pdf",
        "sif-inspection",
        "E06000003",
        "2017-01-16",
        "2017-02-09",
        "Graham Reiter",
        21,
    ),
    (
        "redcar-and-cleveland_2022-09-22_inspection.pdf",
        "ilacs-inspection",
        "E06000003",
        "2022-06-20",
        "2022-07-01",
        "Jan Edwards",
        6,
    ),
    (
        "stockton-on-tees_2016-08-05_inspection.pdf",
        "sif-inspection",
        "E06000004",
        "2016-05-23",
        "2016-06-16",
        "Tracey Metcalfe",
        15,
    ),
    (
        "stockton-on-tees_2019-07-01_inspection.pdf",
        "ilacs-inspection",
        "E06000004",
        "2019-05-20",
        "2019-05-24",
        "Matt Reed",
        6,
    ),
    (
        "stockton-on-tees_2023-05-09_inspection.pdf",
        "ilacs-inspection",
        "E06000004",
        "2023-03-06",
        "2023-03-17",
        "Joanna Warburton",
        4,
    ),
]


@pytest.mark.parametrize("row", PDFS, ids=[r[0] for r in PDFS])
def test_every_inspection_pdf_yields_its_core_facts(row: tuple, context: Context) -> None:
    name, kind, gss, start, end, lead, n_points = row
    report = record(name, context)
    assert report.kind == kind
    assert report.authority is not None and report.authority.gss_code == gss
    assert (report.visit_start, report.visit_end) == (start, end)
    assert [i.name for i in report.inspectors if i.lead] == [lead]
    assert report.inspectors[0].name == lead
    assert len(report.recommendations) + len(report.lscb_recommendations) == n_points
    table = judgements(report)
    if kind == "sif-inspection":
        assert set(table["local authority"]) == {"Overall effectiveness", *SIF_LA}
        scale = {"Outstanding", "Good", "Requires improvement", "Inadequate"}
    else:
        assert set(table) == {None}
        assert "Overall effectiveness" in table[None] and len(table[None]) in (4, 5)
        scale = {"Outstanding", "Good", "Requires improvement to be good", "Inadequate"}
    assert {j.grade for j in report.judgements} <= scale
    assert len(report.findings) >= 100
    assert_quotes_exact(report)


# ------------------------------------------------------------------- checked by hand: SIF


def test_hartlepool_2014_sif_by_hand(context: Context) -> None:
    report = record("hartlepool_2014-02-11_inspection.pdf", context)
    assert report.publication_date is None  # the report does not state one
    assert [i.name for i in report.inspectors] == [
        "Lynn Radley",
        "Sheena Doyle",
        "Tracey Metcalfe",
        "Ali Mekki",
        "Margaret Farrow",
        "Rob Hackeson",
        "Dominic Stevens",
        "John Gregg",
    ]
    assert judgements(report) == {
        "local authority": {"Overall effectiveness": "Good", **dict.fromkeys(SIF_LA, "Good")},
        "LSCB": {"Local Safeguarding Children Board": "Requires improvement"},
    }
    recs = report.recommendations + report.lscb_recommendations
    assert [(r.section, r.priority) for r in recs] == (
        [("local authority", "areas-for-improvement")] * 11
        + [("LSCB", "areas-for-improvement")] * 6
    )
    assert len(report.recommendations) == 11  # the board's points are kept apart
    assert recs[0].text == (
        "Social workers need to ensure that the rich knowledge of the "
        "children they work with is reflected in case records."
    )
    assert recs[11].text.startswith("The Hartlepool Safeguarding Children Board (HSCB) must take")
    assert all(r.timescale is None for r in recs)
    # June 2010 safeguarding and looked after children inspection (one SLAC visit, both good);
    # the adoption (2012) and fostering (2012) service inspections are not counted.
    assert previous(report) == [("2010-06", "Good")]
    assert report.scope[-1] == "the local safeguarding children board"


def test_stockton_2016_sif_by_hand(context: Context) -> None:
    report = record("stockton-on-tees_2016-08-05_inspection.pdf", context)
    assert report.publication_date == "2016-08-05"
    # lead, deputy lead, team; the shadow inspector (Anne-Marie Born) is not on the team
    assert [i.name for i in report.inspectors] == [
        "Tracey Metcalfe",
        "Donna Marriott",
        "Rachel Holden",
        "Cath McEvoy",
        "Fiona Millns",
        "Alison Smaile",
        "Claire Humerstone",
        "Margaret Farrow",
    ]
    assert judgements(report) == {
        "local authority": {
            "Overall effectiveness": "Good",
            "Children who need help and protection": "Good",
            "Children looked after and achieving permanence": "Requires improvement",
            "Adoption performance": "Requires improvement",
            "Experiences and progress of care leavers": "Outstanding",
            "Leadership, management and governance": "Good",
        },
        "LSCB": {"Local Safeguarding Children Board": "Requires improvement"},
    }
    recs = report.recommendations + report.lscb_recommendations
    assert [r.section for r in recs] == ["local authority"] * 10 + ["LSCB"] * 5
    assert all(r.priority is None for r in recs)  # numbered "Recommendations", no groups
    assert recs[0].text == (
        "Improve the quality of supervision across children's services, explicitly linking "
        "supervision to accountability, professional development and ensuring that the best "
        "possible outcomes for children are being pursued."
    )
    assert recs[10].text.startswith("Ensure that quality assurance and performance management")
    # the 2013 protection-of-children and 2010 looked-after-children inspections (old scale)
    assert previous(report) == [("2013-01", "Adequate"), ("2010-09", "Good")]


def test_darlington_2018_sif_by_hand(context: Context) -> None:
    report = record("darlington_2018-05-21_inspection.pdf", context)
    assert report.publication_date == "2018-05-21"
    assert [i.name for i in report.inspectors] == [
        "Graham Reiter",
        "Nigel Parkes",
        "Pauline Higham",
        "Karen Wareing",
        "Fiona Millns",
        "Fiona Insley",
        "Claire Brown",
        "Matthew Reed",
    ]
    # the table writes "Requires improvement to be good"; SIF's own label is kept
    assert judgements(report) == {
        "local authority": {
            "Overall effectiveness": "Requires improvement",
            "Children who need help and protection": "Requires improvement",
            "Children looked after and achieving permanence": "Requires improvement",
            "Adoption performance": "Good",
            "Experiences and progress of care leavers": "Good",
            "Leadership, management and governance": "Requires improvement",
        }
    }
    assert report.recommendations[0].text.startswith(
        "Improve and accelerate the focus on quality. Ensure that strategic plans"
    )
    assert report.recommendations[-1].text == (
        "Evaluate the effectiveness of early help services to understand impact and to inform "
        "future developments."
    )
    # "published in September 2015 ... Overall effectiveness: inadequate" (annex list)
    assert previous(report) == [("2015-09", "Inadequate")]


def test_redcar_2017_sif_previous_inspections_keep_each_part(context: Context) -> None:
    report = record("redcar-and-cleveland_2017-04-07_inspection.pdf", context)
    assert previous(report) == [("2012-07", "Requires improvement"), ("2012-07", "Good")]
    assert [i.name for i in report.inspectors][:4] == [
        "Graham Reiter",
        "Ian Young",
        "Lisa Summers",
        "Shabana Abasi",
    ]
    assert "Matthew Reed" not in [i.name for i in report.inspectors]  # a shadow inspector


# ----------------------------------------------------------------- checked by hand: ILACS


def test_hartlepool_2018_ilacs_by_hand(context: Context) -> None:
    report = record("hartlepool_2018-08-28_inspection.pdf", context)
    assert report.publication_date is None
    assert [(i.name, i.lead) for i in report.inspectors] == [("Tracey Metcalfe", True)]
    assert judgements(report) == {
        None: {
            ILACS_LEADERS: "Good",
            ILACS_HELP: "Good",
            ILACS_CARE: "Outstanding",
            "Overall effectiveness": "Good",
        }
    }
    recs = report.recommendations
    # four unbulleted paragraphs under "What needs to improve"
    assert [r.section for r in recs] == ["What needs to improve"] * 4
    assert recs[0].text == (
        "The quality of assessments to fully explore the impact of "
        "children's experiences and to enable plans to be better targeted."
    )
    assert recs[2].text == "The quality and consistency of case audits."
    assert previous(report) == []  # "Since the last inspection" gives no date
    assert {f.section for f in report.findings} == {
        "Overall effectiveness",
        ILACS_HELP,
        ILACS_CARE,
        ILACS_LEADERS,
    }


def test_middlesbrough_2023_ilacs_split_care_judgements_by_hand(context: Context) -> None:
    report = record("middlesbrough_2023-05-25_inspection.pdf", context)
    ri = "Requires improvement to be good"
    assert [i.name for i in report.inspectors] == ["Louise Walker"]
    assert judgements(report) == {
        None: {
            ILACS_LEADERS: ri,
            ILACS_HELP: ri,
            ILACS_IN_CARE: ri,
            ILACS_LEAVERS: ri,
            "Overall effectiveness": ri,
        }
    }
    assert report.scope == [
        "the impact of leaders on social work practice with children and families",
        "the experiences and progress of children who need help and protection",
        "the experiences and progress of children in care",
        "the experiences and progress of care leavers",
    ]
    recs = report.recommendations
    assert len(recs) == 6
    assert recs[0].text == (
        "The consistency of planning for children, including the quality of written children's "
        "plans, contingency planning and evidence of challenge when plans do not progress."
    )
    assert recs[-1].text == (
        "The opportunities for children and young people in care to be "
        "involved in the development of services for them."
    )
    assert previous(report) == [("2019", "Inadequate")]
    earlier = report.previous_inspections[0]
    assert report.text[earlier.start : earlier.end].startswith(
        "Since the last inspection in 2019, when Middlesbrough local authority children's "
        "services were judged inadequate"
    )


def test_hartlepool_2024_ilacs_by_hand(context: Context) -> None:
    report = record("hartlepool_2024-05-16_inspection.pdf", context)
    assert [i.name for i in report.inspectors] == ["Louise Walker"]
    assert judgements(report) == {
        None: {
            ILACS_LEADERS: "Outstanding",
            ILACS_HELP: "Outstanding",
            ILACS_IN_CARE: "Outstanding",
            ILACS_LEAVERS: "Good",
            "Overall effectiveness": "Outstanding",
        }
    }
    assert [r.text for r in report.recommendations] == [
        "Clarity for care leavers about their rights and entitlements through the care leavers "
        "offer.",
        "The support and responses to care leavers in custody.",
    ]
    assert previous(report) == [("2018", None)]  # "the last ILACS judgement inspection in 2018"


def test_stockton_2019_ilacs_by_hand(context: Context) -> None:
    report = record("stockton-on-tees_2019-07-01_inspection.pdf", context)
    ri = "Requires improvement to be good"
    assert [i.name for i in report.inspectors] == ["Matt Reed"]  # name line, title below
    assert judgements(report) == {
        None: {ILACS_LEADERS: ri, ILACS_HELP: ri, ILACS_CARE: ri, "Overall effectiveness": ri}
    }
    assert report.recommendations[0].text == (
        "Timeliness in delivering children's plans without delay across all services by "
        "generally improving management oversight and grip."
    )
    # "Since the last inspection in 2016" and "... in May 2016": one inspection, no grade stated
    assert previous(report) == [("2016-05", None)]


def test_darlington_2022_and_middlesbrough_2020_ilacs_by_hand(context: Context) -> None:
    darlington = record("darlington_2022-12-02_inspection.pdf", context)
    assert judgements(darlington) == {
        None: {
            ILACS_LEADERS: "Good",
            ILACS_HELP: "Good",
            ILACS_CARE: "Outstanding",
            "Overall effectiveness": "Good",
        }
    }
    assert darlington.recommendations[0].text == (
        "The timeliness of children and family assessments, to ensure that children receive the "
        "right intervention at the right time, needs to improve."
    )
    # "since the last inspection, in 2018, where children's services were judged to require
    # improvement": the 2018 inspection was a SIF one, so SIF's label
    assert previous(darlington) == [("2018", "Requires improvement")]
    middlesbrough = record("middlesbrough_2020-01-24_inspection.pdf", context)
    assert set(judgements(middlesbrough)[None].values()) == {"Inadequate"}
    # "services are now inadequate" is this inspection's grade, not the 2015 one
    assert previous(middlesbrough) == [("2015", None)]


# ------------------------------------------------------------------------------- SLAC


def _slac(text: str, context: Context) -> Report:
    return read(family("slac-inspection"), text, context)


def test_slac_table_rows_missing_are_filled_from_the_parts_grade_statements(
    context: Context,
) -> None:
    text = read_source(SEEDS / "hartlepool_2010-07-16_slac-inspection.txt").text
    full = judgements(_slac(text, context))
    # the closing table loses its last row ("Value for money"): the part says it
    cut = judgements(_slac(text[: text.rstrip().rfind("\n")] + "\n", context))
    assert cut == full
    assert cut["services for looked after children"]["Value for money"] == "Good"
    # no table at all: what the parts state ("Grade 2 (Good)", "Value for money is good.",
    # "Services to promote the health of looked after children are adequate.") is still read,
    # and nothing is guessed
    bare = judgements(_slac(text[: text.rfind("Record of main findings")], context))
    for part, areas in bare.items():
        for area, grade in areas.items():
            assert full[part][area] == grade
    assert bare["services for looked after children"]["Being healthy"] == "Adequate"
    assert len(bare["safeguarding services"]) >= 9
    # the table as a PDF can give it: each cell on its own line, a long area name wrapped
    at = text.rfind("Record of main findings")
    table = (
        text[at:]
        .replace("\t", "\n")
        .replace("assurance and workforce development", "assurance and\nworkforce development")
    )
    assert judgements(_slac(text[:at] + table, context)) == full


def test_an_inside_cover_colophon_does_not_end_the_report(context: Context) -> None:
    """Older reports print Ofsted's colophon on page 2 as well as at the end."""
    text = read_source(SEEDS / "hartlepool_2010-07-16_slac-inspection.txt").text
    at = text.find("Contents")
    cover = (
        "The Office for Standards in Education, Children's Services and Skills (Ofsted) "
        "regulates and inspects to achieve excellence.\n\nIf you would like a copy of this "
        "document in a different format, please telephone 0300 123 1231.\n\n"
    )
    plain, covered = _slac(text, context), _slac(text[:at] + cover + text[at:], context)
    assert [r.text for r in covered.recommendations] == [r.text for r in plain.recommendations]
    assert judgements(covered) == judgements(plain)
    assert len(covered.findings) == len(plain.findings)


def test_slac_seed_findings_and_sections(context: Context) -> None:
    report = record("hartlepool_2010-07-16_slac-inspection.txt", context)
    assert report.title == "Inspection of safeguarding and looked after children services"
    texts = [f.text for f in report.findings]
    assert texts[0] == "The overall effectiveness of safeguarding services is good."
    assert "Value for money is good." in texts
    # "About this inspection", "Service information", the grade scale and the closing table
    # are not findings; neither are the improvement points
    assert not any(
        t.startswith(("The purpose of the inspection", "Hartlepool is a unitary")) for t in texts
    )
    assert not any(r.text in texts for r in report.recommendations)
    assert previous(report) == []  # the Nov 2009 unannounced CRA visit is not one
    assert_quotes_exact(report)


# ------------------------------------------------------------------------- general rules


def _sif(text: str, context: Context) -> Report:
    return read(family("sif-inspection"), clean_plain_text(text), context)


SIF_TEXT = """Anytown Borough Council

Inspection of services for children in need of help and protection, children looked after \
and care leavers and

Review of the effectiveness of the Local Safeguarding Children Board

Inspection date: 3 March 2014 - 26 March 2014

Report published: 2 May 2014

The overall judgement is inadequate

1. Children who need help and protection Inadequate

2. Children looked after and achieving
permanence
Requires improvement

2.1 Adoption performance Good

2.2 Experiences and progress of care leavers Requires improvement

3. Leadership, management and governance Inadequate

The judgement for the effectiveness of the Local Safeguarding Children Board (LSCB) is inadequate

Section 1: the local authority

Summary of key findings

Children wait too long for assessments. Managers do not know this.

What does the local authority need to improve?

Priority and immediate action

Ensure that all referrals are assessed promptly.

Areas for improvement

Improve the quality of supervision for all social workers.

Improve pathway plans for care leavers.

Information about this inspection

The inspection team

Lead inspector: Jane Smith HMI

Team inspectors: Ann Lee (OI), Bob Dyer HMI and Carol King Shadow inspector: Dan Fox

Section 2: The effectiveness of the Local Safeguarding Children Board

The effectiveness of the LSCB is inadequate

Areas for improvement

The LSCB must monitor the quality of early help.

Any complaints about the inspection or the report should be made to Ofsted.
"""


def test_inspection_dates_found_after_a_title_that_ran_into_them(context: Context) -> None:
    # A title line set to the full width is joined to the next line, "Inspection date: ...".
    text = SIF_TEXT.replace(
        "Children Board\n\nInspection date:", "Children Board1 Inspection date:"
    )
    report = _sif(text, context)
    assert (report.visit_start, report.visit_end) == ("2014-03-03", "2014-03-26")
    # prose that mentions an inspection date (no colon) is not the front page's line
    prose = SIF_TEXT.replace("Inspection date: 3 March", "Inspection date: 4 March").replace(
        "Report published:", "The inspection date 1 May 2014 was moved.\n\nReport published:"
    )
    assert _sif(prose, context).visit_start == "2014-03-04"


def test_publication_date_read_where_the_front_page_ran_it_into_the_dates(
    context: Context,
) -> None:
    # "Inspection date: ..." and "Report published: ..." set side by side come out as one line
    joined = SIF_TEXT.replace(
        "26 March 2014\n\nReport published:", "26 March 2014 Report published:"
    )
    report = _sif(joined, context)
    assert (report.publication_date, report.visit_start, report.visit_end) == (
        "2014-05-02",
        "2014-03-03",
        "2014-03-26",
    )
    short = joined.replace("Report published: 2 May", "Published: 2 May")
    assert _sif(short, context).publication_date == "2014-05-02"
    # the line as a 2018 SIF front page gave it (en dash, the range's year twice)
    line = (
        "Inspection date: 8 October 2018 \u2013 1 November 2018 Report published: 21 December 2018"
    )
    report = _sif(SIF_TEXT.replace("Inspection date: 3 March 2014 - 26 March 2014", line), context)
    assert (report.publication_date, report.visit_end) == ("2018-12-21", "2018-11-01")
    # a date after "published" in prose, with no label of the front page's, is not it
    prose = SIF_TEXT.replace("Report published: 2 May 2014\n\n", "").replace(
        "The overall judgement is inadequate",
        "The overall judgement is inadequate. The last report was published: 1 May 2012, "
        "and its plan was published 3 June 2012",
    )
    assert _sif(prose, context).publication_date is None


def test_sif_priority_groups_lscb_part_and_team(context: Context) -> None:
    report = _sif(SIF_TEXT, context)
    assert (report.publication_date, report.visit_start, report.visit_end) == (
        "2014-05-02",
        "2014-03-03",
        "2014-03-26",
    )
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Jane Smith", True),
        ("Ann Lee", False),
        ("Bob Dyer", False),
        ("Carol King", False),
    ]
    points = report.recommendations + report.lscb_recommendations
    assert [(r.text, r.section, r.priority) for r in points] == [
        (
            "Ensure that all referrals are assessed promptly.",
            "local authority",
            "priority-and-immediate-action",
        ),
        (
            "Improve the quality of supervision for all social workers.",
            "local authority",
            "areas-for-improvement",
        ),
        ("Improve pathway plans for care leavers.", "local authority", "areas-for-improvement"),
        ("The LSCB must monitor the quality of early help.", "LSCB", "areas-for-improvement"),
    ]
    assert judgements(report) == {
        "local authority": {
            "Overall effectiveness": "Inadequate",
            "Children who need help and protection": "Inadequate",
            "Children looked after and achieving permanence": "Requires improvement",
            "Adoption performance": "Good",
            "Experiences and progress of care leavers": "Requires improvement",
            "Leadership, management and governance": "Inadequate",
        },
        "LSCB": {"Local Safeguarding Children Board": "Inadequate"},
    }
    assert [f.text for f in report.findings] == [
        "Children wait too long for assessments.",
        "Managers do not know this.",
    ]


@pytest.mark.parametrize(
    ("name", "first_row", "last_row"),
    [
        (
            "stockton-on-tees_2016-08-05_inspection.pdf",
            "1. Children who need help",
            "3. Leadership, management and governance",
        ),
        ("middlesbrough_2023-05-25_inspection.pdf", "Judgement Grade", "Overall effectiveness"),
    ],
)
def test_judgements_without_the_page_one_table_come_from_the_judgement_headings(
    name: str, first_row: str, last_row: str, context: Context
) -> None:
    """A page-1 table lost in extraction: each judgement heading in the body states a grade."""
    full = record(name, context)
    text = full.text
    cut_from = text.find(first_row)
    cut_to = text.find("\n\n", text.find(last_row))
    report = read(family(full.kind), text[:cut_from] + text[cut_to:], context)
    expected = judgements(full)
    if full.kind == "ilacs-inspection":  # only the table states overall effectiveness
        del expected[None]["Overall effectiveness"]
    assert judgements(report) == expected


@pytest.mark.parametrize(
    ("text", "before", "expected"),
    [
        (
            "The last inspection of the local authority's arrangements for the protection of children "
            "was in January 2013. The local authority was judged to be adequate in overall "
            "effectiveness.",
            "2016-05-23",
            [("2013-01", "Adequate")],
        ),
        (
            "Since the last inspection in 2019, when children's services were judged inadequate, "
            "leaders have made progress.",
            "2023-03-13",
            [("2019", "Inadequate")],
        ),
        (
            "The local authority was last inspected in July 2018, when overall effectiveness was "
            "judged to be requires improvement to be good.",
            "2022-01-10",
            [("2018-07", "Requires improvement to be good")],
        ),
        (
            "At the previous inspection in March 2016, services were judged to require improvement.",
            "2019-05-20",
            [("2016-03", "Requires improvement")],
        ),
        # one service, one setting, or a visit without a judgement: not an earlier inspection
        (
            "The previous inspection of the adoption service was in January 2012. The service was "
            "judged to be satisfactory.",
            "2014-01-01",
            [],
        ),
        (
            "The outcomes of the most recent annual unannounced inspection of the contact, referral "
            "and assessment service undertaken in November 2009.",
            "2010-06-07",
            [],
        ),
        # "now" grades the current inspection, not the earlier one
        (
            "Since the last inspection in 2015, services have deteriorated and are now inadequate.",
            "2019-11-25",
            [("2015", None)],
        ),
        # the same inspection named twice merges into the more precise date
        (
            "Since the last inspection in 2016, practice has declined.\n\nSince the last inspection "
            "in May 2016, leaders have focused on early help.",
            "2019-05-20",
            [("2016-05", None)],
        ),
        # prior to *this* inspection is not an earlier inspection
        (
            "Prior to the inspection, in March 2023, leaders had commissioned an audit.",
            "2023-03-06",
            [],
        ),
    ],
)
def test_earlier_inspection_rule(text: str, before: str, expected: list) -> None:
    found = earlier_inspections(text, before=before)
    assert [(d, g) for d, g, _, _ in found] == expected
    for _, _, a, b in found:
        assert text[a:b].strip() == text[a:b]


def test_a_month_is_read_in_every_spelling_reports_use() -> None:
    """The month names are listed once (``MONTH_NAMES``): the pattern and the lookup are made
    from them, so "Sept", "Sep", "Feb" and "February" all read as the same month."""
    import re

    from kg.extract.common import MONTH_NAMES, MONTH_RE, MONTHS, parse_date

    for number, name in enumerate(MONTH_NAMES, start=1):
        for spelling in (name, name[:3], name.upper(), name[:3] + "."):
            assert re.fullmatch(MONTH_RE, spelling.rstrip("."), re.IGNORECASE), spelling
            assert parse_date(4, spelling, 2016) == date(2016, number, 4), spelling
    assert parse_date("12", "Sept", "2016") == date(2016, 9, 12)
    assert set(MONTHS) == {m.lower() for m in re.findall(r"\w+", MONTH_RE)}
    assert parse_date(1, "Septembre", 2016) is None
