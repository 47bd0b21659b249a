import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  // A property, not a method: views hand it on as a callback (onChange={list.reload}).
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and again when it changes or on reload(); a stale answer is dropped. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === null) {
      // Nothing to show now: an earlier answer (another diff, another case) must not stay on screen.
      setState({ data: null, error: null, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>('GET', path, undefined, ctl.signal)
      .then((data) => setState({ data, error: null, loading: false }))
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setState({
          data: null,
          error: e instanceof ApiError ? e : new ApiError(0, 'HFX_E_INTERNAL', String(e)),
          loading: false,
        });
      });
    return () => ctl.abort();
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}
