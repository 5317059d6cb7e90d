"""URL credentials and secrets never reach a manifest, a record, an error line or printed output."""

from __future__ import annotations

import json

import pytest
from loopback import OpenAIServer
from loopback.harness import files_containing, records, run_on_demo, script_env

from smmile.redaction import REDACTED, public_url, redact, redact_all

PASSWORD = "PASS-w0rd-7Qx"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("--base-url=http://user:PASS@host/v1", f"--base-url=http://{REDACTED}@host/v1"),
        ("https://TOKEN@example.org:8443/x", f"https://{REDACTED}@example.org:8443/x"),
        ("see http://u:p@ss@h:1/v1 and ftp://a:b@c", f"see http://{REDACTED}@h:1/v1 and ftp://{REDACTED}@c"),
        (
            "https://h/openai?api-version=1&api-key=abc#f",
            f"https://h/openai?api-version=1&api-key={REDACTED}#f",
        ),
        ("https://h/x?token=t0k&sig=s1g", f"https://h/x?token={REDACTED}&sig={REDACTED}"),
    ],
)
def test_credentials_in_urls_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8000/v1",
        "user@example.org wrote: 401 Unauthorized",
        "http://host/users/@me?max_tokens=5",
        "result_gpt-4o_ICL_open.jsonl",
    ],
)
def test_text_without_credentials_is_unchanged(text):
    assert redact(text) == text


def test_known_secrets_and_nested_values():
    key = "sk-very-secret-123"
    assert redact(f"bad key {key}", [key, "", "ab"]) == f"bad key {REDACTED}"
    tree = {"argv": ["x.py", "--base-url", "http://u:PW@h/v1"], "n": 3, "deep": {"e": f"k={key}"}}
    out = redact_all(tree, [key])
    assert out == {
        "argv": ["x.py", "--base-url", f"http://{REDACTED}@h/v1"],
        "n": 3,
        "deep": {"e": f"k={REDACTED}"},
    }


def test_public_url_names_the_server_only():
    assert public_url("https://user:pw@example.org:8443/openai/v1?api-key=abc#frag") == (
        "https://example.org:8443/openai/v1"
    )
    assert public_url("http://u:p@[::1]:11434") == "http://[::1]:11434"
    assert public_url(None) is None


def test_a_base_url_with_credentials_is_nowhere_in_clear(tmp_path):
    with OpenAIServer() as server:
        plain = server.url + "/v1"
        url = plain.replace("://", f"://user:{PASSWORD}@")
        proc = run_on_demo(
            "inference_openai.py",
            tmp_path,
            "--limit",
            "2",
            "--base-url",
            url,
            env=script_env(OPENAI_API_KEY="sk-loopback-key"),
        )
        assert proc.returncode == 0, proc.stderr
        assert server.count == 2
    folder = tmp_path / "results_demo"
    manifest = json.loads((folder / "result_gpt-4o_ICL_open.manifest.json").read_text())
    assert f"http://{REDACTED}@" in " ".join(manifest["environment"]["argv"])
    assert manifest["backend"]["base_url"] == plain
    assert len(records(folder / "result_gpt-4o_ICL_open.jsonl")) == 2
    assert not files_containing(PASSWORD, tmp_path)
    assert PASSWORD not in proc.stdout + proc.stderr


def test_an_unreachable_server_with_credentials_is_not_printed_in_clear(tmp_path):
    server = OpenAIServer().start()
    url = server.url.replace("://", f"://user:{PASSWORD}@") + "/v1"
    server.stop()  # nothing listens there any more
    proc = run_on_demo(
        "inference_openai.py",
        tmp_path,
        "--limit",
        "2",
        "--max-retries",
        "0",
        "--base-url",
        url,
        env=script_env(OPENAI_API_KEY="sk-loopback-key"),
    )
    assert proc.returncode != 0 and "127.0.0.1" in proc.stderr  # the check before sending names the server
    assert not files_containing(PASSWORD, tmp_path)
    assert PASSWORD not in proc.stdout + proc.stderr
