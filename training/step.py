"""One step of simulated distributed SGD (paper, section 2.1), as one `tf.function`.

sample each worker's mini-batch -> per-worker gradients [h, d] -> (worker momentum) -> the attack's f
submissions -> the rule (or chain) on all n -> x <- x - eta(t) * aggregated (section 5.1's fading rate).

Workers (`training.workers`): the last f of the n are Byzantine. With the "none" attack (`attack.honest`)
or f = 0 all n workers are honest and the attack is never called (Figure 6). With an attack over the whole
run (attack_start = 0, attack_stop = None) only the n - f honest gradients are computed. With a finite
window all n are computed and the last f are replaced by the attack's output only while the window is
active (`tf.cond`), so outside it the Byzantine workers behave honestly. An attack that needs
"flipped_gradients" (labelflip) has all n computed, the last f on flipped labels while it is active.

What the attack sees (`attacks.AttackContext`, what it `needs`): the n - f honest submissions; the
rule's options of the step (a chain's bucketing seed included, `training.pipeline`); its state
("state": variables kept across steps, `training.step_state`); the Byzantine workers' own submissions
on flipped labels ("flipped_gradients").

Worker momentum (`training.momentum`, beta > 0): every worker that computes gradients submits its
momentum, the honest ones and the Byzantine ones that compute gradients (outside a window, or labelflip);
the attack sees the honest momenta. Heterogeneous data (`training.heterogeneity`): each honest worker
samples its own share; the Byzantine workers sample the whole training set.

A non-finite aggregated gradient (say `average` under a NaN attack) is applied as it is (the model then
holds NaN: that is the rule's failure, which the metrics show); the step reports it as `finite = False`
(and non-finite new parameters as `params_finite = False`), and the loop stops the run there unless
`keep_diverged`.

Precision (`config.precision`): "mixed_bfloat16" runs only the workers' forward and backward passes in
bfloat16, through a Keras mixed precision copy of the model (`models.with_precision`) fed the float32
parameters; their gradients come out float32 (`training.gradients`), and everything after them (momentum,
attack, rule, update) and the evaluation (the float32 model) stay float32. "float32" uses the model itself.

The run's numbers the step reads (`RunNumbers`: the seed, eta0 and r_eta) are numbers baked into the traced
step, or variables, so that one traced step serves every run of the same shapes (`training.step_cache`).

One step function (`make_step_body`) for every strategy: only its gradient stage differs, here the h
gradients of this process (`make_worker_gradients`), or their shares over tf.distribute replicas gathered
into the same [h, d] (`training.distributed`).
"""

import dataclasses
import math

import tensorflow as tf

import aggregators
import attacks
import models
from attacks.labelflip import flip_labels
from training import (distributed, dry_run, flat, heterogeneity, momentum, pipeline, sampling, step_state,
                      workers)
from training.gradients import per_worker_gradients
from training.schedule import learning_rate
from training.workers import is_attacked, whole_run_attack

__all__ = ["RunNumbers", "attack_context", "data_shares", "honest_workers", "is_attacked", "logged_names", "make_step_body",
           "make_train_step", "make_worker_gradients", "whole_run_attack"]


@dataclasses.dataclass(frozen=True)
class RunNumbers:
    """The numbers of a run that the step reads and that change none of its shapes: the seed (of the
    mini-batches, the attack's and the rule's keys) and the learning rate's eta0 and r_eta. Python numbers
    (constants of the traced step) or variables (int64, float32, float32: `training.step_cache`)."""

    seed: object
    lr0: object
    lr_decay: object

    @classmethod
    def of(cls, config):
        """The numbers of `config`, as Python numbers."""
        return cls(config.seed, config.lr0, config.lr_decay)


def honest_workers(config):
    """How many workers compute real gradients each step (h above; `training.workers.computing_workers`)."""
    return workers.computing_workers(config)


def attack_context(config, t, x, gar_options, state=None, flipped_gradients=None, seed=None):
    """The `attacks.AttackContext` of step `t` at parameters `x`: the rule's options of the step, the
    attack's seed of the step (from the run's `seed`; None: `config.seed`), its state and the Byzantine
    workers' flipped-label submissions."""
    seed = config.seed if seed is None else seed
    return attacks.AttackContext(config.n, config.f, config.gar, dict(gar_options), t, x,
                                 sampling.attack_seed(seed, t), state=dict(state or {}),
                                 flipped_gradients=flipped_gradients)


