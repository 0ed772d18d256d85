"""The ``corral`` command line (Typer): thin commands over the SDK, client and server."""
