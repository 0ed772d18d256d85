// The top bar's theme switch: System (follows the computer), Light or Dark; remembered.
import { setThemeChoice, useTheme, type ThemeChoice } from "../lib/theme";

const CHOICES: { value: ThemeChoice; label: string; title: string }[] = [
  { value: "system", label: "Auto", title: "Follow the system's setting" },
  { value: "light", label: "☀", title: "Light theme" },
  { value: "dark", label: "☾", title: "Dark theme" },
];

export function ThemeToggle() {
  const { choice, theme } = useTheme();
  return (
    <div className="theme-toggle" role="group" aria-label="Theme" data-theme-shown={theme}>
      {CHOICES.map((c) => (
        <button
          key={c.value}
          type="button"
          aria-pressed={choice === c.value}
          aria-label={c.title}
          title={c.title}
          onClick={() => setThemeChoice(c.value)}
        >
          {c.label}
        </button>
      ))}
    </div>
  );
}
