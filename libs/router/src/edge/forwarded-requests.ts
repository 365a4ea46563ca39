import { Injectable } from '@nestjs/common';

/** Requests remembered at once; past this the oldest are forgotten (their line names no instance). */
const MAX_REMEMBERED = 10_000;

/**
 * Which instance answered a request the router's status server held and forwarded itself (a
 * wake, or HAProxy not yet sending to instances that just became healthy). HAProxy logs those
 * requests as served by the `status` server; the access log asks here which instance it was,
 * by environment and request id, so the router line still names it.
 */
@Injectable()
export class ForwardedRequests {
  private readonly answered = new Map<string, string>();

  note(environmentId: string, requestId: string | undefined, instance: string): void {
    if (!requestId) return;
    const key = `${environmentId} ${requestId}`;
    this.answered.delete(key);
    if (this.answered.size >= MAX_REMEMBERED) this.answered.delete(this.answered.keys().next().value!);
    this.answered.set(key, instance);
  }

  /** The instance that answered it, once (null when the status server did not forward it). */
  take(environmentId: string, requestId: string | null): string | null {
    if (!requestId) return null;
    const key = `${environmentId} ${requestId}`;
    const instance = this.answered.get(key) ?? null;
    this.answered.delete(key);
    return instance;
  }
}
