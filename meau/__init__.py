"""meau: facial Action Unit detection in micro-expression videos.

Importing the package is cheap: it imports neither torch nor the numerical stack.
"""

__version__ = "0.2.0"
