"""Before a run sends anything: one cheap request (the server's model list, no retries) to see
that the server answers, so an unreachable server or a refused key stops the run in one line
instead of failing every prompt. Used by the judge and by the inference scripts' --base-url /
--ollama-host; `role` and `hint` say which server and which flag the line is about.

ollama: `GET /api/tags`, and the judge model must be among the models pulled there.
OpenAI-compatible: `GET /models`; a server that answers at all (even 404 for that route) is up,
except that a refused key (401/403) stops the run too.
"""

from __future__ import annotations

from smmile.errors import UserError
from smmile.models.api.errors import error_text
from smmile.redaction import public_url

PREFLIGHT_TIMEOUT_S = 20.0


def _names(model: str) -> set[str]:
    return {model, model if ":" in model else f"{model}:latest"}


JUDGE = ("judge server", "--judge-base-url")


def check_ollama(
    model: str, host: str | None, timeout: float, role: str = JUDGE[0], flag: str = JUDGE[1]
) -> None:
    import httpx
    import ollama

    from smmile.models.ollama_backend import ollama_host

    url = ollama_host(host)
    where = public_url(url)
    try:
        listed = ollama.Client(host=url, timeout=timeout).list()
    except ollama.ResponseError as exc:
        raise UserError(
            f"{role} {where} answered HTTP {exc.status_code} to its model list: {exc.error}"
        ) from None
    except (ConnectionError, httpx.HTTPError) as exc:
        raise UserError(
            f"{role} {where} does not answer ({error_text(exc, ())}); start it (ollama serve) or pass {flag}"
        ) from None
    served = {m.model for m in listed.models if m.model}
    if not served & _names(model):
        have = ", ".join(sorted(served)) or "none"
        what = "judge model" if role == JUDGE[0] else "model"
        raise UserError(f"{what} {model} is not on {where} (it has: {have}); run `ollama pull {model}`")


def check_openai(base_url: str | None, timeout: float, role: str = JUDGE[0], flag: str = JUDGE[1]) -> None:
    import openai

    from smmile.models.openai_backend import OpenAIService

    service = OpenAIService.from_env(base_url)
    common = {"max_retries": 0, "timeout": timeout}
    if service.kind == "azure":
        client = openai.AzureOpenAI(
            api_key=service.api_key,
            azure_endpoint=service.azure_endpoint,
            api_version=service.api_version,
            **common,
        )
    else:
        client = openai.OpenAI(api_key=service.api_key, base_url=service.base_url, **common)
    where = public_url(str(client.base_url)).rstrip("/")
    try:
        client.models.list()
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        key = "AZURE_OPENAI_API_KEY" if service.kind == "azure" else "OPENAI_API_KEY"
        raise UserError(
            f"{role} {where} refused the key (HTTP {exc.status_code}): set {key} to a key it accepts"
        ) from None
    except openai.APIStatusError:
        return  # it answered; a server may simply not list its models
    except openai.APIConnectionError as exc:  # timeouts included
        raise UserError(
            f"{role} {where} does not answer ({error_text(exc.__cause__ or exc, (service.api_key,))}); "
            f"start it or pass {flag}"
        ) from None
    finally:
        client.close()


def preflight_timeout(timeout: float) -> float:
    """The check waits no longer than a request would, and at most PREFLIGHT_TIMEOUT_S."""
    return min(timeout, PREFLIGHT_TIMEOUT_S)


def check_judge_server(kind: str, model: str, base_url: str | None, timeout: float) -> None:
    """Raise a UserError (one line) when the judge server does not answer or lacks the model."""
    timeout = preflight_timeout(timeout)
    if kind == "ollama":
        check_ollama(model, base_url, timeout)
    elif kind == "openai":
        check_openai(base_url, timeout)
    else:
        raise ValueError(f"unknown judge backend {kind!r}")
