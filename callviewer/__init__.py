"""callviewer: a local-first desktop call browser for voice-AI phone platforms."""

__version__ = "0.1.0"
