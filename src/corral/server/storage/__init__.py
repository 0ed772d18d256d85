"""The server's file store (files under the data directory)."""
