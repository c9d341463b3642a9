"""One step of simulated distributed SGD (paper, section 2.1), as one `tf.function`.

sample each honest worker's mini-batch -> per-worker gradients [h, d] -> the attack's f gradients
-> the rule on all n -> x <- x - eta(t) * aggregated (section 5.1's fading rate).

Workers: the last f of the n are Byzantine. With the "none" attack (`attack.honest`) or f = 0 all n
workers are honest and the attack is never called (Figure 6). With an attack over the whole run
(attack_start = 0, attack_stop = None) only the n - f honest gradients are computed. With a finite window
all n are computed and the last f are replaced by the attack's output only while the window is active
(`tf.cond`), so outside it the Byzantine workers behave honestly. The attack sees only the n - f honest
gradients.

A non-finite aggregated gradient (say `average` under a NaN attack) is applied as it is (the model then
holds NaN: that is the rule's failure, which the metrics show); the step reports it as `finite = False`
(and non-finite new parameters as `params_finite = False`), and the loop stops the run there unless
`keep_diverged`.

One step function (`make_step_body`) for every strategy: only its gradient stage differs, here the h
gradients of this process (`make_worker_gradients`), or their shares over tf.distribute replicas gathered
into the same [h, d] (`training.distributed`).
"""

import math

import tensorflow as tf

import aggregators
import attacks
from training import distributed, flat, sampling
from training.gradients import per_worker_gradients
from training.schedule import learning_rate


def is_attacked(config):
    """Whether Byzantine gradients replace the last f workers' at some step."""
    return config.f > 0 and not getattr(attacks.get(config.attack), "honest", False)


def whole_run_attack(config):
    return config.attack_start == 0 and config.attack_stop is None


def honest_workers(config):
    """How many workers compute real gradients each step (h above)."""
    if is_attacked(config) and whole_run_attack(config):
        return config.n - config.f
    return config.n


# (settings of the attack's dry run) -> (the attack object, its logged names); the last runs' only.
_LOGGED_NAMES = {}
_LOGGED_NAMES_KEPT = 32


def logged_names(config, d):
    """The names the attack reports through `context.log`, found by calling it once on zeros of width
    `d` in a scratch graph (nothing runs); empty without an attack. That dry run also checks the
    attack's options: ValueError naming the attack when they are bad. The result is cached by the
    settings the attack sees (attack, its options, n, f, rule, rule options) and d, so that
    `training.validate` and the run's training step share one dry run."""
    if not is_attacked(config):
        return []
    attack = attacks.get(config.attack)
    key = (config.attack, repr(sorted(config.attack_options.items())), config.n, config.f, config.gar,
           repr(sorted(config.gar_options.items())), d)
    cached = _LOGGED_NAMES.get(key)
    if cached is not None and cached[0] is attack:
        return list(cached[1])
    with tf.Graph().as_default():
        context = attacks.AttackContext(config.n, config.f, config.gar, dict(config.gar_options),
                                        tf.constant(0, tf.int64), tf.zeros([d]), tf.zeros([2], tf.int32))
        try:
            attack(tf.zeros([config.n - config.f, d]), context, **config.attack_options)
        except TypeError as error:
            raise ValueError(f"attack {config.attack}: bad attack_options {config.attack_options}: "
                             f"{error}") from None
        names = list(context.logged)
    if len(_LOGGED_NAMES) >= _LOGGED_NAMES_KEPT:
        del _LOGGED_NAMES[next(iter(_LOGGED_NAMES))]
    _LOGGED_NAMES[key] = (attack, names)
    return list(names)


def make_worker_gradients(config, model, dataset, method):
    """`(t, x, workers, first=0) -> (gradients [workers, d], losses [workers])`: the gradients of workers
    first, ..., first + workers - 1 at step t and parameters x, on their mini-batches (`training.sampling`:
    a worker's batch depends on (seed, t, worker) only). `first` may be a tensor."""
    shapes = [v.shape for v in model.trainable_variables]
    train_images = tf.convert_to_tensor(dataset.train_images)
    train_labels = tf.convert_to_tensor(dataset.train_labels)
    population = int(dataset.train_images.shape[0])

    def worker_gradients(t, x, workers, first=0):
        indices = sampling.sample_indices(config.seed, t, workers, config.batch_size, population, first)
        images = dataset.normalise(tf.gather(train_images, indices))
        labels = tf.gather(train_labels, indices)
        return per_worker_gradients(model, flat.unflatten(x, shapes), images, labels, config.l2, method)

    return worker_gradients


def make_step_body(config, params, step, names, gradient_stage, agree=None):
    """The step `() -> dict of scalar tensors`, one for every strategy: `gradient_stage(t, x)` gives the
    honest gradients [h, d] and losses [h]; then the attack, the rule and the update. `agree(update)`
    (None: the identity) makes every replica apply the same update (`training.distributed`)."""
    n, f = config.n, config.f
    d = int(params.shape[0])
    attack = attacks.get(config.attack)
    loss_workers = n if not is_attacked(config) else n - f  # train_loss: mean over the honest workers

    def train_step():
        t = step.read_value()
        x = params.read_value()
        lr = learning_rate(config.lr0, config.lr_decay, t)
        gradients, losses = gradient_stage(t, x)
        logged = []
        if is_attacked(config):
            honest = gradients[:n - f]

            def with_attack():
                context = attacks.AttackContext(n, f, config.gar, dict(config.gar_options), t, x,
                                                sampling.attack_seed(config.seed, t))
                byzantine = attack(honest, context, **config.attack_options)
                byzantine = tf.ensure_shape(tf.cast(byzantine, gradients.dtype), [f, d])
                return tf.concat([honest, byzantine], axis=0), [context.logged[k] for k in names]

            def without_attack():
                return gradients, [tf.constant(math.nan, tf.float32) for _ in names]

            if whole_run_attack(config):
                gradients, logged = with_attack()
            else:
                gradients, logged = tf.cond(attacks.active(t, config.attack_start, config.attack_stop),
                                            with_attack, without_attack)
        aggregated = aggregators.aggregate(config.gar, gradients, f, **config.gar_options)
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


def make_train_step(config, model, dataset, params, step, method, strategy=None):
    """The step function `() -> dict of scalar tensors`: lr, train_loss, finite (the aggregated gradient
    is), params_finite (the updated parameters are), then the attack's logged values (NaN outside the
    attack window). Updates `params` ([d] variable) and `step`.
    `strategy`: None computes the h gradients here; a `tf.distribute.Strategy` shares them over its
    replicas (`training.distributed`, which must also have created `params` and `step`)."""
    h = honest_workers(config)
    names = logged_names(config, int(params.shape[0]))
    worker_gradients = make_worker_gradients(config, model, dataset, method)
    if strategy is None:
        body = make_step_body(config, params, step, names, lambda t, x: worker_gradients(t, x, h))
        return tf.function(body), names
    stage = distributed.ShardedGradients(strategy, worker_gradients, h)
    body = make_step_body(config, params, step, names, stage.gradients, stage.agree)
    return distributed.replicated_step(strategy, body), names
