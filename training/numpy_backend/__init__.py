"""The NumPy training backend: dense and dropout networks, float64, several seeds at once.

Follows Keras 3's definitions and update rules exactly (see each module), so that for the
same initial weights and batch order its training history matches ``tf.keras``. Never imports
Django or TensorFlow.
"""
