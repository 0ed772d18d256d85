"""Fixtures of the agent's tests: agents as real processes, a queue of each test's own."""

from tests.agents import queue, start_agent  # noqa: F401  (fixtures of the tests here)
