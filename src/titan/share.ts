/**
 * Share links, loaded on demand (a page that never shares does not download this). Follows the
 * API server (gnasnik/titan-explorer api/events.go): `CreateShareLinkHandler` stores a link for
 * a long URL and answers its short path (`/link?cid=…&ts=…`) or `LinkAlreadyExist` for a long
 * URL it has; `ShareLinkInfoHandler` finds a user's link by cid; `ShareLinkUpdateHandler` sets
 * its password and expiry; `UpdateShareStatusHandler` marks the asset shared. Titan's JS SDK
 * (shareLoader.js) builds the same long URL, but sends the password as `short_pass`, which
 * create_link does not read: the server reads `access_pass`.
 */
import type { TitanClient } from './client.js';
import { TitanError } from './errors.js';
import { ERR, PATHS, type ShareLinkRow } from './protocol.js';

export interface ShareLinkOptions {
  /** When the link stops working; default never. Must be in the future. */
  expiresAt?: Date;
  /** A password the link asks for; default none. */
  password?: string;
  /** Titan's web app, where share links open (default `https://storage.titannet.io`). */
  baseUrl?: string;
  signal?: AbortSignal;
}

export interface ShareLink {
  cid: string;
  /** The link to hand out. */
  url: string;
  expiresAt?: Date;
  /** The link asks for a password. */
  protected: boolean;
}

export const DEFAULT_SHARE_BASE_URL = 'https://storage.titannet.io';

export async function createShareLink(client: TitanClient, cid: string, options: ShareLinkOptions = {}): Promise<ShareLink> {
  const { expiresAt, password, signal } = options;
  const base = options.baseUrl ?? DEFAULT_SHARE_BASE_URL;
  if (expiresAt && +expiresAt <= Date.now()) throw new TitanError('bad-request', 'A share link must expire in the future.');
  const username = await client.userId(signal);
  const expireTime = expiresAt ? Math.floor(+expiresAt / 1000) : 0;
  // The page Titan's web app shows for a shared file (shareLoader.js `previewURL`).
  const longLink = `${base}/distributionstatus?${new URLSearchParams({ cid, AssetType: 'file', address: username })}`;
  const query = new URLSearchParams({ username, cid, url: longLink, expire_time: String(expireTime) });
  if (password) query.set('access_pass', password);
  let path: unknown;
  try {
    path = (await client.api<{ url?: unknown }>('GET', PATHS.createLink, { query, signal }))?.url;
  } catch (err) {
    if ((err as TitanError).code !== ERR.linkAlreadyExist) throw err;
    // Shared before: the same link, with this call's password and expiry when it names them.
    const info = await client.api<{ link?: ShareLinkRow }>('GET', PATHS.shareLinkInfo, {
      query: new URLSearchParams({ username, cid }),
      signal,
    });
    const link = info?.link;
    path = link?.short_link;
    if (link && (password !== undefined || expiresAt)) {
      await client.api('POST', PATHS.shareLinkUpdate, { body: { id: link.id, short_pass: password ?? '', expire_at: expireTime }, signal });
    }
  }
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TitanError('bad-response', 'Titan create_link answered without a link.');
  await client.api('GET', PATHS.shareStatusSet, { query: new URLSearchParams({ cid }), signal });
  return { cid, url: new URL(path, base).href, expiresAt, protected: !!password };
}
