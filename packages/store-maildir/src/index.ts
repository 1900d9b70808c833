export { createMaildirStore, MaildirStore } from './maildir-store.js';
export type { MaildirStoreOptions } from './maildir-store.js';
export { decodeModifiedUtf7, encodeModifiedUtf7, folderDirName, folderNameOf } from './names.js';
