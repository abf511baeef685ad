"""Libraries built on the mlflow client log to a tracklog server; tracklog's Api sees it all."""

from __future__ import annotations

import pytest

import tracklog


def test_lightning_mlflow_logger(mlflow_uri: str, tmp_path: object) -> None:
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.loggers import MLFlowLogger
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)

    class Tiny(pl.LightningModule):
        def __init__(self, lr: float) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.layer = nn.Linear(4, 1)

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            x, y = batch
            loss = nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    logger = MLFlowLogger(experiment_name="lightning", tracking_uri=mlflow_uri, run_name="tiny")
    trainer = pl.Trainer(
        max_epochs=2,
        logger=logger,
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        accelerator="cpu",
    )
    trainer.fit(Tiny(lr=0.05), DataLoader(data, batch_size=16))

    run = tracklog.Api(mlflow_uri).run(logger.run_id)
    assert (run.project, run.name, run.status) == ("lightning", "tiny", "FINISHED")
    assert run.config == {"lr": "0.05"}
    steps = run.series("train_loss_step")
    assert len(steps) == 8  # 4 batches x 2 epochs, one point per step
    assert len(run.series("train_loss_epoch")) == 2
    assert set(run.metric_keys()) >= {"train_loss_step", "train_loss_epoch", "epoch"}


# Optuna deprecated the callback in 4.9; it still ships in optuna-integration 5 and is used.
@pytest.mark.filterwarnings("ignore:MLflowCallback has been deprecated:FutureWarning")
def test_optuna_mlflow_callback(mlflow_uri: str) -> None:
    import optuna
    from optuna_integration.mlflow import MLflowCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    callback = MLflowCallback(tracking_uri=mlflow_uri, metric_name="loss")
    study = optuna.create_study(
        study_name="optuna-study", sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        layers = trial.suggest_int("layers", 1, 4)
        return (x - 2) ** 2 + layers

    study.optimize(objective, n_trials=3, callbacks=[callback])

    runs = tracklog.Api(mlflow_uri).runs("optuna-study")
    by_name = {r.name: r for r in runs}
    assert sorted(by_name) == ["0", "1", "2"]
    for trial in study.trials:
        run = by_name[str(trial.number)]
        assert run.status == "FINISHED"
        assert run.config == {"x": str(trial.params["x"]), "layers": str(trial.params["layers"])}
        assert run.series("loss").values.tolist() == [trial.value]
        assert run.tags["number"] == str(trial.number)
        assert run.tags["direction"] == "MINIMIZE"
