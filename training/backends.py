"""The backends by name: ``get_backend("numpy" | "tensorflow")``.

Kept apart from ``training.fitting`` (the protocol and data types the backends implement) so
that the backends import ``fitting`` and nothing imports back. TensorFlow is only imported
when the TensorFlow backend is asked for.
"""

from __future__ import annotations

from training.fitting import Backend

__all__ = ["get_backend"]


def get_backend(name: str) -> Backend:
    """Return the backend called ``name``; importing TensorFlow only for ``"tensorflow"``."""
    if name == "numpy":
        from training.numpy_backend.backend import NumpyBackend

        numpy_backend: Backend = NumpyBackend()
        return numpy_backend
    if name == "tensorflow":
        from training.tf_backend.backend import TensorflowBackend

        tf_backend: Backend = TensorflowBackend()
        return tf_backend
    raise ValueError(f"unknown backend {name!r}: choose 'numpy' or 'tensorflow'")
