"""Statistics tables keyed by authority, as RDF Data Cube in a named graph of their own.

A user brings a per-authority table (a DfE statistics CSV, or any CSV with a column of GSS
codes, DfE LA numbers or authority names and a period column) into the graph next to the
inspection findings: ``kg link import FILE.csv --dataset NAME``. The steps are
CSV -> typed rows (``read_table``) -> RDF quads (``dataset_quads``) -> the store
(``import_csv``, one transaction through ``KnowledgeGraph.replace_graph``).

The shape written into ``https://w3id.org/ofsted-kg/graph/dataset/NAME``:

- ``id:dataset/NAME`` a ``qb:DataSet`` with ``qb:structure`` a ``qb:DataStructureDefinition``
  whose components are the dimensions ``kg:refArea`` (the area: an ONS statistical geography)
  and ``kg:period`` (plus any other text column, e.g. DfE's ``population_type``), one
  ``qb:MeasureProperty`` per numeric column (``id:dataset/NAME/measure/<column>`` with
  ``kg:column``, ``rdfs:label`` and ``kg:unit``), and the attribute ``kg:refAuthority``.
- One ``qb:Observation`` per CSV row with all its measures (``id:dataset/NAME/obs/<line>``):
  ``kg:refArea``, ``kg:period`` (the publisher's label: ``2024``; ``201718`` -> ``2017/18``),
  ``kg:year`` (the calendar year the period ends in: 2024; 2018), ``kg:geographicLevel``,
  ``kg:sourceLine`` and, for local-authority rows, ``kg:refAuthority``.
- A suppressed or unavailable value (DfE markers ``c``, ``x``, ``z``, ``low``, ``u``, ...) is
  never a number: the observation has no value for that measure and a ``kg:missing`` node
  with ``kg:missingMeasure`` and the verbatim ``kg:marker``. Empty cells are left out.

Rows are matched to authorities through ``kg.authorities`` (old codes and abolished councils
included). A joint row (``940 / 941``) and a row that matches no authority are not imported
and are reported with their line numbers; national and regional rows (DfE
``geographic_level``) are imported with the country's or region's area.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg import terms, vocab
from kg.authorities import Authority, AuthorityError, AuthorityIndex
from kg.errors import KgError

if TYPE_CHECKING:
    from kg.store import KnowledgeGraph

__all__ = [
    "DEFAULT_DATASETS",
    "DatasetError",
    "ImportReport",
    "Problem",
    "dataset_graph_iri",
    "dataset_iri",
    "dataset_quads",
    "import_csv",
    "list_datasets",
    "measure_iri",
]

# Bumped when the mapping changes, so ``kg build`` re-imports unchanged files.
MAPPING_VERSION = "kg-link-1"

QB = vocab.QB
KG = vocab.KG
RDF_TYPE = vocab.RDF + "type"
RDFS_LABEL = vocab.RDFS + "label"
XSD = vocab.XSD
UNIT = vocab.BASE + "unit/"

# DfE / GSS symbols for values that are not published (never zero).
MARKERS = {
    "c": "confidential (suppressed)",
    "x": "not available",
    "z": "not applicable",
    "low": "a positive value that rounds to zero",
    "u": "low reliability",
    "k": "fewer than 0.5",
    "..": "not available",
    ":": "not available",
}
# DfE geography columns: read for matching, not measures or dimensions.
GEOGRAPHY_COLUMNS = frozenset(
    "time_identifier geographic_level country_code country_name region_code region_name "
    "old_la_code new_la_code la_name la_code lad_code lad_name".split()
)
AREA_COLUMN_NAMES = (
    "new_la_code",
    "gss_code",
    "area_code",
    "ons_code",
    "la_code",
    "old_la_code",
    "dfe_la_code",
    "la_number",
    "la_name",
    "local_authority",
    "authority",
    "name",
    "area_name",
)
PERIOD_COLUMN_NAMES = (
    "time_period",
    "period",
    "year",
    "academic_year",
    "financial_year",
    "reporting_year",
)

_GSS = re.compile(r"^E\d{8}$")
_DFE = re.compile(r"^\d{3}$")
_JOINT = re.compile(r"\s/\s|^\S+/\S+$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SPLIT = re.compile(r"\s*/\s*")
_INTEGER = re.compile(r"^[+-]?\d+$")

DEFAULT_DATASETS: tuple[tuple[str, str, str], ...] = (
    (
        "dfe-csww",
        "datasets/dfe_csww_indicators_2017_to_2025.csv",
        "DfE children's social work workforce indicators by local authority, 2017-2025",
    ),
    (
        "dfe-cla",
        "datasets/dfe_cla_number_and_rate_per_10k_children.csv",
        "DfE children looked after: numbers and rates per 10,000 children, 2021-2025",
    ),
)


class DatasetError(KgError, ValueError):
    """A file or option that cannot be imported; the message names the file and the problem."""


@dataclass(frozen=True)
class Problem:
    """A row not imported (``joint``, ``unmatched``, ``conflict``, ``period``) or a value
    read as missing with an unknown marker (``marker``)."""

    line: int
    kind: str
    message: str


@dataclass
class ImportReport:
    """What an import did: for the command's summary and for tests."""

    dataset: str
    file: str
    graph: str
    rows: int = 0
    observations: int = 0
    values: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)  # marker -> cells
    empty_cells: int = 0
    measures: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    area_column: str = ""
    area_kind: str = ""
    period_column: str = ""
    problems: list[Problem] = field(default_factory=list)
    quads: int = 0
    unchanged: bool = False

    def lines(self, kind: str) -> list[int]:
        return [p.line for p in self.problems if p.kind == kind]

    def summary(self) -> str:
        levels = ", ".join(f"{n} {level.lower()}" for level, n in sorted(self.by_level.items()))
        missing = ", ".join(f"{m} {n}" for m, n in sorted(self.missing.items()))
        skipped = Counter(p.kind for p in self.problems if p.kind != "marker")
        parts = [
            f"{self.dataset}: {self.observations} observations ({levels}) from {self.rows} "
            f"rows of {self.file}",
            f"{len(self.measures)} measures, {self.values} values",
            f"{sum(self.missing.values())} missing with their marker ({missing or 'none'})",
        ]
        if self.empty_cells:
            parts.append(f"{self.empty_cells} empty cells left out")
        if skipped:
            parts.append(
                "not imported: " + ", ".join(f"{n} {k}" for k, n in sorted(skipped.items()))
            )
        return "; ".join(parts)


