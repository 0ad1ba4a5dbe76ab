"""Letters (focused visits, monitoring visits, JTAI): the reader on synthetic letters of each
family, the seed PDFs against their text copies, and facts checked by hand on real PDFs.

The synthetic letters follow the published layout of each family (letterhead, date line,
address block, "Dear ...", subject line, visit sentence, inspectors, scope, sections, bullets,
sign-off); the corpus has only focused visits, so monitoring-visit and JTAI letters are tested
here on realistic made-up text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.authorities import AuthorityIndex
from kg.extract import Context, extract
from kg.extract.letters import inspectors_in, split_scope, visit_dates
from kg.record import Report
from kg.text import read_source, source_from_bytes

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LETTER_PDFS = sorted(SEEDS.glob("*_focused-visit.pdf"))
SEED_LETTERS = sorted(SEEDS.glob("*_focused-visit.txt"))


class _LayoutOnly(Context):
    """No theme tagger and neutral polarity: these tests are about the letter layout."""

    def polarity(self, sentence: str) -> str:
        return "neutral"


@pytest.fixture(scope="module")
def plain() -> Context:
    return _LayoutOnly(tagger=None, authorities=AuthorityIndex.load())


def letter(text: str, context: Context, name: str = "letter.txt") -> Report:
    return extract(source_from_bytes(Path(name), text.encode()), context)


def addressees(report: Report) -> list[tuple[str | None, str | None]]:
    return [(a.name, a.role) for a in report.addressees]


def assert_quotes_exact(report: Report) -> None:
    for item in [*report.recommendations, *report.findings]:
        assert report.text[item.start : item.end] == item.text
    for earlier in report.previous_inspections:
        assert earlier.start is not None and earlier.end is not None
        assert "20" in report.text[earlier.start : earlier.end]


LETTERHEAD = """Ofsted
Piccadilly Gate
Store Street
Manchester
M1 2WD

T 0300 123 1231
Textphone 0161 618 8524
enquiries@ofsted.gov.uk
www.gov.uk/ofsted
"""

MONITORING = (
    LETTERHEAD
    + """
12 March 2019

Mr Andrew Carter
Interim Director of Children's Services
and Education
Sunderland City Council
Civic Centre
Sunderland
SR2 7DN

Dear Mr Carter

Monitoring visit to Sunderland children's services

This letter summarises the findings of the monitoring visit to Sunderland children's services \
on 12 and 13 February 2019. The visit was the fourth monitoring visit since the local authority \
was judged inadequate in July 2015. The inspectors were Jane Doe-Smith, Her Majesty's Inspector \
(HMI), and Peter McAllister, HMI.

Areas covered by the visit

Inspectors reviewed the progress made in the local authority's arrangements for children in \
need of help and protection, with a particular focus on:

- the quality of assessments
- management oversight of practice

A range of evidence was considered during the visit, including electronic case records and \
supervision files. In addition, we spoke to a range of staff, including managers and social \
workers.

Overview

Senior leaders have made steady progress since the last monitoring visit. Caseloads are now \
manageable for most social workers. However, the quality of assessments remains too variable.

Findings and evaluation of progress

Children who need help and protection are seen promptly. Management oversight is not yet \
consistently effective, and supervision does not always challenge drift.

Ofsted will take the findings from this monitoring visit into account when planning your next \
inspection. I am copying this letter to the Department for Education. This letter will be \
published on the Ofsted website.

Yours sincerely

Jane Doe-Smith
Her Majesty's Inspector
"""
)

JTAI = (
    LETTERHEAD
    + """
14 September 2018

Ms Jenny Coles, Director of Children's Services, Hertfordshire County Council
Jane Smith, Accountable Officer, Herts Valleys Clinical Commissioning Group
Charlie Hall, Chief Constable, Hertfordshire Constabulary
Chair of Hertfordshire Safeguarding Children Board

Dear local partners

Joint targeted area inspection of the multi-agency response to abuse and neglect in \
Hertfordshire

Between 9 and 13 July 2018, Ofsted, the Care Quality Commission (CQC), HMI Constabulary and \
Fire & Rescue Services (HMICFRS) and HMI Probation (HMIP) undertook a joint inspection of the \
multi-agency response to abuse and neglect in Hertfordshire. This inspection included a 'deep \
dive' focus on the response to children living with neglect.

This letter to all the service leaders in the area outlines our findings about the \
effectiveness of partnership working and of the work of individual agencies in Hertfordshire.

Headline findings

Leaders across the partnership have a shared commitment to protecting children. Children \
living with neglect are not always identified early enough.

Case study: highly effective practice

A health visitor identified neglect early and the family received timely support.

Areas for improvement

