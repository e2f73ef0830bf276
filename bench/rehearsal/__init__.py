"""The deployment rehearsal (``python -m bench.deploy_rehearsal``): every process of a
multi-host deployment started on this machine, graded through, and stopped.

- ``processes.py``: children in their own process groups, with log files; stopping them all;
- ``proxy.py``: the nginx reverse proxy in front of the web processes;
- ``stack.py``: the deployment itself (database, Redis, web, workers, beat) in order;
- ``client.py``: a student of the public address (token, joining, submitting, polling);
- ``throughput.py``: grades per minute with a given number of NumPy worker processes.
"""
