/**
 * md5 and CID of files hashed in this browser, in IndexedDB by name, size and lastModified, so
 * a file picked again (after a failure, a reload) is not read again. Loaded on demand. A stale
 * entry (the same name, size and time, other bytes) cannot register anything: the node's CID
 * must match, and a mismatch forgets the entry (TitanClient.uploadAsset).
 */
import { createStore, del, delMany, entries, get, set } from 'idb-keyval';
import type { FileHashes } from './md5.js';

const store = createStore('upload-elements-titan', 'hashes');
/** Entries kept; the oldest go first. */
const MAX_ENTRIES = 500;
let pruned = false;

interface Entry {
  md5: string;
  cid: string;
  at: number;
}

/**
 * A picked file's key: its name, size and lastModified, and the SHA-256 of its first and last
 * 64 KiB (files a page makes share names and times).
 */
async function keyOf(file: File): Promise<string> {
  const edges = await new Blob([file.slice(0, 65536), file.slice(-65536)]).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', edges));
  return `${file.name}\n${file.size}\n${file.lastModified}\n${btoa(String.fromCharCode(...digest))}`;
}

export async function cachedHashes(file: File): Promise<FileHashes | undefined> {
  const entry = (await get<Entry>(await keyOf(file), store)) as Partial<Entry> | undefined;
  return typeof entry?.md5 === 'string' && typeof entry.cid === 'string' ? { md5: entry.md5, cid: entry.cid } : undefined;
}

export async function rememberHashes(file: File, { md5, cid }: FileHashes): Promise<void> {
  if (!cid) return;
  await set(await keyOf(file), { md5, cid, at: Date.now() } satisfies Entry, store);
  // Pruned once per page: reading every entry on each file of a large batch would cost more
  // than the few entries a page adds.
  if (pruned) return;
  pruned = true;
  const all = await entries<string, Entry>(store);
  if (all.length > MAX_ENTRIES) {
    all.sort((a, b) => (a[1].at ?? 0) - (b[1].at ?? 0));
    await delMany(
      all.slice(0, all.length - MAX_ENTRIES).map(([k]) => k),
      store,
    );
  }
}

export const forgetHashes = async (file: File): Promise<void> => del(await keyOf(file), store);
