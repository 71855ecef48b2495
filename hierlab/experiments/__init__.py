"""Live experiments with real models: consumers of the library, like the notebooks.

:func:`minilm_geolocation` places GeoNames cities in the world tree with the MiniLM
sentence model (the ``embed`` extra), giving real hierarchical predictions whose regional
bias and depth degradation are measured rather than planted.

Examples
--------
>>> from hierlab.experiments import GeolocationExperiment
>>> GeolocationExperiment.__name__
'GeolocationExperiment'
"""

from hierlab.experiments.geolocation import GeolocationExperiment, minilm_geolocation

__all__ = ["GeolocationExperiment", "minilm_geolocation"]
