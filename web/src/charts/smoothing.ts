// TensorBoard's smoothing: an exponential moving average, debiased so that the first
// points are not pulled towards zero. Missing values stay missing and do not move the
// average; a constant series stays exactly constant.

/** The smoothed values of ``y`` with ``weight`` in [0, 1) (0: unchanged). */
export function emaSmooth(y: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return [...y];
  const w = Math.min(weight, 0.999);
  const first = y.find((v) => v !== null && Number.isFinite(v));
  const constant = y.every((v) => v === null || !Number.isFinite(v) || v === first);
  let last = 0;
  let count = 0;
  return y.map((v) => {
    if (v === null || !Number.isFinite(v) || constant) return v;
    last = last * w + (1 - w) * v;
    count++;
    return last / (1 - Math.pow(w, count));
  });
}
