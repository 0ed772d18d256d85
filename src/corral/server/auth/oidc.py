"""Single sign-on with OpenID Connect: the authorization code flow with PKCE.

:func:`start` reads the provider's discovery document
(``<issuer>/.well-known/openid-configuration``), makes a fresh ``state``, ``nonce``
and PKCE ``code_verifier`` (S256), and returns the provider's authorization URL
with the *transient state*: those three values, the redirect URI and the local
path to return to, sealed (AES-GCM, so encrypted and tamper-proof) into a
cookie that lives ten minutes. The key is derived from the client secret, so
every hub process of one deployment opens what another sealed.

:func:`finish` handles the provider's redirect back: it opens the cookie, checks
the ``state`` (and the ``iss`` parameter of RFC 9207 when the provider sends
it), exchanges the code for tokens with the ``code_verifier`` (the authorization
request and the S256 challenge are authlib's; the two HTTP calls are plain
httpx: authlib's httpx integration is deprecated), and validates the ID token: its signature against the provider's JWKS
and its ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``, ``azp`` and ``at_hash``
(authlib's ``CodeIDToken`` over joserfc, exactly as authlib's own OpenID client
does; ``authlib.jose`` is deprecated in favour of joserfc). Claims the ID token
leaves out (providers put scope claims such as ``groups`` only in the userinfo
answer) are read from the userinfo endpoint, whose ``sub`` must match.

Every failure is a :class:`corral.errors.AuthError` (the callback was wrong: bad
state, replayed code, invalid token), or a ``ServerUnavailableError`` (the
provider could not be reached), with a message for the person logging in.

Example:
    >>> login = start(settings, "https://hub.example/api/v1/auth/oidc/callback", "/projects")
    >>> # redirect to login.url, set the cookie login.cookie; at the callback:
    >>> identity = finish(settings, dict(request.query_params), request.cookies[COOKIE])
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry

from corral.errors import AuthError, NotFoundError, ServerUnavailableError
from corral.server.settings import ServerSettings

#: the cookie that carries the transient state between the login and the callback
COOKIE = "corral_oidc"
COOKIE_PATH = "/api/v1/auth/oidc"
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
#: how long a login at the provider may take
STATE_SECONDS = 600
#: how long the discovery document and the JWKS are kept before they are read again
METADATA_SECONDS = 300
#: clock skew allowed when checking the ID token's times
LEEWAY_SECONDS = 60
_TIMEOUT = httpx.Timeout(10.0)
_AAD = b"corral-oidc-state-v1"


@dataclass(frozen=True)
class Login:
    """Where to send the browser, and the sealed cookie to set before."""

    url: str
    cookie: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says logged in (validated)."""

    issuer: str
    subject: str
    username: str
    email: str | None
    name: str | None
    groups: list[str] = field(default_factory=list)
    #: the local path to return to
    next: str = "/"

    @property
    def external_id(self) -> str:
        return f"{self.issuer}|{self.subject}"


