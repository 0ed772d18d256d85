import { describe, expect, it } from "vitest";
import { runtimeFacts } from "./runtimeFacts";

describe("runtimeFacts", () => {
  it("labels known facts in order, then the others by name", () => {
    expect(
      runtimeFacts({ zeta: { a: 1 }, memory_gb: 15.6789, hostname: "box", cpu_cores: 8, alpha: "x", gpu_type: "" }),
    ).toEqual([
      ["Hostname", "box"],
      ["CPU cores (logical)", "8"],
      ["Memory", "15.68 GB"],
      ["GPU type", "—"],
      ["alpha", "x"],
      ["zeta", '{"a":1}'],
    ]);
  });

  it("has nothing for no runtime", () => {
    expect(runtimeFacts(null)).toEqual([]);
  });
});
