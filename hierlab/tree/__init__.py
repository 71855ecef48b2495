r"""The Tree: an immutable rooted tree with vectorised queries.

Nodes are the integers ``0 .. n-1`` in **depth-first preorder** (children in the order they
first appear in the input), so the root is always node ``0`` and the subtree of ``v`` is the
contiguous id range ``v .. v + size[v] - 1``. That single convention gives:

* ``is_ancestor`` as an interval test (the Euler-tour interval of a node is its preorder
  range);
* ``descendants`` as an ``arange``;
* ``lca`` as a range-minimum query over the preorder depths: O(1) per query, vectorised
  over arrays of queries, in linear memory and with no recursion anywhere.

**Paths.** A node's identity is its **root-to-node path** of labels, never its bare label:
``Paris`` under France and ``Paris`` under Texas are two nodes. The canonical form of a
path is a sequence (tuple) of labels, and a label may hold any text, the separator
included. Paths may also be written as strings joined by ``sep`` (default ``"/"``) with
one escape rule: **a backslash makes the next character literal** (it must be a
backslash or a character of the separator), so ``"Top\/Features"`` is the single label
``Top/Features`` and ``"a\\b"`` is ``a\b``. :meth:`Tree.paths` writes strings with the
same escapes, so ``Tree.from_paths(t.paths(sep="/"))`` and ``t.find(t.paths(sep="/"))``
give back every tree and node; :func:`join_path` and :func:`split_path` convert one path.
Internally paths are integer-coded label sequences (a hash per node, verified label by
label), so no label content can collide with another path.

**Scale.** Building, querying, finding and exporting take time O(n log n) and memory
linear in the tree and the output: no n x depth matrix is materialised and nothing loops
over depths or recurses, so a chain of 1,000,000 levels works. Outputs that are
inherently quadratic (the paths of every node of a very deep tree) are refused above
:data:`MAX_PATH_LABELS` labels with an :class:`~hierlab.errors.OutputTooLargeError` that
names the size and a cheaper alternative.

**Layout.** ``hierlab.tree`` is a package so that no module grows past what a reader can
hold: the :class:`Tree` class (``_core``), path escaping, hashing and parsing (``_paths``),
the inputs a Tree accepts (``_inputs``: node ids or paths, edge tables, nested
dictionaries) and the array algorithms (``_structure``: depths and cycles, preorder,
range-minimum blocks). Only the names below are public; import them from ``hierlab.tree``.

**Labels** are text. Numbers are accepted and turned into text, but one input may not mix
types (the integer ``1`` and the text ``"1"`` would become one label), and null, NaN and
empty labels are refused; errors name the rows or nodes.

Examples
--------
>>> from hierlab import Tree
>>> t = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
>>> t
Tree(n_nodes=8, max_depth=4, n_leaves=2, root='World')
>>> a, b = t.find(["World/Europe/France/Paris", "World/Americas/USA/Texas/Paris"])
>>> int(t.distance(a, b)), t.label[t.lca(a, b)]
(7, 'World')
>>> u = Tree.from_paths([("Top", "Features/Books")])  # a label holding the separator
>>> u.paths(sep="/")
['Top', 'Top/Features\\/Books']
>>> u.find("Top/Features\\/Books")
1
"""

from hierlab.tree._core import Tree, as_tree
from hierlab.tree._paths import join_path, split_path
from hierlab.tree._structure import MAX_PATH_LABELS

__all__ = ["MAX_PATH_LABELS", "Tree", "as_tree", "join_path", "split_path"]

# the public home of these names (reprs, pickles and documentation show hierlab.tree)
for _public in (Tree, as_tree, join_path, split_path):
    _public.__module__ = __name__
del _public