- Partners should ensure that chronologies are used to understand cumulative neglect.
- The police should improve the timeliness of their referrals to children's social care.

Next steps

The director of children's services should prepare a written statement of proposed action \
responding to the findings outlined in this letter by 20 December 2018.

Yours sincerely

Yvette Stanley
National Director, Social Care, Ofsted

Ursula Gallagher
Deputy Chief Inspector, Primary Medical Services, Care Quality Commission

Wendy Williams
Her Majesty's Inspector of Constabulary

Helen Davies
Assistant Chief Inspector, HMI Probation
"""
)

# The JTAI layout from 2022: the dates in their own sentence, no team named, one address block
# per addressee, post-nominals after a signatory's name.
JTAI_2022 = (
    LETTERHEAD
    + """
1 September 2022

Jane Doe
Director of Children's Services
Sandwell Metropolitan Borough Council

Mark Roe
Chief Constable
West Midlands Police

Dear Ms Doe and Mr Roe

Joint targeted area inspection of the multi-agency response to children and families who \
need help in Sandwell

This letter summarises the findings of the joint targeted area inspection (JTAI) of the \
multi-agency response to children and families who need help in Sandwell. This inspection \
took place from 11 to 15 July 2022. It was carried out by inspectors from Ofsted, the Care \
Quality Commission (CQC) and His Majesty's Inspectorate of Constabulary and Fire & Rescue \
Services (HMICFRS).

Headline findings

Partners share a strong commitment to early help. Some referrals from the police lack detail.

What needs to improve?

- The quality of police referrals to children's social care.

Yours sincerely

Yvette Stanley
National Director, Regulation and Social Care, Ofsted

Dr Sean O'Kelly BSc MB ChB MSc DCH FRCA
Chief Inspector of Healthcare, CQC

Michelle Skeer OBE QPM
His Majesty's Inspector of Constabulary
"""
)


def test_letters_after_an_addressees_name_are_not_part_of_it(plain: Context) -> None:
    text = JTAI_2022.replace("Jane Doe\n", "Jane Doe OBE\n").replace(
        "Mark Roe\nChief Constable", "Mark Roe QPM, Chief Constable"
    )
    assert addressees(letter(text, plain)) == [
        ("Jane Doe", "Director of Children's Services"),
        ("Mark Roe", "Chief Constable"),
    ]


def test_jtai_letter_2022_layout(plain: Context) -> None:
    report = letter(JTAI_2022, plain)
    assert report.kind == "jtai"
    assert report.authority is not None and report.authority.name == "Sandwell"
    assert (report.letter_date, report.visit_start, report.visit_end) == (
        "2022-09-01",
        "2022-07-11",
        "2022-07-15",
    )
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Yvette Stanley", True),
        ("Sean O'Kelly", False),
        ("Michelle Skeer", False),
    ]
    # one address block per agency head, both named by the salutation
    assert addressees(report) == [
        ("Jane Doe", "Director of Children's Services"),
        ("Mark Roe", "Chief Constable"),
    ]
    assert report.scope == ["children and families who need help"]
    assert [r.text for r in report.recommendations] == [
        "The quality of police referrals to children's social care."
    ]
    assert [f.text for f in report.findings] == [
        "Partners share a strong commitment to early help.",
        "Some referrals from the police lack detail.",
    ]
    assert_quotes_exact(report)


# 2020-21 letters: no scope sentence, "the lead inspector" never named, the signatory leads;
# the whole address on one line; the previous inspection named by its month only.
COVID_STYLE = (
    LETTERHEAD
    + """
9 April 2021

Kathryn Boulton Redcar and Cleveland Seafield House Kirkleatham Street Redcar TS10 1SP

Dear Ms Boulton

Focused visit to Redcar and Cleveland children's services

Her Majesty's Chief Inspector of Education, Children's Services and Skills is leading \
Ofsted's work into how England's social care system has delivered child-centred practice.

This letter summarises the findings of the focused visit to Redcar and Cleveland children's \
services on 30 December 2020 to 2 January 2021. Her Majesty's Inspectors were Louise Hollick, \
Joy Howick and Neil Penswick.

The methodology for this visit was in line with the inspection of local authority children's \
services (ILACS) framework. The lead inspector and the director of children's services agreed \
arrangements to deliver this visit effectively.

Findings

- Since the inspection in December 2019, leaders have strengthened the front door. Children \
receive a prompt response.

- The quality of assessments is improving.

Yours sincerely

Joy Howick
Her Majesty's Inspector
"""
)

PRIORITY_STYLE = (
    LETTERHEAD
    + """
26 October 2022

Martin Gray
Director of Children's Services
Municipal Buildings
Stockton-on-Tees
TS18 1LD

