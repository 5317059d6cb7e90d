"""Loading SMMILE problems (hub, local copy, bundled demo) and resolving missing images."""

from smmile.data.fetch import resolve_missing_image, resolve_missing_images
from smmile.data.images import cache_name, image_file_names, safe_image_name
from smmile.data.loading import LoadedDataset, load_dataset_problems
from smmile.data.rows import FLAG_COLUMNS, REQUIRED_COLUMNS
from smmile.data.sources import DATASET_NAMES, DEMO_DIR, HUB_IDS, DatasetSource, resolve_source

__all__ = [
    "DATASET_NAMES",
    "DEMO_DIR",
    "FLAG_COLUMNS",
    "HUB_IDS",
    "REQUIRED_COLUMNS",
    "DatasetSource",
    "LoadedDataset",
    "image_file_names",
    "load_dataset_problems",
    "cache_name",
    "resolve_missing_image",
    "resolve_missing_images",
    "resolve_source",
    "safe_image_name",
]
