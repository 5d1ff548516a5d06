// Fetching a source: conditional requests (ETag / Last-Modified), a timeout, a cap on the
// response size, and retries with backoff for what may pass (network errors, timeouts, 429,
// 5xx). Credentials go in a header and never into an error message or a log.

export interface FetchOptions {
  url: string;
  etag?: string | null;
  lastModified?: string | null;
  /** Extra headers, e.g. { 'Auth-Key': … }; their values are never echoed. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Backoff before the second attempt; doubled each time, with jitter. */
  backoffMs?: number;
  /** Names the source in error messages ("401 from ThreatFox"). */
  sourceName?: string;
  /** When a 401/403 may come from a missing credential, what to tell the operator. */
  authHint?: string;
}

export type FetchResult =
  | { status: 'not_modified'; httpStatus: 304; attempts: number }
  | {
      status: 'ok';
      httpStatus: number;
      body: string;
      bytes: number;
      etag: string | null;
      lastModified: string | null;
      /** The Content-Type header as sent (an article page: HTML or text, src/extract/is-html.ts). */
      contentType: string | null;
      attempts: number;
    };

export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    message: string,
    readonly httpStatus: number | null,
    /** Worth trying again later in the same run. */
    readonly transient: boolean,
    readonly attempts = 1,
  ) {
    super(message);
  }
}

export const USER_AGENT = 'socdefenders/0.1 (+https://github.com/socdefenders/socdefenders)';
const DEFAULTS = { timeoutMs: 30_000, maxBytes: 64 * 1024 * 1024, attempts: 3, backoffMs: 1000 };

function describeStatus(status: number, options: FetchOptions): string {
  const from = `${status} from ${options.sourceName ?? new URL(options.url).host}`;
  if ((status === 401 || status === 403) && options.authHint) return `${from}: ${options.authHint}`;
  const words: Record<number, string> = {
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not found (has the feed moved?)',
    410: 'gone (the feed was retired)',
    429: 'too many requests',
    500: 'server error',
    502: 'bad gateway',
    503: 'service unavailable',
    504: 'gateway timeout',
  };
  return `${from}: ${words[status] ?? 'unexpected status'}`;
}

async function readCapped(response: Response, maxBytes: number, options: FetchOptions): Promise<{ text: string; bytes: number }> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FetchError(`response from ${options.sourceName ?? options.url} is ${declared} bytes, over the ${maxBytes}-byte cap`, response.status, false);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) {
        await response.body.cancel().catch(() => {});
        throw new FetchError(`response from ${options.sourceName ?? options.url} exceeds the ${maxBytes}-byte cap`, response.status, false);
      }
      chunks.push(chunk);
    }
  }
  return { text: new TextDecoder('utf-8').decode(Buffer.concat(chunks)), bytes };
}

async function attempt(options: FetchOptions, settings: typeof DEFAULTS): Promise<FetchResult> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*', ...options.headers };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  const signal = AbortSignal.timeout(settings.timeoutMs);
  let response: Response;
  try {
    response = await fetch(options.url, { headers, signal, redirect: 'follow' });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError' || signal.aborted;
    const cause = timedOut ? `no answer within ${settings.timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new FetchError(`cannot reach ${options.sourceName ?? new URL(options.url).host}: ${cause}`, null, true);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: 'not_modified', httpStatus: 304, attempts: 1 };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const transient = response.status === 429 || response.status >= 500;
    throw new FetchError(describeStatus(response.status, options), response.status, transient);
  }
  let body;
  try {
    body = await readCapped(response, settings.maxBytes, options);
  } catch (error) {
    if (error instanceof FetchError) throw error;
    const timedOut = signal.aborted;
    throw new FetchError(
      `${timedOut ? `no complete answer within ${settings.timeoutMs} ms` : 'the response was cut off'} from ${options.sourceName ?? new URL(options.url).host}`,
      response.status,
      true,
    );
  }
  return {
    status: 'ok',
    httpStatus: response.status,
    body: body.text,
    bytes: body.bytes,
    etag: response.headers.get('etag'),
    lastModified: response.headers.get('last-modified'),
    contentType: response.headers.get('content-type'),
    attempts: 1,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function fetchSource(options: FetchOptions): Promise<FetchResult> {
  const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS;
  for (let n = 1; ; n++) {
    try {
      return { ...(await attempt(options, settings)), attempts: n };
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      if (!error.transient || n >= settings.attempts) throw new FetchError(error.message, error.httpStatus, error.transient, n);
      // Exponential backoff with full jitter, so that instances do not retry in step.
      await sleep(settings.backoffMs * 2 ** (n - 1) * (0.5 + Math.random() / 2));
    }
  }
}
