"""``GET /api/3.0/mlflow/server-info``: what an MLflow client asks a server before using some
features. Open without credentials, as MLflow's (the client probes it before logging in).

The mlflow client (3.x) reads ``multipart_uploads_enabled`` to upload large artifacts in parts
through ``mpu/`` without ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``, and
``multipart_downloads_enabled`` to download through presigned URLs, which tracklog does not
offer. The other keys answer what MLflow's server would for a server without workspaces,
trace archival or the AI gateway.
"""

from __future__ import annotations

from typing import Any

from tracklog.server.encoding import wire_router

PREFIXES = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")

router = wire_router(tags=["mlflow"])


def _server_info() -> dict[str, Any]:
    """The server's capabilities, as MLflow's ``build_server_info_payload`` names them."""
    return {
        "store_type": None,  # neither of MLflow's stores (it is only reported in telemetry)
        "workspaces_enabled": False,
        "trace_archival_enabled": False,
        "multipart_uploads_enabled": True,
        "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False,
        "presigned_upload_model_id_supported": False,
        "features_enabled": {"gateway": False},
    }


for _prefix in PREFIXES:
    router.add_api_route(f"{_prefix}/server-info", _server_info, methods=["GET"])
