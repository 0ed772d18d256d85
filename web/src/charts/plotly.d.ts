// The few calls of plotly.js the app makes (the packages ship no types): the full
// bundle and the cartesian one (the usual 2-D traces) have the same API.
interface PlotlyStatic {
  react(el: HTMLElement, data: unknown[], layout?: Record<string, unknown>, config?: Record<string, unknown>): Promise<unknown>;
  relayout(el: HTMLElement, update: Record<string, unknown>): Promise<unknown>;
  purge(el: HTMLElement): void;
  Plots: { resize(el: HTMLElement): void };
}

declare module "plotly.js-dist-min" {
  const Plotly: PlotlyStatic;
  export default Plotly;
}

declare module "plotly.js-cartesian-dist-min" {
  const Plotly: PlotlyStatic;
  export default Plotly;
}
