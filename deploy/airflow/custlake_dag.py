"""custlake as an Airflow 2 DAG: one KubernetesPodOperator task per shard, then one link step.

Shard task K exports the sources that hash to shard K of 4 into the same Delta Lake output (the
table format arbitrates the concurrent commits); the link step runs once, after every shard
succeeded, over the whole output. The pods use the image from deploy/Dockerfile, the ConfigMap
``custlake-config`` and the Secret ``custlake-secrets`` from deploy/kubernetes/indexed-job.yaml
(apply those two first, or create them your way).

Needs apache-airflow >= 2.4 and apache-airflow-providers-cncf-kubernetes >= 7.
"""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.secret import Secret
from kubernetes.client import models as k8s

IMAGE = "registry.example.com/custlake:0.1.0"
NAMESPACE = "custlake"

# N, the number of shards: the "/4" in EXPORT must say the same.
SHARDS = 4
# "{k}" becomes the shard index of each task.
EXPORT = ["custlake", "export", "--config", "/etc/custlake/custlake.toml", "--format", "delta", "--shard", "{k}/4", "--no-progress", "--log-format", "json"]
LINK = ["custlake", "link", "--config", "/etc/custlake/custlake.toml", "--no-progress", "--log-format", "json"]

# Every key of the Secret becomes an environment variable (vendor secrets, AWS keys).
SECRETS = [Secret("env", None, "custlake-secrets")]
ENV = {"AWS_REGION": "eu-central-1", "TMPDIR": "/tmp"}
VOLUMES = [
    k8s.V1Volume(name="config", config_map=k8s.V1ConfigMapVolumeSource(name="custlake-config")),
    k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="4Gi")),
]
VOLUME_MOUNTS = [
    k8s.V1VolumeMount(name="config", mount_path="/etc/custlake", read_only=True),
    k8s.V1VolumeMount(name="tmp", mount_path="/tmp"),
]
RESOURCES = k8s.V1ResourceRequirements(
    requests={"cpu": "500m", "memory": "512Mi"}, limits={"memory": "2Gi"}
)
POD_SECURITY = k8s.V1PodSecurityContext(run_as_non_root=True, run_as_user=10001, run_as_group=10001)
CONTAINER_SECURITY = k8s.V1SecurityContext(
    allow_privilege_escalation=False,
    read_only_root_filesystem=True,
    capabilities=k8s.V1Capabilities(drop=["ALL"]),
)


def custlake_pod(task_id, command):
    """A pod running one custlake command line (the first item is the binary)."""
    return KubernetesPodOperator(
        task_id=task_id,
        name=task_id.replace("_", "-"),
        namespace=NAMESPACE,
        image=IMAGE,
        cmds=command[:1],
        arguments=command[1:],
        env_vars=ENV,
        secrets=SECRETS,
        volumes=VOLUMES,
        volume_mounts=VOLUME_MOUNTS,
        container_resources=RESOURCES,
        security_context=POD_SECURITY,
        container_security_context=CONTAINER_SECURITY,
        get_logs=True,
        on_finish_action="delete_pod",
    )


with DAG(
    dag_id="custlake_export",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    # Two runs never write at once: the next one waits for this one's link step.
    max_active_runs=1,
    # A failed shard is retried on its own; custlake already retries requests and Delta
    # commit conflicts within one attempt. Exit code 2 (usage or config) fails the same way
    # again, so look at the log before clearing the task.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["custlake"],
) as dag:
    shards = [
        custlake_pod(f"export_shard_{k}", [arg.format(k=k) for arg in EXPORT])
        for k in range(SHARDS)
    ]
    link = custlake_pod("link", LINK)
    shards >> link
