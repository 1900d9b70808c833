export {
  createNodeDkimCrypto,
  dkimPublicKeyRecord,
  ed25519PrivateKeyFromSeed,
  MIN_RSA_BITS,
} from './crypto.js';
