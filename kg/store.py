"""The on-disk knowledge graph: a pyoxigraph (RocksDB) store, one named graph per source file.

Why one graph per file: re-ingesting a changed file must replace exactly what that file said,
in one transaction, without touching what other files said about the same visit. Reads use
the union of all graphs; because two sources (a seed text and its PDF original) can assert the
same triple, that union is a bag, so every count here uses DISTINCT.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg import terms, vocab
from kg.errors import KgError
from kg.resources import data_path
from kg.vocab import T

STORE_ENV = "KG_STORE"
DEFAULT_STORE = "kg-store"

ONTOLOGY_FILE = "ontology/ontology.ttl"  # the theme scheme: kg.themes.scheme_path()
SHAPES_FILE = "ontology/shapes.ttl"


# Read-only opens tried while a writer replaces the table files being opened.
OPEN_ATTEMPTS = 20


def default_store_path() -> Path:
    """``$KG_STORE`` if set, else ``./kg-store``: the default of every ``--store`` option."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


class StoreMissingError(KgError):
    """Raised when a read-only open finds no store (so the CLI can say: run ``kg build``)."""


class StoreWriteError(KgError, OSError):
    """A write the store refused (disk full, read-only file system...), named in one line:
    ``"<store>: cannot write: <problem>"``. The transaction it was writing is not stored;
    everything stored before it is unchanged."""

    def __init__(self, where: Path | None, error: BaseException) -> None:
        problem = getattr(error, "strerror", None) or " ".join(str(error).split())
        # RocksDB's messages end with the cause: "...: No space left on device"
        problem = problem.rsplit(": ", 1)[-1] if ": " in problem else problem
        KgError.__init__(self, f"cannot write: {problem}", where or "the store")


@contextmanager
def writing(where: Path | None) -> Iterator[None]:
    """Turn an operating-system error of a store write into a ``StoreWriteError``."""
    try:
        yield
    except StoreWriteError:
        raise
    except OSError as error:
        raise StoreWriteError(where, error) from error


def store_state(path: Path) -> tuple[tuple[str, int], ...]:
    """A stamp of what a store directory holds: changes with every committed write (the
    write-ahead log, the manifest), so a reader can tell when to reopen."""
    try:
        names = os.listdir(path)
    except OSError:
        return ()
    stamp = []
    for name in sorted(names):
        if name == "CURRENT" or name.startswith("MANIFEST-") or name.endswith(".log"):
            try:
                stamp.append((name, os.stat(path / name).st_size))
            except OSError:
                continue
    return tuple(stamp)


def recorded_sources(store: ox.Store) -> dict[str, tuple[str, str]]:
    """Each source graph's (file SHA-256, extraction fingerprint), as its build recorded them:
    what ``kg.build`` skips an unchanged file by, and what the text index (``kg.search``)
    must match. One query;
    ~10 ms on the national graph."""
    query = f"""SELECT ?g ?sha ?fp WHERE {{ GRAPH ?g {{
        ?f a <{T.SourceFile}> ; <{T.sha256}> ?sha .
        ?g <{T.wasGeneratedBy}> ?run . ?run <{T.identifier}> ?fp }} }}"""
    state: dict[str, tuple[str, str]] = {}
    prefix = vocab.GRAPH + "source/"
    for row in terms.solutions(store.query(query)):
        graph = row["g"].value
        if graph.startswith(prefix):
            state.setdefault(graph, (row["sha"].value, row["fp"].value))
    return state


def writer_active(path: Path) -> bool:
    """True while another process has the store open for writing (a build): RocksDB holds
    a POSIX lock on its ``LOCK`` file, which ``F_GETLK`` sees without taking it."""
    try:
        fd = os.open(path / "LOCK", os.O_RDONLY)
    except OSError:
        return False
    try:
        probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, probe)
        return struct.unpack("hhqqi4x", answer)[0] != fcntl.F_UNLCK
    except OSError:
        return False
    finally:
        os.close(fd)


