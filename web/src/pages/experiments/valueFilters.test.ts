import { describe, expect, it } from "vitest";
import { checkFilter, describeFilter, filterKey, formatFilter, parseFilter, parseSetValues, type ValueFilter } from "./valueFilters";

describe("value filters", () => {
  it("read each form the hub accepts", () => {
    expect(parseFilter("metric:acc:val:last>0.9")).toEqual({ kind: "compare", key: "metric:acc:val:last", op: ">", value: "0.9" });
    expect(parseFilter("metric:acc:val:max >= 1e-3")).toEqual({ kind: "compare", key: "metric:acc:val:max", op: ">=", value: "1e-3" });
    expect(parseFilter("param:General:optimizer=adam")).toEqual({ kind: "compare", key: "param:General:optimizer", op: "=", value: "adam" });
    expect(parseFilter("param:General:optimizer!=adam")).toMatchObject({ op: "!=", value: "adam" });
    expect(parseFilter('param:Args:note="a b"')).toMatchObject({ op: "=", value: '"a b"' });
    expect(parseFilter("param:Args:lr=0.01..0.1")).toEqual({ kind: "range", key: "param:Args:lr", lo: "0.01", hi: "0.1" });
    expect(parseFilter("metric:loss:val:min=..0.5")).toEqual({ kind: "range", key: "metric:loss:val:min", lo: "", hi: "0.5" });
    expect(parseFilter("metric:loss:val:min=-1..")).toEqual({ kind: "range", key: "metric:loss:val:min", lo: "-1", hi: "" });
    expect(parseFilter('param:General:optimizer=["sgd","adam"]')).toEqual({ kind: "set", key: "param:General:optimizer", negate: false, values: ["sgd", "adam"] });
    expect(parseFilter("param:Args:batch!=[32, 64]")).toEqual({ kind: "set", key: "param:Args:batch", negate: true, values: [32, 64] });
    // a colon in a name is %3A, as in the sort keys
    expect(parseFilter("param:A%3AB:x<3")).toMatchObject({ key: "param:A%3AB:x", op: "<", value: "3" });
  });

  it("refuse what is not a filter", () => {
    for (const bad of ["", "loss>1", "metric:acc:val>0.9", "metric:acc:val:median>1", "status=failed", "param:Args:lr", "param:Args:lr>", "param:Args:lr=..", "param:Args:lr ~ 3"]) {
      expect(parseFilter(bad)).toBeNull();
    }
    // not a range: bare text that happens to hold two dots
    expect(parseFilter("param:Args:path=a..b")).toMatchObject({ kind: "compare", value: "a..b" });
  });

  it("write back what they read", () => {
    const texts = ["metric:acc:val:last>0.9", "param:Args:lr=0.01..0.1", "metric:loss:val:min=..0.5", 'param:General:optimizer!=["sgd","adam"]', "param:Args:opt=adam"];
    for (const text of texts) expect(formatFilter(parseFilter(text)!)).toBe(text);
  });

  it("escape a ! in a key, which would read as !=", () => {
    expect(filterKey("param:Args:wow!")).toBe("param:Args:wow%21");
    expect(parseFilter(`${filterKey("param:Args:wow!")}=1`)).toMatchObject({ key: "param:Args:wow%21", op: "=", value: "1" });
  });

  it("say themselves in words", () => {
    const say = (t: string) => describeFilter(parseFilter(t)!);
    expect(say("metric:acc:val:last>=0.9")).toBe("acc/val (last) ≥ 0.9");
    expect(say("param:Args:lr=0.01..0.1")).toBe("Args/lr in 0.01…0.1");
    expect(say("param:Args:lr=..0.1")).toBe("Args/lr ≤ 0.1");
    expect(say('param:General:optimizer!=["sgd",3]')).toBe("General/optimizer not in {sgd, 3}");
  });

  it("check values before asking the hub", () => {
    const f = (x: Partial<ValueFilter> & { kind: ValueFilter["kind"] }) => ({ key: "metric:acc:val:last", ...x }) as ValueFilter;
    expect(checkFilter(f({ kind: "compare", op: ">", value: "0.9" }))).toBeNull();
    expect(checkFilter(f({ kind: "compare", op: "=", value: "high" }))).toBe("Enter a number.");
    expect(checkFilter({ kind: "compare", key: "param:General:optimizer", op: "=", value: "adam" })).toBeNull();
    expect(checkFilter({ kind: "compare", key: "param:Args:lr", op: ">", value: "big" })).toBe("Enter a number.");
    expect(checkFilter(f({ kind: "range", lo: "", hi: "" }))).toBe("Enter at least one end of the range.");
    expect(checkFilter(f({ kind: "range", lo: "2", hi: "1" }))).toBe("The range's start is past its end.");
    expect(checkFilter(f({ kind: "set", negate: false, values: [] }))).toBe("Enter at least one value.");
    expect(checkFilter(f({ kind: "set", negate: false, values: ["x"] }))).toBe("A metric's values are numbers.");
  });

  it("read typed set members as numbers, booleans and text", () => {
    expect(parseSetValues(' sgd, 3, 0.5, true, null, "7", ,')).toEqual(["sgd", 3, 0.5, true, null, "7"]);
  });
});
