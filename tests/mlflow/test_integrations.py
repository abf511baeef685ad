"""Libraries built on the mlflow client log to a tracklog server; tracklog's Api sees it all.

Optuna's MLflowCallback lives in the ``optuna-integration`` package, which is not installed
in the test environment, so it is not covered here (see docs/mlflow.md).
"""

from __future__ import annotations

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
