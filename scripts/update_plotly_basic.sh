#!/usr/bin/env bash
# Vendor plotly.js's partial "basic" bundle (scatter, bar and pie traces: 1.2 MB against the
# full bundle's 4.8 MB) from the npm registry, at the version of the full plotly.js that the
# installed `plotly` Python package ships, so both bundles the web UI loads behave alike.
# Run it after upgrading `plotly`; it needs npm and the Python environment of tracklog.
set -euo pipefail

cd "$(dirname "$0")/.."
dest=src/tracklog/server/ui/vendor
version=$(python - <<'PY'
import re
from pathlib import Path

import plotly

head = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
print(re.search(r"plotly\.js v(\d+\.\d+\.\d+)", head).group(1))
PY
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching plotly.js-basic-dist-min@$version from the npm registry"
(cd "$work" && npm pack --silent "plotly.js-basic-dist-min@$version" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/plotly-basic.min.js" "$dest/plotly-basic.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE-plotly.js.txt"
echo "$dest/plotly-basic.min.js is plotly.js (basic) v$version"
