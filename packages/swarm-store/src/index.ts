export * from './types.js';
export * from './keys.js';
export * from './scripts.js';
export * from './selection-plan.js';
export * from './lists.js';
export { RedisPeerStore, defineScripts } from './redis-peer-store.js';
export * from './selection.js';
export { CANDIDATE_TTL_SECONDS } from './redis-peer-store.js';
export { FlushBatches, type BatchRef, type RawBatch } from './flush-batches.js';
