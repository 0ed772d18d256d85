"""Helpers for testing against a real hub, for Corral's own tests and benchmarks.

:mod:`corral.testing.hub` starts ``corral server`` as a real process on a free port
with its own data directory (and, with ``CORRAL_TEST_DATABASE_URL``, a PostgreSQL
database of its own), reads the admin key it writes, and gives authenticated clients.
It needs the ``server`` extra (and ``postgres`` for PostgreSQL) in the environment that
runs it.

Example::

    from corral.testing.hub import make_hub

    hub = make_hub(tmp_path / "hub", "sqlite").start()
    with hub.client() as http:
        http.post("/projects", json={"name": "demo"}).raise_for_status()
    hub.dispose()
"""
