"""Resume data the workers own: the synthetic default, the florex corpus, any labeled CSV."""

from acsim.data.base import TextDataset

__all__ = ["TextDataset"]
