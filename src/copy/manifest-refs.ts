/**
 * The copy engine's view of a manifest: the reader's view of the one
 * manifest model, oci/manifest-refs.ts (re-exported here for the engine's
 * modules and tests).
 */
export { ManifestFormatError, manifestRefs, readManifest, type ChildDescriptor, type ManifestRefs } from '../oci/manifest-refs.js';
export { platformString, type Platform } from '../oci/descriptor.js';
