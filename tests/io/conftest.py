"""Real evaluation logs made by the real tools, offline: Inspect AI with its mock model and
lm-evaluation-harness with a local task, a tiny in-process model and its own sample writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: A small geolocation benchmark: item id -> (question, target country, metadata).
ITEMS = {
    "q1": ("Where is the Eiffel Tower?", "France",
           {"region": "Europe", "difficulty": 1, "path": "Europe/Western Europe/France/Paris"}),
    "q2": ("Where is Tokyo Tower?", "Japan",
           {"region": "Asia", "difficulty": 2, "path": "Asia/Eastern Asia/Japan/Tokyo"}),
    "q3": ("Where is the CN Tower?", "Canada",
           {"region": "Americas", "difficulty": 2, "path": "Americas/Northern America/Canada/Toronto"}),
    "q4": ("Where is the Space Needle?", "United States",
           {"region": "Americas", "difficulty": 3, "path": "Americas/Northern America/United States/Seattle"}),
    "q5": ("Where is the Petronas Tower?", "Malaysia",
           {"region": "Asia", "difficulty": 3, "path": "Asia/South-eastern Asia/Malaysia/Kuala Lumpur"}),
    "q6": ("Where is the Sky Tower?", "New Zealand",
           {"region": "Oceania", "difficulty": 4, "path": "Oceania/Australia and New Zealand/New Zealand/Auckland"}),
}  # fmt: skip
#: Each model's answers (None: the model API fails on that sample).
ANSWERS = {
    "alpha": {
        "q1": "Paris, France",
        "q2": "Tokyo, Japan",
        "q3": "Toronto, ON, Canada",
        "q4": "Seattle, WA, USA",
        "q5": "Kuala Lumpur, Malaysia",
        "q6": "Auckland, New Zealand",
    },
    "beta": {
        "q1": '{"city": "Paris", "state": null, "country": "France"}',
        "q2": '{"city": "Tokyo", "country": "Japan", "lat": 35.66, "lon": 139.75}',
        "q3": "Canada/USA",
        "q4": "I'm sorry, I can't determine the location from this image.",
        "q5": "Singapore",
        "q6": "Sydney, Australia",
    },
    "gamma": {
        "q1": "unknown",
        "q2": None,
        "q3": "Vancouver, BC",
        "q4": "Not visible",
        "q5": "Malaysia",
        "q6": "N/A",
    },
}


def includes(answer: str | None, target: str) -> float | None:
    """The independent reference for Inspect's ``includes()`` scorer."""
    if answer is None:
        return None
    return float(target.lower() in answer.lower())


def _inspect_run(folder: Path, models: list[str], scorers=None, epochs: int = 1) -> None:
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import includes as inspect_includes

    dataset = [Sample(input=q, target=t, id=i, metadata=m) for i, (q, t, m) in ITEMS.items()]
    by_question = {q: i for i, (q, _, _) in ITEMS.items()}

    def responder(name: str):
        def respond(messages, tools, tool_choice, config):
            item = by_question[messages[-1].text]
            text = ANSWERS[name][item]
            if text is None:
                raise RuntimeError("Error code: 529 - overloaded (the API failed)")
            out = ModelOutput.from_content(model=f"mockllm/{name}", content=text)
            out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
            return out

        return respond

    task = Task(
        dataset=dataset, scorer=scorers or inspect_includes(), name="geo_towers", epochs=epochs
    )
    inspect_eval(
        task,
        model=[get_model(f"mockllm/{m}", custom_outputs=responder(m)) for m in models],
        log_dir=str(folder),
        display="none",
        fail_on_error=False,
        retry_on_error=0,
    )


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory) -> Path:
    """A folder of three real Inspect ``.eval`` logs (one per mock model)."""
    pytest.importorskip("inspect_ai")
    folder = tmp_path_factory.mktemp("inspect-logs")
    _inspect_run(folder, list(ANSWERS))
    return folder


@pytest.fixture(scope="session")
def inspect_two_scorers(tmp_path_factory) -> Path:
    pytest.importorskip("inspect_ai")
    from inspect_ai.scorer import includes as inspect_includes
    from inspect_ai.scorer import match

    folder = tmp_path_factory.mktemp("inspect-two-scorers")
    _inspect_run(folder, ["alpha"], scorers=[inspect_includes(), match(location="any")])
    return folder


@pytest.fixture(scope="session")
def lm_eval_outputs(tmp_path_factory) -> Path:
    """Output of a real lm-evaluation-harness run (two models) written by its own tracker."""
    pytest.importorskip("lm_eval")
    import json

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import lm_eval
    from lm_eval.api.model import LM
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    root = tmp_path_factory.mktemp("lm-eval")
    data = root / "towers.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"id": i, "question": q, "answer": t, **m}) for i, (q, t, m) in ITEMS.items()
        )
        + "\n"
    )
    tasks = root / "tasks"
    tasks.mkdir()
    (tasks / "geo_towers.yaml").write_text(
        "task: geo_towers\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: generate_until\n"
        'doc_to_text: "{{question}}"\n'
        'doc_to_target: "{{answer}}"\n'
        "generation_kwargs:\n  until: []\n"
        "metric_list:\n"
        "  - metric: exact_match\n    aggregation: mean\n    higher_is_better: true\n"
        "    ignore_case: true\n"
    )
    by_question = {q: i for i, (q, _, _) in ITEMS.items()}

    class Scripted(LM):
        """A model that answers from a script (lm-eval's LM interface, no weights)."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def generate_until(self, requests, disable_tqdm: bool = False):
            out = []
            for r in requests:
                text = ANSWERS[self.name][by_question[r.args[0]]]
                # exact_match needs the bare country: alpha answers it, the others do not
                target = ITEMS[by_question[r.args[0]]][1]
                out.append(target if self.name == "alpha" else (text or ""))
            return out

        def loglikelihood(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
            raise NotImplementedError

    manager = TaskManager(include_path=str(tasks), include_defaults=False)
    output = root / "out"
    for name in ("alpha", "beta"):
        tracker = EvaluationTracker(output_path=str(output))
        results = lm_eval.simple_evaluate(
            model=Scripted(name),
            model_args={"pretrained": f"org/{name}"},
            tasks=["geo_towers"],
            task_manager=manager,
            log_samples=True,
            evaluation_tracker=tracker,
            bootstrap_iters=0,
        )
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    return output
