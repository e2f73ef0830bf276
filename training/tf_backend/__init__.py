"""The architecture spec on TensorFlow/Keras, trained in a compiled loop.

TensorFlow is imported only inside this package, and only when a function here needs it.
"""

from training.tf_backend._runtime import THREADS_ENV, thread_count

__all__ = ["THREADS_ENV", "thread_count"]
