"""The password policy: long enough, not guessable, not the user's own name.

Strength is judged by zxcvbn (dictionaries of common passwords, names, keyboard
patterns), as NIST SP 800-63B advises instead of composition rules.
"""

from __future__ import annotations

from corral.errors import ValidationError

#: zxcvbn score (0-4) a password must reach
MIN_SCORE = 3


def problem(password: str, user_name: str, *, min_length: int) -> str | None:
    """Why ``password`` is not accepted for ``user_name``, or None."""
    if len(password) < min_length:
        return f"a password needs at least {min_length} characters"
    if len(password) > 1024:
        return "a password may have at most 1024 characters"
    if user_name and len(user_name) >= 3 and user_name.lower() in password.lower():
        return "a password must not contain the user name"
    from zxcvbn import zxcvbn  # its dictionaries take a while to load; only when needed

    result = zxcvbn(password[:100], user_inputs=[user_name, "corral"])
    if result["score"] < MIN_SCORE:
        hint = result.get("feedback", {}).get("warning") or "it is too easy to guess"
        return f"this password is too weak: {hint.rstrip('.')}; use a longer passphrase"
    return None


def check(password: str, user_name: str, *, min_length: int, field: str = "password") -> None:
    """Raise a 422 naming ``field`` when the policy refuses ``password``."""
    why = problem(password, user_name, min_length=min_length)
    if why is not None:
        raise ValidationError(
            why, errors=[{"loc": ["body", field], "msg": why, "type": "value_error"}]
        )
