"""Runs one cnf pipeline (ingest → publish) from Airflow, then shows the published model's card.

The run's pod runs `cnf run --wait`: Temporal does the durable work on the cnf workers; this task only starts the
run and waits for it, so an Airflow worker restart never loses training progress.
Exit codes: 0 success, 1 the workflow failed, 2 bad input, 3 Temporal unreachable.
"""
from datetime import datetime

from airflow.sdk import DAG, Param

from cnf_pods import model_card, run_pipeline

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
    run = run_pipeline("run_pipeline", "cnf-airflow-{{ run_id | replace(':', '-') | replace('+', '-') }}", "{{ params.input }}")
    run >> model_card("model_card", "run_pipeline")
