"""SNMP secrets written in YAML config files: ``${VAR}`` from the environment, and who may
read a file that holds them inline.

Used for the secret fields of snmp_exporter-format module files (``auths:``: ``community``,
``password``, ``priv_password``) and of collector.yml's ``traps:`` (``communities``, users'
``password`` and ``priv_password``). ``username`` is expanded too, as snmp_exporter does, but
it is not a secret.

Decisions:

* **``${VAR}`` is always expanded** in those fields: netmon has no flag like snmp_exporter's
  ``--config.expand-environment-variables`` (the collector and the agent read the same files
  with no per-file options), and a secret that is literally ``${...}`` is not one anybody
  uses. The whole value must be the reference (``community: ${WARD_COMMUNITY}``); a
  ``${`` anywhere else is refused (netmon does not splice, snmp_exporter's ``os.Expand``
  would), and ``$VAR`` without braces is the literal text (passphrases contain ``$``).
* The variable must be set and not empty, or the file is refused with its file:line, the
  field and the variable's name; the value goes straight into a
  :class:`~exporters.secrets.Secret` and is never part of a message.
* **A file that holds a secret inline and that others can read is refused** (mode & 0o004):
  the message names the file, its mode, which auth or trap field holds a secret (never the
  value) and the fix: ``chmod 640 FILE`` (the group netmon runs as may read it, like
  ``/etc/prometheus/snmp.yml`` packaged as root:prometheus 0640) or ``${VAR}``. This is the
  rule netmon already applies to token and password files (refused, not warned about:
  a warning on a 579-router fleet is a log line nobody reads, and a v3 passphrase or a
  private community in a world-readable file is a leak to every local account). There is no
  opt-out: fixing the file's mode is one command.
* **Values that are public by construction are not secrets** and never cause a refusal:
  the well-known communities of snmp_exporter's shipped ``snmp.yml`` (``public``, and
  ``raritan_public`` in 0.21's, the file Debian installs 0644), so an upgrade that points
  netmon at the packaged file keeps working; and netmon's own placeholders (values starting
  with ``REPLACE-ME``, as in ``exporters/snmp/modules/netmon.yml``'s SNMPv3 example, which
  are published in git).
* Group-readable files (0640) are accepted: config files are commonly owned root:netmon.
  Token and password *files* stay stricter (0600, :mod:`exporters.cli.secret_files`): they
  hold nothing but the secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from yaml.nodes import Node

from exporters.errors import ConfigError
from exporters.secrets import Secret
from exporters.snmp.yaml_nodes import Where, string

__all__ = ["PUBLIC_COMMUNITIES", "SecretReader", "check_file_mode"]

_REFERENCE: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: snmp_exporter's well-known default communities (its shipped snmp.yml, 0.21 and later).
PUBLIC_COMMUNITIES: Final = frozenset({"public", "raritan_public"})
_PLACEHOLDER: Final = "REPLACE-ME"


@dataclass(slots=True)
class SecretReader:
    """Reads the secret fields of one file; remembers which hold a secret inline and which
    environment variables were used (so a cached parse is reused only while they hold)."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    #: Where inline secrets are, for the permission message: "auth 'ward' community".
    inline: list[str] = field(default_factory=list)
    #: (variable, value) for every ``${VAR}`` read.
    used: list[tuple[str, Secret]] = field(default_factory=list)

    def _text(self, node: Node, where: Where, key: str) -> tuple[str, bool]:
        """The field's value and whether it came from the environment."""
        text = string(node, where, key)
        m = _REFERENCE.fullmatch(text)
        if m is None:
            if "${" in text:
                raise where.error(node, f"{key}: a ${{VAR}} reference must be the whole "
                                  "value", f"Write {key}: ${{NAME}} alone, and put the whole "
                                  "value in the environment variable NAME.")
            return text, False
        name = m.group(1)
        value = self.environ.get(name)
        if value is None:
            raise where.error(node, f"{key}: the environment variable {name} is not set",
                              f"Set {name} in the service's environment (e.g. a systemd "
                              "EnvironmentFile= with mode 0600), or write the value inline "
                              "in a file that others cannot read (chmod 640).")
        if not value:
            raise where.error(node, f"{key}: the environment variable {name} is empty",
                              f"Give {name} the value.")
        self.used.append((name, Secret(value)))
        return value, True

    def secret(self, node: Node, where: Where, key: str, holder: str,
               community: bool = False) -> Secret:
        """A secret field. ``holder`` names it for the permission message."""
        text, from_env = self._text(node, where, key)
        public = (community and text in PUBLIC_COMMUNITIES) or text.startswith(_PLACEHOLDER)
        if text and not from_env and not public:
            self.inline.append(holder)
        return Secret(text)

    def plain(self, node: Node, where: Where, key: str) -> str:
        """A field that may come from the environment but is not a secret (``username``)."""
        return self._text(node, where, key)[0]

    def unchanged(self) -> bool:
        """Whether every variable read still has the value it had."""
        return all(name in self.environ and Secret(self.environ[name]) == value
                   for name, value in self.used)


def check_file_mode(path: str, mode: int | None, inline: list[str] | tuple[str, ...],
                    what: str) -> None:
    """Refuse a file others can read when it holds secrets inline (see the module's
    docstring)."""
    if mode is None or not mode & 0o004 or not inline:
        return
    holders = ", ".join(dict.fromkeys(inline))
    raise ConfigError(
        f"{path}: the {what} holds secrets written inline ({holders}) and others can "
        f"read it (mode {mode:04o}); every account on this host could read them. Run: chmod "
        f"640 {path} (readable by the owner and netmon's group), or write each secret as "
        "${VAR} and set VAR in the service's environment.")
