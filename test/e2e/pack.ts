// The package as `npm install upload-elements` gives it to an app: `npm pack` of what
// `npm run build` built, unpacked into `<app>/node_modules/upload-elements`. The app gets a
// package.json of its own unless it has one: without it, Node would resolve `upload-elements`
// to this repository by its name (a package may import itself), not to the packed copy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function installPacked(root: string, app: string): void {
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  if (!existsSync(join(app, 'package.json')))
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // --ignore-scripts: pack what `npm run build` just built.
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', app], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
  execFileSync('tar', ['-xzf', tarball, '-C', 'node_modules'], { cwd: app });
  renameSync(join(app, 'node_modules/package'), join(app, 'node_modules/upload-elements'));
}
