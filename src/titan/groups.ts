/**
 * Titan folders ("groups"), loaded on demand. Follows the API server (gnasnik/titan-explorer
 * api/events.go CreateGroupHandler, GetGroupsHandler, RenameGroupHandler, MoveGroupToGroupHandler,
 * DeleteGroupHandler; core/dao/user_assets.go CreateAssetGroup: at most 20 folders per user, a
 * parent that must exist; MoveAssetGroup: no loops, the root stays; DeleteAssetGroupAndUpdateSize:
 * a folder goes with its subfolders and their files). Names need not be unique on the server;
 * a folder path picks the first folder of each name.
 */
import type { TitanClient } from './client.js';
import { TitanError } from './errors.js';
import { PATHS, type AssetGroupRow } from './protocol.js';

export interface TitanFolder {
  id: number;
  name: string;
  /** The parent folder's id; 0 is the root. */
  parent: number;
  /** Files directly in it, and their bytes. */
  assetCount: number;
  assetSize: number;
  createdAt: Date;
  shared: boolean;
}

const PAGE_SIZE = 100;
/** The server keeps 20 folders per user; pages beyond this many are not an answer to follow. */
const MAX_PAGES = 50;

function folder(row: unknown): TitanFolder {
  const g = row as Partial<AssetGroupRow> | null;
  if (typeof g?.ID !== 'number' || typeof g.Name !== 'string')
    throw new TitanError('bad-response', 'Titan answered a folder without an id or name.');
  return {
    id: g.ID,
    name: g.Name,
    parent: Number(g.Parent ?? 0),
    assetCount: Number(g.AssetCount ?? 0),
    assetSize: Number(g.AssetSize ?? 0),
    createdAt: new Date(String(g.CreatedTime)),
    shared: g.ShareStatus === 1,
  };
}

const query = (fields: Record<string, string | number>) => new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]));

export async function createFolder(client: TitanClient, name: string, parent = 0, signal?: AbortSignal): Promise<TitanFolder> {
  if (!name.trim()) throw new TitanError('bad-request', 'A folder needs a name.');
  const data = await client.api<{ group?: unknown }>('GET', PATHS.createGroup, { query: query({ name, parent }), signal });
  return folder(data?.group);
}

/** The folders in `parent` (0: the root), newest first, every page. */
export async function listFolders(client: TitanClient, parent = 0, signal?: AbortSignal): Promise<TitanFolder[]> {
  const all: TitanFolder[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const data = await client.api<{ list?: unknown; total?: unknown }>('GET', PATHS.getGroups, {
      query: query({ parent, page, page_size: PAGE_SIZE }),
      signal,
    });
    const list = Array.isArray(data?.list) ? data.list : [];
    all.push(...list.map(folder));
    if (list.length < PAGE_SIZE || all.length >= Number(data?.total ?? 0)) break;
  }
  return all;
}

export async function renameFolder(client: TitanClient, id: number, name: string, signal?: AbortSignal): Promise<void> {
  await client.api('POST', PATHS.renameGroup, { body: { group_id: id, new_name: name }, signal });
}

/** Moves folder `id` into `target` (0: the root). */
export async function moveFolder(client: TitanClient, id: number, target: number, signal?: AbortSignal): Promise<void> {
  await client.api('GET', PATHS.moveGroupToGroup, { query: query({ group_id: id, target_group_id: target }), signal });
}

/** Deletes a folder, its subfolders and the files in them. */
export async function deleteFolder(client: TitanClient, id: number, signal?: AbortSignal): Promise<void> {
  await client.api('GET', PATHS.deleteGroup, { query: query({ group_id: id }), signal });
}

/** The id of the folder at `path` (`invoices/2026`), creating what is missing; '' is the root. */
export async function resolveFolder(client: TitanClient, path: string, signal?: AbortSignal): Promise<number> {
  let parent = 0;
  for (const name of path
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const found = (await listFolders(client, parent, signal)).find((f) => f.name === name);
    parent = (found ?? (await createFolder(client, name, parent, signal))).id;
  }
  return parent;
}
