"""Prompts: profiles, MCQA options, rendering a Problem into a Prompt, and reading MCQA replies."""

from smmile.prompts.extract import (
    EXTRACTION_FAILED,
    EXTRACTORS,
    INVALID_PREFIX,
    extract_option,
    select_option,
)
from smmile.prompts.options import build_mcqa, format_options
from smmile.prompts.profiles import PAPER_PROFILES, PROTOCOLS, Profile, get_profile
from smmile.prompts.render import build_prompt, render_mistral_instruct

__all__ = [
    "EXTRACTION_FAILED",
    "EXTRACTORS",
    "INVALID_PREFIX",
    "PAPER_PROFILES",
    "PROTOCOLS",
    "Profile",
    "build_mcqa",
    "build_prompt",
    "extract_option",
    "format_options",
    "get_profile",
    "render_mistral_instruct",
    "select_option",
]
