#!/usr/bin/env python3
"""Writes the seed corpus of the secs2_decode fuzz target (fuzz/corpus/secs2_decode/).

Valid items of every SECS-II format, real message bodies (S1F13, S2F23, S6F1, S6F11), and
malformed inputs (truncated, unknown formats, zero length bytes, misaligned, deep nesting,
trailing bytes). Deterministic: re-running writes the same files.
"""

import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "secs2_decode"
CODES = {"L": 0o00, "B": 0o10, "BOOLEAN": 0o11, "A": 0o20, "J": 0o21, "I8": 0o30, "I1": 0o31,
         "I2": 0o32, "I4": 0o34, "F8": 0o40, "F4": 0o44, "U8": 0o50, "U1": 0o51, "U2": 0o52, "U4": 0o54}


def head(fmt: str, length: int, nbytes: int = 0) -> bytes:
    if not nbytes:
        nbytes = 1 if length < 0x100 else 2 if length < 0x10000 else 3
    return bytes([CODES[fmt] << 2 | nbytes]) + length.to_bytes(nbytes, "big")


def item(fmt: str, data: bytes) -> bytes:
    return head(fmt, len(data)) + data


def lst(*items: bytes) -> bytes:
    return head("L", len(items)) + b"".join(items)


def u4(v: int) -> bytes:
    return item("U4", struct.pack(">I", v))


def a(text: str) -> bytes:
    return item("A", text.encode())


cases = {
    "empty_list": lst(),
    "binary": item("B", b"\x00\x01\xff"),
    "boolean": item("BOOLEAN", b"\x01\x00\x02"),
    "ascii": a("LOT-0001"),
    "jis8": item("J", b"\xb1\xb2"),
    "i1": item("I1", struct.pack(">bb", -1, 5)),
    "i2": item("I2", struct.pack(">h", -300)),
    "i4": item("I4", struct.pack(">i", -70000)),
    "i8": item("I8", struct.pack(">q", -(2**40))),
    "u1": item("U1", b"\x07"),
    "u2": item("U2", struct.pack(">H", 65535)),
    "u4": u4(4294967295),
    "u8": item("U8", struct.pack(">Q", 2**63)),
    "f4": item("F4", struct.pack(">f", 1.5)),
    "f8": item("F8", struct.pack(">d", -80.25)),
    "f8_nan": item("F8", struct.pack(">d", float("nan"))),
    "two_length_bytes": head("A", 300) + b"x" * 300,
    "three_length_bytes": head("U1", 70000) + b"\x01" * 70000,
    "non_minimal_length": head("A", 1, 3) + b"x",
    "s1f13_host": lst(),
    "s1f14": lst(item("B", b"\x00"), lst(a("etch-sim"), a("1.0"))),
    "s2f23": lst(u4(1), a("00000001"), u4(10000), u4(10), lst(u4(10), u4(11), u4(12))),
    "s6f1": lst(u4(1), u4(42), a("2024050112000025"),
                lst(item("F8", struct.pack(">d", 80.1)), item("F4", struct.pack(">f", 1450.0)), u4(12))),
    "s6f11": lst(u4(1), u4(3001), lst(lst(u4(4000), lst(a("LOT-7"), item("U2", b"\x00\x0c"))))),
    "nested_32": b"\x01\x01" * 31 + lst(),
    # malformed
    "nested_33": b"\x01\x01" * 32 + lst(),
    "truncated_header": b"\x41",
    "truncated_data": b"\x41\x05ab",
    "truncated_list": b"\x01\x03" + u4(1),
    "unknown_format": bytes([0o77 << 2 | 1, 0]),
    "c2_format": bytes([0o22 << 2 | 1, 2, 0, 0x41]),
    "zero_length_bytes": b"\x40\x01a",
    "misaligned_u4": b"\xb1\x03\x00\x00\x00",
    "misaligned_f8": bytes([CODES["F8"] << 2 | 1, 7]) + b"\x00" * 7,
    "trailing": lst() + b"\x00",
    "huge_list_claim": b"\x03\xff\xff\xff",
    "huge_ascii_claim": b"\x43\xff\xff\xff" + b"a",
    "empty_input": b"",
    "s6f1_wrong_shape": lst(u4(1), a("x")),
}

OUT.mkdir(parents=True, exist_ok=True)
for name, data in cases.items():
    (OUT / name).write_bytes(data)
print(f"wrote {len(cases)} files to {OUT}")
