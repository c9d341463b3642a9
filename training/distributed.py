"""The gradient stage sharded over the replicas of a `tf.distribute` strategy (devices, processes, hosts).

The simulation of section 2.1 is unchanged; only where the honest gradients are computed differs. With R
replicas (`strategy.num_replicas_in_sync`) and h honest workers, replica r computes the gradients of
workers r * s, ..., r * s + s - 1, s = ceil(h / R), with the same sampling keys (seed, step, worker) as
the single-process run, so on the same data. `ReplicaContext.all_gather` collects them in replica order
into [R * s, d] on every replica; the padding rows (workers h, ..., R * s - 1, when R does not divide h)
are computed and dropped, which costs at most R - 1 extra gradients per step. Then every replica runs the
attack, the rule and the update of `training.step.make_step_body` on the same [h, d].

The worker momenta and an attack's state (`training.step_state`) are kept whole, [workers, d], on every
replica, and updated there after the gather like the parameters. Sharding the momenta like the gradients
(replica r keeping rows r * s, ...) would save memory but not simply: a checkpoint must hold the whole
matrix so that a run can resume on another number of replicas (or none), which per-replica variables do
not save (tf.distribute saves one aggregated value of them); and every replica already holds the gathered
[h, d] gradients, so the replicated momenta at most double that.

The parameters stay bitwise identical on every replica: `params` and `step` are mirrored variables with
ONLY_FIRST_REPLICA aggregation, so the update of a process's first replica is copied to its other
devices (MEAN would average the replicas' updates, which rounds). Across processes that aggregation only
covers the local devices, so with several workers the update of the global replica 0 is also broadcast
(`agree`), as an all-reduce sum where the other replicas contribute -0.0 (x + -0.0 == x for every float,
-0.0 and infinities included). After a restore, `sync_from_chief` copies the chief's variables the same
way, so a worker that cannot see the checkpoint still starts from the chief's state.
"""

import tensorflow as tf

ONLY_FIRST = tf.VariableAggregation.ONLY_FIRST_REPLICA


def create_variables(strategy, initial_params):
    """(params [d] float, step int64 scalar): plain variables for `strategy` None, else mirrored ones."""
    if strategy is None:
        return tf.Variable(initial_params, name="params"), tf.Variable(0, dtype=tf.int64, name="step")
    with strategy.scope():
        return (tf.Variable(initial_params, name="params", aggregation=ONLY_FIRST),
                tf.Variable(0, dtype=tf.int64, name="step", aggregation=ONLY_FIRST))


def create_state(strategy, initial, name):
    """A variable of training state beside the parameters (worker momenta, an attack's state), holding
    `initial`: plain for `strategy` None, else mirrored with ONLY_FIRST_REPLICA aggregation like `params`.
    Every replica computes the same new value from the same gathered inputs (the momenta are updated after
    `all_gather`, like the parameters), so the replicas' copies stay bitwise equal."""
    if strategy is None:
        return tf.Variable(initial, name=name)
    with strategy.scope():
        return tf.Variable(initial, name=name, aggregation=ONLY_FIRST)


def several_processes(strategy):
    """Whether the replicas of `strategy` span more than one process (a multi-worker cluster)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return sum(len(tasks) if isinstance(tasks, list) else len(tasks.keys()) for tasks in cluster.values()) > 1


def from_first_replica(value):
    """In a replica context: replica 0's `value`, bit for bit, on every replica (sum of it and -0.0s)."""
    context = tf.distribute.get_replica_context()
    neutral = tf.constant(-0.0 if value.dtype.is_floating else 0, value.dtype)
    first = tf.equal(context.replica_id_in_sync_group, 0)
    return context.all_reduce(tf.distribute.ReduceOp.SUM, tf.where(first, value, neutral))


class ShardedGradients:
    """The gradient stage `gradients(t, x) -> ([h, d], [h])` of `make_step_body` over `strategy`'s
    replicas, and its `agree(update)`. `worker_gradients` is `training.step.make_worker_gradients`'s."""

    def __init__(self, strategy, worker_gradients, workers):
        self.replicas = strategy.num_replicas_in_sync
        self.workers = workers
        self.share = -(-workers // self.replicas)  # ceil
        self.worker_gradients = worker_gradients
        self.broadcast = several_processes(strategy)

    def gradients(self, t, x):
        context = tf.distribute.get_replica_context()
        first = tf.cast(context.replica_id_in_sync_group, tf.int32) * self.share
        gradients, losses = self.worker_gradients(t, x, self.share, first)
        rows = self.share * self.replicas
        gradients = tf.ensure_shape(context.all_gather(gradients, axis=0), [rows, int(x.shape[0])])
        losses = tf.ensure_shape(context.all_gather(losses, axis=0), [rows])
        if rows > self.workers:  # drop the padding rows
            gradients, losses = gradients[:self.workers], losses[:self.workers]
        return gradients, losses

    def agree(self, update):
        return from_first_replica(update) if self.broadcast else update


def replicated_step(strategy, body):
    """`body` run on every replica as one `tf.function`; returns the first local replica's outputs."""

    @tf.function
    def train_step():
        return strategy.experimental_local_results(strategy.run(body))[0]

    return train_step


def sync_from_chief(strategy, variables):
    """Sets `variables` (created by `create_variables`) to the values of replica 0 on every replica.
    Nothing to do without a strategy or within one process (mirrored variables already agree there)."""
    if strategy is None or not several_processes(strategy):
        return

    @tf.function
    def sync():
        def assign():
            for variable in variables:
                variable.assign(from_first_replica(variable.read_value()))
        strategy.run(assign)

    sync()
