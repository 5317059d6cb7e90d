"""SMMILE harness core library: data, prompts, models, results, scoring and analysis."""

__version__ = "0.1.0"
