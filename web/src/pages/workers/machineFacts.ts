// A worker's machine facts (from its registration) as labelled rows, the known ones first.
import { formatValue } from "../../lib/format";

const KNOWN: [key: string, label: string][] = [
  ["hostname", "Host"],
  ["os", "OS"],
  ["cpu_model", "CPU"],
  ["cpu_cores", "CPU cores"],
  ["cpu_physical_cores", "Physical cores"],
  ["memory_gb", "Memory (GB)"],
  ["gpu_count", "GPUs"],
  ["gpu_type", "GPU type"],
  ["gpu_memory_gb", "GPU memory (GB)"],
  ["gpu_driver", "GPU driver"],
  ["gpus", "GPUs given to tasks"],
  ["mode", "Runner"],
  ["services_mode", "Services mode"],
  ["python", "Python"],
  ["corral_version", "Corral"],
];

/** Rows of [label, text]; empty values are left out, unknown keys follow by name. */
export function machineFacts(machine: Record<string, unknown>): [string, string][] {
  const blank = (v: unknown) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
  const known = new Set(KNOWN.map(([k]) => k));
  const rows: [string, string][] = [];
  for (const [key, label] of KNOWN) {
    const v = machine[key];
    if (!blank(v)) rows.push([label, Array.isArray(v) ? v.map(formatValue).join(", ") : formatValue(v)]);
  }
  for (const key of Object.keys(machine).sort()) {
    if (!known.has(key) && !blank(machine[key])) rows.push([key, formatValue(machine[key])]);
  }
  return rows;
}
