"""A few short MNIST runs whose metrics must not move when code is reorganised (`metrics.json`)."""

import math

# name -> RunConfig fields (besides the shared ones below)
GOLDEN_RUNS = {
    "krum-lp": dict(gar="krum", n=11, f=2, attack="lp"),
    "bulyan-krum-lp": dict(gar="bulyan-krum", n=11, f=2, attack="lp"),
    "median-alie": dict(gar="median", n=11, f=2, attack="alie"),
    "geomed-linf-norm-inf": dict(gar="geomed", gar_options={"norm": "inf"}, n=11, f=2, attack="linf"),
    "krum-lp-window": dict(gar="krum", n=11, f=2, attack="lp", attack_start=2, attack_stop=4),
    "average": dict(gar="average", n=5, f=0),
}
SHARED = dict(dataset="mnist", batch_size=8, lr0=0.5, lr_decay=100.0, steps=6, eval_every=3,
              eval_examples=300, seed=5, data_source="raw")


def config(name, data_dir, results_dir):
    import training

    return training.RunConfig(**SHARED, **GOLDEN_RUNS[name], data_dir=data_dir, results_dir=results_dir)


def train_all(data_dir, results_dir):
    """{name: {column: [values]}} for every golden run, wall time left out; NaN as None."""
    import training

    out = {}
    for name in GOLDEN_RUNS:
        metrics = training.read_metrics(training.run(config(name, data_dir, results_dir), progress=False))
        out[name] = {column: [None if math.isnan(v) else float(v) for v in values]
                     for column, values in metrics.items() if column != "wall_time"}
    return out
