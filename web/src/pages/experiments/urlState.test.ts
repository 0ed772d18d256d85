import { describe, expect, it } from "vitest";
import { queryString } from "../../api/client";
import { DEFAULT_SORT, exportParams, isFiltered, listParams, nextSort, parseQuery, sortDirection, splitTags, toSearch } from "./urlState";

describe("the query string", () => {
  it("parses filters and sort", () => {
    const q = parseQuery(new URLSearchParams("status=failed&status=stopped&status=failed&type=training&tag=best&tag=-bad&user=u1&q=%20resnet%20&archived=1&sort=-metric:loss:val:min"));
    expect(q).toEqual({
      status: ["failed", "stopped"],
      type: ["training"],
      tags: ["best", "-bad"],
      users: ["u1"],
      text: "resnet",
      archived: true,
      filters: [],
      sort: "-metric:loss:val:min",
    });
  });

  it("has defaults for an empty one", () => {
    const q = parseQuery(new URLSearchParams(""));
    expect(q).toEqual({ status: [], type: [], tags: [], users: [], text: "", archived: false, filters: [], sort: DEFAULT_SORT });
    expect(isFiltered(q)).toBe(false);
    expect(toSearch(q).toString()).toBe("");
  });

  it("round-trips, percent-encoded keys included", () => {
    const search = "status=in_progress&type=testing&tag=a+b&user=u2&q=x&archived=1&sort=param%3AA%253AB%3Alr";
    const q = parseQuery(new URLSearchParams(search));
    expect(q.sort).toBe("param:A%3AB:lr");
    expect(q.tags).toEqual(["a b"]);
    expect(parseQuery(toSearch(q))).toEqual(q);
    expect(isFiltered(q)).toBe(true);
  });

  it("keeps value filters as the hub reads them, in order, and they count as filters", () => {
    const filters = ["metric:acc:val:last>0.9", 'param:General:optimizer=["sgd","adam"]', "param:A%3AB:lr=0.01..0.1"];
    const search = new URLSearchParams();
    filters.forEach((f) => search.append("filter", f));
    const q = parseQuery(search);
    expect(q.filters).toEqual(filters);
    expect(isFiltered(q)).toBe(true);
    const back = toSearch(q);
    expect(back.getAll("filter")).toEqual(filters);
    // a "+" and a "&" in a value survive the URL
    const odd = { ...q, filters: ["param:Args:name=a+b&c"] };
    expect(parseQuery(new URLSearchParams(toSearch(odd).toString())).filters).toEqual(["param:Args:name=a+b&c"]);
  });
});

describe("the hub's list parameters", () => {
  const q = parseQuery(new URLSearchParams("status=failed&tag=best&user=u1&q=net&sort=name"));

  it("first page counts the total, later ones do not", () => {
    const first = listParams(q, { projectId: "p", cursor: null, limit: 100, hyperparams: false });
    expect(first).toMatchObject({ project_id: "p", status: ["failed"], tag: ["best"], user_id: ["u1"], text: "net", sort: "name", limit: 100, with_total: true });
    expect(first.cursor).toBeUndefined();
    expect(first.include_hyperparams).toBeUndefined();
    expect(first.archived).toBeUndefined();
    const next = listParams({ ...q, archived: true }, { cursor: "c1", limit: 200, hyperparams: true });
    expect(next).toMatchObject({ cursor: "c1", limit: 200, include_hyperparams: true, archived: true });
    expect(next.with_total).toBeUndefined();
    expect(next.project_id).toBeUndefined();
  });

  it("send the value filters as repeated filter parameters", () => {
    const withFilters = { ...q, filters: ["metric:acc:val:last>0.9", "param:Args:lr!=0.1"] };
    const params = listParams(withFilters, { projectId: "p", cursor: null, limit: 100, hyperparams: false });
    expect(params.filter).toEqual(["metric:acc:val:last>0.9", "param:Args:lr!=0.1"]);
    expect(queryString(params)).toContain("filter=metric%3Aacc%3Aval%3Alast%3E0.9&filter=param%3AArgs%3Alr%21%3D0.1");
  });

  it("export the view: the same filters and sort, every visible column in order, no paging", () => {
    const withFilters = { ...q, filters: ["metric:loss:val:last<0.5"] };
    const params = exportParams(withFilters, "p", ["status", "name", "started", "queue", "param:Args:lr", "metric:loss:val:last"]);
    expect(params).toMatchObject({ project_id: "p", status: ["failed"], tag: ["best"], user_id: ["u1"], text: "net", sort: "name" });
    expect(params.filter).toEqual(["metric:loss:val:last<0.5"]);
    expect(params.column).toEqual(["status", "name", "started_at", "queue_id", "param:Args:lr", "metric:loss:val:last"]);
    expect(params.limit).toBeUndefined();
    expect(params.cursor).toBeUndefined();
    expect(params.with_total).toBeUndefined();
  });
});

describe("sorting by a header", () => {
  it("goes ascending, then descending, then ascending", () => {
    expect(nextSort("-created_at", "name")).toBe("name");
    expect(nextSort("name", "name")).toBe("-name");
    expect(nextSort("-name", "name")).toBe("name");
    expect(nextSort("-name", "param:Args:lr")).toBe("param:Args:lr");
  });

  it("tells the direction of a column", () => {
    expect(sortDirection("name", "name")).toBe("ascending");
    expect(sortDirection("-name", "name")).toBe("descending");
    expect(sortDirection("-name", "status")).toBe("none");
    expect(sortDirection("name", null)).toBe("none");
    // a key that merely starts the same is another column
    expect(sortDirection("-metric:loss:val:min", "metric:loss:val:m")).toBe("none");
  });
});

it("splits typed tags", () => {
  expect(splitTags(" best, ,-bad ,best")).toEqual(["best", "-bad"]);
});
