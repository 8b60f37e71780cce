"""Figure 3, quality under network impairment: PESQ (ITU-T P.862) of the speech each phone
receives through a lossy, jittery loopback link.

NOT YET: needs calls. The plan: the `pesq` PyPI package (bench/requirements.txt) scores the
received audio against the reference WAV; the impairment is applied on loopback with `tc qdisc
... netem loss/delay/jitter` on a dedicated port range, or by a UDP relay in this harness between
caller and phone (no root needed, exact and repeatable: seeded loss and jitter patterns). Each
phone records what it plays out (baresip: the sndfile module; Hardphone: its file sink), same
reference, same impairment schedule, one row per condition ("quality.loss5", ...).
"""

from ..context import Context
from ..errors import NotYet
from ..result import Result

ID = "quality"
TITLE = "3. Quality under network impairment (PESQ)"


def run(ctx: Context) -> Result:
    raise NotYet("not yet: needs calls")
