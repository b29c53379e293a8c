"""carbonbridge: the digital platform of a regional carbon-neutrality office."""

__version__ = "0.1.0"
