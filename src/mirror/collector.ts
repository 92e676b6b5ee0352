/**
 * A collector turns one kind of input into plan items: image mirror's
 * mappings (collectors/mapping.ts), a release payload
 * (collectors/release.ts), and next an operator catalog. Collectors decide
 * WHAT is mirrored and WHERE it goes (naming rules such as oc's
 * `<version>-<arch>-<name>` tags or a catalog's `mount()`); they never copy.
 * They may read sources through `env` (list tags, read a payload or an
 * index image), so they run after the executor is opened and before it
 * executes.
 */
import type { TransportEnv } from '../transports/open.js';
import type { PlanItem } from './plan.js';

export interface CollectorContext {
  /** The executor's transports (registry hub, file:// store roots). */
  readonly env: TransportEnv;
  /** A warning for the user (printed as `warning: …`). */
  readonly warn: (message: string) => void;
  readonly signal?: AbortSignal;
}

/** What a collector found: the items, plus what writers need to know about the input (`info`). */
export interface Collected<Info> {
  readonly items: readonly PlanItem[];
  readonly info: Info;
}

export interface Collector<Info = undefined> {
  /** For messages: `mappings`, `release`, `catalog`… */
  readonly name: string;
  /** Reads the input and returns its items in a deterministic order. */
  collect(ctx: CollectorContext): Promise<Collected<Info>>;
}
