"""The alerts a trap makes for Alertmanager's API v2 (``POST /api/v2/alerts``), pure.

Only traps named in ``traps.alertmanager.traps`` make alerts, each with its configured
severity:

* labels: ``alertname`` ``SnmpTrap<Name>`` (``SnmpTrapLinkDown``; ``SnmpTrap`` for a trap
  known only by its numeric OID), ``severity``, ``trap`` (the trap label of
  ``netmon_snmp_traps_total``), ``source``, the sender's identity labels (non-empty ones),
  and ``ifIndex`` for linkDown/linkUp (two interfaces going down are two alerts);
* ``startsAt`` now, ``endsAt`` now + ``resolve_after``: a trap is an event, so its alert
  resolves by itself unless the trap comes again;
* a **linkUp resolves the linkDown alert** of the same interface (when linkDown is
  forwarded): the same labels with ``endsAt`` now;
* annotations: ``summary`` (trap, site, interface) and ``description`` (the varbinds, at
  most 1,000 characters; octet strings as text when printable, else hex).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from collector.traps.links import LinkEvent
from collector.traps.notification import Notification
from collector.traps.sources import Origin
from exporters.snmp.values import VarBind, format_oid

__all__ = ["alertname", "trap_alerts"]

_DESCRIPTION_MAX: Final = 1000


def alertname(trap: str) -> str:
    """``linkDown`` -> ``SnmpTrapLinkDown``; a numeric OID -> ``SnmpTrap``."""
    if not trap[:1].isalpha():
        return "SnmpTrap"
    return "SnmpTrap" + trap[0].upper() + trap[1:]


def trap_alerts(trap: str, notification: Notification, origin: Origin,
                link: LinkEvent | None, severities: Mapping[str, str], now: float,
                resolve_after: float) -> list[dict[str, Any]]:
    """The alerts (API v2 ``postableAlert`` objects) this trap makes; often none."""
    out = []
    if trap in severities:
        out.append(_alert(trap, severities[trap], notification, origin, link, now,
                          now + resolve_after))
    if trap == "linkUp" and "linkDown" in severities and link is not None:
        out.append(_alert("linkDown", severities["linkDown"], notification, origin, link,
                          now, now))
    return out


def _alert(trap: str, severity: str, notification: Notification, origin: Origin,
           link: LinkEvent | None, starts: float, ends: float) -> dict[str, Any]:
    labels = {"alertname": alertname(trap), "severity": severity, "trap": trap,
              "source": origin.source}
    labels.update((k, v) for k, v in origin.labels.items() if v)
    where = origin.site_name or origin.source
    summary = f"SNMP {trap} from {where}"
    if link is not None and link.if_index is not None:
        labels["ifIndex"] = str(link.if_index)
        summary += f", ifIndex {link.if_index}"
    return {"labels": labels,
            "annotations": {"summary": summary,
                            "description": _varbinds_text(notification.varbinds)},
            "startsAt": _rfc3339(starts), "endsAt": _rfc3339(ends)}


def _varbinds_text(varbinds: tuple[VarBind, ...]) -> str:
    text = "; ".join(f"{format_oid(oid)}={_value_text(value)}" for oid, _tag, value in varbinds)
    return text if len(text) <= _DESCRIPTION_MAX else text[:_DESCRIPTION_MAX - 1] + "…"


def _value_text(value: object) -> str:
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + value.hex()
        return text if text.isprintable() else "0x" + value.hex()
    return str(value)


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
