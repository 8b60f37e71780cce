"""The harness's errors."""


class BenchError(Exception):
    """The run is invalid (a phone did not register, a tool is missing, ...): exit non-zero."""


class NotYet(Exception):
    """A figure that cannot be measured yet (Hardphone has no calls): reported, not an error."""
