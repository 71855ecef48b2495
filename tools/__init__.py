"""Build scripts the Makefile runs (the README gallery, the notebook runner); not installed."""
