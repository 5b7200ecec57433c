"""Weekly retraining: a cnf run on the configured sources every Monday at 03:00 UTC, on new data only, continuing from
the latest version's weights; the promotion gate decides whether the new version becomes latest.

Temporal Schedules (`cnf schedule`) are the native way; this DAG is for teams whose scheduling lives in Airflow. Each
run gets a deterministic workflow id per logical date, so a re-triggered DAG run attaches to the same workflow instead
of training twice.
"""
from datetime import datetime

from airflow.sdk import DAG

from cnf_pods import model_card, run_pipeline

RETRAIN_INPUT = ('{"name": "controlnet-canny", "sources": ["https://example.org/gallery/"], "trainSteps": 5000,'
                 ' "onlyNewData": true, "continueFromLatest": true}')

with DAG(
    dag_id="cnf_weekly_retrain",
    start_date=datetime(2026, 1, 5),
    schedule="0 3 * * 1",
    catchup=False,
    max_active_runs=1,
    tags=["cnf", "controlnet", "retraining"],
) as dag:
    retrain = run_pipeline("retrain", "cnf-retrain-{{ ds_nodash }}", RETRAIN_INPUT)
    retrain >> model_card("model_card", "retrain")