def data_shares(config, labels, classes):
    """The honest workers' data shares (`training.heterogeneity.Shares`), None for iid data. RunError
    when a worker's share is empty."""
    return heterogeneity.partition(config.heterogeneity, labels, workers.honest_count(config), config.seed,
                                   classes)


def logged_names(config, d):
    """The names the attack reports through `context.log`, found by calling it once on zeros of width
    `d` in a scratch graph (`training.dry_run`: nothing runs); empty without an attack. That dry run also checks the
    attack's options: ValueError naming the attack when they are bad. The result is cached by the
    settings the attack sees (attack, its options, n, f, rule, rule options) and d, so that
    `training.validate` and the run's training step share one dry run."""
    if not is_attacked(config):
        return []
    attack = attacks.get(config.attack)
    names = []

    def attack_on_zeros():
        t = tf.constant(0, tf.int64)
        context = attack_context(
            config, t, tf.zeros([d]), pipeline.options_at(config, t), step_state.zeros_like_attack_state(config, d),
            tf.zeros([config.f, d]) if workers.needs(config, "flipped_gradients") else None)
        try:
            attack(tf.zeros([config.n - config.f, d]), context, **config.attack_options)
        except TypeError as error:
            raise ValueError(f"attack {config.attack}: bad attack_options {config.attack_options}: "
                             f"{error}") from None
        names.extend(context.logged)

    def traced_names():
        dry_run.trace(attack_on_zeros)
        return tuple(names)

    settings = ("attack", config.attack, repr(sorted(config.attack_options.items())), config.n, config.f,
                config.gar, repr(sorted(config.gar_options.items())), d)
    return list(dry_run.once(settings, attack, traced_names))


def make_worker_gradients(config, model, dataset, method, shares=None, seed=None):
    """`(t, x, workers, first=0) -> (gradients [workers, d], losses [workers])`: the gradients of workers
    first, ..., first + workers - 1 at step t and parameters x, on their mini-batches (`training.sampling`:
    a worker's batch depends on (seed, t, worker) only; from its share in `shares`, the honest workers'
    `training.heterogeneity.Shares`, when not None). `first` may be a tensor. When the attack needs
    "flipped_gradients", workers n - f, ..., n - 1 compute on flipped labels (`attacks.labelflip`) while
    the attack is active. The passes compute in `config.precision` (`models.with_precision`); the
    gradients are float32. `seed`: the run's seed, a number or a tensor (None: `config.seed`)."""
    seed = config.seed if seed is None else seed
    shapes = [v.shape for v in model.trainable_variables]
    compute_model = models.with_precision(model, config.precision)
    train_images = tf.convert_to_tensor(dataset.train_images)
    train_labels = tf.convert_to_tensor(dataset.train_labels)
    population = int(dataset.train_images.shape[0])
    flips = workers.needs(config, "flipped_gradients")
    classes = int(model.output_shape[-1])

    def worker_gradients(t, x, count, first=0):
        if shares is None:
            indices = sampling.sample_indices(seed, t, count, config.batch_size, population, first)
        else:
            indices = sampling.sample_share_indices(seed, t, count, config.batch_size, population, shares, first)
        images = dataset.normalise(tf.gather(train_images, indices))
        labels = tf.gather(train_labels, indices)
        if flips:
            byzantine = tf.range(count) + tf.cast(first, tf.int32) >= config.n - config.f
            flipped = tf.logical_and(byzantine, attacks.active(t, config.attack_start, config.attack_stop))
            labels = tf.where(flipped[:, None], flip_labels(labels, classes), labels)
        return per_worker_gradients(compute_model, flat.unflatten(x, shapes), images, labels, config.l2, method)

    return worker_gradients


