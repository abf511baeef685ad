"""An Image's segmentation masks and bounding boxes, in W&B's shapes: stored as PNG
attachments and JSON metadata, each bad one refused naming what is wrong."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media import Image
from tracklog.sdk.media.overlays import MAX_BOXES
from tracklog.store.media_names import content_name
from tracklog.store.records import MediaItem

LABELS = {0: "background", 1: "cat", 2: "dog"}


def _item(image: Image) -> MediaItem:
    (item,) = image.to_items("segmentation", "", 0, 0)
    assert isinstance(item, MediaItem)
    return item


def _pixels(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def _mask(height: int = 6, width: int = 8) -> np.ndarray:
    return (np.arange(height * width).reshape(height, width) % 3).astype(np.int64)


def test_masks_become_png_attachments_named_in_the_meta(tmp_path: Path) -> None:
    predicted, truth = _mask(), _mask()[::-1].copy()
    image = Image(
        np.zeros((6, 8, 3), np.uint8),
        masks={
            "predictions": {"mask_data": predicted, "class_labels": LABELS},
            "ground_truth": {"mask_data": truth.astype(bool)},
        },
    )
    predicted[:] = 0  # copied
    item = _item(image)
    assert [a.ext for a in item.attachments] == ["png", "png"]
    first, second = (a.data for a in item.attachments)
    assert item.meta["masks"] == {
        "predictions": {
            "file": content_name(first, "png"),
            "class_labels": {"0": "background", "1": "cat", "2": "dog"},
        },
        "ground_truth": {"file": content_name(second, "png"), "class_labels": {}},
    }
    assert _pixels(first).tolist() == _mask().tolist()
    assert _pixels(second).tolist() == truth.astype(bool).astype(np.uint8).tolist()


def test_a_mask_file_is_kept_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    PILImage.fromarray(_mask().astype(np.uint8)).save(path)
    item = _item(Image(np.zeros((6, 8), np.uint8), masks={"truth": {"path": str(path)}}))
    assert item.attachments[0].data == path.read_bytes()
    assert item.meta["masks"]["truth"]["file"] == content_name(path.read_bytes(), "png")


def test_a_mask_fits_an_image_file(tmp_path: Path) -> None:
    picture = tmp_path / "photo.jpg"
    PILImage.new("RGB", (8, 6)).save(picture)
    item = _item(Image(picture, masks={"m": {"mask_data": _mask(6, 8)}}))
    assert _pixels(item.attachments[0].data).shape == (6, 8)


@pytest.mark.parametrize(
    ("masks", "error", "message"),
    [
        ([1], InvalidTypeError, "Image masks must be a dict of name -> dict, got list"),
        ({"": {"mask_data": _mask()}}, InvalidValueError, "Image masks name must not be empty"),
        ({3: {"mask_data": _mask()}}, InvalidTypeError, "Image masks name must be a string"),
        ({"m": _mask()}, InvalidTypeError, "Image masks 'm' must be a dict, got ndarray"),
        (
            {"m": {}},
            InvalidValueError,
            "mask 'm': give either 'mask_data' \\(an array\\) or 'path'",
        ),
        ({"m": {"mask_data": _mask(), "path": "x.png"}}, InvalidValueError, "give either"),
        (
            {"m": {"mask_data": _mask(), "colours": {}}},
            InvalidValueError,
            r"unknown keys \['colours'\]",
        ),
        (
            {"m": {"mask_data": [[0]]}},
            InvalidTypeError,
            "'mask_data' must be a 2-D array of class ids, got list",
        ),
        (
            {"m": {"mask_data": _mask(8, 6)}},
            InvalidValueError,
            "shape 8×6 does not cover the image of 6×8",
        ),
        (
            {"m": {"mask_data": _mask().astype(float)}},
            InvalidTypeError,
            "integers in 0..255, not float64",
        ),
        ({"m": {"mask_data": _mask() + 254}}, InvalidValueError, "these lie in 254..256"),
        (
            {"m": {"mask_data": _mask() - 1}},
            InvalidValueError,
            r"must lie in 0..255 \(a mask is an 8-bit PNG\)",
        ),
        (
            {"m": {"mask_data": _mask(), "class_labels": [1]}},
            InvalidTypeError,
            "'class_labels' must be a dict of int -> str",
        ),
        (
            {"m": {"mask_data": _mask(), "class_labels": {"1": "cat"}}},
            InvalidTypeError,
            "a class id must be an integer, got '1'",
        ),
        (
            {"m": {"mask_data": _mask(), "class_labels": {True: "cat"}}},
            InvalidTypeError,
            "got True",
        ),
        (
            {"m": {"mask_data": _mask(), "class_labels": {1: 2}}},
            InvalidTypeError,
            "the label of class 1 must be a string",
        ),
        ({"m": {"path": 7}}, InvalidTypeError, "'path' must be a file path, got int"),
        (
            {"m": {"path": "/no/such/mask.png"}},
            InvalidValueError,
            "there is no file '/no/such/mask.png'",
        ),
    ],
)
def test_bad_masks_are_refused(masks: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(np.zeros((6, 8, 3), np.uint8), masks=masks)


@pytest.mark.parametrize(
    ("mode", "size", "message"),
    [
        ("RGB", (8, 6), "mode L or P\\), it is a PNG of mode RGB"),
        ("L", (6, 8), "is 6×8 \\(W×H\\) pixels, the image 8×6"),
    ],
)
def test_bad_mask_files_are_refused(
    tmp_path: Path, mode: str, size: tuple[int, int], message: str
) -> None:
    path = tmp_path / "mask.png"
    PILImage.new(mode, size).save(path)
    with pytest.raises(InvalidValueError, match=message):
        Image(np.zeros((6, 8, 3), np.uint8), masks={"m": {"path": path}})


def test_boxes_in_both_forms_are_kept_in_the_meta() -> None:
    boxes = {
        "predictions": {
            "box_data": [
                {
                    "position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": np.float32(0.5)},
                    "class_id": 1,
                    "box_caption": "cat (0.93)",
                    "scores": {"confidence": 0.93, "iou": np.float64(0.7)},
                },
                {
                    "position": {"middle": [150, 80], "width": 30, "height": 20},
                    "domain": "pixel",
                    "class_id": np.int64(2),
                },
            ],
            "class_labels": LABELS,
        }
    }
    item = _item(Image(np.zeros((200, 300, 3), np.uint8), boxes=boxes))
    assert item.attachments == ()
    assert item.meta["boxes"] == {
        "predictions": {
            "box_data": [
                {
                    "position": {
                        "maxX": 0.4,
                        "maxY": float(np.float32(0.5)),
                        "minX": 0.1,
                        "minY": 0.2,
                    },
                    "class_id": 1,
                    "box_caption": "cat (0.93)",
                    "scores": {"confidence": 0.93, "iou": 0.7},
                },
                {
                    "position": {"middle": [150, 80], "width": 30, "height": 20},
                    "class_id": 2,
                    "domain": "pixel",
                },
            ],
            "class_labels": {"0": "background", "1": "cat", "2": "dog"},
        }
    }
    assert type(item.meta["boxes"]["predictions"]["box_data"][1]["class_id"]) is int


def _box(**fields: Any) -> dict[str, Any]:
    box: dict[str, Any] = {"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}, "class_id": 0}
    box.update(fields)
    return {k: v for k, v in box.items() if v is not None}


@pytest.mark.parametrize(
    ("boxes", "error", "message"),
    [
        ({"b": {"box_data": "x"}}, InvalidTypeError, "'box_data' must be a list of boxes, got str"),
        ({"b": {}}, InvalidTypeError, "got NoneType"),
        ({"b": {"box_data": [], "labels": {}}}, InvalidValueError, r"unknown keys \['labels'\]"),
        (
            {"b": {"box_data": [3]}},
            InvalidTypeError,
            "Image boxes 'b' box 0 must be a dict, got int",
        ),
        ({"b": {"box_data": [_box(position=None)]}}, InvalidValueError, "box 0 has no 'position'"),
        ({"b": {"box_data": [_box(class_id=None)]}}, InvalidValueError, "box 0 has no 'class_id'"),
        (
            {"b": {"box_data": [_box(), _box(class_id=1.5)]}},
            InvalidTypeError,
            "box 1 class_id must be an integer, got 1.5",
        ),
        (
            {"b": {"box_data": [_box(colour="red")]}},
            InvalidValueError,
            r"unknown keys \['colour'\]",
        ),
        (
            {"b": {"box_data": [_box(position={"minX": 0, "maxX": 1})]}},
            InvalidValueError,
            "position must be \\{'minX'",
        ),
        (
            {
                "b": {
                    "box_data": [
                        _box(position={"minX": 0, "maxX": 1, "minY": 0, "maxY": 1, "width": 1})
                    ]
                }
            },
            InvalidValueError,
            "position must be",
        ),
        (
            {"b": {"box_data": [_box(position={"minX": 2, "maxX": 1, "minY": 0, "maxY": 1})]}},
            InvalidValueError,
            "minX 2 is greater than maxX 1",
        ),
        (
            {"b": {"box_data": [_box(position={"minX": 0, "maxX": np.nan, "minY": 0, "maxY": 1})]}},
            InvalidValueError,
            "maxX must be a finite number",
        ),
        (
            {"b": {"box_data": [_box(position={"minX": "0", "maxX": 1, "minY": 0, "maxY": 1})]}},
            InvalidTypeError,
            "minX must be a number, got '0'",
        ),
        (
            {"b": {"box_data": [_box(position={"middle": [1], "width": 1, "height": 1})]}},
            InvalidValueError,
            r"middle must be \[x, y\], got \[1\]",
        ),
        (
            {"b": {"box_data": [_box(position={"middle": [1, 1], "width": -1, "height": 1})]}},
            InvalidValueError,
            "width must not be negative",
        ),
        (
            {"b": {"box_data": [_box(domain="percent")]}},
            InvalidValueError,
            "'domain' is 'pixel' or absent",
        ),
        (
            {"b": {"box_data": [_box(scores=[0.5])]}},
            InvalidTypeError,
            "'scores' must be a dict of str -> number",
        ),
        (
            {"b": {"box_data": [_box(scores={"p": "high"})]}},
            InvalidTypeError,
            "score 'p' must be a number, got 'high'",
        ),
        (
            {"b": {"box_data": [_box(box_caption=5)]}},
            InvalidTypeError,
            "box_caption must be a string",
        ),
        (
            {"b": {"box_data": [_box()] * (MAX_BOXES + 1)}},
            InvalidValueError,
            "10,001 boxes, the limit is 10,000",
        ),
    ],
)
def test_bad_boxes_are_refused(boxes: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(np.zeros((6, 8, 3), np.uint8), boxes=boxes)
