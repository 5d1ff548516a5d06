// Admission of expensive work (the trigram fallback of search): a few at a time per key and per
// instance, the rest refused at once with when to come back, rather than queued without end
// behind each other. Counts are of work running in this process: nothing is stored here.
import { AppError, RateLimitError } from './errors.js';

/** Seconds a refused caller is told to wait: the work it waits for takes milliseconds. */
const RETRY_AFTER_SECONDS = 1;

export interface AdmissionLimits {
  perKey: number;
  perInstance: number;
}

export class Admission {
  private readonly byKey = new Map<string, number>();
  private running = 0;

  constructor(
    private readonly what: string,
    private readonly limits: AdmissionLimits,
  ) {}

  /** Admits one piece of work for `key`, or throws the refusal; call the function returned when it ends. */
  admit(key: string): () => void {
    const mine = this.byKey.get(key) ?? 0;
    if (mine >= this.limits.perKey) {
      throw new RateLimitError(
        {
          reason: `too many ${this.what} at once for this API key`,
          limit: this.limits.perKey,
          window: 'concurrent',
          retry_after_seconds: RETRY_AFTER_SECONDS,
        },
        'admission_per_key',
      );
    }
    if (this.running >= this.limits.perInstance) {
      const refusal = new AppError(503, 'service_unavailable', `The server is busy with other ${this.what}. Please retry shortly.`, {
        reason: `too many ${this.what} at once on this server`,
        limit: this.limits.perInstance,
        retry_after_seconds: RETRY_AFTER_SECONDS,
      });
      refusal.refusal = 'admission_per_instance';
      throw refusal;
    }
    this.byKey.set(key, mine + 1);
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const left = this.byKey.get(key)! - 1;
      if (left === 0) this.byKey.delete(key);
      else this.byKey.set(key, left);
    };
  }
}
