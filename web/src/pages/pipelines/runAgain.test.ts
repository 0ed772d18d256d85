import { describe, expect, it } from "vitest";
import { argsEdit, initialTexts } from "./runAgain";

const PARAMS = {
  days: { value: 14, type: "int", description: "window" },
  rate: { value: 0.5, type: "float", description: "" },
  name: { value: "abc", type: "str", description: "" },
  loose: { value: 3, type: "", description: "" },
};

describe("run again", () => {
  it("starts each field from the value as text", () => {
    expect(initialTexts(PARAMS)).toEqual({ days: "14", rate: "0.5", name: "abc", loose: "3" });
  });

  it("sends only what changed, typed, with its type and description", () => {
    const texts = { ...initialTexts(PARAMS), days: "21", name: "xyz", loose: "7" };
    expect(argsEdit(PARAMS, texts)).toEqual({
      changed: {
        days: { value: 21, type: "int", description: "window" },
        name: { value: "xyz", type: "str", description: "" },
        // no declared type: the type of its value
        loose: { value: 7, type: "", description: "" },
      },
      errors: {},
    });
    expect(argsEdit(PARAMS, initialTexts(PARAMS))).toEqual({ changed: {}, errors: {} });
  });

  it("refuses text that is not a value of the parameter's type", () => {
    const { changed, errors } = argsEdit(PARAMS, { ...initialTexts(PARAMS), days: "3.5", rate: "fast" });
    expect(changed).toEqual({});
    expect(errors).toEqual({ days: '"3.5" is not an integer', rate: '"fast" is not a number' });
  });
});
