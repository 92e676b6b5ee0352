/** airlock's version; test/bundle checks it against package.json. */
export const AIRLOCK_VERSION = '0.1.0';