@dataclass(frozen=True)
class Column:
    name: str
    role: str  # measure | dimension
    label: str
    unit: str | None = None
    datatype: str = XSD + "decimal"


# --- IRIs -------------------------------------------------------------------------------


def dataset_graph_iri(name: str) -> str:
    return f"{vocab.GRAPH}dataset/{name}"


def dataset_iri(name: str) -> str:
    return f"{vocab.ID}dataset/{name}"


def measure_iri(name: str, column: str) -> str:
    return f"{dataset_iri(name)}/measure/{vocab.slug(column)}"


def _dimension_iri(name: str, column: str) -> str:
    return f"{dataset_iri(name)}/dimension/{vocab.slug(column)}"


# --- reading ----------------------------------------------------------------------------


@dataclass
class Table:
    """A CSV read as text: the header and (first line number, cells) per record."""

    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_table(path: Path) -> Table:
    """Read a CSV (UTF-8 with or without BOM, else Windows-1252) with line numbers."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error.strerror or error}") from None
    if not data.strip():
        raise DatasetError(f"{path}: the file is empty")
    if b"\x00" in data[:4096]:
        raise DatasetError(f"{path}: not a CSV text file (binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as error:
        raise DatasetError(f"{path}: not a readable CSV file: {error}") from None
    if len(header) < 2 or len(set(header)) != len(header) or not all(header):
        raise DatasetError(
            f"{path}: line 1 must be a header of distinct, non-empty column "
            f"names (got {', '.join(header[:8]) or 'nothing'})"
        )
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(cells) != len(header):
                    raise DatasetError(
                        f"{path}:{start}: {len(cells)} cells, but the header "
                        f"has {len(header)} columns"
                    )
                rows.append((start, dict(zip(header, (c.strip() for c in cells), strict=True))))
            start = reader.line_num + 1
    except csv.Error as error:
        raise DatasetError(f"{path}:{start}: not readable as CSV: {error}") from None
    if not rows:
        raise DatasetError(f"{path}: no data rows under the header")
    return Table(path, header, rows)


def _number(value: str) -> str | None:
    """The value as a number's lexical form, or None."""
    if _NUMBER.match(value):
        return value
    if _THOUSANDS.match(value):
        return value.replace(",", "")
    return None


