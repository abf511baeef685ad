// Server-sent events of runs: one stream per set of runs, however many charts on the page
// follow them. A browser keeps six connections to a server (HTTP/1.1) across all its tabs,
// so a stream per group of charts would soon take them all.

import { api } from "./api.js";

const streams = new Map(); // the runs' ids, sorted and joined -> {source, users}

/** Follow the runs `ids`: `on.run(data)` for each change of one, `on.done()` once none of them
 * runs any more, `on.refused()` where the server refuses the stream (one that drops
 * reconnects by itself). Answers the function that stops following. */
export function followRuns(ids, on) {
  const key = [...ids].sort().join(",");
  if (!streams.has(key)) streams.set(key, { source: api.runEvents(ids), users: 0 });
  const stream = streams.get(key);
  stream.users += 1;
  const { source } = stream;
  const run = (e) => on.run(JSON.parse(e.data));
  const done = () => on.done();
  const error = () => {
    if (source.readyState === EventSource.CLOSED) on.refused();
  };
  source.addEventListener("run", run);
  source.addEventListener("done", done);
  source.addEventListener("error", error);
  let following = true;
  return () => {
    if (!following) return;
    following = false;
    source.removeEventListener("run", run);
    source.removeEventListener("done", done);
    source.removeEventListener("error", error);
    stream.users -= 1;
    if (!stream.users) {
      source.close();
      streams.delete(key);
    }
  };
}
