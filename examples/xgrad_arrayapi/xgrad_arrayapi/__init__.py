"""xgrad-arrayapi: an xgrad backend written only against the Python Array API standard.

The array library is ``array_api_strict``, the standard's strict reference namespace, so
everything here would also run on any other conforming library. Importing this package does
not import ``array_api_strict``; xgrad builds the backend on first use.
"""
__version__ = "0.1.0"
