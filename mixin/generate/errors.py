"""The mixin generator's exceptions.

    MixinError                 anything the generator refuses
    └── MixinConfigError       config.yml (or an override) is malformed: the message names
                               the file and the key's path
"""

from __future__ import annotations

__all__ = ["MixinConfigError", "MixinError"]


class MixinError(Exception):
    """The generator could not produce the mixin; the message says why."""


class MixinConfigError(MixinError):
    """A configuration value is missing, unknown or of the wrong type."""
