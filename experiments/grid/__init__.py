"""The robustness grid (`python -m experiments.grid`): the paper's rules and attacks (El Mhamdi, Guerraoui,
Rouault, ICML 2018) beside today's, every rule under every attack, on i.i.d. and heterogeneous data.

    settings  the rows (rules, chains, momentum), columns (attacks) and data splits, with their ids
    presets   paper / quick / micro: which cells, and the runs' settings (Figure 4's for paper)
    cells     a cell = (row, column, split, seed) -> one RunConfig; the fixed order and --shard=i/k
    table     the results: median [min, max] per cell, factors, diverged runs, worst cases,
              the heatmap's data and grid.md
    findings  the numbers the findings need, as generated tables
    report    <out_dir>/README.md
    record    <out_dir>/cells.csv: every finished cell's numbers; a recorded cell is not trained again
    command   the flags, training (`training.run_queue`) and the report

Sharing one grid over k machines, or a job array, on a shared results folder: give every shard the same
flags but --shard, then merge once all are done. With Slurm:

    #!/bin/bash
    #SBATCH --array=0-7 --cpus-per-task=2 --time=04:00:00
    cd ~/bulyan-tf && . .venv/bin/activate
    python -m experiments.grid --preset=paper --shard=${SLURM_ARRAY_TASK_ID}/8 --data_dir=../shared/data

    # afterwards (or: sbatch --dependency=afterok:<array job id> with this line)
    python -m experiments.grid --preset=paper --plot_only

A Kubernetes indexed Job does the same with --shard=$(JOB_COMPLETION_INDEX)/<completions>.
"""
