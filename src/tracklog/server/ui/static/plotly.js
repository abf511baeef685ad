// plotly.js (about 4.8 MB) is loaded on the first page that draws a chart, not before: the
// projects and runs pages never wait for it, and chart pages fetch their data meanwhile.

let loading = null;

/** The Plotly global, once its script has run. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/ui/plotly.min.js";
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      loading = null;
      reject(new Error("plotly.js could not be loaded from the server"));
    };
    document.head.append(script);
  });
  return loading;
}
