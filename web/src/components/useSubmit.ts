// A form's submission: busy while it runs, and the error it ended with (for ErrorBox).
import { useCallback, useState } from "react";

export interface Submit {
  busy: boolean;
  error: unknown;
  /** Runs ``work``: the previous error is cleared, a new one is kept rather than thrown. */
  run: (work: () => Promise<void>) => Promise<void>;
}

export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
