"""The leeway study (paper, section 3 and appendix B; Bulyan, section 4): how far the attack may push,
gamma_m, against d and f, and how far Bulyan's output moves. `python -m experiments.leeway`.

    command    the command: flags, measure or reload, then plots and tables
    presets    tiny / quick / full
    data       the honest gradients: synthetic Gaussian and MNIST MLP ones
    measure    gamma_m and Bulyan's displacement, through the project's attack code
    study      every measurement of a preset, as plain data
    theory     appendix B's closed forms, the measured-distance model, slope fits
    claims     slopes beside theory (whole sweep and its upper half), the paper's claims, the markdown tables
    stage      Bulyan's coordinate-wise stage on one coordinate: the median, the kept window (section 4)
    bulyan_claims  section 4's median sentence, Proposition 2's proof step and its O(sigma / sqrt(d))
    plot_data  the values the plots draw (plots/leeway_plot.py)
"""
