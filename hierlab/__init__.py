"""hierlab: tree, IRT and hierarchy-coherence tools for hierarchical AI benchmarks.

``import hierlab`` stays light: plotting (altair), statistics (statsmodels) and widgets
(ipywidgets) are imported inside the functions that need them.

Examples
--------
>>> import hierlab
>>> hierlab.Tree.from_paths(["a/b", "a/c"]).n_nodes
3
"""

from hierlab import errors
from hierlab.tree import Tree

__all__ = ["Tree", "__version__", "errors"]
__version__ = "0.2.0.dev0"
