"""TensorBoard's writer API over tracklog: ``from tracklog.tensorboard import SummaryWriter``."""

from tracklog.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
