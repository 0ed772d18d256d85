"""Pydantic v2 wire models shared by the server and its clients (no server dependencies)."""
