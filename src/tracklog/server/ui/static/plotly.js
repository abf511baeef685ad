// plotly.js in two bundles: the full one (4.8 MB, 1.5 MB gzipped: WebGL lines, parallel
// coordinates...) and its partial "basic" bundle (1.2 MB: SVG lines, markers, bars), which
// compiles in a quarter of the time: pages that only draw lines ask for the basic one, so
// their first visit draws sooner. Either is loaded in two steps: chart pages start downloading
// it at once (index.html does so already when a chart page is opened directly), and run it
// only once their data requests are out, so that compiling it overlaps the server's work
// instead of delaying the requests. The projects and runs pages never wait for it.

const BUNDLES = { basic: "/ui/plotly-basic.min.js", full: "/ui/plotly.min.js" };
const loaded = {}; // kind -> the Plotly of that bundle, once it has run
const loading = {}; // kind -> the promise of its Plotly

/** Start downloading the `kind` bundle ("basic" or "full") without running it. */
export function prefetchPlotly(kind = "basic") {
  const href = BUNDLES[kind];
  if (loaded.full || loaded[kind] || document.querySelector(`link[rel=preload][href="${href}"]`)) {
    return;
  }
  const link = document.createElement("link");
  Object.assign(link, { rel: "preload", as: "script", href });
  document.head.append(link);
}

/** Whether the Plotly now loaded draws WebGL lines (scattergl): the basic bundle does not. */
export const hasWebgl = () => Boolean(loaded.full);

/** The Plotly global, once a bundle that draws what `kind` needs has run: "basic" (lines) is
 * answered by either bundle, "full" only by the full one. */
export function loadPlotly(kind = "full") {
  if (loaded.full || (kind === "basic" && loaded.basic)) return Promise.resolve(window.Plotly);
  if (kind === "basic" && loading.full) return loading.full;
  loading[kind] ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = BUNDLES[kind];
    script.onload = () => {
      loaded[kind] = window.Plotly;
      // Both ran (a line chart page, then compare): the full one serves everyone from now on.
      window.Plotly = loaded.full ?? loaded.basic;
      resolve(window.Plotly);
    };
    script.onerror = () => {
      delete loading[kind];
      reject(new Error("plotly.js could not be loaded from the server"));
    };
    document.head.append(script);
  });
  return loading[kind];
}
