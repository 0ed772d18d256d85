// Downloads of what a chart draws: its canvas as a PNG, its data as CSV.

/** Offer ``blob`` to the user as a file called ``name``. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // the download has started from the click; the URL can go once it has been read
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name made of ``title`` (letters, digits, dot, dash and underscore). */
export function fileName(title: string, ext: string): string {
  const base = title.replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "") || "chart";
  return `${base}.${ext}`;
}

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
function field(v: string | number | null | undefined): string {
  if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV of columns sharing one x: a header of ``names`` (x first), then a row per x with
 * ``x`` in ``[min, max]`` that has at least one value.
 */
export function toCsv(
  names: readonly string[],
  x: ArrayLike<number>,
  columns: readonly ArrayLike<number | null | undefined>[],
  min = -Infinity,
  max = Infinity,
): string {
  const rows = [names.map(field).join(",")];
  for (let i = 0; i < x.length; i++) {
    if (x[i] < min || x[i] > max) continue;
    if (!columns.some((c) => c[i] !== null && c[i] !== undefined)) continue;
    rows.push([x[i], ...columns.map((c) => c[i])].map(field).join(","));
  }
  return rows.join("\n") + "\n";
}
