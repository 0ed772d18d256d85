// The machine facts a run reports (runtime), labelled and formatted for the Info tab.
// Known facts come first in a fixed order; anything else the run added follows by name.

const KNOWN: [key: string, label: string, unit?: string][] = [
  ["hostname", "Hostname"],
  ["os", "OS"],
  ["os_name", "OS name"],
  ["cpu_model", "CPU"],
  ["cpu_cores", "CPU cores (logical)"],
  ["cpu_physical_cores", "CPU cores (physical)"],
  ["memory_gb", "Memory", "GB"],
  ["gpu_count", "GPUs"],
  ["gpu_type", "GPU type"],
  ["gpu_memory_gb", "GPU memory", "GB"],
  ["gpu_driver", "GPU driver"],
  ["python", "Python"],
  ["python_executable", "Python executable"],
  ["corral_version", "Corral version"],
  ["ide", "Started from"],
];

function text(value: unknown, unit?: string): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number" && unit) return `${Number(value.toFixed(2))} ${unit}`;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** [label, text] for every fact of ``runtime``. */
export function runtimeFacts(runtime: Record<string, unknown> | null | undefined): [string, string][] {
  const facts = runtime ?? {};
  const known = new Set(KNOWN.map(([k]) => k));
  const out: [string, string][] = [];
  for (const [key, label, unit] of KNOWN) if (key in facts) out.push([label, text(facts[key], unit)]);
  for (const key of Object.keys(facts).sort()) if (!known.has(key)) out.push([key, text(facts[key])]);
  return out;
}
