#!/usr/bin/env python3
"""Writes the seed corpus of the hsms_frames fuzz target (fuzz/corpus/hsms_frames/).

Each file is: one byte choosing the read size (byte % 64 + 1), one byte choosing the message
size limit (64 + byte * 64), then an HSMS byte stream: control messages, data messages with
real bodies, frames split across reads, an oversize frame, a bad body, a length below 10 and a
truncated tail. Deterministic: re-running writes the same files.
"""

import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "hsms_frames"


def frame(session: int, b2: int, b3: int, stype: int, system: int, body: bytes = b"", ptype: int = 0) -> bytes:
    header = struct.pack(">HBBBBI", session, b2, b3, ptype, stype, system)
    return struct.pack(">I", len(header) + len(body)) + header + body


def data(stream: int, function: int, wbit: bool, system: int, body: bytes = b"") -> bytes:
    return frame(0, stream | (0x80 if wbit else 0), function, 0, system, body)


U4_7 = bytes([0o54 << 2 | 1, 4]) + struct.pack(">I", 7)
EMPTY_LIST = bytes([0x01, 0])
S1F14 = bytes([0x01, 2, 0o10 << 2 | 1, 1, 0, 0x01, 2, 0o20 << 2 | 1, 3]) + b"sim" + bytes([0o20 << 2 | 1, 1]) + b"1"
S6F1 = (bytes([0x01, 4]) + U4_7 + U4_7 + bytes([0o20 << 2 | 1, 16]) + b"2024050112000025"
        + bytes([0x01, 2, 0o40 << 2 | 1, 8]) + struct.pack(">d", 80.5) + bytes([0o40 << 2 | 1, 8])
        + struct.pack(">d", 1450.0))

select = frame(0xFFFF, 0, 0, 1, 1)
select_rsp = frame(0xFFFF, 0, 0, 2, 1)
linktest = frame(0xFFFF, 0, 0, 5, 2)
separate = frame(0xFFFF, 0, 0, 9, 3)
session = select_rsp + data(1, 13, True, 4, EMPTY_LIST) + data(1, 14, False, 5, S1F14) + data(6, 1, True, 6, S6F1)

cases = {
    "select_whole": bytes([63, 0]) + select,
    "session_bytewise": bytes([0, 4]) + session,
    "session_chunks_7": bytes([6, 4]) + session + linktest + separate,
    "no_body_s1f1": bytes([63, 1]) + data(1, 1, True, 9),
    "oversize_then_ok": bytes([13, 0]) + data(6, 1, True, 10, bytes([0o10 << 2 | 1, 200]) + bytes(200)) + linktest,
    "bad_body": bytes([5, 2]) + data(6, 11, True, 11, bytes([0o77 << 2 | 1, 1, 0])) + linktest,
    "length_below_ten": bytes([63, 2]) + struct.pack(">I", 9) + bytes(9),
    "length_zero": bytes([63, 2]) + bytes(4),
    "truncated_tail": bytes([3, 2]) + session[:-5],
    "undefined_stype_and_ptype": bytes([63, 2]) + frame(0xFFFF, 0, 0, 42, 12) + frame(0xFFFF, 0, 0, 1, 13, ptype=3),
    "huge_length": bytes([63, 0]) + struct.pack(">I", 0xFFFFFFFF) + bytes(20),
    "empty_stream": bytes([0, 0]),
}

OUT.mkdir(exist_ok=True)
for name, blob in cases.items():
    (OUT / name).write_bytes(blob)
print(f"wrote {len(cases)} files to {OUT}")
