"""The paper's Figures 2 to 8 (section 5.2, appendix C.1) and the studies around them.

    settings          every setting of every figure (panels and curves, with ids and display labels)
    presets           paper / quick / micro: how settings become runs
    claims            the paper's stated results and their checks
    figure_runs       a figure's runs: planned, trained, their status
    render            one figure's plot and claims table from the runs on disk
    figure_command    `python -m experiments.figureN` and the figure flags every figure command shares
    reproduce         every figure, then the report (`python -m experiments.reproduce`)
    figure2_seeds     Figure 2 over many seeds: what decides a run's outcome
    figure3_ablation  Figure 3's attack on other coordinates and sizes
    mlp_state         the state of an MNIST MLP's parameters (figure2_seeds)
    rank_stats        Spearman's rho and the best threshold split (figure2_seeds)
"""
