import { describe, expect, it } from "vitest";
import type { Project } from "../../api/types";
import { buildTree, parentIds, visibleRows } from "./projectTree";

let n = 0;
function project(name: string, parent: Project | null, description = ""): Project {
  n += 1;
  return {
    id: `id${n}`,
    name,
    parent_id: parent?.id ?? null,
    description,
    visibility: "public",
    owner_id: null,
    tags: [],
    created_at: "2025-01-01T00:00:00Z",
    last_update: "2025-01-01T00:00:00Z",
    task_count: 0,
    last_activity: null,
    archived: false,
  };
}

const team = project("team", null);
const nasa = project("team/nasa", team);
const asteroids = project("team/nasa/asteroids", nasa, "rocks in space");
const comets = project("team/nasa/comets", nasa);
const solo = project("solo", null);
const orphan = project("gone/child", { id: "missing" } as Project);
const all = [comets, solo, asteroids, team, orphan, nasa];

const names = (rows: ReturnType<typeof visibleRows>) => rows.map((r) => `${"  ".repeat(r.node.depth)}${r.node.label}${r.expanded ? " -" : r.hasChildren ? " +" : ""}`);

describe("the project tree", () => {
  const roots = buildTree(all);

  it("shows roots by name, collapsed", () => {
    expect(names(visibleRows(roots, new Set(), ""))).toEqual(["gone/child", "solo", "team +"]);
  });

  it("opens what is expanded", () => {
    expect(names(visibleRows(roots, new Set([team.id]), ""))).toEqual(["gone/child", "solo", "team -", "  nasa +"]);
    expect(names(visibleRows(roots, new Set(parentIds(roots)), ""))).toEqual(["gone/child", "solo", "team -", "  nasa -", "    asteroids", "    comets"]);
  });

  it("a search shows the matches and the way to them, open", () => {
    expect(names(visibleRows(roots, new Set(), "COMET"))).toEqual(["team -", "  nasa -", "    comets"]);
    // the description matches too; a matching parent keeps its children
    expect(names(visibleRows(roots, new Set(), "rocks"))).toEqual(["team -", "  nasa -", "    asteroids"]);
    expect(names(visibleRows(roots, new Set(), "nasa"))).toEqual(["team -", "  nasa -", "    asteroids", "    comets"]);
    expect(visibleRows(roots, new Set(), "nothing-like-this")).toEqual([]);
  });

  it("lists parents that have children", () => {
    expect(parentIds(roots).sort()).toEqual([nasa.id, team.id].sort());
  });
});
