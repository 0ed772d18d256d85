"""The Python SDK: ``Task``, ``Logger``, models, artifacts and storage.

Import from ``corral`` (``from corral import Task``); the names are loaded lazily so
that ``import corral`` stays cheap.
"""
