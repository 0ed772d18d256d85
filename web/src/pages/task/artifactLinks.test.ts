import { describe, expect, it } from "vitest";
import { artifactHref } from "./artifactLinks";

describe("artifactHref", () => {
  it("serves hub files from the files API, each segment encoded", () => {
    expect(artifactHref("hub://tasks/abc/out put.png")).toBe("/api/v1/files/tasks/abc/out%20put.png?download=true");
  });

  it("keeps web links and has none for other stores", () => {
    expect(artifactHref("https://example.com/a.bin")).toBe("https://example.com/a.bin");
    expect(artifactHref("s3://bucket/key")).toBeNull();
    expect(artifactHref("")).toBeNull();
  });
});
