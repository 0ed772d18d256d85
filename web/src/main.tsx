import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "uplot/dist/uPlot.min.css";
import { App } from "./App";
import { initTheme } from "./lib/theme";
import "./styles.css";

// before the first render, so the page never flashes in the other theme
initTheme();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
