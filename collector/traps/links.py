"""What a linkDown or linkUp notification says about an interface (pure).

RFC 2863 (IF-MIB) sends ``ifIndex``, ``ifAdminStatus`` and ``ifOperStatus`` of the interface
with both notifications. The interface is the ``ifIndex`` value (or, without it, the index of
any ``ifTable`` column sent); its new status the ``ifOperStatus`` value when present and
valid (``down`` may really be ``lowerLayerDown``, 7), else ``down`` (2) for linkDown and
``up`` (1) for linkUp. SNMPv1 linkDown/linkUp (generic traps 2 and 3) arrive here as their
SNMPv2 forms (RFC 3584).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeGuard

from collector.traps.names import LINK_DOWN, LINK_UP
from collector.traps.notification import Notification

__all__ = ["DOWN", "UP", "LinkEvent", "link_event"]

IF_ENTRY: Final = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_INDEX_COLUMN: Final = 1
IF_OPER_STATUS_COLUMN: Final = 8
UP: Final = 1
DOWN: Final = 2
STATUS_MAX: Final = 7                       # up(1) ... lowerLayerDown(7)
IF_INDEX_MAX: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class LinkEvent:
    up: bool
    if_index: int | None                    # None: the notification did not say
    status: int                             # the ifOperStatus value to store


def link_event(notification: Notification) -> LinkEvent | None:
    """The interface and its new status, for linkDown/linkUp; None for other traps."""
    if notification.trap_oid not in (LINK_DOWN, LINK_UP):
        return None
    up = notification.trap_oid == LINK_UP
    if_index: int | None = None
    instance: int | None = None
    status = UP if up else DOWN
    for oid, _tag, value in notification.varbinds:
        if len(oid) != len(IF_ENTRY) + 2 or oid[:len(IF_ENTRY)] != IF_ENTRY:
            continue
        column = oid[len(IF_ENTRY)]
        instance = instance or oid[-1]
        if column == IF_INDEX_COLUMN and _within(value, IF_INDEX_MAX):
            if_index = value
        elif column == IF_OPER_STATUS_COLUMN and _within(value, STATUS_MAX):
            status = value
    if if_index is None and _within(instance, IF_INDEX_MAX):
        if_index = instance
    return LinkEvent(up, if_index, status)


def _within(value: object, high: int) -> TypeGuard[int]:
    """An int from 1 to ``high`` (compared, never ``in range``: None in a range scans it)."""
    return isinstance(value, int) and 1 <= value <= high
