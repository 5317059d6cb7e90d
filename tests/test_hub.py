"""Hub failures in one quick, true line: unreachable (name resolution, refused, timeout) vs. the
token refused vs. no token vs. gated, decided by one request before any download, with the way
to work offline. A stand-in hub on 127.0.0.1 and patched name resolution; never the network."""

from __future__ import annotations

import socket

import pytest
from helpers import run_script as run_subprocess
from loopback.hub import BAD_TOKEN, DOWN, GATED, NO_SUCH_REPO, HubAnswer, StubHub, point_hub_at

from smmile.data import load_dataset_problems, resolve_source
from smmile.errors import UserError
from smmile.hub import OFFLINE_HELP, check_access, describe_hub_error
from smmile.models.catalog import QWEN, LocalSettings

OFFLINE_WORDS = ("HF_HUB_OFFLINE=1", "--dataset-path", "--model-path")


@pytest.fixture
def stub_hub(monkeypatch):
    """A stand-in hub as the endpoint; datasets.load_dataset must never be reached after a refusal."""
    import datasets
    from huggingface_hub import constants

    loads = []
    monkeypatch.setattr(
        datasets, "load_dataset", lambda *a, **k: loads.append(a) or pytest.fail("downloaded")
    )
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    def start(answer: HubAnswer) -> StubHub:
        hub = StubHub(answer).__enter__()
        point_hub_at(monkeypatch, hub.url)
        started.append(hub)
        return hub

    started: list[StubHub] = []
    yield start
    for hub in started:
        hub.__exit__()
    assert not loads


def checks(hub: StubHub) -> list[str]:
    """The access checks the stand-in saw (the hub client may also fetch its own registries)."""
    return [p for p in hub.paths if p.endswith("/auth-check")]


def refusal(source="smmile") -> str:
    with pytest.raises(UserError) as info:
        load_dataset_problems(resolve_source(source))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_gated_dataset(stub_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    hub = stub_hub(GATED)
    message = refusal()
    assert message.startswith(
        f"dataset smmile/SMMILE is gated: accept its terms at {hub.url}/datasets/smmile/SMMILE"
    )
    assert "hf_secret_value" not in message and "--dataset-path" in message
    assert checks(hub) == ["/api/datasets/smmile/SMMILE/auth-check"]  # one request, no retries


def test_no_token_for_a_private_or_gated_repo(stub_hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    stub_hub(NO_SUCH_REPO)
    assert "not found, or private or gated and no token is set" in refusal()


def test_a_token_that_sees_no_such_repo(stub_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_x")
    stub_hub(NO_SUCH_REPO)
    assert "not found, or not visible to the account of your token" in refusal()


def test_a_refused_token_is_not_called_gated(stub_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_expired")
    stub_hub(BAD_TOKEN)
    message = refusal()
    assert "the hub refused the token (401 invalid credentials)" in message and "gated" not in message


def test_the_hub_down_says_try_later_and_how_to_work_offline(stub_hub):
    stub_hub(DOWN)
    message = refusal()
    assert "the hub answered 503" in message and all(w in message for w in OFFLINE_WORDS)


def test_a_hub_that_does_not_answer_times_out_once(stub_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "0.3")
    hub = stub_hub(HubAnswer(delay=5))
    message = refusal()
    assert "(timed out)" in message and all(w in message for w in OFFLINE_WORDS)
    assert len(checks(hub)) == 1


def test_name_resolution_is_not_blamed_on_the_token(monkeypatch):
    """The issue's case: HF_TOKEN set, no network; it said 'set HF_TOKEN to a token whose account...'."""

    monkeypatch.setenv("HF_TOKEN", "hf_good")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    point_hub_at(monkeypatch, "http://hub.example")
    lookups = []

    def no_dns(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(UserError) as info:
        check_access("smmile/SMMILE", "dataset")
    message = str(info.value)
    assert message == (
        "cannot reach the Hugging Face Hub at http://hub.example (name resolution failed) to get "
        f"dataset smmile/SMMILE; {OFFLINE_HELP}"
    )
    assert "HF_TOKEN" not in message and lookups == ["hub.example"]


def test_offline_mode_asks_nothing(stub_hub, monkeypatch):
    hub = stub_hub(GATED)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check_access("smmile/SMMILE", "dataset")
    assert checks(hub) == []


def test_a_reachable_repo_passes(stub_hub):
    hub = stub_hub(HubAnswer(200))
    check_access("org/model", "model")
    assert checks(hub) == ["/api/models/org/model/auth-check"]


def test_other_errors_are_not_hub_errors():
    assert describe_hub_error(RuntimeError("a bug"), "x/y", "model") is None


def test_a_gated_model_names_model_path(stub_hub, monkeypatch):
    """Loading a model from the hub: the same one-line refusal, plus --model-path."""
    from smmile.models.transformers_backend import TransformersBackend

    monkeypatch.setenv("HF_TOKEN", "hf_x")
    hub = stub_hub(GATED)
    with pytest.raises(UserError) as info:
        TransformersBackend(QWEN["7B"], LocalSettings())
    message = str(info.value)
    assert message.startswith("model Qwen/Qwen2.5-VL-7B-Instruct is gated") and "--model-path DIR" in message
    assert checks(hub) == ["/api/models/Qwen/Qwen2.5-VL-7B-Instruct/auth-check"]


def test_a_model_that_cannot_be_downloaded_names_model_path(stub_hub, monkeypatch):
    """The access check passes but the files cannot be had (here: the stand-in has none)."""
    from smmile.models.transformers_backend import TransformersBackend

    stub_hub(HubAnswer(404, "EntryNotFound", "Entry not found"))
    monkeypatch.setattr("smmile.models.checkpoints.check_access", lambda *args: None)
    with pytest.raises(UserError) as info:
        TransformersBackend(QWEN["7B"], LocalSettings(cache_dir=None))
    message = str(info.value)
    assert "\n" not in message and message.startswith("Qwen/Qwen2.5-VL-7B-Instruct: cannot load qwen7B")
    assert message.endswith("download it where the hub is reachable and pass --model-path DIR")


def test_a_script_without_network_stops_at_once_in_one_line(tmp_path):
    """`inference_qwen.py` with the hub unreachable (a closed port): one line, exit 2, nothing
    written; before, it spent about 24 s in retries and blamed the token."""
    proc = run_subprocess(
        "inference_qwen.py",
        *("--models", "7B", "--output-dir", tmp_path / "results", "--no-progress"),
        env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_good", "HF_HUB_OFFLINE": ""},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        "error: cannot reach the Hugging Face Hub at http://127.0.0.1:9 (connection refused) to get dataset smmile/SMMILE"
    )
    assert all(w in lines[0] for w in OFFLINE_WORDS)
    assert "Retrying" not in proc.stderr and not (tmp_path / "results").exists()