def _is_marker(value: str) -> bool:
    return value.lower() in MARKERS


def unit_for(column: str) -> str | None:
    """A unit from the column's name (documented rules; first match wins), or None."""
    c = column.lower()
    rules = (
        (("per_10000", "per_10k", "per10000", "per_10_000"), "rate-per-10000-children"),
        (("caseload",), "cases-per-social-worker"),
        (("percent", "pct", "_rate", "rate_", "proportion"), "percent"),
        (("days",), "days"),
        (("_fte", "fte_"), "fte"),
        (
            (
                "headcount",
                "count",
                "number",
                "cases",
                "population",
                "children",
                "starters",
                "leavers",
            ),
            "count",
        ),
    )
    for needles, unit in rules:
        if any(n in c or c == n.strip("_") for n in needles):
            return UNIT + unit
    return None


_META_UNITS = {
    "%": "percent",
    "percent": "percent",
    "per 10,000": "rate-per-10000-children",
    "fte": "fte",
    "days": "days",
    "count": "count",
    "number": "count",
}


def read_metadata(path: Path) -> dict[str, dict[str, str]]:
    """A DfE ``<file>.meta.csv`` beside the table, if any: col_name -> its row (label,
    col_type Filter/Indicator, indicator_unit)."""
    meta = path.with_name(path.name.removesuffix(".csv") + ".meta.csv")
    if not meta.is_file():
        return {}
    with meta.open(newline="", encoding="utf-8-sig") as f:
        return {r["col_name"].strip(): r for r in csv.DictReader(f) if r.get("col_name")}


def _label(column: str) -> str:
    text = column.replace("_", " ").strip()
    text = re.sub(r"\bfte\b", "(FTE)", text)
    text = re.sub(r"\bper 10000\b", "per 10,000", text)
    return text[:1].upper() + text[1:]


def _classify(table: Table, used: set[str], meta: dict[str, dict[str, str]]) -> list[Column]:
    """Measures (numbers, markers allowed) and dimensions (text) among the other columns."""
    columns: list[Column] = []
    for name in table.header:
        if name in used or name in GEOGRAPHY_COLUMNS or name in AREA_COLUMN_NAMES:
            continue  # identifies the area: not a measure nor a dimension of its own
        values = [cells[name] for _, cells in table.rows if cells[name]]
        numbers = [v for v in values if _number(v) is not None]
        other = [v for v in values if _number(v) is None and not _is_marker(v)]
        info = meta.get(name, {})
        role = (info.get("col_type") or "").strip().lower()
        label = (info.get("label") or "").strip() or _label(name)
        # A few odd tokens ("n/a") do not make a numeric column text: they are kept as
        # missing values with that marker, and reported.
        if role == "indicator" or (
            role != "filter"
            and len(numbers) > len(other)
            and len(other) <= max(1, 0.02 * len(values))
        ):
            unit_text = (info.get("indicator_unit") or "").strip().lower()
            unit = UNIT + _META_UNITS[unit_text] if unit_text in _META_UNITS else unit_for(name)
            integer = all(re.fullmatch(r"[+-]?\d+", _number(v) or "") for v in numbers)
            columns.append(
                Column(
                    name,
                    "measure",
                    label,
                    unit,
                    XSD + ("integer" if integer and numbers else "decimal"),
                )
            )
        elif values:
            columns.append(Column(name, "dimension", label))
    return columns


