// Names the README's code fragments assume (an app's own session, database, keys and helpers),
// each typed as an app would have it, so a fragment is checked for how it uses this package.
// Read by test/e2e/readme.e2e.ts; a new name in a fragment fails that check until it is here.
import type { Express } from 'express';
import type { DigiMeSessionStore } from 'upload-elements/server';

declare global {
  /** The Express app of the backend fragments. */
  const app: Express;
  /** A file the user picked. */
  const file: File;
  /** Files of a folder the user picked. */
  const readme: File;
  const photo: File;
  /** The app's session store. */
  const sessions: { get(request: Request): Promise<{ userId: string; userName: string; email: string } | undefined> };
  /** The app's database. */
  const db: {
    uploads: {
      insert(row: object): Promise<{ id: string }>;
      update(id: string, values: object): Promise<void>;
      markDeleted(id: string): Promise<void>;
    };
  };
  /** The signed-in user's id. */
  function userOf(request: Request): Promise<string>;
  /** Stores a result (a CID, a callback's notification). */
  function save(value: unknown): Promise<void>;
  /** Asks the app backend for a Titan token. */
  function fetchTitanToken(): Promise<string>;
  /** The tenant's API secret (Titan signs its callbacks with it). */
  const secret: string;
  /** The digi.me application's ids and the contract's private key. */
  const applicationId: string;
  const contractId: string;
  const privateKeyPem: string;
  /** The digi.me helper's state in one user's session. */
  function sessionStoreFor(request: Request): DigiMeSessionStore;
  /** True for a URL of the app's own pages. */
  function isOwnPage(url: unknown): boolean;
  /** A Titan callback handler (`createTitanUploadCallbackHandler`), as the mounting fragments take it. */
  function onUpload(request: Request): Promise<Response>;
  /** The app's error log. */
  function log(error: unknown): void;
}
