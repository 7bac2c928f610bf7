/**
 * Folders ("groups") as the API server keeps them (gnasnik/titan-explorer api/events.go
 * CreateGroupHandler, GetGroupsHandler, RenameGroupHandler, MoveGroupToGroupHandler,
 * DeleteGroupHandler; core/dao/user_assets.go CreateAssetGroup, ListAssetGroupForUser,
 * UpdateAssetGroupName, MoveAssetGroup, DeleteAssetGroupAndUpdateSize; the `asset_group` table,
 * core/dao/asset_types.go `AssetGroup`, which has no JSON tags). All behind AuthRequired.
 */
import { ERR, PATHS, type AssetGroupRow } from '../../titan/protocol.js';
import { goTime } from './callbacks.js';
import { bindJson, respErrorCode, respJSON } from './gin.js';
import { userIdOf, type Route, type Titan } from './state.js';

/** An `asset_group` row. */
export interface SandboxTitanGroup {
  id: number;
  userId: string;
  name: string;
  parent: number;
  createdTime: Date;
  shared: boolean;
}

/** CreateAssetGroup: `count(id) >= 20` refuses another. */
const GROUP_LIMIT = 20;

/** `strconv.Atoi` with its error ignored, as the handlers do: 0 for anything but an integer. */
const atoi = (v: string | null) => (v !== null && /^[+-]?\d+$/.test(v) ? Number(v) : 0);

/** The row as `c.JSON` writes `*AssetGroup` (its counts joined from the user's assets). */
function groupJson(t: Titan, g: SandboxTitanGroup): AssetGroupRow {
  const assets = t.assets.filter((a) => a.userId === g.userId && a.groupId === g.id);
  return {
    ID: g.id,
    UserID: g.userId,
    Name: g.name,
    Parent: g.parent,
    AssetCount: assets.length,
    AssetSize: assets.reduce((sum, a) => sum + a.size, 0),
    CreatedTime: goTime(g.createdTime),
    ShareStatus: g.shared ? 1 : 0,
    VistitCount: 0,
  };
}

const exists = (t: Titan, userId: string, id: number) => t.groups.some((g) => g.userId === userId && g.id === id);

const createGroupRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const q = c.url.searchParams;
    const parent = atoi(q.get('parent'));
    if (parent !== 0 && !exists(t, userId, parent)) return c.reply.json(200, respErrorCode(ERR.groupNotExist, c.lang));
    if (t.groups.filter((g) => g.userId === userId).length >= GROUP_LIMIT) return c.reply.json(200, respErrorCode(ERR.groupLimit, c.lang));
    // No check of the name: empty and repeated names are stored as given.
    const group: SandboxTitanGroup = {
      id: ++t.lastGroupId,
      userId,
      name: q.get('name') ?? '',
      parent,
      createdTime: new Date(),
      shared: false,
    };
    t.groups.push(group);
    c.reply.json(200, respJSON({ group: groupJson(t, group) }));
  },
};

/** GetGroupsHandler: page 0 is 1, page_size 0 is 100; newest first. */
const getGroupsRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const q = c.url.searchParams;
    const parent = atoi(q.get('parent'));
    const pageSize = atoi(q.get('page_size')) || 100;
    const page = atoi(q.get('page')) || 1;
    const rows = t.groups
      .filter((g) => g.userId === userId && g.parent === parent)
      .sort((a, b) => +b.createdTime - +a.createdTime || b.id - a.id);
    const list = rows.slice(Math.max(0, (page - 1) * pageSize), Math.max(0, (page - 1) * pageSize) + Math.max(0, pageSize));
    c.reply.json(200, respJSON({ list: list.map((g) => groupJson(t, g)), total: rows.length }));
  },
};

const RENAME = { asset_cid: 'string', new_name: 'string', group_id: 'int64' } as const;

/** RenameGroupHandler: `new_name` required; an asset_cid renames that asset instead; an UPDATE, so an unknown group is no error. */
const renameGroupRoute: Route = {
  auth: 'user',
  async handle(t, c) {
    const userId = userIdOf(c);
    const req = bindJson(await c.body(), RENAME, ['new_name']);
    if (!req) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    if (req.asset_cid) {
      for (const a of t.assets) if (a.userId === userId && a.cid === req.asset_cid) a.name = req.new_name;
    } else {
      for (const g of t.groups) if (g.userId === userId && g.id === req.group_id) g.name = req.new_name;
    }
    c.reply.json(200, respJSON({ msg: 'success' }));
  },
};

/** MoveAssetGroup: the root stays, not onto itself, the target must exist, and no move into its own subfolders. */
const moveGroupRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const q = c.url.searchParams;
    const id = atoi(q.get('group_id'));
    const target = atoi(q.get('target_group_id'));
    if (id === 0) return c.reply.json(200, respErrorCode(ERR.rootGroupCannotMoved, c.lang));
    if (id === target) return c.reply.json(200, respErrorCode(ERR.groupsAreSame, c.lang));
    if (target !== 0) {
      if (!exists(t, userId, target)) return c.reply.json(200, respErrorCode(ERR.groupNotExist, c.lang));
      // getAssetGroupParent walks up from the target (by id alone) to the root.
      for (let gid = target, steps = 0; gid !== 0 && steps <= t.groups.length; steps++) {
        gid = t.groups.find((g) => g.id === gid)?.parent ?? 0;
        if (gid === id) return c.reply.json(200, respErrorCode(ERR.cannotMoveToSubgroup, c.lang));
      }
    }
    for (const g of t.groups) if (g.userId === userId && g.id === id) g.parent = target;
    c.reply.json(200, respJSON({ msg: 'success' }));
  },
};

/**
 * DeleteGroupHandler: group 0 is refused; the folder and every folder below it go, and the
 * queued AssetGroupPayload deletes their files (done at once here).
 */
const deleteGroupRoute: Route = {
  auth: 'user',
  handle(t, c) {
    const userId = userIdOf(c);
    const id = atoi(c.url.searchParams.get('group_id'));
    if (id === 0) return c.reply.json(200, respErrorCode(ERR.invalidParams, c.lang));
    const doomed = new Set([id]);
    for (let grew = true; grew;) {
      grew = false;
      for (const g of t.groups) {
        if (g.userId === userId && doomed.has(g.parent) && !doomed.has(g.id)) {
          doomed.add(g.id);
          grew = true;
        }
      }
    }
    t.groups = t.groups.filter((g) => !(g.userId === userId && doomed.has(g.id)));
    t.assets = t.assets.filter((a) => !(a.userId === userId && doomed.has(a.groupId)));
    c.reply.json(200, respJSON({ msg: 'success' }));
  },
};

export const GROUP_ROUTES: Record<string, Route> = {
  [`GET ${PATHS.createGroup}`]: createGroupRoute,
  [`GET ${PATHS.getGroups}`]: getGroupsRoute,
  [`POST ${PATHS.renameGroup}`]: renameGroupRoute,
  [`GET ${PATHS.moveGroupToGroup}`]: moveGroupRoute,
  [`GET ${PATHS.deleteGroup}`]: deleteGroupRoute,
};