Dear Martin

Focused visit to Stockton-on-Tees children's services

This letter summarises the findings of the focused visit to Stockton-on-Tees children's \
services on 21 and 22 September 2022. His Majesty's Inspectors for this visit were lead \
inspector Jo Warburton and team inspector Victoria Horsefield.

Inspectors looked at the local authority's arrangements for children in care, children in \
need and those subject to a child protection plan, and care leavers.

Headline findings

Since the last inspection in March 2019, when overall effectiveness was judged to be good, \
leaders have kept a sharp focus on practice.

Areas for priority action

The local authority needs to take swift and decisive action to address the following:

- The identification and screening of risk and need.

What needs to improve in this area of social work practice?

- The quality and effectiveness of children's case file audits.

Main findings

Social workers know their children well.

Yours sincerely

Victoria Horsefield
His Majesty's Inspector
"""
)


# A text copy with no blank line after "Dear ..." or after the headings, and one improvement
# point per line without bullets.
def addressed_letter(block: str) -> str:
    """A focused-visit letter with ``block`` between its date line and the first paragraph."""
    return (
        LETTERHEAD
        + "\n3 June 2019\n\n"
        + block
        + """

Focused visit to Sunderland children's services

This letter summarises the findings of a focused visit to Sunderland children's services on 1 \
and 2 May 2019. Her Majesty's Inspectors for this visit were Jane Doe and John Roe.

Findings

Children are seen regularly.

Yours sincerely

Jane Doe
Her Majesty's Inspector
"""
    )


DCS = "Director of Children's Services"
JOINT = "Interim Joint Directors of Children's Services"

# The layouts of an address block (names made up): name lines, job title lines, "and" between
# two people, a title shared by two names, each name with a title of its own; the council's
# name and address lines below are never people.
ADDRESS_BLOCKS = {
    "one person": (
        "Ann Cole\nDirector of Children's Services\nSunderland City Council\nCity Hall\n"
        "Sunderland\nSR2 7DN\n\nDear Ms Cole",
        [("Ann Cole", DCS)],
    ),
    "two names on one line, one title": (
        "Bill Farr and Cara Lund\nInterim Joint Directors of Children's Services\nSunderland\n"
        "City Hall\nSunderland\nSR2 7DN\n\nDear Mr Farr and Ms Lund",
        [("Bill Farr", JOINT), ("Cara Lund", JOINT)],
    ),
    "two names with an ampersand, given names in the salutation": (
        "Mr Bill Farr & Mrs Cara Lund\nJoint Directors of Children's Services\nCity Hall\n"
        "SR2 7DN\n\nDear Bill and Cara",
        [
            ("Bill Farr", "Joint Directors of Children's Services"),
            ("Cara Lund", "Joint Directors of Children's Services"),
        ],
    ),
    "two name lines, one title": (
        "Bill Farr\nCara Lund\nInterim Joint Directors of Children's Services\nCity Hall\n"
        "SR2 7DN\n\nDear Mr Farr and Ms Lund",
        [("Bill Farr", JOINT), ("Cara Lund", JOINT)],
    ),
    "each name with its own title": (
        "Ann Cole\nDirector of Children's Services\nDan Pike\nChief Executive\n"
        "Sunderland City Council\nCity Hall\nSR2 7DN\n\nDear Ms Cole and Mr Pike",
        [("Ann Cole", DCS), ("Dan Pike", "Chief Executive")],
    ),
    "each name with its own title, salutation naming nobody": (
        "Ann Cole\nDirector of Children's Services\nDan Pike\nChief Executive\n"
        "City Hall\nSR2 7DN\n\nDear colleagues",
        [("Ann Cole", DCS), ("Dan Pike", "Chief Executive")],
    ),
    "a council name that reads like a name": (
        "Ann Cole\nDirector of Children's Services\nNorth Sunderland Council\nCity Hall\n"
        "SR2 7DN\n\nDear Ann",
        [("Ann Cole", DCS)],
    ),
    "no title, a surname that is an address word": (
        "Kevin Hall\nSunderland City Council\nHall Street\nSR2 7DN\n\nDear Mr Hall,",
        [("Kevin Hall", None)],
    ),
    "the salutation with no gap above it": (
        "Ann Cole\nInterim Director of Children and Families\nCity Hall\nSR2 7DN\nDear Ms Cole",
        [("Ann Cole", "Interim Director of Children and Families")],
    ),
}


@pytest.mark.parametrize("case", sorted(ADDRESS_BLOCKS))
def test_address_block_forms(case: str, plain: Context) -> None:
    block, want = ADDRESS_BLOCKS[case]
    report = letter(addressed_letter(block), plain)
    assert addressees(report) == want
    assert report.title == "Focused visit to Sunderland children's services"
    assert [f.text for f in report.findings] == ["Children are seen regularly."]


TIGHT = """3 June 2019

