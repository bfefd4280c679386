"""This project's sweeper (``hydra/sweeper: prechecked``, :mod:`.prechecked_sweeper`).

``hydra_plugins`` is a namespace package shared with the installed Hydra plugins (joblib,
submitit): it has no ``__init__.py`` of its own, only this package below it. Hydra imports
every module under ``hydra_plugins`` when it starts, so this one imports nothing heavy.
"""
