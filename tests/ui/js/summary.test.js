// The rows of a run's summary table: summary values beside their series' statistics.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { summaryRows } = await import(ui("summary.js"));

const stat = (key, context, last, min, max, count) => ({ key, context, last, min, max, count });

test("each summary key with its series' last, min and max; contexts and the machine apart", () => {
  const rows = summaryRows({ val_loss: 0.2, best_val_acc: 0.93, "system/cpu_percent": 4 }, [
    stat("val_loss", "", 0.3, 0.2, 1.5, 100), // define_metric(summary="min"): 0.2, not 0.3
    stat("acc", '{"subset":"val"}', 0.8, 0.1, 0.85, 50),
    stat("system/cpu_percent", "", 4, 1, 9, 12),
  ]);
  assert.deepEqual(rows.map((r) => [r.key, r.context, r.value, r.last, r.min, r.max, r.count]), [
    ["best_val_acc", "", 0.93, undefined, undefined, undefined, undefined], // set by hand
    ["val_loss", "", 0.2, 0.3, 0.2, 1.5, 100],
    ["acc", "subset=val", undefined, 0.8, 0.1, 0.85, 50],
  ]);
  assert.deepEqual(summaryRows({}, []), []);
  assert.deepEqual(summaryRows(null, []), []);
});
