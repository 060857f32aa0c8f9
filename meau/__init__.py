"""meau: facial Action Unit detection in micro-expression videos.

Importing the package is cheap: it imports neither torch nor the numerical stack.
"""

__version__ = "0.1.0"