Mrs Jane Smith
Director of Children's Services
Barnsley Metropolitan Borough Council
PO Box 634
Barnsley
S70 9GG

Dear Mrs Smith
Focused visit to Barnsley local authority children's services

This letter summarises the findings of a focused visit to Barnsley children's services on 1 and \
2 May 2019. The visit was carried out by John Roe, Ofsted Inspector, and Jane Doe (lead \
inspector), Her Majesty's Inspector.

Inspectors looked at the local authority's arrangements for children in care and care leavers.

Overview
Children in care in Barnsley receive good support. Leaders know their services well.

What the local authority needs to improve
The quality of pathway plans.
The timeliness of health assessments.

Findings
Most children live in stable homes. Care leavers are supported well.

Yours sincerely,

Jane Doe
Her Majesty's Inspector
"""


def test_tight_text_copy(plain: Context) -> None:
    report = letter(TIGHT, plain)
    assert report.title == "Focused visit to Barnsley local authority children's services"
    assert (report.letter_date, report.visit_start, report.visit_end) == (
        "2019-06-03",
        "2019-05-01",
        "2019-05-02",
    )
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("John Roe", False),
        ("Jane Doe", True),
    ]
    assert addressees(report) == [
        (
            "Jane Smith",
            "Director of Children's Services",
        )
    ]
    assert report.scope == ["children in care", "care leavers"]
    assert [(r.text, r.section) for r in report.recommendations] == [
        ("The quality of pathway plans.", "What the local authority needs to improve"),
        ("The timeliness of health assessments.", "What the local authority needs to improve"),
    ]
    assert [(f.section, f.text) for f in report.findings] == [
        ("Overview", "Children in care in Barnsley receive good support."),
        ("Overview", "Leaders know their services well."),
        ("Findings", "Most children live in stable homes."),
        ("Findings", "Care leavers are supported well."),
    ]
    assert_quotes_exact(report)


def test_monitoring_visit(plain: Context) -> None:
    report = letter(MONITORING, plain)
    assert report.kind == "monitoring-visit"
    assert report.authority is not None and report.authority.name == "Sunderland"
    assert (report.letter_date, report.visit_start, report.visit_end) == (
        "2019-03-12",
        "2019-02-12",
        "2019-02-13",
    )
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Jane Doe-Smith", True),
        ("Peter McAllister", False),
    ]
    assert addressees(report) == [
        (
            "Andrew Carter",
            "Interim Director of Children's Services and Education",
        )
    ]
    assert report.scope == ["children in need of help and protection"]
    assert report.recommendations == []
    assert [(e.date, e.overall_effectiveness) for e in report.previous_inspections] == [
        ("2015-07", "Inadequate")
    ]
    texts = [f.text for f in report.findings]
    assert texts[0] == "Senior leaders have made steady progress since the last monitoring visit."
    assert (
        "Management oversight is not yet consistently effective, and supervision does not "
        "always challenge drift." in texts
    )
    assert not any(
        t.startswith(
            (
                "A range of evidence",
                "In addition, we spoke",
                "Ofsted will",
                "I am copying",
                "This letter",
                "Inspectors reviewed",
            )
        )
        for t in texts
    )
    assert {f.section for f in report.findings} == {
        "Overview",
        "Findings and evaluation of progress",
    }
    assert_quotes_exact(report)


def test_jtai_letter(plain: Context) -> None:
    report = letter(JTAI, plain)
    assert report.kind == "jtai"
    assert report.authority is not None and report.authority.name == "Hertfordshire"
    assert (report.letter_date, report.visit_start, report.visit_end) == (
        "2018-09-14",
        "2018-07-09",
        "2018-07-13",
    )
    # No team is named: the signatories of the four inspectorates, Ofsted's first, lead.
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Yvette Stanley", True),
        ("Ursula Gallagher", False),
        ("Wendy Williams", False),
        ("Helen Davies", False),
    ]
    # "Dear local partners": one "Name, Title, Body" line per agency head, and the board's
    # chair by title alone ("Charlie Hall": a surname that is also an address word)
    got = addressees(report)
    assert [name for name, _ in got] == ["Jenny Coles", "Jane Smith", "Charlie Hall", None]
    assert got[0] == ("Jenny Coles", "Director of Children's Services")
    assert (got[1][1] or "").startswith("Accountable Officer")
    assert got[2:] == [
        ("Charlie Hall", "Chief Constable"),
        (None, "Chair of Hertfordshire Safeguarding Children Board"),
    ]
    assert report.scope == ["abuse and neglect"]
    assert [(r.text, r.section) for r in report.recommendations] == [
        (
            "Partners should ensure that chronologies are used to understand cumulative neglect.",
            "Areas for improvement",
        ),
        (
            "The police should improve the timeliness of their referrals to children's social care.",
            "Areas for improvement",
        ),
    ]
    sections = {f.section for f in report.findings}
    assert sections == {"Headline findings", "Case study: highly effective practice"}
    assert report.previous_inspections == []
    assert_quotes_exact(report)


def test_unnamed_lead_inspector_one_line_address(plain: Context) -> None:
    report = letter(COVID_STYLE, plain)
    assert (report.visit_start, report.visit_end) == ("2020-12-30", "2021-01-02")
    # "the lead inspector" names nobody: the signatory leads, wherever the sentence names them.
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Louise Hollick", False),
        ("Joy Howick", True),
        ("Neil Penswick", False),
    ]
    assert addressees(report) == [("Kathryn Boulton", None)]
    assert report.scope == []
    assert report.recommendations == []
    assert [(e.date, e.overall_effectiveness) for e in report.previous_inspections] == [
        ("2019-12", None)
    ]
    assert [f.text for f in report.findings] == [
        "Since the inspection in December 2019, leaders have strengthened the front door.",
        "Children receive a prompt response.",
        "The quality of assessments is improving.",
    ]
    assert_quotes_exact(report)


def test_priority_action_and_named_lead(plain: Context) -> None:
    report = letter(PRIORITY_STYLE, plain)
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Jo Warburton", True),
        ("Victoria Horsefield", False),
    ]
    assert report.scope == [
        "children in care",
        "children in need",
        "children subject to a child protection plan",
        "care leavers",
    ]
    assert [(r.text, r.section, r.priority) for r in report.recommendations] == [
        (
            "The identification and screening of risk and need.",
            "Areas for priority action",
            "priority-and-immediate-action",
        ),
        (
            "The quality and effectiveness of children's case file audits.",
            "What needs to improve in this area of social work practice",
            None,
        ),
    ]
    assert [(e.date, e.overall_effectiveness) for e in report.previous_inspections] == [
        ("2019-03", "Good")
    ]
    assert_quotes_exact(report)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("on 4 and 5 March 2020.", ("2020-03-04", "2020-03-05")),
        ("on 30 September to 1 October 2019.", ("2019-09-30", "2019-10-01")),
        ("between 7 and 8 August 2018.", ("2018-08-07", "2018-08-08")),
        ("on 11 December and 12 December 2018.", ("2018-12-11", "2018-12-12")),
        ("on 9, 10 and 11 May 2019.", ("2019-05-09", "2019-05-11")),
        ("from 11 to 15 July 2022.", ("2022-07-11", "2022-07-15")),
        ("on 27 February 2019.", ("2019-02-27", "2019-02-27")),
        ("on 30 December 2020 to 2 January 2021.", ("2020-12-30", "2021-01-02")),
        # a mistyped year in a real letter (Darlington 2023): a visit lasts days, not a year
        ("on 24 October 2022 to 25 October 2023.", ("2023-10-24", "2023-10-25")),
    ],
)
def test_visit_dates(sentence: str, expected: tuple[str, str]) -> None:
    found = visit_dates("This letter summarises the findings of the visit " + sentence)
    assert found is not None
    assert tuple(d.isoformat() for d in found) == expected


@pytest.mark.parametrize(
    "sentence, names, lead",
    [
        (
            "The visit was carried out by Her Majesty's Inspector, Lisa Summers and Her Majesty's "
            "Inspector, Nick Stacey.",
            ["Lisa Summers", "Nick Stacey"],
            None,
        ),
        (
            "The inspectors were Neil Penswick, Her Majesty's Inspector, and Matthew Reed, Her "
            "Majesty's Inspector.",
            ["Neil Penswick", "Matthew Reed"],
            None,
        ),
        (
            "The inspectors were Brenda McInerney HMI and Matt Reed HMI.",
            ["Brenda McInerney", "Matt Reed"],
            None,
        ),
        (
            "Her Majesty's Inspectors Lisa Summers and Nick Stacey carried out this visit.",
            ["Lisa Summers", "Nick Stacey"],
            None,
        ),
        (
            "His Majesty's Inspectors for this visit were lead inspector Sophie Wales and team "
            "inspectors Sally Sinclair and Mark Scanlon.",
            ["Sophie Wales", "Sally Sinclair", "Mark Scanlon"],
            "Sophie Wales",
        ),
        (
            "The lead inspector was Jane Doe, HMI, supported by John Roe, Ofsted Inspector.",
            ["Jane Doe", "John Roe"],
            "Jane Doe",
        ),
        (
            "Lisa Summers, Her Majesty's Inspector, led the visit with Nick Stacey, Ofsted Inspector.",
            ["Lisa Summers", "Nick Stacey"],
            "Lisa Summers",
        ),
        (
            "This visit was carried out by Jane O'Neill-Brown (HMI), Tom van der Berg, Ofsted "
            "Inspector, and Mary J. Smith, Senior HMI.",
            ["Jane O'Neill-Brown", "Tom van der Berg", "Mary J. Smith"],
            None,
        ),
        (
            "The lead inspector and the director of children's services agreed arrangements.",
            [],
            None,
        ),
    ],
)
def test_inspectors_sentence(sentence: str, names: list[str], lead: str | None) -> None:
    assert inspectors_in(sentence) == (names, lead)


@pytest.mark.parametrize(
    "rest, expected",
    [
        (
            "the local authority's arrangements for children in need, and children subject to a child "
            "protection plan.",
            ["children in need", "children subject to a child protection plan"],
        ),
        (
            "the local authority's arrangements for the 'front door', the service that receives "
            "contacts and referrals for the agency.",
            ["front door"],
        ),
        (
            "the local authority's arrangements for children in need and those subject to a protection "
            "plan, including children receiving help from the disabled children service.",
            ["children in need", "children subject to a protection plan"],
        ),
        (
            "the local authority's arrangements for the 'front door', the initial response to children "
            "in need of help and protection, and the management of allegations of abuse, mistreatment "
            "and poor practice by professionals.",
            [
                "front door",
                "initial response to children in need of help and protection",
                "management of allegations of abuse, mistreatment and poor practice by professionals",
            ],
        ),
        (
            "the local authority's arrangements for care leavers aged 18 to 25, with a particular focus "
            "on:",
            ["care leavers aged 18 to 25"],
        ),
    ],
)
def test_scope_items(rest: str, expected: list[str]) -> None:
    assert split_scope(rest) == expected


SHORT = """12 March 2021

