"""Reading real evaluation outputs into hierlab's tables, and free-text answers into tree paths.

* Readers return the long results table (``model, item, correct``, the raw ``answer``,
  the sample's metadata as item columns): :func:`read_inspect_logs` (Inspect AI ``.eval``
  and ``.json`` logs, through Inspect's own log reader), :func:`read_lm_eval_samples`
  (lm-evaluation-harness ``--log_samples`` output with its results file) and
  :func:`read_results_table` / :func:`scan_results` (CSV, Parquet, JSON Lines with a column
  mapping; Parquet scanned lazily). A model's identity comes from the log.
* :func:`parse_answers` places free-text or structured answers in a tree, with abstentions
  as their own outcome, explicit policies for missing levels and ambiguous answers, and a
  report of what could not be placed.
* :func:`reverse_geocode` places coordinates: the country by its borders (world-atlas 50m,
  point in polygon), the admin1 area and city by the nearest GeoNames city in that country.

Examples
--------
>>> from hierlab import Tree
>>> from hierlab.io import parse_answers
>>> tree = Tree.from_paths(["Europe/France/Paris", "Asia/Japan/Tokyo"], root="World")
>>> parse_answers(tree, ["paris, FRANCE"]).table["path"].to_list()
[['Europe', 'France', 'Paris']]
"""

from hierlab.io.answers import ParsedAnswers, parse_answers
from hierlab.io.geocode import reverse_geocode
from hierlab.io.readers import (
    EvaluationResults,
    check_results_table,
    read_inspect_logs,
    read_lm_eval_samples,
    read_results_table,
    scan_results,
)

__all__ = [
    "EvaluationResults",
    "ParsedAnswers",
    "check_results_table",
    "parse_answers",
    "read_inspect_logs",
    "read_lm_eval_samples",
    "read_results_table",
    "reverse_geocode",
    "scan_results",
]
