"""The commands users type, one thin module each, and the studies they run, one package each.

Commands: `python -m experiments.run` (one run), `experiments.launch_local` (a run over local
processes), `experiments.figure2` ... `figure8`, `experiments.reproduce`, `experiments.figure2_seeds`,
`experiments.figure3_ablation`, `experiments.leeway`. Every command defines its flags on its own absl
FlagValues and starts with `training.command_line.run(main, FLAGS, __doc__)`.

Studies: `experiments.paper` (the paper's figures, their claims and the studies around them) and
`experiments.leeway` (appendix B's leeway); a new study gets a package of its own beside them.
"""
