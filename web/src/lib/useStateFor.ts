// State that belongs to a value: it starts from that value, may change locally, and starts
// over when the value changes. The reset happens while rendering (React's "adjusting state
// when a prop changes"), not in an effect that would draw the stale state once first.
import { useState, type Dispatch, type SetStateAction } from "react";

/** State made by ``initial()``, made again whenever ``key`` changes (``Object.is``). */
export function useStateFor<T>(key: unknown, initial: () => T): [T, Dispatch<SetStateAction<T>>] {
  const [state, setState] = useState(initial);
  const [stateKey, setStateKey] = useState(key);
  if (!Object.is(stateKey, key)) {
    setStateKey(key);
    setState(initial());
  }
  return [state, setState];
}

/** State that starts as ``source`` and follows it whenever ``source`` changes. */
export function useFollowingState<T>(source: T): [T, Dispatch<SetStateAction<T>>] {
  return useStateFor(source, () => source);
}
