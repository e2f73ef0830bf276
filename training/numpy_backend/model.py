"""A stack of independent copies of one network, one per seed, trained in one pass.

All parameters of all seeds live in one flat float64 buffer ``params`` of shape
``(S, P)`` (``P`` parameters per seed, in Keras ``get_weights()`` order), and their gradients
in a buffer ``grads`` of the same shape. Layers see stacked views of these buffers, so a
forward pass is one batched matmul per layer and an optimizer step is a handful of
elementwise operations on ``params``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.errors import DataError, UnsupportedByBackend
from training.numpy_backend.layers import Dense, Dropout
from training.numpy_backend.losses import get_loss, reduce_loss, reduce_loss_gradient
from training.spec import Dense as DenseSpec
from training.spec import Dropout as DropoutSpec
from training.spec import ModelSpec

__all__ = ["StackedModel", "seed_generator"]

DROPOUT_STREAM = 2


def seed_generator(seed: int, stream: int | None = None) -> np.random.Generator:
    """A fresh generator for ``seed``: ``default_rng(seed)`` (one instance for the initial
    weights, another for each epoch's shuffle permutation, so the batch order is the same
    as the TensorFlow backend's), or an independent child stream (dropout masks)."""
    if stream is None:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def _build_layers(spec: ModelSpec) -> list[Dense | Dropout]:
    if len(spec.input_shape) != 1:
        raise UnsupportedByBackend(
            f"input_shape {spec.input_shape}: the numpy backend trains dense networks on flat "
            "feature vectors; use the tensorflow backend for multi-dimensional inputs"
        )
    n_in = spec.input_shape[0]
    layers: list[Dense | Dropout] = []
    for i, layer in enumerate(spec.layers):
        if isinstance(layer, DenseSpec):
            layers.append(
                Dense(
                    n_in,
                    layer.units,
                    layer.activation,
                    use_bias=layer.use_bias,
                    regularizer=layer.kernel_regularizer,
                )
            )
            n_in = layer.units
        elif isinstance(layer, DropoutSpec):
            layers.append(Dropout(layer.rate))
        else:
            raise UnsupportedByBackend(
                f"layers[{i}]: the numpy backend does not support layer type "
                f"{layer.type!r}; use the tensorflow backend for it"
            )
    if not any(isinstance(layer, Dense) for layer in layers):
        raise UnsupportedByBackend("the numpy backend needs at least one dense layer")
    return layers


class StackedModel:
    """``n_seeds`` copies of the network in ``spec``, with the spec's loss."""

    def __init__(self, spec: ModelSpec, n_seeds: int) -> None:
        if n_seeds < 1:
            raise ValueError(f"n_seeds must be at least 1, got {n_seeds}")
        self.spec = spec
        self.layers = _build_layers(spec)
        self.dense_layers = [layer for layer in self.layers if isinstance(layer, Dense)]
        self._regularized = [layer for layer in self.dense_layers if layer.has_regularizer]
        # Backpropagation stops at the first dense layer (nothing before it is trainable).
        self._first_dense = next(i for i, lay in enumerate(self.layers) if isinstance(lay, Dense))
        last = self.layers[-1]
        out_act = last.activation.name if isinstance(last, Dense) else None
        self.loss = get_loss(spec.loss, out_act)
        if self.loss.from_logits:
            assert isinstance(last, Dense)
            last.grad_is_logits = True
        self.output_units = self.dense_layers[-1].units
        self.shapes: list[tuple[int, ...]] = [
            s for layer in self.dense_layers for s in layer.param_shapes()
        ]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.n_params = int(self.offsets[-1])
        self.params = np.zeros((n_seeds, self.n_params))
        self.grads = np.zeros((n_seeds, self.n_params))
        self.dropout_rngs: list[np.random.Generator] = []
        self._bind()

    @property
    def n_seeds(self) -> int:
        return int(self.params.shape[0])

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        s = flat.shape[0]
        return [
            flat[:, self.offsets[i] : self.offsets[i + 1]].reshape(s, *shape)
            for i, shape in enumerate(self.shapes)
        ]

    def _bind(self) -> None:
        pv, gv = self._views(self.params), self._views(self.grads)
        i = 0
        for layer in self.dense_layers:
            n = len(layer.param_shapes())
            layer.bind(pv[i : i + n], gv[i : i + n])
            i += n

    # ---- weights -------------------------------------------------------------------------

    def initialize(self, seeds: Sequence[int]) -> None:
        """Keras-style initial weights, each seed from ``default_rng(seed)``; also seeds the
        dropout generators."""
        if len(seeds) != self.n_seeds:
            raise ValueError(f"expected {self.n_seeds} seeds, got {len(seeds)}")
        for row, seed in enumerate(seeds):
            rng = seed_generator(seed)
            arrays = [a for layer in self.dense_layers for a in layer.initial_params(rng)]
            self.params[row] = np.concatenate([a.ravel() for a in arrays])
        self.dropout_rngs = [seed_generator(seed, DROPOUT_STREAM) for seed in seeds]

    def get_weights(self, row: int = 0) -> list[np.ndarray]:
        """Seed ``row``'s arrays in Keras ``get_weights()`` order (copies)."""
        flat = self.params[row]
        return [
            flat[self.offsets[i] : self.offsets[i + 1]].reshape(shape).copy()
            for i, shape in enumerate(self.shapes)
        ]

    def set_weights(
        self, weights: Sequence[np.ndarray], row: int | None = None, *, check_finite: bool = True
    ) -> None:
        """Set seed ``row``'s arrays (every seed when ``row`` is None) from Keras order."""
        if len(weights) != len(self.shapes):
            raise DataError(
                f"initial weights: expected {len(self.shapes)} arrays in Keras get_weights() "
                f"order with shapes {self.shapes}, got {len(weights)}"
            )
        flat = np.empty(self.n_params)
        for i, (w, shape) in enumerate(zip(weights, self.shapes, strict=True)):
            arr = np.asarray(w, dtype=np.float64)
            if arr.shape != shape:
                raise DataError(
                    f"initial weights: array {i} has shape {arr.shape}, expected {shape}"
                )
            if check_finite and not np.all(np.isfinite(arr)):
                raise DataError(f"initial weights: array {i} contains NaN or infinity")
            flat[self.offsets[i] : self.offsets[i + 1]] = arr.ravel()
        if row is None:
            self.params[:] = flat
        else:
            self.params[row] = flat

    def select_seeds(self, keep: np.ndarray) -> None:
        """Keep only the seeds at rows ``keep`` (params, grads, dropout generators)."""
        self.params = self.params[keep]
        self.grads = np.zeros_like(self.params)
        self.dropout_rngs = [self.dropout_rngs[i] for i in keep]
        self._bind()

    # ---- computation ---------------------------------------------------------------------

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Outputs ``(S, B, K)`` for inputs ``(B, n_in)`` (shared) or ``(S, B, n_in)``."""
        h = x
        for layer in self.layers:
            if isinstance(layer, Dropout):
                h = layer.forward(h, training, self.dropout_rngs)
            else:
                h = layer.forward(h, training)
        return h  # (S, B, K): the first dense layer's matmul broadcasts over the seeds

    def regularization(self) -> np.ndarray:
        """Per-seed sum of the kernel penalties, shape ``(S,)``."""
        total = np.zeros(self.n_seeds)
        for layer in self._regularized:
            total += layer.regularization()
        return total

    def per_sample_loss(self, y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Per-sample loss ``(S, B)`` of the last forward pass's output ``out``."""
        return self.loss.forward(y, out, self.dense_layers[-1].logits)

    def loss_and_gradients(
        self,
        x: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        training: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Forward and backward pass on one batch.

        Returns ``(loss, out)``: the per-seed batch loss ``(S,)`` (weighted data loss plus
        regularization, as Keras reports it) and the outputs ``(S, B, K)``. Fills ``grads``.
        """
        out = self.forward(x, training)
        logits = self.dense_layers[-1].logits
        loss = reduce_loss(self.loss.forward(y, out, logits), sample_weight)
        if self._regularized:
            loss += self.regularization()
        grad: np.ndarray | None = reduce_loss_gradient(
            self.loss.backward(y, out, logits), sample_weight
        )
        first = self._first_dense
        for i in range(len(self.layers) - 1, first - 1, -1):
            assert grad is not None
            grad = self.layers[i].backward(grad, need_input_grad=i > first)
        return loss, out

    def evaluate_loss(
        self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inference-mode ``(loss (S,), outputs (S, B, K))``, regularization included."""
        out = self.forward(x, training=False)
        loss = reduce_loss(self.per_sample_loss(y, out), sample_weight) + self.regularization()
        return loss, out

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each dense layer's activation output ``(S, B, units)`` in inference mode."""
        outputs: list[np.ndarray] = []
        h = x
        for layer in self.layers:
            h = layer.forward(h, training=False)
            if isinstance(layer, Dense):
                outputs.append(np.broadcast_to(h, (self.n_seeds, *h.shape[-2:])).copy())
        return outputs

    def kernel_gradient_norms(
        self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> np.ndarray:
        """L2 norm of dLoss/dKernel per dense layer in inference mode, shape ``(S, L)``."""
        self.loss_and_gradients(x, y, sample_weight, training=False)
        return np.stack(
            [np.sqrt(np.square(layer.kernel_grad).sum(axis=(1, 2))) for layer in self.dense_layers],
            axis=1,
        )
