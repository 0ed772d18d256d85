import { describe, expect, it } from "vitest";
import { humanize, machineFacts } from "./machineFacts";

describe("machineFacts", () => {
  it("labels the facts an agent reports, known ones first, with units", () => {
    const rows = machineFacts({
      os_name: "Linux",
      hostname: "box",
      memory_gb: 15.5,
      cpu_cores: 8,
      python: "3.12.1",
      disk_total_gb: 100,
      gpu_type: "",
    });
    expect(rows).toEqual([
      ["Host", "box"],
      ["OS", "Linux"],
      ["CPU cores", "8"],
      ["Memory", "15.5 GB"],
      ["Python", "3.12.1"],
      ["Disk total (GB)", "100"],
    ]);
  });
  it("humanizes unknown keys", () => {
    expect(humanize("os_name")).toBe("OS name");
    expect(humanize("cuda_version")).toBe("CUDA version");
    expect(humanize("numGpus")).toBe("Num GPUs");
    expect(humanize("rack")).toBe("Rack");
  });
});
