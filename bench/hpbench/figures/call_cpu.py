"""Figure 2, call CPU: CPU seconds of each phone during a 60 s PCMU call and a 60 s Opus call.

NOT YET: needs calls (Hardphone cannot place or answer one). The plan, on the rig of figure 1
(rig.start with baresip_control=True, so that baresip takes `dial`/`hangup` on ctrl_tcp):
  - a third party that talks RTP (a second baresip, or sipp with an RTP stream from a WAV file)
    calls each phone in turn, which auto-answers (baresip: answermode=auto; Hardphone: its
    auto-answer setting once it has one), codec forced by the caller's SDP offer (PCMU/8000,
    then opus/48000/2 at the same bitrate for both phones: baresip's opus_bitrate);
  - each phone plays a WAV file into the call (baresip: aufile source) and discards what it
    receives (no sound card for either);
  - CPU = utime + stime delta over the window (procfs.cpu_sample), rows "call_cpu.pcmu" and
    "call_cpu.opus", goals in goals.py.
"""

from ..context import Context
from ..errors import NotYet
from ..result import Result

ID = "call_cpu"
TITLE = "2. Call CPU: a 60 s PCMU call and a 60 s Opus call"


def run(ctx: Context) -> Result:
    raise NotYet("not yet: needs calls")
