"""What the SDK (capturing a repository) and the agent (restoring it) agree on about git.

* :func:`git_env`: an environment in which git never prompts, never takes a
  repository from the caller's ``GIT_DIR``, and speaks plain English;
* :func:`strip_credentials`: a remote URL without ``user:password@``, as stored on a task;
* :data:`TRUNCATED_PREFIX`: how a diff cut at capture ends, so the agent can drop
  that line before ``git apply``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

#: the first words of the line that ends a diff cut at capture
TRUNCATED_PREFIX = "# corral: diff truncated"
#: the line the SDK appends to a diff it cut
TRUNCATED_MARKER = f"{TRUNCATED_PREFIX} (over 5 MiB)\n"

#: variables that would point git at another repository, work tree or index
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


def git_env(**extra: str) -> dict[str, str]:
    """``os.environ`` made safe for running git unattended, plus ``extra``.

    Nobody is there to type a password (``GIT_TERMINAL_PROMPT=0``, ssh in batch
    mode), messages are in English (``LC_ALL=C``), and the repository is the one of
    the working folder, never one named by the caller's ``GIT_DIR``.

    Example:
        >>> git_env(GIT_OPTIONAL_LOCKS="0")["GIT_TERMINAL_PROMPT"]
        '0'
    """
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    env["LC_ALL"] = "C"
    for name in _REPOSITORY_VARIABLES:
        env.pop(name, None)
    env.update(extra)
    return env


def strip_credentials(url: str) -> str:
    """Remove ``user:password@`` from an http(s) URL; other URLs are returned as is.

    Example:
        >>> strip_credentials("https://bob:s3cret@github.com/org/repo.git")
        'https://github.com/org/repo.git'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
