"""Item response theory for model-by-item evaluation results.

Models (the AI systems evaluated; IRT's respondents) are rows and items (benchmark
questions) are columns in every public function; missing cells are NaN. See
:func:`fit_irt` for estimation (the latent scale is fixed by the abilities; standard
errors from the full information, :meth:`IRTFit.vcov`), :func:`score` for scoring new
models against frozen items (a fit's, or a published item bank), and
:func:`ability_intervals` and :func:`plausible_values` for abilities with the items'
calibration error.

Examples
--------
>>> from hierlab.irt import fit_irt, simulate_responses
>>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses, "2pl")
>>> fit.abilities.columns[:3]
['model', 'theta', 'theta_se']
"""

from hierlab.irt.audit import ItemAudit, audit_items
from hierlab.irt.covariance import ItemCovariance
from hierlab.irt.data import ResponseMatrix, as_response_matrix, responses_from_long
from hierlab.irt.diagnostics import (
    FitComparison,
    InformationCurves,
    compare_fits,
    information_curves,
    reliability,
)
from hierlab.irt.dif import DIFResult, dif
from hierlab.irt.explain import ExplanatoryFit, explain_difficulty
from hierlab.irt.fit import fit_irt
from hierlab.irt.fitted import IRTFit, ability_intervals, plausible_values
from hierlab.irt.globalfit import GlobalFit, global_fit
from hierlab.irt.itemfit import ItemFit, item_fit
from hierlab.irt.kernels import Prior
from hierlab.irt.localdep import LocalDependence, local_dependence
from hierlab.irt.models import (
    expected_score,
    gpcm_category_probabilities,
    gpcm_information,
    grm_category_probabilities,
    grm_information,
    item_information,
    response_probability,
)
from hierlab.irt.personfit import PersonFit, person_fit
from hierlab.irt.profiles import TopicProfiles, topic_profiles, topics_from_tree
from hierlab.irt.scoring import estimate_abilities, score
from hierlab.irt.simulate import Simulation, simulate_responses
from hierlab.irt.subsets import estimate_from_subset, evaluate_subsets, select_items

__all__ = [
    "DIFResult",
    "ExplanatoryFit",
    "FitComparison",
    "GlobalFit",
    "IRTFit",
    "InformationCurves",
    "ItemAudit",
    "ItemCovariance",
    "ItemFit",
    "LocalDependence",
    "PersonFit",
    "Prior",
    "ResponseMatrix",
    "Simulation",
    "TopicProfiles",
    "ability_intervals",
    "as_response_matrix",
    "audit_items",
    "compare_fits",
    "dif",
    "estimate_abilities",
    "estimate_from_subset",
    "evaluate_subsets",
    "expected_score",
    "explain_difficulty",
    "fit_irt",
    "global_fit",
    "gpcm_category_probabilities",
    "gpcm_information",
    "grm_category_probabilities",
    "grm_information",
    "information_curves",
    "item_fit",
    "item_information",
    "local_dependence",
    "person_fit",
    "plausible_values",
    "reliability",
    "response_probability",
    "responses_from_long",
    "score",
    "select_items",
    "simulate_responses",
    "topic_profiles",
    "topics_from_tree",
]
