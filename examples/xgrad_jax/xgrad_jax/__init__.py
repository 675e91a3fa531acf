"""xgrad-jax: an xgrad backend on JAX arrays.

JAX arrays are immutable and JAX's default integer is 32-bit, so the backend declares
``mutable = False`` and ``index_dtype = "int32"`` and never turns on ``jax_enable_x64``.
Importing this package does not import JAX; xgrad builds the backend on first use.
"""
__version__ = "0.1.0"
