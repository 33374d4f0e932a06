// The circuit in front of a fleet store. During an outage a store client
// keeps every command it cannot answer (node-redis: its offline queue and
// its pending replies), so each request that still tried the store would
// grow the heap. Once an operation fails the circuit opens: operations are
// answered "unavailable" at once without reaching the store, while one probe
// at a time goes through, when the client says it is ready again or at a
// growing interval (bounded), and its success closes the circuit.

/**
 * What the guard may do with one operation: call the store (`pass`, or
 * `probe` while open), or answer "unavailable" without calling it (`skip`;
 * `tripped` when this very check opened the circuit, an outage to report).
 */
export type Admission = 'pass' | 'probe' | 'skip' | 'tripped';

export interface CircuitOptions {
  /** The client's own readiness (node-redis `isReady`), when it has one. */
  isReady?: () => boolean;
  /** Clock in ms (tests replace it). */
  now?: () => number;
  /** First wait before a probe once open, in ms; doubles per failed probe. */
  probeMinMs?: number;
  /** Longest wait between probes, in ms. */
  probeMaxMs?: number;
}

export const defaultProbeMinMs = 250;
export const defaultProbeMaxMs = 5_000;

export class StoreCircuit {
  readonly #isReady: (() => boolean) | undefined;
  readonly #now: () => number;
  readonly #min: number;
  readonly #max: number;
  #open = false;
  #probing = false;
  #interval = 0;
  #nextProbeAt = 0;
  // The client reported not ready during this outage: its return to ready is worth a probe at once.
  #wasNotReady = false;

  constructor({ isReady, now = Date.now, probeMinMs = defaultProbeMinMs, probeMaxMs = defaultProbeMaxMs }: CircuitOptions = {}) {
    this.#isReady = isReady;
    this.#now = now;
    this.#min = probeMinMs;
    this.#max = Math.max(probeMinMs, probeMaxMs);
  }

  get open(): boolean {
    return this.#open;
  }

  /** Whether the store may be called now; `'probe'` must be answered with `settle`. */
  admit(): Admission {
    const ready = this.#ready();
    if (!this.#open) {
      if (ready) return 'pass';
      this.#trip();
      this.#wasNotReady = true;
      return 'tripped';
    }
    if (!ready) {
      this.#wasNotReady = true;
      return 'skip';
    }
    if (this.#probing || (!this.#wasNotReady && this.#now() < this.#nextProbeAt)) return 'skip';
    this.#probing = true;
    this.#wasNotReady = false;
    return 'probe';
  }

  /**
   * An operation's outcome. Returns the transition it caused, if any:
   * `'opened'` (report the outage) or `'closed'` (report the recovery).
   */
  settle(admission: Admission, ok: boolean): 'opened' | 'closed' | undefined {
    if (admission === 'probe') {
      this.#probing = false;
      if (ok) {
        this.#open = false;
        return 'closed';
      }
      this.#interval = Math.min(this.#interval * 2, this.#max);
      this.#nextProbeAt = this.#now() + this.#interval;
      return undefined;
    }
    // An operation let through before the circuit opened says nothing new once it is open.
    if (admission !== 'pass' || ok || this.#open) return undefined;
    this.#trip();
    return 'opened';
  }

  #trip(): void {
    this.#open = true;
    this.#interval = this.#min;
    this.#nextProbeAt = this.#now() + this.#interval;
  }

  #ready(): boolean {
    if (!this.#isReady) return true;
    try {
      return this.#isReady() !== false;
    } catch {
      return false;
    }
  }
}