def _detect_area(table: Table, given: str | None) -> tuple[str, str]:
    """(column, kind): the column holding GSS codes, DfE LA numbers or authority names."""

    def kind_of(column: str) -> str | None:
        values = [cells[column] for _, cells in table.rows if cells[column]]
        level = "geographic_level" in table.header
        if level:
            values = [
                cells[column]
                for _, cells in table.rows
                if cells[column] and cells["geographic_level"].lower() == "local authority"
            ]
        if not values:
            return None
        parts = [p.strip() for v in values for p in _SPLIT.split(v)]
        if sum(bool(_GSS.match(p)) for p in parts) >= 0.9 * len(parts):
            return "gss"
        if sum(bool(_DFE.match(p)) for p in parts) >= 0.9 * len(parts):
            return "dfe"
        if sum(bool(re.search(r"[A-Za-z]{3}", v)) for v in values) >= 0.9 * len(values):
            return "name"
        return None

    if given is not None:
        if given not in table.header:
            raise DatasetError(
                f"{table.path}: no column {given!r} (columns: {', '.join(table.header)})"
            )
        kind = kind_of(given)
        if kind is None:
            raise DatasetError(
                f"{table.path}: column {given!r} holds neither GSS codes, DfE "
                "LA numbers nor authority names"
            )
        return given, kind
    found: dict[str, str] = {}
    for column in table.header:
        kind = (
            kind_of(column)
            if column in AREA_COLUMN_NAMES or column not in (GEOGRAPHY_COLUMNS)
            else None
        )
        if kind in ("gss", "dfe"):
            found.setdefault(kind, column)
        elif kind == "name" and column in AREA_COLUMN_NAMES:
            found.setdefault(kind, column)
    for kind in ("gss", "dfe", "name"):
        if kind in found:
            return found[kind], kind
    raise DatasetError(
        f"{table.path}: cannot tell which column holds the authority (GSS code, "
        f"DfE LA number or name); pass --area-column (columns: "
        f"{', '.join(table.header)})"
    )


def parse_period(value: str) -> tuple[str, int] | None:
    """DfE ``time_period`` -> (label, year it ends in): ``2024`` -> ("2024", 2024);
    ``201718``, ``2017/18``, ``2017-18`` -> ("2017/18", 2018); else None."""
    v = value.strip()
    if re.fullmatch(r"\d{4}", v):
        return v, int(v)
    m = re.fullmatch(r"(\d{4})[/-]?(\d{2})", v)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        return f"{m.group(1)}/{m.group(2)}", int(m.group(1)) + 1
    m = re.fullmatch(r"(\d{4})[/-](\d{4})", v)
    if m and int(m.group(1)) + 1 == int(m.group(2)):
        return f"{m.group(1)}/{m.group(2)[2:]}", int(m.group(2))
    return None


def _detect_period(table: Table, given: str | None) -> str:
    if given is not None:
        if given not in table.header:
            raise DatasetError(
                f"{table.path}: no column {given!r} (columns: {', '.join(table.header)})"
            )
        return given
    for name in PERIOD_COLUMN_NAMES:
        if name in table.header:
            return name
    for name in table.header:
        values = [cells[name] for _, cells in table.rows if cells[name]]
        if values and all(parse_period(v) for v in values):
            return name
    raise DatasetError(
        f"{table.path}: cannot tell which column holds the period (a year "
        f"such as 2024 or 201718); pass --period-column (columns: "
        f"{', '.join(table.header)})"
    )


