"""Hugging Face Transformers' ``Trainer`` with ``report_to="mlflow"`` logs to a tracklog
server; the model is built from a tiny config, so nothing is downloaded from the hub."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog


def test_trainer_report_to_mlflow(
    mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "hf-trainer")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    data = [
        {
            "input_ids": torch.randint(0, 32, (8,)),
            "attention_mask": torch.ones(8, dtype=torch.long),
            "labels": torch.tensor(i % 2),
        }
        for i in range(16)
    ]
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        report_to=["mlflow"],
        run_name="tiny-bert",
        num_train_epochs=2,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        logging_steps=2,
        eval_strategy="epoch",
        save_strategy="no",
        learning_rate=1e-3,
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:8])
    trainer.train()

    import mlflow

    run = mlflow.last_active_run()
    assert run is not None
    r = tracklog.Api(mlflow_uri).run(run.info.run_id)
    assert (r.project, r.name, r.status) == ("hf-trainer", "tiny-bert", "FINISHED")
    assert r.config["learning_rate"] == "0.001"
    assert r.config["num_train_epochs"] == "2"
    losses = r.series("loss")
    assert list(losses.steps) == [2, 4, 6, 8]
    assert all(v > 0 for v in losses.values)
    assert list(r.series("eval_loss").steps) == [4, 8]
