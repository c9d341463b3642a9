"""Line styles of the paper's curves, by curve id (`experiments.paper.settings`: "average", "krum",
"geomed", "brute", "bulyan-krum"), close to the paper's plots. A curve's label is never read here."""

STYLES = {
    "average": dict(color="black", linestyle="-"),
    "krum": dict(color="tab:red", linestyle="-"),
    "geomed": dict(color="tab:blue", linestyle="--"),
    "brute": dict(color="tab:green", linestyle="-."),
    "bulyan-krum": dict(color="tab:purple", linestyle="-"),
}


def style(curve_id):
    """The line style of curve `curve_id` ({} for a curve without one: matplotlib's defaults)."""
    return dict(STYLES.get(curve_id, {}))


def colour(curve_id, default="gray"):
    """The colour of curve `curve_id`."""
    return STYLES.get(curve_id, {}).get("color", default)
