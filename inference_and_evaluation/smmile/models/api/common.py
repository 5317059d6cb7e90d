"""The API backends' shared parts now live by what each owns: images.py, errors.py, backend.py and
smmile.results.result_ids. This name is kept for the imports that still use it."""

from smmile.models.api.images import ImageEncoder

__all__ = ["ImageEncoder"]
