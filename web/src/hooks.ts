// Loading what a page shows: one hook that calls the API when its inputs change, keeps the last
// answer while the next one loads, and never lets an older answer overwrite a newer one.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, type ApiResponse } from './api';

export interface Loaded<T> {
  data?: T;
  headers?: Headers;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (nothing while it is undefined) and again whenever it changes. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [result, setResult] = useState<{ response?: ApiResponse<T>; error?: ApiError; loading: boolean }>({ loading: path !== undefined });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (path === undefined) return;
    const ticket = ++latest.current;
    setResult((prev) => ({ ...prev, loading: true }));
    call<T>(path).then(
      (response) => ticket === latest.current && setResult({ response, loading: false }),
      (error: unknown) =>
        ticket === latest.current &&
        setResult({ error: error instanceof ApiError ? error : new ApiError(0, 'client', String(error)), loading: false }),
    );
  }, [path, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data: result.response?.body, headers: result.response?.headers, error: result.error, loading: result.loading, reload };
}

/** Sets the tab's title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · SOC Defenders`;
  }, [title]);
}
