"""Result file names: `result_<model>_<mode>_<format>[.<ablation>][.shard-K-of-N].jsonl`.

The authors' published CSVs follow `result_<model>_<mode>[_<format>].csv`; no format suffix
means open format. Every name rule lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(
    r"^result_(?P<model>.+?)_(?P<mode>0-shot|ICL)(?:_(?P<fmt>open|mcqa))?"
    r"(?:\.(?!shard-\d)(?P<ablation>[A-Za-z0-9_+=-]+?))?"
    r"(?:\.shard-(?P<k>\d+)-of-(?P<n>\d+))?"
    r"\.(?P<ext>jsonl|csv)$"
)


@dataclass(frozen=True, order=True)
class ResultKey:
    """What a result is about; a result may be spread over several shard files."""

    model: str
    inference_mode: str
    task_format: str
    ablation: str | None = None

    @property
    def stem(self) -> str:
        base = f"result_{self.model}_{self.inference_mode}_{self.task_format}"
        return f"{base}.{self.ablation}" if self.ablation else base

    def file_name(self, shard: tuple[int, int] | None = None) -> str:
        suffix = f".shard-{shard[0]}-of-{shard[1]}" if shard else ""
        return f"{self.stem}{suffix}.jsonl"

    def manifest_name(self, shard: tuple[int, int] | None = None) -> str:
        return self.file_name(shard).removesuffix(".jsonl") + ".manifest.json"

    @property
    def base(self) -> ResultKey:
        """The plain run an ablation is compared with."""
        return ResultKey(self.model, self.inference_mode, self.task_format)


@dataclass(frozen=True)
class ResultFile:
    path: Path
    key: ResultKey
    shard: tuple[int, int] | None
    kind: str  # "jsonl" or "csv"

    @property
    def output_stem(self) -> str:
        """Stem of the files scored from this result (`<stem>_evaluation.json`).

        A CSV keeps its own stem (so legacy names without `_open` keep theirs); JSONL shards
        share the stem of their result.
        """
        return self.path.stem if self.kind == "csv" else self.key.stem


def parse_result_name(path: str | Path) -> ResultFile | None:
    """The result a file holds, or None when the name is not a result file's."""
    path = Path(path)
    m = _NAME.match(path.name)
    if not m:
        return None
    if m["ext"] == "csv" and (m["ablation"] or m["k"]):
        return None
    key = ResultKey(m["model"], m["mode"], m["fmt"] or "open", m["ablation"])
    shard = (int(m["k"]), int(m["n"])) if m["k"] is not None else None
    if shard and not 0 <= shard[0] < shard[1]:
        return None
    return ResultFile(path=path, key=key, shard=shard, kind=m["ext"])


def looks_like_result(path: str | Path) -> bool:
    """A file that is meant to be a result (its name starts so) whether or not the name parses."""
    name = Path(path).name
    return name.startswith("result_") and name.endswith((".jsonl", ".csv"))
