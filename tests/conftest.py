"""Shared fixtures. The scripts' folder goes on sys.path, as when a script runs from it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import settings

# property tests check behaviour, not speed: no per-example deadline on a shared 2-core machine
settings.register_profile("smmile", deadline=None, print_blob=True)
settings.load_profile("smmile")

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "inference_and_evaluation"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from helpers.image_server import image_server  # noqa: E402, F401 (a fixture of the image tests)


@pytest.fixture(scope="session")
def scripts_dir() -> Path:
    return SCRIPTS


@pytest.fixture(scope="session", autouse=True)
def figures_outside_the_repo(tmp_path_factory):
    """Scripts run by the tests (and the tools they call) draw their figures into a temporary
    folder, never into the project's figures/."""
    folder = tmp_path_factory.mktemp("figures")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMMILE_FIGURES_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def no_hugging_face_hub():
    """No test reaches the real Hugging Face Hub: requests (in this process and in the scripts it
    starts) go to a closed loopback port and fail at once. A test that needs a hub serves one."""
    from loopback.hub import point_hub_at

    closed = "http://127.0.0.1:9"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_ENDPOINT", closed)
        point_hub_at(mp, closed)
        yield closed


# --- local models (transformers): tiny random-weight checkpoints, built once per session ---------------


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """{family: folder} of a tiny checkpoint of every local model family (tests/tiny_checkpoints.py)."""
    from tiny_checkpoints import build_all

    return build_all(tmp_path_factory.mktemp("tiny-checkpoints"))
