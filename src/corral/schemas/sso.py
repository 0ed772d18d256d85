"""How users may log in: the answer of ``GET /auth/providers`` (anonymous)."""

from __future__ import annotations

from corral.schemas.common import Output


class OidcProvider(Output):
    #: the login button's label ("Log in with <name>")
    name: str


class AuthProviders(Output):
    """``password`` is always on; ``oidc`` is null unless single sign-on is configured."""

    password: bool = True
    oidc: OidcProvider | None = None
