"""acsim: algorithmic collective action on a platform whose firm retrains a classifier.

The science is Hardt, Mazumdar, Mendler-Dünner and Zrnic, "Algorithmic Collective
Action in Machine Learning": bounds on the success S(alpha) of a collective of size
alpha (``acsim.theory``) and the Olson-style participation model of its Section 6
(``acsim.theory.economics``).
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata only when asked: importlib.metadata
    # costs ~70 ms, a quarter of `acsim --help`.
    if name != "__version__":
        raise AttributeError(f"module 'acsim' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("acsim")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+unknown"
