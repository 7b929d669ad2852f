#!/usr/bin/env python3
"""faultline's test equipment: a simulated etch tool on secsgem 0.3.0 (GEM equipment, HSMS passive).

This file is OURS, not part of secsgem. It adds what secsgem 0.3.0's equipment lacks, following
SEMI E5/E30 rather than the peer's habits:

- Trace data collection: S2F23 (DSPER as ``hhmmss`` or ``hhmmsscc``, TOTSMP, REPGSZ, TOTSMP 0
  stops a trace; TIAACK 3/4/5 for bad period, unknown SVID, bad group size) and S6F1 reports
  ``L[TRID, SMPLN, STIME, L[SV ...]]`` with REPGSZ groups, SMPLN and STIME of the group's last
  sample (STIME ``YYYYMMDDhhmmsscc``, UTC), sent with the W-bit unless ``--no-wbit`` (the host
  answers S6F2).
- Reconnects: after a disconnect, secsgem 0.3.0 stops only the receiver thread of its protocol
  dispatcher and starts a second dispatcher on the next connection (two threads then race over one
  queue), and it leaves the GEM communication state at COMMUNICATING, so the next select raises
  and the equipment's S1F13 is never sent. We stop the old dispatcher, give the protocol a fresh
  one and reset the communication state; traces stop when their connection ends. secsgem also
  listens again before any of that has run, so a host reconnecting at once met a half-reset
  connection (T6 on Select.req in CI); we listen again only once the ended receiver has finished.
- Context: data values lot (2001), wafer (2002), recipe (2003), step (2004) and collection
  events wafer start (3001) and step change (3002), triggered as the simulated wafer advances.

- Accepting: secsgem 0.3.0 starts reading a new connection before it marks it connected, so a
  host that sends Select.req at once is answered Select.rsp but left "not selected" (and its next
  message rejected). Our server thread marks the connection connected first.

secsgem's own behaviour kept as is: after select the equipment sends its own S1F13.

The simulated clock starts at the real UTC time and advances DSPER per sample. ``--speed 1``
samples in real time; ``--speed 0`` samples as fast as the host takes the reports (the
clock still advances DSPER per sample), which keeps 10,000-sample tests short.

Usage: equipment.py --port PORT [--device-id N] [--speed S] [--no-wbit]
Prints ``READY <port>`` on stdout once it listens, and one line per connection on stderr.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import re
import sys
import threading
import time

import secsgem.common
import secsgem.gem
import secsgem.hsms
import secsgem.secs

SV_CHAMBER_PRESSURE = 10
SV_RF_POWER = 11
SV_HE_FLOW = 12
SV_CHUCK_TEMP = 13
SV_STEP_TIME = 14

DV_LOT, DV_WAFER, DV_RECIPE, DV_STEP = 2001, 2002, 2003, 2004
CE_WAFER_START, CE_STEP_CHANGE = 3001, 3002

SAMPLES_PER_STEP = 100
STEPS_PER_WAFER = 5


class S6F1W(secsgem.secs.functions.SecsS06F01):
    """S6F1 with the W-bit: the host answers S6F2."""

    _is_reply_required = True


class Process:
    """Simulated etch chamber: values are functions of the sample index (deterministic)."""

    def __init__(self) -> None:
        self.sample = 0
        self.lot = "LOT-0001"
        self.recipe = "ETCH-7"
        self.lock = threading.Lock()

    @property
    def wafer(self) -> int:
        return self.sample // (SAMPLES_PER_STEP * STEPS_PER_WAFER) + 1

    @property
    def step(self) -> int:
        return (self.sample // SAMPLES_PER_STEP) % STEPS_PER_WAFER + 1

    def value(self, svid: int, k: int):
        phase = k / 50.0
        if svid == SV_CHAMBER_PRESSURE:
            return secsgem.secs.variables.F8(80.0 + 2.0 * math.sin(phase))
        if svid == SV_RF_POWER:
            return secsgem.secs.variables.F4(1450.0 + 25.0 * math.cos(phase))
        if svid == SV_HE_FLOW:
            return secsgem.secs.variables.U4(12 + k % 3)
        if svid == SV_CHUCK_TEMP:
            return secsgem.secs.variables.I2(-5 + (k % 11))
        if svid == SV_STEP_TIME:
            return secsgem.secs.variables.U2(k % SAMPLES_PER_STEP)
        return secsgem.secs.variables.Array(secsgem.secs.data_items.SV, [])


def parse_dsper(text: str) -> float | None:
    """Seconds of a DSPER ``hhmmss`` or ``hhmmsscc``; None when invalid or zero."""
    match = re.fullmatch(r"(\d\d)(\d\d)(\d\d)(\d\d)?", text.strip())
    if not match:
        return None
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3])
    centis = int(match[4]) if match[4] else 0
    if minutes > 59 or seconds > 59:
        return None
    period = hours * 3600 + minutes * 60 + seconds + centis / 100
    return period if period > 0 else None


def stime(instant: datetime.datetime) -> str:
    """E5 16-byte time ``YYYYMMDDhhmmsscc``."""
    return instant.strftime("%Y%m%d%H%M%S") + f"{instant.microsecond // 10000:02d}"


class Equipment(secsgem.gem.GemEquipmentHandler):
    """secsgem GEM equipment with trace data collection added."""

    def __init__(self, settings, process: Process, speed: float, wbit: bool) -> None:
        super().__init__(settings)
        self.process = process
        self.speed = speed
        self.wbit = wbit
        self.traces: dict[int, threading.Event] = {}
        self._mdln = "faultline-etch-sim"
        self._softrev = "1.0"
        names = {
            SV_CHAMBER_PRESSURE: ("ChamberPressure", "mTorr", secsgem.secs.variables.F8),
            SV_RF_POWER: ("RfPower", "W", secsgem.secs.variables.F4),
            SV_HE_FLOW: ("HeFlow", "sccm", secsgem.secs.variables.U4),
            SV_CHUCK_TEMP: ("ChuckTemp", "degC", secsgem.secs.variables.I2),
            SV_STEP_TIME: ("StepTime", "sample", secsgem.secs.variables.U2),
        }
        for svid, (name, unit, kind) in names.items():
            self.status_variables[svid] = secsgem.gem.StatusVariable(svid, name, unit, kind)
        texts = secsgem.secs.variables.String
        self.data_values.update({
            DV_LOT: secsgem.gem.DataValue(DV_LOT, "Lot", texts),
            DV_WAFER: secsgem.gem.DataValue(DV_WAFER, "Wafer", secsgem.secs.variables.U4),
            DV_RECIPE: secsgem.gem.DataValue(DV_RECIPE, "Recipe", texts),
            DV_STEP: secsgem.gem.DataValue(DV_STEP, "Step", secsgem.secs.variables.U4),
        })
        context = [DV_LOT, DV_WAFER, DV_RECIPE, DV_STEP]
        self.collection_events[CE_WAFER_START] = secsgem.gem.CollectionEvent(CE_WAFER_START, "WaferStart", context)
        self.collection_events[CE_STEP_CHANGE] = secsgem.gem.CollectionEvent(CE_STEP_CHANGE, "StepChange", context)
        self.register_stream_function(2, 23, self._on_trace_initialize)
        self.protocol.events.disconnected += self._on_disconnected

    # status variables and data values
    def on_sv_value_request(self, svid, status_variable):
        return self.process.value(status_variable.svid, self.process.sample)

    def on_dv_value_request(self, dvid, data_value):
        p = self.process
        value = {DV_LOT: p.lot, DV_WAFER: p.wafer, DV_RECIPE: p.recipe, DV_STEP: p.step}[data_value.dvid]
        return data_value.value_type(value)

    # trace data collection (E30 §4.2.1.2, E5 S2F23/S6F1)
    def _on_trace_initialize(self, handler, message):
        function = self.settings.streams_functions.decode(message)
        trid = function.TRID.get()
        period = parse_dsper(str(function.DSPER.get()))
        total = int(function.TOTSMP.get())
        group = int(function.REPGSZ.get())
        svids = list(function.SVID.get())
        old = self.traces.pop(trid, None)
        if old is not None:
            old.set()
        if total == 0:
            return self.stream_function(2, 24)(0)
        if period is None:
            return self.stream_function(2, 24)(3)
        if any(svid not in self.status_variables for svid in svids) or not svids:
            return self.stream_function(2, 24)(4)
        if group < 1:
            return self.stream_function(2, 24)(5)
        stop = threading.Event()
        self.traces[trid] = stop
        thread = threading.Thread(target=self._trace, args=(trid, period, total, group, svids, stop), daemon=True)
        thread.start()
        return self.stream_function(2, 24)(0)

    def _trace(self, trid, period, total, group, svids, stop: threading.Event) -> None:
        start = datetime.datetime.now(datetime.timezone.utc)
        real_start = time.monotonic()
        smpln = 0
        while not stop.is_set() and smpln < total:
            values = []
            for _ in range(min(group, total - smpln)):
                smpln += 1
                if self.speed > 0:
                    due = real_start + smpln * period / self.speed
                    delay = due - time.monotonic()
                    if delay > 0 and stop.wait(delay):
                        return
                self._advance()
                values.extend(self.process.value(svid, self.process.sample) for svid in svids)
            at = start + datetime.timedelta(seconds=smpln * period)
            body = {"TRID": trid, "SMPLN": smpln, "STIME": stime(at), "SV": values}
            if self.wbit:
                reply = self.send_and_waitfor_response(S6F1W(body))
                if reply is None:
                    return
            elif not self.send_stream_function(secsgem.secs.functions.SecsS06F01(body)):
                return

    def _advance(self) -> None:
        """One sample of process time; fires the context events on wafer and step changes."""
        with self.process.lock:
            self.process.sample += 1
            k = self.process.sample
        if k % (SAMPLES_PER_STEP * STEPS_PER_WAFER) == 0:
            self.trigger_collection_events([CE_WAFER_START])
        elif k % SAMPLES_PER_STEP == 0:
            self.trigger_collection_events([CE_STEP_CHANGE])

    def _on_disconnected(self, _data) -> None:
        for stop in self.traces.values():
            stop.set()
        self.traces.clear()
        # secsgem 0.3.0 stopped only the receiver thread; stop the dispatcher too and start the
        # next connection with a fresh one.
        protocol = self.protocol
        old = protocol._thread  # noqa: SLF001 - working around secsgem 0.3.0
        old._stop_dispatcher_thread = True  # noqa: SLF001
        old._dispatcher_thread_trigger.set()  # noqa: SLF001
        protocol._thread = secsgem.common.protocol_dispatcher.ProtocolDispatcher(  # noqa: SLF001
            protocol._process_data,  # noqa: SLF001
            protocol._dispatch_block,  # noqa: SLF001
            self.settings,
        )
        # secsgem 0.3.0 also leaves the GEM communication state as it was, so the next select
        # fails and the equipment never sends its own S1F13; restart it (E30: not communicating).
        self._communication_state.disable()
        self._communication_state.enable()
        print("equipment: connection closed; listening again", file=sys.stderr, flush=True)


def _disconnected(self, _data) -> None:
    """secsgem 0.3.0's restart of the server thread, remembering the receiver that just ended.

    secsgem restarts the server thread from inside the ended receiver thread, as the first of the
    disconnect handlers: before the protocol's and ours have run and before the receiver resets the
    connection's flags. A host reconnecting in that window met a half-reset connection (its
    Select.req unanswered, or a Separate.req). The server thread now waits for that receiver.
    """
    if self._enabled:
        self._ended_receiver = threading.current_thread()
        self._TcpServerConnection__start_server_thread()  # noqa: SLF001


def _server_thread(self) -> None:
    """secsgem 0.3.0's TcpServerConnection server thread, with on_connected before the receiver.

    It listens only once the previous connection's receiver thread has finished (see
    ``_disconnected``), so a host that reconnects at once is refused and retries, not half served.
    """
    import select  # noqa: PLC0415
    import socket  # noqa: PLC0415

    ended = getattr(self, "_ended_receiver", None)
    if ended is not None and ended is not threading.current_thread():
        ended.join()
    self._server_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    self._server_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    self._server_sock.bind((self._settings.address, self._settings.port))
    self._server_sock.listen(1)
    while not self._stop_server_thread:
        try:
            readable = select.select([self._server_sock], [], [], self.select_timeout)[0]
        except (OSError, ValueError):
            break
        if not readable:
            continue
        try:
            self._sock, _ = self._server_sock.accept()
        except OSError:
            break
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock.setblocking(0)
        self._connected = True
        try:
            self.on_connected({"source": self})
        except Exception:  # noqa: BLE001
            self._logger.exception("ignoring exception for on_connection_established handler")
        self._start_receiver()
        self._server_sock.close()
        return
    self._stop_server_thread = False


secsgem.common.tcp_server_connection.TcpServerConnection._TcpServerConnection__server_thread = _server_thread  # noqa: SLF001
secsgem.common.tcp_server_connection.TcpServerConnection._disconnected = _disconnected  # noqa: SLF001


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--device-id", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--no-wbit", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, stream=sys.stderr)

    settings = secsgem.hsms.HsmsSettings(
        address=args.address,
        port=args.port,
        connect_mode=secsgem.hsms.HsmsConnectMode.PASSIVE,
        device_type=secsgem.common.DeviceType.EQUIPMENT,
        session_id=args.device_id,
    )
    equipment = Equipment(settings, Process(), args.speed, not args.no_wbit)
    equipment.enable()
    connection = equipment.protocol._connection  # noqa: SLF001 - readiness only
    deadline = time.monotonic() + 10
    while getattr(connection, "_server_sock", None) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    print(f"READY {args.port}", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