@dataclass
class Stats:
    """Headline counts of the graph (all DISTINCT over the union of graphs)."""

    visits: int = 0
    visits_by_kind_year: list[tuple[str, int | None, int]] = field(default_factory=list)
    authorities_with_visits: int = 0
    authorities: int = 0
    inspectors: int = 0
    recommendations: int = 0
    findings: int = 0
    judgements: int = 0
    source_files: int = 0
    triples: int = 0
    quads: int = 0

    def to_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["visits_by_kind_year"] = [
            {"kind": k, "year": y, "visits": n} for k, y, n in self.visits_by_kind_year
        ]
        return data


def _graph_node(graph_iri: str) -> ox.NamedNode:
    return ox.NamedNode(graph_iri)


def _term(value: ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple | ox.DefaultGraph) -> str:
    """A term's own N-Triples serialisation, which is also valid SPARQL syntax."""
    return str(value)


def _insert_data_body(quads: Iterable[ox.Quad]) -> str:
    """Triples for ``INSERT DATA``, serialised by pyoxigraph (never built from user strings)."""
    return "\n".join(f"{_term(q.subject)} {_term(q.predicate)} {_term(q.object)} ." for q in quads)


def _quads_body(quads: Iterable[ox.Quad]) -> str:
    """Quads for ``INSERT DATA`` / ``DELETE DATA``, grouped as ``GRAPH <g> { ... }`` blocks."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(_term(q.graph_name), []).append(q)
    return "\n".join(f"GRAPH {g} {{\n{_insert_data_body(qs)}\n}}" for g, qs in by_graph.items())


def _has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    return any(
        isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads
    )


def _canonical(quads: set[ox.Quad]) -> set[ox.Quad]:
    """The quads as the store will hold them (it rewrites ``"5"^^xsd:nonNegativeInteger`` as
    ``"5"^^xsd:integer``, ``+00:00`` as ``Z``...), so a diff against stored quads is exact."""
    scratch = ox.Store()
    scratch.extend(quads)
    return set(scratch)


class KnowledgeGraph:
    """A pyoxigraph store on disk, with the few operations the project needs."""

    def __init__(self, store: ox.Store, path: Path | None, read_only: bool = False) -> None:
        self.store = store
        self.path = path
        self.read_only = read_only
        # A read-only handle's ``store_state`` stamp, taken just before it was opened: the
        # handle sees at least every write the stamp reflects (kg.search trusts an index
        # recorded at this stamp without reading the store again).
        self.stamp: tuple[tuple[str, int], ...] | None = None

    @classmethod
    def open(cls, path: Path | str | None = None) -> KnowledgeGraph:
        """Open (creating if needed) for writing; RocksDB allows one writer process at a time."""
        where = Path(path) if path is not None else default_store_path()
        where.mkdir(parents=True, exist_ok=True)
        return cls(ox.Store(str(where)), where)

    @classmethod
    def open_read_only(cls, path: Path | str | None = None) -> KnowledgeGraph:
        """Open an existing store for reading only (stats, validate, queries).

        The handle sees the store as it was when opened, for as long as it is open: every
        write is one transaction (``kg.build``), so that is a consistent state, whatever a
        build running meanwhile writes; reopen to see later writes. A build merging table
        files may delete one while this opens it: RocksDB then reports it missing, and the
        open is tried again on the state that replaced it.
        """
        where = Path(path) if path is not None else default_store_path()
        if not (where / "CURRENT").exists():
            raise StoreMissingError(f"no knowledge graph store at {where}: run `kg build` first")
        for attempt in range(OPEN_ATTEMPTS):
            stamp = store_state(where)
            try:
                graph = cls(ox.Store.read_only(str(where)), where, read_only=True)
                graph.stamp = stamp
                return graph
            except (OSError, RuntimeError) as error:
                if "No such file" not in str(error) or attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    def in_memory(cls) -> KnowledgeGraph:
        """A throwaway store (tests, ``kg extract`` experiments)."""
        return cls(ox.Store(), None)

    def close(self) -> None:
        """Flush and drop the handle so the RocksDB lock is released promptly."""
        try:
            if not self.read_only and self.path is not None:
                with writing(self.path):
                    self.store.flush()
        finally:
            del self.store

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def replace_graph(self, graph_iri: str, quads: Iterable[ox.Quad]) -> None:
        """Make one named graph hold exactly ``quads``, in ONE transaction (``replace_graphs``)."""
        self.replace_graphs({graph_iri: quads})

    def replace_graphs(
        self, graphs: Mapping[str, Iterable[ox.Quad]], *, add: Iterable[ox.Quad] = ()
    ) -> None:
        """Make each named graph hold exactly its quads, and add the quads ``add`` (in the
        graphs they name), all in ONE transaction.

        A reader, or a process killed mid-write, sees the old state or the new one, never a
        mix: so graphs that must agree (a source file's graph and the build record naming it;
        the ontology, theme scheme and reference tables) are written together. New graphs and
        additions only: one ``Store.extend``. Otherwise a single SPARQL update request
        (``Store.update`` applies the whole request in one transaction) that deletes only the
        quads that went and inserts only those that came, so rewriting an unchanged graph
        writes nothing; a graph with blank nodes (which DELETE DATA cannot name) is dropped
        and inserted whole. Quads are put into their graph whatever graph they carry.
        """
        extra = list(add)
        parts: list[str] = []
        inserts: list[ox.Quad] = []
        for graph_iri, quads in graphs.items():
            g = _graph_node(graph_iri)
            new = {ox.Quad(q.subject, q.predicate, q.object, g) for q in quads}
            if not self.store.contains_named_graph(g):
                inserts.extend(new)
                continue
            if not new:
                parts.append(f"DROP SILENT GRAPH {_term(g)}")
                continue
            old = set(self.store.quads_for_pattern(None, None, None, g))
            if _has_blank_nodes(old) or _has_blank_nodes(new):
                parts.append(f"DROP SILENT GRAPH {_term(g)}")
                inserts.extend(new)
                continue
            new = _canonical(new)
            removed, added = old - new, new - old
            if removed:
                parts.append(f"DELETE DATA {{ {_quads_body(removed)} }}")
            inserts.extend(added)
        inserts.extend(extra)
        with writing(self.path):
            if not parts:
                if inserts:
                    self.store.extend(inserts)
                return
            if inserts:
                parts.append(f"INSERT DATA {{ {_quads_body(inserts)} }}")
            self.store.update(" ;\n".join(parts))

    def replace_graph_ntriples(self, graph_iri: str, data: bytes) -> None:
        """``replace_graph`` for triples already serialised as N-Triples (by a build worker).

        A new graph is loaded by ``Store.load`` (one transaction, no Python objects per
        quad); an existing one goes through the diff of ``replace_graph``.
        """
        g = _graph_node(graph_iri)
        if not self.store.contains_named_graph(g):
            if data.strip():
                self.store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=g)
            return
        parsed = ox.parse(data, format=ox.RdfFormat.N_TRIPLES, without_named_graphs=True)
        self.replace_graph(graph_iri, parsed)

    def replace_graph_nquads(
        self, graph_iri: str, data: bytes, *, add: Iterable[ox.Quad] = ()
    ) -> None:
        """``replace_graphs`` of one graph from N-Quads (as ``kg.rdf.report_nquads`` writes
        them; put into ``graph_iri`` whatever graph they name), with ``add`` in the same
        transaction."""
        parsed = ox.parse(data, format=ox.RdfFormat.N_QUADS)
        self.replace_graphs({graph_iri: parsed}, add=add)

    def add_new_graphs(self, data: bytes | IO[bytes], *, lenient: bool = False) -> None:
        """Write named graphs the store does not hold yet, all in ONE atomic step.

        ``data`` is N-Quads (bytes, or a binary file positioned at their start), every quad
        in a named graph that is not in the store: the caller checks (this is how a build
        writes a batch of new source graphs). It goes through pyoxigraph's bulk loader, which
        sorts the quads into new table files and adds them to the database in one ingestion:
        a process killed at any point leaves all of the batch or none of it, and never touches
        what was stored before (``tests/test_store.py`` kills writers mid-batch to check it).
        It costs about half of ``Store.load`` per quad, and holds about 0.95 KB of memory per
        quad while it writes (read from a file, the data itself stays out of memory).
        ``lenient`` skips IRI validation: for data whose IRIs are known to be valid.
        """
        if isinstance(data, bytes) and not data.strip():
            return
        with writing(self.path):
            self.store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=lenient)

    def compact(self) -> None:
        """Merge the store's table files (RocksDB compaction, pyoxigraph's ``optimize``).

        Each bulk load adds table files, and reads look in every one: after a build of the
        800-document corpus (8 loads) some saved queries ran 1.3-4x slower than after a
        compaction (bench/README.md), which took 6.5 s (10.7 s at the end of a build). It
        is the compaction RocksDB runs in the background after writes anyway, asked for at
        once: merged files are installed through its manifest, so a kill leaves the files
        before or after the merge (the same quads; not tested by a kill here)."""
        with writing(self.path):
            self.store.optimize()

    def ontology_quads(self) -> list[ox.Quad]:
        """``ONTOLOGY_GRAPH``'s content: ontology.ttl and the theme scheme the tagger uses
        (``$KG_THEMES`` or themes.ttl, ``kg.themes.scheme_path``)."""
        from kg.themes import scheme_path

        quads: list[ox.Quad] = []
        graph = _graph_node(vocab.ONTOLOGY_GRAPH)
        for path in (data_path(ONTOLOGY_FILE), scheme_path()):
            for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                quads.append(ox.Quad(triple.subject, triple.predicate, triple.object, graph))
        return quads

    def load_ontology(self) -> int:
        """Replace ``ONTOLOGY_GRAPH`` with ``ontology_quads``; returns the triple count."""
        quads = self.ontology_quads()
        self.replace_graph(vocab.ONTOLOGY_GRAPH, quads)
        return len(quads)

    # --- reading ---------------------------------------------------------------------------

    def _select(self, query: str) -> list[ox.QuerySolution]:
        result = self.store.query(vocab.sparql_prefixes() + query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        return list(result)

    def _count(self, query: str) -> int:
        rows = self._select(query)
        value = rows[0]["n"] if rows else None
        return int(value.value) if isinstance(value, ox.Literal) else 0

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def recorded_sources(self) -> dict[str, tuple[str, str]]:
        """Each stored source graph's (file SHA-256, extraction fingerprint), in one query."""
        return recorded_sources(self.store)

    def is_empty(self) -> bool:
        """True when the store holds no quad at all (one seek, not a count)."""
        return next(iter(self.store), None) is None

    def count_triples(self) -> int:
        """Quads stored over all graphs (what a repeated build must leave unchanged)."""
        return len(self.store)

    def count_quads_in(self, graphs: Iterable[ox.NamedNode | ox.DefaultGraph]) -> int:
        """Quads stored in these graphs (counted by the engine, not one Python object each)."""
        total = 0
        for graph in graphs:
            if isinstance(graph, ox.DefaultGraph):
                result = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            else:
                result = self.store.query(
                    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                    substitutions={ox.Variable("g"): graph},
                )
            assert isinstance(result, ox.QuerySolutions)
            row = next(iter(result), None)  # no group at all: an empty graph
            value = row["n"] if row is not None else None
            total += int(value.value) if isinstance(value, ox.Literal) else 0
        return total

    def count_distinct_triples(self) -> int:
        """Distinct triples in the union of all graphs (facts, not assertions)."""
        return self._count(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )

    def stats(self) -> Stats:
        """Counts for ``kg stats``; every count is DISTINCT over the union of graphs."""
        s = Stats()

        def n_of(cls: str) -> int:
            return self._count(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{cls}> }}")

        s.visits = n_of(T.Visit)
        s.inspectors = n_of(T.Inspector)
        s.recommendations = n_of(T.Recommendation)
        s.findings = n_of(T.Finding)
        s.judgements = n_of(T.Judgement)
        s.source_files = n_of(T.SourceFile)
        s.authorities = n_of(T.Authority)
        s.authorities_with_visits = self._count(
            f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?v a <{T.Visit}> ; <{T.authority}> ?a }}"
        )
        rows = self._select(
            f"""SELECT ?kind ?year (COUNT(DISTINCT ?v) AS ?n) WHERE {{
                ?v a <{T.Visit}> ; <{T.kind}> ?kind .
                OPTIONAL {{ ?v <{T.startDate}> ?start }}
                OPTIONAL {{ ?v <{T.report}>/<{T.letterDate}> ?letter }}
                OPTIONAL {{ ?v <{T.report}>/<{T.publicationDate}> ?published }}
                BIND(YEAR(COALESCE(?start, ?letter, ?published)) AS ?year)
            }} GROUP BY ?kind ?year ORDER BY ?kind ?year"""
        )
        s.visits_by_kind_year = [
            (
                r["kind"].value.removeprefix(vocab.KIND),
                int(r["year"].value) if r["year"] is not None else None,
                int(r["n"].value),
            )
            for r in rows
        ]
        s.quads = self.count_triples()
        s.triples = self.count_distinct_triples()
        return s

    def visits_by_authority(self) -> list[dict[str, Any]]:
        """Per authority with visits: name, visits, recommendations (to the council: those to
        its safeguarding board are the board's), first and last visit."""
        rows = self._select(
            f"""SELECT ?a (SAMPLE(?label) AS ?name) (COUNT(DISTINCT ?v) AS ?visits)
                   (COUNT(DISTINCT ?r) AS ?recs) (MIN(?d) AS ?first) (MAX(?d) AS ?last)
            WHERE {{
                ?v a <{T.Visit}> ; <{T.authority}> ?a .
                OPTIONAL {{ ?a <{T.foaf_name}> ?label }}
                OPTIONAL {{  # the council's, not its safeguarding board's
                    ?v <{T.report}>/<{T.hasRecommendation}> ?r . ?r <{T.addressedTo}> ?a }}
                OPTIONAL {{ ?v <{T.startDate}> ?start }}
                OPTIONAL {{ ?v <{T.report}>/<{T.letterDate}> ?letter }}
                OPTIONAL {{ ?v <{T.report}>/<{T.publicationDate}> ?published }}
                BIND(STR(COALESCE(?start, ?letter, ?published)) AS ?d)
            }} GROUP BY ?a ORDER BY ?name"""
        )
        out = []
        for r in rows:
            iri = r["a"].value
            out.append(
                {
                    "authority": r["name"].value if r["name"] is not None else iri,
                    "gss_code": iri.rsplit("/", 1)[-1],
                    "visits": int(r["visits"].value),
                    "recommendations": int(r["recs"].value),
                    "first": r["first"].value if r["first"] is not None else None,
                    "last": r["last"].value if r["last"] is not None else None,
                }
            )
        return out

    # --- export and validation ---------------------------------------------------------------

    def to_rdflib(self) -> Any:
        """The union of all graphs (ontology included) as one deduplicated rdflib Graph."""
        import rdflib
        from rdflib.term import BNode, URIRef

        string = vocab.XSD + "string"
        cache: dict[Any, Any] = {}

        def convert(term: Any) -> Any:
            node = cache.get(term)
            if node is None:
                if isinstance(term, ox.NamedNode):
                    node = URIRef(term.value)
                elif isinstance(term, ox.BlankNode):
                    node = BNode(term.value)
                elif term.language:
                    node = rdflib.Literal(term.value, lang=term.language)
                elif term.datatype.value == string:  # rdflib's plain literal
                    node = rdflib.Literal(term.value)
                else:
                    node = rdflib.Literal(term.value, datatype=URIRef(term.datatype.value))
                cache[term] = node
            return node

        graph = rdflib.Graph()
        triples = self.store.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
        )
        assert isinstance(triples, ox.QueryTriples)  # a CONSTRUCT answers triples
        for t in triples:
            graph.add((convert(t.subject), convert(t.predicate), convert(t.object)))
        return graph
