"""Errors the simulator raises for bad input.

A :class:`ConfigError` always names the offending key (dotted path, as a user would
write it on the command line) and what is allowed. ``run.py`` turns it into one line
on stderr and exit code 2.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value, scenario or input file the model cannot accept."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")

    def __reduce__(self):
        # picklable with its two arguments, so a worker process's error reaches the parent intact
        return (type(self), (self.key, self.message))
