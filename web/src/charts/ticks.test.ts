import { describe, expect, it } from "vitest";
import { formatLogTicks, formatTicks, formatValue, INTEGER_INCRS } from "./ticks";

describe("formatTicks", () => {
  it("keeps the leading zero and uses the fewest decimals that tell ticks apart", () => {
    expect(formatTicks([0.0025, 0.005, 0.0075, 0.01])).toEqual(["0.0025", "0.0050", "0.0075", "0.0100"]);
    expect(formatTicks([0, 0.25, 0.5, 0.75, 1])).toEqual(["0.00", "0.25", "0.50", "0.75", "1.00"]);
    expect(formatTicks([0, 2, 4, 6])).toEqual(["0", "2", "4", "6"]);
    expect(formatTicks([-0.5, 0, 0.5])).toEqual(["-0.5", "0.0", "0.5"]);
  });

  it("does not print floating-point noise", () => {
    expect(formatTicks([0.1, 0.2, 0.30000000000000004])).toEqual(["0.1", "0.2", "0.3"]);
  });

  it("writes big values with an SI suffix and tiny ones with an exponent", () => {
    expect(formatTicks([0, 25000, 50000])).toEqual(["0", "25k", "50k"]);
    expect(formatTicks([1.5e6, 2e6])).toEqual(["1.5M", "2.0M"]);
    expect(formatTicks([2.5e-4, 5e-4, 7.5e-4])).toEqual(["2.5e-4", "5.0e-4", "7.5e-4"]);
    expect(formatTicks([-3e9, 3e9])).toEqual(["-3G", "3G"]);
  });

  it("keeps integers whole on integer axes and writes out iterations SI would blur", () => {
    expect(formatTicks([0, 1, 2], true)).toEqual(["0", "1", "2"]);
    expect(formatTicks([25000, 25001, 25002], true)).toEqual(["25000", "25001", "25002"]);
    expect(formatTicks([0, 500000, 1000000], true)).toEqual(["0", "0.5M", "1.0M"]);
    expect(formatTicks([1000001, 1000002], true)).toEqual(["1000001", "1000002"]);
  });

  it("leaves non-finite ticks empty", () => {
    expect(formatTicks([NaN, 1, 2])).toEqual(["", "1", "2"]);
    expect(formatTicks([])).toEqual([]);
  });
});

describe("formatValue and log ticks", () => {
  it("gives at most four significant digits, SI or exponent at the ends", () => {
    expect(formatValue(0.0075)).toBe("0.0075");
    expect(formatValue(0.00012346)).toBe("1.235e-4");
    expect(formatValue(123456)).toBe("123.5k");
    expect(formatValue(3.14159)).toBe("3.142");
    expect(formatValue(null)).toBe("—");
    expect(formatValue(0)).toBe("0");
  });

  it("formats each decade on its own", () => {
    expect(formatLogTicks([0.0001, 0.001, 0.01, 0.1, 1, 10, 100000])).toEqual(["1e-4", "0.001", "0.01", "0.1", "1", "10", "100k"]);
  });
});

describe("INTEGER_INCRS", () => {
  it("holds whole steps only", () => {
    expect(INTEGER_INCRS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(INTEGER_INCRS.every(Number.isInteger)).toBe(true);
  });
});
