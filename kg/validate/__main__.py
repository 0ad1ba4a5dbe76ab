"""``python -m kg.validate``: the pySHACL worker (see ``kg.validate.pyshacl_engine.Worker``)."""

from kg.validate.pyshacl_engine import worker_main

if __name__ == "__main__":
    worker_main()
