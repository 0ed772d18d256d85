import { describe, expect, it } from "vitest";
import { queryString } from "../../api/client";
import {
  DEFAULT_SORT,
  filtersFromSearch,
  filtersToSearch,
  hubFilePath,
  labelRows,
  listQuery,
  nextSort,
  sortDirection,
} from "./modelFilters";

describe("model filters", () => {
  it("round-trips through the URL, defaults left out", () => {
    const f = filtersFromSearch(new URLSearchParams("text=det&framework=pytorch&tags=a,b&published=1&sort=name"));
    expect(f).toEqual({
      text: "det",
      framework: "pytorch",
      tags: "a,b",
      projectId: "",
      publishedOnly: true,
      archived: false,
      sort: "name",
    });
    expect(filtersToSearch(f)).toEqual({ text: "det", framework: "pytorch", tags: "a,b", published: "1", sort: "name" });
    expect(filtersToSearch(filtersFromSearch(new URLSearchParams()))).toEqual({});
  });

  it("asks the hub for the first page with its total, then by cursor", () => {
    const f = filtersFromSearch(new URLSearchParams("text=%20det%20&tags=a,%20-b,a&project=p1"));
    expect(queryString(listQuery(f, null))).toBe(
      "?text=det&tag=a&tag=-b&project_id=p1&archived=false&sort=-created_at&limit=50&with_total=true",
    );
    expect(queryString(listQuery(f, "CUR"))).toBe(
      "?text=det&tag=a&tag=-b&project_id=p1&archived=false&sort=-created_at&limit=50&cursor=CUR",
    );
    const published = filtersFromSearch(new URLSearchParams("published=1&archived=1"));
    expect(listQuery(published, null)).toMatchObject({ published: true, archived: true });
  });

  it("cycles a column's sort", () => {
    expect(nextSort(DEFAULT_SORT, "name")).toBe("name");
    expect(nextSort("name", "name")).toBe("-name");
    expect(nextSort("-name", "name")).toBe(DEFAULT_SORT);
    expect(nextSort(DEFAULT_SORT, "created_at")).toBe("created_at");
    expect(nextSort("created_at", "created_at")).toBe("-created_at");
    expect(sortDirection("-name", "name")).toBe("descending");
    expect(sortDirection("-name", "framework")).toBe("none");
  });
});

describe("model details", () => {
  it("serves hub:// uris from the hub's file store only", () => {
    expect(hubFilePath("hub://tasks/t1/models/best.pt")).toBe("/files/tasks/t1/models/best.pt");
    expect(hubFilePath("hub:///x.bin")).toBe("/files/x.bin");
    expect(hubFilePath("hub://a b/c#1.pt")).toBe("/files/a%20b/c%231.pt");
    expect(hubFilePath("hub://")).toBeNull();
    expect(hubFilePath("s3://bucket/x.pt")).toBeNull();
    expect(hubFilePath("")).toBeNull();
  });

  it("orders the labels by class id", () => {
    expect(labelRows({ dog: 1, cat: 0, bird: 1 })).toEqual([
      ["cat", 0],
      ["bird", 1],
      ["dog", 1],
    ]);
  });
});
