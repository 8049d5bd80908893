"""RFC 2579 DISPLAY-HINT for OCTET STRING values, as snmp_exporter applies ``display_hint``.

The hint is a list of specs ``[*]<length><format>[separator][terminator]`` with formats
``d`` (decimal), ``x`` (upper-case hex, as snmp_exporter), ``o`` (octal), ``a``/``t`` (text);
the last spec repeats until the data is used up and a trailing separator is suppressed. A
hint that cannot be parsed gives None and the caller falls back to the default rendering.
"""

from __future__ import annotations


def apply_display_hint(hint: str, data: bytes) -> str | None:
    if not hint or not data:
        return None
    out = bytearray()
    pos = 0          # in hint
    at = 0           # in data
    last_start = 0
    last_consumes = False
    while at < len(data):
        spec_start = pos
        if pos >= len(hint):
            if not last_consumes:
                return None
            pos = spec_start = last_start
        star = pos < len(hint) and hint[pos] == "*"
        if star:
            pos += 1
        if pos >= len(hint) or not hint[pos].isdigit():
            return None
        take = 0
        while pos < len(hint) and hint[pos].isdigit():
            take = take * 10 + int(hint[pos])
            pos += 1
        if pos >= len(hint) or hint[pos] not in "dxoat":
            return None
        fmt = hint[pos]
        pos += 1
        sep = term = ""
        if pos < len(hint) and not hint[pos].isdigit() and hint[pos] != "*":
            sep = hint[pos]
            pos += 1
        if star and pos < len(hint) and not hint[pos].isdigit() and hint[pos] != "*":
            term = hint[pos]
            pos += 1
        last_start = spec_start
        last_consumes = take > 0 or star
        repeat = 1
        if star and at < len(data):
            repeat = data[at]
            at += 1
        r = 0
        while r < repeat and at < len(data):
            chunk = data[at:at + take]
            if fmt in "do":
                if len(chunk) > 8:
                    return None
                number = int.from_bytes(chunk, "big") if chunk else 0
                out += (str(number) if fmt == "d" else format(number, "o")).encode()
            elif fmt == "x":
                out += chunk.hex().upper().encode()
            else:
                out += chunk
            at += len(chunk)
            if sep and at < len(data) and (not term or r != repeat - 1):
                out += sep.encode()
            r += 1
        if term and at < len(data):
            out += term.encode()
    return out.decode("utf-8", "surrogateescape")
