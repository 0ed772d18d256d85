import { createContext, useContext, useEffect, useState } from "react";
import type { Change } from "../api/types";
import type { LiveChanges, LiveState } from "./changes";

export const LiveContext = createContext<LiveChanges | null>(null);

/** Calls ``listener`` for every change the hub streams (while the component is mounted). */
export function useChanges(listener: (change: Change) => void): void {
  const live = useContext(LiveContext);
  useEffect(() => (live ? live.subscribe(listener) : undefined), [live, listener]);
}

export function useLiveState(): LiveState {
  const live = useContext(LiveContext);
  const [state, setState] = useState<LiveState>(live?.state ?? "offline");
  useEffect(() => (live ? live.onState(setState) : undefined), [live]);
  return state;
}
