export { createScryptHasher } from './scrypt-hasher.js';
export type { ScryptHasherOptions } from './scrypt-hasher.js';
