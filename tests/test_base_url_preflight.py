"""An unreachable or key-refusing --base-url (or ollama host) is found by one cheap request (the
model list) before the run: one line with the cause, exit 2, no record written. Before, a dead
--base-url wrote an error record per problem and ended "re-run to retry them" without the cause."""

from __future__ import annotations

from pathlib import Path

from loopback import Fault, OllamaServer, OpenAIServer
from loopback.harness import records, run_script, script_env

CLOSED = "http://127.0.0.1:9"  # nothing listens there
KEY = "sk-loopback-secret"


def run(script: str, out: Path, *args: str, env=None):
    argv = ["--dataset", "demo", "--output-dir", str(out / "results"), "--no-progress", "--limit", "2"]
    return run_script(script, *argv, *args, env=env or script_env(OPENAI_API_KEY=KEY))


def one_line(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def nothing_written(out: Path) -> bool:
    return not list(out.glob("results_demo/*.jsonl"))


def test_a_dead_base_url_stops_before_the_run(tmp_path):
    line = one_line(run("inference_openai.py", tmp_path, "--base-url", f"{CLOSED}/v1", "--model", "m"))
    assert line.startswith(f"error: server {CLOSED}/v1 does not answer (")
    assert line.endswith("start it or pass --base-url") and KEY not in line
    assert nothing_written(tmp_path)


def test_a_refused_key_stops_before_the_run(tmp_path):
    with OpenAIServer() as server:
        server.inject(Fault(401, body=b'{"error": {"message": "bad key"}}'))
        server.listing = lambda path: None
        server.routes = lambda path: True  # the model list takes the fault
        proc = run("inference_openai.py", tmp_path, "--base-url", server.url + "/v1", "--model", "m")
        assert server.count == 1  # the model list only
    line = one_line(proc)
    assert "refused the key (HTTP 401): set OPENAI_API_KEY to a key it accepts" in line and KEY not in line
    assert nothing_written(tmp_path)


def test_a_live_server_is_checked_once_then_run(tmp_path):
    with OpenAIServer() as server:
        proc = run("inference_openai.py", tmp_path, "--base-url", server.url + "/v1", "--model", "m")
        assert proc.returncode == 0, proc.stderr
        assert [p.path for p in server.probes] == ["/v1/models"] and server.count == 2
    assert len(records(tmp_path / "results_demo" / "result_m_ICL_open.jsonl")) == 2


def test_a_dead_ollama_host_stops_before_the_run(tmp_path):
    line = one_line(run("inference_llama33textonly.py", tmp_path, "--ollama-host", CLOSED))
    assert line.startswith(f"error: ollama server {CLOSED} does not answer (")
    assert line.endswith("start it (ollama serve) or pass --ollama-host")
    assert nothing_written(tmp_path)


def test_a_model_not_pulled_on_ollama_stops_before_the_run(tmp_path):
    with OllamaServer(models=("qwen2.5:72b",)) as server:
        proc = run("inference_llama33textonly_mcqa.py", tmp_path, "--ollama-host", server.url)
        assert server.count == 0 and len(server.probes) == 1
    line = one_line(proc)
    assert "model llama3.3 is not on" in line and "run `ollama pull llama3.3`" in line
    assert nothing_written(tmp_path)
