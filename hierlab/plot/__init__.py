"""Altair charts for hierlab's results, the paper theme, notebook set-up and offline export.

Every chart takes hierlab result objects or tidy polars tables, aggregates before
charting (Altair refuses more than 5,000 rows), has tooltips on every mark and titles in
plain words. :func:`setup_notebook` makes charts render offline in a notebook with the
paper theme and display names for models; :func:`save` writes SVG/PNG/PDF through
vl-convert, sized for a journal column, with the vendored font.
"""

from hierlab.plot.bias import disparity_plot, forest_plot, group_heatmap
from hierlab.plot.depth import deepest_correct_cdf, depth_curves, survival_plot
from hierlab.plot.irt import (
    audit_item_plot,
    audit_plot,
    dif_plot,
    icc_plot,
    information_plot,
    item_fit_plot,
    local_dependence_plot,
    profile_dots,
    profile_heatmap,
    wright_map,
)
from hierlab.plot.leaderboard import leaderboard_plot
from hierlab.plot.maps import choropleth, coverage_map
from hierlab.plot.save import chart_spec, save
from hierlab.plot.setup import (
    check_parameters,
    display_names,
    export_folder,
    set_display_names,
    setup_notebook,
)
from hierlab.plot.taxonomy import edge_comparison_plot
from hierlab.plot.theme import (
    DOUBLE_COLUMN,
    SINGLE_COLUMN,
    enable_theme,
    font_available,
    paper_config,
    register_fonts,
)
from hierlab.plot.trees import dendrogram, icicle, squarify, sunburst, tree_layout, treemap

__all__ = [
    "DOUBLE_COLUMN",
    "SINGLE_COLUMN",
    "audit_item_plot",
    "audit_plot",
    "chart_spec",
    "check_parameters",
    "choropleth",
    "coverage_map",
    "deepest_correct_cdf",
    "dendrogram",
    "depth_curves",
    "dif_plot",
    "disparity_plot",
    "display_names",
    "edge_comparison_plot",
    "enable_theme",
    "export_folder",
    "font_available",
    "forest_plot",
    "group_heatmap",
    "icc_plot",
    "icicle",
    "information_plot",
    "item_fit_plot",
    "leaderboard_plot",
    "local_dependence_plot",
    "paper_config",
    "profile_dots",
    "profile_heatmap",
    "register_fonts",
    "save",
    "set_display_names",
    "setup_notebook",
    "squarify",
    "sunburst",
    "survival_plot",
    "tree_layout",
    "treemap",
    "wright_map",
]