def make_step_body(config, params, step, names, gradient_stage, agree=None, state=None, numbers=None):
    """The step `() -> dict of scalar tensors`, one for every strategy: `gradient_stage(t, x)` gives the
    gradients [h, d] and losses [h] of the workers that compute; then the worker momentum, the attack,
    the rule and the update. `agree(update)` (None: the identity) makes every replica apply the same
    update (`training.distributed`). `state`: the `training.step_state.StepState` (momenta, attack state;
    None: none, which only a run without momentum nor attack state may have). `numbers`: the
    `RunNumbers` the step reads (None: `config`'s, as constants)."""
    n, f = config.n, config.f
    numbers = numbers if numbers is not None else RunNumbers.of(config)
    d = int(params.shape[0])
    attack = attacks.get(config.attack)
    state = state if state is not None else step_state.StepState()
    if momentum.enabled(config) != (state.momenta is not None):
        raise ValueError(f"momentum={config.momentum} needs the momenta of training.step_state.create")
    state_names = sorted(state.attack)
    if state_names != sorted(step_state.attack_state_spec(config, d)):
        raise ValueError(f"attack {config.attack} needs the state of training.step_state.create")
    flipped = workers.needs(config, "flipped_gradients")
    loss_workers = n if not is_attacked(config) else n - f  # train_loss: mean over the honest workers

    def train_step():
        t = step.read_value()
        x = params.read_value()
        lr = learning_rate(numbers.lr0, numbers.lr_decay, t)
        gradients, losses = gradient_stage(t, x)
        if state.momenta is not None:  # the workers submit their momenta
            gradients = momentum.accumulate(state.momenta, gradients, config.momentum, config.momentum_dampening)
        gar_options = pipeline.options_at(config, t, numbers.seed)
        logged = []
        if is_attacked(config):
            honest = gradients[:n - f]
            before = [state.attack[name].read_value() for name in state_names]

            def with_attack():
                context = attack_context(config, t, x, gar_options, dict(zip(state_names, before)),
                                         gradients[n - f:] if flipped else None, numbers.seed)
                byzantine = attack(honest, context, **config.attack_options)
                byzantine = tf.ensure_shape(tf.cast(byzantine, gradients.dtype), [f, d])
                after = [context.new_state.get(name, value) for name, value in zip(state_names, before)]
                return tf.concat([honest, byzantine], axis=0), [context.logged[k] for k in names], after

            def without_attack():
                return gradients, [tf.constant(math.nan, tf.float32) for _ in names], before

            if whole_run_attack(config):
                gradients, logged, after = with_attack()
            else:
                gradients, logged, after = tf.cond(attacks.active(t, config.attack_start, config.attack_stop),
                                                   with_attack, without_attack)
            for name, value in zip(state_names, after):
                state.attack[name].assign(value)
        aggregated = aggregators.aggregate(config.gar, gradients, f, **gar_options)
        update = lr * tf.cast(aggregated, params.dtype)
        if agree is not None:
            update = agree(update)
        params.assign_sub(update)
        step.assign_add(1)
        out = {"lr": lr, "train_loss": tf.reduce_mean(losses[:loss_workers]),
               "finite": tf.reduce_all(tf.math.is_finite(aggregated)),
               "params_finite": tf.reduce_all(tf.math.is_finite(x - update))}
        out.update(zip(names, logged))
        return out

    return train_step


def make_train_step(config, model, dataset, params, step, method, strategy=None, state=None, shares=None,
                    numbers=None):
    """The step function `() -> dict of scalar tensors`: lr, train_loss, finite (the aggregated gradient
    is), params_finite (the updated parameters are), then the attack's logged values (NaN outside the
    attack window). Updates `params` ([d] variable), `step` and `state`.
    `strategy`: None computes the h gradients here; a `tf.distribute.Strategy` shares them over its
    replicas (`training.distributed`, which must also have created `params`, `step` and `state`).
    `state`: the `training.step_state.StepState` (None: created here, unsaved). `shares`: the honest
    workers' data (`data_shares`; None: computed here). `numbers`: the `RunNumbers` the step reads (None:
    `config`'s, as constants)."""
    numbers = numbers if numbers is not None else RunNumbers.of(config)
    h = honest_workers(config)
    d = int(params.shape[0])
    names = logged_names(config, d)
    if state is None:
        state = step_state.create(config, d, strategy)
    if shares is None:
        shares = data_shares(config, dataset.train_labels, int(model.output_shape[-1]))
    worker_gradients = make_worker_gradients(config, model, dataset, method, shares, numbers.seed)
    if strategy is None:
        body = make_step_body(config, params, step, names, lambda t, x: worker_gradients(t, x, h), state=state,
                              numbers=numbers)
        return tf.function(body), names
    stage = distributed.ShardedGradients(strategy, worker_gradients, h)
    body = make_step_body(config, params, step, names, stage.gradients, stage.agree, state, numbers)
    return distributed.replicated_step(strategy, body), names
