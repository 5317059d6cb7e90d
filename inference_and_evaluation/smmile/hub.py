"""Hugging Face Hub access, decided by one quick request, and its failures told in one true line.

Without this, a run on a node without internet spends half a minute in the hub client's retries
and then blames the token. `check_access` asks the hub's auth-check endpoint once (timeout:
HF_HUB_ETAG_TIMEOUT, default 10 s, no retries) whether the repository can be read, and tells
apart: the hub unreachable (name resolution, refused connection, timeout), the token refused, no
token for a private or gated repository, a gated repository whose terms were not accepted, and a
repository that does not exist. With HF_HUB_OFFLINE set it asks nothing (the cache is used).
`describe_hub_error` gives the same line for an error the hub client raised later.
"""

from __future__ import annotations

import os
import socket

from smmile.errors import UserError

OFFLINE_HELP = (
    "to work offline set HF_HUB_OFFLINE=1 (uses what an earlier download left in the cache), "
    "or pass --dataset-path PATH (or --dataset demo) for the data and --model-path DIR for a model"
)
TOKEN_HELP = "create a read token at https://huggingface.co/settings/tokens and export HF_TOKEN"
_DNS_WORDS = ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
_NETWORK_CLASSES = ("ConnectError", "ConnectTimeout", "NetworkError", "ProxyError", "OfflineModeIsEnabled")
_TIMEOUT_CLASSES = ("TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout", "ConnectTimeout")


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE asks for no network (as huggingface_hub reads it)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def probe_timeout() -> float:
    """Seconds the access check waits: the hub client's own HF_HUB_ETAG_TIMEOUT (default 10)."""
    try:
        return max(0.1, float(os.environ.get("HF_HUB_ETAG_TIMEOUT", "10")))
    except ValueError:
        return 10.0


def endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT.rstrip("/")


def _token_set() -> bool:
    from huggingface_hub import get_token

    return bool(get_token())


def repo_url(repo_id: str, kind: str) -> str:
    return f"{endpoint()}/{'datasets/' if kind == 'dataset' else ''}{repo_id}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _network_reason(exc: BaseException) -> str | None:
    """'name resolution failed' / 'timed out' / 'connection refused' / … when `exc` (or what it
    was raised from) is a network failure; None otherwise."""
    for err in _chain(exc):
        names = {cls.__name__ for cls in type(err).__mro__}
        timeout = bool(names & set(_TIMEOUT_CLASSES)) or isinstance(err, TimeoutError)
        if not (
            timeout or names & set(_NETWORK_CLASSES) or isinstance(err, (ConnectionError, socket.gaierror))
        ):
            continue
        text = str(err).lower()
        if isinstance(err, socket.gaierror) or any(w in text for w in _DNS_WORDS):
            return "name resolution failed"
        if timeout:
            return "timed out"
        if isinstance(err, ConnectionRefusedError) or "connection refused" in text:
            return "connection refused"
        return " ".join(str(err).split())[:120] or type(err).__name__
    return None


def _not_cached(what: str) -> str:
    return (
        f"{what} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: download it once where "
        "the hub is reachable (same HF_HOME or --hf-cache-dir)"
    )


def describe_hub_error(exc: BaseException, repo_id: str, kind: str) -> str | None:
    """One line saying why `kind` ("model" or "dataset") `repo_id` could not be read from the hub,
    or None when `exc` is not a hub access failure."""
    from huggingface_hub import errors

    what = f"{kind} {repo_id}"
    for err in _chain(exc):
        if isinstance(err, errors.GatedRepoError):
            who = "the account of HF_TOKEN" if _token_set() else "your account, then export HF_TOKEN"
            return f"{what} is gated: accept its terms at {repo_url(repo_id, kind)} with {who}"
        if isinstance(err, errors.RevisionNotFoundError):
            return f"{what}: no such revision on the hub ({' '.join(str(err).split())[:160]})"
        if isinstance(err, errors.LocalEntryNotFoundError) and hub_offline():
            return _not_cached(what)
        if isinstance(err, errors.HfHubHTTPError) and err.response is not None:
            status = err.response.status_code
            if status == 401 and "invalid credentials" in str(err).lower():
                return f"the hub refused the token (401 invalid credentials) for {what}: {TOKEN_HELP}"
            if isinstance(err, errors.RepositoryNotFoundError) or status == 401:
                if not _token_set():
                    return f"{what}: not found, or private or gated and no token is set: {TOKEN_HELP}"
                return f"{what}: not found, or not visible to the account of your token (check the id)"
            if status == 403:
                return f"{what}: the hub forbids it to your token (403): use a token with read access"
            if status == 429 or status >= 500:
                return f"the hub answered {status} for {what}; try again later, or {OFFLINE_HELP}"
    reason = _network_reason(exc)
    if reason is not None and hub_offline():
        return _not_cached(what)
    if reason is not None:
        return f"cannot reach the Hugging Face Hub at {endpoint()} ({reason}) to get {what}; {OFFLINE_HELP}"
    return None


def check_access(repo_id: str, kind: str) -> None:
    """One request (no retries): can `kind` `repo_id` be read with this token? Raises UserError
    with the cause if not; asks nothing when HF_HUB_OFFLINE is set."""
    if hub_offline():
        return
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    url = f"{endpoint()}/api/{kind}s/{repo_id}/auth-check"
    try:
        response = get_session().get(url, headers=build_hf_headers(), timeout=probe_timeout())
        hf_raise_for_status(response)
    except Exception as exc:
        line = describe_hub_error(exc, repo_id, kind)
        if line is None:
            raise
        raise UserError(line) from None
