"""The agent: a daemon that runs queued tasks (``corral agent``)."""
