"""The `tf.distribute` strategy of a run (`RunConfig.strategy`, `RunConfig.replicas`), and its chief.

- "none": no strategy; the single-process path of `training.step`.
- "mirrored": one process, R replicas: the first R local GPUs when there are any (R = `replicas`, unset:
  all of them), otherwise R logical CPU devices (unset: 2). Logical CPU devices can only be configured
  before TensorFlow starts, so `create` must come before any TensorFlow op of the process.
- "multi_worker": `MultiWorkerMirroredStrategy`, one replica per worker (its CPU, or each of its GPUs).
  The cluster and this process's task come from the TF_CONFIG environment variable (the convention of
  Kubernetes' TFJob and of cloud launchers; `experiments.launch_local` sets it for local processes). The
  chief is the task of type "chief", or worker 0 when there is none. Collectives time out after
  COLLECTIVE_TIMEOUT_SECONDS and the workers check each other every HEALTH_CHECK_SECONDS, so a worker
  whose peer died fails with an error instead of hanging.

Strategies are created once per process and reused (TensorFlow's collectives are configured once), by
`create`, which `training.run` calls first thing; `training.validate` only calls `check`.
"""

import json
import os

STRATEGIES = ("none", "mirrored", "multi_worker")
DEFAULT_CPU_REPLICAS = 2
COLLECTIVE_TIMEOUT_SECONDS = 300

_created = {}


def check(config):
    """Raises ValueError, naming the value and the rule, for a bad strategy or replicas setting, or for
    multi_worker without a usable TF_CONFIG. Touches no TensorFlow device."""
    if config.strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {config.strategy!r}")
    replicas = config.replicas
    if replicas is not None:
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
            raise ValueError(f"replicas must be an integer >= 1, got {replicas!r}")
        if config.strategy != "mirrored":
            raise ValueError(f"replicas is for strategy=mirrored (multi_worker runs one replica per worker "
                             f"device), got strategy={config.strategy!r}, replicas={replicas}")
        honest = config.n - config.f if isinstance(config.n, int) and isinstance(config.f, int) else None
        if honest is not None and honest >= 1 and replicas > honest:
            raise ValueError(f"replicas must be at most the {honest} honest workers that compute gradients "
                             f"(n - f), got replicas={replicas}")
    if config.strategy == "multi_worker":
        cluster_task()


def cluster_task():
    """(cluster {job: [addresses]}, task type, task index) from TF_CONFIG; ValueError when unusable."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError("strategy=multi_worker reads the cluster from the TF_CONFIG environment variable, "
                         "which is not set (experiments.launch_local sets it for local processes)")
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec["task"]
        task_type, index = task["type"], int(task["index"])
        if not isinstance(cluster.get(task_type), list) or not 0 <= index < len(cluster[task_type]):
            raise ValueError(f"task {task_type}:{index} is not in the cluster")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"TF_CONFIG must be JSON with cluster {{job: [host:port, ...]}} and task "
                         f"{{type, index}} of this process, got {text!r} ({error})") from None
    return cluster, task_type, index


def _mirrored_devices(replicas):
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        count = replicas or len(gpus)
        if count > len(gpus):
            raise ValueError(f"replicas={count} but this machine has {len(gpus)} GPU(s)")
        return [f"/gpu:{i}" for i in range(count)]
    count = replicas or DEFAULT_CPU_REPLICAS
    configure_cpu_devices(count)
    return [f"/cpu:{i}" for i in range(count)]


def configure_cpu_devices(count):
    """Splits the CPU into `count` logical devices; RuntimeError when TensorFlow already started with
    another number."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == count:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        raise RuntimeError(f"strategy=mirrored over {count} CPU devices: logical devices must be configured "
                           f"before TensorFlow starts, and this process already runs with "
                           f"{len(tf.config.list_logical_devices('CPU'))}; create the strategy "
                           f"(training.strategies.create) before anything runs TensorFlow, training.validate "
                           f"included, or train in a fresh process") from None


def _multi_worker():
    import tensorflow as tf

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=COLLECTIVE_TIMEOUT_SECONDS)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def create(config):
    """The strategy of `config` (None for "none"), created on first use in this process (after `check`:
    ValueError for bad settings). Call it before TensorFlow starts (before `training.validate`, whose
    scratch graph starts it) in a process that trains with a strategy; `training.run` does."""
    check(config)
    if config.strategy == "none":
        return None
    key = (config.strategy, config.replicas)
    if key not in _created:
        if _created:
            raise RuntimeError(f"this process already uses strategy {next(iter(_created))}; "
                               f"train with {key} in a fresh process")
        import tensorflow as tf

        if config.strategy == "mirrored":
            _created[key] = tf.distribute.MirroredStrategy(_mirrored_devices(config.replicas))
        else:
            cluster_task()
            _created[key] = _multi_worker()
    return _created[key]


def is_chief(strategy):
    """Whether this process writes the run's files: always, except on a multi-worker cluster's
    non-chief workers."""
    return strategy is None or bool(strategy.extended.should_checkpoint)
