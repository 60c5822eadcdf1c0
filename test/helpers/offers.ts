/**
 * A queue of the offers a framework holds: subscribed once, so none is lost between two awaits;
 * rescinded offers leave it.
 */
import type { OfferId } from '../../events/index.js';
import type { Offer, Scheduler } from '../../frameworks/sdk/index.js';

export class OfferQueue {
  private readonly queue: Offer[] = [];
  private readonly waiters: Array<(o: Offer) => void> = [];

  constructor(s: Scheduler) {
    s.offers$.subscribe((o) => {
      const w = this.waiters.shift();
      if (w) w(o);
      else this.queue.push(o);
    });
    s.rescinds$.subscribe((id: OfferId) => {
      const i = this.queue.findIndex((o) => o.id === id);
      if (i >= 0) this.queue.splice(i, 1);
    });
  }

  /** The oldest held offer, or the next to arrive. */
  next(what = 'an offer', timeoutMs = 10_000): Promise<Offer> {
    const held = this.queue.shift();
    if (held) return Promise.resolve(held);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (o: Offer): void => {
        clearTimeout(t);
        resolve(o);
      };
      this.waiters.push(w);
    });
  }

  /** Take every held offer (e.g. to decline them). */
  drain(): Offer[] {
    return this.queue.splice(0);
  }
}