# --- rows -> authorities ----------------------------------------------------------------


def _resolve(index: AuthorityIndex, kind: str, value: str) -> Authority:
    if kind == "gss":
        return index.by_gss(value)
    if kind == "dfe":
        return index.by_dfe(value)
    return index.resolve(value)


def _cross_checks(table: Table, area_column: str) -> list[tuple[str, str]]:
    """Other DfE code columns to check a row's authority against: (column, kind)."""
    checks = []
    for column, kind in (("new_la_code", "gss"), ("old_la_code", "dfe")):
        if column in table.header and column != area_column:
            checks.append((column, kind))
    return checks


# --- the mapping ------------------------------------------------------------------------


class _Quads:
    def __init__(self, graph: str) -> None:
        self.graph = ox.NamedNode(graph)
        self.quads: list[ox.Quad] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, self.graph))


def _lit(value: str | int, datatype: str | None = None) -> ox.Literal:
    if datatype is None:
        return ox.Literal(str(value))
    return ox.Literal(str(value), datatype=ox.NamedNode(datatype))


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise DatasetError(
            f"dataset name {name!r}: use 1-64 lower-case letters, digits, '-' "
            "or '_', starting with a letter or digit (e.g. dfe-csww)"
        )
    return name


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dataset_quads(
    path: Path,
    name: str,
    *,
    area_column: str | None = None,
    period_column: str | None = None,
    title: str | None = None,
    index: AuthorityIndex | None = None,
) -> tuple[list[ox.Quad], ImportReport]:
    """Map one CSV to the quads of its dataset graph, and report what was (not) imported."""
    path = Path(path)
    check_name(name)
    index = index or AuthorityIndex.load()
    table = read_table(path)
    area_col, area_kind = _detect_area(table, area_column)
    period_col = _detect_period(table, period_column)
    meta = read_metadata(path)
    checks = _cross_checks(table, area_col)
    used = {area_col, period_col, *(c for c, _ in checks)}
    columns = _classify(table, used, meta)
    measures = [c for c in columns if c.role == "measure"]
    dimensions = [c for c in columns if c.role == "dimension"]
    if not measures:
        raise DatasetError(
            f"{path}: no numeric column to import as a measure (columns: {', '.join(table.header)})"
        )
    graph = dataset_graph_iri(name)
    report = ImportReport(
        dataset=name,
        file=path.name,
        graph=graph,
        rows=len(table.rows),
        measures=[c.name for c in measures],
        dimensions=[c.name for c in dimensions],
        area_column=area_col,
        area_kind=area_kind,
        period_column=period_col,
    )
    q = _Quads(graph)
    ds = dataset_iri(name)
    dsd = ds + "/structure"
    q.add(ds, RDF_TYPE, QB + "DataSet")
    q.add(ds, RDF_TYPE, vocab.PROV + "Entity")
    q.add(ds, RDFS_LABEL, _lit(title or name))
    q.add(ds, vocab.DCT + "title", _lit(title or name))
    q.add(ds, KG + "datasetName", _lit(name))
    q.add(ds, vocab.DCT + "source", _lit(path.name))
    q.add(ds, KG + "fileSha256", _lit(file_sha256(path)))
    q.add(ds, vocab.OWL + "versionInfo", _lit(MAPPING_VERSION))
    q.add(ds, QB + "structure", dsd)
    identifiers = {cells.get("time_identifier", "") for _, cells in table.rows} - {""}
    if len(identifiers) == 1:
        q.add(ds, KG + "timeIdentifier", _lit(identifiers.pop()))
    q.add(dsd, RDF_TYPE, QB + "DataStructureDefinition")
    order = 0

    def component(kind: str, prop: str) -> None:
        nonlocal order
        order += 1
        comp = f"{dsd}/component/{order}"
        q.add(dsd, QB + "component", comp)
        q.add(comp, RDF_TYPE, QB + "ComponentSpecification")
        q.add(comp, QB + kind, prop)
        q.add(comp, QB + "order", _lit(order, XSD + "integer"))

    component("dimension", KG + "refArea")
    component("dimension", KG + "period")

    def column_property(kind: str, prop: str, label: str, column: str, datatype: str) -> None:
        """A dimension or measure property made from a CSV column."""
        component(kind, prop)
        q.add(prop, RDF_TYPE, QB + kind.capitalize() + "Property")
        q.add(prop, RDF_TYPE, vocab.RDF + "Property")
        q.add(prop, RDFS_LABEL, _lit(label))
        q.add(prop, KG + "column", _lit(column))
        q.add(prop, vocab.RDFS + "range", datatype)

    for c in dimensions:
        column_property("dimension", _dimension_iri(name, c.name), c.label, c.name, XSD + "string")
    for c in measures:
        prop = measure_iri(name, c.name)
        column_property("measure", prop, c.label, c.name, c.datatype)
        if c.unit:
            q.add(prop, KG + "unit", c.unit)
    component("attribute", KG + "refAuthority")
    order += 1
    unit_comp = f"{dsd}/component/{order}"
    q.add(dsd, QB + "component", unit_comp)
    q.add(unit_comp, RDF_TYPE, QB + "ComponentSpecification")
    q.add(unit_comp, QB + "attribute", KG + "unit")
    q.add(unit_comp, QB + "componentAttachment", QB + "MeasureProperty")

    measure_iris = {c.name: measure_iri(name, c.name) for c in measures}
    dimension_iris = {c.name: _dimension_iri(name, c.name) for c in dimensions}
    level_col = "geographic_level" if "geographic_level" in table.header else None
    for line, cells in table.rows:
        level = cells[level_col] if level_col else ""
        area_value = cells[area_col]
        authority: Authority | None = None
        where = f"{path.name}:{line}"
        if level_col and level.lower() == "national":
            code = cells.get("country_code", "")
            if not _GSS.match(code):
                report.problems.append(
                    Problem(line, "unmatched", f"{where}: national row without a country code")
                )
                continue
        elif level_col and level.lower() == "regional":
            code = cells.get("region_code", "")
            if not _GSS.match(code):
                report.problems.append(
                    Problem(line, "unmatched", f"{where}: regional row without a region code")
                )
                continue
        elif not area_value:
            report.problems.append(
                Problem(line, "unmatched", f"{where}: no authority in column {area_col!r}")
            )
            continue
        elif _JOINT.search(area_value):
            names = cells.get("la_name") or ""
            report.problems.append(
                Problem(
                    line,
                    "joint",
                    f"{where}: joint row {area_value!r}"
                    + (f" ({names})" if names else "")
                    + " covers several authorities; "
                    "not imported (its figures cannot be split)",
                )
            )
            continue
        elif area_kind == "gss" and re.match(r"^E(92|12|13)\d{6}$", area_value):
            code = area_value  # England or a region, in a file without geographic_level
            level = level or ("National" if area_value.startswith("E92") else "Regional")
        else:
            try:
                authority = _resolve(index, area_kind, area_value)
            except AuthorityError as error:
                report.problems.append(Problem(line, "unmatched", f"{where}: {error}"))
                continue
            conflict = None
            for column, kind in checks:
                other = cells.get(column, "")
                if not other or _JOINT.search(other):
                    continue
                try:
                    other_authority = _resolve(index, kind, other)
                except AuthorityError:
                    continue
                if other_authority is not authority:
                    conflict = (
                        f"{where}: {area_col} {area_value!r} is {authority.name} but "
                        f"{column} {other!r} is {other_authority.name}; not imported"
                    )
            if conflict:
                report.problems.append(Problem(line, "conflict", conflict))
                continue
            code = authority.gss_code
            level = level or "Local authority"
        period = parse_period(cells[period_col])
        if period is None:
            report.problems.append(
                Problem(
                    line,
                    "period",
                    f"{where}: period {cells[period_col]!r} in {period_col!r} is not "
                    "a year (2024) or a two-year period (201718, 2017/18); not imported",
                )
            )
            continue
        obs = f"{ds}/obs/{line}"
        q.add(obs, RDF_TYPE, QB + "Observation")
        q.add(obs, QB + "dataSet", ds)
        q.add(obs, KG + "refArea", vocab.area_iri(code))
        q.add(obs, KG + "period", _lit(period[0]))
        q.add(obs, KG + "year", _lit(period[1], XSD + "integer"))
        q.add(obs, KG + "sourceLine", _lit(line, XSD + "integer"))
        if level:
            q.add(obs, KG + "geographicLevel", _lit(level))
        if authority is not None:
            q.add(obs, KG + "refAuthority", vocab.authority_iri(authority.gss_code))
        for c in dimensions:
            if cells[c.name]:
                q.add(obs, dimension_iris[c.name], _lit(cells[c.name]))
        for c in measures:
            raw = cells[c.name]
            if not raw:
                report.empty_cells += 1
                continue
            number = _number(raw)
            if number is not None:
                if c.datatype == XSD + "integer" and not _INTEGER.match(number):
                    number = str(float(number))
                q.add(obs, measure_iris[c.name], _lit(number, c.datatype))
                report.values += 1
                continue
            if not _is_marker(raw):
                report.problems.append(
                    Problem(
                        line,
                        "marker",
                        f"{where}: {c.name} {raw!r} is not a number or a known "
                        "marker; kept as missing with that marker",
                    )
                )
            missing = f"{obs}/missing/{vocab.slug(c.name)}"
            q.add(obs, KG + "missing", missing)
            q.add(missing, RDF_TYPE, KG + "MissingValue")
            q.add(missing, KG + "missingMeasure", measure_iris[c.name])
            q.add(missing, KG + "marker", _lit(raw))
            report.missing[raw] += 1
        report.observations += 1
        report.by_level[level] += 1
    report.quads = len(q.quads)
    return q.quads, report


