// Folders ("groups") of the Titan replica, against gnasnik/titan-explorer api/events.go
// (CreateGroupHandler, GetGroupsHandler, RenameGroupHandler, MoveGroupToGroupHandler,
// DeleteGroupHandler), core/dao/user_assets.go (CreateAssetGroup: the parent must exist, 20
// folders per user; MoveAssetGroup; DeleteAssetGroupAndUpdateSize), core/dao/asset_types.go
// (`AssetGroup`: no JSON tags, Go's field names) and titan-node api/terrors (GroupNotExist 10018,
// GroupLimit 10019, CannotMoveToSubgroup 10020, RootGroupCannotMoved 10021, GroupsAreSame 10022).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { ERR, PATHS } from '../../../src/titan/protocol.js';
import { call, login, store } from './titan-helpers.js';
import { recordOnce as recordOnceAfterReset } from '../record-once.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const recordOnce = <T>(run: () => Promise<T>) => recordOnceAfterReset(run, () => sb.reset());
const get = (token: string, path: string, query: Record<string, string>) => call(sb, 'GET', path, { token, query });

describe('create_group and get_groups', () => {
  const r = recordOnce(async () => {
    const token = await login(sb);
    const invoices = await get(token, PATHS.createGroup, { name: 'invoices', parent: '0' });
    const id = String(invoices.json.data.group.ID);
    const y2026 = await get(token, PATHS.createGroup, { name: '2026', parent: id });
    await store(sb, token, randomBytes(50), { group_id: y2026.json.data.group.ID, asset_size: 50 });
    const noParent = await get(token, PATHS.createGroup, { name: 'x', parent: '999' });
    const root = await get(token, PATHS.getGroups, { parent: '0' });
    const inside = await get(token, PATHS.getGroups, { parent: id });
    const bob = await get(await login(sb, 'bob'), PATHS.getGroups, { parent: '0' });
    return { invoices, y2026, noParent, root, inside, bob };
  });

  it('answers the new folder with Go field names', () => {
    assert.deepEqual(Object.keys(r().invoices.json.data.group).sort(), [
      'AssetCount',
      'AssetSize',
      'CreatedTime',
      'ID',
      'Name',
      'Parent',
      'ShareStatus',
      'UserID',
      'VistitCount',
    ]);
    assert.equal(r().invoices.json.data.group.Name, 'invoices');
    assert.equal(r().y2026.json.data.group.Parent, r().invoices.json.data.group.ID);
  });

  it('refuses a parent that does not exist: GroupNotExist', () => {
    assert.equal(r().noParent.json.err, ERR.groupNotExist);
  });

  it("lists a parent's folders with their file counts, and only the user's own", () => {
    assert.deepEqual(
      r().root.json.data.list.map((g: { Name: string }) => g.Name),
      ['invoices'],
    );
    assert.equal(r().root.json.data.total, 1);
    assert.deepEqual(
      r().inside.json.data.list.map((g: { Name: string; AssetCount: number; AssetSize: number }) => [g.Name, g.AssetCount, g.AssetSize]),
      [['2026', 1, 50]],
    );
    assert.equal(r().bob.json.data.total, 0);
  });
});

describe('the 20-folder limit (CreateAssetGroup counts all of the user folders)', () => {
  it('refuses the 21st: GroupLimit', async () => {
    const token = await login(sb);
    for (let i = 0; i < 20; i++) assert.equal((await get(token, PATHS.createGroup, { name: `f${i}`, parent: '0' })).json.code, 0);
    assert.equal((await get(token, PATHS.createGroup, { name: 'one more', parent: '0' })).json.err, ERR.groupLimit);
  });
});

describe('rename_group, move_group_to_group, delete_group', () => {
  const r = recordOnce(async () => {
    const token = await login(sb);
    const make = async (name: string, parent = 0) =>
      (await get(token, PATHS.createGroup, { name, parent: String(parent) })).json.data.group.ID as number;
    const a = await make('a');
    const b = await make('b', a);
    const c = await make('c');
    const renamed = await call(sb, 'POST', PATHS.renameGroup, { token, body: { group_id: c, new_name: 'see' } });
    const noName = await call(sb, 'POST', PATHS.renameGroup, { token, body: { group_id: c } });
    const move = (id: number, target: number) =>
      get(token, PATHS.moveGroupToGroup, { group_id: String(id), target_group_id: String(target) });
    const intoChild = await move(a, b);
    const root = await move(0, a);
    const same = await move(a, a);
    const nowhere = await move(a, 999);
    const moved = await move(c, b);
    await store(sb, token, randomBytes(60), { group_id: c });
    const rootDelete = await get(token, PATHS.deleteGroup, { group_id: '0' });
    const deleted = await get(token, PATHS.deleteGroup, { group_id: String(a) });
    return {
      a,
      b,
      c,
      renamed,
      noName,
      intoChild,
      root,
      same,
      nowhere,
      moved,
      rootDelete,
      deleted,
      groups: await sb.control('titan', 'groups'),
      assets: await sb.control('titan', 'assets'),
    };
  });

  it('renames a folder; new_name is required (binding:"required")', () => {
    assert.equal(r().renamed.json.code, 0);
    assert.equal(r().noName.json.err, ERR.invalidParams);
  });

  it('refuses moves into its own subfolder, of the root, onto itself, or to a folder that does not exist', () => {
    assert.equal(r().intoChild.json.err, ERR.cannotMoveToSubgroup);
    assert.equal(r().root.json.err, ERR.rootGroupCannotMoved);
    assert.equal(r().same.json.err, ERR.groupsAreSame);
    assert.equal(r().nowhere.json.err, ERR.groupNotExist);
    assert.equal(r().moved.json.code, 0);
  });

  it('refuses to delete the root; deletes a folder with everything below it, files included', () => {
    assert.equal(r().rootDelete.json.err, ERR.invalidParams);
    assert.equal(r().deleted.json.code, 0);
    assert.deepEqual(r().groups, []);
    assert.deepEqual(r().assets, []);
  });
});
