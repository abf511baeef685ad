// Projects: every readable project with its run count and last activity, and a search box.

import { api } from "../api.js";
import { fill, fmtTime, h, notice } from "../dom.js";
import { link, setParams } from "../state.js";

const SNIPPET = `import tracklog
with tracklog.init(project="my-project", config={"lr": 1e-3}) as run:
    run.log({"loss": 0.5}, step=1)`;

export async function render(main, params) {
  const { projects } = await api.projects();
  // MLflow's empty "Default" experiment always exists: a store is empty when no project has runs.
  if (!projects.some((p) => p.run_count > 0)) {
    fill(main, h("h1", {}, "Projects"), notice("empty", "No runs yet",
      "Log one with these three lines of Python (with TRACKLOG_URI set to this server):",
      h("pre", { class: "snippet" }, SNIPPET)));
    return;
  }
  const search = h("input", { id: "project-search", type: "search", placeholder: "Search projects",
    value: params.get("q") ?? "", "aria-label": "search projects" });
  const tbody = h("tbody");
  const draw = () => {
    setParams({ q: search.value.trim() });
    const q = search.value.trim().toLowerCase();
    const shown = projects.filter((p) => p.name.toLowerCase().includes(q));
    fill(tbody, shown.map((p) => h("tr", { dataset: { project: p.name } },
      h("td", {}, h("a", { href: link(`/projects/${encodeURIComponent(p.name)}`) }, p.name)),
      h("td", { class: "num" }, p.run_count),
      h("td", {}, fmtTime(p.last_activity)))));
    if (!shown.length) {
      tbody.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, `No project matches "${search.value.trim()}".`)));
    }
  };
  search.addEventListener("input", draw);
  fill(main, h("h1", {}, "Projects"), h("div", { class: "toolbar" }, search),
    h("table", { class: "projects" },
      h("thead", {}, h("tr", {}, h("th", {}, "project"), h("th", { class: "num" }, "runs"),
        h("th", {}, "last activity"))),
      tbody));
  draw();
}
