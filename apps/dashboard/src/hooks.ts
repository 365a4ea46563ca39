// Loading data from the API into components: one place for loading, errors, reloading and
// polling, so every page behaves the same.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again, keeping what is shown until the answer arrives. */
  reload: () => void;
  /** Replaces what is shown, e.g. with the answer of a PATCH. */
  set: (data: T) => void;
}

export interface ResourceOptions {
  /** Poll every this many milliseconds while the tab is visible. */
  pollMs?: number | false;
}

/**
 * Loads `load()` when `key` changes. Keeps showing the last data while reloading or polling,
 * and the last error until a load succeeds.
 */
export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, options: ResourceOptions = {}): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(key !== null);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastKey = useRef(key);

  useEffect(() => {
    if (lastKey.current !== key) {
      lastKey.current = key;
      setData(undefined);
      setError(undefined);
    }
    if (key === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      setLoading(true);
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught instanceof ApiError ? caught : new ApiError({ statusCode: 0, code: 'client_error', message: String((caught as Error)?.message ?? caught) }));
      } finally {
        if (!controller.signal.aborted) {
          setLoading(false);
          if (options.pollMs) timer = setTimeout(tick, options.pollMs);
        }
      }
    };
    // Polls only while someone can see the page; a hidden tab catches up when it is shown.
    const tick = () => {
      if (document.visibilityState === 'visible') void run();
      else timer = setTimeout(tick, options.pollMs || 1000);
    };
    void run();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, generation, options.pollMs]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const set = useCallback((value: T) => {
    setData(value);
    setError(undefined);
  }, []);
  return { data, error, loading, reload, set };
}

/** Runs an action (a POST, PATCH or DELETE), tracking whether it is running and how it failed. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await action(...args);
      } catch (caught) {
        if (mounted.current) setError(caught instanceof ApiError ? caught : new ApiError({ statusCode: 0, code: 'client_error', message: String(caught) }));
        return undefined;
      } finally {
        if (mounted.current) setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, clearError: () => setError(undefined) };
}

/** The document title follows the page. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Berth` : 'Berth';
  }, [title]);
}
