"""Datasets: versioned, content-addressed data (``from corral import Dataset``)."""
