// The uncommitted changes of a run, file by file: hunk headers, both line numbers,
// added lines green, removed lines red. Long files start folded.
import { useMemo, useState } from "react";
import { fileTitle, parseDiff, type DiffFile } from "./diff";

const FOLD_OVER = 400;

export function DiffView({ diff }: { diff: string }) {
  const files = useMemo(() => parseDiff(diff), [diff]);
  if (!files.length) {
    // not a unified diff: show it as it is
    return <pre className="code">{diff}</pre>;
  }
  return (
    <div data-testid="diff">
      {files.map((f, i) => (
        <DiffFileView key={i} file={f} />
      ))}
    </div>
  );
}

function DiffFileView({ file }: { file: DiffFile }) {
  const size = file.hunks.reduce((n, h) => n + h.lines.length, 0);
  const [open, setOpen] = useState(size <= FOLD_OVER);
  const title = fileTitle(file);
  return (
    <section className="diff-file" aria-label={`Changes to ${title}`}>
      <header>
        <span className="path">{title}</span>
        {file.oldPath === null && <span className="tag">new</span>}
        {file.newPath === null && <span className="tag">deleted</span>}
        <span className="diff-stat-add">+{file.added}</span>
        <span className="diff-stat-del">−{file.removed}</span>
        <button className="small" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? "Fold" : `Show ${size} lines`}
        </button>
      </header>
      {open && (
        <>
          {file.meta.length > 0 && <div className="diff-meta">{file.meta.join("\n")}</div>}
          {file.binary && <div className="diff-meta">Binary file: no text to show.</div>}
          <div className="diff-body">
            <table className="diff">
              <tbody>
                {file.hunks.map((h, i) => (
                  <HunkRows key={i} header={h.header} lines={h.lines} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const MARK = { add: "+", del: "-", ctx: " ", note: "" };

function HunkRows({ header, lines }: { header: string; lines: DiffFile["hunks"][number]["lines"] }) {
  return (
    <>
      <tr className="diff-hunk" data-kind="hunk">
        <td className="ln" />
        <td className="ln" />
        <td colSpan={2}>{header}</td>
      </tr>
      {lines.map((l, i) => (
        <tr key={i} className={`diff-line diff-${l.kind}`} data-kind={l.kind}>
          <td className="ln">{l.oldNo ?? ""}</td>
          <td className="ln">{l.newNo ?? ""}</td>
          <td className="mark">{MARK[l.kind]}</td>
          <td className="text">{l.text}</td>
        </tr>
      ))}
    </>
  );
}
