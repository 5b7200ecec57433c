"""The pods the cnf DAGs run: our worker image running the `cnf` CLI. Shared by the DAG files of this folder.

A run's pod only starts the Temporal workflow and waits for it (`cnf run --wait`): the work, training included, runs
on the cnf worker Deployments, so these pods need neither a GPU nor object-storage credentials. The model-card pod
reads the published version from object storage, so it gets the `cnf-s3` Secret, as the workers do.
"""
from datetime import timedelta

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

IMAGE = "ghcr.io/cnf/cnf-worker:0.1.0"
NAMESPACE = "cnf"
CONFIG = [k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="cnf-config"))]
S3_CREDENTIALS = [
    k8s.V1EnvVar(name=var, value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name="cnf-s3", key=key)))
    for var, key in (("CNF_S3_ACCESS_KEY", "accessKey"), ("CNF_S3_SECRET_KEY", "secretKey"))
]
SMALL = k8s.V1ResourceRequirements(requests={"cpu": "100m", "memory": "512Mi"}, limits={"memory": "1Gi"})


def run_pipeline(task_id, workflow_id, pipeline_input):
    """Starts one pipeline run (or attaches to the run with that workflow id) and waits for it; its result
    (name, version, model URI, metrics) becomes the task's XCom."""
    return KubernetesPodOperator(
        task_id=task_id,
        name="cnf-" + task_id.replace("_", "-"),
        namespace=NAMESPACE,
        image=IMAGE,
        arguments=["run", "--wait", "--json", "--workflow-id", workflow_id, "--input", pipeline_input,
                   "--result-file", "/airflow/xcom/return.json"],
        env_from=CONFIG,
        container_resources=SMALL,
        get_logs=True,
        do_xcom_push=True,
        execution_timeout=timedelta(days=3),
        retries=0,  # Temporal retries the stages; re-running this task would only attach to the same workflow id
    )


def model_card(task_id, run_task_id):
    """Prints the model card and metrics of the version the run published, in the task's log."""
    result = "ti.xcom_pull(task_ids='%s')" % run_task_id
    return KubernetesPodOperator(
        task_id=task_id,
        name="cnf-" + task_id.replace("_", "-"),
        namespace=NAMESPACE,
        image=IMAGE,
        arguments=["models", "show", "{{ %s['name'] }}" % result, "{{ %s['version'] }}" % result],
        env_from=CONFIG,
        env_vars=S3_CREDENTIALS,
        container_resources=SMALL,
        get_logs=True,
        do_xcom_push=False,
        retries=2,
    )