# --- the store --------------------------------------------------------------------------


def stored_fingerprint(store: ox.Store, name: str) -> tuple[str | None, str | None]:
    """(file SHA-256, mapping version) of a stored dataset, or (None, None)."""
    graph = ox.NamedNode(dataset_graph_iri(name))
    ds = ox.NamedNode(dataset_iri(name))

    def one(p: str) -> str | None:
        for quad in store.quads_for_pattern(ds, ox.NamedNode(p), None, graph):
            return terms.value(quad.object)
        return None

    return one(KG + "fileSha256"), one(vocab.OWL + "versionInfo")


def unchanged_import(
    graph: KnowledgeGraph, path: Path, name: str, version: str, force: bool
) -> ImportReport | None:
    """The report of an import that is skipped, because the dataset graph ``name`` already
    holds ``path``'s bytes mapped by ``version`` (and ``force`` is off); else None."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if force or stored_fingerprint(graph.store, name) != (file_sha256(path), version):
        return None
    return ImportReport(dataset=name, file=path.name, graph=dataset_graph_iri(name), unchanged=True)


def import_csv(
    graph: KnowledgeGraph,
    path: Path,
    name: str,
    *,
    area_column: str | None = None,
    period_column: str | None = None,
    title: str | None = None,
    force: bool = True,
    index: AuthorityIndex | None = None,
) -> ImportReport:
    """Import a CSV into the dataset graph ``NAME``, replacing it in one transaction.

    ``graph`` is a ``kg.store.KnowledgeGraph`` opened for writing. With ``force=False`` a
    dataset already imported from the same bytes by the same mapping is left as it is.
    """
    path = Path(path)
    check_name(name)
    unchanged = unchanged_import(graph, path, name, MAPPING_VERSION, force)
    if unchanged is not None:
        return unchanged
    quads, report = dataset_quads(
        path, name, area_column=area_column, period_column=period_column, title=title, index=index
    )
    graph.replace_graph(dataset_graph_iri(name), quads)
    return report


def list_datasets(store: ox.Store) -> list[dict[str, object]]:
    """The imported datasets: name, title, source file, observations, measures, graph."""
    query = f"""
    PREFIX qb: <{QB}> PREFIX kg: <{KG}> PREFIX dcterms: <{vocab.DCT}>
    SELECT ?name ?title ?file ?g
        (COUNT(DISTINCT ?obs) AS ?observations) (COUNT(DISTINCT ?m) AS ?measures)
    WHERE {{
        GRAPH ?g {{
            ?ds a qb:DataSet ; kg:datasetName ?name .
            OPTIONAL {{ ?ds qb:structure ?dsd }}
            OPTIONAL {{ ?ds dcterms:title ?title }}
            OPTIONAL {{ ?ds dcterms:source ?file }}
            OPTIONAL {{ ?dsd qb:component/qb:measure ?m }}
            OPTIONAL {{ ?obs qb:dataSet ?ds }}
        }}
    }} GROUP BY ?name ?title ?file ?g ORDER BY ?name"""
    rows = []
    for r in terms.solutions(store.query(query)):
        rows.append(
            {
                "dataset": r["name"].value,
                "title": r["title"].value if r["title"] is not None else None,
                "file": r["file"].value if r["file"] is not None else None,
                "observations": int(r["observations"].value),
                "measures": int(r["measures"].value),
                "graph": r["g"].value,
            }
        )
    return rows


# --- the authority crosswalk ------------------------------------------------------------

CROSSWALK_COLUMNS = (
    "iri",
    "name",
    "gss_code",
    "former_gss_codes",
    "dfe_la_code",
    "wikidata",
    "area",
    "region",
    "region_gss_code",
    "established",
    "abolished",
    "predecessors",
    "successors",
)


def crosswalk_rows(index: AuthorityIndex | None = None) -> list[dict[str, str]]:
    """Every authority (current and abolished) with its identifiers, for other tools."""
    index = index or AuthorityIndex.load()
    rows = []
    for a in index.all(include_predecessors=True):
        rows.append(
            {
                "iri": vocab.authority_iri(a.gss_code),
                "name": a.name,
                "gss_code": a.gss_code,
                "former_gss_codes": " ".join(a.former_gss_codes),
                "dfe_la_code": a.dfe_la_code or "",
                "wikidata": vocab.WD + a.wikidata_qid if a.wikidata_qid else "",
                "area": vocab.area_iri(a.gss_code),
                "region": a.region_name or "",
                "region_gss_code": a.region_gss_code or "",
                "established": a.established or "",
                "abolished": a.abolished or "",
                "predecessors": " ".join(p.gss_code for p in a.predecessors),
                "successors": " ".join(s.gss_code for s in a.successors),
            }
        )
    return rows


def crosswalk_csv(rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CROSSWALK_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def crosswalk_turtle(authorities: Iterable[Authority] | None = None) -> str:
    """The authorities graph (as ``kg build`` writes it) as Turtle with the project prefixes."""
    from kg import rdf

    items = (
        list(authorities)
        if authorities is not None
        else AuthorityIndex.load().all(include_predecessors=True)
    )
    triples = sorted(
        {ox.Triple(q.subject, q.predicate, q.object) for q in rdf.authority_quads(items)},
        key=lambda t: (terms.value(t.subject), t.predicate.value, str(t.object)),
    )
    prefixes = {k: v for k, v in vocab.PREFIXES.items() if k != "id"}  # "id:a/b" needs "\/"
    prefixes |= {"authority": vocab.ID + "authority/", "change": vocab.ID + "change/"}
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)