Jane Doe
Director of Children's Services
Leeds City Council

Dear Jane

Monitoring visit to Leeds children's services

This letter summarises the findings of the monitoring visit to Leeds children's services on 2 \
and 3 February 2021. The visit was carried out by Her Majesty's Inspectors Jo Bloggs and Sam \
Smith.

Overview

{}

Children are safe. Leaders are effective.

Yours sincerely

Jo Bloggs
Her Majesty's Inspector
"""


@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "This was the third monitoring visit since the local authority was judged inadequate in "
            "July 2018.",
            [("2018-07", "Inadequate")],
        ),
        (
            "Leeds was inspected in May 2019 and judged to be inadequate.",
            [("2019-05", "Inadequate")],
        ),
        (
            "Since the last inspection in 2019, where services were judged to be requires improvement "
            "to be good, leaders have improved.",
            [("2019", "Requires improvement to be good")],
        ),
        (
            "Since the ILACS inspection in March 2019, when the local authority was judged as "
            "inadequate, leaders have acted.",
            [("2019-03", "Inadequate")],
        ),
        (
            "The local authority was last inspected in January 2017. It was judged to be good.",
            [("2017-01", "Good")],
        ),
        # an area judgement is not the overall effectiveness grade
        (
            "Since the previous inspection, in June 2020, when the experience and progress of children "
            "in care was judged to require improvement to be good, leaders have acted.",
            [("2020-06", None)],
        ),
        # not earlier inspections of the authority's children's services
        ("At the last monitoring visit in May 2020, inspectors found weaknesses.", []),
        ("The JTAI inspection in 2019 found strengths.", []),
        ("The local area SEND inspection in 2018 identified weaknesses.", []),
        ("Leaders will be ready for the next inspection in 2022.", []),
        ("Since the last inspection, the director started in post in August 2017.", []),
    ],
)
def test_previous_inspections(sentence: str, expected: list, plain: Context) -> None:
    report = letter(SHORT.format(sentence), plain)
    assert [(e.date, e.overall_effectiveness) for e in report.previous_inspections] == expected
    assert [(i.name, i.lead) for i in report.inspectors] == [
        ("Jo Bloggs", True),
        ("Sam Smith", False),
    ]
    assert_quotes_exact(report)


# --------------------------------------------------------------------------- real letters


@pytest.fixture(scope="module")
def records() -> dict[str, Report]:
    context = Context.default()
    paths = [*LETTER_PDFS, *SEED_LETTERS]
    return {p.name: extract(read_source(p), context) for p in paths}


def _comparable(report: Report) -> dict:
    data = report.to_json()
    for key in ("source", "sha256", "findings"):
        data.pop(key)
    for rec in data["recommendations"]:
        rec.pop("start")
        rec.pop("end")
    return data


@pytest.mark.parametrize("seed", SEED_LETTERS, ids=lambda p: p.name)
def test_pdf_gives_the_same_record_as_its_text_copy(seed: Path, records: dict) -> None:
    from_text = records[seed.name]
    from_pdf = records[seed.with_suffix(".pdf").name]
    assert _comparable(from_pdf) == _comparable(from_text)
    same = {f.text for f in from_pdf.findings} & {f.text for f in from_text.findings}
    assert len(same) >= 0.95 * len(from_text.findings)


@pytest.mark.parametrize("path", LETTER_PDFS, ids=lambda p: p.name)
def test_every_letter_pdf_yields_the_core_facts(path: Path, records: dict) -> None:
    report = records[path.name]
    assert report.kind == "focused-visit"
    assert report.authority is not None
    assert path.name.startswith(report.authority.name.lower().replace(" ", "-"))
    assert report.letter_date == path.name.split("_")[1]
    assert report.visit_start and report.visit_end
    assert report.visit_start <= report.visit_end < report.letter_date
    lead = report.lead_inspector
    assert lead is not None and len(lead.name.split()) >= 2
    assert sum(i.lead for i in report.inspectors) == 1
    assert report.addressees and all(a.name for a in report.addressees)
    has_section = any(r.section for r in report.recommendations)
    if path.name == "darlington_2021-11-30_focused-visit.pdf":
        assert report.recommendations == []  # a strong authority: no improvement section
    else:
        assert has_section
    assert len(report.findings) >= 20
    assert_quotes_exact(report)


# Facts read by hand from the clean text of the PDFs (kg.text.read_source), across the years.
HAND_CHECKED = {
    "stockton-on-tees_2018-05-11_focused-visit.pdf": dict(
        letter_date="2018-05-11",
        visit=("2018-04-17", "2018-04-18"),
        inspectors=["Brenda McInerney", "Matt Reed"],
        lead="Brenda McInerney",
        addressee=("Martin Gray", "Director of Children's Services"),
        n_recommendations=4,
        first="All children's reviews should outline a clear permanence plan, with specific "
        "actions detailing how and when this will be achieved. Where there are delays in "
        "children achieving permanency, this should be robustly challenged by independent "
        "reviewing officers.",
        previous=[("2016", None)],
    ),
    "darlington_2019-03-22_focused-visit.pdf": dict(
        letter_date="2019-03-22",
        visit=("2019-02-27", "2019-02-27"),
        inspectors=["Rachel Griffiths", "Neil Penswick"],
        lead="Rachel Griffiths",
        addressee=("Suzanne Joyner", None),
        n_recommendations=5,
        first="The consistency and quality of assessments and plans.",
        previous=[("2018-03", "Requires improvement to be good")],
    ),
    "redcar-and-cleveland_2021-04-09_focused-visit.pdf": dict(
        letter_date="2021-04-09",
        visit=("2021-02-23", "2021-02-24"),
        inspectors=[
            "Louise Hollick",
            "Joy Howick",
            "Neil Penswick",
            "Andy Whippey",
            "Stephen Bentham",
        ],
        lead="Louise Hollick",  # "the lead inspector" is not named: the signatory leads
        addressee=("Kathryn Boulton", "Corporate Director for Children and Families"),
        n_recommendations=3,
        first="Social workers' caseloads, to have the capacity to support children and "
        "families appropriately.",
        previous=[],
    ),
    "middlesbrough_2021-07-15_focused-visit.pdf": dict(
        letter_date="2021-07-15",
        visit=("2021-05-26", "2021-05-27"),
        inspectors=[
            "Jan Edwards",
            "Victoria Horsefield",
            "Alison Smale",
            "Kathryn Grindrod",
            "Michele Costello",
        ],
        lead="Jan Edwards",
        addressee=("Sue Butcher", "Director of Children's Services"),
        n_recommendations=2,
        first="Management oversight and actions to ensure that vulnerable children and children "
        "in care, including those with special educational needs and/or disabilities "
        "(SEND), receive their full educational entitlement.",
        previous=[("2019-12", None)],
    ),
    "stockton-on-tees_2022-10-26_focused-visit.pdf": dict(
        letter_date="2022-10-26",
        visit=("2022-09-21", "2022-09-22"),
        inspectors=["Jo Warburton", "Victoria Horsefield"],
        lead="Jo Warburton",
        addressee=("Martin Gray", "Director of Children's Services"),
        n_recommendations=8,  # 3 for priority action, then 5 to improve
        first="The identification and screening of risk and need.",
        previous=[],
    ),
    "redcar-and-cleveland_2023-08-08_focused-visit.pdf": dict(
        letter_date="2023-08-08",
        visit=("2023-07-04", "2023-07-05"),
        inspectors=["Teresa Godfrey", "Rachel Griffiths", "Cath Heron"],
        lead="Teresa Godfrey",
        addressee=("Kathryn Boulton", "Corporate Director for Children and Families"),
        n_recommendations=2,
        first="Wider partnership understanding of threshold for referral to children's social "
        "care.",
        # only the help-and-protection judgement is stated, not overall effectiveness
        previous=[("2022-06", None)],
    ),
    "darlington_2023-11-28_focused-visit.pdf": dict(
        letter_date="2023-11-28",
        visit=("2023-10-24", "2023-10-25"),  # text: "2022 to ... 2023"
        inspectors=["Nicki Shaw", "Ceri Evans"],
        lead="Nicki Shaw",
        addressee=("James Stroyan", "Group Director of People"),
        n_recommendations=2,
        first="The quality, recording and frequency of supervision provided for social workers.",
        previous=[],
    ),
    "stockton-on-tees_2024-10-18_focused-visit.pdf": dict(
        letter_date="2024-10-18",
        visit=("2024-09-18", "2024-09-19"),
        inspectors=["Ceri Evans", "Monique Lindsay"],
        lead="Ceri Evans",
        addressee=("Majella McCarthy", "Director of Children's Services"),
        n_recommendations=1,
        first="The quality and frequency of social work supervision, including management "
        "oversight of older children's progress and experiences.",
        previous=[("2023-03", None)],
    ),
    "middlesbrough_2026-01-27_focused-visit.pdf": dict(
        letter_date="2026-01-27",
        visit=("2025-12-09", "2025-12-10"),
        inspectors=["Nabeel Hussain", "Catherine Heron"],
        lead="Nabeel Hussain",
        addressee=("Annabel Bates", "Director of Children's Services"),
        n_recommendations=4,
        first="The consistency of parental engagement in the multi-agency children's hub "
        "(MACH). (outcome 2, national framework)",
        previous=[],
    ),
}


@pytest.mark.parametrize("name", sorted(HAND_CHECKED))
def test_hand_checked_letters(name: str, records: dict) -> None:
    want = HAND_CHECKED[name]
    report = records[name]
    assert report.letter_date == want["letter_date"]
    assert (report.visit_start, report.visit_end) == want["visit"]
    assert [i.name for i in report.inspectors] == want["inspectors"]
    assert report.lead_inspector is not None and report.lead_inspector.name == want["lead"]
    assert addressees(report) == [want["addressee"]]
    assert len(report.recommendations) == want["n_recommendations"]
    assert report.recommendations[0].text == want["first"]
    assert [(e.date, e.overall_effectiveness) for e in report.previous_inspections] == want[
        "previous"
    ]


def test_priority_action_group_in_a_real_letter(records: dict) -> None:
    report = records["stockton-on-tees_2022-10-26_focused-visit.pdf"]
    assert [r.priority for r in report.recommendations] == (
        ["priority-and-immediate-action"] * 3 + [None] * 5
    )
    assert report.scope == ["front door"]


def test_letterhead_drawn_last_does_not_split_the_text(records: dict) -> None:
    """Later PDFs draw the Ofsted letterhead after the page-1 body; it must not end up inside
    a paragraph or a list of improvement points."""
    report = records["middlesbrough_2021-07-15_focused-visit.pdf"]
    assert report.text.index("Piccadilly Gate") < report.text.index("15 July 2021")
    assert len(report.recommendations) == 2


def test_a_point_and_its_sub_points_are_one_recommendation(plain: Context) -> None:
    """ "... including:" with second-level bullets ("-- " in the clean text) or "(i)" items
    under it is one point; the next first-level bullet is the next point."""
    text = TIGHT.replace(
        "The quality of pathway plans.\nThe timeliness of health assessments.\n",
        "\u25a0 Services to care leavers, including:\n\n\u2212 sufficiency of accommodation\n\n"
        "\u2212 access to their health histories.\n\n\u25a0 The timeliness of health assessments."
        "\n\n\u25a0 Scrutiny of children's needs where\n\n(i) they are privately fostered\n\n"
        "(ii) they are known to the youth offending team.\n",
    )
    report = letter(text, plain)
    assert [r.text for r in report.recommendations] == [
        "Services to care leavers, including:\n\n-- sufficiency of accommodation\n\n"
        "-- access to their health histories.",
        "The timeliness of health assessments.",
        "Scrutiny of children's needs where\n\n(i) they are privately fostered\n\n"
        "(ii) they are known to the youth offending team.",
    ]
    assert_quotes_exact(report)
