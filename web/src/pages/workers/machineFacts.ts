// A worker's machine facts (from its registration) as labelled rows, the known ones first.
import { formatValue } from "../../lib/format";

type Fact = [key: string, label: string, unit?: string];

const KNOWN: Fact[] = [
  ["hostname", "Host"],
  ["os_name", "OS"],
  ["os", "Platform"],
  ["cpu_model", "CPU"],
  ["cpu_cores", "CPU cores"],
  ["cpu_physical_cores", "Physical cores"],
  ["memory_gb", "Memory", "GB"],
  ["gpu_count", "GPUs"],
  ["gpu_type", "GPU type"],
  ["gpu_memory_gb", "GPU memory", "GB"],
  ["gpu_driver", "GPU driver"],
  ["gpus", "GPUs given to tasks"],
  ["mode", "Runner"],
  ["services_mode", "Services mode"],
  ["python", "Python"],
  ["python_executable", "Python executable"],
  ["ide", "Environment"],
  ["corral_version", "Corral"],
];

/** Words that read as acronyms (or with a set spelling) in a label. */
const WORDS: Record<string, string> = {
  os: "OS", cpu: "CPU", gpu: "GPU", gpus: "GPUs", ip: "IP", id: "ID", gb: "(GB)", mb: "(MB)", tb: "(TB)",
  url: "URL", uri: "URI", ram: "RAM", cuda: "CUDA", api: "API", io: "I/O", pid: "PID",
};

/** A label for a key the page does not know: ``disk_total_gb`` -> "Disk total (GB)". */
export function humanize(key: string): string {
  const words = key.split(/[_\-.\s]+|(?<=[a-z])(?=[A-Z])/).filter(Boolean);
  if (words.length === 0) return key;
  return words
    .map((w, i) => {
      const known = WORDS[w.toLowerCase()];
      if (known) return known;
      const lower = w.toLowerCase();
      return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
    })
    .join(" ");
}

function text(v: unknown, unit?: string): string {
  const shown = Array.isArray(v) ? v.map(formatValue).join(", ") : formatValue(v);
  return unit ? `${shown} ${unit}` : shown;
}

/** Rows of [label, text]; empty values are left out, unknown keys follow by name. */
export function machineFacts(machine: Record<string, unknown>): [string, string][] {
  const blank = (v: unknown) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
  const known = new Set(KNOWN.map(([k]) => k));
  const rows: [string, string][] = [];
  for (const [key, label, unit] of KNOWN) {
    const v = machine[key];
    if (!blank(v)) rows.push([label, text(v, unit)]);
  }
  for (const key of Object.keys(machine).sort()) {
    if (!known.has(key) && !blank(machine[key])) rows.push([humanize(key), text(machine[key])]);
  }
  return rows;
}
