"""Runs one cnf pipeline (ingest → publish) as an Airflow task.

The pod runs `cnf run --wait`: Temporal does the durable work on the cnf workers; this task only
starts the run and waits for it, so an Airflow worker restart never loses training progress.
Exit codes: 0 success, 1 the workflow failed, 2 bad input, 3 Temporal unreachable.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

IMAGE = "ghcr.io/cnf/cnf-worker:0.1.0"

with DAG(
    dag_id="cnf_pipeline",
    description="Web images in, evaluated ControlNet out (ControlNet Factory)",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={
        "input": Param("{}", type="string", description="PipelineWorkflow input as JSON; {} uses every default"),
    },
    tags=["cnf", "controlnet"],
) as dag:
    KubernetesPodOperator(
        task_id="run_pipeline",
        name="cnf-run",
        namespace="cnf",
        image=IMAGE,
        arguments=[
            "run", "--wait", "--json",
            "--workflow-id", "cnf-airflow-{{ run_id | replace(':', '-') | replace('+', '-') }}",
            "--input", "{{ params.input }}",
        ],
        env_from=[k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name="cnf-config"))],
        container_resources=k8s.V1ResourceRequirements(requests={"cpu": "100m", "memory": "512Mi"}, limits={"memory": "1Gi"}),
        get_logs=True,
        do_xcom_push=False,
        execution_timeout=timedelta(days=3),
        retries=0,  # Temporal retries the stages; re-running this task would start a second run
    )
