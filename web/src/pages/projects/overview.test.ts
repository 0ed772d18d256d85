import { describe, expect, it } from "vitest";
import { orderSeries, overviewParams, parseBest, seriesLabel, splitSeries } from "./overview";

describe("project overview choices", () => {
  it("reads a stored choice and refuses what is not one", () => {
    const ok = { series: "acc:val", value: "max", order: "max" };
    expect(parseBest(JSON.stringify(ok))).toEqual(ok);
    expect(parseBest(null)).toBeNull();
    expect(parseBest("{not json")).toBeNull();
    expect(parseBest(JSON.stringify({ ...ok, value: "mean" }))).toBeNull();
    expect(parseBest(JSON.stringify({ ...ok, order: "up" }))).toBeNull();
    expect(parseBest(JSON.stringify({ ...ok, series: "acc" }))).toBeNull();
  });
  it("splits and labels series, a ':' inside a name written %3A", () => {
    expect(splitSeries("a%3Ab:val")).toEqual(["a:b", "val"]);
    expect(splitSeries("nocolon")).toBeNull();
    expect(seriesLabel("loss:train")).toBe("loss / train");
  });
  it("sends the choice as metric and order", () => {
    expect(overviewParams(null)).toEqual({});
    expect(overviewParams({ series: "acc:val", value: "last", order: "min" })).toEqual({ metric: "acc:val:last", order: "min" });
  });
  it("puts monitor series last", () => {
    expect(orderSeries(["%3Amonitor%3Amachine:cpu", "acc:val", "loss:train"])).toEqual(["acc:val", "loss:train", "%3Amonitor%3Amachine:cpu"]);
  });
});
