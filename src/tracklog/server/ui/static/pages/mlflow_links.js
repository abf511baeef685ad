// MLflow's UI links open the matching tracklog page: the mlflow client prints
// "View run … at: HOST/#/experiments/2/runs/ID" and "View experiment at: HOST/#/experiments/2"
// for every run, and MLflow users share "#/compare-runs?runs=[…]" links.

import { api } from "../api.js";
import { fill, h, notice } from "../dom.js";
import { link } from "../state.js";

/** The tracklog hash for an MLflow UI `path` + `params`, given the projects (id and name),
 * or an Error saying why there is none. */
export function mlflowTarget(path, params, projects) {
  const run = path.match(/^\/experiments\/\d+\/runs\/([^/]+)/);
  if (run) return link(`/runs/${encodeURIComponent(decodeURIComponent(run[1]))}`);
  const experiment = path.match(/^\/experiments\/(\d+)/);
  if (experiment) {
    const id = Number(experiment[1]);
    const project = projects.find((p) => p.id === id);
    if (!project) return new Error(`No project has the MLflow experiment id ${id}.`);
    return link(`/projects/${encodeURIComponent(project.name)}`);
  }
  if (path === "/compare-runs") {
    let ids;
    try {
      ids = JSON.parse(params.get("runs") ?? "[]");
    } catch {
      return new Error("The link's runs= is not a JSON list of run ids.");
    }
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      return new Error("The link's runs= is not a JSON list of run ids.");
    }
    return link("/compare", { runs: ids.join(",") });
  }
  return new Error(`Nothing lives at ${path}.`);
}

export async function render(main, params) {
  const path = location.hash.slice(1).split("?")[0];
  const needsProjects = /^\/experiments\/\d+\/?$/.test(path);
  const target = mlflowTarget(path, params, needsProjects ? (await api.projects()).projects : []);
  if (target instanceof Error) {
    fill(main, notice("error", "Page not found", target.message,
      h("a", { href: "#/" }, "Back to the projects")));
    return;
  }
  location.replace(target); // the MLflow link leaves no entry in the history
}
