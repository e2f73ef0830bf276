"""Dense and Dropout layers over stacked seeds.

A layer holds the parameters of ``S`` independent models (one per seed) stacked along a
leading axis, so one ``np.matmul`` runs every seed: inputs are ``(S, B, n_in)`` (or ``(B, n_in)``
shared by all seeds), outputs ``(S, B, n_out)``. Parameter and gradient arrays are views into
the model's flat buffers (see ``model.StackedModel``); layers never own optimizers.

``forward`` caches what ``backward`` needs; ``backward(grad)`` takes ``dL/d(output)`` and
returns ``dL/d(input)``, writing parameter gradients into the gradient views.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.numpy_backend.activations import PReLU, get_activation
from training.spec import Activation, Regularizer

__all__ = ["Dense", "Dropout", "glorot_uniform"]


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras' ``glorot_uniform``: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


class Dense:
    """``out = activation(x @ kernel + bias)`` with an optional L1/L2 kernel penalty.

    Parameters in Keras ``get_weights()`` order: ``kernel (n_in, units)``, ``bias (units,)``
    when ``use_bias``, then a prelu's ``alpha (units,)`` (Keras' separate PReLU layer).
    Regularization adds ``l1 sum|W| + l2 sum W^2`` to the loss, gradient
    ``l1 sign(W) + 2 l2 W``.
    """

    def __init__(
        self,
        n_in: int,
        units: int,
        activation: Activation,
        *,
        use_bias: bool = True,
        regularizer: Regularizer | None = None,
    ) -> None:
        self.n_in = n_in
        self.units = units
        self.activation = get_activation(activation.name, activation.alpha)
        self.initial_alpha = float(activation.alpha) if activation.alpha is not None else 0.0
        self.use_bias = use_bias
        self._prelu = isinstance(self.activation, PReLU)
        self.l1 = regularizer.l1 if regularizer is not None else 0.0
        self.l2 = regularizer.l2 if regularizer is not None else 0.0
        # When True, ``backward`` receives dL/dz directly (cross-entropy from logits).
        self.grad_is_logits = False
        empty: np.ndarray = np.empty(0)
        self.kernel = self.bias = self.alpha = empty
        self.kernel_grad = self.bias_grad = self.alpha_grad = empty
        self._x = self._z = self._out = empty
        self.kernel_t = empty
        # Row vectors of ones by batch size: the bias gradient is ``ones @ dz`` (one matmul
        # is cheaper than a reduction for small batches).
        self._ones: dict[int, np.ndarray] = {}

    @property
    def is_prelu(self) -> bool:
        return self._prelu

    @property
    def has_regularizer(self) -> bool:
        return self.l1 != 0.0 or self.l2 != 0.0

    def param_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of this layer's arrays for one seed, in Keras order."""
        shapes: list[tuple[int, ...]] = [(self.n_in, self.units)]
        if self.use_bias:
            shapes.append((self.units,))
        if self.is_prelu:
            shapes.append((self.units,))
        return shapes

    def bind(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Attach stacked views ``(S, *shape)`` of the flat parameter and gradient buffers."""
        n_seeds = params[0].shape[0]
        self.kernel, self.kernel_grad = params[0], grads[0]
        self.kernel_t = self.kernel.swapaxes(-1, -2)
        i = 1
        if self.use_bias:
            self.bias = params[i].reshape(n_seeds, 1, self.units)
            self.bias_grad = grads[i].reshape(n_seeds, 1, self.units)
            i += 1
        if self.is_prelu:
            self.alpha = params[i].reshape(n_seeds, 1, self.units)
            self.alpha_grad = grads[i].reshape(n_seeds, 1, self.units)
            assert isinstance(self.activation, PReLU)
            self.activation.alpha = self.alpha

    def initial_params(self, rng: np.random.Generator) -> list[np.ndarray]:
        """One seed's initial arrays: glorot-uniform kernel, zero bias, constant prelu alpha."""
        arrays = [glorot_uniform(rng, self.n_in, self.units)]
        if self.use_bias:
            arrays.append(np.zeros(self.units))
        if self.is_prelu:
            arrays.append(np.full(self.units, self.initial_alpha))
        return arrays

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        z = np.matmul(x, self.kernel)
        if self.use_bias:
            z += self.bias
        out = self.activation.forward(z)
        self._x, self._z, self._out = x, z, out
        return out

    @property
    def logits(self) -> np.ndarray:
        """The pre-activation ``x @ kernel + bias`` of the last forward pass."""
        return self._z

    def regularization(self) -> np.ndarray:
        """Per-seed penalty ``l1 sum|W| + l2 sum W^2``, shape ``(S,)``."""
        penalty = np.zeros(self.kernel.shape[0])
        if self.l1 != 0.0:
            penalty += self.l1 * np.abs(self.kernel).sum(axis=(1, 2))
        if self.l2 != 0.0:
            penalty += self.l2 * np.square(self.kernel).sum(axis=(1, 2))
        return penalty

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self.grad_is_logits:
            gz = grad
        else:
            gz = self.activation.backward(self._z, self._out, grad)
            if self._prelu:
                assert isinstance(self.activation, PReLU)
                np.add.reduce(
                    self.activation.alpha_gradient(self._z, grad),
                    axis=-2,
                    keepdims=True,
                    out=self.alpha_grad,
                )
        np.matmul(self._x.swapaxes(-1, -2), gz, out=self.kernel_grad)
        if self.use_bias:
            batch = gz.shape[-2]
            ones = self._ones.get(batch)
            if ones is None:
                ones = self._ones[batch] = np.ones((1, batch))
            np.matmul(ones, gz, out=self.bias_grad)
        if self.l1 != 0.0:
            self.kernel_grad += self.l1 * np.sign(self.kernel)
        if self.l2 != 0.0:
            self.kernel_grad += (2.0 * self.l2) * self.kernel
        if not need_input_grad:
            return None
        result: np.ndarray = np.matmul(gz, self.kernel_t)
        return result


class Dropout:
    """Inverted dropout as Keras: in training, each unit is kept with probability ``1 - rate``
    and scaled by ``1 / (1 - rate)``; at inference the input passes unchanged.

    Masks are drawn per seed from that seed's generator, so a seed's training does not depend
    on which other seeds are stacked with it.
    """

    def __init__(self, rate: float) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self._mask: np.ndarray = np.empty(0)

    def forward(
        self,
        x: np.ndarray,
        training: bool = False,
        rngs: Sequence[np.random.Generator] = (),
    ) -> np.ndarray:
        if not training or self.rate == 0.0:
            self._mask = np.empty(0)
            return x
        shape = x.shape[-2:]
        keep = np.stack([rng.random(shape) for rng in rngs]) >= self.rate
        self._mask = keep * (1.0 / (1.0 - self.rate))
        dropped: np.ndarray = x * self._mask
        return dropped

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._mask.size == 0:
            return grad
        masked: np.ndarray = grad * self._mask
        return masked