def enabled(settings: ServerSettings) -> bool:
    return bool(settings.oidc_issuer)


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this hub, else ``/`` (no open redirect).

    Example:
        >>> safe_next("/projects?x=1"), safe_next("https://evil.example"), safe_next("//evil")
        ('/projects?x=1', '/', '/')
    """
    if not value or len(value) > 2048 or not value.startswith("/"):
        return "/"
    # "//host" and "/\\host" are other hosts to a browser; control characters can hide them
    if value.startswith(("//", "/\\")) or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _configured(settings: ServerSettings) -> tuple[str, str, str]:
    if not settings.oidc_issuer:
        raise NotFoundError("single sign-on is not configured on this hub")
    if not settings.oidc_client_id or not settings.oidc_client_secret:
        raise ServerUnavailableError(
            "single sign-on is misconfigured: set CORRAL_OIDC_CLIENT_ID and CORRAL_OIDC_CLIENT_SECRET"
        )
    return settings.oidc_issuer.rstrip("/"), settings.oidc_client_id, settings.oidc_client_secret


# --- the provider's metadata and keys ------------------------------------------------

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as e:
        raise ServerUnavailableError(
            f"the identity provider's {what} could not be read: {e}"
        ) from e
    if not isinstance(data, dict):
        raise ServerUnavailableError(f"the identity provider's {what} is not a JSON object")
    return data


def _cached(url: str, what: str, *, force: bool = False) -> dict[str, Any]:
    hit = _cache.get(url)
    if hit is not None and not force and time.monotonic() - hit[0] < METADATA_SECONDS:
        return hit[1]
    data = _get_json(url, what)
    _cache[url] = (time.monotonic(), data)
    return data


def metadata(issuer: str) -> dict[str, Any]:
    """The discovery document; its ``issuer`` must be the configured one."""
    data = _cached(f"{issuer}/.well-known/openid-configuration", "discovery document")
    if str(data.get("issuer", "")).rstrip("/") != issuer:
        raise ServerUnavailableError(
            f"the identity provider says its issuer is {data.get('issuer')!r}, "
            f"not the configured {issuer!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(key), str):
            raise ServerUnavailableError(f"the identity provider's discovery has no {key}")
    return data


# --- the transient state cookie ------------------------------------------------------


def _state_key(client_secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AAD).derive(
        client_secret.encode()
    )
    return AESGCM(key)


def seal(client_secret: str, data: dict[str, Any]) -> str:
    nonce = secrets.token_bytes(12)
    body = _state_key(client_secret).encrypt(nonce, json.dumps(data).encode(), _AAD)
    return base64.urlsafe_b64encode(nonce + body).decode().rstrip("=")


def unseal(client_secret: str, cookie: str | None) -> dict[str, Any]:
    """The transient state, if the cookie is ours, whole and not expired."""
    if not cookie:
        raise AuthError(
            "no single sign-on was started in this browser (or it took too long); try again"
        )
    try:
        raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
        plain = _state_key(client_secret).decrypt(raw[:12], raw[12:], _AAD)
        data = json.loads(plain)
    except (binascii.Error, ValueError, InvalidTag) as e:
        raise AuthError("the single sign-on state was tampered with; try again") from e
    if not isinstance(data, dict) or float(data.get("exp", 0)) < time.time():
        raise AuthError("the single sign-on took too long; try again")
    return data


# --- the flow ------------------------------------------------------------------------


def start(settings: ServerSettings, redirect_uri: str, next_path: str | None) -> Login:
    """Begin a login: the provider's authorization URL and the sealed state cookie."""
    issuer, client_id, secret = _configured(settings)
    meta = metadata(issuer)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    url = prepare_grant_uri(
        meta["authorization_endpoint"],
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=settings.oidc_scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    cookie = seal(
        secret,
        {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
            "next": safe_next(next_path),
            "exp": time.time() + STATE_SECONDS,
        },
    )
    return Login(url=str(url), cookie=cookie)


def finish(settings: ServerSettings, params: dict[str, str], cookie: str | None) -> Identity:
    """Complete a login from the callback's query parameters and the state cookie."""
    issuer, client_id, secret = _configured(settings)
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        raise AuthError(f"the identity provider refused the login: {reason}")
    saved = unseal(secret, cookie)
    if not secrets.compare_digest(str(params.get("state", "")), str(saved.get("state", ""))):
        raise AuthError("the single sign-on state does not match this browser's; try again")
    if "iss" in params and params["iss"].rstrip("/") != issuer:
        raise AuthError("the answer came from another identity provider")
    code = params.get("code")
    if not code:
        raise AuthError("the identity provider sent no authorization code")
    meta = metadata(issuer)
    token = _token(meta["token_endpoint"], client_id, secret, code, saved)
    claims = _id_token_claims(meta, token, client_id, str(saved["nonce"]))
    access_token = token.get("access_token")
    if isinstance(meta.get("userinfo_endpoint"), str) and isinstance(access_token, str):
        info = _userinfo(meta["userinfo_endpoint"], access_token, claims["sub"])
        claims = {**info, **claims}
    return _identity(settings, issuer, claims, str(saved.get("next") or "/"))


def _token(
    url: str, client_id: str, secret: str, code: str, saved: dict[str, Any]
) -> dict[str, Any]:
    """The token request (``client_secret_basic``, RFC 6749 2.3.1, with the PKCE verifier)."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": str(saved["redirect_uri"]),
        "code_verifier": str(saved["verifier"]),
    }
    auth = (quote(client_id, safe=""), quote(secret, safe=""))
    try:
        response = httpx.post(url, data=body, auth=auth, timeout=_TIMEOUT)
    except httpx.HTTPError as e:
        raise ServerUnavailableError(f"the identity provider could not be reached: {e}") from e
    try:
        token = response.json()
    except ValueError:
        token = None
    if not isinstance(token, dict):
        raise ServerUnavailableError(
            f"the identity provider's token endpoint answered {response.status_code} without JSON"
        )
    if response.status_code != 200 or "error" in token:
        reason = token.get("error_description") or token.get("error") or response.status_code
        raise AuthError(f"the identity provider refused the code: {reason}")
    return token


def _keys(uri: str, *, force: bool = False) -> KeySet:
    data = cast("KeySetSerialization", _cached(uri, "keys (JWKS)", force=force))
    keys: KeySet = KeySet.import_key_set(data)
    return keys


def _id_token_claims(
    meta: dict[str, Any], token: dict[str, Any], client_id: str, nonce: str
) -> dict[str, Any]:
    raw = token.get("id_token")
    if not isinstance(raw, str):
        raise AuthError("the identity provider sent no ID token (is 'openid' in the scopes?)")
    algorithms = [
        a for a in meta.get("id_token_signing_alg_values_supported", ["RS256"]) if a != "none"
    ]
    registry = JWSRegistry(algorithms=algorithms or ["RS256"], strict_check_header=False)
    try:
        keys = _keys(meta["jwks_uri"])
        try:
            decoded = jwt.decode(raw, keys, registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys: read them once more
            keys = _keys(meta["jwks_uri"], force=True)
            decoded = jwt.decode(raw, keys, registry=registry)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": meta["issuer"]},
                "aud": {"essential": True, "value": client_id},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
            {"nonce": nonce, "client_id": client_id, "access_token": token.get("access_token")},
        )
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, KeyError, TypeError) as e:
        raise AuthError(f"the identity provider's ID token is not valid: {e}") from e
    return dict(claims)


def _userinfo(url: str, access_token: str, subject: str) -> dict[str, Any]:
    try:
        response = httpx.get(
            url, headers={"Authorization": f"Bearer {access_token}"}, timeout=_TIMEOUT
        )
        response.raise_for_status()
        info = response.json()
    except (httpx.HTTPError, ValueError) as e:
        raise ServerUnavailableError(
            f"the identity provider's userinfo could not be read: {e}"
        ) from e
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise AuthError("the identity provider's userinfo is for another subject")
    return info


def _groups(value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    names = {g.strip()[:255] for g in value if isinstance(g, str) and g.strip()}
    return sorted(names)


def _identity(
    settings: ServerSettings, issuer: str, claims: dict[str, Any], next_path: str
) -> Identity:
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    username = claims.get("preferred_username")
    if not isinstance(username, str) or not username.strip():
        username = email.split("@")[0] if email else ""
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return Identity(
        issuer=issuer,
        subject=str(claims["sub"]),
        username=username.strip(),
        email=email,
        name=name,
        groups=_groups(claims.get(settings.oidc_groups_claim)),
        next=safe_next(next_path),
    )


def callback_url(settings: ServerSettings, base_url: str) -> str:
    """The redirect URI registered at the provider: ``public_url`` (or the request's base)."""
    base = (settings.public_url or base_url).rstrip("/")
    return base + CALLBACK_PATH
