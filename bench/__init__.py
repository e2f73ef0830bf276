"""Benchmarks of the service and the training core; figures go to bench/RESULTS.md.

NumPy's BLAS runs one thread per process here, as in the worker processes (annquiz/celery.py),
set before any benchmark imports NumPy.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
