"""Hardphone against baresip on loopback: the harness behind `python3 bench/run.py`."""
