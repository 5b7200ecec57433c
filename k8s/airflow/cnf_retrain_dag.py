"""Weekly retraining: starts a cnf run on the configured sources every Monday.

Temporal Schedules (`cnf schedule`, issue #7) are the native way; this DAG is for teams whose
scheduling lives in Airflow. Each run gets a deterministic workflow id per logical date, so a
re-triggered DAG run attaches to the same workflow instead of training twice.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

IMAGE = "ghcr.io/cnf/cnf-worker:0.1.0"
RETRAIN_INPUT = '{"name": "controlnet-canny", "sources": ["https://example.org/gallery/"], "trainSteps": 5000}'

with DAG(
    dag_id="cnf_weekly_retrain",
    start_date=datetime(2026, 1, 5),
    schedule="0 3 * * 1",
    catchup=False,
    max_active_runs=1,
    tags=["cnf", "controlnet", "retraining"],
) as dag:
    KubernetesPodOperator(
        task_id="retrain",
        name="cnf-retrain",
        namespace="cnf",
        image=IMAGE,
        arguments=["run", "--wait", "--json", "--workflow-id", "cnf-retrain-{{ ds_nodash }}", "--input", RETRAIN_INPUT],
        env_from=[k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="cnf-config"))],
        container_resources=k8s.V1ResourceRequirements(requests={"cpu": "100m", "memory": "512Mi"}, limits={"memory": "1Gi"}),
        get_logs=True,
        execution_timeout=timedelta(days=3),
        retries=0,
    )
