// Assembled release records — the record, its steps, decisions, and alerts with their deliveries —
// kept by record version (migration release-record-version). A read asks PostgreSQL for one number
// and assembles the release again only when it moved, so a finished release, read over and over,
// costs one small query instead of five. The version moves with every change a view shows, written
// by any worker or API replica, so a replica never serves what changed elsewhere: the cache holds
// only what this process read, and PostgreSQL stays the one thing replicas share.
//
// The cached records are frozen and shared by every request: each reader's view is built from them
// afresh (visibleView), never by changing them.
import type pg from 'pg';
import { listReleaseAlerts, type RecordedAlert } from '../../alerts/recording-notifier.js';
import { deepFreeze } from '../../config/file-stamp.js';
import { getRelease, type ReleaseDetail, releaseRecordVersion } from '../../db/release-records.js';

export interface ReleaseRecord {
  release: ReleaseDetail;
  alerts: RecordedAlert[];
}

/** A few hundred releases read often (a dashboard's) fit; each is tens of kilobytes. */
const DEFAULT_CAPACITY = 256;

export class ReleaseRecordCache {
  /** Least recently used first: Map keeps insertion order, and a hit moves its entry to the end. */
  readonly #entries = new Map<string, ReleaseRecord>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** The release as its record stands now; undefined when there is none. */
  async read(id: string): Promise<ReleaseRecord | undefined> {
    const version = await releaseRecordVersion(this.pool, id);
    const cached = this.#entries.get(id);
    this.#entries.delete(id);
    if (version === undefined) return undefined;
    if (cached && cached.release.recordVersion === version) {
      this.#entries.set(id, cached);
      return cached;
    }
    return this.#load(id);
  }

  /**
   * Reads the release whole. Kept under the version its record row showed: the parts are read after
   * that row, so they are at least as new as the version says — a later change moves the version
   * past it, and the next read loads again.
   */
  async #load(id: string): Promise<ReleaseRecord | undefined> {
    const release = await getRelease(this.pool, id);
    if (!release) return undefined;
    const record = deepFreeze({ release, alerts: await listReleaseAlerts(this.pool, id) });
    const current = this.#entries.get(id);
    // Two reads racing: keep the newer.
    if (!current || current.release.recordVersion <= release.recordVersion) {
      this.#entries.delete(id);
      this.#entries.set(id, record);
    }
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return record;
  }

  get size(): number {
    return this.#entries.size;
  }
}
