"""Typed HTTP client for the hub's REST API, with its configuration file."""
