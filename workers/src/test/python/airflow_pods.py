"""Loads the DAGs of a folder in Airflow's own DagBag and prints, as one JSON object, the import errors and, for every
task, the pod that the KubernetesPodOperator's own code builds for it (templates rendered for a sample run).

Run with the project's Airflow virtualenv (scripts/python-env.sh airflow): python airflow_pods.py k8s/airflow OUT.json
(the JSON goes to a file: Airflow logs to stdout).
"""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from airflow.dag_processing.dagbag import BundleDagBag
from kubernetes.client import ApiClient


# What a run task leaves in XCom (`cnf run --result-file`), for rendering the tasks that read it.
SAMPLE_RESULT = {"name": "controlnet-canny", "version": "20261130-030000-0a1b2c3d"}


def pods(folder):
    # as Airflow's DAG processor parses a DAG bundle: the bundle's folder on sys.path (the DAGs import cnf_pods from it)
    bag = BundleDagBag(dag_folder=folder, bundle_path=Path(folder).resolve())
    out = {"importErrors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": []}
    for dag_id, dag in sorted(bag.dags.items()):
        timetable = dag.timetable
        entry = {"dagId": dag_id, "schedule": getattr(timetable, "expression", None) or type(timetable).__name__, "tasks": []}
        for task in dag.tasks:
            run_id = "manual__2026-11-30T03:00:00+00:00"
            ti = SimpleNamespace(dag_id=dag_id, task_id=task.task_id, map_index=-1, try_number=1, run_id=run_id,
                                 xcom_pull=lambda task_ids=None, **_: dict(SAMPLE_RESULT))
            context = {"params": dag.params.dump(), "run_id": run_id, "ds": "2026-11-30", "ds_nodash": "20261130",
                       "ti": ti, "task_instance": ti, "dag": dag, "task": task}
            task.render_template_fields(context)
            # dry_run: the same pod, without asking a cluster whether this runs inside one
            pod = task.build_pod_request_obj(context, dry_run=True)
            entry["tasks"].append({"taskId": task.task_id, "operator": type(task).__name__,
                                   "upstream": sorted(task.upstream_task_ids),
                                   "pod": ApiClient().sanitize_for_serialization(pod)})
        out["dags"].append(entry)
    return out


if __name__ == "__main__":
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(pods(sys.argv[1]), out)
