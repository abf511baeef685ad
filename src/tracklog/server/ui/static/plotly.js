// plotly.js (4.8 MB, 1.5 MB gzipped) in two steps: chart pages start downloading it at once
// (index.html does so already when a chart page is opened directly), and run it only once
// their data requests are out, so that compiling it overlaps the server's work instead of
// delaying the requests. The projects and runs pages never wait for it.

const BUNDLE = "/ui/plotly.min.js";
let loading = null;

/** Start downloading plotly.js without running it. */
export function prefetchPlotly() {
  if (window.Plotly || document.querySelector(`link[rel=preload][href="${BUNDLE}"]`)) return;
  const link = document.createElement("link");
  Object.assign(link, { rel: "preload", as: "script", href: BUNDLE });
  document.head.append(link);
}

/** The Plotly global, once its script has run. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = BUNDLE;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      loading = null;
      reject(new Error("plotly.js could not be loaded from the server"));
    };
    document.head.append(script);
  });
  return loading;
}
