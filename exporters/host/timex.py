"""node_exporter's ``timex`` collector: the kernel's clock discipline, from adjtimex(2).

``node_timex_offset_seconds`` (how far the clock is from its reference, as the NTP daemon told
the kernel), ``node_timex_sync_status`` (0 when adjtimex returns ``TIME_ERROR``: the clock is
not synchronised), ``node_timex_maxerror_seconds`` and the rest, with node_exporter 1.5's
names, help and arithmetic (``timex.go``): offsets and jitter are in microseconds, or
nanoseconds when ``STA_NANO`` is set; frequencies are ppm with a 16-bit fraction
(``1 + freq / 65536e6`` for the adjustment ratio); errors and tick are in microseconds.

Read with a read-only ``adjtimex`` call (``modes = 0``, no privilege needed) through ctypes:
:func:`read_timex` does the call, :func:`timex_families` is pure.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

from prometheus_client import Metric

from exporters.host.collector import counter, gauge

__all__ = ["TIME_ERROR", "Timex", "TimexCollector", "read_timex", "timex_families"]

#: adjtimex's answer when the clock is not synchronised.
TIME_ERROR = 5
_STA_NANO = 0x2000
_PPM16FRAC = 1_000_000.0 * 65536.0


class _Timeval(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long))


class _Timex(ctypes.Structure):
    """``struct timex`` of <sys/timex.h> (Linux; ctypes adds the C padding)."""

    _fields_ = (
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long), ("time", _Timeval), ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long), ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    )


@dataclass(frozen=True, slots=True)
class Timex:
    """adjtimex's return value and the fields node_exporter reads, as the kernel gives them."""

    state: int
    offset: int
    freq: int
    maxerror: int
    esterror: int
    status: int
    constant: int
    tick: int
    ppsfreq: int
    jitter: int
    shift: int
    stabil: int
    jitcnt: int
    calcnt: int
    errcnt: int
    stbcnt: int
    tai: int


class TimexCollector:
    name = "timex"

    def collect(self) -> list[Metric]:
        return timex_families(read_timex())


def read_timex() -> Timex:
    """One read-only adjtimex(2) call; raises OSError when it fails."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = _Timex()                                     # modes = 0: read, change nothing
    state = int(libc.adjtimex(ctypes.byref(buf)))
    if state < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"adjtimex: {os.strerror(errno)}")
    return Timex(state, buf.offset, buf.freq, buf.maxerror, buf.esterror, buf.status,
                 buf.constant, buf.tick, buf.ppsfreq, buf.jitter, buf.shift, buf.stabil,
                 buf.jitcnt, buf.calcnt, buf.errcnt, buf.stbcnt, buf.tai)


def timex_families(t: Timex) -> list[Metric]:
    divisor = 1e9 if t.status & _STA_NANO else 1e6
    values = (
        ("node_timex_offset_seconds", "Time offset in between local system and reference "
         "clock.", t.offset / divisor),
        ("node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.",
         1 + t.freq / _PPM16FRAC),
        ("node_timex_maxerror_seconds", "Maximum error in seconds.", t.maxerror / 1e6),
        ("node_timex_estimated_error_seconds", "Estimated error in seconds.",
         t.esterror / 1e6),
        ("node_timex_status", "Value of the status array bits.", float(t.status)),
        ("node_timex_loop_time_constant", "Phase-locked loop time constant.",
         float(t.constant)),
        ("node_timex_tick_seconds", "Seconds between clock ticks.", t.tick / 1e6),
        ("node_timex_pps_frequency_hertz", "Pulse per second frequency.",
         t.ppsfreq / _PPM16FRAC),
        ("node_timex_pps_jitter_seconds", "Pulse per second jitter.", t.jitter / divisor),
        ("node_timex_pps_shift_seconds", "Pulse per second interval duration.",
         float(t.shift)),
        ("node_timex_pps_stability_hertz", "Pulse per second stability, average of recent "
         "frequency changes.", t.stabil / _PPM16FRAC),
        ("node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.",
         float(t.tai)),
        ("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, "
         "0 = no).", 0.0 if t.state == TIME_ERROR else 1.0),
    )
    families = []
    for name, help_text, value in values:
        family = gauge(name, help_text)
        family.add_sample(name, {}, value)
        families.append(family)
    for name, help_text, count in (
            ("node_timex_pps_jitter_total", "Pulse per second count of jitter limit exceeded "
             "events.", t.jitcnt),
            ("node_timex_pps_calibration_total", "Pulse per second count of calibration "
             "intervals.", t.calcnt),
            ("node_timex_pps_error_total", "Pulse per second count of calibration errors.",
             t.errcnt),
            ("node_timex_pps_stability_exceeded_total", "Pulse per second count of stability "
             "limit exceeded events.", t.stbcnt)):
        family = counter(name, help_text)
        family.add_sample(name, {}, float(count))
        families.append(family)
    return families
