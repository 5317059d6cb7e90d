"""Where problems come from: the Hub, a local copy or the bundled demo, named by the command-line
flags; each source read into rows (``hub_source``, ``local_copy``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smmile.data.hub_source import hub_rows
from smmile.data.local_copy import local_rows
from smmile.data.rows import SourceRows
from smmile.errors import UserError

HUB_IDS: dict[str, str] = {"smmile": "smmile/SMMILE", "augmented": "smmile/SMMILE-plusplus"}
DATASET_NAMES: tuple[str, ...] = ("smmile", "augmented", "demo", "local")
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_ID = "smmile-demo"


@dataclass(frozen=True)
class DatasetSource:
    """Where problems come from. `name` goes into every Problem and may name output folders."""

    name: str  # "smmile" | "augmented" | "demo" | "local"
    dataset_id: str
    path: Path | None = None


def resolve_source(
    dataset: str = "smmile", dataset_id: str | None = None, dataset_path: str | None = None
) -> DatasetSource:
    """The source named by the command-line flags.

    `dataset_path` selects a local copy. Its name is "augmented" when `dataset` is "augmented"
    (so SMMILE++ results keep their own output folder) and "local" otherwise; its id is
    `dataset_id` when given, else the folder.
    """
    if dataset not in DATASET_NAMES:
        raise UserError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASET_NAMES)}")
    if dataset_path is not None:
        if dataset == "demo":
            raise UserError("--dataset demo and --dataset-path exclude each other: pick one")
        path = Path(dataset_path).expanduser()
        name = "augmented" if dataset == "augmented" else "local"
        return DatasetSource(name=name, dataset_id=dataset_id or str(path), path=path)
    if dataset == "demo":
        return DatasetSource(name="demo", dataset_id=dataset_id or DEMO_ID, path=DEMO_DIR)
    if dataset == "local":
        raise UserError("--dataset local needs --dataset-path PATH")
    return DatasetSource(name=dataset, dataset_id=dataset_id or HUB_IDS[dataset])


def read_rows(source: DatasetSource, hf_cache_dir: str | None = None) -> SourceRows:
    """The rows of `source`: from the Hub (through `hf_cache_dir`) or from its local path."""
    if source.path is None:
        return hub_rows(source.dataset_id, hf_cache_dir)
    return local_rows(source.path)
