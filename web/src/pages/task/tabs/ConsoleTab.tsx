// Console: the run's output, stderr marked, followed live while the task runs. Only a
// window of a large console is loaded (the last page first, earlier pages on demand)
// and only the rows on screen are rendered. Search and the stream filter run on the hub.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { downloadUrl, get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import type { LogPage, TaskOut } from "../../../api/types";
import { ErrorBox, Loading } from "../../../components/feedback";
import { useToast } from "../../../components/toast";
import { useLiveState } from "../../../live/useLive";
import {
  appendLines,
  firstSeq,
  highlightParts,
  lastSeq,
  prependLines,
  toRows,
  type ConsoleLines,
} from "../console";

const ROW = 18;
/** lines of the first (last) page, and of each earlier page */
const PAGE = 1000;
/** lines asked at most when following a running task; more means it is time to jump to the tail */
const FOLLOW = 5000;

type Stream = "" | "stdout" | "stderr";

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const clock = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });

export function ConsoleTab({ task }: { task: TaskOut }) {
  const [searchText, setSearchText] = useState("");
  const search = useDebounced(searchText.trim(), 300);
  const [stream, setStream] = useState<Stream>("");
  const client = useQueryClient();
  const toast = useToast();
  const live = useLiveState();
  const running = task.status === "in_progress";
  // a reset empties the console and a new run starts another: each run has its own cache
  const key = useMemo(
    () => queryKeys.task.logs(task.id, { search, stream, run: task.started_at ?? "" }),
    [task.id, search, stream, task.started_at],
  );
  const filters = { search: search || undefined, stream: stream || undefined };

  const logs = useQuery({
    queryKey: key,
    queryFn: async ({ signal }): Promise<ConsoleLines> => {
      const held = client.getQueryData<ConsoleLines>(key);
      const tail = async () => {
        const page = await get<LogPage>(`/tasks/${task.id}/logs`, { ...filters, tail: PAGE }, signal);
        return { lines: page.items, hasEarlier: page.has_more };
      };
      if (!held) return tail();
      const page = await get<LogPage>(
        `/tasks/${task.id}/logs`,
        { ...filters, after: lastSeq(held) ?? 0, limit: FOLLOW },
        signal,
      );
      if (page.has_more) return tail(); // far behind: show the end, earlier lines on demand
      // merge into what is held now ("load earlier" may have changed it meanwhile)
      return appendLines(client.getQueryData<ConsoleLines>(key) ?? held, page.items);
    },
    // the change stream refreshes it; poll only while that stream is down
    refetchInterval: running && live !== "live" ? 5000 : false,
  });

  const rows = useMemo(() => toRows(logs.data?.lines ?? []), [logs.data]);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [following, setFollowing] = useState(true);
  const prependedFrom = useRef<number | null>(null);
  const [loadingEarlier, setLoadingEarlier] = useState(false);

  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 30,
  });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (prependedFrom.current !== null) {
      // keep the lines the user was reading in place
      el.scrollTop += (rows.length - prependedFrom.current) * ROW;
      prependedFrom.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [rows.length]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 1.5;
    atBottom.current = bottom;
    if (bottom !== following) setFollowing(bottom);
  };

  const loadEarlier = async () => {
    const held = logs.data;
    const first = held && firstSeq(held);
    if (!held || first === null) return;
    setLoadingEarlier(true);
    try {
      const page = await get<LogPage>(`/tasks/${task.id}/logs`, { ...filters, before: first, limit: PAGE });
      prependedFrom.current = rows.length;
      client.setQueryData<ConsoleLines>(key, (c) => prependLines(c ?? held, page.items, page.has_more));
    } catch (e) {
      toast(`Could not load earlier lines: ${(e as Error).message}`, "error");
    } finally {
      setLoadingEarlier(false);
    }
  };

  const follow = () => {
    atBottom.current = true;
    setFollowing(true);
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  return (
    <div>
      <div className="console-bar">
        <input
          type="search"
          aria-label="Search the console"
          placeholder="Search the console"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
        />
        <select aria-label="Stream" value={stream} onChange={(e) => setStream(e.target.value as Stream)}>
          <option value="">stdout and stderr</option>
          <option value="stdout">stdout only</option>
          <option value="stderr">stderr only</option>
        </select>
        {logs.data?.hasEarlier && (
          <button onClick={() => void loadEarlier()} disabled={loadingEarlier}>
            {loadingEarlier ? "Loading…" : "Load earlier lines"}
          </button>
        )}
        {!following && rows.length > 0 && <button onClick={follow}>Jump to the end</button>}
        <span className="muted small" data-testid="console-count">
          {logs.data ? `${logs.data.lines.length} line${logs.data.lines.length === 1 ? "" : "s"}${search ? " matching" : ""}` : ""}
          {running && " · live"}
        </span>
        <span className="spacer" />
        <a className="button" href={downloadUrl(`/tasks/${task.id}/logs/download`)} download>
          Download
        </a>
      </div>
      <ErrorBox error={logs.error} title="Could not load the console" />
      {logs.isPending ? (
        <Loading what="the console" />
      ) : (
        <div className="console" ref={scroller} onScroll={onScroll} role="log" aria-label="Console output" data-testid="console">
          {rows.length === 0 ? (
            <div className="console-empty">
              {search || stream
                ? "No lines match."
                : running
                  ? "Waiting for output…"
                  : "No console output."}
            </div>
          ) : (
            <div style={{ height: virtual.getTotalSize(), position: "relative", minWidth: "100%" }}>
              {virtual.getVirtualItems().map((v) => {
                const row = rows[v.index];
                return (
                  <div
                    key={row.key}
                    className={`console-row ${row.stream}`}
                    style={{ transform: `translateY(${v.start}px)` }}
                    data-testid="console-line"
                    data-stream={row.stream}
                    title={row.stream === "stderr" ? "stderr" : undefined}
                  >
                    <span className="ts">{row.first ? clock(row.time) : ""}</span>
                    <span>
                      {highlightParts(row.text, search).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : p.text))}
                    </span>
                  </div>
                );
              })}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
