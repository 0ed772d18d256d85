// A worker's statistics (oldest first) as the lines of its charts.
import type { Line } from "../../charts/LineChart";
import type { WorkerStat } from "../../api/types";
import { unixSeconds } from "./statsWindow";

export interface WorkerCharts {
  cpu: Line[];
  memory: Line[];
  gpuUtilization: Line[];
  gpuMemory: Line[];
  network: Line[];
}

const hasData = (line: Line) => line.y.some((v) => v !== null);

function line(label: string, x: number[], y: (number | null | undefined)[]): Line {
  return { label, x, y: y.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null)) };
}

/** Every chart's lines; a line with no value at all is left out (no GPU, no counters). */
export function workerCharts(stats: WorkerStat[]): WorkerCharts {
  const x = stats.map((s) => unixSeconds(s.time));
  const gpuIndices = [...new Set(stats.flatMap((s) => s.gpus.map((g) => g.index)))].sort((a, b) => a - b);
  const gpuOf = (s: WorkerStat, index: number) => s.gpus.find((g) => g.index === index);
  const gpuLabel = (index: number) => {
    const name = stats.map((s) => gpuOf(s, index)?.name).find(Boolean);
    return name ? `GPU ${index} (${name})` : `GPU ${index}`;
  };
  return {
    cpu: [line("CPU %", x, stats.map((s) => s.cpu_percent))].filter(hasData),
    memory: [
      line("used", x, stats.map((s) => s.memory_used)),
      line("total", x, stats.map((s) => s.memory_total)),
    ].filter(hasData),
    gpuUtilization: gpuIndices
      .map((i) => line(gpuLabel(i), x, stats.map((s) => gpuOf(s, i)?.utilization)))
      .filter(hasData),
    gpuMemory: gpuIndices
      .map((i) => line(gpuLabel(i), x, stats.map((s) => gpuOf(s, i)?.memory_used)))
      .filter(hasData),
    network: [
      line("received", x, stats.map((s) => s.net_rx)),
      line("sent", x, stats.map((s) => s.net_tx)),
    ].filter(hasData),
  };
}

/** "62%" of a worker's last sample, or "—". */
export function percent(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? `${Math.round(v)}%` : "—";
}

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB"];

/** The unit (1024-based, as formatBytes) that suits the largest value of ``lines``. */
export function byteUnit(lines: Line[]): { unit: string; factor: number } {
  const max = Math.max(0, ...lines.flatMap((l) => l.y.filter((v): v is number => v !== null)));
  let i = 0;
  while (max >= 1024 ** (i + 1) && i < BYTE_UNITS.length - 1) i++;
  return { unit: BYTE_UNITS[i], factor: 1024 ** i };
}

/** The lines' values divided by ``factor`` (to chart bytes in a readable unit). */
export function scaled(lines: Line[], factor: number): Line[] {
  return lines.map((l) => ({ ...l, y: l.y.map((v) => (v === null ? null : v / factor)) }));
}
