"""A knowledge graph of Ofsted inspections of English local authority children's services.

The data flows one way, one module per step:

    source file --(kg.text)--> clean text --(kg.extract)--> kg.record.Report
        --(kg.rdf)--> RDF quads --(kg.store)--> on-disk store --> queries / outputs

``kg.build`` runs the whole pipeline over a batch of files.
"""

__version__ = "0.1.0"
