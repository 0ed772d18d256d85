// Wire types of the hub's event reads (src/corral/schemas/events.py) used by the
// Scalars, Plots and Debug samples tabs and the compare page.

/** One series, downsampled by the hub to at most max_points buckets (unless it fits). */
export interface ScalarSeries {
  task_id: string;
  metric: string;
  variant: string;
  iterations: number[];
  /** bucket means (the values themselves when not downsampled); null for a missing value */
  values: (number | null)[];
  /** the envelope of each bucket; null when not downsampled (it would repeat values) */
  min: (number | null)[] | null;
  max: (number | null)[] | null;
  /** seconds since the epoch, of each bucket's last point */
  times: number[];
  total_points: number;
  downsampled: boolean;
}

export interface ScalarsOut {
  series: ScalarSeries[];
}

export interface SeriesIterations {
  metric: string;
  variant: string;
  iterations: number[];
}

export interface PlotItem {
  metric: string;
  variant: string;
  iteration: number;
  time: number;
  figure: { data?: unknown[]; layout?: Record<string, unknown> };
}

export interface PlotsOut {
  items: PlotItem[];
  iterations: SeriesIterations[];
}

export interface DebugSample {
  metric: string;
  variant: string;
  iteration: number;
  time: number;
  uri: string;
  content_type: string | null;
}

export interface DebugSamplesOut {
  items: DebugSample[];
  iterations: SeriesIterations[];
}
