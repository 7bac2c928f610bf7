import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { startSandbox as StartSandbox } from './src/sandbox/index.ts';
import minifyHtmlLiterals from '@lit-labs/rollup-plugin-minify-html-literals';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const deps = Object.keys(pkg.dependencies);
/** Bare imports of our dependencies (and their subpaths) stay imports in the npm build. */
const isDependency = (id: string) => deps.some((d) => id === d || id.startsWith(`${d}/`)) && !id.endsWith('?inline');
const isNodeBuiltin = (id: string) => id.startsWith('node:') || builtinModules.includes(id);

/**
 * Lit's `html`/`css` template text minified in the npm and CDN builds, so the sources keep
 * their indentation (the dev server and the tests run the sources as written).
 */
function minifyTemplates(): Plugin {
  return {
    ...(minifyHtmlLiterals({
      include: ['src/**/*.ts'],
      failOnError: true,
      options: { minifyOptions: { removeAttributeQuotes: true } },
    }) as unknown as Plugin),
    enforce: 'pre',
    apply: 'build',
  };
}

/** `npm start`: the sandbox's doubles mounted on the Vite dev server, so the demo is one URL. */
function sandbox(): Plugin {
  return {
    name: 'upload-elements-sandbox',
    apply: 'serve',
    async configureServer(server) {
      // Loaded through Vite's SSR loader so the TS sources run as they are.
      const { startSandbox } = (await server.ssrLoadModule(resolve(root, 'src/sandbox/index.ts'))) as { startSandbox: typeof StartSandbox };
      const sb = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 0) });
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (sb.owns(path)) sb.handler(req, res, next);
        else next();
      });
      server.httpServer?.once('close', () => void sb.close());
      // Vite prints the demo's URL first; the sandbox's own address comes after it, and its root
      // page links back to the demo.
      const printUrls = server.printUrls.bind(server);
      server.printUrls = () => {
        printUrls();
        const demo = server.resolvedUrls?.local[0];
        if (demo) sb.demoUrl = demo;
        server.config.logger.info(`  ➜  Sandbox: ${sb.url}/ (its services are mounted on the demo's address too)`);
      };
    },
  };
}

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'node') {
    return {
      build: {
        ssr: true,
        target: 'node20',
        outDir: 'dist',
        emptyOutDir: false,
        minify: false,
        lib: {
          entry: { server: resolve(root, 'src/server/index.ts'), sandbox: resolve(root, 'src/sandbox/index.ts') },
          formats: ['es'],
        },
        rollupOptions: { external: (id) => isNodeBuiltin(id) || isDependency(id) },
      },
    };
  }
  if (mode === 'cdn') {
    // One file with every dependency inlined: a plain HTML page needs only this.
    return {
      // Relative asset URLs: the md5 worker is found next to the bundle wherever it is served.
      base: './',
      build: {
        target: 'es2022',
        outDir: 'dist/cdn',
        emptyOutDir: true,
        // What a CDN serves is what a page downloads: minified (vite's library mode leaves it readable).
        minify: true,
        lib: { entry: resolve(root, 'src/index.ts'), formats: ['es'], fileName: () => 'upload-elements.js' },
        // Library mode keeps ES output readable whatever `minify` says; the output option does it.
        // What loads on demand (other languages, share links, folders, the fallbacks of pages
        // without Workers) stays in chunks next to the bundle, fetched from wherever it is served.
        // The code those chunks share with the bundle stays in the bundle, which exports it to them
        // under one- or two-letter names (internal, not API), so a page loads one file, not the
        // bundle and the common chunks a strict entry signature would split out.
        rollupOptions: {
          preserveEntrySignatures: 'allow-extension',
          output: { minify: true, chunkFileNames: 'chunks/[name]-[hash].js' },
        },
      },
      plugins: [minifyTemplates()],
      worker: { format: 'es' },
    };
  }
  return {
    root: mode === 'production' ? root : resolve(root, 'demo'),
    // Relative asset URLs in the library build: the md5 worker resolves against the importing module.
    base: mode === 'production' ? './' : '/',
    server: { port: Number(process.env.PORT ?? 5173), host: '127.0.0.1', fs: { allow: [root] } },
    plugins: [sandbox(), minifyTemplates()],
    worker: { format: 'es' },
    build: {
      target: 'es2022',
      outDir: resolve(root, 'dist'),
      emptyOutDir: true,
      lib: {
        entry: {
          index: resolve(root, 'src/index.ts'),
          titan: resolve(root, 'src/titan/index.ts'),
          universa: resolve(root, 'src/universa/index.ts'),
          digime: resolve(root, 'src/digime/index.ts'),
          // The headless clients: no element registered, no lit, no Uppy.
          'titan-client': resolve(root, 'src/titan/headless.ts'),
          'universa-client': resolve(root, 'src/universa/headless.ts'),
          'digime-client': resolve(root, 'src/digime/headless.ts'),
          // Types only (React JSX, Vue templates, Svelte markup); empty modules so that a plain
          // `import` of them works too.
          react: resolve(root, 'src/react.ts'),
          vue: resolve(root, 'src/vue.ts'),
          svelte: resolve(root, 'src/svelte.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        external: isDependency,
        // Uppy's stylesheets get a chunk of their own (size budgets leave it out as Uppy's
        // weight); shared code of ours must not hide in it.
        output: { codeSplitting: { groups: [{ name: 'uppy-styles', test: /\.css\?inline$|\/internal\/uppy-styles\.ts$/ }] } },
      },
    },
  };
});
