"""Notebooks the browser test opens in JupyterLab: data for tests/test_browser.py, not tests.

They are jupytext percent files; importing them would run them, so pytest (which imports
every module for its doctests) leaves them alone.
"""

collect_ignore_glob = ["*.py"]
