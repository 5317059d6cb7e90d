"""A results folder as the analysis scripts read it: its readable results, the lines to show about
the rest, and the checks that the results can be analysed together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smmile.errors import UserError
from smmile.results.reader import Result, check_single_dataset, load_results


@dataclass(frozen=True)
class FolderResults:
    """The readable results of a folder (the filters applied) and one line per problem or warning
    about its files, for the script to print."""

    folder: Path
    verb: str  # what the script does with them ("stratify", "compare", ...), for the refusal
    results: list[Result]
    notes: list[str]

    def checked(self) -> list[Result]:
        """The results; a UserError when none is readable or they answer more than one dataset."""
        if not self.results:
            raise UserError(f"{self.folder}: no readable result to {self.verb}")
        check_single_dataset(self.results, self.folder)
        return self.results


def read_results_folder(
    folder: str | Path, verb: str, models: Sequence[str] | None = None, inference_mode: str | None = None
) -> FolderResults:
    """The results of `folder` (`reader.load_results`); print `notes`, then take `checked()`."""
    results, notes = load_results(folder, models, inference_mode)
    return FolderResults(Path(folder), verb, results, notes)
