"""The loopback rig every phone figure starts from: a private Kamailio and both phones registered
to it, checked in Kamailio's location table (not in the phones' own logs). A phone that does not
register makes the run invalid (BenchError)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import phones
from .context import Context
from .errors import BenchError
from .kamailio import Kamailio, User
from .proc import Processes

# The bench's users: 2001 is Hardphone's line, 2002 baresip's.
HARDPHONE_USER = User("2001", "bench-2001-pw")
BARESIP_USER = User("2002", "bench-2002-pw")
EXPIRES = 300  # registration expiry asked for by both phones, seconds
# Hardphone's keep-alive interval (its default, written out). baresip 1.0.0 has no setting for a
# registrar without outbound (RFC 5626): it sends keep-alives only when the 200 OK to its REGISTER
# requires outbound, which this registrar, like most PBXs, does not.
HARDPHONE_KEEPALIVE_SECS = 25
REGISTER_LIMIT = 30.0  # seconds both phones get to register


@dataclass
class Rig:
    kamailio: Kamailio
    hardphone: phones.Phone
    baresip: phones.Phone

    def phones(self) -> list[phones.Phone]:
        return [self.hardphone, self.baresip]

    def check_running(self) -> None:
        for phone in self.phones():
            if not phone.process.running():
                raise BenchError(
                    f"{phone.name} exited ({phone.process.popen.returncode}) during the run; its log:\n"
                    + _tail(phone.process.log_text())
                )

    def check_registered(self, when: str) -> dict[str, dict[str, str]]:
        """Both bindings in the location table, or BenchError naming who is missing."""
        found = {}
        missing = []
        for phone in self.phones():
            binding = self.kamailio.registered(phone.account.user, phone.sip_port)
            if binding is None:
                missing.append(phone)
            else:
                found[phone.name] = binding
        if missing:
            raise BenchError(
                f"run invalid: not registered {when}: "
                + ", ".join(f"{p.name} (user {p.account.user}, port {p.sip_port})" for p in missing)
                + "\nlocation table:\n"
                + (self.kamailio.kamcmd("ul.dump") or "(kamcmd failed)")
                + "".join(f"\n--- {p.name} log:\n{_tail(p.process.log_text())}" for p in missing)
            )
        return found


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def start(
    ctx: Context,
    processes: Processes,
    dir: Path,
    baresip_control: bool = False,
    keepalive_secs: int = HARDPHONE_KEEPALIVE_SECS,
    call_audio: phones.CallAudio | None = None,
) -> Rig:
    """Kamailio, then both phones at once; returns when both are registered. With `call_audio`
    (figures 2-4) both auto-answer: Hardphone with those file devices, baresip with its aubridge
    loopback (phones.py)."""
    kamailio = Kamailio(processes, ctx.dir(f"{dir.name}/kamailio"), [HARDPHONE_USER, BARESIP_USER])
    ctx.log(f"kamailio on udp:127.0.0.1:{kamailio.port} (pid {kamailio.process.pid})")
    hardphone = phones.start_hardphone(
        processes,
        ctx.hardphone,
        dir / "hardphone",
        phones.Account(HARDPHONE_USER.name, HARDPHONE_USER.password, kamailio.port, EXPIRES),
        keepalive_secs=keepalive_secs,
        audio=call_audio,
    )
    baresip = phones.start_baresip(
        processes,
        dir / "baresip",
        phones.Account(BARESIP_USER.name, BARESIP_USER.password, kamailio.port, EXPIRES),
        control=baresip_control,
        calls=call_audio is not None,
    )
    ctx.log(f"hardphone pid {hardphone.pid} on 127.0.0.1:{hardphone.sip_port}, baresip pid {baresip.pid} on 127.0.0.1:{baresip.sip_port}")
    rig = Rig(kamailio, hardphone, baresip)
    started = time.monotonic()
    deadline = started + REGISTER_LIMIT
    while True:
        rig.check_running()
        try:
            rig.check_registered("")
            break
        except BenchError:
            if time.monotonic() > deadline:
                rig.check_registered(f"within {REGISTER_LIMIT:.0f} s of starting")
            time.sleep(0.1)
    ctx.log(f"both registered after {time.monotonic() - started:.1f} s (kamcmd ul.dump)")
    return rig


def stop_phones(rig: Rig) -> dict[str, int | None]:
    """SIGTERM to both phones (they unregister), waits for them; exit statuses by name."""
    return {phone.name: phone.process.stop() for phone in rig.phones()}
