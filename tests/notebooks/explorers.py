# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The explorers in a browser
# Opened by tests/test_browser.py: every explorer on the embedded demo, offline.

# %%
import warnings

from IPython.display import display

from hierlab import plot
from hierlab.datasets import load_demo
from hierlab.errors import HierlabWarning
from hierlab.irt import fit_irt, responses_from_long
from hierlab.widgets import explore_bias, explore_depth, explore_irt, explore_tree

plot.setup_notebook(folder="exports", display_names={"Aurora": "Aurora 2 (display)"})
demo = load_demo(n_items=240, n_models=4, seed=0)

# %%
display(explore_tree(demo.tree, title="Tree explorer"))

# %%
display(explore_bias(demo.results, ["region", "sub_region"], n_boot=0, title="Bias explorer"))

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", HierlabWarning)  # the demo has items every model answers alike
    fit = fit_irt(responses_from_long(demo.results), "2pl")
irt = explore_irt(fit, items=demo.items, title="IRT explorer")
irt.controls["view"].value = "audit"
display(irt)

# %%
display(explore_depth(demo.tree, demo.predictions, title="Depth explorer"))
