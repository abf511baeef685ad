"""``add_graph``'s record: a torch model's module tree with parameter counts and, when an
input is given, each module's output shape (one forward pass under ``no_grad``)."""

from __future__ import annotations

import warnings
from typing import Any

from tracklog.errors import InvalidTypeError


def module_tree(model: Any, inputs: Any = None) -> dict[str, Any]:
    """The tree of ``model`` (a ``torch.nn.Module``): each module's name, dotted path, type,
    parameter counts (its own, its subtree's, trainable) and output shape where known."""
    if not all(
        hasattr(model, a) for a in ("named_children", "parameters", "register_forward_hook")
    ):
        raise InvalidTypeError(f"add_graph takes a torch.nn.Module, got {type(model).__name__}")
    shapes = _output_shapes(model, inputs) if inputs is not None else {}
    tree = _node(model, "", shapes)
    if inputs is not None:
        tree["input_shape"] = _shape(inputs)
    return tree


def _node(module: Any, path: str, shapes: dict[str, Any]) -> dict[str, Any]:
    params = list(module.parameters())
    node: dict[str, Any] = {
        "name": path.rpartition(".")[2] or type(module).__name__,
        "path": path,
        "type": type(module).__name__,
        "parameters": sum(p.numel() for p in params),
        "trainable_parameters": sum(p.numel() for p in params if p.requires_grad),
        "own_parameters": sum(p.numel() for p in module.parameters(recurse=False)),
        "children": [
            _node(child, f"{path}.{name}" if path else name, shapes)
            for name, child in module.named_children()
        ],
    }
    if path in shapes:
        node["output_shape"] = shapes[path]
    return node


def _output_shapes(model: Any, inputs: Any) -> dict[str, Any]:
    """Each module's output shape from one forward pass in eval mode (so batch norm's running
    statistics are left alone); a model that fails on the input gives no shapes and a
    warning, never an error in the training script."""
    import torch  # the caller gave a torch model, so torch is loaded already

    shapes: dict[str, Any] = {}

    def hook(name: str) -> Any:
        def record(_module: Any, _inputs: Any, output: Any) -> None:
            shapes.setdefault(name, _shape(output))  # returning None leaves the output alone

        return record

    handles = [module.register_forward_hook(hook(name)) for name, module in model.named_modules()]
    training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(*inputs) if isinstance(inputs, tuple | list) else model(inputs)
    except Exception as exc:  # the tree is still worth keeping without shapes
        warnings.warn(
            f"tracklog add_graph: the model's forward pass failed ({exc!r}); "
            "the module tree is kept without shapes",
            stacklevel=3,
        )
        shapes.clear()
    finally:
        model.train(training)
        for handle in handles:
            handle.remove()
    return shapes


def _shape(value: Any) -> Any:
    """A tensor's shape as a list; tuples, lists and dicts of tensors as the same of shapes."""
    if hasattr(value, "shape"):
        return [int(n) for n in value.shape]
    if isinstance(value, tuple | list):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _shape(v) for k, v in value.items()}
    return None
