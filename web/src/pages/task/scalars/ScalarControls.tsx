// The controls above scalar charts (Scalars tab, compare page): smoothing, x axis, log
// scale, one chart per series and a filter. All but the filter are remembered in the browser.
import { useEffect, useState } from "react";
import { X_MODES, type XMode } from "./series";

export interface ScalarSettings {
  smoothing: number;
  xMode: XMode;
  logY: boolean;
  /** a chart per series rather than one per metric with its variants */
  perSeries: boolean;
  filter: string;
}

const STORAGE_KEY = "corral.scalars.view";
const DEFAULTS: ScalarSettings = { smoothing: 0, xMode: "iteration", logY: false, perSeries: false, filter: "" };

function stored(): ScalarSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}") as Partial<ScalarSettings>;
    return {
      smoothing: typeof saved.smoothing === "number" && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : 0,
      xMode: X_MODES.some((m) => m.id === saved.xMode) ? (saved.xMode as XMode) : "iteration",
      logY: saved.logY === true,
      perSeries: saved.perSeries === true,
      filter: "",
    };
  } catch {
    return DEFAULTS;
  }
}

export function useScalarSettings(): [ScalarSettings, (change: Partial<ScalarSettings>) => void] {
  const [settings, setSettings] = useState<ScalarSettings>(stored);
  useEffect(() => {
    const { smoothing, xMode, logY, perSeries } = settings;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ smoothing, xMode, logY, perSeries }));
    } catch {
      // private mode: the settings last as long as the page
    }
  }, [settings]);
  return [settings, (change) => setSettings((s) => ({ ...s, ...change }))];
}

export function ScalarControls({
  settings,
  onChange,
  filterLabel = "Filter metrics",
}: {
  settings: ScalarSettings;
  onChange: (change: Partial<ScalarSettings>) => void;
  filterLabel?: string;
}) {
  return (
    <div className="scalar-controls" role="toolbar" aria-label="Chart settings">
      <input
        type="search"
        placeholder={`${filterLabel}…`}
        aria-label={filterLabel}
        value={settings.filter}
        onChange={(e) => onChange({ filter: e.target.value })}
      />
      <label className="inline">
        Smoothing
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          aria-label="Smoothing"
          value={settings.smoothing}
          onChange={(e) => onChange({ smoothing: Number(e.target.value) })}
        />
        <output className="mono" data-testid="smoothing-value">{settings.smoothing.toFixed(2)}</output>
      </label>
      <label className="inline">
        X axis
        <select aria-label="X axis" value={settings.xMode} onChange={(e) => onChange({ xMode: e.target.value as XMode })}>
          {X_MODES.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      <label className="inline">
        <input type="checkbox" checked={settings.logY} onChange={(e) => onChange({ logY: e.target.checked })} />
        Log scale
      </label>
      <label className="inline">
        <input type="checkbox" checked={settings.perSeries} onChange={(e) => onChange({ perSeries: e.target.checked })} />
        One chart per series
      </label>
    </div>
  );
}
