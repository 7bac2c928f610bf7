import { clear, createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { Postbox } from './protocol.js';

/** A postbox this browser connected to, keyed by the absolute backend URL that connected it. */
export interface PostboxRecord extends Postbox {
  backendUrl: string;
  connectedAt: number;
}

let store: UseStore | undefined;
/** Lazily, so importing the module never opens IndexedDB (SSR, tests without IDB). */
const db = (): UseStore => (store ??= createStore('upload-elements-digime', 'postboxes'));

export function loadPostbox(backendUrl: string): Promise<PostboxRecord | undefined> {
  return get<PostboxRecord>(backendUrl, db());
}

export function savePostbox(record: PostboxRecord): Promise<void> {
  return set(record.backendUrl, record, db());
}

export function forgetPostbox(backendUrl: string): Promise<void> {
  return del(backendUrl, db());
}

/** Forgets every remembered postbox (tests, "sign out everywhere"). */
export function clearPostboxes(): Promise<void> {
  return clear(db());
}
