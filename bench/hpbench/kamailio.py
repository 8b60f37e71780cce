"""A private Kamailio on 127.0.0.1: the registrar both phones register to. Digest authentication
(users in an htable), usrloc in memory, OPTIONS answered; no outbound (RFC 5626) support, as most
PBXs. The same configuration as the interop tests (crates/hardphone/tests/support/mod.rs), with
the benchmark's users."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import net
from .errors import BenchError
from .proc import Process, Processes, wait_for

KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = "/usr/sbin/kamcmd"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


@dataclass(frozen=True)
class User:
    name: str
    password: str


def config(dir: Path, port: int, users: list[User]) -> str:
    ctl = dir / "ctl.sock"
    user_lines = "\n".join(f'    $sht(users=>{u.name}) = "{u.password}";' for u in users)
    return f"""#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="{MODULES}"
loadmodule "ctl.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"
modparam("ctl", "binrpc", "unix:{ctl}")
modparam("usrloc", "db_mode", 0)
modparam("htable", "htable", "users=>size=4;")

event_route[htable:mod-init] {{
{user_lines}
}}

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("$td", "$sht(users=>$au)", "0")) {{
            www_challenge("$td", "1");
            exit;
        }}
        if ($au != $tU) {{ sl_send_reply("403", "Forbidden"); exit; }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}
"""


class Kamailio:
    """Kamailio started in `dir` on a free UDP+TCP port of 127.0.0.1."""

    def __init__(self, processes: Processes, dir: Path, users: list[User]):
        if not Path(KAMAILIO).exists():
            raise BenchError("kamailio is not installed (apt-get install -y kamailio)")
        self.dir = dir
        self.port = net.free_port()
        self.ctl = dir / "ctl.sock"
        cfg = dir / "kamailio.cfg"
        cfg.write_text(config(dir, self.port, users))
        self.process: Process = processes.start(
            "kamailio", [KAMAILIO, "-DD", "-E", "-f", str(cfg), "-w", str(dir)], dir / "kamailio.log"
        )
        wait_for(
            "kamailio answering on its control socket",
            10,
            lambda: self._check_up() and "kamailio" in (self.kamcmd("core.version") or ""),
            lambda: self.process.log_text(),
        )
        self.process.note_children()

    def _check_up(self) -> bool:
        if not self.process.running():
            raise BenchError(f"kamailio exited ({self.process.popen.returncode}):\n{self.process.log_text()}")
        return True

    def kamcmd(self, *command: str) -> str | None:
        """`kamcmd` on the control socket; None when it fails."""
        result = subprocess.run(
            [KAMCMD, "-s", f"unix:{self.ctl}", *command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return result.stdout if result.returncode == 0 else None

    def bindings(self) -> dict[str, list[dict[str, str]]]:
        """The location table (`ul.dump`): AoR user -> its contacts, each a dict of the fields
        Kamailio lists (Address, Expires, Socket, User-Agent, ...)."""
        table = self.kamcmd("ul.dump") or ""
        found: dict[str, list[dict[str, str]]] = {}
        aor = None
        contact: dict[str, str] | None = None
        for raw in table.splitlines():
            line = raw.strip()
            if line == "}":
                contact = None  # a contact's fields hold no braces: the first "}" ends it
                continue
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "AoR":
                aor = value
                found.setdefault(aor, [])
                contact = None
            elif key == "Contact" and aor is not None:
                contact = {}
                found[aor].append(contact)
            elif contact is not None and key and value != "{":
                contact[key] = value
        return found

    def registered(self, user: str, port: int) -> dict[str, str] | None:
        """The binding of `user` whose contact address is 127.0.0.1:`port` and that has not
        expired, if any."""
        for contact in self.bindings().get(user, []):
            address = contact.get("Address", "")
            live = contact.get("Expires", "0") not in ("0", "deleted", "expired")
            if live and re.search(rf"[@:]127\.0\.0\.1:{port}(?![0-9])", address):
                return contact
        return None

    def version(self) -> str:
        out = subprocess.run([KAMAILIO, "-v"], capture_output=True, text=True).stdout
        return out.splitlines()[0].strip() if out else "?"
