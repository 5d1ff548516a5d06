// The dashboard's only way to the server: same-origin calls to /api/v1 with the signed-in key in
// the X-API-Key header (never in a URL). Errors arrive in the API's envelope and are kept whole,
// so that a page can say what the server said, and which parameter it named.
import { session } from './session';

export interface Envelope {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  request_id?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The parameter the server named as the cause, if it named one. */
  get param(): string | undefined {
    const p = this.details.parameter;
    return typeof p === 'string' ? p : undefined;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface ApiResponse<T> {
  body: T;
  headers: Headers;
}

/** The server's answer when it succeeds; its error envelope, as an ApiError, when not. */
async function send(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('X-API-Key', key);
  if (init.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', `The server could not be reached (${(err as Error).message}).`);
  }
  if (!response.ok) {
    const error = ((await response.json().catch(() => undefined)) as { error?: Envelope } | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
      error?.details ?? {},
    );
  }
  return response;
}

/** A call with an explicit key (sign-in checks a key before keeping it). */
export async function callWithKey<T>(key: string, path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  const response = await send(key, path, { ...init, headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { body: body as T, headers: response.headers };
}

/** Work done with the signed-in key; a 401 signs out, with the server's reason. */
async function signedIn<T>(work: (key: string) => Promise<T>): Promise<T> {
  const key = session.key();
  if (!key) throw new ApiError(401, 'unauthorized', 'Sign in with an API key.');
  try {
    return await work(key);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) session.signOut(err.message);
    throw err;
  }
}

/** A call with the signed-in key. */
export function call<T>(path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  return signedIn((key) => callWithKey<T>(key, path, init));
}

/** Downloads what an export URL answers as a file, the key in the header (never in the URL). */
export function download(path: string, fallbackName: string): Promise<void> {
  return signedIn(async (key) => {
    const response = await send(key, path);
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}
