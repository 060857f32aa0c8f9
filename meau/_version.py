"""The version of meau (its own module, so the package facade can import the library above it)."""

__version__ = "0.6.0"
