"""Import TensorFlow once, configured for reproducible, bounded CPU use.

Before TensorFlow runs its first operation, its thread pools are sized from the environment
variable ``ANNQUIZ_TF_THREADS`` (default 1, so a worker does not take every core) and op
determinism is switched on, so the same seed gives the same history. If something else in the
process already started the TensorFlow runtime, its thread pools cannot be resized any more;
determinism is still enabled.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from training.errors import TrainingError

THREADS_ENV = "ANNQUIZ_TF_THREADS"

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_configured = False


def thread_count() -> int:
    """The thread-pool size from ``ANNQUIZ_TF_THREADS`` (default 1)."""
    raw = os.environ.get(THREADS_ENV, "1").strip()
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise TrainingError(f"{THREADS_ENV} must be a positive integer, got {raw!r}")
    return value


class _NewArchitectureIsNotARetrace(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warning.

    Each new architecture traces its own functions once; TensorFlow counts those traces
    together and would warn on every few specs a worker trains.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def tensorflow() -> Any:
    """Return the ``tensorflow`` module, configuring it on the first call."""
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if _configured:
        return tf
    with _lock:
        if not _configured:
            threads = thread_count()
            try:
                tf.config.threading.set_inter_op_parallelism_threads(threads)
                tf.config.threading.set_intra_op_parallelism_threads(threads)
            except RuntimeError:
                # The runtime is already running (TensorFlow was used before this call):
                # its pools keep the size they were started with.
                pass
            tf.config.experimental.enable_op_determinism()
            tf.get_logger().addFilter(_NewArchitectureIsNotARetrace())
            _configured = True
            logger.info(
                "TensorFlow in process %d: %d inter-op and %d intra-op threads (%s=%d)",
                os.getpid(),
                tf.config.threading.get_inter_op_parallelism_threads(),
                tf.config.threading.get_intra_op_parallelism_threads(),
                THREADS_ENV,
                threads,
            )
    return tf


def keras() -> Any:
    """Return the ``keras`` module (Keras 3), after configuring TensorFlow."""
    tensorflow()
    import keras

    return keras
