"""Figure 4, call setup: INVITE -> 200 OK time to an auto-answering phone, median of 20.

NOT YET: needs calls. The plan: the harness itself sends each INVITE (a minimal UAC over UDP in
this package: INVITE with an SDP offer, ACK, BYE; no third-party tool, so both phones see the same
bytes) through the bench's Kamailio to 2001 (Hardphone) and 2002 (baresip, answermode=auto), and
times the first byte of the INVITE to the 200 OK with time.perf_counter_ns; 20 calls each,
alternating phones, row "call_setup.median" (and p90 in the details). The bench's Kamailio then
needs to route calls: `lookup("location")` and `t_relay()` for INVITE/ACK/BYE in kamailio.py
(and record-routing off, so that the time measured is the phone's, plus one proxy hop for both).
"""

from ..context import Context
from ..errors import NotYet
from ..result import Result

ID = "call_setup"
TITLE = "4. Call setup: INVITE to 200 OK, median of 20"


def run(ctx: Context) -> Result:
    raise NotYet("not yet: needs calls")
