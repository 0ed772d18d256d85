// Buttons that choose the time window of the statistics charts.
import { WINDOWS, type WindowKey } from "./statsWindow";
import "./workers.css";

export function WindowPicker({ value, onChange }: { value: WindowKey; onChange: (key: WindowKey) => void }) {
  return (
    <div className="window-picker" role="group" aria-label="Time window">
      {WINDOWS.map((w) => (
        <button key={w.key} type="button" aria-pressed={value === w.key} className={value === w.key ? "active" : ""} onClick={() => onChange(w.key)}>
          {w.label}
        </button>
      ))}
    </div>
  );
}
