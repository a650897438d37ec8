"""acsim: algorithmic collective action on a platform whose firm retrains a classifier.

The science is Hardt, Mazumdar, Mendler-Dünner and Zrnic, "Algorithmic Collective
Action in Machine Learning": bounds on the success S(alpha) of a collective of size
alpha (``acsim.theory``) and the Olson-style participation model of its Section 6
(``acsim.theory.economics``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("acsim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
