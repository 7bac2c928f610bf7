/**
 * Share links, as the API server keeps them (gnasnik/titan-explorer api/events.go:
 * `CreateShareLinkHandler`, `ShareLinkInfoHandler`, `ShareLinkUpdateHandler`,
 * `UpdateShareStatusHandler`; the `link` table, core/generated/model `Link`). api/router.go
 * registers `create_link` before the storage group's `AuthRequired`: it trusts its `username`
 * query and needs no token. The other three come after it.
 */
import { ERR, PATHS, type ShareLinkRow } from '../../titan/protocol.js';
import { goTime } from './callbacks.js';
import { bindJson, respErrorCode, respJSON } from './gin.js';
import { cidToHash, userAsset, userIdOf, type Route } from './state.js';

/** A `link` row. */
export interface SandboxTitanLink {
  id: number;
  userName: string;
  cid: string;
  longLink: string;
  shortLink: string;
  shortPass: string;
  /** Unix seconds; 0 = Go's zero time (never). */
  expireAt: number;
  createdAt: Date;
  updatedAt: Date;
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const unix = () => Math.floor(Date.now() / 1000);

/** The row as `c.JSON` writes `model.Link`. */
function linkJson(l: SandboxTitanLink): ShareLinkRow & { user_id: string; deleted_at: string } {
  return {
    id: l.id,
    user_id: '',
    username: l.userName,
    cid: l.cid,
    long_link: l.longLink,
    short_link: l.shortLink,
    created_at: goTime(l.createdAt),
    updated_at: goTime(l.updatedAt),
    deleted_at: GO_ZERO_TIME,
    short_pass: l.shortPass,
    expire_at: l.expireAt ? goTime(new Date(l.expireAt * 1000)) : GO_ZERO_TIME,
  };
}

/**
 * `CreateShareLinkHandler`: `url` is unescaped once more (`url.QueryUnescape`); a cid that is
 * a number names a group, otherwise the user must hold the asset; `expire_time` must be an
 * integer and, when positive, in the future; a long link already stored is `LinkAlreadyExist`
 * (dao.GetShortLink looks links up by their long link alone). The password is `access_pass`.
 */
const createLinkRoute: Route = {
  handle(t, c) {
    const q = c.url.searchParams;
    const username = q.get('username') ?? '';
    const cid = q.get('cid') ?? '';
    let long: string;
    try {
      long = decodeURIComponent((q.get('url') ?? '').replace(/\+/g, ' '));
    } catch {
      return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    }
    if (!cid || !long) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const hash = Number(cid) > 0 ? undefined : cidToHash(cid);
    // Groups are not kept by this replica: a group id finds no group (GetUserAssetGroupInfo fails).
    if (!hash || !userAsset(t, username, hash)) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const expireTime = q.get('expire_time') ?? '';
    if (!/^[+-]?\d+$/.test(expireTime)) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const expireAt = Number(expireTime);
    if (expireAt > 0 && unix() > expireAt) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    if (t.links.some((l) => l.longLink === long)) return c.reply.json(200, respErrorCode(ERR.linkAlreadyExist, c.lang));
    const now = new Date();
    const link: SandboxTitanLink = {
      id: t.links.length + 1,
      userName: username,
      cid,
      longLink: long,
      shortLink: `/link?cid=${cid}&ts=${unix()}`,
      shortPass: q.get('access_pass') ?? '',
      expireAt: Math.max(0, expireAt),
      createdAt: now,
      updatedAt: now,
    };
    t.links.push(link);
    c.reply.json(200, respJSON({ url: link.shortLink }));
  },
};

/** `ShareLinkInfoHandler`: the link of `username` for `cid` (its query, not the token's user), and its days left. */
const shareLinkInfoRoute: Route = {
  auth: 'none',
  handle(t, c) {
    const q = c.url.searchParams;
    const link = t.links.find((l) => l.cid === q.get('cid') && l.userName === q.get('username'));
    if (!link) return c.reply.json(200, respErrorCode(ERR.notFound, c.lang));
    // duration := ExpireAt.Sub(UpdatedAt); Go's zero time makes it hugely negative.
    const ms = (link.expireAt ? link.expireAt * 1000 : Date.parse(GO_ZERO_TIME)) - +link.updatedAt;
    c.reply.json(200, respJSON({ link: linkJson(link), expire_days: Math.round(ms / 86_400_000) }));
  },
};

const LINK_UPDATE = { id: 'int64', short_pass: 'string', expire_at: 'int64' } as const;

/** `ShareLinkUpdateHandler`: the token's user's link by `id`; a positive `expire_at` must be ahead; the password is set as given ("" clears it). */
const shareLinkUpdateRoute: Route = {
  auth: 'user',
  async handle(t, c) {
    const req = bindJson(await c.body(), LINK_UPDATE);
    if (!req) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const link = t.links.find((l) => l.id === req.id);
    if (!link) return c.reply.json(200, respErrorCode(ERR.notFound, c.lang));
    if (link.userName !== userIdOf(c)) return c.reply.json(200, respErrorCode(ERR.linkUserNotMatch, c.lang));
    if (req.expire_at > 0) {
      if (unix() > req.expire_at) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
      link.expireAt = req.expire_at;
      link.updatedAt = new Date();
    }
    link.shortPass = req.short_pass;
    c.reply.json(200, respJSON({ msg: 'success' }));
  },
};

/** `UpdateShareStatusHandler`: marks the token's user's asset shared (a number names a group; 0 is refused). */
const shareStatusSetRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const cid = c.url.searchParams.get('cid') ?? '';
    if (/^[+-]?\d+$/.test(cid)) {
      return c.reply.json(200, respErrorCode(Number(cid) === 0 ? ERR.invalidParams : ERR.internalServer, c.lang));
    }
    const hash = cidToHash(cid);
    if (!hash) return c.reply.json(200, respErrorCode(ERR.internalServer, c.lang));
    // dao.UpdateAssetShareStatus: an UPDATE, so no row is no error.
    for (const a of t.assets) if (a.userId === userId && a.hash === hash) a.shared = true;
    c.reply.json(200, respJSON({ msg: 'success' }));
  },
};

export const SHARE_ROUTES: Record<string, Route> = {
  [`GET ${PATHS.createLink}`]: createLinkRoute,
  [`GET ${PATHS.shareLinkInfo}`]: shareLinkInfoRoute,
  [`POST ${PATHS.shareLinkUpdate}`]: shareLinkUpdateRoute,
  [`GET ${PATHS.shareStatusSet}`]: shareStatusSetRoute,
};
